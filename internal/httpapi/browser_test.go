package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/storsthlm/mottagning/internal/config"
)

// TestBrowserYouthRegistersEditsDownloadsDeletes walks a youth's whole
// account life in a real browser on a phone: register (P2), edit Min
// profil (P4, P12), download the data (P23) and delete the account (P24).
// It also shows that Chromium keeps the Secure session and CSRF cookies
// on http://127.0.0.1, so the cookies' Secure flag does not break local use.
func TestBrowserYouthRegistersEditsDownloadsDeletes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := newChromeTab(t, e.listen(t))
	const (
		username = "Nattuggla_17"
		password = "sju gröna äpplen i korgen"
		phone    = "070-123 45 67"
		e164     = "+46701234567"
		email    = "nattuggla17@example.se"
	)

	// a. Register with a made-up name and a passphrase; land on Min profil.
	if f := b.open("/registrera"); f.Lang != "sv" {
		t.Errorf("the browser asks for Swedish but the page is in %q", f.Lang)
	}
	b.fill("username", username)
	b.fill("password", password)
	status, f := b.submit(`form[action="/registrera"] button[type="submit"]`)
	for _, name := range []string{sessionCookie, "mottagning_csrf"} {
		c, ok := b.cookie(name)
		if !ok {
			t.Fatalf("Chromium did not keep the %s cookie from http://127.0.0.1", name)
		}
		if !c.Secure || !c.HTTPOnly || c.SameSite != network.CookieSameSiteLax {
			t.Errorf("cookie %s: secure=%v httpOnly=%v sameSite=%q; want Secure, HttpOnly, Lax", name, c.Secure, c.HTTPOnly, c.SameSite)
		}
	}
	wantPath(t, f, "/min-profil")
	if status != 200 {
		t.Fatalf("after registering: %s answered %d; want Min profil (200)", f.URL, status)
	}

	// b. Edit the profile: phone in a Swedish format, e-mail, SMS notices on.
	b.fill("phone", phone)
	b.fill("email", email)
	if evalT[bool](b, `document.getElementById('sms_notices').checked`) {
		t.Error("SMS notices are on before the youth turned them on; they must be off by default")
	}
	// Tick the box through the DOM: a click by screen position depends on
	// font metrics and can land beside a small checkbox on a phone layout.
	b.do(chromedp.WaitVisible(chromedp.ID("sms_notices")),
		chromedp.Evaluate[chromedp.Void](`document.getElementById('sms_notices').click()`))
	if !evalT[bool](b, `document.getElementById('sms_notices').checked`) {
		t.Fatal("the SMS checkbox did not tick")
	}
	status, f = b.submit("#save-profile")
	wantPath(t, f, "/min-profil")
	if status != 200 || !strings.Contains(f.Query, "sparat=1") {
		t.Fatalf("after saving: %s (%d); want /min-profil?sparat=1", f.URL, status)
	}
	if !evalT[bool](b, `(() => { const s = document.getElementById('saved');
		return !!s && s.getAttribute('role') === 'status' && s.getClientRects().length > 0; })()`) {
		t.Error("no visible #saved status message after saving")
	}
	if got := evalT[string](b, `document.getElementById('phone').value`); got != e164 {
		t.Errorf("phone field holds %q after saving; want it normalised to %q", got, e164)
	}
	if got := evalT[string](b, `document.getElementById('email').value`); got != email {
		t.Errorf("e-mail field holds %q after saving; want %q", got, email)
	}
	if !evalT[bool](b, `document.getElementById('sms_notices').checked`) {
		t.Error("SMS notices are off after the youth turned them on and saved")
	}

	// c. Download the data: the page links the file, and the file holds
	// the username, the number and the SMS consent.
	b.open("/min-profil/data")
	if href := evalT[string](b, `(document.getElementById('download-data') || {}).getAttribute?.('href') || ''`); href != "/min-profil/data.json" {
		t.Errorf("#download-data links to %q; want /min-profil/data.json", href)
	}
	file := evalT[fetched](b, `fetch('/min-profil/data.json').then(async r => ({status: r.status,
		type: r.headers.get('content-type') || '', disposition: r.headers.get('content-disposition') || '', body: await r.text()}))`)
	if file.Status != 200 || !strings.Contains(file.Type, "json") || !strings.HasPrefix(file.Disposition, "attachment") {
		t.Fatalf("GET /min-profil/data.json: %d, %q, %q; want 200, JSON, an attachment", file.Status, file.Type, file.Disposition)
	}
	var export any
	if err := json.Unmarshal([]byte(file.Body), &export); err != nil {
		t.Fatalf("the download is not JSON: %v", err)
	}
	for _, want := range []string{username, e164, email} {
		if !strings.Contains(file.Body, want) {
			t.Errorf("the download lacks %q", want)
		}
	}
	if !hasConsent(export, "sms") {
		t.Errorf("the download shows no consent to SMS notices:\n%s", file.Body)
	}

	// d. Delete the account with the password; it is gone at once.
	b.open("/min-profil/radera")
	b.fill("delete-password", password)
	status, f = b.submit("#delete-account")
	wantPath(t, f, "/konto-raderat")
	if status != 200 {
		t.Fatalf("after deleting: %s answered %d; want 200", f.URL, status)
	}
	res, err := chromedp.Run(b.ctx, chromedp.NavigateResponse(b.base+"/min-profil"))
	if err != nil {
		t.Fatal(err)
	}
	wantPath(t, b.check(), "/logga-in")
	if res.Status != 200 {
		t.Errorf("/min-profil after deletion ended at %d; want the sign-in page", res.Status)
	}
	if c, ok := b.cookie(sessionCookie); ok && c.Value != "" {
		t.Error("the browser still holds a session cookie after the account was deleted")
	}
	b.fill("username", username)
	b.fill("password", password)
	status, f = b.submit(`form[action="/logga-in"] button[type="submit"]`)
	wantPath(t, f, "/logga-in")
	msg := evalT[string](b, `(document.querySelector('.error-summary') || {}).textContent || ''`)
	if want := e.srv.tr.T("sv", "error.login.failed"); status != http.StatusUnauthorized || strings.TrimSpace(msg) != want {
		t.Errorf("signing in to the deleted account: %d %q; want 401 and the generic %q", status, msg, want)
	}
	if _, ok := b.cookie(sessionCookie); ok {
		t.Error("a failed sign-in left a session cookie")
	}
}

