package account

import (
	"context"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/storsthlm/mottagning/internal/apperr"
)

// Staff roles an invitation can confer (the names of policies/policy.csv).
const (
	RoleCounsellor     = "counsellor"
	RoleReceptionAdmin = "reception_admin"
	RolePlatformAdmin  = "platform_admin"
)

// DefaultInvitationTTL is how long an invitation link works.
const DefaultInvitationTTL = 7 * 24 * time.Hour

// DisplayNameMax bounds a staff member's display name.
const DisplayNameMax = 100

// NewInvitation is an invitation to store: only the token's hash.
type NewInvitation struct {
	TokenHash []byte
	Email     string
	KommunID  uuid.UUID // uuid.Nil for a platform admin
	Role      string
	CreatedBy uuid.UUID // uuid.Nil when the system invites
	ExpiresAt time.Time
}

// Invitation is a stored invitation as the invitee's page needs it.
type Invitation struct {
	ID         uuid.UUID
	Email      string
	KommunID   uuid.UUID
	KommunName string // "" for a platform admin
	Role       string
	ExpiresAt  time.Time
	Accepted   bool
	Existing   bool // a staff identity with this e-mail exists already
}

// Invite is what an administrator asks for.
type Invite struct {
	Email     string
	KommunID  uuid.UUID // required for kommun roles, uuid.Nil for platform_admin
	Role      string
	CreatedBy uuid.UUID
	TTL       time.Duration // DefaultInvitationTTL if zero
}

// Invite stores an invitation and returns the one-time token for the
// link (/personal/inbjudan/<token>); only its hash is stored. The store
// acts with ctx's acting context, so a reception admin can invite only to
// their own kommun. A bad e-mail, role or kommun is Invalid.
func (s *StaffService) Invite(ctx context.Context, in Invite) (string, error) {
	email, err := NormalizeStaffEmail(in.Email)
	if err != nil {
		return "", err
	}
	switch in.Role {
	case RoleCounsellor, RoleReceptionAdmin:
		if in.KommunID == uuid.Nil {
			return "", apperr.InvalidFields(apperr.FieldError{Field: "kommun", Key: "error.staff.invite.kommun_required"})
		}
	case RolePlatformAdmin:
		if in.KommunID != uuid.Nil {
			return "", apperr.InvalidFields(apperr.FieldError{Field: "role", Key: "error.staff.invite.role"})
		}
	default:
		return "", apperr.InvalidFields(apperr.FieldError{Field: "role", Key: "error.staff.invite.role"})
	}
	ttl := in.TTL
	if ttl <= 0 {
		ttl = DefaultInvitationTTL
	}
	token, hash, err := NewToken()
	if err != nil {
		return "", err
	}
	_, err = s.Store.CreateStaffInvitation(ctx, NewInvitation{TokenHash: hash, Email: email, KommunID: in.KommunID,
		Role: in.Role, CreatedBy: in.CreatedBy, ExpiresAt: s.Accounts.Now().Add(ttl)})
	if err != nil {
		return "", err
	}
	return token, nil
}

// Invitation returns the invitation of a link's token while it can be
// accepted. An unknown token is NotFound; a used or expired one is
// ErrInvitationUsed or ErrInvitationExpired (also NotFound).
func (s *StaffService) Invitation(ctx context.Context, token string) (Invitation, error) {
	h, err := HashToken(token)
	if err != nil {
		return Invitation{}, errInvitationUnknown
	}
	inv, err := s.Store.StaffInvitation(ctx, h)
	switch {
	case apperr.Is(err, apperr.NotFound):
		return Invitation{}, errInvitationUnknown
	case err != nil:
		return Invitation{}, err
	case inv.Accepted:
		return Invitation{}, ErrInvitationUsed
	case !s.Accounts.Now().Before(inv.ExpiresAt):
		return Invitation{}, ErrInvitationExpired
	}
	return inv, nil
}

// AcceptInvitation turns an invitation into a staff identity with its
// role and returns a session whose second factor is still to come. A new
// invitee chooses a display name and a password (the youth password
// rules); someone who already has a staff identity proves it with their
// current password instead, which is not changed. Nothing is written
// unless everything is accepted.
func (s *StaffService) AcceptInvitation(ctx context.Context, token, displayName, password string) (StaffSignIn, error) {
	inv, err := s.Invitation(ctx, token)
	if err != nil {
		return StaffSignIn{}, err
	}
	hash, enrolled := "", false
	if inv.Existing {
		if enrolled, err = s.checkExisting(ctx, inv.Email, password); err != nil {
			return StaffSignIn{}, err
		}
	} else {
		name, err := NormalizeDisplayName(displayName)
		if err != nil {
			return StaffSignIn{}, err
		}
		if err := CheckPassword(password, inv.Email); err != nil {
			return StaffSignIn{}, err
		}
		if hash, err = HashPassword(password, s.Accounts.Hash); err != nil {
			return StaffSignIn{}, err
		}
		displayName = name
	}
	h, _ := HashToken(token)
	id, err := s.Store.AcceptStaffInvitation(ctx, h, displayName, hash)
	if apperr.Is(err, apperr.NotFound) {
		return StaffSignIn{}, ErrInvitationUsed
	}
	if err != nil {
		return StaffSignIn{}, err
	}
	t, err := s.Accounts.StartStaffSession(ctx, id)
	if err != nil {
		return StaffSignIn{}, err
	}
	return StaffSignIn{StaffID: id, Token: t, Enrolled: enrolled}, nil
}

// checkExisting verifies the current password of the staff identity with
// that e-mail and reports whether it has TOTP.
func (s *StaffService) checkExisting(ctx context.Context, email, password string) (bool, error) {
	if password == "" {
		return false, apperr.InvalidFields(apperr.FieldError{Field: "password", Key: "error.password.required"})
	}
	cred, err := s.Store.StaffCredentials(ctx, email)
	if err != nil {
		return false, err
	}
	ok, _, err := VerifyPassword(password, cred.PasswordHash, s.Accounts.Hash)
	if err != nil {
		return false, err
	}
	if !ok {
		return false, &apperr.Error{Kind: apperr.Unauthorized, Key: "error.staff.invite.password_wrong",
			Fields: []apperr.FieldError{{Field: "password", Key: "error.staff.invite.password_wrong"}}}
	}
	if cred.Status != StaffActive {
		return false, apperr.New(apperr.Forbidden, "error.staff.invite.deactivated")
	}
	return cred.TOTPEnabled, nil
}

// NormalizeDisplayName returns a staff member's name as shown to
// colleagues (trimmed, inner spaces collapsed), or an Invalid error for
// the field "display_name".
func NormalizeDisplayName(raw string) (string, error) {
	name := strings.Join(strings.Fields(raw), " ")
	bad := func(k string, args map[string]any) (string, error) {
		return "", apperr.InvalidFields(apperr.FieldError{Field: "display_name", Key: k, Args: args})
	}
	switch {
	case name == "":
		return bad("error.staff.display_name.required", nil)
	case utf8.RuneCountInString(name) > DisplayNameMax:
		return bad("error.staff.display_name.too_long", map[string]any{"Max": DisplayNameMax})
	case strings.IndexFunc(name, func(r rune) bool { return unicode.IsControl(r) || r == '<' || r == '>' }) >= 0:
		return bad("error.staff.display_name.chars", nil)
	}
	return name, nil
}
