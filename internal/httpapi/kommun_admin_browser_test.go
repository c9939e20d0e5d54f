package httpapi

import (
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/storsthlm/mottagning/internal/authz"
)

// TestBrowserReceptionAdminPublishesAndYouthSeesIt: a reception admin
// edits the page in Chromium and publishes it; a youth on a 360 px phone
// sees the change without sideways scrolling.
func TestBrowserReceptionAdminPublishesAndYouthSeesIt(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	base := e.listen(t)
	admin, _ := kaMember(t, e, "nacka", authz.RoleReceptionAdmin)
	b := newChromeTab(t, base)
	b.signIn(admin.testClient)
	staffPage := b.page
	staffPage(chromedp.Navigate(base+"/personal/nacka/mottagning"), "open the editor")
	fields := map[string]string{
		"display_name": "Ungdomsmottagningen Nacka Forum", "introduction": "Hos oss kan du prata om **allt**.",
		"phone": "08-718 80 00", "email": "um@nacka.example", "privacy_policy_url": "https://www.nacka.se/integritet",
		"address": "Forumvägen 14, 131 53 Nacka", "languages": "svenska, engelska, persiska",
	}
	// The name is typed as a person would; the rest is set directly, which
	// keeps the test quick on a loaded machine (typing is per key).
	set := func(id, v string) {
		t.Helper()
		evalT[bool](b, `(document.getElementById(`+strconv.Quote(id)+`).value = `+strconv.Quote(v)+`, true)`)
	}
	set("display_name", "")
	b.do(chromedp.SendKeys(chromedp.ID("display_name"), fields["display_name"]))
	for id, v := range fields {
		if id != "display_name" {
			set(id, v)
		}
	}
	for _, d := range []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"} {
		set("hours_"+d, "00:00-24:00")
	}
	text := staffPage(chromedp.Click(chromedp.CSS(`button[name="then"][value="save"]`), chromedp.NodeVisible), "save the draft")
	if !strings.Contains(text, "Utkastet är sparat") {
		t.Fatalf("after saving: %s", text)
	}
	// Saved but not published: the public still sees the old page.
	if _, err := chromedp.Run(b.ctx, chromedp.NavigateResponse(base+"/nacka")); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(evalT[string](b, `document.body.innerText`), "Nacka Forum") {
		t.Fatal("the public page changed before publishing")
	}
	staffPage(chromedp.Navigate(base+"/personal/nacka/mottagning"), "back to the editor")
	text = staffPage(chromedp.Click(chromedp.ID("publish"), chromedp.NodeVisible), "publish")
	if !strings.Contains(text, "Sidan är publicerad") {
		t.Fatalf("after publishing: %s", text)
	}

	// A youth (no staff cookie) on a phone.
	if _, err := chromedp.Call(b.ctx, network.ClearBrowserCookies, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	b.open("/nacka")
	body := evalT[string](b, `document.body.innerText`)
	for _, want := range []string{"Ungdomsmottagningen Nacka Forum", "Öppet nu", "Forumvägen 14", "persiska", "Så behandlar Nacka kommun dina personuppgifter"} {
		if !strings.Contains(body, want) {
			t.Errorf("the youth's page lacks %q:\n%s", want, body)
		}
	}
	if n := evalT[int](b, `document.querySelectorAll('iframe, img[src^="http"], script[src^="http"]').length`); n != 0 {
		t.Errorf("%d things loaded from elsewhere on the reception page", n)
	}
	b.open("/?q=nacka")
	if !strings.Contains(evalT[string](b, `document.body.innerText`), "Öppet nu") {
		t.Error("the start page does not say Nacka is open now")
	}
}
