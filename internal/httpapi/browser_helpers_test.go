package httpapi

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// The browser tests drive a real headless Chromium against the real app on
// a loopback listener, on a phone-sized screen.
const (
	browserTimeout = 3 * time.Minute // the whole test, browser start included; generous for a loaded 2-core CI machine
	phoneWidth     = 360
	phoneHeight    = 740
)

// chromiumPath returns the browser to start: CHROMIUM_PATH, else Debian's
// chromium. A missing browser fails the test: a skipped browser test would
// hide that the promise it pins was never checked.
func chromiumPath(t *testing.T) string {
	t.Helper()
	p := os.Getenv("CHROMIUM_PATH")
	if p == "" {
		p = "/usr/bin/chromium"
	}
	full, err := exec.LookPath(p)
	if err != nil {
		t.Fatalf("no Chromium at %q (%v). Install Debian's chromium (apt-get install chromium) or run `make test`, "+
			"which installs it; CHROMIUM_PATH may name another Chromium.", p, err)
	}
	// Debian's /usr/bin/chromium is a shell wrapper that sources
	// /etc/chromium.d and adds flags of its own (extensions, API keys, GPU
	// rasterisation). Start the binary behind it, so the flags are only ours.
	if full == "/usr/bin/chromium" {
		if _, err := os.Stat("/usr/lib/chromium/chromium"); err == nil {
			return "/usr/lib/chromium/chromium"
		}
	}
	return full
}

// browserOptions are the complete command line we start Chromium with,
// built by hand rather than from chromedp.DefaultExecAllocatorOptions
// (which adds a score of flags we do not need). Besides these, chromedp
// adds --remote-debugging-pipe (how it talks to the browser), a fresh
// temporary --user-data-dir that it removes afterwards, and about:blank.
func browserOptions(path string) []chromedp.ExecAllocatorOption {
	return []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.NoDefaultBrowserCheck,
		chromedp.NoFirstRun,
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true), // containers run tests as root, where the sandbox cannot start
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true), // the machine has no internet; nothing may call out
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true), // /dev/shm is small in containers
	}
}

// chromeTab is one tab of a headless Chromium, pointed at the app at base.
type chromeTab struct {
	t    *testing.T
	ctx  context.Context
	base string
}

// newChromeTab starts Chromium for t, bounded by browserTimeout, with a
// phone-sized mobile viewport and a Swedish browser language. The browser
// is closed when t ends (before the app's listener, registered earlier).
func newChromeTab(t *testing.T, base string) *chromeTab {
	t.Helper()
	path := chromiumPath(t)
	bounded, cancelTimeout := context.WithTimeout(context.Background(), browserTimeout)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(bounded, browserOptions(path)...)
	ctx, cancelTab := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc() // waits for the browser to exit
		cancelTimeout()
	})
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium (%s): %v", path, err)
	}
	b := &chromeTab{t: t, ctx: ctx, base: base}
	ua := evalT[string](b, `navigator.userAgent`)
	if _, err := chromedp.Call(ctx, emulation.SetUserAgentOverride,
		emulation.SetUserAgentOverrideParams{UserAgent: ua, AcceptLanguage: "sv-SE,sv;q=0.9"}); err != nil {
		t.Fatalf("set browser language: %v", err)
	}
	b.do(chromedp.EmulateViewport(phoneWidth, phoneHeight, chromedp.EmulatePortrait, chromedp.EmulateMobile, chromedp.EmulateTouch))
	return b
}

// do runs actions that return nothing and fails the test on an error.
func (b *chromeTab) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.t.Fatalf("browser: %v", err)
	}
}

// evalT evaluates a JavaScript expression in the page and decodes its
// value; a promise is awaited.
func evalT[T any](b *chromeTab, expr string) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// pageFacts are what every visited page is checked for.
type pageFacts struct {
	URL         string `json:"url"`
	Path        string `json:"path"`
	Query       string `json:"query"`
	Title       string `json:"title"`
	Lang        string `json:"lang"`
	QuickExit   bool   `json:"quickExit"`
	ExitInView  bool   `json:"exitInView"`
	ScrollWidth int    `json:"scrollWidth"`
	InnerWidth  int    `json:"innerWidth"`
}

const pageFactsJS = `(() => {
	const exit = document.getElementById('quick-exit');
	const r = exit ? exit.getBoundingClientRect() : null;
	return {
		url: location.href, path: location.pathname, query: location.search,
		title: document.title, lang: document.documentElement.lang,
		quickExit: !!exit && exit.getAttribute('href') === '/lamna',
		exitInView: !!r && r.width > 0 && r.left >= 0 && r.right <= window.innerWidth,
		scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth,
	};
})()`

