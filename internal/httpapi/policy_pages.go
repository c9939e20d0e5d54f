package httpapi

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/storsthlm/mottagning/internal/account"
	"github.com/storsthlm/mottagning/internal/apperr"
	"github.com/storsthlm/mottagning/internal/tenant"
)

// Policy versions (P29): a coming change is announced on every youth page
// until it applies; then /integritet shows it.

const (
	// policyCacheTTL bounds how long a replica may show the notice state
	// it read; publishing clears the cache at once for every replica.
	policyCacheTTL = 30 * time.Second
	// policyCookie remembers, for a visitor without an account, which
	// coming version they have read, so the notice goes away. It holds the
	// version id only and dies when the version applies.
	policyCookie = "mottagning_policy_read"
)

// policyCacheKey is outside the server's rate-limit prefix (it is shared
// by every client), but carries it so that parallel tests stay apart.
func (s *Server) policyCacheKey() string { return "cache:policy:" + s.prefix + "timeline" }

func (s *Server) platformNow() time.Time {
	if s.accounts != nil && s.accounts.Now != nil {
		return s.accounts.Now()
	}
	return time.Now()
}

// policyTimeline returns the current and coming versions (summaries only),
// from Redis when it has them, else from PostgreSQL. It runs on every youth
// page, so it must be cheap; Redis being down only costs the query.
func (s *Server) policyTimeline(ctx context.Context) (account.PolicyTimeline, error) {
	ps, ok := s.platformDB()
	if !ok {
		return nil, nil
	}
	key := s.policyCacheKey()
	if s.rdb != nil {
		if b, err := s.rdb.Get(ctx, key).Bytes(); err == nil {
			var t account.PolicyTimeline
			if json.Unmarshal(b, &t) == nil {
				return t, nil
			}
		}
	}
	t, err := ps.PolicyTimeline(ctx)
	if err != nil {
		return nil, err
	}
	if s.rdb != nil {
		if b, err := json.Marshal(t); err == nil {
			_ = s.rdb.Set(ctx, key, b, policyCacheTTL).Err()
		}
	}
	return t, nil
}

// forgetPolicies drops the cached timeline (after publishing).
func (s *Server) forgetPolicies(ctx context.Context) {
	if s.rdb != nil {
		if err := s.rdb.Del(ctx, s.policyCacheKey()).Err(); err != nil {
			s.log.Warn("policy: cache not cleared; it expires by itself", "err", err)
		}
	}
}

// policyNotice is the banner of a coming policy change on youth pages.
type policyNotice struct {
	VersionID string
	Version   string
	Summary   string
	Date      string
	Next      string // the page to come back to after acknowledging
}

// policyNoticeFor returns the banner for this request, or nil when nothing
// is coming or this visitor has already read it. Failures only hide the
// banner: a page must not break over it.
func (s *Server) policyNoticeFor(c *fiber.Ctx) *policyNotice {
	if c.Path() == "/integritet/kommande" {
		return nil
	}
	t, err := s.policyTimeline(c.UserContext())
	if err != nil {
		s.log.Warn("policy: notice skipped", "request_id", requestID(c), "err", err)
		return nil
	}
	v := t.Coming(s.platformNow())
	if v == nil || s.policyRead(c, v.ID) {
		return nil
	}
	lang := langOf(c)
	return &policyNotice{VersionID: v.ID.String(), Version: v.Version, Summary: v.Summary(lang),
		Date: longDate(lang, v.EffectiveAt), Next: c.Path()}
}

// policyRead reports whether the visitor has acknowledged the version: a
// signed-in youth in the database, anyone else by the cookie.
func (s *Server) policyRead(c *fiber.Ctx, id uuid.UUID) bool {
	a := tenant.ActingFrom(c.UserContext())
	if a.Actor != tenant.ActorYouth {
		return c.Cookies(policyCookie) == id.String()
	}
	ps, _ := s.platformDB()
	ok, err := ps.PolicyAcknowledged(c.UserContext(), a.AccountID, id)
	if err != nil {
		s.log.Warn("policy: acknowledgement not read", "request_id", requestID(c), "err", err)
	}
	return ok
}

// policyBlock is one block of a published text: the text is plain, with
// blank lines between paragraphs, "## " and "### " starting headings and
// "- " starting list items. Everything is escaped when rendered.
type policyBlock struct {
	H2, H3, H4 string
	Items      []string
	Text       string
}

