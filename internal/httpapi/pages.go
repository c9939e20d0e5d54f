package httpapi

import (
	"io/fs"
	"net/http"
	"net/url"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/storsthlm/mottagning/internal/tenant"
	"github.com/storsthlm/mottagning/web"
)

// page is the data every template receives (see web/templates).
type page struct {
	Lang     string
	Youth    bool // youth-facing: show the quick-exit button
	Path     string
	CSRF     string
	Nonce    string
	SignedIn bool // a youth is signed in: show Min profil and Logga ut
	Staff    bool // a staff member is signed in: show the staff start page and Logga ut
	// Policy announces a coming change of the privacy policy on youth
	// pages (P29); nil when nothing is coming or it has been read.
	Policy *policyNotice
	Data   any
}

func (s *Server) page(c *fiber.Ctx, youth bool, data any) page {
	sess, _ := sessionFrom(c)
	_, staff := staffSessionFrom(c)
	p := page{Lang: langOf(c), Youth: youth, Path: c.Path(), CSRF: csrfToken(c), Data: data,
		SignedIn: sess.AccountID != uuid.Nil, Staff: staff}
	if youth {
		p.Policy = s.policyNoticeFor(c)
	}
	return p
}

func webFS() fs.FS { return web.FS }

// subFS serves directory dir of the embedded web tree.
func subFS(fsys fs.FS, dir string) http.FileSystem {
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	return http.FS(sub)
}

type contactData struct{ Name, Address, Email, Phone, Website string }

type privacyData struct {
	Controller contactData
	DPO        contactData
}

// privacyPage shows the policy with Storsthlm's and its data protection
// officer's contact details from configuration (P9) and how to complain
// to IMY (P28).
// Once a version has been published and applies, its text replaces the
// built-in one (P29).
func (s *Server) privacyPage(c *fiber.Ctx) error {
	cfg := s.cfg
	data := privacyData{
		Controller: contactData{Name: cfg.StorsthlmName, Address: cfg.StorsthlmAddress, Email: cfg.StorsthlmEmail,
			Phone: cfg.StorsthlmPhone, Website: cfg.StorsthlmWebsite},
		DPO: contactData{Name: cfg.DPOName, Email: cfg.DPOEmail, Phone: cfg.DPOPhone},
	}
	if done, err := s.publishedPolicyPage(c, data); done || err != nil {
		return err
	}
	return c.Render("privacy", s.page(c, true, data))
}

// quickExit leaves the service for a neutral site. The page's script uses
// location.replace so no history entry stays behind; without script this
// redirect still gets the youth away at once.
func (s *Server) quickExit(c *fiber.Ctx) error {
	return c.Redirect(s.cfg.QuickExitURL, fiber.StatusSeeOther)
}

// redirectOut sends the browser to another site's page. Links to other
// sites go through here so that every href on our pages stays same-origin
// (S3) and the other site learns nothing about where the visitor was.
func (s *Server) redirectOut(target func(*fiber.Ctx) string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		u, err := url.Parse(target(c))
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return fiber.ErrNotFound
		}
		return c.Redirect(u.String(), fiber.StatusSeeOther)
	}
}

type kommunJSON struct {
	Slug             string `json:"slug"`
	Name             string `json:"name"`
	Code             string `json:"code"`
	Status           string `json:"status"`
	Demo             bool   `json:"demo"`
	Phone            string `json:"phone"`
	Email            string `json:"email"`
	Address          string `json:"address"`
	Website          string `json:"website,omitempty"`
	PrivacyPolicyURL string `json:"privacy_policy_url"`
}

func jsonOf(k tenant.Kommun) kommunJSON {
	return kommunJSON{Slug: k.Slug, Name: k.Name, Code: k.Code, Status: string(k.Status), Demo: k.Demo,
		Phone: k.Contact.Phone, Email: k.Contact.Email, Address: k.Contact.Address, Website: k.Contact.Website,
		PrivacyPolicyURL: k.PrivacyPolicyURL}
}

func (s *Server) apiKommuner(c *fiber.Ctx) error {
	ks, err := s.store.Kommuner(c.UserContext())
	if err != nil {
		return err
	}
	out := []kommunJSON{}
	for _, k := range sortedKommuner(ks) {
		if k.Status != tenant.StatusOffboarded {
			out = append(out, jsonOf(k))
		}
	}
	return c.JSON(fiber.Map{"kommuner": out})
}

func (s *Server) apiKommun(c *fiber.Ctx) error { return c.JSON(jsonOf(kommunFrom(c))) }