// check reads the facts of the current page and asserts what every youth
// page must have: the quick-exit button in view, the discreet tab title,
// and no sideways scrolling on a 360 px phone.
func (b *chromeTab) check() pageFacts {
	b.t.Helper()
	f := evalT[pageFacts](b, pageFactsJS)
	if f.Title != "Ungdomsmottagningen" {
		b.t.Errorf("%s: tab title %q; want just Ungdomsmottagningen", f.Path, f.Title)
	}
	if !f.QuickExit || !f.ExitInView {
		b.t.Errorf("%s: quick-exit button present=%v, in view=%v; want a #quick-exit link to /lamna on screen", f.Path, f.QuickExit, f.ExitInView)
	}
	if f.InnerWidth != phoneWidth {
		b.t.Errorf("%s: viewport %d px wide; want the emulated %d px", f.Path, f.InnerWidth, phoneWidth)
	}
	if f.ScrollWidth > f.InnerWidth {
		b.t.Errorf("%s: page is %d px wide on a %d px screen; it scrolls sideways", f.Path, f.ScrollWidth, f.InnerWidth)
	}
	return f
}

// open navigates to path, wants a 200 and checks the page.
func (b *chromeTab) open(path string) pageFacts {
	b.t.Helper()
	res, err := chromedp.Run(b.ctx, chromedp.NavigateResponse(b.base+path))
	if err != nil {
		b.t.Fatalf("open %s: %v", path, err)
	}
	if res.Status != 200 {
		b.t.Fatalf("GET %s: status %d; want 200", path, res.Status)
	}
	return b.check()
}

// submit clicks the element (a submit button), waits for the page that
// the form leads to (after redirects) and returns its status and facts.
func (b *chromeTab) submit(sel string) (int, pageFacts) {
	b.t.Helper()
	// The button submits its form through the DOM, as pressing it does
	// (requestSubmit keeps the button's name and value): a click by screen
	// position depends on font metrics and can land on the fixed quick-exit
	// button of a phone layout.
	b.do(chromedp.WaitVisible(chromedp.CSS(sel)))
	js := fmt.Sprintf(`(() => { const el = document.querySelector(%q); el.form.requestSubmit(el); })()`, sel)
	res, err := chromedp.RunResponse(b.ctx, chromedp.Evaluate[chromedp.Void](js))
	if err != nil {
		b.t.Fatalf("submit %s: %v", sel, err)
	}
	return int(res.Status), b.check()
}

// fill types v into the field with the given id, as a person would.
func (b *chromeTab) fill(id, v string) {
	b.t.Helper()
	b.do(chromedp.Clear(chromedp.ID(id)), chromedp.SendKeys(chromedp.ID(id), v))
}

// cookie returns the browser's cookie of that name for the app, if any.
func (b *chromeTab) cookie(name string) (*network.Cookie, bool) {
	b.t.Helper()
	res, err := chromedp.Call(b.ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{b.base + "/"}})
	if err != nil {
		b.t.Fatalf("read cookies: %v", err)
	}
	for _, c := range res.Cookies {
		if c.Name == name {
			return c, true
		}
	}
	return nil, false
}

// wantPath fails unless the page is at path.
func wantPath(t *testing.T, f pageFacts, path string) {
	t.Helper()
	if f.Path != path {
		t.Fatalf("browser is at %s; want %s", f.URL, path)
	}
}

// hasConsent reports whether the export v (decoded JSON) holds a consent
// for channel: a non-empty value reached through a key about consent and
// naming the channel as a key or as a value.
func hasConsent(v any, channel string) bool {
	var walk func(v any, consent, named bool) bool
	walk = func(v any, consent, named bool) bool {
		switch x := v.(type) {
		case map[string]any:
			for k, c := range x {
				lk := strings.ToLower(k)
				if walk(c, consent || strings.Contains(lk, "consent") || strings.Contains(lk, "samtycke"), named || lk == channel) {
					return true
				}
			}
		case []any:
			for _, c := range x {
				if walk(c, consent, named) {
					return true
				}
			}
		case string:
			return consent && (named || strings.EqualFold(x, channel))
		case bool:
			return consent && named && x
		case float64:
			return consent && named
		}
		return false
	}
	return walk(v, false, false)
}

// sameOrigin reports whether u is served by base.
func sameOrigin(u, base string) bool {
	a, err1 := url.Parse(u)
	b, err2 := url.Parse(base)
	return err1 == nil && err2 == nil && a.Host == b.Host
}

// signIn gives the tab the session of a client that signed in through the
// test client (a staff member with TOTP, say), as if it had signed in itself.
func (b *chromeTab) signIn(c *testClient) {
	b.t.Helper()
	yes := true
	if _, err := chromedp.Call(b.ctx, network.SetCookie, network.SetCookieParams{Name: sessionCookie,
		Value: c.cookies[sessionCookie], URL: b.base + "/", Path: "/", HTTPOnly: &yes, Secure: &yes,
		SameSite: network.CookieSameSiteLax}); err != nil {
		b.t.Fatalf("set the session cookie: %v", err)
	}
}

// page runs action (a navigation or a form submission) and returns the
// text of the page it leads to, failing unless that page answered 200.
func (b *chromeTab) page(action chromedp.Action[chromedp.Void], what string) string {
	b.t.Helper()
	res, err := chromedp.RunResponse(b.ctx, action)
	if err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
	if res.Status != 200 {
		b.t.Fatalf("%s: status %d", what, res.Status)
	}
	return evalT[string](b, `document.body.innerText`)
}
