package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/storsthlm/mottagning/internal/chat"
	"github.com/storsthlm/mottagning/internal/notify"
	"github.com/storsthlm/mottagning/internal/testenv"
)

// chatReplica starts a second server on the same database and Redis as
// se, as another `serve` replica would be, and returns it as a staffEnv;
// mutate may change its dependencies.
func chatReplica(t *testing.T, se staffEnv, mutate ...func(*Deps)) staffEnv {
	t.Helper()
	d := Deps{Config: se.srv.cfg, Store: se.db, Redis: se.srv.rdb, RedisPrefix: se.srv.prefix, Authz: se.srv.authz,
		Registry: prometheus.NewRegistry(), Accounts: se.srv.accounts, AccountDB: se.db}
	for _, m := range mutate {
		m(&d)
	}
	srv, err := newServer(d)
	if err != nil {
		t.Fatal(err)
	}
	app, err := srv.app(srv.routes)
	if err != nil {
		t.Fatal(err)
	}
	other := se
	other.env = env{app: app, srv: srv, db: se.db, dbinfo: se.dbinfo, system: se.system}
	return other
}

func chatDial(t *testing.T, base, path string, cookies map[string]string, origin string) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	h := http.Header{}
	var cs []string
	for k, v := range cookies {
		cs = append(cs, k+"="+v)
	}
	h.Set("Cookie", strings.Join(cs, "; "))
	if origin != "" {
		h.Set("Origin", origin)
	}
	return websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(base, "http")+path, h)
}

// chatReadUntil reads frames until one carries a message with body want,
// and returns every message read on the way.
func chatReadUntil(t *testing.T, ws *websocket.Conn, want string) []chat.Message {
	t.Helper()
	var got []chat.Message
	_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		var f socketFrame
		if err := ws.ReadJSON(&f); err != nil {
			t.Fatalf("waiting for %q: %v (got %+v)", want, err, got)
		}
		got = append(got, f.Messages...)
		for _, m := range f.Messages {
			if m.Body == want {
				return got
			}
		}
	}
}

func TestChatRealTimeAcrossReplicasAndResume(t *testing.T) {
	t.Parallel()
	a := chatEnv(t)
	b := chatReplica(t, a)
	baseA, baseB := a.listen(t), b.listen(t)

	youth := newBrowser(a.env)
	id := chatJoin(t, a, youth, "nacka", url.Values{})
	counsellor, _ := chatStaff(t, b, "nacka")
	if res, body := counsellor.api(t, http.MethodPost, "/api/v1/kommuner/nacka/chat/queue/pickup", nil); res.StatusCode != 200 {
		t.Fatalf("pick up on replica B: %d %s", res.StatusCode, body)
	}

	// A page of another site may not open the socket.
	if _, res, err := chatDial(t, baseA, "/api/v1/chat/nacka/conversation/ws", youth.cookies, "http://annan.example"); err == nil || res == nil || res.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site websocket: %v, %v; want 403", err, res)
	}
	// Another kommun's counsellor cannot open the staff socket.
	other, _ := chatStaff(t, b, "botkyrka")
	if _, res, err := chatDial(t, baseB, "/api/v1/kommuner/nacka/chat/conversations/"+id.String()+"/ws", other.cookies, baseB); err == nil || res.StatusCode != http.StatusNotFound {
		t.Errorf("another kommun's counsellor's socket: %v; want 404", err)
	}

	youthWS, _, err := chatDial(t, baseA, "/api/v1/chat/nacka/conversation/ws?after=0", youth.cookies, baseA)
	if err != nil {
		t.Fatalf("youth socket on replica A: %v", err)
	}
	staffWS, _, err := chatDial(t, baseB, "/api/v1/kommuner/nacka/chat/conversations/"+id.String()+"/ws?after=0", counsellor.cookies, baseB)
	if err != nil {
		t.Fatalf("counsellor socket on replica B: %v", err)
	}
	defer staffWS.Close()

	counsellor.api(t, http.MethodPost, "/api/v1/kommuner/nacka/chat/conversations/"+id.String()+"/messages", map[string]string{"body": "ett"})
	first := chatReadUntil(t, youthWS, "ett")
	chatAPI(t, youth, http.MethodPost, "/api/v1/chat/nacka/conversation/messages", map[string]string{"body": "från ungdomen"})
	chatReadUntil(t, staffWS, "från ungdomen")

	// The youth drops off; two messages come meanwhile; resuming from the
	// last seen id loses none.
	youthWS.Close()
	seen := first[len(first)-1].ID
	counsellor.api(t, http.MethodPost, "/api/v1/kommuner/nacka/chat/conversations/"+id.String()+"/messages", map[string]string{"body": "två"})
	counsellor.api(t, http.MethodPost, "/api/v1/kommuner/nacka/chat/conversations/"+id.String()+"/messages", map[string]string{"body": "tre"})
	youthWS, _, err = chatDial(t, baseA, "/api/v1/chat/nacka/conversation/ws?after="+strconv.FormatInt(seen, 10), youth.cookies, baseA)
	if err != nil {
		t.Fatalf("reconnecting: %v", err)
	}
	defer youthWS.Close()
	got := chatReadUntil(t, youthWS, "tre")
	var bodies []string
	for _, m := range got {
		bodies = append(bodies, m.Body)
	}
	if strings.Join(bodies, ",") != "från ungdomen,två,tre" {
		t.Errorf("after resuming the youth got %v; want från ungdomen, två, tre", bodies)
	}

	// The end reaches the other replica's socket.
	if res, _ := counsellor.api(t, http.MethodDelete, "/api/v1/kommuner/nacka/chat/conversations/"+id.String(), nil); res.StatusCode != http.StatusNoContent {
		t.Fatal("ending failed")
	}
	_ = youthWS.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		var f socketFrame
		if err := youthWS.ReadJSON(&f); err != nil {
			t.Fatalf("the youth's socket did not see the end: %v", err)
		}
		if f.Status == chat.Ended {
			break
		}
	}
}

