package httpapi

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/storsthlm/mottagning/internal/audit"
	"github.com/storsthlm/mottagning/internal/retention"
	"github.com/storsthlm/mottagning/internal/tenant"
)

// insightRecord writes an access-log entry by a staff member of k.
func insightRecord(t *testing.T, e env, k tenant.Kommun, staff uuid.UUID, role string, action audit.Action, subject string, at time.Time) {
	t.Helper()
	ctx := tenant.WithActing(e.system, tenant.Acting{Actor: tenant.ActorStaff, KommunID: k.ID, AccountID: staff, Role: role})
	if err := e.db.Record(ctx, audit.Entry{At: at, KommunID: k.ID, ActorID: staff, ActorRole: role, Action: action, Subject: subject}); err != nil {
		t.Fatal(err)
	}
}

func TestP14_YouthSeesAccessLog(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	username := "insyn" + randomSuffix(t)
	youth, _ := pfYouth(t, e, username)
	nacka, err := e.db.KommunBySlug(e.system, "nacka")
	if err != nil {
		t.Fatal(err)
	}
	email := "kim-" + randomSuffix(t) + "@nacka.example"
	staffID := pfStaff(t, e, email) // display name "Test <email>"
	insightRecord(t, e, nacka, staffID, "counsellor", audit.BookingRead, username, time.Now())
	insightRecord(t, e, nacka, staffID, "counsellor", audit.ConversationRead, "someoneelse", time.Now())

	res, body := youth.get(t, "/min-profil/insyn")
	if res.StatusCode != 200 {
		t.Fatalf("GET /min-profil/insyn = %d; want 200", res.StatusCode)
	}
	for _, want := range []string{"Vem har sett mina uppgifter?", nacka.Name, "Kurator", "Tittade på en bokning"} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	for _, never := range []string{email, "Test ", staffID.String(), "Läste en chatt"} {
		if strings.Contains(body, never) {
			t.Errorf("the page shows %q: the staff member's identity or another user's entry", never)
		}
	}
	res, body = youth.get(t, "/api/v1/account/access-log")
	if res.StatusCode != 200 || !strings.Contains(body, `"role":"counsellor"`) || strings.Contains(body, email) {
		t.Errorf("GET /api/v1/account/access-log = %d %s", res.StatusCode, body)
	}
	if res, _ := newPFClient(e).get(t, "/min-profil/insyn"); res.StatusCode == 200 {
		t.Error("the page is shown to someone not signed in")
	}
}

// lastMonth is the month before the current one, as YYYY-MM.
func insightLastMonth() string { return lastEndedMonth(time.Now()) }

func TestAccessLogFollowUpWithSample(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin, adminID := jobsMember(t, e, "nacka", "reception_admin")
	nacka, _ := e.db.KommunBySlug(e.system, "nacka")
	solna, _ := e.db.KommunBySlug(e.system, "solna")
	m, _ := time.ParseInLocation("2006-01", insightLastMonth(), retention.Stockholm)
	for i := range 25 {
		insightRecord(t, e, nacka, adminID, "reception_admin", audit.BookingRead, "ung"+string(rune('a'+i)), m.Add(time.Duration(i)*time.Hour))
	}
	solnaStaff := pfStaff(t, e, "s-"+randomSuffix(t)+"@solna.example")
	insightRecord(t, e, solna, solnaStaff, "counsellor", audit.BookingRead, "solnaung", m.Add(time.Hour))

	res, body := admin.get(t, "/personal/nacka/logg?username=unga")
	if res.StatusCode != 200 || !strings.Contains(body, "unga") || strings.Contains(body, "ungb") {
		t.Fatalf("filtered log = %d; want only the entries about unga", res.StatusCode)
	}
	if _, body := admin.get(t, "/personal/nacka/logg"); strings.Contains(body, "solnaung") {
		t.Fatal("Nacka's log shows an entry of Solna")
	}

	res, _ = admin.post(t, "/personal/nacka/logg/stickprov", url.Values{"month": {insightLastMonth()}})
	if res.StatusCode != 303 {
		t.Fatalf("draw sample = %d; want 303", res.StatusCode)
	}
	where := res.Header.Get("Location")
	if n := pfCount(t, pfAdminDB(t, e), `SELECT count(*) FROM app.access_log_sample_item WHERE kommun_id = $1`, nacka.ID); n != retention.SampleSize {
		t.Fatalf("sample holds %d entries; want %d", n, retention.SampleSize)
	}
	res, body = admin.get(t, where)
	if res.StatusCode != 200 || !strings.Contains(body, "Åtgärd 1") {
		t.Fatalf("sample page = %d", res.StatusCode)
	}
	res, _ = admin.post(t, where, url.Values{"outcome_1": {"ok"}, "outcome_2": {"follow_up"}, "note_2": {"Fråga varför"}})
	if res.StatusCode != 303 {
		t.Fatalf("save review = %d; want 303", res.StatusCode)
	}
	db := pfAdminDB(t, e)
	if n := pfCount(t, db, `SELECT count(*) FROM app.access_log_sample_item WHERE outcome IS NOT NULL`); n != 2 {
		t.Errorf("%d items reviewed; want 2", n)
	}
	if n := pfCount(t, db, `SELECT count(*) FROM app.access_log WHERE action = 'access_log.sample' AND actor_id = $1`, adminID); n != 1 {
		t.Error("drawing the sample is not in the access log")
	}
}

