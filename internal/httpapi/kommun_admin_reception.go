package httpapi

import (
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/storsthlm/mottagning/internal/apperr"
	"github.com/storsthlm/mottagning/internal/audit"
	"github.com/storsthlm/mottagning/internal/reception"
)

// receptionEditData is the edit page of a kommun's reception page.
type receptionEditData struct {
	form
	Slug, KommunName string
	Days             []dayField
	Notice           string
	DraftSaved       string // when the draft was last saved, "" if never
	PublishedAt      string // when the page was last published, "" if never
}

// dayField names a weekday's opening-hours and chat-hours fields.
type dayField struct{ Name, HoursKey, ChatKey string }

// formFields are the fields of the edit form, as posted.
var formFields = func() []string {
	f := []string{"display_name", "introduction", "address", "phone", "email", "privacy_policy_url",
		"accessibility", "languages", "exceptions", "holidays_open", "service_chat", "service_booking", "service_video"}
	for _, d := range reception.DayKeys {
		f = append(f, "hours_"+d, "chat_"+d)
	}
	return f
}()

func (h *kommunAdmin) editPage(c *fiber.Ctx) error {
	p, err := h.draftOrPublished(c)
	if err != nil {
		return err
	}
	f := form{Values: reception.FormOf(p), Errors: map[string]string{}}
	switch {
	case c.Query("sparad") != "":
		return h.renderEdit(c, f, "reception.admin.saved")
	case c.Query("publicerad") != "":
		return h.renderEdit(c, f, "reception.admin.published")
	}
	return h.renderEdit(c, f, "")
}

// draftOrPublished is what the editor starts from: the draft, else the
// published page, else the registry's facts.
func (h *kommunAdmin) draftOrPublished(c *fiber.Ctx) (reception.Page, error) {
	d, err := h.accountDB.ReceptionDraft(c.UserContext())
	if err != nil || d.Saved {
		return d.Page, err
	}
	p, _, err := h.publishedPage(c.UserContext(), kommunFrom(c))
	return p, err
}

func (h *kommunAdmin) renderEdit(c *fiber.Ctx, f form, notice string) error {
	lang, k := langOf(c), kommunFrom(c)
	data := receptionEditData{form: f, Slug: k.Slug, KommunName: k.Name}
	if notice != "" {
		data.Notice = h.tr.T(lang, notice)
	}
	for _, wd := range reception.WeekOrder {
		key := reception.DayKeys[wd]
		data.Days = append(data.Days, dayField{Name: h.tr.T(lang, "reception.day."+key), HoursKey: "hours_" + key, ChatKey: "chat_" + key})
	}
	if d, err := h.accountDB.ReceptionDraft(c.UserContext()); err != nil {
		return err
	} else if d.Saved {
		data.DraftSaved = h.stamp(lang, d.UpdatedAt)
	}
	if pub, err := h.accountDB.PublishedReception(c.UserContext(), k.ID); err == nil {
		data.PublishedAt = h.stamp(lang, pub.PublishedAt)
	} else if !apperr.Is(err, apperr.NotFound) {
		return err
	}
	return h.render(c, "admin_reception", false, data)
}

// stamp formats a moment of the past for staff: "26 november 2026 kl. 13:05".
func (h *kommunAdmin) stamp(lang string, t time.Time) string {
	t = t.In(reception.Stockholm)
	return h.dateText(lang, t) + " " + h.tr.Tf(lang, "reception.at_time", map[string]any{"Time": t.Format("15:04")})
}

func postedForm(c *fiber.Ctx) reception.Form {
	f := reception.Form{}
	for _, k := range formFields {
		f[k] = c.FormValue(k)
	}
	return f
}

// saveDraft stores the edited draft; the public page does not change.
func (h *kommunAdmin) saveDraft(c *fiber.Ctx) error {
	rf := postedForm(c)
	f := form{Values: rf, Errors: map[string]string{}}
	p, err := rf.Page()
	if err == nil {
		err = h.accountDB.SaveReceptionDraft(c.UserContext(), p, string(audit.ReceptionDraftSave), "")
	}
	if err != nil {
		if rerr := h.formError(c, &f, err); rerr != nil {
			return rerr
		}
		return h.renderEdit(c, f, "")
	}
	if c.FormValue("then") == "preview" {
		return c.Redirect("/personal/"+kommunFrom(c).Slug+"/mottagning/forhandsvisning", fiber.StatusSeeOther)
	}
	return c.Redirect("/personal/"+kommunFrom(c).Slug+"/mottagning?sparad=1", fiber.StatusSeeOther)
}