// chatPair sets up an anonymous youth on replica a and a counsellor of
// nacka on replica b who picked the conversation up, both with sockets.
func chatPair(t *testing.T, a, b staffEnv) (youth *browser, counsellor *staffClient, id uuid.UUID, youthWS, staffWS *websocket.Conn) {
	t.Helper()
	baseA, baseB := a.listen(t), b.listen(t)
	youth = newBrowser(a.env)
	id = chatJoin(t, a, youth, "nacka", url.Values{})
	counsellor, _ = chatStaff(t, b, "nacka")
	if res, body := counsellor.api(t, http.MethodPost, "/api/v1/kommuner/nacka/chat/queue/pickup", nil); res.StatusCode != 200 {
		t.Fatalf("pick up on replica B: %d %s", res.StatusCode, body)
	}
	var err error
	if youthWS, _, err = chatDial(t, baseA, "/api/v1/chat/nacka/conversation/ws?after=0", youth.cookies, baseA); err != nil {
		t.Fatalf("youth socket on replica A: %v", err)
	}
	t.Cleanup(func() { youthWS.Close() })
	if staffWS, _, err = chatDial(t, baseB, "/api/v1/kommuner/nacka/chat/conversations/"+id.String()+"/ws?after=0", counsellor.cookies, baseB); err != nil {
		t.Fatalf("counsellor socket on replica B: %v", err)
	}
	t.Cleanup(func() { staffWS.Close() })
	return youth, counsellor, id, youthWS, staffWS
}

func TestChatSocketsSurviveRedisRestartAcrossReplicas(t *testing.T) {
	t.Parallel()
	r := testenv.NewPrivateRedis(t)
	a := chatEnvOf(t, staffEnvOf(t, newEnvOn(t, r.Client, "")))
	b := chatReplica(t, a)
	youth, counsellor, id, youthWS, staffWS := chatPair(t, a, b)
	msgs := "/api/v1/kommuner/nacka/chat/conversations/" + id.String() + "/messages"
	counsellor.api(t, http.MethodPost, msgs, map[string]string{"body": "före"})
	chatReadUntil(t, youthWS, "före")

	r.Restart()
	counsellor.csrf = "" // CSRF tokens live in Redis: after a restart the page is reloaded

	// Sent after the restart, through replica B, to the socket that the
	// youth opened on replica A before it; and back.
	if res, body := counsellor.api(t, http.MethodPost, msgs, map[string]string{"body": "efter omstarten"}); res.StatusCode != http.StatusCreated {
		t.Fatalf("sending after the restart: %d %s", res.StatusCode, body)
	}
	chatReadUntil(t, youthWS, "efter omstarten")
	if res, body := chatAPI(t, youth, http.MethodPost, "/api/v1/chat/nacka/conversation/messages", map[string]string{"body": "svar efter"}); res.StatusCode != http.StatusCreated {
		t.Fatalf("youth sending after the restart: %d %s", res.StatusCode, body)
	}
	chatReadUntil(t, staffWS, "svar efter")
	// One subscriber per process, not per socket: two pattern
	// subscriptions (one per replica, renewed after the restart) and no
	// channel subscriptions.
	ctx := context.Background()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		list, err := r.Client.ClientList(ctx).Result()
		psub, sub := strings.Count(list, " psub=1 "), strings.Count(list, " sub=")-strings.Count(list, " sub=0 ")
		if err == nil && psub == 2 && sub == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Redis has %d pattern subscribers and %d channel subscribers (%v); want 2 and none:\n%s", psub, sub, err, list)
		}
	}
}

