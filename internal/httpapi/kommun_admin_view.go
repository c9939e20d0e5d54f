package httpapi

import (
	"html/template"
	"strings"
	"time"

	"github.com/storsthlm/mottagning/internal/reception"
	"github.com/storsthlm/mottagning/internal/tenant"
)

// receptionView is a reception page as the public (or a previewing
// admin) sees it at one moment.
type receptionView struct {
	Kommun        kommunView
	Published     bool // a reception admin has published the page
	Preview       bool // an admin's preview of the draft
	Suspended     bool
	Name          string
	Intro         template.HTML
	Address       string
	Phone         string
	Email         string
	HasPrivacy    bool
	Status        string // open or closed now, and until or from when
	Open          bool
	HasHours      bool
	Week          []dayView
	Exceptions    []exceptionView
	Services      []serviceView
	ChatNow       string // the public page: chat open now, and whether counsellors are free
	Languages     string
	Accessibility string
}

type dayView struct {
	Name, Hours string
	Today       bool
}

type exceptionView struct{ When, What string }

type serviceView struct {
	Name, State string
	Available   bool
}

// receptionViewOf builds the view of page p of kommun k at now.
func (s *Server) receptionViewOf(lang string, k tenant.Kommun, p reception.Page, published bool, now time.Time) receptionView {
	v := receptionView{Kommun: viewOf(k), Published: published, Suspended: k.Status == tenant.StatusSuspended,
		Name: p.DisplayName, Intro: reception.RenderMarkdown(p.Introduction), Address: p.Address,
		Phone: p.Phone, Email: p.Email, HasPrivacy: p.PrivacyPolicyURL != "",
		Languages: strings.Join(p.Languages, ", "), Accessibility: p.Accessibility}
	if v.Name == "" {
		v.Name = k.Name
	}
	sched := p.Schedule()
	for _, d := range sched.Week {
		v.HasHours = v.HasHours || len(d) > 0
	}
	if v.HasHours {
		st := sched.At(now)
		v.Open, v.Status = st.Open, s.statusText(lang, "reception.status", st, now)
	}
	today := now.In(reception.Stockholm).Weekday()
	for _, wd := range reception.WeekOrder {
		hours := reception.FormatIntervals(p.Hours[wd])
		if hours == "" {
			hours = s.tr.T(lang, "reception.closed")
		}
		v.Week = append(v.Week, dayView{Name: s.tr.T(lang, "reception.day."+reception.DayKeys[wd]), Hours: hours, Today: wd == today})
	}
	v.Exceptions = s.upcomingExceptions(lang, p, now)
	v.Services = s.servicesNow(lang, p, now)
	return v
}

// statusText says "Open now, closes at 16:00" or "Closed now, opens on
// Monday at 09:00" (prefix.open / prefix.closed_next / prefix.closed).
func (s *Server) statusText(lang, prefix string, st reception.Status, now time.Time) string {
	switch {
	case st.Open:
		return s.tr.Tf(lang, prefix+".open", map[string]any{"When": s.whenText(lang, now, st.Until)})
	case !st.Next.IsZero():
		return s.tr.Tf(lang, prefix+".closed_next", map[string]any{"When": s.whenText(lang, now, st.Next)})
	}
	return s.tr.T(lang, prefix+".closed")
}

// whenText names a moment relative to now: "i dag kl. 16:00", "i morgon
// kl. 09:00", "på måndag kl. 09:00" or "den 13 juli kl. 09:00".
func (s *Server) whenText(lang string, now, t time.Time) string {
	now, t = now.In(reception.Stockholm), t.In(reception.Stockholm)
	args := map[string]any{"Time": t.Format("15:04")}
	days := dayNumber(t) - dayNumber(now)
	switch {
	case days == 0:
		return s.tr.Tf(lang, "reception.when.today", args)
	case days == 1 && t.Hour() == 0 && t.Minute() == 0:
		args["Time"] = "24:00"
		return s.tr.Tf(lang, "reception.when.today", args)
	case days == 1:
		return s.tr.Tf(lang, "reception.when.tomorrow", args)
	case days < 7:
		args["Day"] = s.tr.T(lang, "reception.day."+reception.DayKeys[t.Weekday()])
		return s.tr.Tf(lang, "reception.when.weekday", args)
	}
	args["Date"] = s.dateText(lang, t)
	return s.tr.Tf(lang, "reception.when.date", args)
}

func (s *Server) dateText(lang string, t time.Time) string {
	return s.tr.Tf(lang, "reception.date", map[string]any{"Day": t.Day(),
		"Month": s.tr.T(lang, "reception.month."+t.Format("1")), "Year": t.Year()})
}

// dayNumber counts calendar days, so a 23- or 25-hour day is still one.
func dayNumber(t time.Time) int {
	y, m, d := t.Date()
	return int(time.Date(y, m, d, 12, 0, 0, 0, time.UTC).Unix() / 86400)
}

// upcomingExceptions lists the exceptions that are not over, and the
// public holidays of the coming four weeks that close the reception.
func (s *Server) upcomingExceptions(lang string, p reception.Page, now time.Time) []exceptionView {
	today := now.In(reception.Stockholm).Format(time.DateOnly)
	var out []exceptionView
	for _, ex := range p.Exceptions {
		if ex.To < today {
			continue
		}
		from, _ := time.ParseInLocation(time.DateOnly, ex.From, reception.Stockholm)
		to, _ := time.ParseInLocation(time.DateOnly, ex.To, reception.Stockholm)
		when := s.dateText(lang, from)
		if ex.To != ex.From {
			when += " – " + s.dateText(lang, to)
		}
		what := s.tr.T(lang, "reception.closed")
		if !ex.Closed {
			what = reception.FormatIntervals(ex.Hours)
		}
		if ex.Note != "" {
			what += " (" + ex.Note + ")"
		}
		out = append(out, exceptionView{When: when, What: what})
	}
	if p.HolidaysOpen {
		return out
	}
	for i := range 28 {
		d := now.In(reception.Stockholm).AddDate(0, 0, i)
		if h, name := reception.IsHoliday(d); h && len(p.Hours[d.Weekday()]) > 0 && !coveredBy(p.Exceptions, d) {
			out = append(out, exceptionView{When: s.dateText(lang, d) + " (" + name + ")", What: s.tr.T(lang, "reception.closed")})
		}
	}
	return out
}

func coveredBy(exs []reception.Exception, d time.Time) bool {
	date := d.Format(time.DateOnly)
	for _, ex := range exs {
		if ex.From <= date && date <= ex.To {
			return true
		}
	}
	return false
}

// servicesNow says which services are offered and which are open now.
func (s *Server) servicesNow(lang string, p reception.Page, now time.Time) []serviceView {
	var out []serviceView
	if p.Services.Chat {
		st := p.ChatSchedule().At(now)
		out = append(out, serviceView{Name: s.tr.T(lang, "reception.service.chat"), Available: st.Open,
			State: s.statusText(lang, "reception.chat", st, now)})
	}
	if p.Services.Booking {
		out = append(out, serviceView{Name: s.tr.T(lang, "reception.service.booking"), Available: true,
			State: s.tr.T(lang, "reception.booking.state")})
	}
	if p.Services.Video {
		out = append(out, serviceView{Name: s.tr.T(lang, "reception.service.video"), Available: p.Services.Booking,
			State: s.tr.T(lang, "reception.video.state")})
	}
	return out
}
