package account

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"time"

	"github.com/google/uuid"

	"github.com/storsthlm/mottagning/internal/apperr"
)

// Account is a youth account as Min profil shows it: everything the
// platform holds about it except the password hash.
type Account struct {
	ID                 uuid.UUID
	Username           string
	Language           string
	Phone              string // E.164, empty if none
	PhoneVerified      bool
	PhoneUndeliverable bool
	Email              string
	EmailVerified      bool
	EmailUndeliverable bool
	SMSNotices         bool // consent to notices by SMS is in force
	EmailNotices       bool
	Restricted         bool // P27
	CreatedAt          time.Time
	LastLoginAt        time.Time
}

// Credentials are what sign-in compares against.
type Credentials struct {
	ID           uuid.UUID
	Username     string
	PasswordHash string
}

// Session is a signed-in browser: a youth account or a staff member.
type Session struct {
	IDHash    []byte
	AccountID uuid.UUID // youth; uuid.Nil for staff
	StaffID   uuid.UUID // staff; uuid.Nil for youth
	MFADone   bool      // staff: TOTP passed in this session
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Store is what the account service needs from the database.
type Store interface {
	CreateAccount(ctx context.Context, username, usernameKey, passwordHash, language string) (Account, error)
	Credentials(ctx context.Context, usernameKey string) (Credentials, error)
	RecordLogin(ctx context.Context, id uuid.UUID, newHash string) error
	SetPasswordHash(ctx context.Context, id uuid.UUID, hash string) error
	PasswordHash(ctx context.Context, id uuid.UUID) (string, error)
	CreateSession(ctx context.Context, s Session) error
	// SessionByHash returns the live session with that id hash and marks it
	// seen, or NotFound if it is unknown, expired or idle too long.
	SessionByHash(ctx context.Context, idHash []byte, idle time.Duration) (Session, error)
	DeleteSession(ctx context.Context, idHash []byte) error
	DeleteAccountSessions(ctx context.Context, accountID uuid.UUID) error
}

// SessionPolicy bounds a session's life.
type SessionPolicy struct {
	Idle     time.Duration // signed out after this long without a request
	Lifetime time.Duration // signed out this long after sign-in, whatever happens
}

// Service registers youth, signs them in and out, and changes passwords.
type Service struct {
	Store    Store
	Hash     HashParams
	Sessions SessionPolicy
	Now      func() time.Time
	// dummyHash is verified against when a username is unknown, so an
	// unknown user costs as much time as a wrong password.
	dummyHash string
}

// NewService returns a Service; it fails only if hashing fails.
func NewService(store Store, hash HashParams, sessions SessionPolicy, now func() time.Time) (*Service, error) {
	dummy, err := HashPassword("not a password of anyone", hash)
	if err != nil {
		return nil, err
	}
	return &Service{Store: store, Hash: hash, Sessions: sessions, Now: now, dummyHash: dummy}, nil
}

// Register creates an account with a username and a password only (P2)
// and returns it with a new session token. A taken username is a Conflict.
func (s *Service) Register(ctx context.Context, username, password, language string) (Account, string, error) {
	display, key, err := NormalizeUsername(username)
	if err != nil {
		return Account{}, "", err
	}
	if err := CheckPassword(password, display); err != nil {
		return Account{}, "", err
	}
	hash, err := HashPassword(password, s.Hash)
	if err != nil {
		return Account{}, "", err
	}
	if language != "en" {
		language = "sv"
	}
	acc, err := s.Store.CreateAccount(ctx, display, key, hash, language)
	if apperr.Is(err, apperr.Conflict) {
		return Account{}, "", &apperr.Error{Kind: apperr.Conflict, Key: "error.username.taken", Err: err,
			Fields: []apperr.FieldError{{Field: "username", Key: "error.username.taken"}}}
	}
	if err != nil {
		return Account{}, "", err
	}
	token, err := s.startSession(ctx, Session{AccountID: acc.ID})
	return acc, token, err
}

// ErrBadCredentials is the one answer to an unknown username and to a wrong
// password alike.
var ErrBadCredentials = apperr.New(apperr.Unauthorized, "error.login.failed")

// Login checks the username and password and returns a new session token.
// The hash is upgraded when its parameters are older than the service's.
func (s *Service) Login(ctx context.Context, username, password string) (uuid.UUID, string, error) {
	_, key, err := NormalizeUsername(username)
	if err != nil {
		_, _, _ = VerifyPassword(password, s.dummyHash, s.Hash)
		return uuid.Nil, "", ErrBadCredentials
	}
	cred, err := s.Store.Credentials(ctx, key)
	if apperr.Is(err, apperr.NotFound) {
		_, _, _ = VerifyPassword(password, s.dummyHash, s.Hash)
		return uuid.Nil, "", ErrBadCredentials
	}
	if err != nil {
		return uuid.Nil, "", err
	}
	ok, rehash, err := VerifyPassword(password, cred.PasswordHash, s.Hash)
	if err != nil {
		return uuid.Nil, "", err
	}
	if !ok {
		return uuid.Nil, "", ErrBadCredentials
	}
	newHash := ""
	if rehash {
		if newHash, err = HashPassword(password, s.Hash); err != nil {
			return uuid.Nil, "", err
		}
	}
	if err := s.Store.RecordLogin(ctx, cred.ID, newHash); err != nil {
		return uuid.Nil, "", err
	}
	token, err := s.startSession(ctx, Session{AccountID: cred.ID})
	return cred.ID, token, err
}

// ChangePassword replaces the password after checking the current one, and
// ends every session of the account; the caller gets a fresh one.
func (s *Service) ChangePassword(ctx context.Context, id uuid.UUID, username, current, next string) (string, error) {
	hash, err := s.Store.PasswordHash(ctx, id)
	if err != nil {
		return "", err
	}
	ok, _, err := VerifyPassword(current, hash, s.Hash)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", apperr.InvalidFields(apperr.FieldError{Field: "current_password", Key: "error.password.current_wrong"})
	}
	if err := CheckPassword(next, username); err != nil {
		return "", err
	}
	newHash, err := HashPassword(next, s.Hash)
	if err != nil {
		return "", err
	}
	if err := s.Store.SetPasswordHash(ctx, id, newHash); err != nil {
		return "", err
	}
	if err := s.Store.DeleteAccountSessions(ctx, id); err != nil {
		return "", err
	}
	return s.startSession(ctx, Session{AccountID: id})
}

