package httpapi

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"golang.org/x/text/collate"
	"golang.org/x/text/language"

	"github.com/storsthlm/mottagning/internal/apperr"
	"github.com/storsthlm/mottagning/internal/reception"
	"github.com/storsthlm/mottagning/internal/tenant"
)

type kommunLink struct {
	Slug, Name string
	Status     string // open now or not, and until or from when; "" if unknown
	Open       bool
	Suspended  bool
}

type startData struct {
	Kommuner []kommunLink
	Query    string
	Chats    []ongoingChat // a signed-in youth's open conversations
}

// startPage lists every reception with whether it is open now, filtered
// by the search box (which works without JavaScript: the server filters).
// The published pages are read in one query, never one per kommun.
func (s *Server) startPage(c *fiber.Ctx) error {
	ctx := c.UserContext()
	ks, err := s.store.Kommuner(ctx)
	if err != nil {
		return err
	}
	pages, err := s.publishedPages(ctx)
	if err != nil {
		return err
	}
	lang, now := langOf(c), s.receptionNow()
	q := strings.TrimSpace(c.Query("q"))
	data := startData{Query: clip(q, 60)}
	if data.Chats, err = s.ongoingChats(ctx); err != nil {
		return err
	}
	for _, k := range sortedKommuner(ks) {
		if k.Status == tenant.StatusOffboarded || !matches(k, q) {
			continue
		}
		l := kommunLink{Slug: k.Slug, Name: k.Name, Suspended: k.Status == tenant.StatusSuspended}
		if pub, ok := pages[k.ID]; ok && !l.Suspended {
			if sched := pub.Page.Schedule(); hasHours(sched) {
				st := sched.At(now)
				l.Open, l.Status = st.Open, s.statusText(lang, "reception.status", st, now)
			}
		}
		data.Kommuner = append(data.Kommuner, l)
	}
	return c.Render("start", s.page(c, true, data))
}

func hasHours(s reception.Schedule) bool {
	for _, d := range s.Week {
		if len(d) > 0 {
			return true
		}
	}
	return false
}

// receptionDB is the store of reception pages; nil if the server was
// wired without one (the pages then show the registry's facts).
func (s *Server) receptionDB() receptionStore {
	if s.accountDB == nil {
		return nil
	}
	return s.accountDB
}

func (s *Server) publishedPages(ctx context.Context) (map[uuid.UUID]reception.Published, error) {
	if db := s.receptionDB(); db != nil {
		return db.PublishedReceptions(ctx)
	}
	return nil, nil
}

// publishedPage returns k's published page, or the registry's facts and
// false if none was ever published.
func (s *Server) publishedPage(ctx context.Context, k tenant.Kommun) (reception.Page, bool, error) {
	db := s.receptionDB()
	if db == nil {
		return reception.FromKommun(k), false, nil
	}
	pub, err := db.PublishedReception(ctx, k.ID)
	if apperr.Is(err, apperr.NotFound) {
		return reception.FromKommun(k), false, nil
	}
	if err != nil {
		return reception.Page{}, false, err
	}
	return pub.Page, true, nil
}

// sortedKommuner orders the kommuner by Swedish alphabetical order (Å, Ä, Ö last).
func sortedKommuner(ks []tenant.Kommun) []tenant.Kommun {
	col := collate.New(language.Swedish)
	ks = slices.Clone(ks)
	slices.SortFunc(ks, func(a, b tenant.Kommun) int { return col.CompareString(a.Name, b.Name) })
	return ks
}

func matches(k tenant.Kommun, q string) bool {
	if q == "" {
		return true
	}
	q = strings.ToLower(q)
	return strings.Contains(strings.ToLower(k.Name), q) || strings.Contains(k.Slug, q) || k.Code == q
}

type kommunView struct {
	Slug, Name, Status string
	Contact            tenant.Contact
	PrivacyPolicyURL   string
}

