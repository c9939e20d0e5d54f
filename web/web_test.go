package web_test

import (
	"bytes"
	"html/template"
	"io/fs"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/gofiber/template/html/v2"

	"github.com/storsthlm/mottagning/internal/i18n"
	"github.com/storsthlm/mottagning/web"
)

// page mirrors the data every template receives from internal/httpapi.
type page struct {
	Lang     string
	Youth    bool
	Path     string
	CSRF     string
	Nonce    string
	SignedIn bool
	Staff    bool
	Data     any
}

type kommunLink struct {
	Slug, Name, Status string
	Open, Suspended    bool
}

type contact struct{ Phone, Email, Address, Website string }

type kommun struct {
	Slug, Name, Status string
	Contact            contact
	PrivacyPolicyURL   string
}

type controller struct{ Name, Address, Email, Phone, Website string }

type dpo struct{ Name, Email, Phone string }

// engine builds the Fiber html engine the way the server does.
func engine(t *testing.T) (*html.Engine, *i18n.Translator) {
	t.Helper()
	tr, err := i18n.New(web.FS)
	if err != nil {
		t.Fatal(err)
	}
	sub, err := fs.Sub(web.FS, "templates")
	if err != nil {
		t.Fatal(err)
	}
	e := html.NewFileSystem(http.FS(sub), ".html")
	e.AddFunc("t", tr.T)
	e.AddFunc("tf", tr.Tf)
	if err := e.Load(); err != nil {
		t.Fatal(err)
	}
	return e, tr
}

func render(t *testing.T, e *html.Engine, name string, p page) string {
	t.Helper()
	var buf bytes.Buffer
	if err := e.Render(&buf, name, p, "layouts/main"); err != nil {
		t.Fatalf("render %s (%s): %v", name, p.Lang, err)
	}
	return buf.String()
}

var nacka = kommun{
	Slug: "nacka", Name: "Nacka", Status: "active",
	Contact: contact{Phone: "08-718 80 00", Email: "ungdomsmottagningen@nacka.se",
		Address: "Granitvägen 15, 131 40 Nacka", Website: "https://www.nacka.se/um"},
	PrivacyPolicyURL: "https://www.nacka.se/personuppgifter",
}

// reception is the data of the reception page (httpapi's receptionView).
type reception struct {
	Kommun                              kommun
	Published, Preview, Suspended, Open bool
	Name, Address, Phone, Email, Status string
	Intro                               template.HTML
	HasPrivacy, HasHours                bool
	Week                                []struct {
		Name, Hours string
		Today       bool
	}
	Exceptions []struct{ When, What string }
	Services   []struct {
		Name, State string
		Available   bool
	}
	Languages, Accessibility string
}

// receptionOf is a reception page never published: the registry's facts.
func receptionOf(k kommun) reception {
	return reception{Kommun: k, Suspended: k.Status == "suspended", Name: k.Name, Address: k.Contact.Address,
		Phone: k.Contact.Phone, Email: k.Contact.Email, HasPrivacy: k.PrivacyPolicyURL != ""}
}

func suspended(k kommun) kommun { k.Status = "suspended"; return k }

// startSample is the start page's data (httpapi startData).
type startSample struct {
	Kommuner []kommunLink
	Query    string
	Chats    []ongoingChat
}

// ongoingChat is a signed-in youth's open conversation (httpapi ongoingChat).
type ongoingChat struct{ Kommun, URL string }

func samplePages() map[string]page {
	return map[string]page{
		"start": {Youth: true, Path: "/", Data: startSample{Kommuner: []kommunLink{{Slug: "nacka", Name: "Nacka", Status: "Öppet nu. Stänger i dag kl. 16:00.", Open: true}, {Slug: "solna", Name: "Solna"}},
			Chats: []ongoingChat{{Kommun: "Nacka kommun", URL: "/nacka/chatt"}}}},
		"start-search":     {Youth: true, Path: "/", Data: startSample{Kommuner: []kommunLink{{Slug: "solna", Name: "Solna"}}, Query: "sol"}},
		"start-nomatch":    {Youth: true, Path: "/", Data: startSample{Query: `<script>alert(1)</script>`}},
		"kommun":           {Youth: true, Path: "/nacka", Data: receptionOf(nacka)},
		"kommun-suspended": {Youth: true, Path: "/nacka", Data: receptionOf(suspended(nacka))},
		"privacy": {Youth: true, Path: "/integritet", Data: struct {
			Controller controller
			DPO        dpo
		}{
			controller{Name: "Storsthlm", Address: "Box 1234, 111 11 Stockholm", Email: "info@storsthlm.example",
				Phone: "08-000 00 00", Website: "https://www.storsthlm.se"},
			dpo{Name: "Dataskyddsombudet", Email: "dataskyddsombud@storsthlm.example", Phone: "08-111 11 11"},
		}},
		"error": {Youth: false, Path: "/nope", Data: struct {
			Status        int
			Message, Hint string
		}{404, "Sidan finns inte.", "Du kan alltid börja om från startsidan."}},
	}
}

