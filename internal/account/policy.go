package account

import (
	"strings"
	"time"
	_ "time/tzdata" // effective dates are Stockholm dates wherever the server runs
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/storsthlm/mottagning/internal/apperr"
)

// Rules for publishing a privacy-policy version (P29).
const (
	// PolicyNoticeDays is how far ahead a new version must be published:
	// youth get at least this long to read it before it applies.
	PolicyNoticeDays = 30
	// PolicyUrgentNoticeDays is the shortest notice of an urgent change
	// (one the law or a security problem forces), which must give a reason.
	PolicyUrgentNoticeDays = 1
	// PolicyMaxDaysAhead keeps effective dates within a sensible horizon.
	PolicyMaxDaysAhead = 730

	PolicyVersionMax      = 40
	PolicySummaryMax      = 2000
	PolicyTextMax         = 100000
	PolicyUrgentReasonMax = 1000
)

// Stockholm is the time zone of effective dates.
var Stockholm = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Stockholm")
	if err != nil {
		panic(err) // time/tzdata is embedded
	}
	return loc
}()

// PolicyVersion is one published version of the platform's privacy policy.
type PolicyVersion struct {
	ID                   uuid.UUID
	Version              string
	SummarySV, SummaryEN string
	TextSV, TextEN       string // empty where only the heads were read
	EffectiveAt          time.Time
	PublishedAt          time.Time
	// UrgentReason says why the notice is shorter than PolicyNoticeDays.
	// It is required to publish such a change; it is not stored yet.
	UrgentReason string
}

// Urgent reports whether the version was published with less notice than
// PolicyNoticeDays (counted in Stockholm dates, as the form does).
func (v PolicyVersion) Urgent() bool {
	return v.EffectiveAt.Before(startOfDay(v.PublishedAt).AddDate(0, 0, PolicyNoticeDays))
}

// Summary returns the short summary in lang (Swedish unless "en").
func (v PolicyVersion) Summary(lang string) string {
	if lang == "en" {
		return v.SummaryEN
	}
	return v.SummarySV
}

// Text returns the full text in lang (Swedish unless "en").
func (v PolicyVersion) Text(lang string) string {
	if lang == "en" {
		return v.TextEN
	}
	return v.TextSV
}

// PolicyTimeline is the versions that matter now: the newest one in force
// (if any) and every one still to come, ordered by effective time.
type PolicyTimeline []PolicyVersion

// Current returns the newest version in force at now, or nil when none has
// been published (the built-in text applies).
func (t PolicyTimeline) Current(now time.Time) *PolicyVersion {
	var cur *PolicyVersion
	for i := range t {
		if !t[i].EffectiveAt.After(now) && (cur == nil || !t[i].EffectiveAt.Before(cur.EffectiveAt)) {
			cur = &t[i]
		}
	}
	return cur
}

// Coming returns the next version that will apply after now, or nil.
func (t PolicyTimeline) Coming(now time.Time) *PolicyVersion {
	var next *PolicyVersion
	for i := range t {
		if t[i].EffectiveAt.After(now) && (next == nil || t[i].EffectiveAt.Before(next.EffectiveAt)) {
			next = &t[i]
		}
	}
	return next
}

// PolicyInput is a platform admin's new version as entered.
type PolicyInput struct {
	Version              string
	SummarySV, SummaryEN string
	TextSV, TextEN       string
	EffectiveDate        string // YYYY-MM-DD, a Stockholm date
	Urgent               bool
	UrgentReason         string
}

// DefaultEffectiveDate is the date a new version's form suggests: the
// earliest one allowed without an urgent reason.
func DefaultEffectiveDate(now time.Time) string {
	return startOfDay(now).AddDate(0, 0, PolicyNoticeDays).Format(time.DateOnly)
}

// NewPolicyVersion checks in and returns the version to publish, taking
// effect at the start of the effective date in Stockholm. It returns an
// Invalid error naming every broken field.
func NewPolicyVersion(in PolicyInput, now time.Time) (PolicyVersion, error) {
	var fields []apperr.FieldError
	add := func(f apperr.FieldError, bad bool) {
		if bad {
			fields = append(fields, f)
		}
	}
	v := PolicyVersion{Version: strings.TrimSpace(in.Version), SummarySV: CleanText(in.SummarySV),
		SummaryEN: CleanText(in.SummaryEN), TextSV: CleanText(in.TextSV), TextEN: CleanText(in.TextEN)}
	if v.Version != "" && !validVersionLabel(v.Version) {
		add(apperr.FieldError{Field: "version", Key: "error.version.invalid", Args: map[string]any{"Max": PolicyVersionMax}}, true)
	} else {
		add(checkText("version", v.Version, PolicyVersionMax, true))
	}
	add(checkText("summary_sv", v.SummarySV, PolicySummaryMax, true))
	add(checkText("summary_en", v.SummaryEN, PolicySummaryMax, true))
	add(checkText("text_sv", v.TextSV, PolicyTextMax, true))
	add(checkText("text_en", v.TextEN, PolicyTextMax, true))
	if in.Urgent {
		v.UrgentReason = CleanText(in.UrgentReason)
		add(checkText("urgent_reason", v.UrgentReason, PolicyUrgentReasonMax, true))
	}
	eff, f, bad := effectiveAt(in.EffectiveDate, in.Urgent, now)
	add(f, bad)
	v.EffectiveAt = eff
	if len(fields) > 0 {
		return PolicyVersion{}, apperr.InvalidFields(fields...)
	}
	return v, nil
}

// effectiveAt parses the effective date and checks its notice period.
func effectiveAt(date string, urgent bool, now time.Time) (time.Time, apperr.FieldError, bool) {
	bad := func(key string, args map[string]any) (time.Time, apperr.FieldError, bool) {
		return time.Time{}, apperr.FieldError{Field: "effective_date", Key: key, Args: args}, true
	}
	date = strings.TrimSpace(date)
	if date == "" {
		return bad("error.effective_date.required", nil)
	}
	d, err := time.ParseInLocation(time.DateOnly, date, Stockholm)
	if err != nil {
		return bad("error.effective_date.invalid", nil)
	}
	today := startOfDay(now)
	minDays := PolicyNoticeDays
	if urgent {
		minDays = PolicyUrgentNoticeDays
	}
	earliest := today.AddDate(0, 0, minDays)
	switch {
	case !d.After(today):
		return bad("error.effective_date.past", map[string]any{"Earliest": earliest.Format(time.DateOnly)})
	case d.Before(earliest):
		return bad("error.effective_date.too_soon", map[string]any{"Days": PolicyNoticeDays, "Earliest": earliest.Format(time.DateOnly)})
	case d.After(today.AddDate(0, 0, PolicyMaxDaysAhead)):
		return bad("error.effective_date.too_far", nil)
	}
	return d, apperr.FieldError{}, false
}

// startOfDay returns midnight of t's date in Stockholm.
func startOfDay(t time.Time) time.Time {
	y, m, d := t.In(Stockholm).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, Stockholm)
}

// validVersionLabel allows labels like "2026-2", "v3.1" or "2026 höst".
func validVersionLabel(s string) bool {
	if utf8.RuneCountInString(s) > PolicyVersionMax {
		return false
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || strings.ContainsRune("åäöÅÄÖ.-_ ", r)) {
			return false
		}
	}
	return true
}
