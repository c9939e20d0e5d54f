// Package reception is a kommun's reception page: the document reception
// admins edit and publish (P8), its validation, the sanitised rendering of
// its Markdown introduction, and the opening-hours computation in
// Europe/Stockholm with Swedish public holidays and daylight-saving time.
//
// The package is pure: it stores nothing. Validation errors are
// apperr.Invalid with one FieldError per field, keyed for translation.
package reception

import (
	"net/mail"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/storsthlm/mottagning/internal/apperr"
	"github.com/storsthlm/mottagning/internal/tenant"
)

// Services are what the reception offers besides visits.
type Services struct {
	Chat      bool `json:"chat"`       // drop-in chat, during ChatHours
	ChatHours Week `json:"chat_hours"` // weekly drop-in hours (holidays and closed exceptions apply)
	Booking   bool `json:"booking"`    // book a time online
	Video     bool `json:"video"`      // video meetings (after booking)
}

// Page is a reception page document, stored as JSON (draft and published).
type Page struct {
	DisplayName      string      `json:"display_name"`
	Introduction     string      `json:"introduction"` // Markdown
	Address          string      `json:"address"`
	Phone            string      `json:"phone"`
	Email            string      `json:"email"`
	PrivacyPolicyURL string      `json:"privacy_policy_url"` // the kommun's own policy (P8)
	Hours            Week        `json:"hours"`
	Exceptions       []Exception `json:"exceptions"`
	HolidaysOpen     bool        `json:"holidays_open"`
	Services         Services    `json:"services"`
	Languages        []string    `json:"languages"`
	Accessibility    string      `json:"accessibility"`
}

// Limits of the fields, in characters.
const (
	MaxName          = 100
	MaxIntroduction  = 5000
	MaxAddress       = 200
	MaxPhone         = 30
	MaxEmail         = 254
	MaxURL           = 500
	MaxAccessibility = 1000
	MaxLanguages     = 20
	MaxLanguage      = 40
	MaxExceptions    = 60
	MaxNote          = 100
	MaxIntervals     = 6
)

// FromKommun is the page a kommun starts with: the registry's facts.
func FromKommun(k tenant.Kommun) Page {
	return Page{DisplayName: k.Name, Address: k.Contact.Address, Phone: k.Contact.Phone,
		Email: k.Contact.Email, PrivacyPolicyURL: k.PrivacyPolicyURL}
}

// Schedule returns the reception's opening hours.
func (p Page) Schedule() Schedule {
	return Schedule{Week: p.Hours, Exceptions: p.Exceptions, HolidaysOpen: p.HolidaysOpen}
}

// ChatSchedule returns the drop-in chat hours: its own weekly hours, closed
// when the reception is closed for a holiday or a closed exception.
func (p Page) ChatSchedule() Schedule {
	s := Schedule{Week: p.Services.ChatHours, HolidaysOpen: p.HolidaysOpen}
	for _, ex := range p.Exceptions {
		if ex.Closed {
			s.Exceptions = append(s.Exceptions, ex)
		}
	}
	return s
}

// Normalize trims the text fields.
func (p *Page) Normalize() {
	for _, f := range []*string{&p.DisplayName, &p.Address, &p.Phone, &p.Email, &p.PrivacyPolicyURL, &p.Accessibility} {
		*f = strings.TrimSpace(*f)
	}
	p.Introduction = strings.TrimSpace(strings.ReplaceAll(p.Introduction, "\r\n", "\n"))
	p.Email = strings.ToLower(p.Email)
	langs := p.Languages[:0:0]
	for _, l := range p.Languages {
		if l = strings.TrimSpace(l); l != "" {
			langs = append(langs, l)
		}
	}
	p.Languages = langs
}

// Validate checks every field's form (a draft may still lack required
// fields). It returns an Invalid error listing each broken field.
func (p Page) Validate() error {
	var fs []apperr.FieldError
	add := func(field, key string, args map[string]any) {
		fs = append(fs, apperr.FieldError{Field: field, Key: key, Args: args})
	}
	text := func(field, v string, max int, multiline bool) {
		if utf8.RuneCountInString(v) > max {
			add(field, "reception.error.too_long", map[string]any{"Max": max})
		} else if hasControl(v, multiline) {
			add(field, "reception.error.chars", nil)
		}
	}
	text("display_name", p.DisplayName, MaxName, false)
	text("introduction", p.Introduction, MaxIntroduction, true)
	text("address", p.Address, MaxAddress, false)
	text("accessibility", p.Accessibility, MaxAccessibility, true)
	if p.DisplayName == "" {
		add("display_name", "reception.error.display_name_required", nil)
	}
	if p.Phone != "" && !validPhone(p.Phone) {
		add("phone", "reception.error.phone", nil)
	}
	if p.Email != "" && !validEmail(p.Email) {
		add("email", "reception.error.email", nil)
	}
	if p.PrivacyPolicyURL != "" && !validURL(p.PrivacyPolicyURL) {
		add("privacy_policy_url", "reception.error.url", nil)
	}
	fs = append(fs, p.validateLanguages()...)
	fs = append(fs, validateWeek("hours", p.Hours)...)
	fs = append(fs, validateWeek("chat", p.Services.ChatHours)...)
	fs = append(fs, validateExceptions(p.Exceptions)...)
	if len(fs) > 0 {
		return apperr.InvalidFields(fs...)
	}
	return nil
}

