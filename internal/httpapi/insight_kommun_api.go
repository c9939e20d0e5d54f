package httpapi

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/storsthlm/mottagning/internal/apperr"
	"github.com/storsthlm/mottagning/internal/retention"
)

type logEntryJSON struct {
	ID      int64  `json:"id"`
	At      string `json:"at"`
	Staff   string `json:"staff"`
	ActorID string `json:"actor_id"`
	Role    string `json:"role"`
	Action  string `json:"action"`
	Subject string `json:"username"`
}

func logEntryJSONOf(e retention.LogEntry) logEntryJSON {
	return logEntryJSON{ID: e.ID, At: e.At.UTC().Format(time.RFC3339), Staff: e.StaffName, ActorID: e.ActorID.String(),
		Role: e.Role, Action: e.Action, Subject: e.Subject}
}

type sampleItemJSON struct {
	Position int          `json:"position"`
	Entry    logEntryJSON `json:"entry"`
	Outcome  string       `json:"outcome"`
	Note     string       `json:"note"`
}

type sampleJSON struct {
	ID       string           `json:"id"`
	Month    string           `json:"month"`
	DrawnAt  string           `json:"drawn_at"`
	Size     int              `json:"size"`
	Reviewed int              `json:"reviewed"`
	FollowUp int              `json:"follow_up"`
	Items    []sampleItemJSON `json:"items,omitempty"`
}

func sampleJSONOf(sm retention.Sample) sampleJSON {
	out := sampleJSON{ID: sm.ID.String(), Month: sm.Month.Format("2006-01"), DrawnAt: sm.DrawnAt.UTC().Format(time.RFC3339),
		Size: sm.Size, Reviewed: sm.Reviewed, FollowUp: sm.FollowUp}
	for _, it := range sm.Items {
		out.Items = append(out.Items, sampleItemJSON{Position: it.Position, Entry: logEntryJSONOf(it.Entry), Outcome: it.Outcome, Note: it.Note})
	}
	return out
}

func (s *Server) apiKommunLog(c *fiber.Ctx) error {
	f, err := retention.ParseLogFilter(c.Query("from"), c.Query("to"), c.Query("action"), c.Query("username"))
	if err != nil {
		return err
	}
	es, err := s.retentionDB().KommunAccessLog(c.UserContext(), f)
	if err != nil {
		return err
	}
	out := []logEntryJSON{}
	for _, e := range es {
		out = append(out, logEntryJSONOf(e))
	}
	return c.JSON(fiber.Map{"entries": out, "limit": retention.LogLimit})
}

func (s *Server) apiSamples(c *fiber.Ctx) error {
	ss, err := s.retentionDB().AccessSamples(c.UserContext())
	if err != nil {
		return err
	}
	out := []sampleJSON{}
	for _, sm := range ss {
		out = append(out, sampleJSONOf(sm))
	}
	return c.JSON(fiber.Map{"samples": out})
}

func (s *Server) apiDrawSample(c *fiber.Ctx) error {
	var in struct {
		Month string `json:"month"`
	}
	if err := c.BodyParser(&in); err != nil {
		return apperr.E(apperr.Invalid, "error.invalid_json", err)
	}
	sm, err := s.drawSampleFor(c, in.Month)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(sampleJSONOf(sm))
}

func (s *Server) apiSample(c *fiber.Ctx) error {
	id, err := sampleID(c)
	if err != nil {
		return err
	}
	sm, err := s.retentionDB().AccessSample(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(sampleJSONOf(sm))
}

func (s *Server) apiReviewSample(c *fiber.Ctx) error {
	id, err := sampleID(c)
	if err != nil {
		return err
	}
	var in struct {
		Reviews []struct {
			Position int    `json:"position"`
			Outcome  string `json:"outcome"`
			Note     string `json:"note"`
		} `json:"reviews"`
	}
	if err := c.BodyParser(&in); err != nil {
		return apperr.E(apperr.Invalid, "error.invalid_json", err)
	}
	var rs []retention.ItemReview
	for _, r := range in.Reviews {
		rs = append(rs, retention.ItemReview{Position: r.Position, Outcome: r.Outcome, Note: r.Note})
	}
	sm, err := s.retentionDB().ReviewAccessSample(c.UserContext(), id, rs)
	if err != nil {
		return err
	}
	return c.JSON(sampleJSONOf(sm))
}