// preview shows the draft exactly as the public page would show it.
func (h *kommunAdmin) preview(c *fiber.Ctx) error {
	p, err := h.draftOrPublished(c)
	if err != nil {
		return err
	}
	v := h.receptionViewOf(langOf(c), kommunFrom(c), p, true, h.receptionNow())
	v.Preview = true
	return c.Render("kommun", h.page(c, true, v))
}

// publish makes the saved draft the public page, if it has what a
// published page must have (P8); otherwise the editor shows what is missing.
func (h *kommunAdmin) publish(c *fiber.Ctx) error {
	err := h.accountDB.PublishReception(c.UserContext(), reception.Page.ValidatePublish, string(audit.ReceptionPublish))
	if err == nil {
		h.log.Info("reception: published", "request_id", requestID(c), "kommun", kommunFrom(c).Slug)
		return c.Redirect("/personal/"+kommunFrom(c).Slug+"/mottagning?publicerad=1", fiber.StatusSeeOther)
	}
	p, derr := h.draftOrPublished(c)
	if derr != nil {
		return derr
	}
	f := form{Values: reception.FormOf(p), Errors: map[string]string{}}
	if rerr := h.formError(c, &f, err); rerr != nil {
		return rerr
	}
	if e := apperr.As(err); e != nil && e.Key != "" {
		f.Error = h.tr.T(langOf(c), e.Key) // "the page cannot be published yet" says more than "check the fields"
	}
	return h.renderEdit(c, f, "")
}

// adminLogData is the kommun's log of administrative acts.
type adminLogData struct {
	Slug, KommunName string
	Entries          []adminLogRow
}

type adminLogRow struct{ When, Who, Role, What, Detail string }

const adminLogPage = 200

func (h *kommunAdmin) adminLog(c *fiber.Ctx) error {
	acts, err := h.accountDB.AdminActions(c.UserContext(), time.Time{}, adminLogPage)
	if err != nil {
		return err
	}
	lang, k := langOf(c), kommunFrom(c)
	data := adminLogData{Slug: k.Slug, KommunName: k.Name}
	for _, a := range acts {
		who := a.StaffName
		if who == "" {
			who = h.tr.T(lang, "kommun_admin.log.former_staff")
		}
		data.Entries = append(data.Entries, adminLogRow{When: h.stamp(lang, a.At), Who: who,
			Role: h.tr.T(lang, "staff.role."+a.StaffRole), What: h.tr.T(lang, "kommun_admin.action."+a.Action), Detail: a.Detail})
	}
	return h.render(c, "admin_log", false, data)
}

// --- JSON API ---

func (h *kommunAdmin) apiDraft(c *fiber.Ctx) error {
	p, err := h.draftOrPublished(c)
	if err != nil {
		return err
	}
	return c.JSON(p)
}

func (h *kommunAdmin) apiSaveDraft(c *fiber.Ctx) error {
	var p reception.Page
	if err := c.BodyParser(&p); err != nil {
		return apperr.E(apperr.Invalid, "error.invalid_json", err)
	}
	p.Normalize()
	if err := p.Validate(); err != nil {
		return err
	}
	if err := h.accountDB.SaveReceptionDraft(c.UserContext(), p, string(audit.ReceptionDraftSave), ""); err != nil {
		return err
	}
	return c.JSON(p)
}

func (h *kommunAdmin) apiPublish(c *fiber.Ctx) error {
	if err := h.accountDB.PublishReception(c.UserContext(), reception.Page.ValidatePublish, string(audit.ReceptionPublish)); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

type adminActionJSON struct {
	At        time.Time `json:"at"`
	StaffID   string    `json:"staff_id,omitempty"`
	StaffName string    `json:"staff_name"`
	StaffRole string    `json:"staff_role"`
	Action    string    `json:"action"`
	Detail    string    `json:"detail"`
}

func (h *kommunAdmin) apiAdminLog(c *fiber.Ctx) error {
	acts, err := h.accountDB.AdminActions(c.UserContext(), time.Time{}, adminLogPage)
	if err != nil {
		return err
	}
	out := []adminActionJSON{}
	for _, a := range acts {
		j := adminActionJSON{At: a.At, StaffName: a.StaffName, StaffRole: a.StaffRole, Action: a.Action, Detail: a.Detail}
		if a.StaffID != uuid.Nil {
			j.StaffID = a.StaffID.String()
		}
		out = append(out, j)
	}
	return c.JSON(fiber.Map{"actions": out})
}
