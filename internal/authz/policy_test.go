package authz

import (
	"encoding/csv"
	"io/fs"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/storsthlm/mottagning/policies"
)

// objects is every object type with its actions, written out here rather
// than taken from the package so that a change to the catalogue must be
// made in two places on purpose.
var objects = map[string]string{
	// kommun-controlled
	"reception_page":   "read edit publish",
	"staff":            "read invite edit deactivate",
	"schedule":         "read edit",
	"appointment_type": "read edit",
	"booking":          "read create edit cancel",
	"conversation":     "read create join write end transfer block",
	"queue":            "read",
	"staff_note":       "read write",
	"access_log":       "read sample",
	"statistics":       "read",
	"admin_log":        "read",
	"feedback":         "read create",
	// platform-controlled
	"kommun":              "read onboard suspend offboard",
	"account":             "read edit delete export",
	"privacy_request":     "read create handle",
	"policy_version":      "read publish",
	"account_support":     "find delete restrict lift",
	"job":                 "read run",
	"platform_access_log": "read",
}

var kommunObjects = []string{"reception_page", "staff", "schedule", "appointment_type", "booking",
	"conversation", "queue", "staff_note", "access_log", "statistics", "admin_log", "feedback"}

// counsellorGrants is what a counsellor may do in their own kommun; a
// reception admin may do all of it too.
var counsellorGrants = map[string]string{
	"booking":          "read create edit cancel",
	"conversation":     "read join write end transfer block",
	"queue":            "read",
	"staff_note":       "read write",
	"schedule":         "read edit",
	"appointment_type": "read",
	"reception_page":   "read",
	"statistics":       "read",
	"staff":            "read",
}

// grants is the expected verdict table: role -> "kommun" or "platform" ->
// object -> the allowed actions. Everything not listed is denied. For
// staff roles, "kommun" applies only in the kommun the role is held in.
var grants = map[string]map[string]map[string]string{
	"anonymous": {
		"kommun": {
			"reception_page": "read",
			"conversation":   "create read write end",
			"feedback":       "create",
		},
		"platform": {"policy_version": "read"},
	},
	"youth": {
		"kommun": {
			"reception_page": "read",
			"booking":        "create read cancel",
			"conversation":   "create read write end",
			"feedback":       "create",
		},
		"platform": {
			"account":         "read edit delete export",
			"privacy_request": "create read",
			"policy_version":  "read",
		},
	},
	"counsellor": {"kommun": counsellorGrants},
	"reception_admin": {"kommun": union(counsellorGrants, map[string]string{
		"reception_page":   "edit publish",
		"staff":            "read invite edit deactivate",
		"appointment_type": "edit",
		"access_log":       "read sample",
		"admin_log":        "read",
		"feedback":         "read",
	})},
	"platform_admin": {"platform": {
		"kommun":              "read onboard suspend offboard",
		"privacy_request":     "read handle",
		"policy_version":      "read publish",
		"account_support":     "find delete restrict lift",
		"job":                 "read run",
		"platform_access_log": "read",
	}},
}

func union(a, b map[string]string) map[string]string {
	out := maps.Clone(a)
	for k, v := range b {
		out[k] = strings.TrimSpace(out[k] + " " + v)
	}
	return out
}

const (
	kommunA = "kommun:solna"
	kommunB = "kommun:nacka"
)

var domains = []string{"platform", kommunA, kommunB}

// matrixFixture is one enforcer with a staff member per situation.
type matrixFixture struct {
	e                                          *Enforcer
	counsellorA, adminA, platformAdmin, noRole string
	counsellorAAdminB                          string // counsellor in A and reception admin in B
	counsellorID, adminID, platformID, dualID  uuid.UUID
}

func newMatrixFixture(t *testing.T) matrixFixture {
	t.Helper()
	f := matrixFixture{counsellorID: uuid.New(), adminID: uuid.New(), platformID: uuid.New(), dualID: uuid.New()}
	src := &memSource{}
	src.add(
		Membership{StaffID: f.counsellorID, Domain: kommunA, Role: "counsellor"},
		Membership{StaffID: f.adminID, Domain: kommunA, Role: "reception_admin"},
		Membership{StaffID: f.platformID, Domain: "platform", Role: "platform_admin"},
		Membership{StaffID: f.dualID, Domain: kommunA, Role: "counsellor"},
		Membership{StaffID: f.dualID, Domain: kommunB, Role: "reception_admin"},
	)
	f.e = newEnforcer(t, src, Options{})
	f.counsellorA = StaffSubject(f.counsellorID)
	f.adminA = StaffSubject(f.adminID)
	f.platformAdmin = StaffSubject(f.platformID)
	f.counsellorAAdminB = StaffSubject(f.dualID)
	f.noRole = StaffSubject(uuid.New())
	return f
}

