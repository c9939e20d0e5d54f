package httpapi

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/google/uuid"

	"github.com/storsthlm/mottagning/internal/chat"
)

// otherContext opens a tab in a new browser context of b's browser: its
// own cookie jar and storage, as a second person on another device.
func (b *chromeTab) otherContext() *chromeTab {
	b.t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	b.t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		b.t.Fatalf("open a second browser context: %v", err)
	}
	o := &chromeTab{t: b.t, ctx: ctx, base: b.base}
	ua := evalT[string](o, `navigator.userAgent`)
	if _, err := chromedp.Call(ctx, emulation.SetUserAgentOverride,
		emulation.SetUserAgentOverrideParams{UserAgent: ua, AcceptLanguage: "sv-SE,sv;q=0.9"}); err != nil {
		b.t.Fatalf("set browser language: %v", err)
	}
	return o
}

// waitFor waits until the JavaScript expression is true in the page,
// failing the test with what after a minute.
func (b *chromeTab) waitFor(expr, what string) {
	b.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		ok, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`(() => { try { return !!(`+expr+`); } catch (e) { return false; } })()`))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("waiting for %s: %v; the page shows %q", what, err, evalT[string](b, `document.body ? document.body.innerText : ""`))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// listHas is a JavaScript test that the message list shows text.
func listHas(text string) string {
	return `document.getElementById('chat-messages') && document.getElementById('chat-messages').innerText.includes(` + strconv.Quote(text) + `)`
}

