// Package audit defines the access log of promises P14 and P19: an entry
// records that a staff member (by id and role) read or changed data about a
// user, identified by username only, in a kommun, at a time. Nothing else
// about the user is ever recorded.
package audit

import (
	"context"
	"regexp"
	"time"

	"github.com/google/uuid"

	"github.com/storsthlm/mottagning/internal/apperr"
)

// AnonymousSubject is the subject recorded for a visitor without an account.
const AnonymousSubject = "anonym"

// Action names what was done, as "<object>.<verb>".
type Action string

// The actions later features record. New ones follow the same form.
const (
	BookingRead        Action = "booking.read"
	BookingChange      Action = "booking.change"
	BookingCancel      Action = "booking.cancel"
	ConversationRead   Action = "conversation.read"
	ConversationEnd    Action = "conversation.end"
	AccountFind        Action = "account.find"
	AccountDelete      Action = "account.delete"
	AccountRestrict    Action = "account.restrict"
	AccountLift        Action = "account.lift"
	KommunOffboard     Action = "kommun.offboard"
	JobRun             Action = "job.run"
	AccessLogSampleRun Action = "access_log.sample"
)

// Entry is one line of the access log.
type Entry struct {
	At        time.Time // zero means now
	KommunID  uuid.UUID // the kommun whose staff acted; uuid.Nil for platform staff
	ActorID   uuid.UUID // the staff member
	ActorRole string    // counsellor, reception_admin, platform_admin or system
	Action    Action
	Subject   string // the user's username, or AnonymousSubject
}

var (
	actionPattern = regexp.MustCompile(`^[a-z_]+\.[a-z_]+$`)
	roles         = map[string]bool{"counsellor": true, "reception_admin": true, "platform_admin": true, "system": true}
)

// Validate returns an Invalid error if the entry is incomplete.
func (e Entry) Validate() error {
	var fields []apperr.FieldError
	if e.ActorID == uuid.Nil {
		fields = append(fields, apperr.FieldError{Field: "actor_id", Key: "error.audit.actor"})
	}
	if !roles[e.ActorRole] {
		fields = append(fields, apperr.FieldError{Field: "actor_role", Key: "error.audit.role"})
	}
	if !actionPattern.MatchString(string(e.Action)) {
		fields = append(fields, apperr.FieldError{Field: "action", Key: "error.audit.action"})
	}
	if n := len([]rune(e.Subject)); n < 1 || n > 64 {
		fields = append(fields, apperr.FieldError{Field: "subject", Key: "error.audit.subject"})
	}
	if len(fields) > 0 {
		return apperr.InvalidFields(fields...)
	}
	return nil
}

// Recorder writes access-log entries. Implementations write in the caller's
// transaction when there is one, so the record and the act commit together.
type Recorder interface {
	Record(ctx context.Context, e Entry) error
}