// chatReadFrame reads frames until one satisfies ok and returns it.
func chatReadFrame(t *testing.T, ws *websocket.Conn, what string, ok func(socketFrame) bool) socketFrame {
	t.Helper()
	_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		var f socketFrame
		if err := ws.ReadJSON(&f); err != nil {
			t.Fatalf("waiting for %s: %v", what, err)
		}
		if ok(f) {
			return f
		}
	}
}

func TestChatTypingDeliveredAndReadAcrossReplicas(t *testing.T) {
	t.Parallel()
	a := chatEnv(t)
	b := chatReplica(t, a)
	youth, counsellor, id, youthWS, staffWS := chatPair(t, a, b)
	_, body := counsellor.api(t, http.MethodPost, "/api/v1/kommuner/nacka/chat/conversations/"+id.String()+"/messages", map[string]string{"body": "hej"})
	var staffMsg chat.Message
	if err := json.Unmarshal([]byte(body), &staffMsg); err != nil || staffMsg.ID == 0 {
		t.Fatalf("sending: %s", body)
	}
	chatReadUntil(t, youthWS, "hej")
	_, body = chatAPI(t, youth, http.MethodPost, "/api/v1/chat/nacka/conversation/messages", map[string]string{"body": "hallå"})
	var youthMsg chat.Message
	if err := json.Unmarshal([]byte(body), &youthMsg); err != nil {
		t.Fatal(body)
	}
	chatReadUntil(t, staffWS, "hallå")
	marks := func() string {
		var s string
		if err := adminConn(t, a.env).QueryRow(context.Background(), `SELECT format('%s/%s/%s/%s', youth_delivered, youth_read, staff_delivered, staff_read)
			FROM app.chat_conversation WHERE id = $1`, id).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}

	// Acknowledgements that do not count write nothing: the youth's own
	// message, one beyond the newest, a negative id, an unknown field.
	for _, in := range []string{
		fmt.Sprintf(`{"ack":%d}`, youthMsg.ID), fmt.Sprintf(`{"read":%d}`, youthMsg.ID+1000),
		`{"ack":-3}`, `{"hello":"world"}`,
	} {
		if err := youthWS.WriteMessage(websocket.TextMessage, []byte(in)); err != nil {
			t.Fatal(err)
		}
	}
	// Typing reaches the counsellor on the other replica, and not the
	// youth's own socket as the other side's typing.
	if err := youthWS.WriteJSON(map[string]bool{"typing": true}); err != nil {
		t.Fatal(err)
	}
	chatReadFrame(t, staffWS, "typing", func(f socketFrame) bool { return f.Typing })
	if got := marks(); got != "0/0/0/0" {
		t.Errorf("marks after acknowledgements that do not count: %s; want 0/0/0/0", got)
	}
	if n := chatCount(t, a, `SELECT count(*) FROM app.chat_message WHERE conversation_id = $1`, id); n != 2 {
		t.Errorf("%d messages; typing must not write any", n)
	}

	// Delivered, then read, of the counsellor's message.
	_ = youthWS.WriteJSON(map[string]int64{"ack": staffMsg.ID})
	chatReadFrame(t, staffWS, "delivered", func(f socketFrame) bool { return f.Delivered == staffMsg.ID })
	_ = youthWS.WriteJSON(map[string]int64{"read": staffMsg.ID})
	f := chatReadFrame(t, staffWS, "read", func(f socketFrame) bool { return f.Read == staffMsg.ID })
	if f.Delivered != staffMsg.ID {
		t.Errorf("read %d but delivered %d", f.Read, f.Delivered)
	}
	// The counsellor reads the youth's message; a colleague looking on does not count.
	colleague, _ := chatStaff(t, b, "nacka")
	baseB := b.listen(t)
	otherWS, _, err := chatDial(t, baseB, "/api/v1/kommuner/nacka/chat/conversations/"+id.String()+"/ws?after=0", colleague.cookies, baseB)
	if err != nil {
		t.Fatal(err)
	}
	defer otherWS.Close()
	chatReadUntil(t, otherWS, "hallå")
	_ = otherWS.WriteJSON(map[string]int64{"read": youthMsg.ID})
	_ = staffWS.WriteJSON(map[string]int64{"read": youthMsg.ID})
	chatReadFrame(t, youthWS, "read by the counsellor", func(f socketFrame) bool { return f.Read == youthMsg.ID })
	// Going back is ignored; the acknowledgement after it shows it was handled.
	_, body = counsellor.api(t, http.MethodPost, "/api/v1/kommuner/nacka/chat/conversations/"+id.String()+"/messages", map[string]string{"body": "två"})
	var second chat.Message
	if err := json.Unmarshal([]byte(body), &second); err != nil {
		t.Fatal(body)
	}
	chatReadUntil(t, youthWS, "två")
	_ = youthWS.WriteJSON(map[string]int64{"read": 1})
	_ = youthWS.WriteJSON(map[string]int64{"ack": second.ID})
	chatReadFrame(t, staffWS, "the second delivered", func(f socketFrame) bool { return f.Delivered == second.ID })
	if got, want := marks(), fmt.Sprintf("%d/%d/%d/%d", second.ID, staffMsg.ID, youthMsg.ID, youthMsg.ID); got != want {
		t.Errorf("marks %s; want %s (delivered/read of the youth, then of the counsellor)", got, want)
	}
}

