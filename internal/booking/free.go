package booking

import (
	"bytes"
	"cmp"
	"slices"
	"time"
	_ "time/tzdata" // Europe/Stockholm must work on machines without a zone database

	"github.com/google/uuid"
	"github.com/rickar/cal/v2"
	"github.com/rickar/cal/v2/se"

	"github.com/storsthlm/mottagning/internal/apperr"
)

// Stockholm is the zone every working hour is in.
var Stockholm = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Stockholm")
	if err != nil {
		panic("booking: " + err.Error())
	}
	return loc
}()

var holidays = func() *cal.Calendar {
	c := &cal.Calendar{}
	c.AddHoliday(se.Holidays...)
	return c
}()

// IsHoliday reports whether the Stockholm date of t is a Swedish public
// holiday or eve (midsommarafton, julafton, nyårsafton).
func IsHoliday(t time.Time) bool {
	t = t.In(Stockholm)
	actual, observed, h := holidays.IsHoliday(time.Date(t.Year(), t.Month(), t.Day(), 12, 0, 0, 0, Stockholm))
	return (actual || observed) && h != nil
}

// Busy is time a counsellor is taken: an existing booking from its start
// to its end plus the buffer after it.
type Busy struct {
	CounsellorID uuid.UUID
	Start, End   time.Time
}

// Slot is a free time: the appointment from Start to End with a counsellor.
type Slot struct {
	CounsellorID uuid.UUID `json:"counsellor_id"`
	Start        time.Time `json:"start"`
	End          time.Time `json:"end"`
}

// Search is what a free-time computation looks for.
type Search struct {
	Now  time.Time
	Type AppointmentType
	// From and To narrow the result to starts in [From, To); zero means
	// from Now and up to each counsellor's horizon.
	From, To time.Time
	// Step is the distance between candidate starts within a working
	// interval; zero means DefaultStep.
	Step time.Duration
}

// day is one Stockholm date of a search, shared by every counsellor.
type day struct {
	midnight time.Time
	date     string
	holiday  bool
}

// FreeSlots returns the free times for s.Type, ordered by start and then
// counsellor: starts on the step grid of each working interval (weekly
// hours, or an exception's, none on a holiday unless the counsellor works
// holidays), the appointment within the interval, the start no sooner than
// the minimum notice and before the horizon, and the appointment plus its
// buffer after overlapping nothing in busy. It is pure: same input, same
// output.
func FreeSlots(s Search, avail []Availability, busy []Busy) []Slot {
	step := s.Step
	if step <= 0 {
		step = DefaultStep
	}
	dur, need := s.Type.Duration, s.Type.Duration+s.Type.BufferAfter
	if dur <= 0 {
		return nil
	}
	maxDays := 0
	for _, a := range avail {
		if s.Type.Offers(a.CounsellorID) {
			maxDays = max(maxDays, a.HorizonDays)
		}
	}
	if maxDays == 0 {
		return nil
	}
	first := startOfDay(s.Now)
	if s.From.After(s.Now) {
		first = startOfDay(s.From)
	}
	days := make([]day, 0, maxDays+2)
	for d := first; d.Before(s.Now.AddDate(0, 0, maxDays+1)); d = d.AddDate(0, 0, 1) {
		if !s.To.IsZero() && !d.Before(s.To) {
			break
		}
		days = append(days, day{midnight: d, date: d.Format(time.DateOnly), holiday: IsHoliday(d)})
	}
	// The loop works on Unix nanoseconds and sorts compact pointer-free
	// candidates; building time.Time values only for the result keeps a
	// 20-counsellor, 4-week search well under a millisecond.
	type cand struct {
		at   int64
		rank int32
	}
	offering := make([]int, 0, len(avail))
	for i, a := range avail {
		if s.Type.Offers(a.CounsellorID) {
			offering = append(offering, i)
		}
	}
	slices.SortStableFunc(offering, func(x, y int) int {
		return bytes.Compare(avail[x].CounsellorID[:], avail[y].CounsellorID[:])
	})
	byCounsellor := busyBy(busy)
	stepN, durN, needN := int64(step), int64(dur), int64(need)
	var cands []cand
	for rank, i := range offering {
		a := avail[i]
		e, l := bounds(s, a)
		earliest, latest := e.UnixNano(), l.UnixNano()
		taken := byCounsellor[a.CounsellorID]
		idx := 0
		for _, d := range days {
			for _, iv := range a.hours(d) {
				st, en := span(d.midnight, iv)
				start, end := st.UnixNano(), en.UnixNano()
				for t := start; t+durN <= end; t += stepN {
					if t < earliest {
						continue
					}
					if t >= latest {
						break
					}
					for idx < len(taken) && taken[idx].end <= t {
						idx++
					}
					if !overlapsN(taken[idx:], t, t+needN) {
						cands = append(cands, cand{at: t, rank: int32(rank)})
					}
				}
			}
		}
	}
	slices.SortFunc(cands, func(x, y cand) int {
		if c := cmp.Compare(x.at, y.at); c != 0 {
			return c
		}
		return cmp.Compare(x.rank, y.rank)
	})
	out := make([]Slot, len(cands))
	for i, c := range cands {
		st := time.Unix(0, c.at).In(Stockholm)
		out[i] = Slot{CounsellorID: avail[offering[c.rank]].CounsellorID, Start: st, End: st.Add(dur)}
	}
	return out
}