// TestBrowserQuickExitLeavesNoHistory presses "Lämna sidan snabbt", and
// then Esc twice, on a phone: each leaves for the neutral site and the
// page left behind is not in the browser history (location.replace), so
// the back button does not show where the youth was (UX principle 1).
func TestBrowserQuickExitLeavesNoHistory(t *testing.T) {
	t.Parallel()
	neutral := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!DOCTYPE html><html lang="sv"><title>Väder</title><p>Väder i dag</p></html>`)
	}))
	t.Cleanup(neutral.Close)
	exitURL := neutral.URL + "/vader"
	e := newEnv(t, func(c *config.Config) { c.QuickExitURL = exitURL })
	b := newChromeTab(t, e.listen(t))

	leave := func(how string, trigger ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		b.open("/")
		wantPath(t, b.open("/nacka"), "/nacka")
		before := evalT[int](b, `history.length`)
		res, err := chromedp.RunResponse(b.ctx, trigger...)
		if err != nil {
			t.Fatalf("%s: %v", how, err)
		}
		if res.URL != exitURL || res.Status != 200 {
			t.Fatalf("%s: ended at %s (%d); want the neutral site %s", how, res.URL, res.Status, exitURL)
		}
		if after := evalT[int](b, `history.length`); after != before {
			t.Errorf("%s: history.length %d before leaving, %d after; the exit must replace the page, not add to the history", how, before, after)
		}
		hist, err := chromedp.Run(b.ctx, chromedp.NavigationEntries())
		if err != nil {
			t.Fatal(err)
		}
		last := hist.Entries[hist.CurrentIndex]
		if last.URL != exitURL {
			t.Errorf("%s: the current history entry is %s; want %s", how, last.URL, exitURL)
		}
		if prev := hist.Entries[hist.CurrentIndex-1]; !sameOrigin(prev.URL, b.base) || strings.Contains(prev.URL, "/nacka") {
			t.Errorf("%s: pressing back would show %s; want the page before the reception page", how, prev.URL)
		}
	}

	leave("the quick-exit button", chromedp.Click(chromedp.ID("quick-exit"), chromedp.NodeVisible))

	// One Esc alone does nothing; the second within 1.5 s leaves.
	stillHere := chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if _, err := chromedp.Sleep(300*time.Millisecond)(ctx, tg); err != nil {
			return err
		}
		path, err := chromedp.Evaluate[string](`location.pathname`)(ctx, tg)
		if err == nil && path != "/nacka" {
			err = fmt.Errorf("one Esc already left for %s; it takes two", path)
		}
		return err
	})
	leave("Esc pressed twice", chromedp.KeyEvent(kb.Escape), stillHere, chromedp.KeyEvent(kb.Escape))
}

// fetched is a response as the page's fetch() saw it.
type fetched struct {
	Status      int    `json:"status"`
	Type        string `json:"type"`
	Disposition string `json:"disposition"`
	Body        string `json:"body"`
}
