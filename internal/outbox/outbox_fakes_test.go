package outbox_test

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// fakeTwilio is a local stand-in for Twilio's Messages resource (create
// and list), reached by the real twilio-go client through rewrite.
type fakeTwilio struct {
	mu   sync.Mutex
	msgs []twMsg
	// hold, if set, is called for each create after the message is
	// recorded; it may block and returns whether to answer with an error
	// (the message was accepted but the answer is lost).
	hold func() (fail bool)
	// at records when each message arrived, by body, for latency figures.
	at map[string]time.Time
}

type twMsg struct {
	SID, To, From, Body string
}

func (f *fakeTwilio) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if r.Method == http.MethodGet {
		q := r.URL.Query()
		f.mu.Lock()
		var out []map[string]string
		for _, m := range f.msgs {
			if m.To == q.Get("To") && (q.Get("From") == "" || m.From == q.Get("From")) {
				out = append(out, map[string]string{"sid": m.SID, "to": m.To, "from": m.From, "body": m.Body, "status": "sent"})
			}
		}
		f.mu.Unlock()
		if out == nil {
			out = []map[string]string{}
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"messages": out, "page_size": 50, "page": 0})
		return
	}
	_ = r.ParseForm()
	to := r.PostForm.Get("To")
	if to == "+46700000000" {
		w.WriteHeader(400)
		_, _ = w.Write([]byte(`{"code": 21211, "message": "Invalid 'To' Phone Number", "status": 400}`))
		return
	}
	f.mu.Lock()
	sid := fmt.Sprintf("SM%032d", len(f.msgs)+1)
	f.msgs = append(f.msgs, twMsg{SID: sid, To: to, From: r.PostForm.Get("From"), Body: r.PostForm.Get("Body")})
	if f.at != nil {
		f.at[r.PostForm.Get("Body")] = time.Now()
	}
	hold := f.hold
	f.mu.Unlock()
	if hold != nil && hold() {
		w.WriteHeader(503)
		_, _ = w.Write([]byte(`{"code": 20503, "message": "unavailable", "status": 503}`))
		return
	}
	w.WriteHeader(201)
	_, _ = fmt.Fprintf(w, `{"sid": %q, "status": "queued"}`, sid)
}

func (f *fakeTwilio) messages() []twMsg {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]twMsg(nil), f.msgs...)
}

type rewrite struct{ target *url.URL }

func (rw rewrite) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.URL.Scheme, r.URL.Host = rw.target.Scheme, rw.target.Host
	return http.DefaultTransport.RoundTrip(r)
}

func newFakeTwilio(t testing.TB) (*fakeTwilio, *http.Client) {
	f := &fakeTwilio{}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	return f, &http.Client{Transport: rewrite{u}, Timeout: 5 * time.Second}
}

// fakeSMTP is a real SMTP server in-process (go-smtp) with STARTTLS.
type fakeSMTP struct {
	mu   sync.Mutex
	msgs []smtpMsg
	addr string
	tls  *tls.Config // what a client must trust
}

type smtpMsg struct {
	To   string
	Data string
}

type smtpSession struct {
	f  *fakeSMTP
	to string
}

func (f *fakeSMTP) NewSession(*smtp.Conn) (smtp.Session, error) { return &smtpSession{f: f}, nil }

func (s *smtpSession) Reset()        {}
func (s *smtpSession) Logout() error { return nil }
func (s *smtpSession) Mail(string, *smtp.MailOptions) error {
	return nil
}
func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if strings.HasPrefix(to, "finnsinte@") {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
	}
	s.to = to
	return nil
}
func (s *smtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.f.mu.Lock()
	s.f.msgs = append(s.f.msgs, smtpMsg{To: s.to, Data: string(b)})
	s.f.mu.Unlock()
	return nil
}

func (f *fakeSMTP) messages() []smtpMsg {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]smtpMsg(nil), f.msgs...)
}

// newFakeSMTP starts the server with httptest's certificate for 127.0.0.1
// and returns the TLS configuration that trusts it.
func newFakeSMTP(t testing.TB) *fakeSMTP {
	hs := httptest.NewTLSServer(http.NotFoundHandler())
	cert := hs.TLS.Certificates[0]
	pool := hs.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	hs.Close()
	f := &fakeSMTP{tls: &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}}
	s := smtp.NewServer(f)
	s.Domain = "localhost"
	s.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	s.ReadTimeout, s.WriteTimeout = 10*time.Second, 10*time.Second
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f.addr = l.Addr().String()
	go func() { _ = s.Serve(l) }()
	t.Cleanup(func() { _ = s.Close() })
	return f
}
