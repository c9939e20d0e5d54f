package account

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// TOTP parameters: what every authenticator app understands (RFC 6238
// defaults: SHA-1, 6 digits, 30-second steps).
const (
	TOTPIssuer        = "Ungdomsmottagningen"
	totpPeriod        = 30
	totpSkew          = 1 // steps accepted either side of the current one
	RecoveryCodeCount = 10
)

// NewTOTPKey returns a new random TOTP secret (base32) for account name
// and the otpauth:// URL an authenticator app reads from a QR code.
func NewTOTPKey(accountName string) (secret, url string, err error) {
	k, err := totp.Generate(totp.GenerateOpts{Issuer: TOTPIssuer, AccountName: accountName, Period: totpPeriod})
	if err != nil {
		return "", "", fmt.Errorf("account: generate TOTP secret: %w", err)
	}
	return k.Secret(), k.URL(), nil
}

// TOTPURL returns the otpauth:// URL of an existing secret, so a pending
// enrolment shows the same QR code again after a reload.
func TOTPURL(secret, accountName string) (string, error) {
	raw, err := base32NoPad(secret)
	if err != nil {
		return "", err
	}
	k, err := totp.Generate(totp.GenerateOpts{Issuer: TOTPIssuer, AccountName: accountName, Period: totpPeriod, Secret: raw})
	if err != nil {
		return "", fmt.Errorf("account: TOTP URL: %w", err)
	}
	return k.URL(), nil
}

// MatchTOTP returns the time step whose code equals code, trying the
// current step and one either side (clocks drift, people type slowly);
// ok is false if none matches. Codes are compared in constant time.
func MatchTOTP(secret, code string, now time.Time) (step int64, ok bool) {
	cur := now.Unix() / totpPeriod
	for off := int64(-totpSkew); off <= totpSkew; off++ {
		s := cur + off
		want, err := totp.GenerateCodeCustom(secret, time.Unix(s*totpPeriod, 0),
			totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err != nil {
			return 0, false
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return s, true
		}
	}
	return 0, false
}

// recoveryAlphabet leaves out letters and digits that are easy to mix up
// (0/o, 1/l/i) when a code is read off paper.
const recoveryAlphabet = "abcdefghjkmnpqrstuvwxyz23456789"

const recoveryLen = 12 // about 59 bits each

// NewRecoveryCodes returns n new recovery codes, as shown to the staff
// member (xxxx-xxxx-xxxx), and the SHA-256 hashes under which they are
// stored; the codes themselves are never stored.
func NewRecoveryCodes(n int) (codes []string, hashes [][]byte, err error) {
	for range n {
		c, err := randomFrom(recoveryAlphabet, recoveryLen)
		if err != nil {
			return nil, nil, err
		}
		codes = append(codes, c[:4]+"-"+c[4:8]+"-"+c[8:])
		hashes = append(hashes, RecoveryCodeHash(c))
	}
	return codes, hashes, nil
}

// NormalizeRecoveryCode returns the code without spaces and dashes, in
// lower case, and whether it has the form of a recovery code at all.
func NormalizeRecoveryCode(raw string) (string, bool) {
	c := strings.ToLower(strings.NewReplacer(" ", "", "-", "", "\t", "").Replace(raw))
	if len(c) != recoveryLen {
		return "", false
	}
	for _, r := range c {
		if !strings.ContainsRune(recoveryAlphabet, r) {
			return "", false
		}
	}
	return c, true
}

// RecoveryCodeHash returns the stored hash of a normalised recovery code.
func RecoveryCodeHash(normalized string) []byte {
	h := sha256.Sum256([]byte("recovery:" + normalized))
	return h[:]
}

// secretBox encrypts TOTP secrets at rest with AES-256-GCM under a key
// derived from SECRET_KEY with HKDF (its own key, so no other use of
// SECRET_KEY can ever produce or read these). The staff id is additional
// data: a sealed secret copied to another staff row does not open.
type secretBox struct{ aead cipher.AEAD }

const sealedPrefix = "v1:"

// ErrSealedSecret is returned for a stored TOTP secret that does not open:
// tampered with, or sealed under another SECRET_KEY.
var ErrSealedSecret = errors.New("account: TOTP secret cannot be decrypted (SECRET_KEY changed?)")

func newSecretBox(master []byte) (*secretBox, error) {
	if len(master) < 32 {
		return nil, errors.New("account: the key material for TOTP secrets must be at least 32 bytes")
	}
	key, err := hkdf.Key(sha256.New, master, nil, "mottagning staff TOTP secret v1", 32)
	if err != nil {
		return nil, fmt.Errorf("account: derive TOTP key: %w", err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &secretBox{aead: aead}, nil
}

func (b *secretBox) seal(staffID uuid.UUID, secret string) (string, error) {
	nonce := make([]byte, b.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	out := b.aead.Seal(nonce, nonce, []byte(secret), staffID[:])
	return sealedPrefix + base64.RawStdEncoding.EncodeToString(out), nil
}

func (b *secretBox) open(staffID uuid.UUID, sealed string) (string, error) {
	raw, err := base64.RawStdEncoding.DecodeString(strings.TrimPrefix(sealed, sealedPrefix))
	if err != nil || !strings.HasPrefix(sealed, sealedPrefix) || len(raw) < b.aead.NonceSize() {
		return "", ErrSealedSecret
	}
	n := b.aead.NonceSize()
	plain, err := b.aead.Open(nil, raw[:n], raw[n:], staffID[:])
	if err != nil {
		return "", ErrSealedSecret
	}
	return string(plain), nil
}

func base32NoPad(secret string) ([]byte, error) {
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ToUpper(secret))
	if err != nil {
		return nil, fmt.Errorf("account: TOTP secret is not base32: %w", err)
	}
	return raw, nil
}

// randomFrom returns n characters drawn uniformly from alphabet (at most
// 256 characters), rejecting bytes that would bias the draw.
func randomFrom(alphabet string, n int) (string, error) {
	limit := 256 - 256%len(alphabet)
	out := make([]byte, 0, n)
	buf := make([]byte, n*2)
	for len(out) < n {
		if _, err := rand.Read(buf); err != nil {
			return "", err
		}
		for _, b := range buf {
			if int(b) < limit && len(out) < n {
				out = append(out, alphabet[int(b)%len(alphabet)])
			}
		}
	}
	return string(out), nil
}
