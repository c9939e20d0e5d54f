package httpapi

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/storsthlm/mottagning/internal/chat"
)

// chatSender is a cookie-keeping client: a youth's browser or a staffClient.
type chatSender interface {
	send(t *testing.T, req *http.Request) (*http.Response, string)
}

// chatFile is one file part of an upload.
type chatFile struct {
	name, ctype string
	data        []byte
}

// chatPNG returns a small real PNG image.
func chatPNG(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, 4, 4))); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

var chatPDF = []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")

// youthCSRF returns the CSRF token of a youth's browser.
func youthCSRF(t *testing.T, b *browser) string {
	t.Helper()
	_, body := b.get(t, "/api/v1/csrf")
	var out struct{ Token string }
	if err := json.Unmarshal([]byte(body), &out); err != nil || out.Token == "" {
		t.Fatalf("csrf: %q %v", body, err)
	}
	return out.Token
}

// chatUpload posts a multipart upload to path: with the CSRF token as the
// header of an API call (form false) or as the _csrf field of the page's
// form (form true); a nil f sends no file field at all.
func chatUpload(t *testing.T, c chatSender, path, csrf string, form bool, f *chatFile) (*http.Response, string) {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	if form {
		_ = w.WriteField("_csrf", csrf)
	}
	if f != nil {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename=%q`, f.name))
		h.Set("Content-Type", f.ctype)
		p, err := w.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		p.Write(f.data)
	} else {
		_ = w.WriteField("note", "ingen fil")
	}
	w.Close()
	req := httptest.NewRequest(http.MethodPost, path, &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	if !form {
		req.Header.Set("X-CSRF-Token", csrf)
		req.Header.Set("Accept", "application/json")
	}
	return c.send(t, req)
}

// chatActive has an anonymous youth join nacka's queue and a new counsellor
// of nacka pick the conversation up.
func chatActive(t *testing.T, se staffEnv) (*browser, *staffClient, uuid.UUID) {
	t.Helper()
	youth := newBrowser(se.env)
	id := chatJoin(t, se, youth, "nacka", url.Values{"topic": {"body"}})
	counsellor, _ := chatStaff(t, se, "nacka")
	if res, b := counsellor.api(t, http.MethodPost, "/api/v1/kommuner/nacka/chat/queue/pickup", map[string]string{"id": id.String()}); res.StatusCode != 200 {
		t.Fatalf("pick up: %d %s", res.StatusCode, b)
	}
	return youth, counsellor, id
}

// chatLeftSQL counts what is left of conversation $1: messages, answers
// and files (P18: nothing once it ended).
const chatLeftSQL = `SELECT (SELECT count(*) FROM app.chat_message WHERE conversation_id = $1)
	+ (SELECT count(*) FROM app.chat_answer WHERE conversation_id = $1) + (SELECT count(*) FROM app.chat_file WHERE conversation_id = $1)`

const (
	youthFiles = "/api/v1/chat/nacka/conversation/files"
	youthFile  = "/nacka/chatt/fil"
)

func staffFiles(id uuid.UUID) string {
	return "/api/v1/kommuner/nacka/chat/conversations/" + id.String() + "/files"
}
func staffFile(id uuid.UUID) string { return "/personal/nacka/chatt/" + id.String() + "/fil" }

func TestChatFilesSentBothWaysAndServedOnlyToParticipants(t *testing.T) {
	t.Parallel()
	se := chatEnv(t)
	youth, counsellor, id := chatActive(t, se)
	pic := chatPNG(t)

	// The youth sends a picture through the API; its type comes from the
	// content, not from the name or the declared type.
	res, body := chatUpload(t, youth, youthFiles, youthCSRF(t, youth), false, &chatFile{"../Min bild.jpeg", "application/octet-stream", pic})
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("youth upload: %d %s", res.StatusCode, body)
	}
	var m chat.Message
	if err := json.Unmarshal([]byte(body), &m); err != nil || m.File == nil {
		t.Fatalf("upload answer %s: %v", body, err)
	}
	if m.File.Type != "image/png" || m.File.Name != "Min bild.png" || m.File.Size != len(pic) || m.Sender != chat.FromYouth {
		t.Errorf("stored file %+v; want a PNG named Min bild.png of %d bytes", m.File, len(pic))
	}
	// Without JavaScript: the page's form, then back to the conversation.
	res, body = chatUpload(t, youth, youthFile, youthCSRF(t, youth), true, &chatFile{"andra.gif", "image/gif", pic})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/nacka/chatt#senaste" {
		t.Fatalf("youth upload through the page: %d %s", res.StatusCode, body)
	}
	// The counsellor sends a PDF through the page and one through the API.
	res, body = chatUpload(t, counsellor, staffFile(id), counsellor.token(t), true, &chatFile{"Broschyr.pdf", "application/pdf", chatPDF})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("counsellor upload through the page: %d %s", res.StatusCode, body)
	}
	if res, body = chatUpload(t, counsellor, staffFiles(id), counsellor.token(t), false, &chatFile{"karta.png", "image/png", pic}); res.StatusCode != http.StatusCreated {
		t.Fatalf("counsellor upload through the API: %d %s", res.StatusCode, body)
	}

	// Both see the four, in order, as file messages.
	p := decodePoll(t)(youth.get(t, "/api/v1/chat/nacka/conversation/messages"))
	var names []string
	for _, m := range p.Messages {
		if m.File == nil {
			t.Fatalf("message %+v has no file", m)
		}
		names = append(names, string(m.Sender)+":"+m.File.Name)
	}
	if got := strings.Join(names, " "); got != "youth:Min bild.png youth:andra.png staff:Broschyr.pdf staff:karta.png" {
		t.Errorf("the youth sees %s", got)
	}
	pdfID := p.Messages[2].File.ID
	_, page := youth.get(t, "/nacka/chatt")
	for _, want := range []string{`id="chat-advice"`, `id="chat-file-privacy"`, `enctype="multipart/form-data"`, `name="file"`,
		`href="/nacka/chatt/fil/` + pdfID.String() + `"`, "Broschyr.pdf", "(PDF, 0,1 kB)", `data-chat-file-max="` + strconv.Itoa(chat.MaxFile) + `"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the youth's page lacks %s", want)
		}
	}
	_, page = counsellor.get(t, "/personal/nacka/chatt/"+id.String())
	for _, want := range []string{`href="/personal/nacka/chatt/` + id.String() + `/fil/` + m.File.ID.String() + `"`, "Min bild.png", "(bild, PNG, 0,1 kB)", `action="/personal/nacka/chatt/` + id.String() + `/fil"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the counsellor's page lacks %s", want)
		}
	}

	// Downloads: an attachment of the sniffed type, never cached or sniffed.
	wantServed := func(who string, res *http.Response, body string, data []byte, ctype, name string) {
		t.Helper()
		if res.StatusCode != 200 || body != string(data) {
			t.Fatalf("%s download: %d, %d bytes", who, res.StatusCode, len(body))
		}
		for h, want := range map[string]string{"Content-Type": ctype, "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"} {
			if got := res.Header.Get(h); got != want {
				t.Errorf("%s download %s: %q; want %q", who, h, got, want)
			}
		}
		if disp, params, err := mime.ParseMediaType(res.Header.Get("Content-Disposition")); err != nil || disp != "attachment" || params["filename"] != name {
			t.Errorf("%s download Content-Disposition %q; want an attachment named %s", who, res.Header.Get("Content-Disposition"), name)
		}
	}
	res, body = youth.get(t, "/nacka/chatt/fil/"+pdfID.String())
	wantServed("youth", res, body, chatPDF, "application/pdf", "Broschyr.pdf")
	res, body = youth.get(t, "/api/v1/chat/nacka/conversation/files/"+m.File.ID.String())
	wantServed("youth API", res, body, pic, "image/png", "Min bild.png")
	logged := func() int {
		return chatCount(t, se, `SELECT count(*) FROM app.access_log WHERE action = 'conversation.read' AND subject_username = 'anonym'`)
	}
	before := logged()
	res, body = counsellor.get(t, "/personal/nacka/chatt/"+id.String()+"/fil/"+m.File.ID.String())
	wantServed("counsellor", res, body, pic, "image/png", "Min bild.png")
	if n := logged(); n != before+1 {
		t.Errorf("opening a file by the counsellor wrote %d access-log entries; want 1 (P14)", n-before)
	}

	// Nobody else: a stranger, another visitor, another kommun's counsellor.
	other, _ := chatStaff(t, se, "botkyrka")
	stranger := newBrowser(se.env)
	visitor := newBrowser(se.env)
	chatJoin(t, se, visitor, "nacka", url.Values{})
	youthPaths := []string{"/nacka/chatt/fil/" + pdfID.String(), "/api/v1/chat/nacka/conversation/files/" + pdfID.String()}
	staffPaths := []string{"/personal/nacka/chatt/" + id.String() + "/fil/" + pdfID.String(),
		"/api/v1/kommuner/nacka/chat/conversations/" + id.String() + "/files/" + pdfID.String(),
		"/api/v1/kommuner/botkyrka/chat/conversations/" + id.String() + "/files/" + pdfID.String()}
	for who, get := range map[string]func(string) (*http.Response, string){
		"stranger": func(p string) (*http.Response, string) { return stranger.get(t, p) },
		"visitor":  func(p string) (*http.Response, string) { return visitor.get(t, p) },
		"other":    func(p string) (*http.Response, string) { return other.get(t, p) },
	} {
		for _, p := range append(youthPaths, staffPaths...) {
			res, body := get(p)
			// Youth routes and another kommun's counsellor: not found. A
			// visitor on a staff route is sent to sign in first.
			want := []int{http.StatusNotFound}
			if who != "other" && strings.Contains(p, "/kommuner/") {
				want = []int{http.StatusUnauthorized}
			} else if who != "other" && strings.HasPrefix(p, "/personal/") {
				want = []int{http.StatusSeeOther}
			}
			if res.StatusCode != want[0] || strings.Contains(body, "%PDF") {
				t.Errorf("%s GET %s: %d; want %d", who, p, res.StatusCode, want[0])
			}
		}
	}
	if n := logged(); n != before+1 {
		t.Errorf("refused downloads wrote access-log entries: %d", n-before-1)
	}
}

func TestChatFilesBadInputRefusedClearly(t *testing.T) {
	t.Parallel()
	se := chatEnv(t)
	youth, counsellor, id := chatActive(t, se)
	pic := chatPNG(t)
	big := append(bytes.Clone(pic[:16]), make([]byte, chat.MaxFile+1-16)...)
	html := []byte("<!DOCTYPE html><html><body><script>alert(1)</script></body></html>")
	elf := append([]byte("\x7fELF\x02\x01\x01\x00"), make([]byte, 120)...)
	exe := append([]byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00"), make([]byte, 120)...)
	tok := youthCSRF(t, youth)
	for _, c := range []struct {
		name   string
		path   string
		form   bool
		file   *chatFile
		status int
		want   string
	}{
		{"oversized", youthFiles, false, &chatFile{"stor.png", "image/png", big}, 413, "Filen är för stor. Den får vara högst 10 MB."},
		{"oversized page", youthFile, true, &chatFile{"stor.png", "image/png", big}, 413, "Filen är för stor"},
		{"html as png", youthFiles, false, &chatFile{"x.png", "image/png", html}, 415, "Den här filen går inte att skicka"},
		{"elf as png", youthFiles, false, &chatFile{"x.png", "image/png", elf}, 415, "Den här filen går inte att skicka"},
		{"exe as pdf", youthFile, true, &chatFile{"x.pdf", "application/pdf", exe}, 415, "Den här filen går inte att skicka"},
		{"html as pdf", youthFiles, false, &chatFile{"x.pdf", "application/pdf", html}, 415, "Den här filen går inte att skicka"},
		{"empty", youthFiles, false, &chatFile{"tom.png", "image/png", nil}, 400, "Filen är tom"},
		{"no file chosen", youthFile, true, &chatFile{"", "application/octet-stream", nil}, 400, "Välj en fil att skicka"},
		{"no file field", youthFiles, false, nil, 400, "Välj en fil att skicka"},
	} {
		res, body := chatUpload(t, youth, c.path, tok, c.form, c.file)
		if res.StatusCode != c.status || !strings.Contains(body, c.want) {
			t.Errorf("%s: %d %.300s; want %d with %q", c.name, res.StatusCode, body, c.status, c.want)
		}
	}
	// Not multipart at all.
	if res, body := chatAPI(t, youth, http.MethodPost, youthFiles, map[string]string{"file": "aGVq"}); res.StatusCode != 400 || !strings.Contains(body, "Välj en fil") {
		t.Errorf("a JSON body: %d %s", res.StatusCode, body)
	}
	// Strangers and another kommun's counsellor: not found.
	stranger := newBrowser(se.env)
	if res, _ := chatUpload(t, stranger, youthFiles, youthCSRF(t, stranger), false, &chatFile{"a.png", "image/png", pic}); res.StatusCode != http.StatusNotFound {
		t.Errorf("a stranger uploading: %d; want 404", res.StatusCode)
	}
	other, _ := chatStaff(t, se, "botkyrka")
	for _, p := range []string{staffFiles(id), "/api/v1/kommuner/botkyrka/chat/conversations/" + id.String() + "/files"} {
		if res, body := chatUpload(t, other, p, other.token(t), false, &chatFile{"a.png", "image/png", pic}); res.StatusCode != http.StatusNotFound {
			t.Errorf("another kommun's counsellor uploading to %s: %d %s; want 404", p, res.StatusCode, body)
		}
	}
	if res, _ := chatUpload(t, other, staffFile(id), other.token(t), true, &chatFile{"a.png", "image/png", pic}); res.StatusCode != http.StatusNotFound {
		t.Errorf("another kommun's counsellor through the page: %d; want 404", res.StatusCode)
	}
	// The counsellor's page without JavaScript shows the same refusal.
	res, body := chatUpload(t, counsellor, staffFile(id), counsellor.token(t), true, &chatFile{"x.png", "image/png", html})
	if res.StatusCode != http.StatusUnsupportedMediaType || staffFieldError(body, "file") != se.msg("chat.file.error.type", nil) {
		t.Errorf("a disguised file through the counsellor's page: %d, field error %q", res.StatusCode, staffFieldError(body, "file"))
	}
	// A colleague who does not have the conversation: not theirs.
	colleague, _ := chatStaff(t, se, "nacka")
	if res, body := chatUpload(t, colleague, staffFiles(id), colleague.token(t), false, &chatFile{"a.png", "image/png", pic}); res.StatusCode != http.StatusConflict {
		t.Errorf("a colleague uploading: %d %s; want 409", res.StatusCode, body)
	}
	if n := chatCount(t, se, `SELECT (SELECT count(*) FROM app.chat_file) + (SELECT count(*) FROM app.chat_message)`); n != 0 {
		t.Fatalf("%d files and messages stored by refused uploads", n)
	}
	// A body over the upload routes' own limit is refused before any handler.
	// fasthttp refuses it from its Content-Length, before reading it: over
	// a real connection, the headers alone get the answer.
	conn, err := net.Dial("tcp", strings.TrimPrefix(se.listen(t), "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: localhost\r\nContent-Type: multipart/form-data; boundary=x\r\nContent-Length: %d\r\n\r\n",
		youthFiles, chatUploadBodyLimit+1)
	if res, err := http.ReadResponse(bufio.NewReader(conn), nil); err != nil || res.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("a body over the upload limit: %v %v; want 413", res, err)
	} else if b, _ := io.ReadAll(res.Body); !strings.Contains(string(b), "too_large") {
		t.Errorf("a body over the upload limit: %s; want the JSON error too_large", b)
	}
	// Other routes keep the configured limit.
	req := httptest.NewRequest(http.MethodPost, "/api/v1/chat/nacka/conversation/messages", bytes.NewReader(make([]byte, se.srv.cfg.BodyLimit+1)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", tok)
	if res, _ := youth.send(t, req); res.StatusCode != 413 {
		t.Errorf("a message body over BodyLimit: %d; want 413", res.StatusCode)
	}

	// Ended: the counsellor is told so; the youth's token no longer works.
	if res, _ := counsellor.api(t, http.MethodDelete, "/api/v1/kommuner/nacka/chat/conversations/"+id.String(), nil); res.StatusCode != http.StatusNoContent {
		t.Fatal("ending failed")
	}
	if res, body := chatUpload(t, counsellor, staffFiles(id), counsellor.token(t), false, &chatFile{"a.png", "image/png", pic}); res.StatusCode != http.StatusConflict || !strings.Contains(body, "redan avslutat") {
		t.Errorf("uploading to an ended conversation: %d %s; want 409", res.StatusCode, body)
	}
	if res, _ := chatUpload(t, youth, youthFiles, tok, false, &chatFile{"a.png", "image/png", pic}); res.StatusCode != http.StatusNotFound {
		t.Errorf("the youth uploading after the end: %d; want 404", res.StatusCode)
	}
	if n := chatCount(t, se, `SELECT (SELECT count(*) FROM app.chat_file) + (SELECT count(*) FROM app.chat_message)`); n != 0 {
		t.Errorf("%d files and messages stored by refused uploads", n)
	}
}

func TestChatFilesRateLimited(t *testing.T) {
	t.Parallel()
	se := chatEnv(t)
	youth, _, id := chatActive(t, se)
	pic := chatPNG(t)
	tok := youthCSRF(t, youth)
	for i := range chatFilesPerConv.Burst {
		if res, body := chatUpload(t, youth, youthFiles, tok, false, &chatFile{"a.png", "image/png", pic}); res.StatusCode != http.StatusCreated {
			t.Fatalf("upload %d: %d %s", i+1, res.StatusCode, body)
		}
	}
	res, body := chatUpload(t, youth, youthFiles, tok, false, &chatFile{"a.png", "image/png", pic})
	if res.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "många filer") {
		t.Errorf("one upload too many: %d %s; want 429", res.StatusCode, body)
	}
	if n := chatCount(t, se, `SELECT count(*) FROM app.chat_file WHERE conversation_id = $1`, id); n != chatFilesPerConv.Burst {
		t.Errorf("%d files stored; want %d", n, chatFilesPerConv.Burst)
	}
}

func TestChatFilesLargestAccepted(t *testing.T) {
	t.Parallel()
	se := chatEnv(t)
	youth, _, id := chatActive(t, se)
	pic := chatPNG(t)
	largest := append(bytes.Clone(pic[:16]), make([]byte, chat.MaxFile-16)...)
	// Through the page's form, whose CSRF field rides in the same body.
	if res, body := chatUpload(t, youth, youthFile, youthCSRF(t, youth), true, &chatFile{"stor.png", "image/png", largest}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("a file of exactly %d bytes: %d %.300s", chat.MaxFile, res.StatusCode, body)
	}
	if n := chatCount(t, se, `SELECT count(*) FROM app.chat_file WHERE conversation_id = $1 AND size = $2 AND length(data) = $2`, id, chat.MaxFile); n != 1 {
		t.Errorf("%d files of %d bytes stored; want 1", n, chat.MaxFile)
	}
}
