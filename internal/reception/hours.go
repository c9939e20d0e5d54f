package reception

import (
	"fmt"
	"strings"
	"time"
	_ "time/tzdata" // Europe/Stockholm must work on machines without a zone database

	"github.com/rickar/cal/v2"
	"github.com/rickar/cal/v2/se"
)

// Interval is one opening interval of a day in local wall-clock minutes
// from midnight: Start inclusive, End exclusive. End may be 1440 (24:00).
type Interval struct {
	Start int `json:"start"`
	End   int `json:"end"`
}

// String returns the interval as "09:00–16:30".
func (iv Interval) String() string { return clock(iv.Start) + "–" + clock(iv.End) }

func clock(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }

// Week holds the intervals of each weekday, indexed by time.Weekday
// (Sunday is 0).
type Week [7][]Interval

// Exception replaces the weekly hours on the dates From to To inclusive
// ("2026-07-01"): closed, or open only in Hours.
type Exception struct {
	From   string     `json:"from"`
	To     string     `json:"to"`
	Closed bool       `json:"closed"`
	Hours  []Interval `json:"hours,omitempty"`
	Note   string     `json:"note,omitempty"`
}

// Schedule is when something is open: weekly hours, exceptions, and
// whether Swedish public holidays close it (they do unless HolidaysOpen).
type Schedule struct {
	Week         Week
	Exceptions   []Exception
	HolidaysOpen bool
}

// Status is a schedule's answer for one moment.
type Status struct {
	Open  bool
	Until time.Time // when open: when it closes
	Next  time.Time // when closed: the next opening, zero if none within a year
}

// Stockholm is the zone every opening hour is in.
var Stockholm = mustZone("Europe/Stockholm")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic("reception: " + err.Error())
	}
	return loc
}

var holidays = func() *cal.Calendar {
	c := &cal.Calendar{}
	c.AddHoliday(se.Holidays...)
	return c
}()

// IsHoliday reports whether the date of t (in Stockholm) is a Swedish
// public holiday or eve (midsommarafton, julafton, nyårsafton), and its name.
func IsHoliday(t time.Time) (bool, string) {
	t = t.In(Stockholm)
	actual, observed, h := holidays.IsHoliday(time.Date(t.Year(), t.Month(), t.Day(), 12, 0, 0, 0, Stockholm))
	if (actual || observed) && h != nil {
		return true, h.Name
	}
	return false, ""
}

// horizon bounds the search for the next opening.
const horizon = 400

// At returns whether the schedule is open at t and, when it is, when it
// closes; when it is not, when it next opens. It never fails; a schedule
// with no hours is closed with a zero Next.
func (s Schedule) At(t time.Time) Status {
	day := startOfDay(t)
	for i := -1; i <= horizon; i++ {
		d := day.AddDate(0, 0, i)
		for _, iv := range s.Day(d) {
			start, end := span(d, iv)
			if !t.Before(end) {
				continue
			}
			if !t.Before(start) {
				return Status{Open: true, Until: s.closing(end)}
			}
			return Status{Next: start}
		}
	}
	return Status{}
}

// closing follows intervals that start exactly when the previous one ends
// (23:00–24:00 then 00:00–01:00) to the real closing time.
func (s Schedule) closing(end time.Time) time.Time {
	for range 14 {
		moved := false
		d := startOfDay(end)
		for _, iv := range s.Day(d) {
			start, e := span(d, iv)
			if start.Equal(end) && e.After(end) {
				end, moved = e, true
				break
			}
		}
		if !moved {
			return end
		}
	}
	return end
}

// Day returns the intervals of the Stockholm date of d, in order:
// an exception's hours, nothing on a holiday, or the weekday's hours.
func (s Schedule) Day(d time.Time) []Interval {
	d = d.In(Stockholm)
	date := d.Format(time.DateOnly)
	for _, ex := range s.Exceptions {
		if ex.From <= date && date <= ex.To {
			if ex.Closed {
				return nil
			}
			return ex.Hours
		}
	}
	if h, _ := IsHoliday(d); h && !s.HolidaysOpen {
		return nil
	}
	return s.Week[d.Weekday()]
}

// span returns the instants of iv on the date of day. A wall-clock time
// that does not exist (02:30 on the last Sunday of March) moves forward
// with the clock; one that happens twice (the last Sunday of October)
// is taken the first time.
func span(day time.Time, iv Interval) (time.Time, time.Time) {
	y, m, d := day.Date()
	start := time.Date(y, m, d, iv.Start/60, iv.Start%60, 0, 0, Stockholm)
	end := time.Date(y, m, d, iv.End/60, iv.End%60, 0, 0, Stockholm) // 24:00 is the next midnight
	return start, end
}

func startOfDay(t time.Time) time.Time {
	t = t.In(Stockholm)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, Stockholm)
}

// FormatIntervals writes intervals as "09:00–12:00, 13:00–16:00".
func FormatIntervals(ivs []Interval) string {
	parts := make([]string, len(ivs))
	for i, iv := range ivs {
		parts[i] = iv.String()
	}
	return strings.Join(parts, ", ")
}
