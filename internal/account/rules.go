package account

import (
	_ "embed"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/storsthlm/mottagning/internal/apperr"
)

// Username and password limits (P2).
const (
	UsernameMin = 3
	UsernameMax = 32
	PasswordMin = 8
	PasswordMax = 256 // long passphrases are welcome
)

// reservedUsernames cannot be registered: they could pass for staff, the
// service itself, or the "anonym" marker of the access log.
var reservedUsernames = map[string]bool{
	"admin": true, "administrator": true, "root": true, "system": true, "support": true, "hjalp": true,
	"hjälp": true, "kurator": true, "kuratorn": true, "personal": true, "plattform": true, "storsthlm": true,
	"mottagning": true, "mottagningen": true, "ungdomsmottagning": true, "ungdomsmottagningen": true,
	"anonym": true, "anonymous": true, "moderator": true, "null": true, "undefined": true, "api": true,
	"info": true, "kontakt": true, "polis": true, "polisen": true, "sjukvard": true, "1177": true, "112": true,
}

// NormalizeUsername checks a username against the rules and returns it as
// shown (trimmed, Unicode NFC) and as the key that makes it unique without
// regard to case. It returns an Invalid error naming the broken rule.
func NormalizeUsername(raw string) (display, key string, err error) {
	display = norm.NFC.String(strings.TrimSpace(raw))
	bad := func(k string, args map[string]any) (string, string, error) {
		return "", "", apperr.InvalidFields(apperr.FieldError{Field: "username", Key: k, Args: args})
	}
	n := utf8.RuneCountInString(display)
	switch {
	case n == 0:
		return bad("error.username.required", nil)
	case n < UsernameMin:
		return bad("error.username.too_short", map[string]any{"Min": UsernameMin})
	case n > UsernameMax:
		return bad("error.username.too_long", map[string]any{"Max": UsernameMax})
	}
	for _, r := range display {
		// Latin letters only (å, ä, ö, é included): look-alike letters from
		// other scripts could imitate someone else's name.
		if !(unicode.In(r, unicode.Latin) && unicode.IsLetter(r) || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return bad("error.username.chars", nil)
		}
	}
	key = strings.ToLower(display)
	if reservedUsernames[key] || reservedUsernames[strings.Trim(key, "._-0123456789")] {
		return bad("error.username.reserved", nil)
	}
	return display, key, nil
}

//go:embed common-passwords.txt
var commonPasswordList string

var commonPasswords = func() map[string]bool {
	m := map[string]bool{}
	for _, line := range strings.Split(commonPasswordList, "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			m[strings.ToLower(line)] = true
		}
	}
	return m
}()

// CheckPassword returns an Invalid error if password breaks a rule: too
// short, too long, among the most common passwords, or the username itself.
func CheckPassword(password, username string) error {
	bad := func(k string, args map[string]any) error {
		return apperr.InvalidFields(apperr.FieldError{Field: "password", Key: k, Args: args})
	}
	n := utf8.RuneCountInString(password)
	switch {
	case n == 0:
		return bad("error.password.required", nil)
	case n < PasswordMin:
		return bad("error.password.too_short", map[string]any{"Min": PasswordMin})
	case n > PasswordMax:
		return bad("error.password.too_long", map[string]any{"Max": PasswordMax})
	case IsCommonPassword(password):
		return bad("error.password.common", nil)
	case username != "" && strings.EqualFold(strings.TrimSpace(password), strings.TrimSpace(username)):
		return bad("error.password.same_as_username", nil)
	}
	return nil
}

// IsCommonPassword reports whether password is on the built-in list of the
// most common passwords (compared without regard to case).
func IsCommonPassword(password string) bool { return commonPasswords[strings.ToLower(password)] }