func TestChatSocketClosesOnBadFrames(t *testing.T) {
	t.Parallel()
	a := chatEnv(t)
	_, _, _, youthWS, staffWS := chatPair(t, a, a)
	for ws, in := range map[*websocket.Conn][]byte{youthWS: []byte("not json"), staffWS: []byte(`{"ack":"` + strings.Repeat("9", 5000) + `"}`)} {
		chatReadFrame(t, ws, "the first frame", func(socketFrame) bool { return true })
		if err := ws.WriteMessage(websocket.TextMessage, in); err != nil {
			t.Fatal(err)
		}
		_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
		var err error
		for err == nil {
			_, _, err = ws.ReadMessage()
		}
		var ce *websocket.CloseError
		if !errors.As(err, &ce) || (ce.Code != websocket.CloseUnsupportedData && ce.Code != websocket.CloseMessageTooBig) {
			t.Errorf("after a bad frame (%d bytes): %v; want a clean close 1003 or 1009", len(in), err)
		}
	}
}

func TestChatNewMessageNoticeOnlyWhenTheSignedInYouthIsAway(t *testing.T) {
	t.Parallel()
	se := chatEnv(t)
	base := se.listen(t)
	youth := newBrowser(se.env)
	youth.register(t, "stjarnfall", "en lång fras att minnas")
	id := chatJoin(t, se, youth, "nacka", url.Values{})
	var account uuid.UUID
	if err := adminConn(t, se.env).QueryRow(context.Background(), `SELECT account_id FROM app.chat_conversation WHERE id = $1`, id).Scan(&account); err != nil {
		t.Fatal(err)
	}
	counsellor, _ := chatStaff(t, se, "nacka")
	counsellor.api(t, http.MethodPost, "/api/v1/kommuner/nacka/chat/queue/pickup", map[string]string{"id": id.String()})
	send := func(body string) {
		t.Helper()
		if res, b := counsellor.api(t, http.MethodPost, "/api/v1/kommuner/nacka/chat/conversations/"+id.String()+"/messages", map[string]string{"body": body}); res.StatusCode != http.StatusCreated {
			t.Fatalf("sending: %d %s", res.StatusCode, b)
		}
	}
	notices := func() int {
		return chatCount(t, se, `SELECT count(*) FROM app.notice_outbox WHERE account_id = $1 AND kind = 'new_message'`, account)
	}
	perNotice := len(notify.Channels) // one row per channel; the worker picks those switched on

	send("hemligt innehåll")
	if n := notices(); n != perNotice {
		t.Fatalf("%d notice rows after a message to an away youth; want %d", n, perNotice)
	}
	if n := chatCount(t, se, `SELECT count(*) FROM app.notice_outbox WHERE account_id = $1 AND payload::text LIKE '%hemligt%'`, account); n != 0 {
		t.Error("a notice carries the message's content")
	}
	if n := chatCount(t, se, `SELECT count(*) FROM app.notice_outbox WHERE account_id = $1 AND payload->>'slug' = 'nacka'`, account); n != perNotice {
		t.Errorf("%d notices lead to Nacka's chat; want %d", n, perNotice)
	}
	send("en till")
	if n := notices(); n != perNotice {
		t.Errorf("%d notice rows after a second message within 15 minutes; want still %d", n, perNotice)
	}

	// With a socket open (on any replica) the youth is present: no notice,
	// even once the 15 minutes have passed.
	se.srv.rdb.Del(context.Background(), se.srv.chatNoticeKey(id))
	ws, _, err := chatDial(t, base, "/api/v1/chat/nacka/conversation/ws?after=0", youth.cookies, base)
	if err != nil {
		t.Fatal(err)
	}
	chatReadUntil(t, ws, "en till") // the socket is registered before its first frame
	send("medan du är här")
	if n := notices(); n != perNotice {
		t.Errorf("%d notice rows after a message while the youth's socket is open; want still %d", n, perNotice)
	}
	ws.Close()
	for deadline := time.Now().Add(10 * time.Second); !time.Now().After(deadline); time.Sleep(50 * time.Millisecond) {
		if se.srv.rdb.ZCard(context.Background(), se.srv.chatPresenceKey(id)).Val() == 0 {
			break
		}
	}
	send("när du har gått")
	if n := notices(); n != 2*perNotice {
		t.Errorf("%d notice rows after the youth left; want %d", n, 2*perNotice)
	}

	// An anonymous youth has no contact: no notice.
	anon := newBrowser(se.env)
	aid := chatJoin(t, se, anon, "nacka", url.Values{})
	counsellor.api(t, http.MethodPost, "/api/v1/kommuner/nacka/chat/queue/pickup", map[string]string{"id": aid.String()})
	before := chatCount(t, se, `SELECT count(*) FROM app.notice_outbox`)
	counsellor.api(t, http.MethodPost, "/api/v1/kommuner/nacka/chat/conversations/"+aid.String()+"/messages", map[string]string{"body": "hej"})
	if n := chatCount(t, se, `SELECT count(*) FROM app.notice_outbox`); n != before {
		t.Errorf("a message to an anonymous youth queued %d notices", n-before)
	}
}

