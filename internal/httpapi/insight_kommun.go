package httpapi

import (
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/storsthlm/mottagning/internal/apperr"
	"github.com/storsthlm/mottagning/internal/retention"
)

// A kommun's access log for its reception admins, with filters and the
// monthly random sample they review (P14).

type logRow struct {
	When, Staff, Role, Action, ActionCode, Subject string
}

type sampleRow struct {
	ID, Month, Drawn         string
	Size, Reviewed, FollowUp int
}

type kommunLogData struct {
	form
	KommunName, Slug string
	Entries          []logRow
	Filtered         bool
	Samples          []sampleRow
	LastMonth        string // the latest month a sample may be drawn for (YYYY-MM)
	Limit            int
}

func (s *Server) logRowOf(lang string, e retention.LogEntry) logRow {
	staff := e.StaffName
	if staff == "" {
		staff = s.tr.T(lang, "accesslog.former_staff")
	}
	return logRow{When: stockholmTime(e.At), Staff: staff, Role: s.roleLabel(lang, e.Role),
		Action: s.actionLabel(lang, e.Action), ActionCode: e.Action, Subject: e.Subject}
}

func sampleRowOf(sm retention.Sample) sampleRow {
	return sampleRow{ID: sm.ID.String(), Month: sm.Month.Format("2006-01"), Drawn: stockholmTime(sm.DrawnAt),
		Size: sm.Size, Reviewed: sm.Reviewed, FollowUp: sm.FollowUp}
}

// lastEndedMonth is the month before the current one, in Stockholm time.
func lastEndedMonth(now time.Time) string {
	n := now.In(retention.Stockholm)
	return time.Date(n.Year(), n.Month(), 1, 0, 0, 0, 0, retention.Stockholm).AddDate(0, -1, 0).Format("2006-01")
}

// kommunLogPage shows the log with the filters of the query. Bad filters
// show the form again with what is wrong, and no entries.
func (s *Server) kommunLogPage(c *fiber.Ctx) error {
	f := newForm("from", c.Query("from"), "to", c.Query("to"), "action", c.Query("action"), "username", c.Query("username"))
	data := kommunLogData{form: f}
	filter, err := retention.ParseLogFilter(f.Values["from"], f.Values["to"], f.Values["action"], f.Values["username"])
	if err != nil {
		if ferr := s.formError(c, &data.form, err); ferr != nil {
			return ferr
		}
		return s.renderKommunLog(c, data, false)
	}
	return s.renderKommunLog(c, data, true, filter)
}

func (s *Server) renderKommunLog(c *fiber.Ctx, data kommunLogData, withEntries bool, filter ...retention.LogFilter) error {
	k, lang, ctx := kommunFrom(c), langOf(c), c.UserContext()
	data.KommunName, data.Slug, data.LastMonth, data.Limit = k.Name, k.Slug, lastEndedMonth(time.Now()), retention.LogLimit
	if withEntries && len(filter) == 1 {
		es, err := s.retentionDB().KommunAccessLog(ctx, filter[0])
		if err != nil {
			return err
		}
		for _, e := range es {
			data.Entries = append(data.Entries, s.logRowOf(lang, e))
		}
		data.Filtered = !filter[0].From.IsZero() || !filter[0].To.IsZero() || filter[0].Action != "" || filter[0].Username != ""
	}
	samples, err := s.retentionDB().AccessSamples(ctx)
	if err != nil {
		return err
	}
	for _, sm := range samples {
		data.Samples = append(data.Samples, sampleRowOf(sm))
	}
	return s.render(c, "accesslog", false, data)
}

// drawSample draws the sample of the chosen month. A malformed month, one
// not yet over, or one already sampled shows the log page again with why.
func (s *Server) drawSample(c *fiber.Ctx) error {
	month := c.FormValue("month")
	sm, err := s.drawSampleFor(c, month)
	if err != nil {
		data := kommunLogData{form: newForm("month", month)}
		if ferr := s.formError(c, &data.form, err); ferr != nil {
			return ferr
		}
		return s.renderKommunLog(c, data, false)
	}
	return c.Redirect("/personal/"+kommunFrom(c).Slug+"/logg/stickprov/"+sm.ID.String(), fiber.StatusSeeOther)
}

