package reception

import (
	"strings"
	"testing"
	"time"
)

func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, Stockholm)
	if err != nil {
		panic(err)
	}
	return t
}

func iv(s string) []Interval {
	ivs, ok := ParseIntervals(s)
	if !ok {
		panic(s)
	}
	return ivs
}

// weekdays is 09:00-16:00 Monday to Friday, 10:00-14:00 on Sunday (so the
// daylight-saving Sundays have hours), with a night shift on Saturday.
func weekdays() Schedule {
	var w Week
	for _, d := range []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday} {
		w[d] = iv("09:00-16:00")
	}
	w[time.Sunday] = iv("01:00-04:00, 10:00-14:00")
	w[time.Saturday] = iv("20:00-24:00")
	return Schedule{Week: w}
}

func TestReceptionOpeningHours(t *testing.T) {
	t.Parallel()
	s := weekdays()
	summer := s
	summer.Exceptions = []Exception{{From: "2026-07-06", To: "2026-07-12", Closed: true}}
	special := s
	special.Exceptions = []Exception{{From: "2026-06-19", To: "2026-06-19", Hours: iv("10:00-12:00")}}
	joined := s
	joined.Week[time.Sunday] = iv("00:00-02:00")
	cases := []struct {
		name       string
		s          Schedule
		now        string
		open       bool
		until      string // when open
		next       string // when closed
		nextOffset string // expected UTC offset of next, if checked
	}{
		{"ordinary Monday morning", s, "2026-11-23 10:00", true, "2026-11-23 16:00", "", ""},
		{"Monday before opening", s, "2026-11-23 08:59", false, "", "2026-11-23 09:00", ""},
		{"closing time is closed", s, "2026-11-23 16:00", false, "", "2026-11-24 09:00", ""},
		{"Friday evening to Saturday night", s, "2026-11-27 17:00", false, "", "2026-11-28 20:00", ""},
		{"interval ending at midnight closes at midnight", s, "2026-11-28 23:30", true, "2026-11-29 00:00", "", ""},
		{"interval ending at midnight runs on into the next day's 00:00", joined, "2026-11-28 23:30", true, "2026-11-29 02:00", "", ""},
		// Last Sunday of March 2026 is the 29th: 02:00 jumps to 03:00.
		{"spring forward: open across the missing hour", s, "2026-03-29 01:30", true, "2026-03-29 04:00", "", ""},
		{"spring forward: 01:00-04:00 lasts two real hours", s, "2026-03-29 03:59", true, "2026-03-29 04:00", "", "+02:00"},
		{"spring forward: Saturday night sees Sunday 01:00 in winter time", s, "2026-03-28 19:00", false, "", "2026-03-28 20:00", "+01:00"},
		{"after the night shift, summer time for the morning", s, "2026-03-29 05:00", false, "", "2026-03-29 10:00", "+02:00"},
		// Last Sunday of October 2026 is the 25th: 03:00 goes back to 02:00.
		{"fall back: next opening Monday in winter time", s, "2026-10-25 15:00", false, "", "2026-10-26 09:00", "+01:00"},
		{"fall back: open before the repeated hour", s, "2026-10-25 01:30", true, "2026-10-25 04:00", "", ""},
		{"midsommarafton is closed", s, "2026-06-19 10:00", false, "", "2026-06-21 01:00", ""},
		{"special hours beat the holiday", special, "2026-06-19 11:00", true, "2026-06-19 12:00", "", ""},
		{"julafton, juldagen, annandag jul closed", s, "2026-12-24 10:00", false, "", "2026-12-27 01:00", ""},
		{"nyårsdagen closed", s, "2026-12-31 23:00", false, "", "2027-01-02 20:00", ""},
		{"a closed week", summer, "2026-07-06 10:00", false, "", "2026-07-13 09:00", ""},
		{"a closed week, from its Friday", summer, "2026-07-10 10:00", false, "", "2026-07-13 09:00", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got := c.s.At(at(c.now))
			if got.Open != c.open {
				t.Fatalf("open = %v, want %v (%+v)", got.Open, c.open, got)
			}
			if c.open && !got.Until.Equal(at(c.until)) {
				t.Errorf("until = %v, want %s", got.Until, c.until)
			}
			if !c.open && !got.Next.Equal(at(c.next)) {
				t.Errorf("next = %v, want %s", got.Next, c.next)
			}
			if c.nextOffset != "" {
				tm := got.Next
				if c.open {
					tm = got.Until
				}
				if off := tm.In(Stockholm).Format("-07:00"); off != c.nextOffset {
					t.Errorf("offset = %s, want %s", off, c.nextOffset)
				}
			}
		})
	}
}