// expected returns whether role, held in heldIn ("*" for every kommun and
// the platform, as for anonymous and youth), may do act on obj in dom.
func expected(role, heldIn, dom, obj, act string) bool {
	if role == "" {
		return false
	}
	kind := "platform"
	if strings.HasPrefix(dom, "kommun:") {
		kind = "kommun"
	}
	if heldIn != "*" && heldIn != dom {
		return false
	}
	return slices.Contains(strings.Fields(grants[role][kind][obj]), act)
}

func TestPolicyMatrix(t *testing.T) {
	t.Parallel()
	f := newMatrixFixture(t)
	subjects := []struct {
		name string
		sub  string
		held map[string]string // domain ("*" = any) -> role held there
	}{
		{"anonymous", "anonymous", map[string]string{"*": "anonymous"}},
		{"youth", "youth", map[string]string{"*": "youth"}},
		{"counsellor of A", f.counsellorA, map[string]string{kommunA: "counsellor"}},
		{"reception admin of A", f.adminA, map[string]string{kommunA: "reception_admin"}},
		{"platform admin", f.platformAdmin, map[string]string{"platform": "platform_admin"}},
		{"staff without role", f.noRole, nil},
		{"counsellor of A, admin of B", f.counsellorAAdminB,
			map[string]string{kommunA: "counsellor", kommunB: "reception_admin"}},
	}
	cells := 0
	for _, s := range subjects {
		for _, dom := range domains {
			for obj, acts := range objects {
				for _, act := range strings.Fields(acts) {
					want := false
					for heldIn, role := range s.held {
						want = want || expected(role, heldIn, dom, obj, act)
					}
					got := mustAllowed(t, f.e, s.sub, dom, obj, act)
					if got != want {
						t.Errorf("%s in %s: %s %s = %v, want %v", s.name, dom, obj, act, got, want)
					}
					cells++
				}
			}
		}
	}
	t.Logf("%d cells checked", cells)
}

func TestP20_PlatformAdminDeniedKommunData(t *testing.T) {
	t.Parallel()
	f := newMatrixFixture(t)
	for _, dom := range []string{kommunA, kommunB, "kommun:stockholm"} {
		for _, obj := range kommunObjects {
			for _, act := range strings.Fields(objects[obj]) {
				if mustAllowed(t, f.e, f.platformAdmin, dom, obj, act) {
					t.Errorf("platform admin may %s %s in %s", act, obj, dom)
				}
			}
		}
	}
	// And still does the platform's own work.
	if !mustAllowed(t, f.e, f.platformAdmin, "platform", "account_support", "delete") {
		t.Error("platform admin may not delete an account on request")
	}
}

func TestP5_CounsellorDeniedOtherKommun(t *testing.T) {
	t.Parallel()
	f := newMatrixFixture(t)
	assertDeniedEverywhereIn(t, f.e, "counsellor of A", f.counsellorA, kommunB)
	if !mustAllowed(t, f.e, f.counsellorA, kommunA, "conversation", "read") {
		t.Error("counsellor may not read conversations in their own kommun")
	}
}

func TestReceptionAdminDeniedOtherKommun(t *testing.T) {
	t.Parallel()
	f := newMatrixFixture(t)
	assertDeniedEverywhereIn(t, f.e, "reception admin of A", f.adminA, kommunB)
	assertDeniedEverywhereIn(t, f.e, "reception admin of A", f.adminA, "platform")
}

func assertDeniedEverywhereIn(t *testing.T, e *Enforcer, name, sub, dom string) {
	t.Helper()
	for obj, acts := range objects {
		for _, act := range strings.Fields(acts) {
			if mustAllowed(t, e, sub, dom, obj, act) {
				t.Errorf("%s may %s %s in %s", name, act, obj, dom)
			}
		}
	}
}

// TestCatalogueMatchesTest keeps the test's object list and the package's
// catalogue in step, so the matrix above covers every object and action.
func TestCatalogueMatchesTest(t *testing.T) {
	t.Parallel()
	if len(catalogue) != len(objects) {
		t.Errorf("catalogue has %d objects, test knows %d", len(catalogue), len(objects))
	}
	for obj, spec := range catalogue {
		got := slices.Sorted(slices.Values(spec.actions))
		want := slices.Sorted(slices.Values(strings.Fields(objects[obj])))
		if !slices.Equal(got, want) {
			t.Errorf("%s: catalogue actions %v, test expects %v", obj, got, want)
		}
		if isKommun := spec.scope == scopeKommun; isKommun != slices.Contains(kommunObjects, obj) {
			t.Errorf("%s: catalogue says kommun-controlled = %v", obj, isKommun)
		}
	}
}

