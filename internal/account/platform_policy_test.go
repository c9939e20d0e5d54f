package account

import (
	"strings"
	"testing"
	"time"

	"github.com/storsthlm/mottagning/internal/apperr"
)

func pfFields(err error) map[string]string {
	out := map[string]string{}
	if e := apperr.As(err); e != nil {
		for _, f := range e.Fields {
			out[f.Field] = f.Key
		}
	}
	return out
}

func TestP29_EffectiveDateNeedsThirtyDaysUnlessUrgent(t *testing.T) {
	t.Parallel()
	// 23:30 in Stockholm on 1 March: "today" is 1 March there, whatever UTC says.
	now := time.Date(2026, 3, 1, 23, 30, 0, 0, Stockholm)
	in := PolicyInput{Version: "2026-2", SummarySV: "s", SummaryEN: "s", TextSV: "t", TextEN: "t"}
	for _, c := range []struct {
		date    string
		urgent  bool
		reason  string
		wantKey string
	}{
		{"2026-03-31", false, "", ""},
		{"2026-03-30", false, "", "error.effective_date.too_soon"},
		{"2026-03-01", false, "", "error.effective_date.past"},
		{"2026-02-01", true, "Lag", "error.effective_date.past"},
		{"2026-03-01", true, "Lag", "error.effective_date.past"},
		{"2026-03-02", true, "Lag", ""},
		{"2026-03-02", true, " ", "error.urgent_reason.required"},
		{"2028-03-02", false, "", "error.effective_date.too_far"},
		{"31/3/2026", false, "", "error.effective_date.invalid"},
		{"", false, "", "error.effective_date.required"},
	} {
		in.EffectiveDate, in.Urgent, in.UrgentReason = c.date, c.urgent, c.reason
		v, err := NewPolicyVersion(in, now)
		got := pfFields(err)
		key := got["effective_date"]
		if key == "" {
			key = got["urgent_reason"]
		}
		if key != c.wantKey {
			t.Errorf("%s urgent=%v: %q; want %q", c.date, c.urgent, key, c.wantKey)
		}
		if c.wantKey == "" {
			want, _ := time.ParseInLocation(time.DateOnly, c.date, Stockholm)
			if !v.EffectiveAt.Equal(want) {
				t.Errorf("%s: effective %v; want midnight in Stockholm", c.date, v.EffectiveAt)
			}
			v.PublishedAt = now
			if v.Urgent() != c.urgent {
				t.Errorf("%s: Urgent() = %v", c.date, v.Urgent())
			}
		}
	}
	if got := DefaultEffectiveDate(now); got != "2026-03-31" {
		t.Errorf("default date %s; want 30 days ahead", got)
	}
}

func TestPolicyVersionChecksEveryField(t *testing.T) {
	t.Parallel()
	now := time.Now()
	_, err := NewPolicyVersion(PolicyInput{Version: "<b>", SummarySV: strings.Repeat("x", PolicySummaryMax+1), TextEN: "ok",
		EffectiveDate: DefaultEffectiveDate(now)}, now)
	got := pfFields(err)
	for field, key := range map[string]string{"version": "error.version.invalid", "summary_sv": "error.text.too_long",
		"summary_en": "error.summary_en.required", "text_sv": "error.text_sv.required"} {
		if got[field] != key {
			t.Errorf("%s: %q; want %q", field, got[field], key)
		}
	}
	if _, ok := got["text_en"]; ok {
		t.Error("a valid field was reported")
	}
}

func TestPolicyTimelinePicksCurrentAndComing(t *testing.T) {
	t.Parallel()
	now := time.Now()
	day := 24 * time.Hour
	tl := PolicyTimeline{{Version: "a", EffectiveAt: now.Add(-10 * day)}, {Version: "b", EffectiveAt: now.Add(-day)},
		{Version: "d", EffectiveAt: now.Add(20 * day)}, {Version: "c", EffectiveAt: now.Add(10 * day)}}
	if cur := tl.Current(now); cur == nil || cur.Version != "b" {
		t.Errorf("current %v; want b", cur)
	}
	if next := tl.Coming(now); next == nil || next.Version != "c" {
		t.Errorf("coming %v; want c", next)
	}
	if cur := tl.Current(now.Add(15 * day)); cur == nil || cur.Version != "c" {
		t.Errorf("current after c applies %v; want c", cur)
	}
	if (PolicyTimeline{}).Current(now) != nil || (PolicyTimeline{}).Coming(now) != nil {
		t.Error("an empty timeline has versions")
	}
}

func TestRequestRules(t *testing.T) {
	t.Parallel()
	if k, r, err := NewRequest(" objection ", "  Skäl\r\nrad två  "); err != nil || k != KindObjection || r != "Skäl\nrad två" {
		t.Errorf("NewRequest: %q %q %v", k, r, err)
	}
	for _, c := range []struct{ kind, reason, field, key string }{
		{"objection", "", "reason", "error.reason.required"},
		{"objection", strings.Repeat("ö", ReasonMax+1), "reason", "error.text.too_long"},
		{"objection", "nul\x00", "reason", "error.text.invalid"},
		{"access", "x", "kind", "error.request.kind"},
	} {
		_, _, err := NewRequest(c.kind, c.reason)
		if got := pfFields(err)[c.field]; got != c.key {
			t.Errorf("%q/%q: %q; want %q", c.kind, c.reason, got, c.key)
		}
	}
	if _, _, err := NewRequest("restriction", strings.Repeat("ö", ReasonMax)); err != nil {
		t.Errorf("%d characters refused: %v", ReasonMax, err)
	}
	if _, err := NewRequestUpdate("granted", ""); err != nil {
		t.Errorf("an update without an answer: %v", err)
	}
	if _, err := NewRequestUpdate("deleted", ""); pfFields(err)["status"] != "error.request.status" {
		t.Errorf("an unknown status: %v", err)
	}
	if !StatusReceived.Open() || !StatusInProgress.Open() || StatusGranted.Open() || StatusClosed.Open() {
		t.Error("Open() is wrong")
	}
}