func templateOf(key string) string { return strings.SplitN(key, "-", 2)[0] }

func TestEveryPageRendersInBothLanguages(t *testing.T) {
	e, tr := engine(t)
	for key, p := range samplePages() {
		for _, lang := range i18n.Languages() {
			p.Lang = lang
			out := render(t, e, templateOf(key), p)
			if !strings.Contains(out, "<title>Ungdomsmottagningen</title>") {
				t.Errorf("%s/%s: the title must be just Ungdomsmottagningen", key, lang)
			}
			if n := strings.Count(out, "<title>"); n != 1 {
				t.Errorf("%s/%s: %d titles", key, lang, n)
			}
			if !strings.Contains(out, `<html lang="`+lang+`">`) {
				t.Errorf("%s/%s: html lang attribute missing", key, lang)
			}
			for _, bad := range []string{"<no value>", "ZgotmplZ", "%!"} {
				if strings.Contains(out, bad) {
					t.Errorf("%s/%s: output contains %q", key, lang, bad)
				}
			}
			for _, id := range tr.IDs(lang) {
				if strings.Contains(out, id) {
					t.Errorf("%s/%s: untranslated id %q in the page", key, lang, id)
				}
			}
			hasExit := strings.Contains(out, `id="quick-exit"`)
			if hasExit != p.Youth {
				t.Errorf("%s/%s: quick exit shown = %v, youth page = %v", key, lang, hasExit, p.Youth)
			}
			if p.Youth && !strings.Contains(out, `href="/lamna"`) {
				t.Errorf("%s/%s: quick exit must go to /lamna", key, lang)
			}
			if strings.Count(out, "<h1") != 1 {
				t.Errorf("%s/%s: want exactly one h1", key, lang)
			}
			if !strings.Contains(out, `<main id="main"`) || !strings.Contains(out, `href="#main"`) {
				t.Errorf("%s/%s: main landmark or skip link missing", key, lang)
			}
			if !strings.Contains(out, `href="/integritet"`) {
				t.Errorf("%s/%s: footer link to /integritet missing", key, lang)
			}
			other := map[string]string{"sv": "en", "en": "sv"}[lang]
			if !strings.Contains(out, `href="`+p.Path+`?lang=`+other+`"`) {
				t.Errorf("%s/%s: language switch to %s missing", key, lang, other)
			}
			assertSameOriginResources(t, key+"/"+lang, out)
		}
	}
}

func TestQuickExitTextIsSwedishOnSwedishPages(t *testing.T) {
	e, _ := engine(t)
	p := samplePages()["start"]
	p.Lang = "sv"
	if out := render(t, e, "start", p); !strings.Contains(out, `<a class="quick-exit" href="/lamna" id="quick-exit">Lämna sidan snabbt</a>`) {
		t.Error("quick-exit link not as agreed")
	}
}

// assertSameOriginResources checks rendered HTML (with kommun links to other
// sites in the data): resources come only from this site (S3).
func assertSameOriginResources(t *testing.T, what, out string) {
	t.Helper()
	attrRe := regexp.MustCompile(`(?i)\s(src|srcset|poster|action|formaction)="([^"]*)"`)
	for _, m := range attrRe.FindAllStringSubmatch(out, -1) {
		if !strings.HasPrefix(m[2], "/") || strings.HasPrefix(m[2], "//") {
			t.Errorf("%s: %s=%q is not same-origin", what, m[1], m[2])
		}
	}
	for _, link := range regexp.MustCompile(`(?is)<link\b[^>]*>`).FindAllString(out, -1) {
		h := regexp.MustCompile(`href="([^"]*)"`).FindStringSubmatch(link)
		if h == nil || !strings.HasPrefix(h[1], "/") || strings.HasPrefix(h[1], "//") {
			t.Errorf("%s: %s is not same-origin", what, link)
		}
	}
}

func TestStartPageListsAndSearches(t *testing.T) {
	e, _ := engine(t)
	pages := samplePages()
	p := pages["start"]
	p.Lang = "sv"
	out := render(t, e, "start", p)
	for _, want := range []string{`href="/nacka">Nacka</a>`, `href="/solna">Solna</a>`,
		`method="get" action="/"`, `name="q"`, "Du kan vara anonym.",
		`Du har en pågående chatt med ungdomsmottagningen i Nacka kommun. <a href="/nacka/chatt">Gå till chatten</a>`} {
		if !strings.Contains(out, want) {
			t.Errorf("start page lacks %q", want)
		}
	}
	p = pages["start-search"]
	p.Lang = "sv"
	if out := render(t, e, "start", p); !strings.Contains(out, `value="sol"`) || strings.Contains(out, "/nacka") {
		t.Error("search query not kept in the field, or unfiltered list")
	}
	p = pages["start-nomatch"]
	p.Lang = "sv"
	out = render(t, e, "start", p)
	if strings.Contains(out, "<script>alert") {
		t.Error("query is not escaped")
	}
	if !strings.Contains(out, "Vi hittade ingen kommun") {
		t.Error("no friendly no-match text")
	}
}

