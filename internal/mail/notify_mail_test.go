package mail

import (
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/google/uuid"

	"github.com/storsthlm/mottagning/internal/notify"
)

type backend struct{ got chan string }

func (b backend) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{b}, nil }

type session struct{ b backend }

func (s *session) Reset()                               {}
func (s *session) Logout() error                        { return nil }
func (s *session) Mail(string, *smtp.MailOptions) error { return nil }
func (s *session) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *session) Data(r io.Reader) error {
	b, _ := io.ReadAll(r)
	s.b.got <- string(b)
	return nil
}

// TestTLSIsNeverOptional: a server that offers no STARTTLS gets nothing;
// the message is not sent in clear text.
func TestTLSIsNeverOptional(t *testing.T) {
	t.Parallel()
	b := backend{got: make(chan string, 1)}
	srv := smtp.NewServer(b)
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	port := l.Addr().(*net.TCPAddr).Port
	s, err := New(Config{Host: "127.0.0.1", Port: port, From: "noreply@mottagning.example", Timeout: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	n := notify.New(uuid.New(), notify.KindNewMessage, notify.Email, notify.Payload{}, time.Time{})
	_, err = s.Send(context.Background(), "ung@example.se", n, notify.Message{Subject: "s", Body: "b"})
	if err == nil || errors.Is(err, notify.ErrPermanent) {
		t.Fatalf("send without TLS: %v; want a (transient) refusal", err)
	}
	select {
	case <-b.got:
		t.Fatal("a message was sent without TLS")
	default:
	}
	if _, err := New(Config{Host: "h", From: "a@b.se", TLS: "none"}); err == nil {
		t.Fatal("SMTP_TLS=none accepted")
	}
}