// TestPolicyFileSanity reads policy.csv independently of the loader.
func TestPolicyFileSanity(t *testing.T) {
	t.Parallel()
	text, err := fs.ReadFile(policies.FS, "policy.csv")
	if err != nil {
		t.Fatal(err)
	}
	r := csv.NewReader(strings.NewReader(string(text)))
	r.Comment, r.TrimLeadingSpace, r.FieldsPerRecord = '#', true, -1
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatalf("policy.csv: %v", err)
	}
	if len(rows) == 0 {
		t.Fatal("policy.csv has no rows")
	}
	seen := map[string]bool{}
	for i, row := range rows {
		key := strings.Join(row, ",")
		if len(row) != 5 || row[0] != "p" {
			t.Errorf("row %d %q: want p, role, domain, object, action", i, key)
			continue
		}
		role, dom, obj, act := row[1], row[2], row[3], row[4]
		if seen[key] {
			t.Errorf("duplicate row %q", key)
		}
		seen[key] = true
		if _, ok := grants[role]; !ok {
			t.Errorf("row %q: unknown role", key)
		}
		if !slices.Contains(strings.Fields(objects[obj]), act) {
			t.Errorf("row %q: unknown object or action", key)
		}
		switch {
		case dom == "kommun:*" && !slices.Contains(kommunObjects, obj),
			dom == "platform" && slices.Contains(kommunObjects, obj),
			dom != "kommun:*" && dom != "platform":
			t.Errorf("row %q: object in the wrong domain", key)
		}
		if role == "platform_admin" && dom != "platform" {
			t.Errorf("row %q: platform admins get nothing in a kommun (P20)", key)
		}
	}
	if _, err := readPolicy(); err != nil {
		t.Errorf("loader refuses policy.csv: %v", err)
	}
}

// TestLoaderRefusesBadRules shows that a p row breaking a rule stops the
// policy from loading at all, rather than being enforced.
func TestLoaderRefusesBadRules(t *testing.T) {
	t.Parallel()
	bad := [][]string{
		{"p", "platform_admin", "kommun:*", "conversation", "read"}, // P20
		{"p", "platform_admin", "kommun:*", "reception_page", "read"},
		{"p", "counsellor", "platform", "kommun", "read"},
		{"p", "counsellor", "kommun:solna", "booking", "read"}, // one kommun only
		{"p", "counsellor", "kommun:*", "kommun", "read"},      // platform object in a kommun
		{"p", "youth", "platform", "booking", "read"},          // kommun object on the platform
		{"p", "superuser", "kommun:*", "booking", "read"},
		{"p", "counsellor", "kommun:*", "booking", "destroy"},
		{"p", "counsellor", "kommun:*", "chat", "read"},
		{"g", "counsellor", "kommun:*", "booking", "read"},
	}
	for _, rule := range bad {
		if err := checkRule(rule); err == nil {
			t.Errorf("checkRule(%v) accepted", rule)
		}
	}
}

func TestAllowedRejectsMalformedQuestions(t *testing.T) {
	t.Parallel()
	e := newEnforcer(t, &memSource{}, Options{})
	staff := StaffSubject(uuid.New())
	bad := [][4]string{
		{"counsellor", kommunA, "booking", "read"},       // role name as subject
		{"platform_admin", "platform", "kommun", "read"}, // role name as subject
		{"staff:not-a-uuid", kommunA, "booking", "read"}, // bad staff id
		{StaffSubject(uuid.Nil), kommunA, "booking", "read"},
		{"alice", kommunA, "booking", "read"},
		{staff, "kommun:*", "booking", "read"}, // pattern, not a kommun
		{staff, "kommun:", "booking", "read"},
		{staff, "kommun:Solna", "booking", "read"},
		{staff, "solna", "booking", "read"},
		{staff, kommunA, "chat", "read"},       // unknown object
		{staff, kommunA, "booking", "publish"}, // action not of this object
	}
	for _, q := range bad {
		ok, err := e.Allowed(q[0], q[1], q[2], q[3])
		if err == nil || ok {
			t.Errorf("Allowed%v = %v, %v; want false and an error", q, ok, err)
		}
	}
}
