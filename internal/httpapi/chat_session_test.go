package httpapi

import (
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// A signed-in youth reaches their open conversation by their session on
// another device, cannot open a second one in the same kommun, and sees it
// mentioned on "Mina bokningar" and the start page; nobody else reaches it,
// and after the end neither does the session.
func TestChatSignedInYouthReachesOwnConversationBySession(t *testing.T) {
	t.Parallel()
	se := chatEnv(t)
	base := se.listen(t)
	const pw = "en lång fras att minnas"
	name := "moln" + randomSuffix(t)
	laptop := newBrowser(se.env)
	if res := laptop.register(t, name, pw); res.StatusCode != http.StatusSeeOther {
		t.Fatal("register")
	}
	id := chatJoin(t, se, laptop, "nacka", url.Values{"topic": {"body"}})
	open := func() int {
		return chatCount(t, se, `SELECT count(*) FROM app.chat_conversation c JOIN app.account a ON a.id = c.account_id
			WHERE lower(a.username) = lower($1) AND c.status <> 'ended'`, name)
	}

	// The phone holds the session only, no chat cookie.
	phone := newBrowser(se.env)
	if res, _ := phone.login(t, name, pw); res.StatusCode != http.StatusSeeOther {
		t.Fatal("login")
	}
	if phone.cookies[chatCookieName("nacka")] != "" {
		t.Fatal("the second device holds a chat cookie")
	}
	if _, page := phone.get(t, "/nacka/chatt"); !strings.Contains(page, "samtal="+id.String()) || strings.Contains(page, `name="age_range"`) {
		t.Error("the chat page does not show the youth's conversation by the session")
	}
	if res, body := chatAPI(t, phone, http.MethodPost, "/api/v1/chat/nacka/conversation/messages", map[string]string{"body": "hej från mobilen"}); res.StatusCode != http.StatusCreated {
		t.Fatalf("writing by the session: %d %s", res.StatusCode, body)
	}
	if n := chatCount(t, se, `SELECT count(*) FROM app.chat_message WHERE conversation_id = $1 AND body = 'hej från mobilen'`, id); n != 1 {
		t.Errorf("%d messages written by the session in the conversation; want 1", n)
	}
	res, body := phone.post(t, "/nacka/chatt", "/nacka/chatt", url.Values{"topic": {"sex"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/nacka/chatt" {
		t.Errorf("joining again by the page: %d %s; want a redirect to the conversation", res.StatusCode, body)
	}
	if res, body := chatAPI(t, laptop, http.MethodPost, "/api/v1/chat/nacka/conversations", nil); res.StatusCode != http.StatusConflict || !strings.Contains(body, "redan en pågående chatt") {
		t.Errorf("joining again by the API: %d %s; want 409", res.StatusCode, body)
	}
	if n := open(); n != 1 {
		t.Fatalf("%d open conversations after joining again; want 1", n)
	}
	// The websocket behind the same rule, with only the session cookie.
	ws, _, err := chatDial(t, base, "/api/v1/chat/nacka/conversation/ws?after=0", phone.cookies, base)
	if err != nil {
		t.Fatalf("the socket by the session: %v", err)
	}
	chatReadUntil(t, ws, "hej från mobilen")
	_ = ws.Close()

	// The calm line on "Mina bokningar" and the start page.
	line := "Du har en pågående chatt med ungdomsmottagningen i Nacka kommun"
	for _, p := range []string{"/mina-bokningar", "/"} {
		if _, page := phone.get(t, p); !strings.Contains(page, line) || !strings.Contains(page, `href="/nacka/chatt"`) {
			t.Errorf("%s does not mention the ongoing chat", p)
		}
	}

	// Another youth, an anonymous visitor and another kommun get nothing.
	stranger := newBrowser(se.env)
	stranger.register(t, "grus"+randomSuffix(t), pw)
	for who, b := range map[string]*browser{"another youth": stranger, "an anonymous visitor": newBrowser(se.env)} {
		if res, _ := chatAPI(t, b, http.MethodGet, "/api/v1/chat/nacka/conversation", nil); res.StatusCode != http.StatusNotFound {
			t.Errorf("%s reading the conversation: %d; want 404", who, res.StatusCode)
		}
		if res, _ := chatAPI(t, b, http.MethodPost, "/api/v1/chat/nacka/conversation/messages", map[string]string{"body": "inkräktare"}); res.StatusCode != http.StatusNotFound {
			t.Errorf("%s writing: %d; want 404", who, res.StatusCode)
		}
		if _, page := b.get(t, "/nacka/chatt"); strings.Contains(page, id.String()) || !strings.Contains(page, `name="age_range"`) {
			t.Errorf("%s sees more than the join form", who)
		}
		if _, page := b.get(t, "/"); strings.Contains(page, "pågående chatt") {
			t.Errorf("the start page tells %s of an ongoing chat", who)
		}
	}
	if _, page := stranger.get(t, "/mina-bokningar"); strings.Contains(page, "pågående chatt") {
		t.Error("another youth's Mina bokningar mentions an ongoing chat")
	}
	if n := chatCount(t, se, `SELECT count(*) FROM app.chat_message WHERE body = 'inkräktare'`); n != 0 {
		t.Error("a stranger's message was written")
	}
	if res, _ := chatAPI(t, phone, http.MethodGet, "/api/v1/chat/botkyrka/conversation", nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("the session reaching the conversation from another kommun: %d; want 404", res.StatusCode)
	}

	// The phone ends it: the session no longer reaches it; the laptop's
	// token neither; a new conversation can start.
	if res, body := chatAPI(t, phone, http.MethodDelete, "/api/v1/chat/nacka/conversation", nil); res.StatusCode != http.StatusNoContent {
		t.Fatalf("ending by the session: %d %s", res.StatusCode, body)
	}
	for who, b := range map[string]*browser{"the session": phone, "the token": laptop} {
		if res, _ := chatAPI(t, b, http.MethodGet, "/api/v1/chat/nacka/conversation", nil); res.StatusCode != http.StatusNotFound {
			t.Errorf("%s reaching the ended conversation: %d; want 404", who, res.StatusCode)
		}
	}
	if _, page := phone.get(t, "/mina-bokningar"); strings.Contains(page, line) {
		t.Error("Mina bokningar still mentions the ended chat")
	}
	sessionOnly := maps.Clone(phone.cookies)
	delete(sessionOnly, chatCookieName("nacka"))
	phone.cookies = sessionOnly
	res, body = chatAPI(t, phone, http.MethodPost, "/api/v1/chat/nacka/conversations", nil)
	var joined struct{ Conversation struct{ ID string } }
	if res.StatusCode != http.StatusCreated || json.Unmarshal([]byte(body), &joined) != nil || joined.Conversation.ID == id.String() {
		t.Errorf("joining after the end: %d %s; want a new conversation", res.StatusCode, body)
	}
	if n := open(); n != 1 {
		t.Errorf("%d open conversations after joining anew; want 1", n)
	}
}

// Two devices of one youth joining at the same moment leave one open
// conversation: the store serialises the joins of an account.
func TestChatSignedInYouthJoiningTwiceAtOnceGetsOneConversation(t *testing.T) {
	t.Parallel()
	se := chatEnv(t)
	const pw = "en lång fras att minnas"
	name := "dimma" + randomSuffix(t)
	devices := []*browser{newBrowser(se.env), newBrowser(se.env), newBrowser(se.env)}
	devices[0].register(t, name, pw)
	for _, d := range devices[1:] {
		if res, _ := d.login(t, name, pw); res.StatusCode != http.StatusSeeOther {
			t.Fatal("login")
		}
	}
	codes := make(chan int, len(devices))
	var wg sync.WaitGroup
	for _, d := range devices {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, _ := chatAPI(t, d, http.MethodPost, "/api/v1/chat/nacka/conversations", nil)
			codes <- res.StatusCode
		}()
	}
	wg.Wait()
	close(codes)
	created := 0
	for c := range codes {
		switch c {
		case http.StatusCreated:
			created++
		case http.StatusConflict:
		default:
			t.Errorf("a join answered %d; want 201 or 409", c)
		}
	}
	n := chatCount(t, se, `SELECT count(*) FROM app.chat_conversation c JOIN app.account a ON a.id = c.account_id
		WHERE lower(a.username) = lower($1) AND c.status <> 'ended'`, name)
	if created != 1 || n != 1 {
		t.Errorf("%d joins succeeded, %d open conversations; want one each", created, n)
	}
}
