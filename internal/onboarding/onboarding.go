// Package onboarding is the platform side of a kommun's life on the
// platform: bringing it on board, suspending it and taking it off again.
//
// Offboarding hands the kommun its data (it is the controller, P7) as a zip
// archive encrypted with AES-256-GCM under a fresh random key, then deletes
// the data. Storsthlm's platform admins only ever hold the ciphertext; the
// key goes to the kommun (P20). The kinds of kommun data and how each is
// exported and deleted are registered by the database adapter; this
// package builds and seals the archive and checks the two-step confirmation.
package onboarding

import (
	"archive/zip"
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/storsthlm/mottagning/internal/apperr"
	"github.com/storsthlm/mottagning/internal/tenant"
)

// File is one file of an export archive.
type File struct {
	Name string // path inside the archive, e.g. "staff/memberships.json"
	Data []byte
}

// KeySize is the size of an archive key in bytes (AES-256).
const KeySize = 32

// nonceSize is GCM's standard nonce size; the nonce leads the sealed file.
const nonceSize = 12

// ExportTTL is how long the platform keeps a sealed archive for download.
const ExportTTL = 30 * 24 * time.Hour

// Sealed is an encrypted archive and the key that opens it. The key is
// never stored; it is shown or sent once.
type Sealed struct {
	Ciphertext []byte // nonce (12 bytes) followed by the GCM ciphertext and tag
	Key        []byte // KeySize random bytes
}

// KeyText returns the key as the kommun receives it: base64url without
// padding (43 characters).
func (s Sealed) KeyText() string { return base64.RawURLEncoding.EncodeToString(s.Key) }

// Zip returns the files as a zip archive, with readme.txt first explaining
// each part. It returns an error only if writing to memory fails.
func Zip(k tenant.Kommun, at time.Time, files []File) ([]byte, error) {
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	all := append([]File{{Name: "readme.txt", Data: []byte(readme(k, at, files))}}, files...)
	for _, f := range all {
		fw, err := w.CreateHeader(&zip.FileHeader{Name: f.Name, Method: zip.Deflate, Modified: at.UTC()})
		if err != nil {
			return nil, fmt.Errorf("onboarding: zip %s: %w", f.Name, err)
		}
		if _, err := fw.Write(f.Data); err != nil {
			return nil, fmt.Errorf("onboarding: zip %s: %w", f.Name, err)
		}
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("onboarding: zip: %w", err)
	}
	return buf.Bytes(), nil
}

func readme(k tenant.Kommun, at time.Time, files []File) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Export av %s (%s, kommunkod %s) från Ungdomsmottagningar Sthlms län\n", k.Name, k.Slug, k.Code)
	fmt.Fprintf(&b, "Skapad %s när kommunen lämnade plattformen.\n\n", at.UTC().Format(time.RFC3339))
	b.WriteString("Kommunen är personuppgiftsansvarig för uppgifterna i arkivet. Efter exporten raderades de från plattformen.\n")
	b.WriteString("Varje fil är JSON: en lista med en post per rad i databasen.\n\n")
	for _, f := range files {
		fmt.Fprintf(&b, "- %s\n", f.Name)
	}
	return b.String()
}

// Seal encrypts plain with AES-256-GCM under a new random key. The
// associated data binds the ciphertext to the kommun's slug, so a file
// renamed to another kommun does not open.
func Seal(slug string, plain []byte) (Sealed, error) {
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return Sealed{}, fmt.Errorf("onboarding: key: %w", err)
	}
	gcm, err := newGCM(key)
	if err != nil {
		return Sealed{}, err
	}
	nonce := make([]byte, nonceSize, nonceSize+len(plain)+gcm.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return Sealed{}, fmt.Errorf("onboarding: nonce: %w", err)
	}
	return Sealed{Ciphertext: gcm.Seal(nonce, nonce, plain, []byte(slug)), Key: key}, nil
}

// Open decrypts a sealed archive of the kommun slug with the key as
// KeyText gave it. A wrong key, slug or a damaged file is Invalid.
func Open(slug, keyText string, sealed []byte) ([]byte, error) {
	key, err := base64.RawURLEncoding.DecodeString(strings.TrimSpace(keyText))
	if err != nil || len(key) != KeySize {
		return nil, apperr.New(apperr.Invalid, "error.platform_kommun.key")
	}
	gcm, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	if len(sealed) < nonceSize+gcm.Overhead() {
		return nil, apperr.New(apperr.Invalid, "error.platform_kommun.key")
	}
	plain, err := gcm.Open(nil, sealed[:nonceSize], sealed[nonceSize:], []byte(slug))
	if err != nil {
		return nil, apperr.E(apperr.Invalid, "error.platform_kommun.key", err)
	}
	return plain, nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("onboarding: cipher: %w", err)
	}
	return cipher.NewGCM(block)
}

// ConfirmName is the first step of offboarding: the platform admin types
// the kommun's name. Spaces around and between words and letter case do
// not matter; anything else is an Invalid error on the field
// "confirm_name".
func ConfirmName(k tenant.Kommun, typed string) error {
	norm := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	if typed = norm(typed); typed == "" {
		return apperr.InvalidFields(apperr.FieldError{Field: "confirm_name", Key: "error.platform_kommun.confirm_required"})
	}
	if !strings.EqualFold(typed, norm(k.Name)) {
		return apperr.InvalidFields(apperr.FieldError{Field: "confirm_name", Key: "error.platform_kommun.confirm_mismatch",
			Args: map[string]any{"Name": k.Name}})
	}
	return nil
}

// FileName is the download name of a kommun's sealed archive.
func FileName(k tenant.Kommun, at time.Time) string {
	return k.Slug + "-export-" + at.UTC().Format("2006-01-02") + ".zip.enc"
}