// policyBlocks splits text into blocks. With nested, its headings go one
// level down (the text sits in a section of its own).
func policyBlocks(text string, nested bool) []policyBlock {
	heading := func(level int, s string) policyBlock {
		if nested {
			level++
		}
		switch level {
		case 2:
			return policyBlock{H2: s}
		case 3:
			return policyBlock{H3: s}
		}
		return policyBlock{H4: s}
	}
	var out []policyBlock
	for _, chunk := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n\n") {
		lines := nonEmptyLines(chunk)
		if len(lines) == 0 {
			continue
		}
		switch {
		case strings.HasPrefix(lines[0], "### "):
			out = append(out, heading(3, strings.TrimSpace(lines[0][4:])))
			lines = lines[1:]
		case strings.HasPrefix(lines[0], "## "):
			out = append(out, heading(2, strings.TrimSpace(lines[0][3:])))
			lines = lines[1:]
		}
		if len(lines) == 0 {
			continue
		}
		if isList(lines) {
			b := policyBlock{}
			for _, l := range lines {
				b.Items = append(b.Items, strings.TrimSpace(l[2:]))
			}
			out = append(out, b)
			continue
		}
		out = append(out, policyBlock{Text: strings.Join(lines, " ")})
	}
	return out
}

func nonEmptyLines(chunk string) []string {
	var lines []string
	for _, l := range strings.Split(chunk, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	return lines
}

func isList(lines []string) bool {
	for _, l := range lines {
		if !strings.HasPrefix(l, "- ") && !strings.HasPrefix(l, "* ") {
			return false
		}
	}
	return true
}

// policyTextView is a version as a page shows it.
type policyTextView struct {
	ID, Version, Summary, Date string
	Blocks                     []policyBlock
}

func policyTextViewOf(lang string, v account.PolicyVersion, nested bool) policyTextView {
	return policyTextView{ID: v.ID.String(), Version: v.Version, Summary: v.Summary(lang),
		Date: longDate(lang, v.EffectiveAt), Blocks: policyBlocks(v.Text(lang), nested)}
}

type comingPolicyData struct {
	Coming       *policyTextView
	Acknowledged bool
	SignedIn     bool
}

// comingPolicyPage shows the text that will apply (P29), to everyone.
func (s *Server) comingPolicyPage(c *fiber.Ctx) error {
	data := comingPolicyData{SignedIn: tenant.ActingFrom(c.UserContext()).Actor == tenant.ActorYouth}
	t, err := s.policyTimeline(c.UserContext())
	if err != nil {
		return err
	}
	if head := t.Coming(s.platformNow()); head != nil {
		ps, _ := s.platformDB()
		v, err := ps.PolicyVersion(c.UserContext(), head.ID)
		if err != nil {
			return err
		}
		view := policyTextViewOf(langOf(c), v, true)
		data.Coming, data.Acknowledged = &view, s.policyRead(c, v.ID)
	}
	return s.render(c, "policy_coming", true, data)
}

// acknowledgePolicy records "Jag har läst": for a signed-in youth in the
// database (once), for anyone else in a cookie that only hides the notice.
func (s *Server) acknowledgePolicy(c *fiber.Ctx) error {
	id, err := uuid.Parse(c.FormValue("version"))
	if err != nil {
		return apperr.E(apperr.NotFound, "error.policy.not_found", err)
	}
	if err := s.acknowledge(c, id); err != nil {
		return err
	}
	return c.Redirect(policyNext(c.FormValue("next"), "/integritet/kommande"), fiber.StatusSeeOther)
}

func (s *Server) acknowledge(c *fiber.Ctx, id uuid.UUID) error {
	ps, _ := s.platformDB()
	ctx := c.UserContext()
	if a := tenant.ActingFrom(ctx); a.Actor == tenant.ActorYouth {
		return ps.AcknowledgePolicy(ctx, a.AccountID, id)
	}
	v, err := ps.PolicyVersion(ctx, id)
	if err != nil {
		return err
	}
	c.Cookie(&fiber.Cookie{Name: policyCookie, Value: v.ID.String(), Path: "/", HTTPOnly: true, Secure: true,
		SameSite: fiber.CookieSameSiteLaxMode, Expires: v.EffectiveAt.Add(24 * time.Hour)})
	return nil
}

// policyNext keeps a redirect on this site.
func policyNext(next, fallback string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return fallback
	}
	return next
}

