package account

import (
	"context"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/storsthlm/mottagning/internal/apperr"
)

// Staff statuses.
const (
	StaffActive      = "active"
	StaffDeactivated = "deactivated"
)

// StaffCredentials are what staff sign-in compares against.
type StaffCredentials struct {
	ID           uuid.UUID
	PasswordHash string
	Status       string
	TOTPEnabled  bool
}

// StaffTOTP is a staff member's second factor as stored: the secret is
// sealed (encrypted); Enabled is false while an enrolment is pending.
type StaffTOTP struct {
	Email        string
	Status       string
	SealedSecret string // "" if none has been generated
	Enabled      bool
}

// StaffOverview is what the staff start page shows about the signed-in
// staff member.
type StaffOverview struct {
	DisplayName   string
	Email         string
	PlatformAdmin bool
	Roles         []StaffRole
}

// StaffRole is a role held in one kommun.
type StaffRole struct {
	KommunSlug, KommunName, Role string
}

// StaffStore is what staff sign-in, TOTP and invitations need from the
// database. Every method returns NotFound for an unknown staff member.
type StaffStore interface {
	StaffCredentials(ctx context.Context, email string) (StaffCredentials, error)
	// RecordStaffLogin stores an upgraded password hash when one is given.
	RecordStaffLogin(ctx context.Context, id uuid.UUID, newHash string) error
	StaffTOTP(ctx context.Context, id uuid.UUID) (StaffTOTP, error)
	// SetStaffPendingTOTP keeps a new secret until it is confirmed; it is a
	// Conflict if TOTP is already enabled.
	SetStaffPendingTOTP(ctx context.Context, id uuid.UUID, sealed string) error
	// EnableStaffTOTP enables the pending secret sealed (a Conflict if it is
	// no longer the stored one, or TOTP is already on), records step as used
	// and replaces the recovery codes, in one transaction.
	EnableStaffTOTP(ctx context.Context, id uuid.UUID, sealed string, step int64, recoveryHashes [][]byte) error
	// UseStaffTOTPStep records step as used; it is a Conflict if that step
	// or a later one was used before.
	UseStaffTOTPStep(ctx context.Context, id uuid.UUID, step int64) error
	// UseStaffRecoveryCode marks an unused recovery code used, or NotFound.
	UseStaffRecoveryCode(ctx context.Context, id uuid.UUID, hash []byte) error
	SetSessionMFA(ctx context.Context, idHash []byte) error
	DeleteSession(ctx context.Context, idHash []byte) error

	CreateStaffInvitation(ctx context.Context, inv NewInvitation) (uuid.UUID, error)
	StaffInvitation(ctx context.Context, tokenHash []byte) (Invitation, error)
	// AcceptStaffInvitation, in one transaction and only while the
	// invitation is unused and unexpired: creates the staff identity (or
	// reuses the one with the invitation's e-mail when passwordHash is ""),
	// gives it the invited role and marks the invitation accepted. It
	// returns the staff id; NotFound if the invitation can no longer be used.
	AcceptStaffInvitation(ctx context.Context, tokenHash []byte, displayName, passwordHash string) (uuid.UUID, error)
}

// StaffService signs staff in with e-mail, password and TOTP, enrols
// TOTP on first sign-in, and carries invitations.
type StaffService struct {
	Store    StaffStore
	Accounts *Service // sessions, hash parameters and the clock
	box      *secretBox
	// dummyHash has the service's cost, so an unknown e-mail takes as long
	// as a wrong password. Its key matches no password (it is all zeros).
	dummyHash string
}

// NewStaffService returns a StaffService whose TOTP secrets are sealed
// under a key derived from master (SECRET_KEY); it fails if master is
// shorter than 32 bytes.
func NewStaffService(store StaffStore, accounts *Service, master []byte) (*StaffService, error) {
	box, err := newSecretBox(master)
	if err != nil {
		return nil, err
	}
	return &StaffService{Store: store, Accounts: accounts, box: box, dummyHash: zeroHash(accounts.Hash)}, nil
}

