package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/storsthlm/mottagning/internal/chat"
	"github.com/storsthlm/mottagning/internal/postgres"
	"github.com/storsthlm/mottagning/internal/tenant"
)

// chatEnv is a staff env whose nacka and botkyrka receptions have their
// drop-in chat open around the clock, every day.
func chatEnv(t *testing.T) staffEnv {
	t.Helper()
	return chatEnvOf(t, newStaffEnv(t))
}

// chatEnvOf opens the chat of nacka and botkyrka around the clock in se.
func chatEnvOf(t *testing.T, se staffEnv) staffEnv {
	t.Helper()
	admin := adminConn(t, se.env)
	page := `{"display_name":"Mottagningen","holidays_open":true,"services":{"chat":true,"chat_hours":[` +
		strings.Repeat(`[{"start":0,"end":1440}],`, 6) + `[{"start":0,"end":1440}]]}}`
	for _, slug := range []string{"nacka", "botkyrka"} {
		if _, err := admin.Exec(context.Background(), `INSERT INTO app.reception_page (kommun_id, page) SELECT id, $1::jsonb FROM app.kommun WHERE slug = $2`, page, slug); err != nil {
			t.Fatal(err)
		}
	}
	return se
}

// chatAPI calls the API as the browser b, with the CSRF header.
func chatAPI(t *testing.T, b *browser, method, path string, body any) (*http.Response, string) {
	t.Helper()
	_, tok := b.get(t, "/api/v1/csrf")
	var out struct{ Token string }
	if err := json.Unmarshal([]byte(tok), &out); err != nil {
		t.Fatal(err)
	}
	var r io.Reader
	if body != nil {
		j, _ := json.Marshal(body)
		r = bytes.NewReader(j)
	}
	req := httptest.NewRequest(method, path, r)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", out.Token)
	return b.send(t, req)
}

// chatStaff signs in a new counsellor of slug.
func chatStaff(t *testing.T, se staffEnv, slug string) (*staffClient, uuid.UUID) {
	t.Helper()
	email := "kurator-" + randomSuffix(t) + "@" + slug + ".example"
	id := se.addStaff(t, email, slug, "counsellor")
	c := se.client()
	c.signInFully(t, email)
	return c, id
}

// chatJoin has an anonymous browser join slug's queue through the page and
// returns the conversation id (read as the system).
func chatJoin(t *testing.T, se staffEnv, b *browser, slug string, form url.Values) uuid.UUID {
	t.Helper()
	res, body := b.post(t, "/"+slug+"/chatt", "/"+slug+"/chatt", form)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("joining %s: %d %s", slug, res.StatusCode, body)
	}
	if b.cookies[chatCookieName(slug)] == "" {
		t.Fatal("no conversation token cookie after joining")
	}
	var id uuid.UUID
	admin := adminConn(t, se.env)
	if err := admin.QueryRow(context.Background(), `SELECT id FROM app.chat_conversation WHERE token_hash = $1`,
		chat.HashToken(b.cookies[chatCookieName(slug)])).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