func TestAccessLogBadInputRefusedClearly(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin, _ := jobsMember(t, e, "nacka", "reception_admin")
	db := pfAdminDB(t, e)

	res, body := admin.get(t, "/personal/nacka/logg?from=2026-13-45&to=igår")
	if res.StatusCode != 400 || !strings.Contains(body, pfHTMLText(pfMsg(e, "error.accesslog.date", nil))) {
		t.Errorf("malformed dates = %d; want 400 with %q", res.StatusCode, pfMsg(e, "error.accesslog.date", nil))
	}
	res, body = admin.get(t, "/personal/nacka/logg?from=2026-03-10&to=2026-03-01")
	if res.StatusCode != 400 || !strings.Contains(body, pfHTMLText(pfMsg(e, "error.accesslog.range", nil))) {
		t.Errorf("reversed range = %d; want 400", res.StatusCode)
	}
	future := time.Now().AddDate(0, 2, 0).Format("2006-01")
	for month, key := range map[string]string{future: "error.accesslog.month_future", time.Now().Format("2006-01"): "error.accesslog.month_future",
		"mars": "error.accesslog.month", "": "error.accesslog.month"} {
		res, body := admin.post(t, "/personal/nacka/logg/stickprov", url.Values{"month": {month}})
		if res.StatusCode != 400 || !strings.Contains(body, pfHTMLText(pfMsg(e, key, nil))) {
			t.Errorf("sample for %q = %d; want 400 with %q", month, res.StatusCode, pfMsg(e, key, nil))
		}
	}
	if n := pfCount(t, db, `SELECT count(*) FROM app.access_log_sample`); n != 0 {
		t.Errorf("%d samples written by refused requests", n)
	}
	res, _ = admin.post(t, "/personal/nacka/logg/stickprov", url.Values{"month": {insightLastMonth()}})
	if res.StatusCode != 303 {
		t.Fatalf("draw sample = %d", res.StatusCode)
	}
	res, body = admin.post(t, "/personal/nacka/logg/stickprov", url.Values{"month": {insightLastMonth()}})
	if res.StatusCode != 400 || !strings.Contains(body, pfHTMLText(pfMsg(e, "error.accesslog.sample_exists", nil))) {
		t.Errorf("second sample of a month = %d; want 400 saying it exists", res.StatusCode)
	}
	if res, _ := admin.get(t, "/personal/nacka/logg/stickprov/inte-ett-id"); res.StatusCode != 404 {
		t.Errorf("malformed sample id = %d; want 404", res.StatusCode)
	}
	counsellor := pfCounsellor(t, e)
	if res, _ := counsellor.get(t, "/personal/nacka/logg"); res.StatusCode != 404 {
		t.Errorf("a counsellor reads the log: %d; want 404", res.StatusCode)
	}
	other, _ := jobsMember(t, e, "solna", "reception_admin")
	if res, _ := other.get(t, "/personal/nacka/logg"); res.StatusCode != 404 {
		t.Errorf("Solna's admin reads Nacka's log: %d; want 404", res.StatusCode)
	}
}

func TestAccessLogReviewBadInputWritesNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin, adminID := jobsMember(t, e, "nacka", "reception_admin")
	nacka, _ := e.db.KommunBySlug(e.system, "nacka")
	m, _ := time.ParseInLocation("2006-01", insightLastMonth(), retention.Stockholm)
	insightRecord(t, e, nacka, adminID, "reception_admin", audit.BookingRead, "ungx", m.Add(time.Hour))
	insightRecord(t, e, nacka, adminID, "reception_admin", audit.BookingRead, "ungy", m.Add(2*time.Hour))
	res, _ := admin.post(t, "/personal/nacka/logg/stickprov", url.Values{"month": {insightLastMonth()}})
	where := res.Header.Get("Location")
	res, body := admin.post(t, where, url.Values{"outcome_1": {"ok"}, "outcome_2": {"kanske"}})
	if res.StatusCode != 400 || !strings.Contains(body, pfHTMLText(pfMsg(e, "error.accesslog.outcome", nil))) {
		t.Errorf("bad outcome = %d; want 400 with %q", res.StatusCode, pfMsg(e, "error.accesslog.outcome", nil))
	}
	res, _ = admin.post(t, where, url.Values{"note_1": {strings.Repeat("x", 1001)}, "outcome_1": {"ok"}})
	if res.StatusCode != 400 {
		t.Errorf("too long note = %d; want 400", res.StatusCode)
	}
	if n := pfCount(t, pfAdminDB(t, e), `SELECT count(*) FROM app.access_log_sample_item WHERE outcome IS NOT NULL`); n != 0 {
		t.Errorf("%d items saved by refused reviews; want none (all or nothing)", n)
	}
}
