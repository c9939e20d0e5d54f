package httpapi

import (
	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/storsthlm/mottagning/internal/account"
	"github.com/storsthlm/mottagning/internal/tenant"
)

// The platform admin's request queue (P22, P27): open requests oldest
// first, each with the requester's username and nothing else (P20).

type statusOption struct {
	Value, Label string
	Selected     bool
}

type requestQueueData struct {
	Requests []requestView
}

type requestPageData struct {
	form
	Request  requestView
	Statuses []statusOption
	Saved    bool
	Back     string
}

func (s *Server) queuedViewOf(lang string, q account.QueuedRequest) requestView {
	v := s.requestViewOf(lang, q.Request)
	v.Username, v.Restricted, v.AccountID = q.Username, q.Restricted, q.AccountID.String()
	return v
}

func (s *Server) requestQueuePage(c *fiber.Ctx) error {
	ps, _ := s.platformDB()
	rs, err := ps.OpenRequests(c.UserContext())
	if err != nil {
		return err
	}
	lang := langOf(c)
	data := requestQueueData{}
	for _, r := range rs {
		data.Requests = append(data.Requests, s.queuedViewOf(lang, r))
	}
	return s.render(c, "platform_requests", false, data)
}

// requestPage opens one request; reading it is written to the access log.
func (s *Server) requestPage(c *fiber.Ctx) error {
	id, err := platformID(c, "error.request.not_found")
	if err != nil {
		return err
	}
	ps, _ := s.platformDB()
	r, err := ps.OpenRequest(c.UserContext(), id)
	if err != nil {
		return err
	}
	return s.renderRequest(c, r, newForm("status", string(r.Status)), c.Query("sparat") == "1")
}

func (s *Server) renderRequest(c *fiber.Ctx, r account.QueuedRequest, f form, saved bool) error {
	lang := langOf(c)
	data := requestPageData{form: f, Request: s.queuedViewOf(lang, r), Saved: saved, Back: "/plattform/begaran/" + r.ID.String()}
	for _, st := range account.RequestStatuses {
		data.Statuses = append(data.Statuses, statusOption{Value: string(st), Label: s.tr.T(lang, "request.status."+string(st)),
			Selected: string(st) == f.Values["status"]})
	}
	return s.render(c, "platform_request", false, data)
}

// updateRequest changes the status and answer. Bad input shows the page
// again with what was entered, and nothing is written.
func (s *Server) updateRequest(c *fiber.Ctx) error {
	id, err := platformID(c, "error.request.not_found")
	if err != nil {
		return err
	}
	f := newForm("status", c.FormValue("status"), "answer", c.FormValue("answer"))
	if _, err := s.updateRequestFor(c, id, c.FormValue("status"), c.FormValue("answer")); err != nil {
		ps, _ := s.platformDB()
		r, rerr := ps.OpenRequest(c.UserContext(), id)
		if rerr != nil {
			return rerr
		}
		if ferr := s.formError(c, &f, err); ferr != nil {
			return ferr
		}
		return s.renderRequest(c, r, f, false)
	}
	return c.Redirect("/plattform/begaran/"+id.String()+"?sparat=1", fiber.StatusSeeOther)
}

func (s *Server) updateRequestFor(c *fiber.Ctx, id uuid.UUID, status, answer string) (account.QueuedRequest, error) {
	u, err := account.NewRequestUpdate(status, answer)
	if err != nil {
		return account.QueuedRequest{}, err
	}
	ps, _ := s.platformDB()
	r, err := ps.UpdateRequest(c.UserContext(), id, u)
	if err == nil {
		s.log.Info("privacy request: updated", "request_id", requestID(c), "privacy_request", id.String(),
			"status", string(u.Status), "staff", tenant.ActingFrom(c.UserContext()).AccountID.String())
	}
	return r, err
}

// queuedJSON is a request as the API shows it to platform admins.
type queuedJSON struct {
	requestJSON
	AccountID  string `json:"account_id"`
	Username   string `json:"username"`
	Restricted bool   `json:"restricted"`
}

func queuedJSONOf(q account.QueuedRequest) queuedJSON {
	return queuedJSON{requestJSON: requestJSONOf(q.Request), AccountID: q.AccountID.String(), Username: q.Username, Restricted: q.Restricted}
}

func (s *Server) apiRequestQueue(c *fiber.Ctx) error {
	ps, _ := s.platformDB()
	rs, err := ps.OpenRequests(c.UserContext())
	if err != nil {
		return err
	}
	out := []queuedJSON{}
	for _, r := range rs {
		q := queuedJSONOf(r)
		q.Reason = "" // the reason is read one request at a time, and that read is logged
		out = append(out, q)
	}
	return c.JSON(fiber.Map{"requests": out})
}

func (s *Server) apiRequest(c *fiber.Ctx) error {
	id, err := platformID(c, "error.request.not_found")
	if err != nil {
		return err
	}
	ps, _ := s.platformDB()
	r, err := ps.OpenRequest(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(queuedJSONOf(r))
}

func (s *Server) apiUpdateRequest(c *fiber.Ctx) error {
	id, err := platformID(c, "error.request.not_found")
	if err != nil {
		return err
	}
	var in struct {
		Status string `json:"status"`
		Answer string `json:"answer"`
	}
	if err := platformJSON(c, &in); err != nil {
		return err
	}
	r, err := s.updateRequestFor(c, id, in.Status, in.Answer)
	if err != nil {
		return err
	}
	return c.JSON(queuedJSONOf(r))
}
