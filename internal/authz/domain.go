package authz

import (
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"
)

// PlatformDomain is the domain of the data Storsthlm is controller for.
const PlatformDomain = "platform"

const (
	kommunPrefix = "kommun:"
	staffPrefix  = "staff:"
	maxSlugLen   = 63
)

// KommunDomain returns the domain of the kommun with the given slug
// ("kommun:" + slug). It does not validate the slug; Allowed does.
func KommunDomain(slug string) string { return kommunPrefix + slug }

// StaffSubject returns the Casbin subject of a staff member ("staff:" + id).
func StaffSubject(id uuid.UUID) string { return staffPrefix + id.String() }

// domainScope returns the scope of a concrete domain, or an error if dom is
// neither PlatformDomain nor "kommun:" followed by a valid slug. Patterns
// such as "kommun:*" are refused: a request or a membership always names one
// controller.
func domainScope(dom string) (scope, error) {
	if dom == PlatformDomain {
		return scopePlatform, nil
	}
	slug, ok := strings.CutPrefix(dom, kommunPrefix)
	if !ok || !validSlug(slug) {
		return 0, fmt.Errorf("authz: invalid domain %.80q", dom)
	}
	return scopeKommun, nil
}

// validSlug reports whether s is a URL-safe kommun slug: lower-case ASCII
// letters and digits in groups joined by single hyphens ("upplands-vasby").
func validSlug(s string) bool {
	if s == "" || len(s) > maxSlugLen || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case c == '-' && s[i-1] != '-':
		default:
			return false
		}
	}
	return true
}

// checkSubject returns an error unless sub is RoleAnonymous, RoleYouth or
// StaffSubject of a non-nil id. Staff role names are refused as subjects:
// the role manager treats a role as holding itself in every domain, so
// "counsellor" as a subject would be a counsellor everywhere.
func checkSubject(sub string) error {
	if sub == RoleAnonymous || sub == RoleYouth {
		return nil
	}
	if rest, ok := strings.CutPrefix(sub, staffPrefix); ok {
		if id, err := uuid.Parse(rest); err == nil && id != uuid.Nil && StaffSubject(id) == sub {
			return nil
		}
	}
	return errors.New("authz: invalid subject: want anonymous, youth or staff:<uuid>")
}