func TestReceptionSpringForwardIntervalIsShorter(t *testing.T) {
	t.Parallel()
	start, end := span(at("2026-03-29 00:00"), Interval{Start: 60, End: 240})
	if d := end.Sub(start); d != 2*time.Hour {
		t.Fatalf("01:00-04:00 on the spring Sunday lasts %v, want 2h", d)
	}
	start, end = span(at("2026-10-25 00:00"), Interval{Start: 60, End: 240})
	if d := end.Sub(start); d != 4*time.Hour {
		t.Fatalf("01:00-04:00 on the autumn Sunday lasts %v, want 4h", d)
	}
	// An interval starting inside the missing hour opens at 03:00 summer time.
	s, _ := span(at("2026-03-29 00:00"), Interval{Start: 150, End: 240})
	if got := s.In(Stockholm).Format("15:04 -07:00"); got != "03:30 +02:00" {
		t.Fatalf("02:30 on the spring Sunday is %s", got)
	}
}

func TestReceptionNoHoursNeverOpens(t *testing.T) {
	t.Parallel()
	if st := (Schedule{}).At(at("2026-05-05 12:00")); st.Open || !st.Next.IsZero() {
		t.Fatalf("empty schedule: %+v", st)
	}
}

func TestReceptionHolidays(t *testing.T) {
	t.Parallel()
	for _, d := range []string{"2026-01-01", "2026-01-06", "2026-04-03", "2026-04-06", "2026-05-01", "2026-05-14",
		"2026-06-06", "2026-06-19", "2026-06-20", "2026-10-31", "2026-12-24", "2026-12-25", "2026-12-26", "2026-12-31"} {
		if h, _ := IsHoliday(at(d + " 12:00")); !h {
			t.Errorf("%s should be a holiday", d)
		}
	}
	if h, name := IsHoliday(at("2026-06-18 12:00")); h {
		t.Errorf("2026-06-18 is not a holiday (%s)", name)
	}
	open := weekdays()
	open.HolidaysOpen = true
	if !open.At(at("2026-12-25 10:00")).Open == false {
		t.Log("Christmas Day is a Friday in 2026")
	}
	if !open.At(at("2026-12-25 10:00")).Open {
		t.Fatal("a reception open on holidays should be open on Christmas Day (a Friday)")
	}
}

func TestReceptionParseIntervals(t *testing.T) {
	t.Parallel()
	good := map[string]string{"9-12": "09:00–12:00", "09:00–12:00, 13:00-16:30": "09:00–12:00, 13:00–16:30",
		"": "", "stängt": "", "20:00-24:00": "20:00–24:00", "8.30-9.15": "08:30–09:15"}
	for in, want := range good {
		ivs, ok := ParseIntervals(in)
		if !ok || FormatIntervals(ivs) != want {
			t.Errorf("%q: %q %v, want %q", in, FormatIntervals(ivs), ok, want)
		}
	}
	for _, bad := range []string{"9", "9-", "25:00-26:00", "09:60-10:00", "nio-tolv", "24:30-24:45", "9-12;13-14"} {
		if _, ok := ParseIntervals(bad); ok {
			t.Errorf("%q should not parse", bad)
		}
	}
}

func TestReceptionExceptionsRoundTrip(t *testing.T) {
	t.Parallel()
	in := "2026-07-06 - 2026-08-02 stängt # sommarstängt\n2026-12-23 10:00-14:00\n"
	exs, line := ParseExceptions(in)
	if line != 0 || len(exs) != 2 || !exs[0].Closed || exs[0].To != "2026-08-02" || exs[0].Note != "sommarstängt" || exs[1].Hours[0].End != 840 {
		t.Fatalf("%+v line %d", exs, line)
	}
	if out := FormatExceptions(exs); out != in {
		t.Fatalf("round trip: %q", out)
	}
	if _, line := ParseExceptions("2026-07-06 stängt\nimorgon stängt"); line != 2 {
		t.Fatalf("bad line reported as %d", line)
	}
	if !strings.Contains(FormatExceptions(nil), "") {
		t.Fatal()
	}
}
