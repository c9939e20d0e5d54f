package account

import (
	"context"
	"net/mail"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/nyaruka/phonenumbers"

	"github.com/storsthlm/mottagning/internal/apperr"
)

// Limits of the profile's contact details (P3).
const (
	EmailMax    = 254 // RFC 5321's limit for a forward path
	phoneRawMax = 30  // generous for "+46 (0)70-123 45 67" and the like
)

// DefaultPolicyVersion is the version a notice consent records when no
// privacy-policy version has been published yet (P12, P29).
const DefaultPolicyVersion = "2026-1"

// Channel is a way of sending notices (P12).
type Channel string

// The notice channels.
const (
	ChannelSMS   Channel = "sms"
	ChannelEmail Channel = "email"
)

// ProfileInput is a change to Min profil (P4). A nil field stays as it is;
// an empty string removes an optional contact detail.
type ProfileInput struct {
	Phone        *string
	Email        *string
	Language     *string
	SMSNotices   *bool
	EmailNotices *bool
}

// ProfileUpdate is the whole validated profile after a change: what the
// store writes. The store compares it with the stored row: a changed or
// removed contact detail loses its verification and undeliverable marks and
// the consent given for it; a channel switched on records a new consent
// under the policy version in effect; a channel switched off is withdrawn
// at once (P12, P26).
type ProfileUpdate struct {
	Phone        string // E.164 or empty
	Email        string // lower-case or empty
	Language     string // sv or en
	SMSNotices   bool
	EmailNotices bool
}

// NormalizePhone returns a mobile number in E.164 form ("+46701234567").
// Swedish ways of writing it are accepted ("070-123 45 67", "0701234567",
// "+46 70 123 45 67"), as are other countries' mobile numbers with their
// country code. An empty input gives an empty result. It returns an Invalid
// error on field "phone" for anything that is not a valid mobile number.
func NormalizePhone(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", nil
	}
	bad := func(key string) (string, error) {
		return "", apperr.InvalidFields(apperr.FieldError{Field: "phone", Key: key})
	}
	if utf8.RuneCountInString(raw) > phoneRawMax {
		return bad("error.profile.phone_invalid")
	}
	for _, r := range raw {
		if !(r >= '0' && r <= '9' || strings.ContainsRune("+-() .", r)) {
			return bad("error.profile.phone_invalid")
		}
	}
	num, err := phonenumbers.Parse(raw, "SE")
	if err != nil || !phonenumbers.IsValidNumber(num) {
		return bad("error.profile.phone_invalid")
	}
	switch phonenumbers.GetNumberType(num) {
	case phonenumbers.MOBILE, phonenumbers.FIXED_LINE_OR_MOBILE:
	default:
		return bad("error.profile.phone_not_mobile")
	}
	return phonenumbers.Format(num, phonenumbers.E164), nil
}

// NormalizeEmail returns an e-mail address trimmed and in lower case. An
// empty input gives an empty result. It returns an Invalid error on field
// "email" for anything but one plain address of at most EmailMax characters.
func NormalizeEmail(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", nil
	}
	bad := func(key string, args map[string]any) (string, error) {
		return "", apperr.InvalidFields(apperr.FieldError{Field: "email", Key: key, Args: args})
	}
	if len(raw) > EmailMax {
		return bad("error.profile.email_too_long", map[string]any{"Max": EmailMax})
	}
	addr, err := mail.ParseAddress(raw)
	if err != nil || addr.Name != "" || addr.Address != raw {
		return bad("error.profile.email_invalid", nil)
	}
	at := strings.LastIndexByte(raw, '@')
	local, domain := raw[:at], raw[at+1:]
	if local == "" || strings.ContainsAny(raw, "\"[]\\") || strings.IndexFunc(raw, unicode.IsSpace) >= 0 ||
		!strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") ||
		strings.Contains(domain, "..") || strings.HasPrefix(domain, "-") {
		return bad("error.profile.email_invalid", nil)
	}
	return strings.ToLower(raw), nil
}

// CheckLanguage returns an Invalid error on field "language" unless lang is
// a language notices can be written in (sv or en).
func CheckLanguage(lang string) error {
	if lang != "sv" && lang != "en" {
		return apperr.InvalidFields(apperr.FieldError{Field: "language", Key: "error.profile.language_invalid"})
	}
	return nil
}

// PlanProfile applies in to the current account and checks every field,
// returning all broken rules at once as one Invalid error. A notice channel
// can be on only while its contact detail is filled in.
func PlanProfile(cur Account, in ProfileInput) (ProfileUpdate, error) {
	u := ProfileUpdate{Phone: cur.Phone, Email: cur.Email, Language: cur.Language,
		SMSNotices: cur.SMSNotices, EmailNotices: cur.EmailNotices}
	var fields []apperr.FieldError
	collect := func(err error) {
		if e := apperr.As(err); e != nil {
			fields = append(fields, e.Fields...)
		}
	}
	if in.Phone != nil {
		p, err := NormalizePhone(*in.Phone)
		collect(err)
		u.Phone = p
	}
	if in.Email != nil {
		e, err := NormalizeEmail(*in.Email)
		collect(err)
		u.Email = e
	}
	if in.Language != nil {
		collect(CheckLanguage(*in.Language))
		u.Language = *in.Language
	}
	if in.SMSNotices != nil {
		u.SMSNotices = *in.SMSNotices
	}
	if in.EmailNotices != nil {
		u.EmailNotices = *in.EmailNotices
	}
	// A contact that changes takes its consent with it, unless the same
	// change switches the channel on again (explicitly) for the new one.
	if in.Phone != nil && u.Phone != cur.Phone && in.SMSNotices == nil {
		u.SMSNotices = false
	}
	if in.Email != nil && u.Email != cur.Email && in.EmailNotices == nil {
		u.EmailNotices = false
	}
	if u.SMSNotices && u.Phone == "" && !hasField(fields, "phone") {
		fields = append(fields, apperr.FieldError{Field: "sms_notices", Key: "error.profile.sms_needs_phone"})
	}
	if u.EmailNotices && u.Email == "" && !hasField(fields, "email") {
		fields = append(fields, apperr.FieldError{Field: "email_notices", Key: "error.profile.email_needs_email"})
	}
	if len(fields) > 0 {
		return ProfileUpdate{}, apperr.InvalidFields(fields...)
	}
	return u, nil
}