// Staff sign-in answers.
var (
	// ErrStaffBadCredentials is the one answer to an unknown e-mail, a
	// wrong password and a deactivated staff member alike.
	ErrStaffBadCredentials = apperr.New(apperr.Unauthorized, "error.staff.login.failed")
	// ErrInvitationUsed and ErrInvitationExpired say why an invitation link
	// no longer works; both are NotFound to the error vocabulary.
	ErrInvitationUsed    = apperr.New(apperr.NotFound, "error.staff.invite.gone")
	ErrInvitationExpired = apperr.New(apperr.NotFound, "error.staff.invite.gone")
	errInvitationUnknown = apperr.New(apperr.NotFound, "error.staff.invite.gone")
)

// StaffSignIn is the result of a correct e-mail and password: a session
// that still needs the second factor.
type StaffSignIn struct {
	StaffID  uuid.UUID
	Token    string
	Enrolled bool // TOTP is set up; otherwise enrolment comes next
}

// NormalizeStaffEmail returns a staff e-mail address trimmed and in lower case,
// or an Invalid error for the field "email".
func NormalizeStaffEmail(raw string) (string, error) {
	e := strings.ToLower(strings.TrimSpace(raw))
	bad := func(k string) (string, error) {
		return "", apperr.InvalidFields(apperr.FieldError{Field: "email", Key: k})
	}
	if e == "" {
		return bad("error.staff.email.required")
	}
	at := strings.LastIndexByte(e, '@')
	if utf8.RuneCountInString(e) > 254 || at < 1 || at == len(e)-1 || strings.Count(e, "@") != 1 ||
		!strings.Contains(e[at+1:], ".") || strings.HasSuffix(e, ".") || strings.IndexFunc(e, unicode.IsSpace) >= 0 ||
		strings.IndexFunc(e, unicode.IsControl) >= 0 || strings.ContainsAny(e, "<>,;\"") {
		return bad("error.staff.email.invalid")
	}
	return e, nil
}

// SignIn checks e-mail and password and starts a session whose second
// factor is still to come. Unknown e-mail, wrong password and deactivated
// staff all get ErrStaffBadCredentials, after the same amount of work. A
// hash with older parameters is upgraded.
func (s *StaffService) SignIn(ctx context.Context, email, password string) (StaffSignIn, error) {
	email, err := NormalizeStaffEmail(email)
	if err != nil {
		return StaffSignIn{}, err
	}
	if password == "" {
		return StaffSignIn{}, apperr.InvalidFields(apperr.FieldError{Field: "password", Key: "error.password.required"})
	}
	cred, err := s.Store.StaffCredentials(ctx, email)
	if apperr.Is(err, apperr.NotFound) {
		_, _, _ = VerifyPassword(password, s.dummyHash, s.Accounts.Hash)
		return StaffSignIn{}, ErrStaffBadCredentials
	}
	if err != nil {
		return StaffSignIn{}, err
	}
	ok, rehash, err := VerifyPassword(password, cred.PasswordHash, s.Accounts.Hash)
	if err != nil {
		return StaffSignIn{}, err
	}
	if !ok || cred.Status != StaffActive {
		return StaffSignIn{}, ErrStaffBadCredentials
	}
	if rehash {
		h, err := HashPassword(password, s.Accounts.Hash)
		if err != nil {
			return StaffSignIn{}, err
		}
		if err := s.Store.RecordStaffLogin(ctx, cred.ID, h); err != nil {
			return StaffSignIn{}, err
		}
	}
	token, err := s.Accounts.StartStaffSession(ctx, cred.ID)
	if err != nil {
		return StaffSignIn{}, err
	}
	return StaffSignIn{StaffID: cred.ID, Token: token, Enrolled: cred.TOTPEnabled}, nil
}