func (s *Server) drawSampleFor(c *fiber.Ctx, month string) (retention.Sample, error) {
	m, err := retention.ParseSampleMonth(month, time.Now())
	if err != nil {
		return retention.Sample{}, err
	}
	sm, err := s.retentionDB().DrawAccessSample(c.UserContext(), m, retention.SampleSize)
	if apperr.Is(err, apperr.Conflict) {
		return sm, apperr.InvalidFields(apperr.FieldError{Field: "month", Key: "error.accesslog.sample_exists"})
	}
	return sm, err
}

type sampleItemView struct {
	logRow
	Position       int
	Outcome, Note  string
	Reviewed       string
	OutcomeErr     string
	NoteErr        string
	OutcomeField   string
	NoteField      string
	OKChecked      bool
	FollowUpChosen bool
}

type samplePageData struct {
	form
	KommunName, Slug, ID, Month, Drawn string
	Size, Reviewed, FollowUp           int
	Items                              []sampleItemView
	Saved                              bool
}

func sampleID(c *fiber.Ctx) (uuid.UUID, error) {
	id, err := uuid.Parse(c.Params("id"))
	if err != nil {
		return uuid.Nil, apperr.E(apperr.NotFound, "error.accesslog.sample_not_found", err)
	}
	return id, nil
}

func (s *Server) samplePage(c *fiber.Ctx) error {
	id, err := sampleID(c)
	if err != nil {
		return err
	}
	sm, err := s.retentionDB().AccessSample(c.UserContext(), id)
	if err != nil {
		return err
	}
	return s.renderSample(c, sm, newForm(), nil, c.Query("sparat") == "1")
}

func (s *Server) renderSample(c *fiber.Ctx, sm retention.Sample, f form, entered map[int]retention.ItemReview, saved bool) error {
	k, lang := kommunFrom(c), langOf(c)
	data := samplePageData{form: f, KommunName: k.Name, Slug: k.Slug, ID: sm.ID.String(), Month: sm.Month.Format("2006-01"),
		Drawn: stockholmTime(sm.DrawnAt), Size: sm.Size, Reviewed: sm.Reviewed, FollowUp: sm.FollowUp, Saved: saved}
	for _, it := range sm.Items {
		v := sampleItemView{logRow: s.logRowOf(lang, it.Entry), Position: it.Position, Outcome: it.Outcome, Note: it.Note,
			Reviewed: stockholmTime(it.Reviewed)}
		if r, ok := entered[it.Position]; ok {
			v.Outcome, v.Note = r.Outcome, r.Note
		}
		v.OutcomeField, v.NoteField = "outcome_"+strconv.Itoa(it.Position), "note_"+strconv.Itoa(it.Position)
		v.OutcomeErr, v.NoteErr = f.Errors[v.OutcomeField], f.Errors[v.NoteField]
		v.OKChecked, v.FollowUpChosen = v.Outcome == retention.ReviewOK, v.Outcome == retention.ReviewFollowUp
		data.Items = append(data.Items, v)
	}
	return s.render(c, "accesslog_sample", false, data)
}

// reviewSample saves the outcomes and notes entered, all or none.
func (s *Server) reviewSample(c *fiber.Ctx) error {
	id, err := sampleID(c)
	if err != nil {
		return err
	}
	sm, err := s.retentionDB().AccessSample(c.UserContext(), id)
	if err != nil {
		return err
	}
	entered := map[int]retention.ItemReview{}
	var reviews []retention.ItemReview
	for _, it := range sm.Items {
		p := strconv.Itoa(it.Position)
		r := retention.ItemReview{Position: it.Position, Outcome: c.FormValue("outcome_" + p), Note: c.FormValue("note_" + p)}
		entered[it.Position] = r
		reviews = append(reviews, r)
	}
	if _, err := s.retentionDB().ReviewAccessSample(c.UserContext(), id, reviews); err != nil {
		f := newForm()
		if ferr := s.formError(c, &f, err); ferr != nil {
			return ferr
		}
		return s.renderSample(c, sm, f, entered, false)
	}
	return c.Redirect("/personal/"+kommunFrom(c).Slug+"/logg/stickprov/"+id.String()+"?sparat=1", fiber.StatusSeeOther)
}
