package httpapi

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/storsthlm/mottagning/internal/retention"
)

// insightEntry is one access-log entry about the youth, in plain words:
// where, in what role, what, when; never who (P14).
type insightEntry struct {
	When, Kommun, Role, Action string
}

type insightData struct {
	Entries []insightEntry
}

func (s *Server) insightEntries(c *fiber.Ctx) ([]retention.LogEntry, error) {
	return s.retentionDB().MyAccessLog(c.UserContext(), youthID(c))
}

// insightView turns an entry into plain words in lang.
func (s *Server) insightView(lang string, e retention.LogEntry) insightEntry {
	kommun := e.Kommun
	if kommun == "" {
		kommun = s.tr.T(lang, "insight.platform")
	}
	return insightEntry{When: stockholmTime(e.At), Kommun: kommun, Role: s.roleLabel(lang, e.Role), Action: s.actionLabel(lang, e.Action)}
}

// roleLabel names a staff role in lang.
func (s *Server) roleLabel(lang, role string) string {
	if key := "insight.role." + role; s.tr.Has(lang, key) {
		return s.tr.T(lang, key)
	}
	return s.tr.T(lang, "insight.role.other")
}

// actionLabel says in plain words what an action was.
func (s *Server) actionLabel(lang, action string) string {
	if key := "insight.action." + strings.ReplaceAll(action, ".", "_"); s.tr.Has(lang, key) {
		return s.tr.T(lang, key)
	}
	return s.tr.T(lang, "insight.action.other")
}

// insightPage is "Vem har sett mina uppgifter?" (P14, P23).
func (s *Server) insightPage(c *fiber.Ctx) error {
	es, err := s.insightEntries(c)
	if err != nil {
		return err
	}
	lang := langOf(c)
	data := insightData{}
	for _, e := range es {
		data.Entries = append(data.Entries, s.insightView(lang, e))
	}
	return s.render(c, "insight", true, data)
}

type insightJSON struct {
	At     string `json:"at"`
	Kommun string `json:"kommun"`
	Role   string `json:"role"`
	Action string `json:"action"`
	Text   string `json:"text"`
}

func (s *Server) apiInsight(c *fiber.Ctx) error {
	es, err := s.insightEntries(c)
	if err != nil {
		return err
	}
	lang := langOf(c)
	out := []insightJSON{}
	for _, e := range es {
		v := s.insightView(lang, e)
		out = append(out, insightJSON{At: e.At.UTC().Format("2006-01-02T15:04:05Z"), Kommun: v.Kommun, Role: e.Role,
			Action: e.Action, Text: v.Action})
	}
	return c.JSON(fiber.Map{"entries": out})
}
