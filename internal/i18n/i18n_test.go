package i18n

import (
	"html/template"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/storsthlm/mottagning/web"
)

func newTranslator(t *testing.T) *Translator {
	t.Helper()
	tr, err := New(web.FS)
	if err != nil {
		t.Fatalf("New(web.FS): %v", err)
	}
	return tr
}

// templateFiles returns every template under web/templates with its text.
func templateFiles(t *testing.T) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := fs.WalkDir(web.FS, "templates", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || path.Ext(p) != ".html" {
			return nil
		}
		b, err := fs.ReadFile(web.FS, p)
		if err != nil {
			return err
		}
		files[p] = string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"templates/layouts/main.html", "templates/start.html",
		"templates/kommun.html", "templates/privacy.html", "templates/error.html"} {
		if _, ok := files[want]; !ok {
			t.Errorf("missing template %s", want)
		}
	}
	return files
}

func TestMessageFilesHaveTheSameIDs(t *testing.T) {
	tr := newTranslator(t)
	sv, en := tr.IDs("sv"), tr.IDs("en")
	if len(sv) == 0 {
		t.Fatal("no Swedish messages")
	}
	for _, id := range sv {
		if !tr.Has("en", id) {
			t.Errorf("%q is in the Swedish messages but not the English", id)
		}
	}
	for _, id := range en {
		if !tr.Has("sv", id) {
			t.Errorf("%q is in the English messages but not the Swedish", id)
		}
	}
	for _, lang := range Languages() {
		for _, id := range tr.IDs(lang) {
			if strings.TrimSpace(tr.T(lang, id)) == "" {
				t.Errorf("%s: %q is empty", lang, id)
			}
		}
	}
}

func TestEveryAreaHasAFilePerLanguageAndNoMore(t *testing.T) {
	files, err := fs.Glob(web.FS, "i18n/*.toml")
	if err != nil {
		t.Fatal(err)
	}
	areas := map[string][]string{}
	for _, f := range files {
		base := strings.TrimSuffix(path.Base(f), ".toml")
		i := strings.LastIndex(base, ".")
		if i < 1 {
			t.Errorf("%s: want <area>.<lang>.toml", f)
			continue
		}
		areas[base[:i]] = append(areas[base[:i]], base[i+1:])
	}
	want := Languages()
	slices.Sort(want)
	for area, langs := range areas {
		slices.Sort(langs)
		if !slices.Equal(langs, want) {
			t.Errorf("area %s has message files for %v; want exactly %v", area, langs, want)
		}
	}
	if len(areas) == 0 {
		t.Fatal("no message files")
	}
}

// The error handler's messages.
func TestErrorMessagesExist(t *testing.T) {
	tr := newTranslator(t)
	for _, id := range []string{"error.not_found", "error.kommun_not_found", "error.too_large",
		"error.too_many", "error.invalid", "error.internal", "error.unauthorized",
		"error.forbidden", "error.conflict", "error.unavailable", "error.hint.back_home"} {
		for _, lang := range Languages() {
			if !tr.Has(lang, id) {
				t.Errorf("%s: missing %q", lang, id)
			}
		}
	}
	if got := tr.Tf("sv", "error.kommun_not_found", map[string]any{"Slug": "narnia"}); !strings.Contains(got, "narnia") {
		t.Errorf("error.kommun_not_found does not name the slug: %q", got)
	}
}

var (
	// A t or tf call with a literal message id: {{t .Lang "id"}}, (tf $.Lang "id" .Data).
	callRe = regexp.MustCompile(`\b(?:t|tf)\s+\$?\.Lang\s+"([^"]+)"`)
	// Any t or tf call at all, to catch calls the first pattern cannot check.
	anyCallRe = regexp.MustCompile(`(?:\{\{-?|\()\s*(?:t|tf)\s`)
)

func TestTemplatesUseOnlyKnownMessageIDs(t *testing.T) {
	tr := newTranslator(t)
	used := 0
	for name, text := range templateFiles(t) {
		calls := callRe.FindAllStringSubmatch(text, -1)
		if all := anyCallRe.FindAllString(text, -1); len(all) != len(calls) {
			t.Errorf("%s: %d t/tf calls but only %d with a literal id and .Lang; write them as {{t .Lang \"id\"}}", name, len(all), len(calls))
		}
		for _, m := range calls {
			used++
			for _, lang := range Languages() {
				if !tr.Has(lang, m[1]) {
					t.Errorf("%s uses %q, missing in the %s messages", name, m[1], lang)
				}
			}
		}
	}
	if used == 0 {
		t.Fatal("found no t/tf calls in the templates; is the pattern broken?")
	}
}

