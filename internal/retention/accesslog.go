package retention

import (
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/storsthlm/mottagning/internal/apperr"
)

// Stockholm is the time zone dates are entered and shown in.
var Stockholm = mustZone("Europe/Stockholm")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		return time.FixedZone("CET", 3600)
	}
	return loc
}

// LogEntry is one access-log entry as transparency and follow-up show it.
// Kommun is the kommun's name ("" for platform staff); StaffName is set
// only for the kommun's own follow-up, never for the youth (P14).
type LogEntry struct {
	ID        int64
	At        time.Time
	Kommun    string
	ActorID   uuid.UUID
	StaffName string
	Role      string
	Action    string
	Subject   string
}

// LogFilter narrows a kommun's access log. From and To are whole days in
// Stockholm time (To inclusive); zero means open.
type LogFilter struct {
	From, To time.Time
	Action   string
	Username string
	Limit    int
}

// LogLimit bounds how many entries one page of the log shows.
const LogLimit = 200

// ParseLogFilter reads the filter fields as entered (dates YYYY-MM-DD). It
// returns an Invalid error naming each bad field.
func ParseLogFilter(from, to, action, username string) (LogFilter, error) {
	f := LogFilter{Action: strings.TrimSpace(action), Username: strings.TrimSpace(username), Limit: LogLimit}
	var fields []apperr.FieldError
	var err error
	if f.From, err = parseDay(from); err != nil {
		fields = append(fields, apperr.FieldError{Field: "from", Key: "error.accesslog.date"})
	}
	if f.To, err = parseDay(to); err != nil {
		fields = append(fields, apperr.FieldError{Field: "to", Key: "error.accesslog.date"})
	}
	if !f.From.IsZero() && !f.To.IsZero() && f.To.Before(f.From) {
		fields = append(fields, apperr.FieldError{Field: "to", Key: "error.accesslog.range"})
	}
	if f.Action != "" && !actionOK(f.Action) {
		fields = append(fields, apperr.FieldError{Field: "action", Key: "error.accesslog.action"})
	}
	if len([]rune(f.Username)) > 64 {
		fields = append(fields, apperr.FieldError{Field: "username", Key: "error.accesslog.username"})
	}
	if len(fields) > 0 {
		return LogFilter{}, apperr.InvalidFields(fields...)
	}
	if !f.To.IsZero() {
		f.To = f.To.AddDate(0, 0, 1) // exclusive end: the day after
	}
	return f, nil
}

func parseDay(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	return time.ParseInLocation("2006-01-02", s, Stockholm)
}

func actionOK(s string) bool {
	dot := strings.IndexByte(s, '.')
	if dot < 1 || dot == len(s)-1 || len(s) > 64 {
		return false
	}
	for i, r := range s {
		if i != dot && !(r >= 'a' && r <= 'z' || r == '_') {
			return false
		}
	}
	return true
}

// SampleSize is how many entries a monthly sample draws.
const SampleSize = 20

// ParseSampleMonth reads a month (YYYY-MM) for a sample. It returns an
// Invalid error for a malformed month or one that has not ended at now
// (in Stockholm time): a month still running (or to come) has entries yet
// to be written, and a month has one sample only.
func ParseSampleMonth(s string, now time.Time) (time.Time, error) {
	m, err := time.ParseInLocation("2006-01", strings.TrimSpace(s), Stockholm)
	if err != nil {
		return time.Time{}, apperr.InvalidFields(apperr.FieldError{Field: "month", Key: "error.accesslog.month"})
	}
	if m.AddDate(0, 1, 0).After(now.In(Stockholm)) {
		return time.Time{}, apperr.InvalidFields(apperr.FieldError{Field: "month", Key: "error.accesslog.month_future"})
	}
	return m, nil
}

// Sample is a drawn monthly sample with its items.
type Sample struct {
	ID       uuid.UUID
	Month    time.Time // first day, Stockholm time
	DrawnAt  time.Time
	Size     int
	Reviewed int // items with an outcome
	FollowUp int // items marked for follow-up
	Items    []SampleItem
}

// Review outcomes of a sample item.
const (
	ReviewOK       = "ok"
	ReviewFollowUp = "follow_up"
)

// SampleItem is one drawn entry and its review.
type SampleItem struct {
	Position int
	Entry    LogEntry
	Outcome  string // "", ReviewOK or ReviewFollowUp
	Note     string
	Reviewed time.Time
}

// ItemReview is the review of one item as entered.
type ItemReview struct {
	Position int
	Outcome  string
	Note     string
}

// NoteMax bounds a review note.
const NoteMax = 1000

// ValidateReviews returns an Invalid error naming each bad item (field
// "outcome_<n>" or "note_<n>"); items without an outcome are left as they are.
func ValidateReviews(rs []ItemReview) error {
	var fields []apperr.FieldError
	for _, r := range rs {
		switch r.Outcome {
		case "", ReviewOK, ReviewFollowUp:
		default:
			fields = append(fields, apperr.FieldError{Field: itoaField("outcome_", r.Position), Key: "error.accesslog.outcome"})
		}
		if len([]rune(r.Note)) > NoteMax {
			fields = append(fields, apperr.FieldError{Field: itoaField("note_", r.Position), Key: "error.accesslog.note",
				Args: map[string]any{"Max": NoteMax}})
		}
		if r.Outcome == "" && strings.TrimSpace(r.Note) != "" {
			fields = append(fields, apperr.FieldError{Field: itoaField("outcome_", r.Position), Key: "error.accesslog.outcome_needed"})
		}
	}
	if len(fields) > 0 {
		return apperr.InvalidFields(fields...)
	}
	return nil
}

func itoaField(prefix string, n int) string {
	var b []byte
	if n == 0 {
		b = []byte{'0'}
	}
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return prefix + string(b)
}

// RunSummary is the latest run of a job (all its kommuner together) and
// the last time it succeeded, for the platform's job page.
type RunSummary struct {
	Job         string
	TaskID      string
	Started     time.Time
	Finished    *time.Time
	Rows        int64
	Outcome     string // running, ok, failed or skipped (the worst of its kommuner)
	Attempts    int
	Failures    int    // kommuner (or the platform) whose run failed
	Error       string // the first error
	LastSuccess *time.Time
}
