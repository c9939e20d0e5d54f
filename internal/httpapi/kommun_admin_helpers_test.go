package httpapi

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/storsthlm/mottagning/internal/postgres"
	"github.com/storsthlm/mottagning/internal/reception"
	"github.com/storsthlm/mottagning/internal/tenant"
)

// kaMember creates a staff member with role in kommun slug and returns
// their signed-in client (password and TOTP passed) and id.
func kaMember(t *testing.T, e env, slug, role string) (*pfClient, uuid.UUID) {
	t.Helper()
	id := pfStaff(t, e, role+"-"+uuid.NewString()[:8]+"@"+slug+".example")
	k, err := e.db.KommunBySlug(e.system, slug)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.db.SetMembership(tenant.WithActing(e.system, tenant.System().ForKommun(k.ID)), id, role); err != nil {
		t.Fatal(err)
	}
	pfReload(t, e)
	return pfSession(t, e, id), id
}

// kaForm is a complete, publishable edit form for Nacka.
func kaForm() url.Values {
	v := url.Values{}
	p := reception.Page{DisplayName: "Ungdomsmottagningen i Nacka", Introduction: "Välkommen till oss!",
		Address: "Storgatan 1, 131 40 Nacka", Phone: "08-718 80 00", Email: "um@nacka.example",
		PrivacyPolicyURL: "https://www.nacka.se/integritet", Languages: []string{"svenska", "engelska"},
		Accessibility: "Ingång utan trappsteg.", Services: reception.Services{Booking: true, Chat: true}}
	for d := range 7 {
		p.Hours[d] = []reception.Interval{{Start: 0, End: 1440}}
		p.Services.ChatHours[d] = []reception.Interval{{Start: 0, End: 1440}}
	}
	for k, val := range reception.FormOf(p) {
		v.Set(k, val)
	}
	return v
}

// kaCount counts rows as the system for kommun slug (row-level security applies).
func kaCount(t *testing.T, e env, slug, sql string, args ...any) int {
	t.Helper()
	k, err := e.db.KommunBySlug(e.system, slug)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	err = e.db.InTx(tenant.WithActing(e.system, tenant.System().ForKommun(k.ID)), func(ctx context.Context, q postgres.Querier) error {
		return q.QueryRow(ctx, sql, args...).Scan(&n)
	})
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// kaFieldError returns the message shown beside field, or "".
func kaFieldError(body, field string) string {
	m := regexp.MustCompile(`<p id="` + regexp.QuoteMeta(field) + `-error" class="field-error">([^<]*)</p>`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return strings.TrimSpace(m[1])
}