var stubFuncs = template.FuncMap{
	"t":     func(lang, id string) string { return id },
	"tf":    func(lang, id string, data any) string { return id },
	"embed": func() error { return nil },
}

// Parse every template into one set, as the Fiber html engine does, so a
// syntax error fails the suite; and make sure no {{define}} name is used
// twice (the engine would silently keep only the last one).
func TestTemplatesParse(t *testing.T) {
	files := templateFiles(t)
	set := template.New("").Funcs(stubFuncs)
	defined := map[string]string{}
	defineRe := regexp.MustCompile(`\{\{-?\s*define\s+"([^"]+)"`)
	for name, text := range files {
		base := strings.TrimSuffix(strings.TrimPrefix(name, "templates/"), ".html")
		if _, err := template.New(base).Funcs(stubFuncs).Parse(text); err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if _, err := set.New(base).Parse(text); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		for _, n := range append([]string{base}, submatches(defineRe, text)...) {
			if other, dup := defined[n]; dup {
				t.Errorf("template name %q defined in %s and %s", n, other, name)
			}
			defined[n] = name
		}
	}
	for _, n := range []string{"layouts/main", "start", "kommun", "privacy", "error"} {
		if set.Lookup(n) == nil {
			t.Errorf("template %q not found", n)
		}
	}
}

func submatches(re *regexp.Regexp, s string) []string {
	var out []string
	for _, m := range re.FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	return out
}

// S3: pages load nothing from third parties. Every resource reference in a
// template (src, srcset, poster, <link href>, form actions) is a same-origin
// path; plain <a href> navigation to another site is allowed. Static assets
// reference nothing outside either.
func TestS3_TemplatesLoadNothingFromThirdParties(t *testing.T) {
	attrRe := regexp.MustCompile(`(?i)\s(src|srcset|poster|data|action|formaction)\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)`)
	linkRe := regexp.MustCompile(`(?is)<link\b[^>]*>`)
	hrefRe := regexp.MustCompile(`(?i)\shref\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)`)
	forbiddenRe := regexp.MustCompile(`(?i)<(iframe|object|embed|frame|base|applet)\b|@import|url\(`)
	checked := 0
	for name, text := range templateFiles(t) {
		for _, m := range attrRe.FindAllStringSubmatch(text, -1) {
			checked++
			if !sameOrigin(m[2]) {
				t.Errorf("%s: %s=%s is not a same-origin path", name, m[1], m[2])
			}
		}
		for _, link := range linkRe.FindAllString(text, -1) {
			hrefs := hrefRe.FindAllStringSubmatch(link, -1)
			if len(hrefs) == 0 {
				t.Errorf("%s: <link> without href: %s", name, link)
			}
			for _, h := range hrefs {
				checked++
				if !sameOrigin(h[1]) {
					t.Errorf("%s: %s loads from elsewhere", name, link)
				}
			}
		}
		if m := forbiddenRe.FindString(text); m != "" {
			t.Errorf("%s: %q may load from elsewhere; serve it from /static instead", name, m)
		}
	}
	if checked < 3 {
		t.Fatalf("checked only %d references; the layout should load app.css, app.js and the icon", checked)
	}

	urlRe := regexp.MustCompile(`(?i)url\(\s*['"]?([^'")]*)`)
	for _, f := range []string{"static/app.css", "static/app.js"} {
		b, err := fs.ReadFile(web.FS, f)
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		if strings.Contains(s, "http://") || strings.Contains(s, "https://") || strings.Contains(s, "@import") {
			t.Errorf("%s refers to another site or imports", f)
		}
		for _, m := range urlRe.FindAllStringSubmatch(s, -1) {
			if !sameOrigin(m[1]) && !strings.HasPrefix(m[1], "data:") {
				t.Errorf("%s: url(%s) is not same-origin", f, m[1])
			}
		}
	}
	svg, err := fs.ReadFile(web.FS, "static/favicon.svg")
	if err != nil {
		t.Fatal(err)
	}
	if regexp.MustCompile(`(?i)href\s*=|<script|<image|<foreignObject|url\(`).Match(svg) {
		t.Error("favicon.svg references something; keep it self-contained")
	}
}

