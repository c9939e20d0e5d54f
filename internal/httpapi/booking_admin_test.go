package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/storsthlm/mottagning/internal/booking"
	"github.com/storsthlm/mottagning/internal/postgres"
	"github.com/storsthlm/mottagning/internal/tenant"
)

// nackaRow reads one row of Nacka's data, acting as the system for Nacka.
func (s bookingSetup) nackaRow(t *testing.T, sql string, dest ...any) {
	t.Helper()
	ctx := tenant.WithActing(context.Background(), tenant.System().ForKommun(s.nacka.ID))
	if err := s.se.db.InTx(ctx, func(ctx context.Context, q postgres.Querier) error {
		return q.QueryRow(ctx, sql).Scan(dest...)
	}); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func (s bookingSetup) nackaText(t *testing.T, sql string) string {
	t.Helper()
	var v string
	s.nackaRow(t, sql, &v)
	return v
}

// refused reports whether a status is the refusal of a staff member
// without the right (403, or 404 where the route hides what exists).
func refused(status int) bool { return status == http.StatusForbidden || status == http.StatusNotFound }

// adminSetup adds a reception admin and a second counsellor to Nacka and
// a counsellor to Solna.
type adminSetup struct {
	bookingSetup
	admin, colleague, solnaStaff uuid.UUID
}

func newAdminSetup(t *testing.T) adminSetup {
	t.Helper()
	s := adminSetup{bookingSetup: newBookingSetup(t)}
	s.admin = s.se.addStaff(t, "admin@nacka.example", "nacka", "reception_admin")
	s.colleague = s.se.addStaff(t, "kollega@nacka.example", "nacka", "counsellor")
	s.solnaStaff = s.se.addStaff(t, "kurator@solna.example", "solna", "counsellor")
	return s
}

func (s adminSetup) signIn(t *testing.T, email string) *staffClient {
	t.Helper()
	c := s.se.client()
	c.signInFully(t, email)
	return c
}

func typeForm(name, mode, duration, buffer string, counsellors ...string) url.Values {
	return url.Values{"name": {name}, "mode": {mode}, "duration": {duration}, "buffer": {buffer}, "counsellor": counsellors}
}

// A reception admin lists, creates, edits, switches off and deletes
// appointment types through the pages; bad input and other kommuner's
// staff or types are refused with nothing written; a counsellor only reads.
func TestBookingAdminTypesPages(t *testing.T) {
	t.Parallel()
	s := newAdminSetup(t)
	a := s.signIn(t, "admin@nacka.example")
	types := func() string {
		return s.nackaText(t, `SELECT count(*)::text || ':' || string_agg(name, ',' ORDER BY name) FROM app.booking_type`)
	}

	res, body := a.get(t, "/personal/nacka/bokning/typer")
	if res.StatusCode != 200 || !strings.Contains(body, "Besök") || !strings.Contains(body, `href="/personal/nacka/bokning/typer/ny"`) ||
		!strings.Contains(body, `aria-current="page"`) {
		t.Fatalf("types page: %d %s", res.StatusCode, body)
	}
	if _, body := a.get(t, "/personal/nacka/bokning/typer?lang=en"); !strings.Contains(body, "Add an appointment type") || !strings.Contains(body, "Switch off") {
		t.Fatalf("English types page: %s", body)
	}
	a.get(t, "/personal/nacka/bokning/typer?lang=sv") // the choice of language sticks
	if res, body := a.get(t, "/personal/nacka/bokning/typer/ny"); res.StatusCode != 200 || !strings.Contains(body, `name="counsellor" value="`+s.counselor.String()+`"`) {
		t.Fatalf("new type form: %d %s", res.StatusCode, body)
	}

	before := types()
	bad := []struct {
		name  string
		form  url.Values
		field string
		text  string
	}{
		{"no name", typeForm(" ", "visit", "45", "0"), "name", "Skriv ett namn"},
		{"unknown mode", typeForm("Samtal", "brevduva", "45", "0"), "mode", "Välj om besöket"},
		{"duration not a number", typeForm("Samtal", "visit", "fyrtiofem", "0"), "duration", "mellan 5 minuter"},
		{"buffer too long", typeForm("Samtal", "visit", "45", "500"), "buffer", "mellan 0 och 120"},
		{"counsellor of another kommun", typeForm("Samtal", "visit", "45", "0", s.solnaStaff.String()), "counsellors", "mottagningens kuratorer"},
		{"unknown counsellor", typeForm("Samtal", "visit", "45", "0", uuid.NewString()), "counsellors", "mottagningens kuratorer"},
		{"malformed counsellor", typeForm("Samtal", "visit", "45", "0", "inte-ett-id"), "counsellors", "mottagningens kuratorer"},
	}
	for _, tc := range bad {
		res, body := a.post(t, "/personal/nacka/bokning/typer", tc.form)
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(staffFieldError(body, tc.field), tc.text) || staffNotice(body) == "" {
			t.Errorf("%s: %d %q %q", tc.name, res.StatusCode, staffFieldError(body, tc.field), staffNotice(body))
		}
	}
	if got := types(); got != before {
		t.Fatalf("refused forms wrote types: %s", got)
	}

	f := typeForm("Telefonsamtal", "phone", "30", "5", s.counselor.String(), s.colleague.String())
	f.Set("questions", "Hur mår du?\r\n\r\nVill du säga något mer?")
	if res, body := a.post(t, "/personal/nacka/bokning/typer", f); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d %s", res.StatusCode, body)
	}
	var id uuid.UUID
	var online, active bool
	var qs, mode string
	var n int
	s.nackaRow(t, `SELECT id, online, active, questions::text, mode, (SELECT count(*) FROM app.booking_type_counsellor c WHERE c.type_id = t.id)
		FROM app.booking_type t WHERE name = 'Telefonsamtal'`, &id, &online, &active, &qs, &mode, &n)
	if online || !active || qs != `["Hur mår du?", "Vill du säga något mer?"]` || mode != "phone" || n != 2 {
		t.Fatalf("created: online %v active %v questions %s mode %s counsellors %d", online, active, qs, mode, n)
	}
	edit := "/personal/nacka/bokning/typer/" + id.String()
	if res, body := a.get(t, edit); res.StatusCode != 200 || !strings.Contains(body, `value="Telefonsamtal"`) || !strings.Contains(body, "Vill du säga något mer?") {
		t.Fatalf("edit form: %d %s", res.StatusCode, body)
	}
	f = typeForm("Telefonsamtal kväll", "phone", "20", "0", s.colleague.String())
	f.Set("online", "on")
	if res, body := a.post(t, edit, f); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit: %d %s", res.StatusCode, body)
	}
	s.nackaRow(t, `SELECT online, duration_min FROM app.booking_type WHERE id = '`+id.String()+`'`, &online, &n)
	if !online || n != 20 {
		t.Fatalf("after edit: online %v duration %d", online, n)
	}
	// Another kommun's type and malformed ids: refused, nothing written.
	solnaCtx := tenant.WithActing(s.se.system, tenant.Acting{Actor: tenant.ActorStaff, KommunID: s.se.kommun(t, "solna").ID, AccountID: s.solnaStaff, Role: "reception_admin"})
	solnaType, err := s.se.db.BookingStore().SaveType(solnaCtx, booking.AppointmentType{Name: "Solnabesök", Mode: booking.ModeVisit, Duration: 30 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	before = types()
	for path, status := range map[string]int{
		"/personal/nacka/bokning/typer/" + solnaType.String():              http.StatusNotFound,
		"/personal/nacka/bokning/typer/inte-ett-id":                        http.StatusBadRequest,
		"/personal/nacka/bokning/typer/" + solnaType.String() + "/ta-bort": http.StatusNotFound,
		"/personal/nacka/bokning/typer/inte-ett-id/aktiv":                  http.StatusBadRequest,
	} {
		if res, body := a.post(t, path, typeForm("Kapad", "visit", "45", "0")); res.StatusCode != status ||
			!strings.Contains(body, "Länken verkar vara fel") && !strings.Contains(body, "typen av besök") {
			t.Errorf("%s: %d %s", path, res.StatusCode, body)
		}
	}
	if got := types(); got != before {
		t.Fatalf("refused posts changed types: %s", got)
	}

	// A booked type cannot be deleted, only switched off; its booking stays
	// readable, its answer beside the question that was asked.
	y := s.youth(t, "Bävern")
	res, body = bookingCall(t, y, http.MethodPost, "/api/v1/kommuner/nacka/bookings", bookRequest{TypeID: s.typeID, CounsellorID: s.counselor, Start: s.at(9, 0), Answers: []string{"Skolan"}})
	var b jsonBooking
	if err := json.Unmarshal([]byte(body), &b); res.StatusCode != http.StatusCreated || err != nil {
		t.Fatalf("book: %d %s", res.StatusCode, body)
	}
	f = typeForm("Besök", "visit", "45", "0", s.counselor.String())
	f.Set("questions", "Hur gammal är du?")
	f.Set("online", "on")
	if res, body := a.post(t, "/personal/nacka/bokning/typer/"+s.typeID.String(), f); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("change the questions: %d %s", res.StatusCode, staffNotice(body))
	}
	res, body = a.post(t, "/personal/nacka/bokning/typer/"+s.typeID.String()+"/ta-bort", url.Values{})
	if res.StatusCode != http.StatusConflict || !strings.Contains(staffNotice(body), "Stäng av den i stället") {
		t.Fatalf("delete a booked type: %d %q", res.StatusCode, staffNotice(body))
	}
	if res, _ := a.post(t, "/personal/nacka/bokning/typer/"+s.typeID.String()+"/aktiv", url.Values{"active": {"0"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("deactivate: %d", res.StatusCode)
	}
	if _, body := a.get(t, "/personal/nacka/bokning/typer"); !strings.Contains(body, "avstängd") {
		t.Fatal("the list does not show the type as switched off")
	}
	if _, body := bookingCall(t, y, http.MethodGet, "/api/v1/kommuner/nacka/booking/types", nil); strings.Contains(body, s.typeID.String()) {
		t.Fatalf("a youth still sees the switched-off type: %s", body)
	}
	if _, body := bookingCall(t, y, http.MethodGet, "/api/v1/bookings", nil); !strings.Contains(body, `"type_name":"Besök"`) || !strings.Contains(body, `"status":"booked"`) {
		t.Fatalf("the youth's booking after the switch-off: %s", body)
	}
	k := s.signIn(t, "kurator@nacka.example")
	if res, body := k.get(t, "/personal/nacka/kalender/"+b.ID.String()); res.StatusCode != 200 || !strings.Contains(body, "Besök") ||
		!strings.Contains(body, "<dt>Vad vill du prata om?</dt><dd>Skolan</dd>") || strings.Contains(body, "Hur gammal") {
		t.Fatalf("detail of a booking of a switched-off type: %d %s", res.StatusCode, body)
	}
	if res, _ := a.post(t, "/personal/nacka/bokning/typer/"+id.String()+"/ta-bort", url.Values{}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("delete an unbooked type: %d", res.StatusCode)
	}
	if got := types(); !strings.HasPrefix(got, "1:") {
		t.Fatalf("after delete: %s", got)
	}

	// A counsellor reads the list, without the admin's buttons, and changes nothing.
	res, body = k.get(t, "/personal/nacka/bokning/typer")
	if res.StatusCode != 200 || !strings.Contains(body, "Besök") || strings.Contains(body, "/ta-bort") || strings.Contains(body, "/typer/ny") {
		t.Fatalf("counsellor's list: %d", res.StatusCode)
	}
	for _, p := range []string{"/personal/nacka/bokning/typer/ny", "/personal/nacka/bokning/typer/" + s.typeID.String()} {
		if res, _ := k.get(t, p); !refused(res.StatusCode) {
			t.Errorf("counsellor GET %s: %d", p, res.StatusCode)
		}
	}
	if res, _ := k.post(t, "/personal/nacka/bokning/typer", typeForm("Eget", "visit", "45", "0")); !refused(res.StatusCode) {
		t.Errorf("counsellor creates a type: %d", res.StatusCode)
	}
	// Another kommun's pages: closed.
	if res, _ := a.get(t, "/personal/solna/bokning/typer"); !refused(res.StatusCode) {
		t.Fatalf("solna's types for nacka's admin: %d", res.StatusCode)
	}
}

// The staff API reads every type (not online-bookable and switched-off
// ones too), edits one, and refuses bad input and other kommuner.
func TestBookingAdminTypesAPI(t *testing.T) {
	t.Parallel()
	s := newAdminSetup(t)
	a := s.signIn(t, "admin@nacka.example")
	base := "/api/v1/kommuner/nacka/booking"
	res, body := a.api(t, http.MethodPost, base+"/types", typeRequest{Name: "Internt", Mode: "phone", DurationMinutes: 30, Counsellors: []uuid.UUID{s.colleague}})
	var created struct{ ID uuid.UUID }
	if err := json.Unmarshal([]byte(body), &created); res.StatusCode != http.StatusCreated || err != nil {
		t.Fatalf("create: %d %s", res.StatusCode, body)
	}
	res, body = a.api(t, http.MethodGet, base+"/admin/types", nil)
	var list struct{ Types []jsonStaffType }
	if err := json.Unmarshal([]byte(body), &list); res.StatusCode != 200 || err != nil || len(list.Types) != 2 {
		t.Fatalf("list: %d %s", res.StatusCode, body)
	}
	if got := list.Types[0]; got.Name != "Besök" || !got.Online || !got.Active || got.DurationMinutes != 45 || len(got.Questions) != 1 {
		t.Fatalf("first type: %+v", got)
	}
	if got := list.Types[1]; got.Name != "Internt" || got.Online || len(got.Counsellors) != 1 || got.Counsellors[0] != s.colleague {
		t.Fatalf("second type: %+v", got)
	}
	one := base + "/admin/types/" + created.ID.String()
	res, body = a.api(t, http.MethodPut, one, typeRequest{Name: "Internt samtal", Mode: "video", DurationMinutes: 40, BufferMinutes: 10, Online: true})
	if res.StatusCode != 200 || !strings.Contains(body, `"name":"Internt samtal"`) || !strings.Contains(body, `"counsellors":[]`) {
		t.Fatalf("update: %d %s", res.StatusCode, body)
	}
	if res, body := a.api(t, http.MethodPut, one+"/active", map[string]bool{"active": false}); res.StatusCode != http.StatusNoContent {
		t.Fatalf("deactivate: %d %s", res.StatusCode, body)
	}
	if res, body := a.api(t, http.MethodGet, one, nil); res.StatusCode != 200 || !strings.Contains(body, `"active":false`) {
		t.Fatalf("read one: %d %s", res.StatusCode, body)
	}

	state := func() string {
		return s.nackaText(t, `SELECT string_agg(name || mode || duration_min || active, ',' ORDER BY name) FROM app.booking_type`)
	}
	before := state()
	bad := []struct {
		name, method, path string
		body               any
		status             int
		text               string
	}{
		{"too short", http.MethodPut, one, typeRequest{Name: "X", Mode: "visit", DurationMinutes: 1}, 400, "mellan 5 minuter"},
		{"counsellor of another kommun", http.MethodPut, one, typeRequest{Name: "X", Mode: "visit", DurationMinutes: 30, Counsellors: []uuid.UUID{s.solnaStaff}}, 400, "mottagningens kuratorer"},
		{"malformed id", http.MethodPut, base + "/admin/types/inte-ett-id", typeRequest{Name: "X", Mode: "visit", DurationMinutes: 30}, 400, "Länken verkar vara fel"},
		{"unknown id", http.MethodPut, base + "/admin/types/" + uuid.NewString(), typeRequest{Name: "X", Mode: "visit", DurationMinutes: 30}, 404, "typen av besök"},
		{"active missing", http.MethodPut, one + "/active", map[string]string{}, 400, ""},
		{"another kommun", http.MethodGet, "/api/v1/kommuner/solna/booking/admin/types", nil, 404, ""},
	}
	for _, tc := range bad {
		if res, body := a.api(t, tc.method, tc.path, tc.body); res.StatusCode != tc.status && !(tc.status == 404 && refused(res.StatusCode)) || !strings.Contains(body, tc.text) {
			t.Errorf("%s: %d %s", tc.name, res.StatusCode, body)
		}
	}
	if got := state(); got != before {
		t.Fatalf("refused calls changed types: %s -> %s", before, got)
	}
	// A counsellor reads, but does not change.
	k := s.signIn(t, "kurator@nacka.example")
	if res, _ := k.api(t, http.MethodGet, base+"/admin/types", nil); res.StatusCode != 200 {
		t.Fatalf("counsellor reads types: %d", res.StatusCode)
	}
	if res, _ := k.api(t, http.MethodPut, one, typeRequest{Name: "Mitt", Mode: "visit", DurationMinutes: 30}); !refused(res.StatusCode) {
		t.Fatalf("counsellor edits a type: %d", res.StatusCode)
	}
	if res, _ := k.api(t, http.MethodDelete, one, nil); !refused(res.StatusCode) {
		t.Fatalf("counsellor deletes a type: %d", res.StatusCode)
	}
	if res, _ := a.api(t, http.MethodDelete, one, nil); res.StatusCode != http.StatusNoContent {
		t.Fatalf("admin deletes an unbooked type: %d", res.StatusCode)
	}
}

func availabilityForm(week map[string]string, horizon, notice string, extra ...string) url.Values {
	f := url.Values{"horizon_days": {horizon}, "min_notice": {notice}}
	for _, d := range weekdays {
		f.Set("week_"+d.String(), week[d.String()])
	}
	for i := 0; i+1 < len(extra); i += 2 {
		f.Set(extra[i], extra[i+1])
	}
	return f
}

// A counsellor edits their own hours, absences, horizon and notice; bad
// input is refused field by field with nothing written; a colleague's
// schedule is closed to a counsellor and open to the reception admin;
// other kommuner's staff are unknown.
func TestBookingAdminAvailabilityPages(t *testing.T) {
	t.Parallel()
	s := newAdminSetup(t)
	k := s.signIn(t, "kurator@nacka.example")
	saved := func(staff uuid.UUID) string {
		return s.nackaText(t, `SELECT coalesce((SELECT week::text || exceptions::text || horizon_days || '/' || min_notice_min || holidays_open
			FROM app.booking_availability WHERE staff_id = '`+staff.String()+`'), 'none')`)
	}
	res, body := k.get(t, "/personal/nacka/bokning/tider")
	if res.StatusCode != 200 || !strings.Contains(body, `id="week_Monday" name="week_Monday" value="09:00-12:00"`) || !strings.Contains(body, "<legend>") {
		t.Fatalf("own hours: %d %s", res.StatusCode, body)
	}
	own := "/personal/nacka/bokning/tider/" + s.counselor.String()
	before := saved(s.counselor)
	ok := map[string]string{"Monday": "09:00-12:00"}
	bad := []struct {
		name  string
		form  url.Values
		field string
		text  string
	}{
		{"overlapping intervals", availabilityForm(map[string]string{"Monday": "09:00-12:00, 11:00-13:00"}, "28", "120"), "week_Monday", "inte överlappa"},
		{"end before start", availabilityForm(map[string]string{"Tuesday": "12:00-09:00"}, "28", "120"), "week_Tuesday", "inte överlappa"},
		{"not a time", availabilityForm(map[string]string{"Friday": "nio till tolv"}, "28", "120"), "week_Friday", "Skriv tiderna som"},
		{"horizon beyond max", availabilityForm(ok, "400", "120"), "horizon_days", "mellan 1 och 180"},
		{"notice not a number", availabilityForm(ok, "28", "snart"), "min_notice", "Framförhållningen"},
		{"absence ending before it starts", availabilityForm(ok, "28", "120", "exc_from_0", "2027-07-10", "exc_to_0", "2027-07-01"), "exc_0", "Till-datumet kan inte vara före"},
		{"absence date malformed", availabilityForm(ok, "28", "120", "exc_from_0", "10 juli"), "exc_0", "2026-07-01"},
		{"absence reason unknown", availabilityForm(ok, "28", "120", "exc_from_0", "2027-07-10", "exc_reason_0", "förkylning"), "exc_0", "Välj en av orsakerna"},
	}
	for _, tc := range bad {
		res, body := k.post(t, own, tc.form)
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(staffFieldError(body, tc.field), tc.text) || staffNotice(body) == "" {
			t.Errorf("%s: %d %q", tc.name, res.StatusCode, staffFieldError(body, tc.field))
		}
	}
	if got := saved(s.counselor); got != before {
		t.Fatalf("refused forms changed the schedule: %s", got)
	}

	f := availabilityForm(map[string]string{"Monday": "13:00-16:00, 9-12", "Wednesday": "10:00-15:00"}, "14", "60",
		"exc_from_0", "2027-07-01", "exc_to_0", "2027-07-14", "exc_reason_0", "leave", "exc_from_1", "2027-08-02", "exc_hours_1", "09:00-10:00", "holidays_open", "on")
	if res, body := k.post(t, own, f); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save own: %d %s %q", res.StatusCode, staffNotice(body), body)
	}
	got := saved(s.counselor)
	for _, want := range []string{`{"end": 720, "start": 540}, {"end": 960, "start": 780}`, `"reason": "leave"`, `"to": "2027-08-02"`, `"closed": false`, "14/60true"} {
		if !strings.Contains(got, want) {
			t.Fatalf("saved %s, missing %s", got, want)
		}
	}
	if _, body := k.get(t, "/personal/nacka/bokning/tider?klart=1"); !strings.Contains(body, `value="09:00-12:00, 13:00-16:00"`) || !strings.Contains(body, `value="2027-07-14"`) || !strings.Contains(body, "Sparat.") {
		t.Fatalf("page after saving: %s", body)
	}
	// Removing an absence.
	f.Set("exc_remove_1", "on")
	if res, _ := k.post(t, own, f); res.StatusCode != http.StatusSeeOther || strings.Contains(saved(s.counselor), "2027-08-02") {
		t.Fatalf("remove absence: %d %s", res.StatusCode, saved(s.counselor))
	}

	// A colleague's schedule: closed to a counsellor, page and API alike.
	colleague := "/personal/nacka/bokning/tider/" + s.colleague.String()
	if res, body := k.post(t, colleague, availabilityForm(ok, "28", "120")); res.StatusCode != http.StatusForbidden || !strings.Contains(body, "dina egna tider") {
		t.Fatalf("counsellor saves a colleague's: %d", res.StatusCode)
	}
	// In English too.
	if _, body := k.get(t, "/personal/nacka/bokning/tider?lang=en"); !strings.Contains(body, "Hours every week") || !strings.Contains(body, ">Monday</label>") {
		t.Fatalf("English hours page: %s", body)
	}
	k.get(t, "/personal/nacka/bokning/tider?lang=sv")
	if res, _ := k.get(t, "/personal/nacka/bokning/tider?kurator="+s.colleague.String()); res.StatusCode != http.StatusForbidden {
		t.Fatalf("counsellor opens a colleague's: %d", res.StatusCode)
	}
	if res, _ := k.api(t, http.MethodGet, "/api/v1/kommuner/nacka/booking/availability/"+s.colleague.String(), nil); res.StatusCode != http.StatusForbidden {
		t.Fatalf("counsellor reads a colleague's through the API: %d", res.StatusCode)
	}
	if saved(s.colleague) != "none" {
		t.Fatal("a refused save wrote the colleague's schedule")
	}
	// ...and open to the reception admin, who picks whose.
	a := s.signIn(t, "admin@nacka.example")
	res, body = a.get(t, "/personal/nacka/bokning/tider?kurator="+s.colleague.String())
	if res.StatusCode != 200 || !strings.Contains(body, `<select id="kurator" name="kurator">`) || !strings.Contains(body, "Inga tider är sparade ännu") {
		t.Fatalf("admin opens a colleague's: %d %s", res.StatusCode, body)
	}
	if res, _ := a.post(t, colleague, availabilityForm(map[string]string{"Thursday": "08:00-11:00"}, "28", "120")); res.StatusCode != http.StatusSeeOther || saved(s.colleague) == "none" {
		t.Fatalf("admin saves a colleague's: %d", res.StatusCode)
	}
	// Staff of another kommun, unknown and malformed ids.
	for path, status := range map[string]int{
		"/personal/nacka/bokning/tider/" + s.solnaStaff.String(): http.StatusNotFound,
		"/personal/nacka/bokning/tider/" + uuid.NewString():      http.StatusNotFound,
		"/personal/nacka/bokning/tider/inte-ett-id":              http.StatusBadRequest,
	} {
		if res, body := a.post(t, path, availabilityForm(ok, "28", "120")); res.StatusCode != status ||
			!strings.Contains(body, "Länken verkar vara fel") && !strings.Contains(body, "mottagningens kuratorer") {
			t.Errorf("%s: %d %s", path, res.StatusCode, body)
		}
	}
	if n := s.nackaText(t, `SELECT count(*)::text FROM app.booking_availability`); n != "2" {
		t.Fatalf("availabilities after refusals: %s", n)
	}
	if res, _ := a.get(t, "/personal/solna/bokning/tider"); !refused(res.StatusCode) {
		t.Fatalf("solna's hours for nacka's admin: %d", res.StatusCode)
	}
}

// The availability API reads a counsellor's schedule and refuses bad
// input with nothing written.
func TestBookingAdminAvailabilityAPI(t *testing.T) {
	t.Parallel()
	s := newAdminSetup(t)
	k := s.signIn(t, "kurator@nacka.example")
	path := "/api/v1/kommuner/nacka/booking/availability/" + s.counselor.String()
	res, body := k.api(t, http.MethodGet, path, nil)
	var got jsonAvailability
	if err := json.Unmarshal([]byte(body), &got); res.StatusCode != 200 || err != nil || !got.Saved || got.HorizonDays != 28 ||
		len(got.Week[time.Monday]) != 1 || got.Week[time.Monday][0] != (booking.Interval{Start: 540, End: 720}) {
		t.Fatalf("read: %d %s", res.StatusCode, body)
	}
	var week booking.Week
	week[time.Monday] = []booking.Interval{{Start: 540, End: 720}, {Start: 600, End: 660}}
	for name, req := range map[string]availabilityRequest{
		"overlapping":    {Week: week, HorizonDays: 28},
		"beyond horizon": {HorizonDays: 181},
		"reason given":   {HorizonDays: 28, Exceptions: []booking.Exception{{From: "2027-07-01", To: "2027-07-02", Closed: true, Reason: "migrän"}}},
	} {
		if res, body := k.api(t, http.MethodPut, path, req); res.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %d %s", name, res.StatusCode, body)
		}
	}
	if _, after := k.api(t, http.MethodGet, path, nil); after != body {
		t.Fatalf("refused calls changed the schedule: %s", after)
	}
	a := s.signIn(t, "admin@nacka.example")
	for p, status := range map[string]int{
		"/api/v1/kommuner/nacka/booking/availability/" + s.solnaStaff.String(): http.StatusNotFound,
		"/api/v1/kommuner/nacka/booking/availability/inte-ett-id":              http.StatusBadRequest,
		"/api/v1/kommuner/solna/booking/availability/" + s.solnaStaff.String(): http.StatusNotFound,
	} {
		if res, body := a.api(t, http.MethodGet, p, nil); res.StatusCode != status && !(strings.Contains(p, "solna/") && refused(res.StatusCode)) {
			t.Errorf("%s: %d %s", p, res.StatusCode, body)
		}
	}
	if res, body := a.api(t, http.MethodPut, "/api/v1/kommuner/nacka/booking/availability/"+s.solnaStaff.String(), availabilityRequest{HorizonDays: 28}); res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "mottagningens kuratorer") {
		t.Errorf("save solna's counsellor in nacka: %d %s", res.StatusCode, body)
	}
}

