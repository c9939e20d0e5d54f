// Package apperr is the one error vocabulary of Mottagning. Stores and
// services return errors of these kinds; the HTTP layer maps each kind to a
// status code in one table and shows the user a kind, translated message,
// never the internals.
package apperr

import (
	"errors"
	"fmt"
)

// Kind classifies an error by what the caller can do about it.
type Kind int

// The kinds. Internal is the zero value so an unclassified error is never
// mistaken for a user error.
const (
	Internal     Kind = iota // a bug or an unavailable dependency
	Invalid                  // the input breaks a rule; the user can correct it
	NotFound                 // nothing there, or nothing the actor may know of
	Conflict                 // the state forbids it (duplicate, already taken)
	Forbidden                // the actor is known but may not do this
	Unauthorized             // the actor must sign in first
	TooLarge                 // the request body is over the limit
	TooMany                  // rate limited
	Unavailable              // temporarily closed or suspended
	Unsupported              // the content is of a type not accepted
)

var kindNames = [...]string{"internal", "invalid", "not_found", "conflict", "forbidden",
	"unauthorized", "too_large", "too_many", "unavailable", "unsupported_type"}

// String returns the kind's stable machine name, used in JSON error bodies.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "internal"
}

// FieldError names one input field and the message key of the rule it broke.
type FieldError struct {
	Field string         // form or JSON field name
	Key   string         // translation message id, e.g. "error.username.too_short"
	Args  map[string]any // template data for the message
}

// Error is an error with a kind, a translation key for the user and, for
// Invalid errors, the fields that broke a rule.
type Error struct {
	Kind   Kind
	Key    string         // translation message id shown to the user; empty means the kind's default
	Args   map[string]any // template data for the message
	Fields []FieldError
	Err    error // the underlying cause, never shown to users
}

func (e *Error) Error() string {
	msg := e.Kind.String()
	if e.Key != "" {
		msg += " (" + e.Key + ")"
	}
	for _, f := range e.Fields {
		msg += fmt.Sprintf(" [%s: %s]", f.Field, f.Key)
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// New returns an error of kind k with the user-facing message key.
func New(k Kind, key string) error { return &Error{Kind: k, Key: key} }

// E wraps cause as an error of kind k with the user-facing message key.
func E(k Kind, key string, cause error) error { return &Error{Kind: k, Key: key, Err: cause} }

// InvalidFields returns an Invalid error listing the fields that broke a rule.
func InvalidFields(fields ...FieldError) error {
	return &Error{Kind: Invalid, Key: "error.invalid", Fields: fields}
}

// KindOf returns the kind of the first *Error in err's chain, or Internal.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Internal
}

// As returns the first *Error in err's chain, or nil.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}

// Is reports whether err is of kind k.
func Is(err error, k Kind) bool { return err != nil && KindOf(err) == k }

// Wrap annotates *errp with the operation that failed, keeping its kind.
// Use it deferred: defer apperr.Wrap(&err, "postgres.CreateKommun(%s)", slug).
func Wrap(errp *error, format string, args ...any) {
	if *errp != nil {
		*errp = fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), *errp)
	}
}
