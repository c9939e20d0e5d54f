package tenant

import (
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/storsthlm/mottagning/internal/apperr"
)

var (
	slugPattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	codePattern = regexp.MustCompile(`^01[0-9]{2}$`)
)

// reservedSlugs are the first path segments the router uses itself; a kommun
// slug taking one would shadow a route or be shadowed by it.
var reservedSlugs = []string{
	"admin", "api", "dev", "en", "favicon.ico", "healthz", "hjalp", "integritet",
	"kontakt", "konto-raderat", "lamna", "logga-in", "logga-ut", "metrics", "min-profil",
	"mina-bokningar", "mina-samtal", "om", "personal", "plattform", "readyz",
	"registrera", "robots.txt", "sprak", "static", "sv",
}

// ReservedSlugs returns the path words no kommun slug may take, sorted. The
// router's own first path segments must all be in this list.
func ReservedSlugs() []string { return slices.Clone(reservedSlugs) }

// IsReserved reports whether slug is a path word the router uses itself.
func IsReserved(slug string) bool {
	_, found := slices.BinarySearch(reservedSlugs, strings.ToLower(slug))
	return found
}

// Problem is one rule a definition breaks: the YAML field path and an
// English message for the operator.
type Problem struct {
	Field   string // e.g. "code", "contact.email"
	Message string // e.g. `must be 4 digits starting with 01 (got "182")`
}

func (p Problem) String() string { return p.Field + ": " + p.Message }

// ValidationError lists every rule a definition breaks. It unwraps to an
// apperr Invalid error, so apperr.KindOf sees it as the user's to correct.
type ValidationError struct {
	Problems []Problem
}

func (e *ValidationError) Error() string {
	msgs := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		msgs[i] = p.String()
	}
	return strings.Join(msgs, "; ")
}

// Unwrap returns the problems as an apperr Invalid error with one field
// error per problem, keyed "error.kommun.<field>".
func (e *ValidationError) Unwrap() error {
	fields := make([]apperr.FieldError, len(e.Problems))
	for i, p := range e.Problems {
		fields[i] = apperr.FieldError{Field: p.Field, Key: "error.kommun." + p.Field}
	}
	return apperr.InvalidFields(fields...)
}

func (e *ValidationError) add(field, message string) {
	if message != "" {
		e.Problems = append(e.Problems, Problem{Field: field, Message: message})
	}
}

// Validate checks d against the registry rules. It returns nil or a
// *ValidationError naming every field that breaks a rule.
func (d Definition) Validate() error {
	var e ValidationError
	e.add("slug", checkSlug(d.Slug))
	e.add("name", checkName(d.Name))
	e.add("code", checkCode(d.Code))
	e.add("contact.phone", checkRequired(d.Contact.Phone))
	e.add("contact.email", checkEmail(d.Contact.Email))
	e.add("contact.address", checkRequired(d.Contact.Address))
	e.add("contact.website", checkURL(d.Contact.Website, false))
	e.add("privacy_policy_url", checkURL(d.PrivacyPolicyURL, true))
	if !d.Demo {
		// Placeholders must never be shown to youth as if they were real.
		e.add("contact.email", checkNotPlaceholder(emailHost(d.Contact.Email)))
		e.add("contact.website", checkNotPlaceholder(urlHost(d.Contact.Website)))
		e.add("privacy_policy_url", checkNotPlaceholder(urlHost(d.PrivacyPolicyURL)))
	}
	if len(e.Problems) == 0 {
		return nil
	}
	return &e
}

func checkSlug(s string) string {
	switch {
	case s == "":
		return "required"
	case len(s) < 2 || len(s) > 40:
		return fmt.Sprintf("must be 2 to 40 characters (got %q)", s)
	case !slugPattern.MatchString(s):
		return fmt.Sprintf("must be lowercase a-z, 0-9 and single hyphens between them (got %q)", s)
	case IsReserved(s):
		return fmt.Sprintf("%q is reserved for the router's own paths", s)
	}
	return ""
}

func checkName(s string) string {
	if strings.TrimSpace(s) == "" {
		return "required"
	}
	if n := utf8.RuneCountInString(s); n > 100 {
		return fmt.Sprintf("must be at most 100 characters (got %d)", n)
	}
	return ""
}

func checkCode(s string) string {
	if s == "" {
		return "required"
	}
	if !codePattern.MatchString(s) {
		return fmt.Sprintf("must be 4 digits starting with 01 (got %q)", s)
	}
	return ""
}

func checkRequired(s string) string {
	if strings.TrimSpace(s) == "" {
		return "required"
	}
	return ""
}

func checkEmail(s string) string {
	if s == "" {
		return "required"
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s {
		return fmt.Sprintf("must be a bare e-mail address such as name@kommun.se (got %q)", s)
	}
	return ""
}

// checkURL wants an absolute https URL; plain http only for a local host.
func checkURL(raw string, required bool) string {
	if raw == "" {
		if required {
			return "required"
		}
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" || u.User != nil {
		return fmt.Sprintf("must be an absolute https URL (got %q)", raw)
	}
	if u.Scheme == "https" || (u.Scheme == "http" && isLocalHost(u.Hostname())) {
		return ""
	}
	return fmt.Sprintf("must use https; http only for localhost (got %q)", raw)
}

func isLocalHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func checkNotPlaceholder(host string) string {
	if host == "example" || strings.HasSuffix(host, ".example") {
		return fmt.Sprintf("%s is a placeholder domain but demo is false", host)
	}
	return ""
}

func emailHost(s string) string {
	_, host, _ := strings.Cut(s, "@")
	return strings.ToLower(host)
}

func urlHost(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Hostname())
}
