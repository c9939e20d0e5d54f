package account

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/storsthlm/mottagning/internal/apperr"
)

// RequestKind is what a youth asks for under their data rights: to have
// processing restricted while something is assessed (P27), or to object to
// processing based on legitimate interest (P22).
type RequestKind string

// The request kinds.
const (
	KindRestriction RequestKind = "restriction"
	KindObjection   RequestKind = "objection"
)

// RequestStatus is where a request stands. Received and in progress are
// open; granted, rejected and closed are done.
type RequestStatus string

// The request statuses, in the order a request usually passes them.
const (
	StatusReceived   RequestStatus = "received"
	StatusInProgress RequestStatus = "in_progress"
	StatusGranted    RequestStatus = "granted"
	StatusRejected   RequestStatus = "rejected"
	StatusClosed     RequestStatus = "closed"
)

// RequestStatuses lists every status in order, for forms.
var RequestStatuses = []RequestStatus{StatusReceived, StatusInProgress, StatusGranted, StatusRejected, StatusClosed}

// Open reports whether a request with this status still waits for an answer.
func (s RequestStatus) Open() bool { return s == StatusReceived || s == StatusInProgress }

// Limits of request texts; the database checks the same.
const (
	ReasonMax = 2000
	AnswerMax = 2000
	// OpenRequestsMax is how many open requests one account may have at a
	// time, so that a script cannot flood the platform admins' queue.
	OpenRequestsMax = 5
)

// Request is a restriction or objection request (P22, P27), tracked for
// Storsthlm's platform admins.
type Request struct {
	ID        uuid.UUID
	AccountID uuid.UUID
	Kind      RequestKind
	Reason    string
	Status    RequestStatus
	Answer    string // to the youth; empty until someone answers
	CreatedAt time.Time
	UpdatedAt time.Time
}

// QueuedRequest is a request as a platform admin sees it: with the
// requester's username and nothing else about the account (P20).
type QueuedRequest struct {
	Request
	Username   string
	Restricted bool // the requester's account is restricted now (P27)
}

// SupportView is all a platform admin sees of an account when acting on a
// request (P13, P20): the username, whether it is restricted, and its open
// requests. No contact details, no dates of sign-in.
type SupportView struct {
	ID           uuid.UUID
	Username     string
	Restricted   bool
	OpenRequests []Request
}

// NewRequest checks a youth's request and returns its kind and the reason
// trimmed. It returns an Invalid error naming field "kind" or "reason".
func NewRequest(kind, reason string) (RequestKind, string, error) {
	var fields []apperr.FieldError
	k := RequestKind(strings.TrimSpace(kind))
	if k != KindRestriction && k != KindObjection {
		fields = append(fields, apperr.FieldError{Field: "kind", Key: "error.request.kind"})
	}
	reason = CleanText(reason)
	if f, bad := checkText("reason", reason, ReasonMax, true); bad {
		fields = append(fields, f)
	}
	if len(fields) > 0 {
		return "", "", apperr.InvalidFields(fields...)
	}
	return k, reason, nil
}

// RequestUpdate is a platform admin's change of a request.
type RequestUpdate struct {
	Status RequestStatus
	Answer string // replaces the earlier answer; empty keeps it
}

// NewRequestUpdate checks a status change. It returns an Invalid error
// naming field "status" or "answer".
func NewRequestUpdate(status, answer string) (RequestUpdate, error) {
	var fields []apperr.FieldError
	st := RequestStatus(strings.TrimSpace(status))
	if !validStatus(st) {
		fields = append(fields, apperr.FieldError{Field: "status", Key: "error.request.status"})
	}
	answer = CleanText(answer)
	if f, bad := checkText("answer", answer, AnswerMax, false); bad {
		fields = append(fields, f)
	}
	if len(fields) > 0 {
		return RequestUpdate{}, apperr.InvalidFields(fields...)
	}
	return RequestUpdate{Status: st, Answer: answer}, nil
}

func validStatus(s RequestStatus) bool {
	for _, x := range RequestStatuses {
		if s == x {
			return true
		}
	}
	return false
}

// CleanText trims a free text and turns the CR LF line breaks of HTML
// forms into LF, so its length is counted as the user sees it.
func CleanText(s string) string {
	return strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))
}

// checkText returns the field error of a free text that is missing (when
// required), too long, or carries control characters other than line breaks.
func checkText(field, s string, max int, required bool) (apperr.FieldError, bool) {
	n := utf8.RuneCountInString(s)
	switch {
	case n == 0 && required:
		return apperr.FieldError{Field: field, Key: "error." + field + ".required"}, true
	case n > max:
		return apperr.FieldError{Field: field, Key: "error.text.too_long", Args: map[string]any{"Max": max, "Count": n}}, true
	case !utf8.ValidString(s) || strings.ContainsFunc(s, badControl):
		return apperr.FieldError{Field: field, Key: "error.text.invalid"}, true
	}
	return apperr.FieldError{}, false
}

func badControl(r rune) bool { return r < 0x20 && r != '\n' && r != '\r' && r != '\t' || r == 0x7f }