type currentPolicyData struct {
	privacyData
	Policy policyTextView
}

// publishedPolicyPage renders /integritet from the newest version in force,
// if one has been published; it reports false when the built-in text
// applies. The configured contacts and the way to complain to IMY are
// always shown with it (P9, P28).
func (s *Server) publishedPolicyPage(c *fiber.Ctx, contacts privacyData) (bool, error) {
	t, err := s.policyTimeline(c.UserContext())
	if err != nil {
		return false, err
	}
	head := t.Current(s.platformNow())
	if head == nil {
		return false, nil
	}
	ps, _ := s.platformDB()
	v, err := ps.PolicyVersion(c.UserContext(), head.ID)
	if err != nil {
		return false, err
	}
	return true, s.render(c, "policy_current", true, currentPolicyData{privacyData: contacts, Policy: policyTextViewOf(langOf(c), v, false)})
}

// policyJSON is a version as the API shows it.
type policyJSON struct {
	ID          string    `json:"id"`
	Version     string    `json:"version"`
	SummarySV   string    `json:"summary_sv"`
	SummaryEN   string    `json:"summary_en"`
	TextSV      string    `json:"text_sv"`
	TextEN      string    `json:"text_en"`
	EffectiveAt time.Time `json:"effective_at"`
	PublishedAt time.Time `json:"published_at"`
	Urgent      bool      `json:"urgent"`
}

func policyJSONOf(v account.PolicyVersion) *policyJSON {
	return &policyJSON{ID: v.ID.String(), Version: v.Version, SummarySV: v.SummarySV, SummaryEN: v.SummaryEN,
		TextSV: v.TextSV, TextEN: v.TextEN, EffectiveAt: v.EffectiveAt.UTC(), PublishedAt: v.PublishedAt.UTC(),
		Urgent: v.Urgent()}
}

// apiPolicy returns the version in force and the coming one, with their
// texts; null where there is none (the built-in text applies).
func (s *Server) apiPolicy(c *fiber.Ctx) error {
	t, err := s.policyTimeline(c.UserContext())
	if err != nil {
		return err
	}
	now := s.platformNow()
	out := struct {
		Current      *policyJSON `json:"current"`
		Coming       *policyJSON `json:"coming"`
		Acknowledged *bool       `json:"acknowledged,omitempty"`
	}{}
	ps, _ := s.platformDB()
	for _, pick := range []struct {
		head *account.PolicyVersion
		dst  **policyJSON
	}{{t.Current(now), &out.Current}, {t.Coming(now), &out.Coming}} {
		if pick.head == nil {
			continue
		}
		v, err := ps.PolicyVersion(c.UserContext(), pick.head.ID)
		if err != nil {
			return err
		}
		*pick.dst = policyJSONOf(v)
	}
	if coming := t.Coming(now); coming != nil && tenant.ActingFrom(c.UserContext()).Actor == tenant.ActorYouth {
		read := s.policyRead(c, coming.ID)
		out.Acknowledged = &read
	}
	return c.JSON(out)
}

// apiAcknowledgePolicy records the youth's acknowledgement of a version:
// the one named, or else the coming one.
func (s *Server) apiAcknowledgePolicy(c *fiber.Ctx) error {
	var in struct {
		VersionID string `json:"version_id"`
	}
	if len(c.Body()) > 0 {
		if err := platformJSON(c, &in); err != nil {
			return err
		}
	}
	var id uuid.UUID
	if in.VersionID != "" {
		parsed, err := uuid.Parse(in.VersionID)
		if err != nil {
			return apperr.E(apperr.NotFound, "error.policy.not_found", err)
		}
		id = parsed
	} else {
		t, err := s.policyTimeline(c.UserContext())
		if err != nil {
			return err
		}
		coming := t.Coming(s.platformNow())
		if coming == nil {
			return apperr.New(apperr.NotFound, "error.policy.nothing_coming")
		}
		id = coming.ID
	}
	if err := s.acknowledge(c, id); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"version_id": id.String(), "acknowledged": true})
}