func hasField(fs []apperr.FieldError, name string) bool {
	for _, f := range fs {
		if f.Field == name {
			return true
		}
	}
	return false
}

// ContactVerifier is the seam where contact verification plugs in (the
// notifications issue: a code sent by SMS or e-mail, typed back on Min
// profil). Min profil calls it after a new phone number or e-mail address
// has been saved; until it is implemented, NoVerification leaves the
// contact "not verified yet". It must not block the save: an error is
// returned to the caller after the profile is already stored.
type ContactVerifier interface {
	ContactChanged(ctx context.Context, accountID uuid.UUID, channel Channel, address string) error
}

// NoVerification is the ContactVerifier that does nothing.
type NoVerification struct{}

// ContactChanged does nothing and returns nil.
func (NoVerification) ContactChanged(context.Context, uuid.UUID, Channel, string) error { return nil }

// DeletionHook lets a feature with ongoing cases act when an account is
// deleted (P16, P24): open conversations end, future bookings are
// cancelled. It runs inside the deleting transaction, before the account
// row goes; the transaction travels in ctx, so the hook's store calls join
// it. An error rolls the whole deletion back.
type DeletionHook interface {
	AccountDeleting(ctx context.Context, accountID uuid.UUID) error
}

// ProfileStore is what Min profil needs from the database. Every call acts
// with the acting context of ctx (the youth themself).
type ProfileStore interface {
	Account(ctx context.Context, id uuid.UUID) (Account, error)
	// UpdateProfile writes u in one transaction (see ProfileUpdate) and
	// returns the account as stored; NotFound if the actor cannot see it.
	UpdateProfile(ctx context.Context, id uuid.UUID, u ProfileUpdate) (Account, error)
	// ExportData returns everything the platform holds about the account.
	ExportData(ctx context.Context, id uuid.UUID) (ExportData, error)
	PasswordHash(ctx context.Context, id uuid.UUID) (string, error)
	// DeleteAccount runs hooks and deletes the account with everything that
	// refers to it, in one transaction.
	DeleteAccount(ctx context.Context, id uuid.UUID, hooks ...DeletionHook) error
}

// Profiles is Min profil: the youth's own data, notice settings, download
// and deletion (P4, P12, P23-P26).
type Profiles struct {
	Store    ProfileStore
	Verifier ContactVerifier // nil means NoVerification
	Hooks    []DeletionHook  // run inside every self-service deletion
}

// Update validates in and saves it at once (P4). Bad input is an Invalid
// error naming every broken field, and nothing is written.
func (p *Profiles) Update(ctx context.Context, id uuid.UUID, in ProfileInput) (Account, error) {
	cur, err := p.Store.Account(ctx, id)
	if err != nil {
		return Account{}, err
	}
	u, err := PlanProfile(cur, in)
	if err != nil {
		return Account{}, err
	}
	acc, err := p.Store.UpdateProfile(ctx, id, u)
	if err != nil {
		return Account{}, err
	}
	v := p.Verifier
	if v == nil {
		v = NoVerification{}
	}
	if acc.Phone != "" && acc.Phone != cur.Phone {
		if err := v.ContactChanged(ctx, id, ChannelSMS, acc.Phone); err != nil {
			return acc, err
		}
	}
	if acc.Email != "" && acc.Email != cur.Email {
		if err := v.ContactChanged(ctx, id, ChannelEmail, acc.Email); err != nil {
			return acc, err
		}
	}
	return acc, nil
}

// Export returns the download of P23: everything the platform holds about
// the account, each part with its controller, explanation and purpose.
func (p *Profiles) Export(ctx context.Context, id uuid.UUID, now time.Time) (Export, error) {
	d, err := p.Store.ExportData(ctx, id)
	if err != nil {
		return Export{}, err
	}
	return BuildExport(d, now), nil
}

// Delete removes the account at once with everything the platform holds
// for it (P24), after checking the password. A wrong or missing password
// is an Invalid error on field "password", and nothing is deleted.
func (p *Profiles) Delete(ctx context.Context, id uuid.UUID, password string) error {
	if password == "" {
		return apperr.InvalidFields(apperr.FieldError{Field: "password", Key: "error.profile.delete_password_required"})
	}
	hash, err := p.Store.PasswordHash(ctx, id)
	if err != nil {
		return err
	}
	// Verification uses the parameters stored in the hash; the wanted
	// parameters only decide about rehashing, which does not matter here.
	ok, _, err := VerifyPassword(password, hash, DefaultHashParams)
	if err != nil {
		return err
	}
	if !ok {
		return apperr.InvalidFields(apperr.FieldError{Field: "password", Key: "error.profile.delete_password_wrong"})
	}
	return p.Store.DeleteAccount(ctx, id, p.Hooks...)
}
