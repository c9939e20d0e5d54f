// Package notify is the domain of notices (P12, P27): which notices exist,
// their neutral texts in Swedish and English, the decision taken at send
// time, and the contact-verification codes. It knows nothing of the
// database, the queue or the providers; adapters carry out what it decides.
package notify

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/big"
	"time"

	"github.com/google/uuid"
)

// Kind names a notice.
type Kind string

// The notices of the platform.
const (
	KindBookingConfirmed Kind = "booking_confirmed"
	KindBookingReminder  Kind = "booking_reminder" // 24 hours before
	KindBookingChanged   Kind = "booking_changed"
	KindBookingCancelled Kind = "booking_cancelled"
	KindNewMessage       Kind = "new_message" // a chat message while the youth is away
	KindDeletionWarning  Kind = "deletion_warning"
	KindPolicyChange     Kind = "policy_change"
	KindVerifyCode       Kind = "verify_code" // the code that verifies a new contact
)

// Kinds lists every kind, for tests and checks.
var Kinds = []Kind{KindBookingConfirmed, KindBookingReminder, KindBookingChanged, KindBookingCancelled,
	KindNewMessage, KindDeletionWarning, KindPolicyChange, KindVerifyCode}

// Channel is how a notice travels.
type Channel string

// The channels.
const (
	SMS   Channel = "sms"
	Email Channel = "email"
)

// Channels are both channels, in the order notices are queued.
var Channels = []Channel{SMS, Email}

// Payload is what a notice carries besides its kind: only a time or a date
// and, for a verification, the code and the address it was sent to. Never
// a topic, a name or a message text.
type Payload struct {
	At      time.Time `json:"at,omitzero"`       // a booking's time or the date something happens
	Code    string    `json:"code,omitempty"`    // verify_code only
	Address string    `json:"address,omitempty"` // verify_code only: the contact being verified
	// booking_reminder only: the booking it reminds of, so the reminder
	// can be withdrawn when the booking is cancelled or moved. Never shown.
	Booking uuid.UUID `json:"booking,omitzero"`
	// staff_invite only (see staffmail.go); At is then the expiry. The
	// token leaves the row when the e-mail is sent, dropped or failed.
	Token  string `json:"token,omitempty"`
	Kommun string `json:"kommun,omitempty"`
	Role   string `json:"role,omitempty"`
	Lang   string `json:"lang,omitempty"`
	// new_message only: the kommun whose chat page the link opens (its
	// slug, a public name, never the conversation).
	Slug string `json:"slug,omitempty"`
}

// Notice is one queued notice on one channel.
type Notice struct {
	ID        uuid.UUID
	AccountID uuid.UUID
	Kind      Kind
	Channel   Channel
	Payload   Payload
	DueAt     time.Time
}

// New returns a notice with a fresh id, due at due (zero: now).
func New(accountID uuid.UUID, kind Kind, ch Channel, p Payload, due time.Time) Notice {
	return Notice{ID: uuid.New(), AccountID: accountID, Kind: kind, Channel: ch, Payload: p, DueAt: due}
}

// Marker is a short reference derived from the notice id that the SMS
// carries in its link, so a retry after an ambiguous failure can find the
// message among those the provider accepted.
func Marker(id uuid.UUID) string { return hex.EncodeToString(id[:5]) }

// MessageID is the deterministic e-mail Message-ID of a notice: a resent
// copy carries the same id, so mail systems treat it as the same message.
func MessageID(id uuid.UUID, host string) string { return id.String() + "@" + host }

// Recipient is what the worker reads about the account at send time.
type Recipient struct {
	Exists        bool
	Restricted    bool // P27
	Language      string
	Address       string // the phone number or e-mail address of the channel
	Verified      bool
	Undeliverable bool
	Consent       bool // an open consent for the channel (P12)
}

// Drop reasons, recorded on the outbox row.
const (
	ReasonAccountDeleted = "account_deleted"
	ReasonRestricted     = "restricted"
	ReasonNoContact      = "no_contact"
	ReasonNoConsent      = "no_consent"
	ReasonUnverified     = "unverified"
	ReasonUndeliverable  = "undeliverable"
	ReasonContactChanged = "contact_changed"
	ReasonExpired        = "expired"
	// A booking reminder whose booking was cancelled or moved before it
	// fell due (migrations/012_booking_admin.sql).
	ReasonBookingChanged = "booking_changed"
)

// Decide says whether n may go to r now; it returns "" to send, or the
// reason to drop it. Send time is decision time (P12): consent, contact,
// verification and restriction are those in force at this moment. A
// verification code needs no consent and no earlier verification, but
// only goes to the address it was made for.
func Decide(n Notice, r Recipient, now time.Time) string {
	switch {
	case !r.Exists:
		return ReasonAccountDeleted
	case r.Restricted:
		return ReasonRestricted
	case r.Address == "":
		return ReasonNoContact
	case r.Undeliverable:
		return ReasonUndeliverable
	}
	if n.Kind == KindStaffInvite {
		return decideStaffMail(n, now)
	}
	if n.Kind == KindVerifyCode {
		if r.Address != n.Payload.Address {
			return ReasonContactChanged
		}
		if now.Sub(n.DueAt) > CodeValidity {
			return ReasonExpired
		}
		return ""
	}
	switch {
	case !r.Consent:
		return ReasonNoConsent
	case !r.Verified:
		return ReasonUnverified
	}
	return ""
}

// Verification rules (contact verification).
const (
	CodeValidity   = 10 * time.Minute
	CodeMaxTries   = 5
	ResendInterval = time.Minute
)

// NewCode returns a random 6-digit code.
func NewCode() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%06d", n.Int64()), nil
}

// HashCode returns the keyed hash under which a code is stored: the code
// alone is never kept.
func HashCode(key []byte, accountID uuid.UUID, ch Channel, code string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(accountID[:])
	m.Write([]byte(ch))
	m.Write([]byte{0})
	m.Write([]byte(code))
	return m.Sum(nil)
}