func TestP8_ReceptionPageLinksKommunPrivacyPolicyAndContacts(t *testing.T) {
	e, _ := engine(t)
	p := samplePages()["kommun"]
	p.Lang = "sv"
	out := render(t, e, "kommun", p)
	for _, want := range []string{
		`href="/nacka/integritetspolicy"`, "Så behandlar Nacka dina personuppgifter",
		`href="tel:08-718%2080%2000"`, `href="mailto:ungdomsmottagningen@nacka.se"`,
		`href="/nacka/webbplats"`, "https://www.nacka.se/um", "Granitvägen 15, 131 40 Nacka",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("reception page lacks %q", want)
		}
	}
	if strings.Contains(out, "tillfälligt stängt") {
		t.Error("active reception shows the suspended notice")
	}
	p = samplePages()["kommun-suspended"]
	p.Lang = "sv"
	out = render(t, e, "kommun", p)
	if !strings.Contains(out, "Mottagningen har tillfälligt stängt i tjänsten") || !strings.Contains(out, "mailto:ungdomsmottagningen@nacka.se") {
		t.Error("suspended reception: notice or contact details missing")
	}
}

func TestP9_PrivacyPageShowsConfiguredContacts(t *testing.T) {
	e, _ := engine(t)
	for _, lang := range i18n.Languages() {
		p := samplePages()["privacy"]
		p.Lang = lang
		out := render(t, e, "privacy", p)
		for _, want := range []string{"Storsthlm", "Box 1234, 111 11 Stockholm", "mailto:info@storsthlm.example",
			"mailto:dataskyddsombud@storsthlm.example", "Dataskyddsombudet", `href="/integritet/storsthlm"`, "https://www.storsthlm.se"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s: privacy page lacks %q", lang, want)
			}
		}
	}
	// Nothing hard-coded: other configuration shows up instead.
	raw, err := fs.ReadFile(web.FS, "templates/privacy.html")
	if err != nil {
		t.Fatal(err)
	}
	if regexp.MustCompile(`[\w.]+@storsthlm\.se|storsthlm\.se/`).Match(raw) {
		t.Error("privacy.html hard-codes Storsthlm contact details; they come from configuration")
	}
}

func TestP28_PrivacyPageExplainsHowToComplainToIMY(t *testing.T) {
	e, _ := engine(t)
	for _, lang := range i18n.Languages() {
		p := samplePages()["privacy"]
		p.Lang = lang
		out := render(t, e, "privacy", p)
		for _, want := range []string{"Integritetsskyddsmyndigheten", "IMY", "www.imy.se", "Box 8114", "104 20 Stockholm"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s: privacy page lacks %q", lang, want)
			}
		}
	}
}

func TestPrivacyPageCoversThePolicy(t *testing.T) {
	e, _ := engine(t)
	p := samplePages()["privacy"]
	p.Lang = "sv"
	out := render(t, e, "privacy", p)
	for _, want := range []string{"anonym", "365 dagar", "5 år", "raderas direkt när samtalet", "EU/EES",
		"Rätta", "Radera", "Begränsa", "Invända", "Ta tillbaka ditt samtycke", `href="/min-profil"`, "Kommunen"} {
		if !strings.Contains(out, want) {
			t.Errorf("privacy page lacks %q", want)
		}
	}
	p.Lang = "en"
	out = render(t, e, "privacy", p)
	for _, want := range []string{"anonymous", "365 days", "5 years", "EU/EEA", "data protection officer"} {
		if !strings.Contains(out, want) {
			t.Errorf("English privacy page lacks %q", want)
		}
	}
}

func TestErrorPageIsCalm(t *testing.T) {
	e, _ := engine(t)
	p := samplePages()["error"]
	p.Lang = "sv"
	out := render(t, e, "error", p)
	if !strings.Contains(out, "Sidan finns inte.") || !strings.Contains(out, "börja om från startsidan") {
		t.Error("message or hint missing")
	}
	if strings.Contains(out, "404") {
		t.Error("the status code is shown")
	}
	if !strings.Contains(out, `<a class="button" href="/">`) {
		t.Error("no link back to the start page")
	}
}

func TestStaticAssetsExist(t *testing.T) {
	for _, f := range []string{"static/app.css", "static/app.js", "static/favicon.svg", "static/robots.txt"} {
		b, err := fs.ReadFile(web.FS, f)
		if err != nil || len(b) == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	js, _ := fs.ReadFile(web.FS, "static/app.js")
	for _, want := range []string{"location.replace", "Escape", "quick-exit"} {
		if !bytes.Contains(js, []byte(want)) {
			t.Errorf("app.js lacks %q", want)
		}
	}
	for _, bad := range []string{"eval(", "new Function", "innerHTML", "document.write"} {
		if bytes.Contains(js, []byte(bad)) {
			t.Errorf("app.js uses %q", bad)
		}
	}
}
