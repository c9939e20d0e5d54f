package httpapi

import (
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/text/collate"
	"golang.org/x/text/language"

	"github.com/storsthlm/mottagning/internal/tenant"
)

type kommunLink struct{ Slug, Name string }

type startData struct {
	Kommuner []kommunLink
	Query    string
}

// startPage lists every reception, filtered by the search box (which works
// without JavaScript: the server filters).
func (s *Server) startPage(c *fiber.Ctx) error {
	ks, err := s.store.Kommuner(c.UserContext())
	if err != nil {
		return err
	}
	q := strings.TrimSpace(c.Query("q"))
	data := startData{Query: clip(q, 60)}
	for _, k := range sortedKommuner(ks) {
		if k.Status == tenant.StatusOffboarded || !matches(k, q) {
			continue
		}
		data.Kommuner = append(data.Kommuner, kommunLink{Slug: k.Slug, Name: k.Name})
	}
	return c.Render("start", s.page(c, true, data))
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

type kommunData struct {
	Kommun kommunView
}

type kommunView struct {
	Slug, Name, Status string
	Contact            tenant.Contact
	PrivacyPolicyURL   string
}

func viewOf(k tenant.Kommun) kommunView {
	return kommunView{Slug: k.Slug, Name: k.Name, Status: string(k.Status), Contact: k.Contact, PrivacyPolicyURL: k.PrivacyPolicyURL}
}

func (s *Server) kommunPage(c *fiber.Ctx) error {
	return c.Render("kommun", s.page(c, true, kommunData{Kommun: viewOf(kommunFrom(c))}))
}