type span64 struct{ start, end int64 }

func busyBy(busy []Busy) map[uuid.UUID][]span64 {
	m := map[uuid.UUID][]span64{}
	for _, b := range busy {
		m[b.CounsellorID] = append(m[b.CounsellorID], span64{b.Start.UnixNano(), b.End.UnixNano()})
	}
	for _, bs := range m {
		slices.SortFunc(bs, func(x, y span64) int { return cmp.Compare(x.start, y.start) })
	}
	return m
}

// overlapsN reports whether [from, to) overlaps any of busy, which is
// sorted by start.
func overlapsN(busy []span64, from, to int64) bool {
	for _, b := range busy {
		if b.start >= to {
			return false
		}
		if b.end > from {
			return true
		}
	}
	return false
}

// CheckSlot says whether start with counsellor a is bookable for s.Type
// under the same rules as FreeSlots (except the step grid): nil, an
// Invalid error naming the rule broken, or a Conflict when the time is
// taken.
func CheckSlot(s Search, a Availability, busy []Busy, start time.Time) error {
	switch earliest, latest := bounds(Search{Now: s.Now}, a); {
	case !start.After(s.Now):
		return apperr.New(apperr.Invalid, "booking.error.past")
	case start.Before(earliest):
		return apperr.New(apperr.Invalid, "booking.error.too_soon")
	case !start.Before(latest):
		return apperr.New(apperr.Invalid, "booking.error.beyond_horizon")
	case !s.Type.Offers(a.CounsellorID):
		return apperr.New(apperr.Invalid, "booking.error.counsellor")
	}
	mid := startOfDay(start)
	d := day{midnight: mid, date: mid.Format(time.DateOnly), holiday: IsHoliday(mid)}
	end := start.Add(s.Type.Duration)
	within := false
	for _, iv := range a.hours(d) {
		from, to := span(mid, iv)
		if !start.Before(from) && !end.After(to) {
			within = true
			break
		}
	}
	if !within {
		return apperr.New(apperr.Invalid, "booking.error.outside_hours")
	}
	var mine []Busy
	for _, b := range busy {
		if b.CounsellorID == a.CounsellorID {
			mine = append(mine, b)
		}
	}
	if overlaps(mine, start, start.Add(s.Type.Duration+s.Type.BufferAfter)) {
		return apperr.New(apperr.Conflict, "booking.error.taken")
	}
	return nil
}

// Nearest returns up to n slots with distinct starts closest to t, in
// start order: the alternatives offered when t was taken.
func Nearest(slots []Slot, t time.Time, n int) []Slot {
	seen := map[int64]bool{}
	var uniq []Slot
	for _, s := range slots {
		if k := s.Start.Unix(); !seen[k] {
			seen[k] = true
			uniq = append(uniq, s)
		}
	}
	dist := func(s Slot) time.Duration {
		d := s.Start.Sub(t)
		if d < 0 {
			return -d
		}
		return d
	}
	slices.SortStableFunc(uniq, func(x, y Slot) int { return cmp.Compare(dist(x), dist(y)) })
	uniq = uniq[:min(n, len(uniq))]
	slices.SortFunc(uniq, func(x, y Slot) int { return x.Start.Compare(y.Start) })
	return uniq
}

// bounds returns the earliest start a's minimum notice allows and the
// first start beyond a's horizon, narrowed by s.From and s.To.
func bounds(s Search, a Availability) (time.Time, time.Time) {
	earliest := s.Now.Add(a.MinNotice)
	if !earliest.After(s.Now) {
		earliest = s.Now.Add(time.Nanosecond)
	}
	latest := s.Now.In(Stockholm).AddDate(0, 0, a.HorizonDays)
	if s.From.After(earliest) {
		earliest = s.From
	}
	if !s.To.IsZero() && s.To.Before(latest) {
		latest = s.To
	}
	return earliest, latest
}

// hours returns a's working intervals on d: an exception's, none on a
// holiday unless a works holidays, or the weekday's.
func (a Availability) hours(d day) []Interval {
	for _, ex := range a.Exceptions {
		if ex.From <= d.date && d.date <= ex.To {
			if ex.Closed {
				return nil
			}
			return ex.Hours
		}
	}
	if d.holiday && !a.HolidaysOpen {
		return nil
	}
	return a.Week[d.midnight.Weekday()]
}

// overlaps reports whether [from, to) overlaps any of busy, which is
// sorted by start.
func overlaps(busy []Busy, from, to time.Time) bool {
	for _, b := range busy {
		if !b.Start.Before(to) {
			return false
		}
		if b.End.After(from) {
			return true
		}
	}
	return false
}

// span returns the instants of iv on the date of midnight. A wall-clock
// time that does not exist (02:30 on the last Sunday of March) moves
// forward with the clock; one that happens twice (the last Sunday of
// October) is taken the first time.
func span(midnight time.Time, iv Interval) (time.Time, time.Time) {
	y, m, d := midnight.Date()
	return time.Date(y, m, d, iv.Start/60, iv.Start%60, 0, 0, Stockholm),
		time.Date(y, m, d, iv.End/60, iv.End%60, 0, 0, Stockholm)
}

func startOfDay(t time.Time) time.Time {
	t = t.In(Stockholm)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, Stockholm)
}
