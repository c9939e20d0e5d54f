// Package mail sends notices by e-mail over SMTP with TLS, with go-mail.
// The notifications pipeline decides what to send and when; this package
// only delivers.
package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/storsthlm/mottagning/internal/notify"
)

// TLS modes of SMTP_TLS.
const (
	TLSStartTLS = "starttls" // STARTTLS required (port 587)
	TLSImplicit = "tls"      // TLS from the first byte (port 465)
)

// Config names the SMTP server.
type Config struct {
	Host     string
	Port     int
	Username string // empty: no authentication
	Password string
	From     string
	TLS      string // TLSStartTLS or TLSImplicit; TLS is never optional
	// TLSConfig, if set, replaces the default (tests trust their own
	// certificate through it).
	TLSConfig *tls.Config
	Timeout   time.Duration // zero: 15 s
}

// Sender sends notices by e-mail.
type Sender struct {
	cfg  Config
	opts []gomail.Option
	host string // the domain of Message-IDs
}

// New returns a Sender for cfg, or an error naming what is missing.
func New(cfg Config) (*Sender, error) {
	if cfg.Host == "" || cfg.From == "" {
		return nil, errors.New("mail: SMTP_HOST and SMTP_FROM are required")
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 15 * time.Second
	}
	opts := []gomail.Option{gomail.WithTimeout(cfg.Timeout), gomail.WithTLSPolicy(gomail.TLSMandatory)}
	switch cfg.TLS {
	case TLSStartTLS, "":
	case TLSImplicit:
		opts = append(opts, gomail.WithSSL())
	default:
		return nil, fmt.Errorf("mail: SMTP_TLS %q must be starttls or tls", cfg.TLS)
	}
	if cfg.Port != 0 {
		opts = append(opts, gomail.WithPort(cfg.Port))
	}
	if cfg.TLSConfig != nil {
		opts = append(opts, gomail.WithTLSConfig(cfg.TLSConfig))
	} else {
		opts = append(opts, gomail.WithTLSConfig(&tls.Config{ServerName: cfg.Host, MinVersion: tls.VersionTLS12}))
	}
	if cfg.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(cfg.Username), gomail.WithPassword(cfg.Password))
	}
	return &Sender{cfg: cfg, opts: opts, host: cfg.Host}, nil
}

// Send sends the notice. Its Message-ID is derived from the notice id, so
// a retry after an ambiguous failure carries the same id and mail systems
// recognise the copy; the returned provider id is that Message-ID. A 5xx
// refusal (hard bounce) wraps notify.ErrPermanent.
func (s *Sender) Send(ctx context.Context, to string, n notify.Notice, m notify.Message) (string, error) {
	msg := gomail.NewMsg()
	if err := msg.From(s.cfg.From); err != nil {
		return "", fmt.Errorf("mail: SMTP_FROM: %w", err)
	}
	if err := msg.To(to); err != nil {
		return "", fmt.Errorf("%w: mail: bad address", notify.ErrPermanent)
	}
	id := notify.MessageID(n.ID, s.host)
	msg.SetMessageIDWithValue(id)
	msg.SetDate()
	msg.Subject(m.Subject)
	msg.SetBodyString(gomail.TypeTextPlain, m.Body)
	c, err := gomail.NewClient(s.cfg.Host, s.opts...)
	if err != nil {
		return "", fmt.Errorf("mail: %w", err)
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		return "", classify(err)
	}
	return "<" + id + ">", nil
}

// Lookup cannot ask an SMTP server what it accepted; the deterministic
// Message-ID makes a resent copy recognisable instead. It reports not found.
func (s *Sender) Lookup(context.Context, string, notify.Notice) (string, bool, error) {
	return "", false, nil
}

func classify(err error) error {
	var se *gomail.SendError
	if errors.As(err, &se) && !se.IsTemp() && se.ErrorCode() >= 500 && se.ErrorCode() < 600 {
		return fmt.Errorf("%w: SMTP %d", notify.ErrPermanent, se.ErrorCode())
	}
	return fmt.Errorf("mail: %w", err)
}
