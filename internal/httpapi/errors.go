package httpapi

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/storsthlm/mottagning/internal/apperr"
)

// statusOf maps each error kind to its HTTP status, in one place.
var statusOf = map[apperr.Kind]int{
	apperr.Internal:     fiber.StatusInternalServerError,
	apperr.Invalid:      fiber.StatusBadRequest,
	apperr.Unauthorized: fiber.StatusUnauthorized,
	apperr.Forbidden:    fiber.StatusForbidden,
	apperr.NotFound:     fiber.StatusNotFound,
	apperr.Conflict:     fiber.StatusConflict,
	apperr.TooLarge:     fiber.StatusRequestEntityTooLarge,
	apperr.TooMany:      fiber.StatusTooManyRequests,
	apperr.Unavailable:  fiber.StatusServiceUnavailable,
	apperr.Unsupported:  fiber.StatusUnsupportedMediaType,
}

// kindOfStatus classifies Fiber's own errors (unknown route, body too
// large, wrong method) in the same vocabulary.
var kindOfStatus = map[int]apperr.Kind{
	fiber.StatusBadRequest:            apperr.Invalid,
	fiber.StatusNotFound:              apperr.NotFound,
	fiber.StatusMethodNotAllowed:      apperr.NotFound,
	fiber.StatusRequestEntityTooLarge: apperr.TooLarge,
	fiber.StatusTooManyRequests:       apperr.TooMany,
	fiber.StatusUnauthorized:          apperr.Unauthorized,
	fiber.StatusForbidden:             apperr.Forbidden,
	fiber.StatusUnsupportedMediaType:  apperr.Unsupported,
}

var defaultKey = map[apperr.Kind]string{
	apperr.Internal: "error.internal", apperr.Invalid: "error.invalid", apperr.NotFound: "error.not_found",
	apperr.Conflict: "error.conflict", apperr.Forbidden: "error.forbidden", apperr.Unauthorized: "error.unauthorized",
	apperr.TooLarge: "error.too_large", apperr.TooMany: "error.too_many", apperr.Unavailable: "error.unavailable",
	apperr.Unsupported: "error.unsupported_type",
}

// apiError is the JSON body of every error under /api/.
type apiError struct {
	Error struct {
		Kind    string       `json:"kind"`
		Message string       `json:"message"`
		Fields  []fieldError `json:"fields,omitempty"`
	} `json:"error"`
	RequestID string `json:"request_id,omitempty"`
}

type fieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// handleError is the one place errors become responses: a status from the
// kind, a translated message, JSON under /api/ and a calm page elsewhere.
// Internal errors are logged once, with the request id, and never shown.
func (s *Server) handleError(c *fiber.Ctx, err error) error {
	e := classify(err)
	status := statusOf[e.Kind]
	if e.Kind == apperr.Internal {
		s.log.Error("http: internal error", "request_id", requestID(c), "route", c.Route().Path, "err", err)
	}
	key := e.Key
	if key == "" || e.Kind == apperr.Internal {
		key = defaultKey[e.Kind]
	}
	lang := langOf(c)
	msg := s.tr.Tf(lang, key, e.Args)
	c.Set(fiber.HeaderCacheControl, "no-store")
	if isAPI(c) {
		var body apiError
		body.Error.Kind, body.Error.Message, body.RequestID = e.Kind.String(), msg, requestID(c)
		for _, f := range e.Fields {
			body.Error.Fields = append(body.Error.Fields, fieldError{Field: f.Field, Message: s.tr.Tf(lang, f.Key, f.Args)})
		}
		return c.Status(status).JSON(body)
	}
	data := errorPage{Status: status, Message: msg, Hint: s.tr.T(lang, "error.hint.back_home")}
	return c.Status(status).Render("error", s.page(c, !isStaffPath(c.Path()), data))
}

type errorPage struct {
	Status        int
	Message, Hint string
}

func classify(err error) *apperr.Error {
	if e := apperr.As(err); e != nil {
		return e
	}
	var fe *fiber.Error
	if errors.As(err, &fe) {
		if k, ok := kindOfStatus[fe.Code]; ok {
			return &apperr.Error{Kind: k, Err: err}
		}
	}
	return &apperr.Error{Kind: apperr.Internal, Err: err}
}

// isStaffPath reports whether path belongs to the staff or platform pages,
// which are not youth pages (no quick-exit button).
func isStaffPath(path string) bool {
	for _, prefix := range []string{"/personal", "/plattform"} {
		if path == prefix || len(path) > len(prefix) && path[:len(prefix)+1] == prefix+"/" {
			return true
		}
	}
	return false
}

func isAPI(c *fiber.Ctx) bool {
	p := c.Path()
	return p == "/api" || len(p) >= 5 && p[:5] == "/api/"
}