// sameOrigin reports whether an attribute value is a path on this site:
// it starts with one "/" (not "//", which names another host).
func sameOrigin(v string) bool {
	v = strings.Trim(v, `"'`)
	return strings.HasPrefix(v, "/") && !strings.HasPrefix(v, "//") && !strings.HasPrefix(v, `/\`)
}

func TestP11_MatchFollowsTheBrowserLanguage(t *testing.T) {
	for _, c := range []struct{ header, want string }{
		{"en-GB,en;q=0.9", "en"},
		{"en-US", "en"},
		{"en", "en"},
		{"sv-SE", "sv"},
		{"sv-SE,sv;q=0.9,en-US;q=0.8,en;q=0.7", "sv"},
		{"sv-FI", "sv"},
		{"de", "sv"},
		{"de-DE,de;q=0.9", "sv"},
		{"fr, en;q=0.5", "en"},
		{"", "sv"},
		{"   ", "sv"},
		{"*", "sv"},
		{"not a language header ;;; q=x", "sv"},
		{strings.Repeat("en-GB,", 500), "en"},
	} {
		if got := Match(c.header); got != c.want {
			t.Errorf("Match(%q) = %q, want %q", c.header, got, c.want)
		}
	}
	tr := newTranslator(t)
	if got := tr.Match("en-GB,en;q=0.9"); got != "en" {
		t.Errorf("Translator.Match = %q", got)
	}
}

func TestSupported(t *testing.T) {
	for lang, want := range map[string]bool{"sv": true, "en": true, "de": false, "": false, "EN": false, "sv-SE": false} {
		if got := Supported(lang); got != want {
			t.Errorf("Supported(%q) = %v", lang, got)
		}
	}
	if Languages()[0] != Default {
		t.Errorf("default language must come first: %v", Languages())
	}
}

func TestTAndTf(t *testing.T) {
	tr := newTranslator(t)
	if got := tr.T("sv", "layout.quick_exit"); got != "Lämna sidan snabbt" {
		t.Errorf("sv quick exit = %q", got)
	}
	if got := tr.T("en", "layout.quick_exit"); got == "" || got == "Lämna sidan snabbt" || got == "layout.quick_exit" {
		t.Errorf("en quick exit = %q", got)
	}
	// Unknown languages fall back to Swedish.
	if got, want := tr.T("de", "layout.quick_exit"), tr.T("sv", "layout.quick_exit"); got != want {
		t.Errorf("T(de) = %q, want the Swedish %q", got, want)
	}
	// Template data, as a struct and as a map.
	type kommun struct{ Name string }
	if got := tr.Tf("sv", "kommun.privacy_link", kommun{Name: "Nacka"}); got != "Så behandlar Nacka dina personuppgifter" {
		t.Errorf("Tf struct = %q", got)
	}
	if got := tr.Tf("en", "kommun.privacy_link", map[string]string{"Name": "Nacka"}); !strings.Contains(got, "Nacka") {
		t.Errorf("Tf map = %q", got)
	}
	if got := tr.Tf("sv", "error.kommun_not_found", struct{ Slug string }{"x-y"}); !strings.Contains(got, "”x-y”") {
		t.Errorf("Tf slug = %q", got)
	}
}

func TestMissingIDsReturnTheIDAndNeverPanic(t *testing.T) {
	tr := newTranslator(t)
	if got := tr.T("sv", "no.such.id"); got != "no.such.id" {
		t.Errorf("missing id = %q", got)
	}
	if got := tr.Tf("en", "no.such.id", 42); got != "no.such.id" {
		t.Errorf("missing id = %q", got)
	}
	// Data without the field the message wants, odd data, nil data.
	for _, data := range []any{nil, 7, struct{}{}, map[string]any{}, func() {}} {
		_ = tr.Tf("sv", "kommun.privacy_link", data)
	}
	var nilTr *Translator
	if got := nilTr.T("sv", "start.title"); got != "start.title" {
		t.Errorf("nil translator = %q", got)
	}
}

func TestNewRejectsMissingLanguages(t *testing.T) {
	sub, err := fs.Sub(web.FS, "static")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(sub); err == nil {
		t.Error("New on a tree without message files should fail")
	}
}
