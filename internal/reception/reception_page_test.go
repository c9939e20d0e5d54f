package reception

import (
	"strings"
	"testing"

	"github.com/storsthlm/mottagning/internal/apperr"
)

func TestReceptionMarkdownSanitised(t *testing.T) {
	t.Parallel()
	src := "# Välkommen\n\nVi finns **här**. [Läs mer](https://kommun.example/um) och [mejla](mailto:um@kommun.example).\n\n" +
		"<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n" +
		"![karta](https://tracker.example/pixel.png) ![logga](/static/logo.svg) ![fel](//evil.example/a.png)\n\n" +
		"<a href=\"javascript:alert(1)\" onclick=\"alert(2)\">klicka</a> [js](javascript:alert(3))\n\n" +
		"<p onmouseover=\"alert(4)\" style=\"color:red\">hej</p><iframe src=\"https://evil.example\"></iframe>"
	out := string(RenderMarkdown(src))
	for _, bad := range []string{"<script", "alert(", "onerror", "onclick", "onmouseover", "javascript:", "tracker.example",
		"evil.example", "style=", "<iframe", "<h1"} {
		if strings.Contains(strings.ToLower(out), bad) {
			t.Errorf("output contains %q:\n%s", bad, out)
		}
	}
	for _, good := range []string{"<h2>Välkommen</h2>", "<strong>här</strong>", `href="https://kommun.example/um"`,
		`rel="nofollow noreferrer noopener"`, `src="/static/logo.svg"`, `href="mailto:um@kommun.example"`} {
		if !strings.Contains(out, good) {
			t.Errorf("output lacks %q:\n%s", good, out)
		}
	}
}

func validPage() Page {
	return Page{DisplayName: "Ungdomsmottagningen Nacka", Phone: "08-718 80 00", Email: "um@nacka.example",
		PrivacyPolicyURL: "https://www.nacka.se/integritet", Hours: Week{1: iv("09-16")}}
}

func fieldsOf(err error) map[string]string {
	out := map[string]string{}
	if e := apperr.As(err); e != nil {
		for _, f := range e.Fields {
			out[f.Field] = f.Key
		}
	}
	return out
}

func TestP8_PublishRequiresPrivacyLinkAndContacts(t *testing.T) {
	t.Parallel()
	if err := validPage().ValidatePublish(); err != nil {
		t.Fatalf("valid page refused: %v", err)
	}
	p := validPage()
	p.PrivacyPolicyURL, p.Phone, p.Email = "", "", ""
	if err := p.Validate(); err != nil {
		t.Fatalf("a draft may lack them: %v", err)
	}
	f := fieldsOf(p.ValidatePublish())
	for _, k := range []string{"privacy_policy_url", "phone", "email"} {
		if f[k] == "" {
			t.Errorf("publishing without %s should be refused: %v", k, f)
		}
	}
}

func TestReceptionFormRefusesBadFields(t *testing.T) {
	t.Parallel()
	cases := map[string]Form{
		"display_name":       {"display_name": ""},
		"phone":              {"phone": "ring oss"},
		"email":              {"email": "inte-en-adress"},
		"privacy_policy_url": {"privacy_policy_url": "javascript:alert(1)"},
		"hours_mon":          {"hours_mon": "16:00-09:00"},
		"hours_tue":          {"hours_tue": "09:00-12:00, 11:00-13:00"},
		"hours_wed":          {"hours_wed": "nio till fem"},
		"chat_thu":           {"chat_thu": "25-26"},
		"exceptions":         {"exceptions": "2026-13-01 stängt"},
		"introduction":       {"introduction": strings.Repeat("a", MaxIntroduction+1)},
		"address":            {"address": "Gatan 1\x00"},
		"languages":          {"languages": "<b>svenska</b>"},
		"accessibility":      {"accessibility": strings.Repeat("å", MaxAccessibility+1)},
	}
	for field, f := range cases {
		base := FormOf(validPage())
		for k, v := range f {
			base[k] = v
		}
		_, err := base.Page()
		if !apperr.Is(err, apperr.Invalid) || fieldsOf(err)[field] == "" {
			t.Errorf("%s: %v (%v)", field, err, fieldsOf(err))
		}
	}
	p, err := FormOf(validPage()).Page()
	if err != nil || p.DisplayName != "Ungdomsmottagningen Nacka" || len(p.Hours[1]) != 1 {
		t.Fatalf("round trip: %+v %v", p, err)
	}
}