// The kommun's booking settings: read by every counsellor, set by the
// reception admin, bad input refused with nothing written.
func TestBookingAdminSettings(t *testing.T) {
	t.Parallel()
	s := newAdminSetup(t)
	api := "/api/v1/kommuner/nacka/booking/settings"
	rows := func() string { return s.nackaText(t, `SELECT count(*)::text FROM app.booking_settings`) }
	k := s.signIn(t, "kurator@nacka.example")
	if res, body := k.api(t, http.MethodGet, api, nil); res.StatusCode != 200 || body != `{"keep_days":30,"cutoff_minutes":120}` {
		t.Fatalf("defaults: %d %s", res.StatusCode, body)
	}
	if res, _ := k.api(t, http.MethodPut, api, jsonSettings{KeepDays: 10, CutOffMinutes: 60}); !refused(res.StatusCode) {
		t.Fatalf("counsellor sets: %d", res.StatusCode)
	}
	if res, body := k.get(t, "/personal/nacka/bokning/installningar"); res.StatusCode != 200 || strings.Contains(body, `<form method="post" action="/personal/nacka/bokning/installningar"`) {
		t.Fatalf("counsellor's settings page: %d", res.StatusCode)
	}
	if res, _ := k.post(t, "/personal/nacka/bokning/installningar", url.Values{"keep_days": {"1"}, "cutoff_minutes": {"0"}}); !refused(res.StatusCode) {
		t.Fatalf("counsellor posts settings: %d", res.StatusCode)
	}
	a := s.signIn(t, "admin@nacka.example")
	for name, body := range map[string]any{
		"keep too long":     jsonSettings{KeepDays: 400, CutOffMinutes: 60},
		"cut-off negative":  jsonSettings{KeepDays: 30, CutOffMinutes: -5},
		"fields missing":    map[string]int{},
		"cut-off too large": jsonSettings{KeepDays: 30, CutOffMinutes: 20000},
	} {
		if res, got := a.api(t, http.MethodPut, api, body); res.StatusCode != http.StatusBadRequest || !strings.Contains(got, "Skriv ett antal") {
			t.Errorf("%s: %d %s", name, res.StatusCode, got)
		}
	}
	res, body := a.post(t, "/personal/nacka/bokning/installningar", url.Values{"keep_days": {"trettio"}, "cutoff_minutes": {"60"}})
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(staffFieldError(body, "keep_days"), "mellan 0 och 365") {
		t.Fatalf("page, bad keep days: %d %q", res.StatusCode, staffFieldError(body, "keep_days"))
	}
	if rows() != "0" {
		t.Fatal("refused settings were written")
	}
	if res, _ := a.post(t, "/personal/nacka/bokning/installningar", url.Values{"keep_days": {"14"}, "cutoff_minutes": {"240"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("page save: %d", res.StatusCode)
	}
	if res, body := a.api(t, http.MethodGet, api, nil); res.StatusCode != 200 || body != `{"keep_days":14,"cutoff_minutes":240}` {
		t.Fatalf("after saving: %s", body)
	}
	if res, body := a.api(t, http.MethodPut, api, jsonSettings{KeepDays: 0, CutOffMinutes: 0}); res.StatusCode != 200 || body != `{"keep_days":0,"cutoff_minutes":0}` {
		t.Fatalf("API save: %d %s", res.StatusCode, body)
	}
	for _, m := range []string{http.MethodGet, http.MethodPut} {
		if res, _ := a.api(t, m, "/api/v1/kommuner/solna/booking/settings", jsonSettings{KeepDays: 1}); !refused(res.StatusCode) {
			t.Errorf("%s solna's settings: %d", m, res.StatusCode)
		}
	}
}

// A counsellor moves a booking from its page: to another free time of
// theirs, then to a colleague offering the type; bad input keeps the
// booking where it was. The youth gets the neutral change notice and the
// reminder follows the booking.
func TestBookingAdminMovePage(t *testing.T) {
	t.Parallel()
	s := newAdminSetup(t)
	y := s.youth(t, "Uttern")
	res, body := bookingCall(t, y, http.MethodPost, "/api/v1/kommuner/nacka/bookings", bookRequest{TypeID: s.typeID, CounsellorID: s.counselor, Start: s.at(9, 0)})
	var b jsonBooking
	if err := json.Unmarshal([]byte(body), &b); res.StatusCode != http.StatusCreated || err != nil {
		t.Fatalf("book: %d %s", res.StatusCode, body)
	}
	k := s.signIn(t, "kurator@nacka.example")
	detail := "/personal/nacka/kalender/" + b.ID.String()
	ten := s.counselor.String() + "|" + s.at(10, 0).UTC().Format(time.RFC3339)
	res, body = k.get(t, detail)
	if res.StatusCode != 200 || !strings.Contains(body, `<option value="`+ten+`">`) || !strings.Contains(body, `href="/personal/nacka/bokning/tider"`) {
		t.Fatalf("detail with move form: %d %s", res.StatusCode, body)
	}
	where := func() string {
		return s.nackaText(t, `SELECT string_agg(status || ' ' || to_char(starts_at AT TIME ZONE 'Europe/Stockholm', 'HH24:MI'), ',' ORDER BY created_at, starts_at) FROM app.booking`)
	}
	before := where()
	bad := []struct {
		name  string
		form  url.Values
		field string
		text  string
	}{
		{"no reason", url.Values{"slot": {ten}, "move_reason": {" "}}, "move_reason", "Skriv ett kort skäl"},
		{"no time", url.Values{"slot": {""}, "move_reason": {"Krock"}}, "slot", "Välj en av de lediga tiderna"},
		{"malformed time", url.Values{"slot": {"imorgon"}, "move_reason": {"Krock"}}, "slot", "Välj en av de lediga tiderna"},
	}
	for _, tc := range bad {
		res, body := k.post(t, detail+"/flytta", tc.form)
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(staffFieldError(body, tc.field), tc.text) {
			t.Errorf("%s: %d %q %q", tc.name, res.StatusCode, staffFieldError(body, tc.field), staffNotice(body))
		}
	}
	outside := s.counselor.String() + "|" + s.at(14, 0).UTC().Format(time.RFC3339)
	if res, body := k.post(t, detail+"/flytta", url.Values{"slot": {outside}, "move_reason": {"Krock"}}); res.StatusCode != http.StatusBadRequest || !strings.Contains(staffNotice(body), "ingen bokningsbar tid") {
		t.Errorf("outside hours: %d %q", res.StatusCode, staffNotice(body))
	}
	if res, _ := k.post(t, "/personal/nacka/kalender/inte-ett-id/flytta", url.Values{"slot": {ten}, "move_reason": {"Krock"}}); res.StatusCode != http.StatusBadRequest {
		t.Errorf("malformed id: %d", res.StatusCode)
	}
	if got := where(); got != before {
		t.Fatalf("refused moves changed bookings: %s", got)
	}
	res, _ = k.post(t, detail+"/flytta", url.Values{"slot": {ten}, "move_reason": {"Kuratorn har ett möte"}})
	if res.StatusCode != http.StatusSeeOther || !strings.Contains(res.Header.Get("Location"), "flyttad=1") {
		t.Fatalf("move: %d", res.StatusCode)
	}
	if got := where(); got != "cancelled 09:00,booked 10:00" {
		t.Fatalf("after the move: %s", got)
	}
	if _, body := k.get(t, res.Header.Get("Location")); !strings.Contains(body, "Bokningen är flyttad") {
		t.Fatal("no notice on the calendar after the move")
	}
	if n := s.se.count(t, `SELECT count(*) FROM app.notice_outbox WHERE kind = 'booking_changed' AND payload::text NOT LIKE '%möte%'`); n != 2 {
		t.Fatalf("neutral change notices: %d", n)
	}
	if n := s.se.count(t, `SELECT count(*) FROM app.notice_outbox WHERE kind = 'booking_reminder' AND status = 'pending' AND due_at = $1`, s.at(10, 0).Add(-24*time.Hour)); n != 2 {
		t.Fatalf("reminders at the new time: %d", n)
	}
	if n := s.se.count(t, `SELECT count(*) FROM app.notice_outbox WHERE kind = 'booking_reminder' AND status = 'dropped'`); n != 2 {
		t.Fatalf("withdrawn reminders of the old time: %d", n)
	}

	// A colleague starts offering the type: the form offers their times
	// too, and the booking moves to them.
	adminCtx := tenant.WithActing(s.se.system, tenant.Acting{Actor: tenant.ActorStaff, KommunID: s.nacka.ID, AccountID: s.admin, Role: "reception_admin"})
	store := s.se.db.BookingStore()
	var week booking.Week
	for d := range week {
		week[d] = []booking.Interval{{Start: 11 * 60, End: 14 * 60}}
	}
	if err := store.SaveAvailability(adminCtx, booking.Availability{CounsellorID: s.colleague, Week: week, HorizonDays: 28, HolidaysOpen: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := store.SaveType(adminCtx, booking.AppointmentType{ID: s.typeID, Name: "Besök", Mode: booking.ModeVisit, Duration: 45 * time.Minute,
		Counsellors: []uuid.UUID{s.counselor, s.colleague}, OnlineBookable: true, Questions: []string{"Vad vill du prata om?"}}); err != nil {
		t.Fatal(err)
	}
	var moved uuid.UUID
	s.nackaRow(t, `SELECT id FROM app.booking WHERE status = 'booked'`, &moved)
	detail = "/personal/nacka/kalender/" + moved.String()
	one := s.colleague.String() + "|" + s.at(13, 0).UTC().Format(time.RFC3339)
	if _, body := k.get(t, detail); !strings.Contains(body, `<option value="`+one+`">`) {
		t.Fatalf("the colleague's time is not offered: %s", body)
	}
	if res, body := k.post(t, detail+"/flytta", url.Values{"slot": {one}, "move_reason": {"Kollegan tar över"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("move to the colleague: %d %q", res.StatusCode, staffNotice(body))
	}
	if got := s.nackaText(t, `SELECT counsellor_id::text || ' ' || to_char(starts_at AT TIME ZONE 'Europe/Stockholm', 'HH24:MI') FROM app.booking WHERE status = 'booked'`); got != s.colleague.String()+" 13:00" {
		t.Fatalf("after moving to the colleague: %s", got)
	}
}