// ValidatePublish checks what a published page must have besides a valid
// form (P8): the kommun's privacy-policy link, a phone number and an
// e-mail address.
func (p Page) ValidatePublish() error {
	err := p.Validate()
	var fs []apperr.FieldError
	if e := apperr.As(err); e != nil {
		fs = e.Fields
	}
	if p.PrivacyPolicyURL == "" {
		fs = append(fs, apperr.FieldError{Field: "privacy_policy_url", Key: "reception.error.privacy_required"})
	}
	if p.Phone == "" {
		fs = append(fs, apperr.FieldError{Field: "phone", Key: "reception.error.phone_required"})
	}
	if p.Email == "" {
		fs = append(fs, apperr.FieldError{Field: "email", Key: "reception.error.email_required"})
	}
	if len(fs) > 0 {
		return &apperr.Error{Kind: apperr.Invalid, Key: "reception.error.not_publishable", Fields: fs}
	}
	return nil
}

func (p Page) validateLanguages() []apperr.FieldError {
	if len(p.Languages) > MaxLanguages {
		return []apperr.FieldError{{Field: "languages", Key: "reception.error.languages_many", Args: map[string]any{"Max": MaxLanguages}}}
	}
	for _, l := range p.Languages {
		if utf8.RuneCountInString(l) > MaxLanguage || strings.ContainsAny(l, "<>") || hasControl(l, false) {
			return []apperr.FieldError{{Field: "languages", Key: "reception.error.language", Args: map[string]any{"Max": MaxLanguage}}}
		}
	}
	return nil
}

func hasControl(s string, multiline bool) bool {
	return strings.IndexFunc(s, func(r rune) bool {
		return unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\t'))
	}) >= 0
}

func validPhone(s string) bool {
	if len(s) > MaxPhone {
		return false
	}
	digits := 0
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '+' && i == 0, r == ' ', r == '-', r == '(', r == ')':
		default:
			return false
		}
	}
	return digits >= 5 && digits <= 15
}

func validEmail(s string) bool {
	if len(s) > MaxEmail {
		return false
	}
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && a.Name == "" && strings.Contains(s[strings.LastIndexByte(s, '@'):], ".")
}

// validURL accepts an absolute https (or http) address with a host.
func validURL(s string) bool {
	if len(s) > MaxURL || strings.ContainsAny(s, " <>\"") {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && u.User == nil
}

// validateWeek checks each weekday's intervals: inside the day, end after
// start, no overlaps. The field of a weekday is prefix+"_"+day ("hours_mon").
func validateWeek(prefix string, w Week) []apperr.FieldError {
	var fs []apperr.FieldError
	for d, ivs := range w {
		if key := checkIntervals(ivs); key != "" {
			fs = append(fs, apperr.FieldError{Field: prefix + "_" + DayKeys[d], Key: key})
		}
	}
	return fs
}

func checkIntervals(ivs []Interval) string {
	if len(ivs) > MaxIntervals {
		return "reception.error.hours_many"
	}
	for i, iv := range ivs {
		switch {
		case iv.Start < 0 || iv.Start >= 1440 || iv.End <= 0 || iv.End > 1440:
			return "reception.error.hours_format"
		case iv.End <= iv.Start:
			return "reception.error.hours_end_before_start"
		case i > 0 && iv.Start < ivs[i-1].End:
			return "reception.error.hours_overlap"
		}
	}
	return ""
}

func validateExceptions(exs []Exception) []apperr.FieldError {
	bad := func(key string, line int) []apperr.FieldError {
		return []apperr.FieldError{{Field: "exceptions", Key: key, Args: map[string]any{"Line": line}}}
	}
	if len(exs) > MaxExceptions {
		return bad("reception.error.exceptions_many", len(exs))
	}
	for i, ex := range exs {
		switch {
		case !validDate(ex.From) || !validDate(ex.To):
			return bad("reception.error.exception_date", i+1)
		case ex.To < ex.From:
			return bad("reception.error.exception_order", i+1)
		case !ex.Closed && len(ex.Hours) == 0:
			return bad("reception.error.exception_hours", i+1)
		case utf8.RuneCountInString(ex.Note) > MaxNote || hasControl(ex.Note, false):
			return bad("reception.error.exception_note", i+1)
		}
		if key := checkIntervals(ex.Hours); key != "" {
			return bad("reception.error.exception_hours_bad", i+1)
		}
	}
	return nil
}