// askFeedback is a feedback feature stand-in: it offers a step after every
// conversation it is asked about.
type askFeedback struct{}

func (askFeedback) AskAfter(_ context.Context, c chat.Conversation) (chat.FeedbackPrompt, bool) {
	return chat.FeedbackPrompt{Key: "chat.heading", URL: "/tyck-till/" + c.ID.String()}, true
}

func TestChatFeedbackSeamAfterTheEndOfASignedInYouthsConversation(t *testing.T) {
	t.Parallel()
	plain := chatEnv(t)
	withAsker := chatReplica(t, plain, func(d *Deps) { d.ChatFeedback = []chat.FeedbackAsker{askFeedback{}} })
	end := func(se staffEnv, b *browser) (uuid.UUID, string) {
		t.Helper()
		id := chatJoin(t, se, b, "nacka", url.Values{})
		res, _ := b.post(t, "/nacka/chatt", "/nacka/chatt/avsluta", url.Values{})
		loc := res.Header.Get("Location")
		if res.StatusCode != http.StatusSeeOther || !strings.Contains(loc, id.String()) {
			t.Fatalf("ending: %d to %q", res.StatusCode, loc)
		}
		_, page := b.get(t, loc)
		return id, page
	}
	youth := newBrowser(withAsker.env)
	youth.register(t, "tallkotten", "en lång fras att minnas")
	id, page := end(withAsker, youth)
	if !strings.Contains(page, `id="chat-feedback"`) || !strings.Contains(page, "/tyck-till/"+id.String()) {
		t.Error("the signed-in youth is not offered the feedback step after the end")
	}
	// Another youth following the same link, and anonymous visitors, are not asked.
	stranger := newBrowser(withAsker.env)
	stranger.register(t, "grankotten", "en lång fras att minnas")
	if _, page := stranger.get(t, chatEndedURL("nacka", id)); strings.Contains(page, "chat-feedback") {
		t.Error("another youth is offered feedback on someone else's conversation")
	}
	if _, page := end(withAsker, newBrowser(withAsker.env)); strings.Contains(page, "chat-feedback") {
		t.Error("an anonymous visitor is asked for feedback")
	}
	// Without a feedback feature nothing is asked.
	other := newBrowser(plain.env)
	other.register(t, "kottenlos", "en lång fras att minnas")
	if _, page := end(plain, other); strings.Contains(page, "chat-feedback") || !strings.Contains(page, "avslutat") {
		t.Error("the default asks for feedback, or the ended notice is missing")
	}
}