// TestChatBrowserTwoContexts: in one headless Chromium with two browser
// contexts (two cookie jars), an anonymous youth on a phone joins Nacka's
// queue, a counsellor picks up, they write both ways, the youth sends a
// picture that the counsellor sees and can download, the counsellor ends
// the conversation, both pages say so, and the database keeps no message,
// answer or file of it (P1, P18).
func TestChatBrowserTwoContexts(t *testing.T) {
	t.Parallel()
	se := chatEnv(t)
	base := se.listen(t)
	youth := newChromeTab(t, base)
	staff := youth.otherContext()

	// The youth joins, with a pre-chat answer.
	youth.open("/nacka/chatt")
	youth.do(chromedp.SetValue(chromedp.ID("topic"), "feelings"))
	_, f := youth.submit(`form[action="/nacka/chatt"] button[type=submit]`)
	wantPath(t, f, "/nacka/chatt")
	youth.waitFor(`document.getElementById('chat-status').innerText.includes('nummer 1')`, "the queue position")

	// The counsellor signs in (in the test client, TOTP included) and
	// continues in the second browser context with that session.
	client, _ := chatStaff(t, se, "nacka")
	staff.signIn(client.testClient)
	staff.page(chromedp.Navigate(base+"/personal/nacka/chatt"), "the counsellor's queue")
	staff.waitFor(`document.body.innerText.includes('Känslor och mående')`, "the waiting youth in the queue")
	if _, err := chromedp.RunResponse(staff.ctx, chromedp.Evaluate[chromedp.Void](
		`document.querySelector('form[action="/personal/nacka/chatt/ta"] button[type=submit]').form.requestSubmit()`)); err != nil {
		t.Fatalf("picking up: %v", err)
	}
	staff.waitFor(`location.pathname.startsWith('/personal/nacka/chatt/') && document.getElementById('chat-form')`, "the conversation page")
	id, err := uuid.Parse(strings.TrimPrefix(evalT[string](staff, `location.pathname`), "/personal/nacka/chatt/"))
	if err != nil {
		t.Fatalf("the conversation page's address: %v", err)
	}

	// The youth's page turns active by itself; they write both ways.
	youth.waitFor(`document.getElementById('chat').getAttribute('data-chat-status') === 'active'`, "the youth's page to show the counsellor")
	youth.do(chromedp.SendKeys(chromedp.ID("body"), "Hej, jag har en fråga"))
	youth.do(chromedp.Evaluate[chromedp.Void](`document.querySelector('#chat-form button[type=submit]').form.requestSubmit()`))
	staff.waitFor(listHas("Hej, jag har en fråga"), "the youth's message at the counsellor")
	staff.do(chromedp.SendKeys(chromedp.ID("body"), "Hej! Berätta gärna"))
	staff.do(chromedp.Evaluate[chromedp.Void](`document.querySelector('#chat-form button[type=submit]').form.requestSubmit()`))
	youth.waitFor(listHas("Hej! Berätta gärna"), "the counsellor's message at the youth")
	// The youth's page has shown it: the counsellor sees "Läst" under their
	// own last message; the youth typing shows on the counsellor's page.
	staff.waitFor(`document.querySelector('#chat-messages li.chat-message--mine:last-of-type .chat-message__seen').innerText.includes('Läst')`, "Läst under the counsellor's message")
	// Typing is ephemeral (a few seconds in Redis) and the page throttles
	// what it sends, so the youth keeps typing until the counsellor sees it:
	// on a loaded machine one keystroke's indication can lapse unseen.
	youth.do(chromedp.SendKeys(chromedp.ID("body"), "J"))
	youth.do(chromedp.Evaluate[chromedp.Void](`window.__typing = setInterval(() => document.getElementById('chat-form').dispatchEvent(new Event('input', {bubbles: true})), 500)`))
	staff.waitFor(`document.getElementById('chat-typing').innerText.includes('skriver')`, "the youth typing at the counsellor")
	youth.do(chromedp.Evaluate[chromedp.Void](`clearInterval(window.__typing); document.getElementById('body').value = ''`))

	// The youth sends a picture; the page keeps the advice and the hint.
	youth.check()
	for _, sel := range []string{"#chat-advice", "#chat-file-privacy"} {
		youth.do(chromedp.WaitVisible(chromedp.CSS(sel)))
	}
	pic := filepath.Join(t.TempDir(), "Min teckning.png")
	if err := os.WriteFile(pic, chatPNG(t), 0o600); err != nil {
		t.Fatal(err)
	}
	youth.do(chromedp.SetUploadFiles(chromedp.ID("chat-file"), []string{pic}))
	youth.do(chromedp.Evaluate[chromedp.Void](`document.querySelector('#chat-file-form button[type=submit]').form.requestSubmit()`))
	youth.waitFor(`document.getElementById('chat-file-status').innerText.includes('Filen är skickad')`, "the upload without leaving the page")
	wantPath(t, youth.check(), "/nacka/chatt")
	youth.waitFor(`document.querySelector('#chat-messages .chat-file a')`, "the youth's own file in the list")
	staff.waitFor(`document.querySelector('#chat-messages .chat-file a')`, "the file at the counsellor")
	link := evalT[string](staff, `document.querySelector('#chat-messages .chat-file a').innerText + ' ' + document.querySelector('#chat-messages .chat-file').innerText`)
	if !strings.Contains(link, "Min teckning.png") || !strings.Contains(link, "PNG") || !strings.Contains(link, "kB") {
		t.Errorf("the counsellor's file message shows %q; want its name, type and size", link)
	}
	got := evalT[string](staff, `fetch(document.querySelector('#chat-messages .chat-file a').href).then(r => r.status + ' ' + r.headers.get('content-type') + ' ' + r.headers.get('content-disposition'))`)
	if !strings.HasPrefix(got, "200 image/png attachment") {
		t.Errorf("the counsellor downloading the file: %s", got)
	}
	// A file over the limit is stopped before it is sent.
	big := filepath.Join(t.TempDir(), "stor.png")
	if err := os.WriteFile(big, chatPNG(t), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(big, chat.MaxFile+1); err != nil {
		t.Fatal(err)
	}
	youth.do(chromedp.SetUploadFiles(chromedp.ID("chat-file"), []string{big}))
	youth.do(chromedp.Evaluate[chromedp.Void](`document.querySelector('#chat-file-form button[type=submit]').form.requestSubmit()`))
	youth.waitFor(`document.getElementById('chat-file-status').innerText.includes('för stor')`, "the too-big notice")
	if n := chatCount(t, se, `SELECT count(*) FROM app.chat_file WHERE conversation_id = $1`, id); n != 1 {
		t.Fatalf("%d files stored; want 1", n)
	}

	// The counsellor ends it; both pages say so. (The counsellor's page may
	// hear of the end over its websocket and reload before the form's answer
	// arrives: either page says that it ended.)
	staff.do(chromedp.Evaluate[chromedp.Void](`document.querySelector('form[action$="/avsluta"] button[type=submit]').form.requestSubmit()`))
	staff.waitFor(`document.body.innerText.includes('Samtalet är avslutat')`, "the counsellor's page to say it ended")
	youth.waitFor(`document.body.innerText.includes('Samtalet är avslutat')`, "the youth's page to say it ended")
	youth.check()

	if n := chatCount(t, se, chatLeftSQL, id); n != 0 {
		t.Errorf("%d messages, answers and files of the ended conversation left; want none", n)
	}
	if n := chatCount(t, se, `SELECT count(*) FROM app.chat_conversation WHERE id = $1 AND status = 'ended' AND ended_by = 'staff'`, id); n != 1 {
		t.Error("the conversation is not marked ended by the counsellor")
	}
}