func viewOf(k tenant.Kommun) kommunView {
	return kommunView{Slug: k.Slug, Name: k.Name, Status: string(k.Status), Contact: k.Contact, PrivacyPolicyURL: k.PrivacyPolicyURL}
}

// kommunPage shows the kommun's published reception page, or the
// registry's facts if it was never published.
func (s *Server) kommunPage(c *fiber.Ctx) error {
	k := kommunFrom(c)
	p, published, err := s.publishedPage(c.UserContext(), k)
	if err != nil {
		return err
	}
	lang, now := langOf(c), s.receptionNow()
	v := s.receptionViewOf(lang, k, p, published, now)
	if chatOpenNow(k, p, now) {
		v.ChatNow = s.chatNowText(c.UserContext(), lang, k.ID)
	}
	return c.Render("kommun", s.page(c, true, v))
}

// chatOpenNow reports whether k's drop-in chat is open at now by its
// published page p.
func chatOpenNow(k tenant.Kommun, p reception.Page, now time.Time) bool {
	return k.Active() && p.Services.Chat && p.ChatSchedule().At(now).Open
}

// chatAnswering reports whether, the chat being open, at least one
// counsellor is available to answer (false if Redis cannot tell).
func (s *Server) chatAnswering(ctx context.Context, kommunID uuid.UUID) bool {
	n, err := s.chatAvailableCount(ctx, kommunID)
	return err == nil && n > 0
}

// chatNowText says, while the chat is open, whether counsellors are free to
// answer; "" if Redis cannot tell (the page then shows only the hours).
func (s *Server) chatNowText(ctx context.Context, lang string, kommunID uuid.UUID) string {
	n, err := s.chatAvailableCount(ctx, kommunID)
	switch {
	case err != nil:
		return ""
	case n == 0:
		return s.tr.T(lang, "chat.now.busy")
	case n == 1:
		return s.tr.T(lang, "chat.now.one")
	}
	return s.tr.Tf(lang, "chat.now.many", map[string]any{"Count": n})
}

// publishedPrivacyURL is the kommun's privacy policy: the published
// page's link, or the registry's.
func (s *Server) publishedPrivacyURL(c *fiber.Ctx) string {
	p, _, err := s.publishedPage(c.UserContext(), kommunFrom(c))
	if err != nil {
		return ""
	}
	return p.PrivacyPolicyURL
}

// mapURL is an ordinary map search for the reception's address (the page
// embeds no map: nothing is loaded from another site).
func (s *Server) mapURL(c *fiber.Ctx) string {
	p, _, err := s.publishedPage(c.UserContext(), kommunFrom(c))
	if err != nil || p.Address == "" {
		return ""
	}
	return "https://www.openstreetmap.org/search?query=" + url.QueryEscape(p.Address)
}

// receptionJSON is a published reception page with its state now.
type receptionJSON struct {
	Kommun    kommunJSON     `json:"kommun"`
	Published bool           `json:"published"`
	Page      reception.Page `json:"page"`
	OpenNow   bool           `json:"open_now"`
	Status    string         `json:"status"`
	ChatOpen  bool           `json:"chat_open_now"`
	// ChatAnswering: the chat is open now and a counsellor is available.
	ChatAnswering bool `json:"chat_counsellor_available"`
}

func (s *Server) apiReception(c *fiber.Ctx) error {
	k := kommunFrom(c)
	p, published, err := s.publishedPage(c.UserContext(), k)
	if err != nil {
		return err
	}
	now := s.receptionNow()
	st := p.Schedule().At(now)
	out := receptionJSON{Kommun: jsonOf(k), Published: published, Page: p, OpenNow: st.Open,
		Status: s.statusText(langOf(c), "reception.status", st, now), ChatOpen: chatOpenNow(k, p, now)}
	if out.ChatOpen {
		out.ChatAnswering = s.chatAnswering(c.UserContext(), k.ID)
	}
	return c.JSON(out)
}