// StartStaffSession starts a session for a staff member who has given the
// right password; MFA is still to be done.
func (s *Service) StartStaffSession(ctx context.Context, staffID uuid.UUID) (string, error) {
	return s.startSession(ctx, Session{StaffID: staffID})
}

// Resume returns the live session for a token, or NotFound.
func (s *Service) Resume(ctx context.Context, token string) (Session, error) {
	h, err := HashToken(token)
	if err != nil {
		return Session{}, apperr.E(apperr.NotFound, "error.session.expired", err)
	}
	return s.Store.SessionByHash(ctx, h, s.Sessions.Idle)
}

// Logout ends the session of token; an unknown token is not an error.
func (s *Service) Logout(ctx context.Context, token string) error {
	h, err := HashToken(token)
	if err != nil {
		return nil
	}
	return s.Store.DeleteSession(ctx, h)
}

func (s *Service) startSession(ctx context.Context, sess Session) (string, error) {
	token, h, err := NewToken()
	if err != nil {
		return "", err
	}
	now := s.Now()
	sess.IDHash, sess.CreatedAt, sess.ExpiresAt = h, now, now.Add(s.Sessions.Lifetime)
	if err := s.Store.CreateSession(ctx, sess); err != nil {
		return "", err
	}
	return token, nil
}

// NewToken returns a new opaque 256-bit token (base64url) and the SHA-256
// hash under which it is stored; the token itself is never stored.
func NewToken() (token string, hash []byte, err error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", nil, err
	}
	token = base64.RawURLEncoding.EncodeToString(b)
	sum := sha256.Sum256(b)
	return token, sum[:], nil
}

// HashToken returns the stored hash of a token, or an error if the token
// is not one NewToken could have made.
func HashToken(token string) ([]byte, error) {
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(b) != 32 {
		return nil, apperr.New(apperr.NotFound, "error.session.expired")
	}
	sum := sha256.Sum256(b)
	return sum[:], nil
}