// Enrolment is what the staff member needs to add the account to an
// authenticator app: the secret for typing in and the otpauth:// URL for
// the QR code.
type Enrolment struct {
	Secret string
	URL    string
}

// StartEnrolment returns the pending TOTP secret of staff member id, making
// one if there is none, so that reloading the page shows the same code. It
// is a Conflict if TOTP is already enabled.
func (s *StaffService) StartEnrolment(ctx context.Context, id uuid.UUID) (Enrolment, error) {
	st, err := s.activeTOTP(ctx, id)
	if err != nil {
		return Enrolment{}, err
	}
	if st.Enabled {
		return Enrolment{}, apperr.New(apperr.Conflict, "error.staff.totp.already_enrolled")
	}
	if st.SealedSecret != "" {
		if secret, err := s.box.open(id, st.SealedSecret); err == nil {
			url, err := TOTPURL(secret, st.Email)
			return Enrolment{Secret: secret, URL: url}, err
		}
		// Sealed under an earlier SECRET_KEY: nothing was confirmed with it,
		// so a new one replaces it.
	}
	secret, url, err := NewTOTPKey(st.Email)
	if err != nil {
		return Enrolment{}, err
	}
	sealed, err := s.box.seal(id, secret)
	if err != nil {
		return Enrolment{}, err
	}
	if err := s.Store.SetStaffPendingTOTP(ctx, id, sealed); err != nil {
		return Enrolment{}, err
	}
	return Enrolment{Secret: secret, URL: url}, nil
}

// ConfirmEnrolment checks a code from the newly added authenticator,
// enables TOTP, and returns a new session with the second factor done
// (replacing the session of oldSession) and the recovery codes, which
// exist nowhere else and are shown once.
func (s *StaffService) ConfirmEnrolment(ctx context.Context, id uuid.UUID, oldSession []byte, code string) (string, []string, error) {
	code, err := normalizeTOTPCode(code)
	if err != nil {
		return "", nil, err
	}
	st, err := s.activeTOTP(ctx, id)
	if err != nil {
		return "", nil, err
	}
	if st.Enabled {
		return "", nil, apperr.New(apperr.Conflict, "error.staff.totp.already_enrolled")
	}
	secret, err := s.box.open(id, st.SealedSecret)
	if err != nil {
		return "", nil, apperr.New(apperr.Conflict, "error.staff.totp.enrol_again")
	}
	step, ok := MatchTOTP(secret, code, s.Accounts.Now())
	if !ok {
		return "", nil, wrongCode("error.staff.totp.wrong")
	}
	codes, hashes, err := NewRecoveryCodes(RecoveryCodeCount)
	if err != nil {
		return "", nil, err
	}
	if err := s.Store.EnableStaffTOTP(ctx, id, st.SealedSecret, step, hashes); err != nil {
		if apperr.Is(err, apperr.Conflict) {
			return "", nil, apperr.E(apperr.Conflict, "error.staff.totp.enrol_again", err)
		}
		return "", nil, err
	}
	token, err := s.completeMFA(ctx, id, oldSession)
	return token, codes, err
}