func chatCount(t *testing.T, se staffEnv, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := adminConn(t, se.env).QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

type chatPoll struct {
	Status   chat.Status    `json:"status"`
	Position int            `json:"position"`
	Messages []chat.Message `json:"messages"`
}

func decodePoll(t *testing.T) func(*http.Response, string) chatPoll {
	return func(res *http.Response, body string) chatPoll { return decodePollOf(t, res, body) }
}

func decodePollOf(t *testing.T, res *http.Response, body string) chatPoll {
	t.Helper()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("poll: %d %s", res.StatusCode, body)
	}
	var p chatPoll
	if err := json.Unmarshal([]byte(body), &p); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestP1_AnonymousChatWithoutAccount(t *testing.T) {
	t.Parallel()
	se := chatEnv(t)
	youth := newBrowser(se.env)
	_, page := youth.get(t, "/nacka/chatt")
	for _, want := range []string{`id="quick-exit"`, `id="chat-advice"`, `name="age_range"`, `name="topic"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the chat page lacks %s", want)
		}
	}
	if strings.Contains(page, `name="username"`) || strings.Contains(page, `name="phone"`) {
		t.Error("the chat page asks for personal data")
	}
	accounts := countAccounts(t, se.env)
	id := chatJoin(t, se, youth, "nacka", url.Values{"topic": {"feelings"}})
	if n := countAccounts(t, se.env); n != accounts {
		t.Errorf("joining created an account: %d accounts, had %d", n, accounts)
	}
	if n := chatCount(t, se, `SELECT count(*) FROM app.chat_conversation WHERE id = $1 AND account_id IS NULL AND status = 'waiting'`, id); n != 1 {
		t.Fatalf("the conversation is not an anonymous waiting one")
	}
	_, page = youth.get(t, "/nacka/chatt")
	if !strings.Contains(page, "nummer 1") {
		t.Errorf("the waiting view shows no queue position: %s", page)
	}

	counsellor, _ := chatStaff(t, se, "nacka")
	res, body := counsellor.get(t, "/personal/nacka/chatt")
	if res.StatusCode != 200 || !strings.Contains(body, "Känslor och mående") || !strings.Contains(body, "anonym") {
		t.Fatalf("the queue page does not show the waiting visitor: %d %s", res.StatusCode, body)
	}
	res, body = counsellor.post(t, "/personal/nacka/chatt/ta", url.Values{})
	if res.StatusCode != http.StatusSeeOther || !strings.HasSuffix(res.Header.Get("Location"), id.String()) {
		t.Fatalf("picking up the next: %d %s", res.StatusCode, body)
	}
	res, body = counsellor.api(t, http.MethodPost, "/api/v1/kommuner/nacka/chat/conversations/"+id.String()+"/messages", map[string]string{"body": "Hej! Vad vill du prata om?"})
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("counsellor sending: %d %s", res.StatusCode, body)
	}
	p := decodePoll(t)(youth.get(t, "/api/v1/chat/nacka/conversation/messages?after=0"))
	if p.Status != chat.Active || len(p.Messages) != 1 || p.Messages[0].Body != "Hej! Vad vill du prata om?" {
		t.Fatalf("the youth sees %+v", p)
	}
	res, body = chatAPI(t, youth, http.MethodPost, "/api/v1/chat/nacka/conversation/messages", map[string]string{"body": "Jag mår inte så bra"})
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("youth sending: %d %s", res.StatusCode, body)
	}
	// A long poll from after the first message returns the new one.
	p = decodePoll(t)(counsellor.get(t, "/api/v1/kommuner/nacka/chat/conversations/"+id.String()+"/messages?wait=2&status=active&after="+
		strconv.FormatInt(p.Messages[0].ID, 10)))
	if len(p.Messages) != 1 || p.Messages[0].Sender != chat.FromYouth || p.Messages[0].Body != "Jag mår inte så bra" {
		t.Fatalf("the counsellor sees %+v", p)
	}
	// Without JavaScript: the page form sends, the page shows it.
	res, body = youth.post(t, "/nacka/chatt", "/nacka/chatt/meddelande", url.Values{"body": {"Tack"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sending through the page: %d %s", res.StatusCode, body)
	}
	if _, page = youth.get(t, "/nacka/chatt"); !strings.Contains(page, "Tack") || !strings.Contains(page, "Jag mår inte så bra") {
		t.Errorf("the conversation page lacks the messages")
	}
}

func TestP5_CounsellorOfOtherKommunCannotListJoinReadOrEnd(t *testing.T) {
	t.Parallel()
	se := chatEnv(t)
	youth := newBrowser(se.env)
	id := chatJoin(t, se, youth, "nacka", url.Values{})
	chatAPI(t, youth, http.MethodPost, "/api/v1/chat/nacka/conversation/messages", map[string]string{"body": "hej"})
	other, _ := chatStaff(t, se, "botkyrka")
	base := "/api/v1/kommuner/nacka/chat/"
	for _, r := range []struct{ method, path string }{
		{http.MethodGet, base + "queue"},
		{http.MethodPost, base + "queue/pickup"},
		{http.MethodGet, base + "conversations/" + id.String()},
		{http.MethodGet, base + "conversations/" + id.String() + "/messages"},
		{http.MethodPost, base + "conversations/" + id.String() + "/messages"},
		{http.MethodDelete, base + "conversations/" + id.String()},
	} {
		var body any
		if r.method == http.MethodPost {
			body = map[string]string{"body": "hej", "id": id.String()}
		}
		if res, b := other.api(t, r.method, r.path, body); res.StatusCode != http.StatusNotFound {
			t.Errorf("%s %s by another kommun's counsellor: %d %s; want 404", r.method, r.path, res.StatusCode, b)
		}
	}
	for _, p := range []string{"/personal/nacka/chatt", "/personal/nacka/chatt/" + id.String()} {
		if res, _ := other.get(t, p); res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %d; want 404", p, res.StatusCode)
		}
	}
	if res, _ := other.post(t, "/personal/nacka/chatt/"+id.String()+"/avsluta", url.Values{}); res.StatusCode != http.StatusNotFound {
		t.Errorf("ending through the page: %d; want 404", res.StatusCode)
	}
	// Their own kommun's API does not reach it either (row-level security).
	if res, b := other.api(t, http.MethodGet, "/api/v1/kommuner/botkyrka/chat/conversations/"+id.String(), nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("reading through their own kommun: %d %s; want 404", res.StatusCode, b)
	}
	if res, _ := other.api(t, http.MethodPost, "/api/v1/kommuner/botkyrka/chat/queue/pickup", map[string]string{"id": id.String()}); res.StatusCode != http.StatusNotFound {
		t.Errorf("picking up through their own kommun: %d; want 404", res.StatusCode)
	}
	if n := chatCount(t, se, `SELECT count(*) FROM app.chat_conversation WHERE id = $1 AND status = 'waiting' AND counsellor_id IS NULL`, id); n != 1 {
		t.Error("the conversation changed")
	}
	if n := chatCount(t, se, `SELECT count(*) FROM app.chat_message WHERE conversation_id = $1`, id); n != 1 {
		t.Errorf("%d messages; want the youth's 1", n)
	}
	if n := chatCount(t, se, `SELECT count(*) FROM app.access_log WHERE action = 'conversation.read'`); n != 0 {
		t.Errorf("%d access-log entries of opening; want 0", n)
	}
}

func TestP14_OpeningConversationIsLogged(t *testing.T) {
	t.Parallel()
	se := chatEnv(t)
	counsellor, staffID := chatStaff(t, se, "nacka")
	anon := newBrowser(se.env)
	anonID := chatJoin(t, se, anon, "nacka", url.Values{})
	signed := newBrowser(se.env)
	name := "molnet" + randomSuffix(t)
	if res := signed.register(t, name, "en lång fras att minnas"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("register: %d", res.StatusCode)
	}
	signedID := chatJoin(t, se, signed, "nacka", url.Values{})

	if res, b := counsellor.api(t, http.MethodPost, "/api/v1/kommuner/nacka/chat/queue/pickup", map[string]string{"id": anonID.String()}); res.StatusCode != 200 {
		t.Fatalf("pick up: %d %s", res.StatusCode, b)
	}
	if res, b := counsellor.get(t, "/personal/nacka/chatt/"+signedID.String()); res.StatusCode != 200 || !strings.Contains(b, name) {
		t.Fatalf("opening the signed-in youth's conversation: %d", res.StatusCode)
	}
	k := se.kommun(t, "nacka")
	for subject, want := range map[string]int{"anonym": 1, name: 1} {
		if n := chatCount(t, se, `SELECT count(*) FROM app.access_log WHERE action = 'conversation.read' AND kommun_id = $1
			AND actor_id = $2 AND actor_role = 'counsellor' AND subject_username = $3`, k.ID, staffID, subject); n != want {
			t.Errorf("access-log entries for %q: %d; want %d", subject, n, want)
		}
	}
}

func TestP18_ChatPurgedOnEnd(t *testing.T) {
	t.Parallel()
	se := chatEnv(t)
	counsellor, _ := chatStaff(t, se, "nacka")
	for _, who := range []string{"counsellor", "youth"} {
		youth := newBrowser(se.env)
		id := chatJoin(t, se, youth, "nacka", url.Values{"age_range": {"16-19"}, "topic": {"sex"}})
		if res, b := counsellor.api(t, http.MethodPost, "/api/v1/kommuner/nacka/chat/queue/pickup", map[string]string{"id": id.String()}); res.StatusCode != 200 {
			t.Fatalf("pick up: %d %s", res.StatusCode, b)
		}
		chatAPI(t, youth, http.MethodPost, "/api/v1/chat/nacka/conversation/messages", map[string]string{"body": "en fråga"})
		counsellor.api(t, http.MethodPost, "/api/v1/kommuner/nacka/chat/conversations/"+id.String()+"/messages", map[string]string{"body": "ett svar"})
		if res, b := chatUpload(t, youth, youthFiles, youthCSRF(t, youth), false, &chatFile{"bild.png", "image/png", chatPNG(t)}); res.StatusCode != http.StatusCreated {
			t.Fatalf("youth sending a file: %d %s", res.StatusCode, b)
		}
		if n := chatCount(t, se, `SELECT (SELECT count(*) FROM app.chat_message WHERE conversation_id = $1) + (SELECT count(*) FROM app.chat_file WHERE conversation_id = $1)`, id); n != 4 {
			t.Fatalf("%d messages and files before the end; want 3 messages and 1 file", n)
		}
		var res *http.Response
		var b string
		if who == "youth" {
			res, b = youth.post(t, "/nacka/chatt", "/nacka/chatt/avsluta", url.Values{})
			if res.StatusCode != http.StatusSeeOther {
				t.Fatalf("youth ending: %d %s", res.StatusCode, b)
			}
		} else if res, b = counsellor.api(t, http.MethodDelete, "/api/v1/kommuner/nacka/chat/conversations/"+id.String(), nil); res.StatusCode != http.StatusNoContent {
			t.Fatalf("counsellor ending: %d %s", res.StatusCode, b)
		}
		if n := chatCount(t, se, chatLeftSQL, id); n != 0 {
			t.Errorf("ended by %s: %d messages, answers and files left; want none", who, n)
		}
		if n := chatCount(t, se, `SELECT count(*) FROM app.chat_conversation WHERE id = $1 AND status = 'ended' AND token_hash IS NULL`, id); n != 1 {
			t.Errorf("ended by %s: the conversation is not marked ended without its token", who)
		}
		// The other side sees that it ended.
		if who == "counsellor" {
			res, b = youth.get(t, "/api/v1/chat/nacka/conversation/messages")
			if res.StatusCode != http.StatusNotFound || !strings.Contains(b, "avslutat") {
				t.Errorf("the youth after the end: %d %s", res.StatusCode, b)
			}
		} else {
			p := decodePoll(t)(counsellor.get(t, "/api/v1/kommuner/nacka/chat/conversations/"+id.String()+"/messages"))
			if p.Status != chat.Ended || len(p.Messages) != 0 {
				t.Errorf("the counsellor after the end sees %+v", p)
			}
		}
	}
}

func TestP18_SafetyNetPurgesIdle(t *testing.T) {
	t.Parallel()
	se := chatEnv(t)
	idle, fresh := newBrowser(se.env), newBrowser(se.env)
	idleID := chatJoin(t, se, idle, "nacka", url.Values{"topic": {"other"}})
	freshID := chatJoin(t, se, fresh, "nacka", url.Values{})
	chatAPI(t, idle, http.MethodPost, "/api/v1/chat/nacka/conversation/messages", map[string]string{"body": "hallå?"})
	chatAPI(t, fresh, http.MethodPost, "/api/v1/chat/nacka/conversation/messages", map[string]string{"body": "hallå?"})
	if res, b := chatUpload(t, idle, youthFiles, youthCSRF(t, idle), false, &chatFile{"bild.png", "image/png", chatPNG(t)}); res.StatusCode != http.StatusCreated {
		t.Fatalf("sending a file: %d %s", res.StatusCode, b)
	}
	admin := adminConn(t, se.env)
	if _, err := admin.Exec(context.Background(), `UPDATE app.chat_conversation SET last_activity_at = now() - interval '2 hours 1 minute' WHERE id = $1`, idleID); err != nil {
		t.Fatal(err)
	}
	store := se.db.ChatStore()
	ctx := tenant.WithActing(context.Background(), tenant.System().ForKommun(se.kommun(t, "nacka").ID))
	if n, err := store.EndIdle(ctx, time.Now(), 100); err != nil || n != 1 {
		t.Fatalf("EndIdle: %d, %v; want 1", n, err)
	}
	if n := chatCount(t, se, `SELECT count(*) FROM app.chat_conversation WHERE id = $1 AND status = 'ended' AND ended_by = 'idle'`, idleID); n != 1 {
		t.Error("the idle conversation did not end")
	}
	if n := chatCount(t, se, chatLeftSQL, idleID); n != 0 {
		t.Errorf("%d rows of the idle conversation left", n)
	}
	if n := chatCount(t, se, `SELECT count(*) FROM app.chat_message WHERE conversation_id = $1`, freshID); n != 1 {
		t.Error("the fresh conversation was touched")
	}
	// Anything left of an ended conversation goes; old bare rows go too.
	if _, err := admin.Exec(context.Background(), `INSERT INTO app.chat_message (kommun_id, conversation_id, sender, body)
		SELECT kommun_id, id, 'youth', 'kvar' FROM app.chat_conversation WHERE id = $1`, idleID); err != nil {
		t.Fatal(err)
	}
	// A file left with the message that refers to it, and one alone.
	if _, err := admin.Exec(context.Background(), `WITH f AS (INSERT INTO app.chat_file (kommun_id, conversation_id, id, name, content_type, size, data)
		SELECT kommun_id, id, gen_random_uuid(), 'kvar.pdf', 'application/pdf', 5, '%PDF-'::bytea FROM app.chat_conversation WHERE id = $1
		UNION ALL SELECT kommun_id, id, gen_random_uuid(), 'ensam.pdf', 'application/pdf', 5, '%PDF-'::bytea FROM app.chat_conversation WHERE id = $1
		RETURNING kommun_id, conversation_id, id, name)
		INSERT INTO app.chat_message (kommun_id, conversation_id, sender, body, file_id) SELECT kommun_id, conversation_id, 'youth', name, id FROM f WHERE name = 'kvar.pdf'`, idleID); err != nil {
		t.Fatal(err)
	}
	if n, err := store.PurgeEnded(ctx, time.Now(), 100); err != nil || n != 4 {
		t.Fatalf("PurgeEnded: %d, %v; want 4 (2 messages, 2 files)", n, err)
	}
	if n := chatCount(t, se, chatLeftSQL, idleID); n != 0 {
		t.Errorf("%d rows of the ended conversation left after the safety net", n)
	}
	if n, err := store.PurgeEnded(ctx, time.Now().Add(postgres.EndedKeep+time.Minute), 100); err != nil || n != 1 {
		t.Fatalf("PurgeEnded a day later: %d, %v; want the bare row", n, err)
	}
	if n := chatCount(t, se, `SELECT count(*) FROM app.chat_conversation WHERE id = $1`, idleID); n != 0 {
		t.Error("the ended conversation's row is still there")
	}
}

func TestChatForgedOrReusedTokenRefused(t *testing.T) {
	t.Parallel()
	se := chatEnv(t)
	youth := newBrowser(se.env)
	id := chatJoin(t, se, youth, "nacka", url.Values{})
	token := youth.cookies[chatCookieName("nacka")]
	forged, _ := chat.NewToken()
	for name, tok := range map[string]string{"forged": forged, "short": "abc", "other kommun": token} {
		slug := "nacka"
		if name == "other kommun" {
			slug = "botkyrka"
		}
		res, b := se.get(t, "/api/v1/chat/"+slug+"/conversation/messages", chatTokenHeader, tok)
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("%s token: %d %s; want 404", name, res.StatusCode, b)
		}
	}
	if res, b := se.get(t, "/api/v1/chat/nacka/conversation/messages", chatTokenHeader, token); res.StatusCode != 200 {
		t.Fatalf("the real token: %d %s", res.StatusCode, b)
	}
	if res, _ := chatAPI(t, youth, http.MethodDelete, "/api/v1/chat/nacka/conversation", nil); res.StatusCode != http.StatusNoContent {
		t.Fatalf("ending: %d", res.StatusCode)
	}
	if res, _ := se.get(t, "/api/v1/chat/nacka/conversation/messages", chatTokenHeader, token); res.StatusCode != http.StatusNotFound {
		t.Errorf("the token reused after the end: %d; want 404", res.StatusCode)
	}
	if n := chatCount(t, se, `SELECT count(*) FROM app.chat_conversation WHERE token_hash = $1`, chat.HashToken(token)); n != 0 {
		t.Errorf("the token's hash is still stored (%d), conversation %s", n, id)
	}
}

func TestChatBadInputRefusedClearly(t *testing.T) {
	t.Parallel()
	se := chatEnv(t)
	youth := newBrowser(se.env)
	// Answers outside the lists: refused, nothing created.
	res, b := chatAPI(t, youth, http.MethodPost, "/api/v1/chat/nacka/conversations", map[string]string{"topic": "annat", "age_range": "3"})
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(b, "Välj ett av alternativen") {
		t.Errorf("bad answers: %d %s", res.StatusCode, b)
	}
	// A closed chat: refused with the way forward.
	if res, b = chatAPI(t, youth, http.MethodPost, "/api/v1/chat/danderyd/conversations", nil); res.StatusCode != http.StatusConflict || !strings.Contains(b, "stängd") {
		t.Errorf("joining a closed chat: %d %s", res.StatusCode, b)
	}
	_, page := youth.get(t, "/danderyd/chatt")
	if !strings.Contains(page, `id="chat-closed"`) {
		t.Error("the closed chat page does not say so")
	}
	if n := chatCount(t, se, `SELECT count(*) FROM app.chat_conversation`); n != 0 {
		t.Fatalf("%d conversations after refused joins", n)
	}
	id := chatJoin(t, se, youth, "nacka", url.Values{})
	send := "/api/v1/chat/nacka/conversation/messages"
	for name, body := range map[string]string{"empty": "  \n ", "overlong": strings.Repeat("å", chat.MaxMessage+1), "control": "hej\x00"} {
		res, b := chatAPI(t, youth, http.MethodPost, send, map[string]string{"body": body})
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(b, `"field":"body"`) {
			t.Errorf("%s message: %d %s", name, res.StatusCode, b)
		}
	}
	res, b = youth.post(t, "/nacka/chatt", "/nacka/chatt/meddelande", url.Values{"body": {""}})
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(b, "Skriv något innan du skickar") {
		t.Errorf("empty message through the page: %d", res.StatusCode)
	}
	counsellor, _ := chatStaff(t, se, "nacka")
	// Writing before picking up: not theirs.
	if res, b := counsellor.api(t, http.MethodPost, "/api/v1/kommuner/nacka/chat/conversations/"+id.String()+"/messages", map[string]string{"body": "hej"}); res.StatusCode != http.StatusConflict {
		t.Errorf("writing to a conversation not picked up: %d %s", res.StatusCode, b)
	}
	counsellor.api(t, http.MethodPost, "/api/v1/kommuner/nacka/chat/queue/pickup", nil)
	if res, _ := counsellor.api(t, http.MethodDelete, "/api/v1/kommuner/nacka/chat/conversations/"+id.String(), nil); res.StatusCode != http.StatusNoContent {
		t.Fatal("ending failed")
	}
	if res, b := counsellor.api(t, http.MethodPost, "/api/v1/kommuner/nacka/chat/conversations/"+id.String()+"/messages", map[string]string{"body": "hej"}); res.StatusCode != http.StatusConflict || !strings.Contains(b, "redan avslutat") {
		t.Errorf("writing to an ended conversation: %d %s", res.StatusCode, b)
	}
	if res, _ := counsellor.api(t, http.MethodDelete, "/api/v1/kommuner/nacka/chat/conversations/"+id.String(), nil); res.StatusCode != http.StatusConflict {
		t.Errorf("ending twice: %d; want 409", res.StatusCode)
	}
	if res, _ := chatAPI(t, youth, http.MethodPost, send, map[string]string{"body": "hej"}); res.StatusCode != http.StatusNotFound {
		t.Errorf("the youth writing to the ended conversation: %d; want 404", res.StatusCode)
	}
	if n := chatCount(t, se, `SELECT count(*) FROM app.chat_message`); n != 0 {
		t.Errorf("%d messages written by refused requests", n)
	}
}

func TestChatAccountDeletionEndsOpenConversations(t *testing.T) {
	t.Parallel()
	se := chatEnv(t)
	b := newBrowser(se.env)
	const pw = "en lång fras att minnas"
	if res := b.register(t, "moln"+randomSuffix(t), pw); res.StatusCode != http.StatusSeeOther {
		t.Fatal("register")
	}
	id := chatJoin(t, se, b, "nacka", url.Values{"topic": {"body"}})
	chatAPI(t, b, http.MethodPost, "/api/v1/chat/nacka/conversation/messages", map[string]string{"body": "hej"})
	if res, body := chatUpload(t, b, youthFiles, youthCSRF(t, b), false, &chatFile{"bild.png", "image/png", chatPNG(t)}); res.StatusCode != http.StatusCreated {
		t.Fatalf("sending a file: %d %s", res.StatusCode, body)
	}
	if res, body := chatAPI(t, b, http.MethodDelete, "/api/v1/account", map[string]string{"password": pw}); res.StatusCode != http.StatusNoContent {
		t.Fatalf("deleting the account: %d %s", res.StatusCode, body)
	}
	if n := chatCount(t, se, `SELECT count(*) FROM app.chat_conversation WHERE id = $1 AND status = 'ended' AND ended_by = 'account_deleted' AND account_id IS NULL`, id); n != 1 {
		t.Error("the conversation did not end with the account")
	}
	if n := chatCount(t, se, chatLeftSQL, id); n != 0 {
		t.Errorf("%d rows left", n)
	}
}

func TestChatCounsellorAvailability(t *testing.T) {
	t.Parallel()
	se := chatEnv(t)
	youth := newBrowser(se.env)
	if _, page := youth.get(t, "/nacka/chatt"); !strings.Contains(page, `id="chat-nobody"`) {
		t.Error("with nobody available the youth is not told")
	}
	counsellor, _ := chatStaff(t, se, "nacka")
	res, body := counsellor.post(t, "/personal/nacka/chatt/status", url.Values{"status": {"ledig"}})
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "Välj tillgänglig, upptagen eller borta") {
		t.Errorf("a made-up status: %d", res.StatusCode)
	}
	res, body = counsellor.post(t, "/personal/nacka/chatt/status", url.Values{"status": {"available"}})
	if res.StatusCode != 200 || !strings.Contains(body, "Tillgängliga kuratorer just nu: 1") {
		t.Fatalf("setting available: %d", res.StatusCode)
	}
	if _, page := youth.get(t, "/nacka/chatt"); strings.Contains(page, `id="chat-nobody"`) {
		t.Error("a counsellor is available but the youth is told nobody is")
	}
	// Another kommun's counsellors are not counted (P5).
	other := newBrowser(se.env)
	if _, page := other.get(t, "/botkyrka/chatt"); !strings.Contains(page, `id="chat-nobody"`) {
		t.Error("Nacka's counsellor counts as available in Botkyrka")
	}
	if res, _ := counsellor.api(t, http.MethodPut, "/api/v1/kommuner/nacka/chat/availability", map[string]string{"status": "away"}); res.StatusCode != http.StatusNoContent {
		t.Errorf("API status: %d", res.StatusCode)
	}
}

func TestChatCounsellorBlocksVisitorForTheDay(t *testing.T) {
	t.Parallel()
	se := chatEnv(t)
	youth := newBrowser(se.env)
	id := chatJoin(t, se, youth, "nacka", url.Values{})
	chatAPI(t, youth, http.MethodPost, "/api/v1/chat/nacka/conversation/messages", map[string]string{"body": "hej"})
	counsellor, _ := chatStaff(t, se, "nacka")
	other, _ := chatStaff(t, se, "botkyrka")
	if res, _ := other.api(t, http.MethodPost, "/api/v1/kommuner/nacka/chat/conversations/"+id.String()+"/block", nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("another kommun's counsellor blocking: %d; want 404", res.StatusCode)
	}
	if res, b := counsellor.api(t, http.MethodPost, "/api/v1/kommuner/nacka/chat/conversations/"+id.String()+"/block", nil); res.StatusCode != http.StatusNoContent {
		t.Fatalf("blocking: %d %s", res.StatusCode, b)
	}
	if n := chatCount(t, se, `SELECT count(*) FROM app.chat_message WHERE conversation_id = $1`, id); n != 0 {
		t.Error("the blocked conversation was not purged")
	}
	res, b := chatAPI(t, youth, http.MethodPost, "/api/v1/chat/nacka/conversations", nil)
	if res.StatusCode != http.StatusForbidden || !strings.Contains(b, "i dag") {
		t.Errorf("the blocked browser joining again: %d %s", res.StatusCode, b)
	}
	// Another browser, and the same browser elsewhere, are not blocked.
	if res, b := chatAPI(t, newBrowser(se.env), http.MethodPost, "/api/v1/chat/nacka/conversations", nil); res.StatusCode != http.StatusCreated {
		t.Errorf("another browser: %d %s", res.StatusCode, b)
	}
	if res, b := chatAPI(t, youth, http.MethodPost, "/api/v1/chat/botkyrka/conversations", nil); res.StatusCode != http.StatusCreated {
		t.Errorf("the blocked browser in another kommun: %d %s", res.StatusCode, b)
	}
}
