package httpapi

import (
	"context"
	"time"

	"github.com/storsthlm/mottagning/internal/account"
	"github.com/storsthlm/mottagning/internal/notify"
)

// staffMailStore queues staff e-mail (invitations) in the outbox, in the
// transaction of the invitation (internal/postgres/staffmail.go).
type staffMailStore interface {
	QueueStaffMail(ctx context.Context, m notify.StaffMail) error
	WithStaffMail(ctx context.Context, fn func(ctx context.Context) error) error
}

// staffMailOn says whether invitations can be e-mailed: SMTP is
// configured, or dev mode delivers to /dev/outbox. Otherwise the one-time
// link is shown to the inviting admin once, to pass on themself.
func (s *Server) staffMailOn() bool { return s.cfg.Dev || s.cfg.SMTPHost != "" }

// inviteLang is the language chosen for the invitation e-mail: English
// if asked for, Swedish otherwise.
func inviteLang(v string) string {
	if v == "en" {
		return "en"
	}
	return "sv"
}

// invitationSent is the outcome of an invitation: the link to show if it
// was not e-mailed.
type invitationSent struct {
	Sent bool
	Link string // only when not sent
}

// queueInvitation queues the invitation e-mail for token inside ctx's
// transaction, if e-mail is on, and says what to show the admin. The
// token is never logged.
func (s *Server) queueInvitation(ctx context.Context, to, lang, kommun, role, token string) (invitationSent, error) {
	if !s.staffMailOn() {
		return invitationSent{Link: notify.StaffInviteLink(s.cfg.BaseURL, token)}, nil
	}
	now := time.Now
	if s.accounts != nil && s.accounts.Now != nil {
		now = s.accounts.Now
	}
	m := notify.NewStaffInvite(to, lang, kommun, role, token, now().Add(account.DefaultInvitationTTL))
	if err := s.accountDB.QueueStaffMail(ctx, m); err != nil {
		return invitationSent{}, err
	}
	return invitationSent{Sent: true}, nil
}