// Verify checks the second factor of staff member id: a 6-digit code for
// the current time step (or one either side), never a step already used,
// or an unused recovery code, which is then spent. It returns a new
// session with the second factor done, replacing the session of
// oldSession, and whether a recovery code was used.
func (s *StaffService) Verify(ctx context.Context, id uuid.UUID, oldSession []byte, code string) (string, bool, error) {
	raw := strings.TrimSpace(code)
	recovery, isRecovery := NormalizeRecoveryCode(raw)
	if !isRecovery {
		var err error
		if raw, err = normalizeTOTPCode(raw); err != nil {
			return "", false, err
		}
	}
	st, err := s.activeTOTP(ctx, id)
	if err != nil {
		return "", false, err
	}
	if !st.Enabled {
		return "", false, apperr.New(apperr.Conflict, "error.staff.totp.not_enrolled")
	}
	if isRecovery {
		if err := s.Store.UseStaffRecoveryCode(ctx, id, RecoveryCodeHash(recovery)); apperr.Is(err, apperr.NotFound) {
			return "", false, wrongCode("error.staff.recovery.wrong")
		} else if err != nil {
			return "", false, err
		}
		token, err := s.completeMFA(ctx, id, oldSession)
		return token, true, err
	}
	secret, err := s.box.open(id, st.SealedSecret)
	if err != nil {
		return "", false, apperr.E(apperr.Unavailable, "error.staff.totp.unreadable", err)
	}
	step, ok := MatchTOTP(secret, raw, s.Accounts.Now())
	if !ok {
		return "", false, wrongCode("error.staff.totp.wrong")
	}
	if err := s.Store.UseStaffTOTPStep(ctx, id, step); apperr.Is(err, apperr.Conflict) {
		return "", false, wrongCode("error.staff.totp.reused")
	} else if err != nil {
		return "", false, err
	}
	token, err := s.completeMFA(ctx, id, oldSession)
	return token, false, err
}

// activeTOTP returns the TOTP state of an active staff member; a
// deactivated one is signed out (Unauthorized).
func (s *StaffService) activeTOTP(ctx context.Context, id uuid.UUID) (StaffTOTP, error) {
	st, err := s.Store.StaffTOTP(ctx, id)
	if apperr.Is(err, apperr.NotFound) || err == nil && st.Status != StaffActive {
		return StaffTOTP{}, apperr.E(apperr.Unauthorized, "error.staff.session_needed", err)
	}
	return st, err
}

// completeMFA gives the staff member a new session id now that both
// factors are done (the id changes whenever the privilege does) and ends
// the half-signed-in one.
func (s *StaffService) completeMFA(ctx context.Context, id uuid.UUID, oldSession []byte) (string, error) {
	token, err := s.Accounts.StartStaffSession(ctx, id)
	if err != nil {
		return "", err
	}
	h, err := HashToken(token)
	if err != nil {
		return "", err
	}
	if err := s.Store.SetSessionMFA(ctx, h); err != nil {
		return "", err
	}
	if len(oldSession) > 0 {
		if err := s.Store.DeleteSession(ctx, oldSession); err != nil {
			return "", err
		}
	}
	return token, nil
}

// normalizeTOTPCode accepts six digits, with spaces allowed ("123 456").
func normalizeTOTPCode(raw string) (string, error) {
	c := strings.ReplaceAll(strings.TrimSpace(raw), " ", "")
	if c == "" {
		return "", apperr.InvalidFields(apperr.FieldError{Field: "code", Key: "error.staff.totp.required"})
	}
	if len(c) != 6 || strings.Trim(c, "0123456789") != "" {
		return "", apperr.InvalidFields(apperr.FieldError{Field: "code", Key: "error.staff.totp.format"})
	}
	return c, nil
}

// wrongCode is the answer to a wrong or spent code: Unauthorized, and tied
// to the code field.
func wrongCode(key string) error {
	return &apperr.Error{Kind: apperr.Unauthorized, Key: key, Fields: []apperr.FieldError{{Field: "code", Key: key}}}
}

// IsWrongCode reports whether err is a refused second factor (wrong,
// reused or spent code), which counts against the failure limit.
func IsWrongCode(err error) bool {
	e := apperr.As(err)
	return e != nil && e.Kind == apperr.Unauthorized && len(e.Fields) == 1 && e.Fields[0].Field == "code"
}

// zeroHash returns a PHC string with p's cost whose key no password
// produces, for verifying against when the e-mail is unknown.
func zeroHash(p HashParams) string {
	h, err := HashPassword("", p)
	if err != nil {
		return ""
	}
	parts := strings.Split(h, "$")
	parts[5] = strings.Repeat("A", len(parts[5]))
	return strings.Join(parts, "$")
}