// chatReceptionJSON reads the chat fields of the public reception API.
func chatReceptionJSON(t *testing.T, b *browser, slug string) (open, available bool) {
	t.Helper()
	res, body := b.get(t, "/api/v1/kommuner/"+slug+"/reception")
	var out struct {
		Open      *bool `json:"chat_open_now"`
		Available *bool `json:"chat_counsellor_available"`
	}
	if err := json.Unmarshal([]byte(body), &out); res.StatusCode != http.StatusOK || err != nil || out.Open == nil || out.Available == nil {
		t.Fatalf("the reception API of %s: %d %s", slug, res.StatusCode, body)
	}
	return *out.Open, *out.Available
}

func TestChatAvailabilityOnTheReceptionPageAndColleaguesOnTheQueue(t *testing.T) {
	t.Parallel()
	se := chatEnv(t)
	visitor := newBrowser(se.env)
	if _, page := visitor.get(t, "/nacka"); !strings.Contains(page, `id="chat-now"`) || !strings.Contains(page, "alla kuratorer är upptagna") {
		t.Error("the reception page does not say the chat is open but everyone is busy")
	}
	if open, available := chatReceptionJSON(t, visitor, "nacka"); !open || available {
		t.Errorf("the reception API before anyone is available: chat open %v, available %v; want true, false", open, available)
	}
	a, _ := chatStaff(t, se, "nacka")
	b, _ := chatStaff(t, se, "nacka")
	if res, body := a.api(t, http.MethodPut, "/api/v1/kommuner/nacka/chat/availability", map[string]string{"status": "available"}); res.StatusCode != http.StatusNoContent {
		t.Fatalf("setting the status: %d %s", res.StatusCode, body)
	}
	if res, _ := b.api(t, http.MethodPut, "/api/v1/kommuner/nacka/chat/availability", map[string]string{"status": "på lunch"}); res.StatusCode != http.StatusBadRequest {
		t.Errorf("an unknown status: %d; want 400", res.StatusCode)
	}
	if _, page := visitor.get(t, "/nacka"); !strings.Contains(page, `en kurator kan svara dig. <a href="/nacka/chatt">`) || !strings.Contains(page, "</html>") {
		t.Error("the reception page does not say a counsellor is available")
	}
	if open, available := chatReceptionJSON(t, visitor, "nacka"); !open || !available {
		t.Errorf("the reception API with a counsellor available: chat open %v, available %v; want both true", open, available)
	}
	_, page := b.get(t, "/personal/nacka/chatt")
	i := strings.Index(page, `id="colleague-status"`)
	if i < 0 || !strings.Contains(page[i:], ": Tillgänglig") {
		t.Error("the queue page does not show the colleague's status")
	}
	// A reception without chat says nothing about it.
	if _, page := visitor.get(t, "/solna"); strings.Contains(page, `id="chat-now"`) {
		t.Error("a reception without an open chat shows the chat's availability")
	}
	solna, _ := chatStaff(t, se, "solna")
	if res, body := solna.api(t, http.MethodPut, "/api/v1/kommuner/solna/chat/availability", map[string]string{"status": "available"}); res.StatusCode != http.StatusNoContent {
		t.Fatalf("setting the status in solna: %d %s", res.StatusCode, body)
	}
	if open, available := chatReceptionJSON(t, visitor, "solna"); open || available {
		t.Errorf("the reception API of a reception without chat: chat open %v, available %v; want both false", open, available)
	}
}
