package onboarding_test

import (
	"archive/zip"
	"bytes"
	"io"
	"testing"
	"time"

	"github.com/storsthlm/mottagning/internal/apperr"
	"github.com/storsthlm/mottagning/internal/onboarding"
	"github.com/storsthlm/mottagning/internal/tenant"
)

func nacka() tenant.Kommun {
	return tenant.Kommun{Definition: tenant.Definition{Slug: "nacka", Name: "Nacka kommun", Code: "0182"}}
}

func TestSealedArchiveOpensOnlyWithItsKeyAndKommun(t *testing.T) {
	t.Parallel()
	files := []onboarding.File{{Name: "staff/memberships.json", Data: []byte(`[{"email":"a@nacka.se"}]`)}}
	sealed, err := onboarding.SealAt(time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC))(nacka(), files)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed.Ciphertext, []byte("a@nacka.se")) || len(sealed.KeyText()) != 43 {
		t.Fatalf("ciphertext holds clear text, or key %q is not 32 bytes in base64url", sealed.KeyText())
	}
	plain, err := onboarding.Open("nacka", sealed.KeyText(), sealed.Ciphertext)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(plain), int64(len(plain)))
	if err != nil {
		t.Fatal(err)
	}
	if len(zr.File) != 2 || zr.File[0].Name != "readme.txt" || zr.File[1].Name != "staff/memberships.json" {
		t.Fatalf("archive files: %v", zr.File)
	}
	r, _ := zr.File[1].Open()
	b, _ := io.ReadAll(r)
	if string(b) != string(files[0].Data) {
		t.Errorf("memberships: %s", b)
	}
	other, _ := onboarding.Seal("nacka", []byte("x"))
	damaged := bytes.Clone(sealed.Ciphertext)
	damaged[len(damaged)-1] ^= 1
	for name, try := range map[string]func() ([]byte, error){
		"other key":   func() ([]byte, error) { return onboarding.Open("nacka", other.KeyText(), sealed.Ciphertext) },
		"other slug":  func() ([]byte, error) { return onboarding.Open("solna", sealed.KeyText(), sealed.Ciphertext) },
		"damaged":     func() ([]byte, error) { return onboarding.Open("nacka", sealed.KeyText(), damaged) },
		"garbage key": func() ([]byte, error) { return onboarding.Open("nacka", "nyckel", sealed.Ciphertext) },
		"too short":   func() ([]byte, error) { return onboarding.Open("nacka", sealed.KeyText(), []byte("kort")) },
	} {
		if _, err := try(); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("%s: %v; want Invalid", name, err)
		}
	}
}

func TestConfirmNameWantsTheKommunsName(t *testing.T) {
	t.Parallel()
	for typed, wantKey := range map[string]string{
		"Nacka kommun":       "",
		"  nacka   KOMMUN ":  "",
		"":                   "error.platform_kommun.confirm_required",
		"Nacka":              "error.platform_kommun.confirm_mismatch",
		"Solna stad":         "error.platform_kommun.confirm_mismatch",
		"Nacka kommun extra": "error.platform_kommun.confirm_mismatch",
	} {
		err := onboarding.ConfirmName(nacka(), typed)
		if wantKey == "" {
			if err != nil {
				t.Errorf("%q: %v", typed, err)
			}
			continue
		}
		e := apperr.As(err)
		if e == nil || len(e.Fields) != 1 || e.Fields[0].Field != "confirm_name" || e.Fields[0].Key != wantKey {
			t.Errorf("%q: %v; want %s on confirm_name", typed, err, wantKey)
		}
	}
}
