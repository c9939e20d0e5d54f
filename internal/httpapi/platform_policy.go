package httpapi

import (
	"github.com/gofiber/fiber/v2"

	"github.com/storsthlm/mottagning/internal/account"
	"github.com/storsthlm/mottagning/internal/tenant"
)

// Publishing a privacy-policy version (P29). The effective date is at
// least account.PolicyNoticeDays ahead, unless the admin marks the change
// urgent and says why (then at least tomorrow).

type policyHeadView struct {
	Version, Date, Summary string
	Coming, Urgent         bool
}

type policyAdminData struct {
	form
	Versions   []policyHeadView
	Published  bool
	NoticeDays int
	Limits     map[string]int
}

func (s *Server) policyAdminPage(c *fiber.Ctx) error {
	f := newForm("effective_date", account.DefaultEffectiveDate(s.platformNow()))
	return s.renderPolicyAdmin(c, f, c.Query("publicerad") == "1")
}

func (s *Server) renderPolicyAdmin(c *fiber.Ctx, f form, published bool) error {
	t, err := s.policyTimeline(c.UserContext())
	if err != nil {
		return err
	}
	lang, now := langOf(c), s.platformNow()
	data := policyAdminData{form: f, Published: published, NoticeDays: account.PolicyNoticeDays,
		Limits: map[string]int{"Version": account.PolicyVersionMax, "Summary": account.PolicySummaryMax,
			"Text": account.PolicyTextMax, "Reason": account.PolicyUrgentReasonMax}}
	for _, v := range t {
		if cur := t.Current(now); !v.EffectiveAt.After(now) && (cur == nil || cur.ID != v.ID) {
			continue
		}
		data.Versions = append(data.Versions, policyHeadView{Version: v.Version, Date: longDate(lang, v.EffectiveAt),
			Summary: v.Summary(lang), Coming: v.EffectiveAt.After(now), Urgent: v.Urgent()})
	}
	return s.render(c, "platform_policy", false, data)
}

func policyInputFrom(c *fiber.Ctx) account.PolicyInput {
	return account.PolicyInput{Version: c.FormValue("version"), SummarySV: c.FormValue("summary_sv"),
		SummaryEN: c.FormValue("summary_en"), TextSV: c.FormValue("text_sv"), TextEN: c.FormValue("text_en"),
		EffectiveDate: c.FormValue("effective_date"), Urgent: c.FormValue("urgent") != "",
		UrgentReason: c.FormValue("urgent_reason")}
}

// publishPolicy publishes a new version; bad input shows the form again
// with everything kept, and nothing is published.
func (s *Server) publishPolicy(c *fiber.Ctx) error {
	in := policyInputFrom(c)
	f := newForm("version", in.Version, "summary_sv", in.SummarySV, "summary_en", in.SummaryEN,
		"text_sv", in.TextSV, "text_en", in.TextEN, "effective_date", in.EffectiveDate, "urgent_reason", in.UrgentReason)
	if in.Urgent {
		f.Values["urgent"] = "on"
	}
	if _, err := s.publishPolicyFor(c, in); err != nil {
		if rerr := s.formError(c, &f, err); rerr != nil {
			return rerr
		}
		return s.renderPolicyAdmin(c, f, false)
	}
	return c.Redirect("/plattform/policy?publicerad=1", fiber.StatusSeeOther)
}

func (s *Server) publishPolicyFor(c *fiber.Ctx, in account.PolicyInput) (account.PolicyVersion, error) {
	v, err := account.NewPolicyVersion(in, s.platformNow())
	if err != nil {
		return account.PolicyVersion{}, err
	}
	ps, _ := s.platformDB()
	out, err := ps.PublishPolicy(c.UserContext(), v)
	if err != nil {
		return out, err
	}
	s.forgetPolicies(c.UserContext())
	s.log.Info("policy: published", "request_id", requestID(c), "policy_version", out.ID.String(),
		"urgent", out.Urgent(), "staff", tenant.ActingFrom(c.UserContext()).AccountID.String())
	return out, nil
}

func (s *Server) apiPublishPolicy(c *fiber.Ctx) error {
	var in struct {
		Version       string `json:"version"`
		SummarySV     string `json:"summary_sv"`
		SummaryEN     string `json:"summary_en"`
		TextSV        string `json:"text_sv"`
		TextEN        string `json:"text_en"`
		EffectiveDate string `json:"effective_date"`
		Urgent        bool   `json:"urgent"`
		UrgentReason  string `json:"urgent_reason"`
	}
	if err := platformJSON(c, &in); err != nil {
		return err
	}
	v, err := s.publishPolicyFor(c, account.PolicyInput{Version: in.Version, SummarySV: in.SummarySV, SummaryEN: in.SummaryEN,
		TextSV: in.TextSV, TextEN: in.TextEN, EffectiveDate: in.EffectiveDate, Urgent: in.Urgent, UrgentReason: in.UrgentReason})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(policyJSONOf(v))
}
