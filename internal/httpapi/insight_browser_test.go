package httpapi

import (
	"strings"
	"testing"
	"time"

	"github.com/storsthlm/mottagning/internal/audit"
)

// The youth's view of the access log works on a phone: quick exit in
// view, no sideways scrolling, every entry readable.
func TestBrowserP14_YouthSeesAccessLogOnPhone(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := newChromeTab(t, e.listen(t))
	const username, password = "Insynsuggla_3", "sju gröna äpplen i korgen"
	b.open("/registrera")
	b.fill("username", username)
	b.fill("password", password)
	b.submit(`form[action="/registrera"] button[type="submit"]`)
	nacka, err := e.db.KommunBySlug(e.system, "nacka")
	if err != nil {
		t.Fatal(err)
	}
	staff := pfStaff(t, e, "admin-"+randomSuffix(t)+"@nacka.example")
	insightRecord(t, e, nacka, staff, "reception_admin", audit.BookingCancel, username, time.Now())
	b.open("/min-profil/insyn")
	text := evalT[string](b, `document.querySelector('main') ? document.querySelector('main').innerText : document.body.innerText`)
	for _, want := range []string{"Vem har sett mina uppgifter?", "Nacka", "Administratör på mottagningen", "Avbokade en tid"} {
		if !strings.Contains(text, want) {
			t.Errorf("the page as shown lacks %q", want)
		}
	}
	if strings.Contains(text, "Test admin-") {
		t.Error("the page shows the staff member's name")
	}
}
