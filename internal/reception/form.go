package reception

import (
	"strconv"
	"strings"
	"time"

	"github.com/storsthlm/mottagning/internal/apperr"
)

// DayKeys name the weekdays in form fields, indexed by time.Weekday.
var DayKeys = [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// WeekOrder is the Swedish week: Monday first.
var WeekOrder = [7]time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}

// Form is the page as the edit form carries it: every field as text.
// Hours are "09:00-12:00, 13:00-16:00"; exceptions one per line:
// "2026-07-01 - 2026-08-02 stängt" or "2026-12-23 10:00-14:00 # kort dag".
type Form map[string]string

// FormOf returns the form fields of p.
func FormOf(p Page) Form {
	f := Form{
		"display_name": p.DisplayName, "introduction": p.Introduction, "address": p.Address,
		"phone": p.Phone, "email": p.Email, "privacy_policy_url": p.PrivacyPolicyURL,
		"accessibility": p.Accessibility, "languages": strings.Join(p.Languages, ", "),
		"exceptions": FormatExceptions(p.Exceptions),
	}
	for d := range 7 {
		f["hours_"+DayKeys[d]] = FormatIntervals(p.Hours[d])
		f["chat_"+DayKeys[d]] = FormatIntervals(p.Services.ChatHours[d])
	}
	f.setBool("holidays_open", p.HolidaysOpen)
	f.setBool("service_chat", p.Services.Chat)
	f.setBool("service_booking", p.Services.Booking)
	f.setBool("service_video", p.Services.Video)
	return f
}

func (f Form) setBool(k string, v bool) {
	if v {
		f[k] = "on"
	}
}

// Page parses the form into a normalized page and validates it. Every
// broken field is reported (Invalid); nothing is half-parsed.
func (f Form) Page() (Page, error) {
	p := Page{DisplayName: f["display_name"], Introduction: f["introduction"], Address: f["address"],
		Phone: f["phone"], Email: f["email"], PrivacyPolicyURL: f["privacy_policy_url"],
		Accessibility: f["accessibility"], Languages: strings.Split(f["languages"], ","),
		HolidaysOpen: f["holidays_open"] != "", Services: Services{Chat: f["service_chat"] != "",
			Booking: f["service_booking"] != "", Video: f["service_video"] != ""}}
	var fs []apperr.FieldError
	for d := range 7 {
		for _, pre := range []string{"hours", "chat"} {
			ivs, ok := ParseIntervals(f[pre+"_"+DayKeys[d]])
			if !ok {
				fs = append(fs, apperr.FieldError{Field: pre + "_" + DayKeys[d], Key: "reception.error.hours_format"})
			}
			if pre == "hours" {
				p.Hours[d] = ivs
			} else {
				p.Services.ChatHours[d] = ivs
			}
		}
	}
	exs, line := ParseExceptions(f["exceptions"])
	p.Exceptions = exs
	p.Normalize()
	if err := apperr.As(p.Validate()); err != nil {
		fs = mergeFields(fs, err.Fields)
	}
	if line > 0 && !hasField(fs, "exceptions") {
		fs = append(fs, apperr.FieldError{Field: "exceptions", Key: "reception.error.exception_format", Args: map[string]any{"Line": line}})
	}
	if len(fs) > 0 {
		return p, apperr.InvalidFields(fs...)
	}
	return p, nil
}

// mergeFields adds the errors of more whose field has none yet.
func mergeFields(fs, more []apperr.FieldError) []apperr.FieldError {
	for _, e := range more {
		if !hasField(fs, e.Field) {
			fs = append(fs, e)
		}
	}
	return fs
}

func hasField(fs []apperr.FieldError, field string) bool {
	for _, e := range fs {
		if e.Field == field {
			return true
		}
	}
	return false
}

// ParseIntervals reads "09:00-12:00, 13:00-16:00" (also "9-12", "–" and
// "24:00"); empty text is a closed day. It reports false on bad text.
func ParseIntervals(s string) ([]Interval, bool) {
	s = strings.TrimSpace(s)
	if s == "" || strings.EqualFold(s, "stängt") || strings.EqualFold(s, "closed") {
		return nil, true
	}
	var out []Interval
	for part := range strings.SplitSeq(s, ",") {
		a, b, ok := strings.Cut(strings.ReplaceAll(strings.ReplaceAll(part, "–", "-"), "—", "-"), "-")
		if !ok {
			return nil, false
		}
		start, ok1 := parseClock(a)
		end, ok2 := parseClock(b)
		if !ok1 || !ok2 {
			return nil, false
		}
		out = append(out, Interval{Start: start, End: end})
	}
	return out, true
}

func parseClock(s string) (int, bool) {
	s = strings.TrimSpace(strings.ReplaceAll(s, ".", ":"))
	hs, ms, found := strings.Cut(s, ":")
	if !found {
		ms = "00"
	}
	h, err1 := strconv.Atoi(hs)
	m, err2 := strconv.Atoi(ms)
	if err1 != nil || err2 != nil || len(hs) > 2 || len(ms) != 2 || h < 0 || m < 0 || m > 59 || h > 24 || (h == 24 && m != 0) {
		return 0, false
	}
	return h*60 + m, true
}

// ParseExceptions reads one exception per line. It returns the exceptions
// read and the number of the first line it could not read (0 if none).
func ParseExceptions(s string) ([]Exception, int) {
	var out []Exception
	for i, line := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		ex, ok := parseException(line)
		if !ok {
			return out, i + 1
		}
		out = append(out, ex)
	}
	return out, 0
}

func parseException(line string) (Exception, bool) {
	line, note, _ := strings.Cut(line, "#")
	fields := strings.Fields(strings.NewReplacer("–", " - ", "—", " - ").Replace(line))
	if len(fields) < 2 {
		return Exception{}, false
	}
	ex := Exception{From: fields[0], To: fields[0], Note: strings.TrimSpace(note)}
	rest := fields[1:]
	if len(rest) >= 3 && rest[0] == "-" && validDate(rest[1]) {
		ex.To, rest = rest[1], rest[2:]
	}
	what := strings.Join(rest, " ")
	if strings.EqualFold(what, "stängt") || strings.EqualFold(what, "closed") {
		ex.Closed = true
		return ex, validDate(ex.From)
	}
	ivs, ok := ParseIntervals(what)
	ex.Hours = ivs
	return ex, ok && len(ivs) > 0 && validDate(ex.From)
}

func validDate(s string) bool {
	_, err := time.Parse(time.DateOnly, s)
	return err == nil
}

// FormatExceptions writes exceptions in the form's line syntax.
func FormatExceptions(exs []Exception) string {
	var b strings.Builder
	for _, ex := range exs {
		b.WriteString(ex.From)
		if ex.To != ex.From {
			b.WriteString(" - " + ex.To)
		}
		if ex.Closed {
			b.WriteString(" stängt")
		} else {
			b.WriteString(" " + strings.ReplaceAll(FormatIntervals(ex.Hours), "–", "-"))
		}
		if ex.Note != "" {
			b.WriteString(" # " + ex.Note)
		}
		b.WriteString("\n")
	}
	return b.String()
}
