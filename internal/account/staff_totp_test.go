package account

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/pquerna/otp/totp"

	"github.com/storsthlm/mottagning/internal/apperr"
)

func TestTOTPAcceptsCurrentStepAndOneEitherSide(t *testing.T) {
	t.Parallel()
	secret, url, err := NewTOTPKey("kurator@nacka.example")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(url, "otpauth://totp/Ungdomsmottagningen:kurator@nacka.example?") || !strings.Contains(url, "issuer=Ungdomsmottagningen") {
		t.Fatalf("otpauth URL %q lacks issuer or account name", url)
	}
	again, err := TOTPURL(secret, "kurator@nacka.example")
	if err != nil || again != url {
		t.Fatalf("TOTPURL of the same secret = %q, %v; want %q", again, err, url)
	}
	now := time.Unix(1_800_000_015, 0)
	step := now.Unix() / 30
	for off, want := range map[int64]bool{-2: false, -1: true, 0: true, 1: true, 2: false} {
		code, _ := totp.GenerateCode(secret, time.Unix((step+off)*30, 0))
		got, ok := MatchTOTP(secret, code, now)
		if ok != want || ok && got != step+off {
			t.Errorf("code of step %+d: ok=%v step=%d; want ok=%v step=%d", off, ok, got, want, step+off)
		}
	}
	if _, ok := MatchTOTP(secret, "", now); ok {
		t.Error("an empty code matched")
	}
}

func TestTOTPSecretIsSealedAtRest(t *testing.T) {
	t.Parallel()
	key := bytes.Repeat([]byte{7}, 32)
	box, err := newSecretBox(key)
	if err != nil {
		t.Fatal(err)
	}
	id, other := uuid.New(), uuid.New()
	sealed, err := box.seal(id, "JBSWY3DPEHPK3PXP")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sealed, "JBSWY3DPEHPK3PXP") || !strings.HasPrefix(sealed, "v1:") {
		t.Fatalf("sealed secret %q shows the secret or lacks its version", sealed)
	}
	if got, err := box.open(id, sealed); err != nil || got != "JBSWY3DPEHPK3PXP" {
		t.Fatalf("open = %q, %v", got, err)
	}
	if _, err := box.open(other, sealed); err != ErrSealedSecret {
		t.Error("a sealed secret opened for another staff member")
	}
	otherKey, _ := newSecretBox(bytes.Repeat([]byte{8}, 32))
	if _, err := otherKey.open(id, sealed); err != ErrSealedSecret {
		t.Error("a sealed secret opened under another SECRET_KEY")
	}
	tampered := sealed[:len(sealed)-2] + "AA"
	if _, err := box.open(id, tampered); err != ErrSealedSecret {
		t.Error("a tampered secret opened")
	}
	if _, err := newSecretBox(key[:16]); err == nil {
		t.Error("a 16-byte key was accepted")
	}
}

func TestRecoveryCodesAreUniqueAndNormalised(t *testing.T) {
	t.Parallel()
	codes, hashes, err := NewRecoveryCodes(RecoveryCodeCount)
	if err != nil || len(codes) != 10 || len(hashes) != 10 {
		t.Fatalf("%d codes, %d hashes, %v", len(codes), len(hashes), err)
	}
	seen := map[string]bool{}
	for i, c := range codes {
		if seen[c] || len(c) != 14 || c[4] != '-' || c[9] != '-' {
			t.Errorf("code %q is repeated or not xxxx-xxxx-xxxx", c)
		}
		seen[c] = true
		n, ok := NormalizeRecoveryCode(" " + strings.ToUpper(strings.ReplaceAll(c, "-", " ")) + " ")
		if !ok || !bytes.Equal(RecoveryCodeHash(n), hashes[i]) {
			t.Errorf("code %q typed in capitals with spaces does not match its hash", c)
		}
	}
	for _, bad := range []string{"", "123456", "abcd-efgh-jkm", "abcd-efgh-jkmn0", "abcd-efgh-jkm1"} {
		if _, ok := NormalizeRecoveryCode(bad); ok {
			t.Errorf("%q passed as a recovery code", bad)
		}
	}
}

func TestNormalizeStaffEmail(t *testing.T) {
	t.Parallel()
	if got, err := NormalizeStaffEmail("  Kim.Kurator@Nacka.SE "); err != nil || got != "kim.kurator@nacka.se" {
		t.Fatalf("got %q, %v", got, err)
	}
	for raw, key := range map[string]string{
		"": "error.staff.email.required", "   ": "error.staff.email.required", "kim": "error.staff.email.invalid",
		"kim@": "error.staff.email.invalid", "@nacka.se": "error.staff.email.invalid", "kim@nacka": "error.staff.email.invalid",
		"kim @nacka.se": "error.staff.email.invalid", "a@b@nacka.se": "error.staff.email.invalid",
		"Kim <kim@nacka.se>": "error.staff.email.invalid", strings.Repeat("a", 250) + "@x.se": "error.staff.email.invalid",
	} {
		_, err := NormalizeStaffEmail(raw)
		e := apperr.As(err)
		if e == nil || e.Kind != apperr.Invalid || len(e.Fields) != 1 || e.Fields[0].Field != "email" || e.Fields[0].Key != key {
			t.Errorf("NormalizeStaffEmail(%q) = %v; want field email %s", raw, err, key)
		}
	}
}

func TestTOTPCodeFormat(t *testing.T) {
	t.Parallel()
	for raw, want := range map[string]string{"123456": "123456", " 123 456 ": "123456"} {
		if got, err := normalizeTOTPCode(raw); err != nil || got != want {
			t.Errorf("normalizeTOTPCode(%q) = %q, %v", raw, got, err)
		}
	}
	for raw, key := range map[string]string{"": "error.staff.totp.required", "12345": "error.staff.totp.format",
		"1234567": "error.staff.totp.format", "12345a": "error.staff.totp.format", "١٢٣٤٥٦": "error.staff.totp.format"} {
		_, err := normalizeTOTPCode(raw)
		if e := apperr.As(err); e == nil || e.Kind != apperr.Invalid || e.Fields[0].Key != key {
			t.Errorf("normalizeTOTPCode(%q) = %v; want %s", raw, err, key)
		}
	}
}

func TestDisplayNameRules(t *testing.T) {
	t.Parallel()
	if got, err := NormalizeDisplayName("  Kim   Kurator "); err != nil || got != "Kim Kurator" {
		t.Fatalf("got %q, %v", got, err)
	}
	for raw, key := range map[string]string{"": "error.staff.display_name.required", " \t ": "error.staff.display_name.required",
		strings.Repeat("å", 101): "error.staff.display_name.too_long", "<b>Kim</b>": "error.staff.display_name.chars"} {
		_, err := NormalizeDisplayName(raw)
		if e := apperr.As(err); e == nil || e.Kind != apperr.Invalid || e.Fields[0].Key != key {
			t.Errorf("NormalizeDisplayName(%q) = %v; want %s", raw, err, key)
		}
	}
}

func TestZeroHashCostsTheSameAndMatchesNothing(t *testing.T) {
	t.Parallel()
	p := HashParams{Memory: 8 * 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}
	h := zeroHash(p)
	ok, rehash, err := VerifyPassword("", h, p)
	if err != nil || ok || rehash {
		t.Fatalf("zero hash: ok=%v rehash=%v err=%v; want a well-formed hash that matches nothing", ok, rehash, err)
	}
	if !strings.Contains(h, "m=8192,t=1,p=1") {
		t.Errorf("zero hash %q does not carry the service's cost", h)
	}
}
