package httpapi

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/storsthlm/mottagning/internal/account"
)

// Every staff page renders in Swedish and English: one h1, the language
// attribute, no youth quick exit, no untranslated message id, no template
// accident, and every form carries the CSRF token.
func TestStaffPagesRenderInBothLanguages(t *testing.T) {
	t.Parallel()
	se := newStaffEnv(t)
	link := se.invite(t, "ny@nacka.example", "nacka", account.RoleReceptionAdmin)
	idRe := regexp.MustCompile(`\b(?:error\.)?staff\.[a-z_]+\.[a-z_]+\b`)
	for _, lang := range []string{"sv", "en"} {
		email := "kim-" + lang + "@nacka.example"
		se.addStaff(t, email, "nacka", "counsellor")
		c := se.client()
		c.cookies["lang"] = lang
		pages := map[string]string{}
		_, pages["login"] = c.get(t, "/personal/logga-in")
		_, pages["invite"] = c.get(t, link)
		_, pages["gone"] = c.get(t, "/personal/inbjudan/"+strings.Repeat("B", 43))
		_, pages["login-error"] = c.signIn(t, email, "fel fel fel fel")
		c.signIn(t, email, staffPassword)
		_, pages["enrol"] = c.get(t, "/personal/tvafaktor/aktivera")
		secret := strings.ReplaceAll(staffMatch(t, pages["enrol"], `id="totp-secret">([^<]+)<`), " ", "")
		_, pages["enrol-error"] = c.post(t, "/personal/tvafaktor/aktivera", url.Values{"code": {"000000x"}})
		_, pages["recovery"] = c.post(t, "/personal/tvafaktor/aktivera", url.Values{"code": {se.code(t, secret, 0)}})
		_, pages["home"] = c.get(t, "/personal?reservkod=1")
		c.post(t, "/personal/logga-ut", url.Values{})
		_, pages["logged-out"] = c.get(t, "/personal/logga-in?utloggad=1")
		c.signIn(t, email, staffPassword)
		_, pages["totp"] = c.get(t, "/personal/tvafaktor")
		for name, body := range pages {
			what := name + "/" + lang
			if !strings.Contains(body, `<html lang="`+lang+`"`) {
				t.Errorf("%s: not in %s", what, lang)
			}
			if n := strings.Count(body, "<h1"); n != 1 {
				t.Errorf("%s: %d h1", what, n)
			}
			if strings.Contains(body, `id="quick-exit"`) {
				t.Errorf("%s: a staff page shows the youth quick exit", what)
			}
			for _, bad := range []string{"<no value>", "ZgotmplZ", "%!"} {
				if strings.Contains(body, bad) {
					t.Errorf("%s: contains %q", what, bad)
				}
			}
			if id := idRe.FindString(body); id != "" {
				t.Errorf("%s: untranslated %q", what, id)
			}
			if forms := strings.Count(body, `method="post"`); forms != strings.Count(body, `name="_csrf" value="`) {
				t.Errorf("%s: %d forms but not every one has the CSRF token", what, forms)
			}
		}
		if lang == "en" && !strings.Contains(pages["login"], "Staff sign-in") {
			t.Error("the English sign-in page is not in English")
		}
		if !strings.Contains(pages["logged-out"], se.srv.tr.T(lang, "staff.login.logged_out")) {
			t.Errorf("%s: no signed-out notice", lang)
		}
		if !strings.Contains(pages["home"], se.srv.tr.T(lang, "staff.home.recovery_used")) {
			t.Errorf("%s: no notice after a recovery code", lang)
		}
	}
	if res, _ := se.client().get(t, "/personal/tvafaktor/aktivera/qr.png"); res.StatusCode != http.StatusSeeOther {
		t.Errorf("the QR code without a session: %d; want a redirect to sign in", res.StatusCode)
	}
}
