package httpapi

import (
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/storsthlm/mottagning/internal/account"
)

// requestView is a request as pages show it, with its kind and status in
// plain words of the page's language.
type requestView struct {
	ID          string
	Kind        string
	KindLabel   string
	Status      string
	StatusLabel string
	Open        bool
	Reason      string
	Answer      string
	Created     string
	Updated     string
	Username    string // platform pages only
	Restricted  bool   // platform pages only
	AccountID   string // platform pages only
}

func (s *Server) requestViewOf(lang string, r account.Request) requestView {
	return requestView{ID: r.ID.String(), Kind: string(r.Kind), KindLabel: s.tr.T(lang, "request.kind."+string(r.Kind)),
		Status: string(r.Status), StatusLabel: s.tr.T(lang, "request.status."+string(r.Status)), Open: r.Status.Open(),
		Reason: r.Reason, Answer: r.Answer, Created: longDate(lang, r.CreatedAt), Updated: longDate(lang, r.UpdatedAt)}
}

// myRequestsData is the page of the youth's own requests.
type myRequestsData struct {
	form
	Requests  []requestView
	Sent      bool
	ReasonMax int
}

func (s *Server) myRequestsPage(c *fiber.Ctx) error {
	return s.renderMyRequests(c, newForm(), c.Query("skickad") == "1")
}

func (s *Server) renderMyRequests(c *fiber.Ctx, f form, sent bool) error {
	ps, _ := s.platformDB()
	rs, err := ps.MyRequests(c.UserContext(), requesterID(c))
	if err != nil {
		return err
	}
	lang := langOf(c)
	data := myRequestsData{form: f, Sent: sent, ReasonMax: account.ReasonMax}
	for _, r := range rs {
		data.Requests = append(data.Requests, s.requestViewOf(lang, r))
	}
	return s.render(c, "requests", true, data)
}

// fileRequest files a restriction or objection request (P22, P27). Bad
// input shows the form again with the text kept, and nothing is written.
func (s *Server) fileRequest(c *fiber.Ctx) error {
	f := newForm("kind", c.FormValue("kind"), "reason", c.FormValue("reason"))
	if _, err := s.fileRequestFor(c, c.FormValue("kind"), c.FormValue("reason")); err != nil {
		if rerr := s.formError(c, &f, err); rerr != nil {
			return rerr
		}
		return s.renderMyRequests(c, f, false)
	}
	return c.Redirect("/min-profil/begaran?skickad=1", fiber.StatusSeeOther)
}

func (s *Server) fileRequestFor(c *fiber.Ctx, kind, reason string) (account.Request, error) {
	k, text, err := account.NewRequest(kind, reason)
	if err != nil {
		return account.Request{}, err
	}
	ps, _ := s.platformDB()
	r, err := ps.FileRequest(c.UserContext(), requesterID(c), k, text)
	if err == nil {
		s.log.Info("privacy request: filed", "request_id", requestID(c), "account", r.AccountID.String(), "kind", string(r.Kind))
	}
	return r, err
}

// requestJSON is a request as the API shows it to its owner.
type requestJSON struct {
	ID        string `json:"id"`
	Kind      string `json:"kind"`
	Reason    string `json:"reason,omitempty"`
	Status    string `json:"status"`
	Answer    string `json:"answer,omitempty"`
	CreatedAt string `json:"created_at"`
	UpdatedAt string `json:"updated_at"`
}

func requestJSONOf(r account.Request) requestJSON {
	return requestJSON{ID: r.ID.String(), Kind: string(r.Kind), Reason: r.Reason, Status: string(r.Status),
		Answer: r.Answer, CreatedAt: r.CreatedAt.UTC().Format(time.RFC3339), UpdatedAt: r.UpdatedAt.UTC().Format(time.RFC3339)}
}

func (s *Server) apiMyRequests(c *fiber.Ctx) error {
	ps, _ := s.platformDB()
	rs, err := ps.MyRequests(c.UserContext(), requesterID(c))
	if err != nil {
		return err
	}
	out := []requestJSON{}
	for _, r := range rs {
		out = append(out, requestJSONOf(r))
	}
	return c.JSON(fiber.Map{"requests": out})
}

func (s *Server) apiFileRequest(c *fiber.Ctx) error {
	var in struct {
		Kind   string `json:"kind"`
		Reason string `json:"reason"`
	}
	if err := platformJSON(c, &in); err != nil {
		return err
	}
	r, err := s.fileRequestFor(c, in.Kind, in.Reason)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(requestJSONOf(r))
}

var monthsSV = [...]string{"januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti",
	"september", "oktober", "november", "december"}

// longDate writes a date the way people do: "1 juli 2026", "1 July 2026",
// in Stockholm time.
func longDate(lang string, t time.Time) string {
	t = t.In(account.Stockholm)
	if lang == "en" {
		return t.Format("2 January 2006")
	}
	return strconv.Itoa(t.Day()) + " " + monthsSV[t.Month()-1] + " " + strconv.Itoa(t.Year())
}
