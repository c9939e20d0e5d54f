package tenant_test

import (
	"errors"
	"net/mail"
	"net/url"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/storsthlm/mottagning/internal/apperr"
	"github.com/storsthlm/mottagning/internal/tenant"
	"github.com/storsthlm/mottagning/tenants"
)

// The SCB kommunkoder of the 26 kommuner of Stockholm County.
var wantCodes = map[string]string{
	"upplands-vasby": "0114", "vallentuna": "0115", "osteraker": "0117", "varmdo": "0120",
	"jarfalla": "0123", "ekero": "0125", "huddinge": "0126", "botkyrka": "0127",
	"salem": "0128", "haninge": "0136", "tyreso": "0138", "upplands-bro": "0139",
	"nykvarn": "0140", "taby": "0160", "danderyd": "0162", "sollentuna": "0163",
	"stockholm": "0180", "sodertalje": "0181", "nacka": "0182", "sundbyberg": "0183",
	"solna": "0184", "lidingo": "0186", "vaxholm": "0187", "norrtalje": "0188",
	"sigtuna": "0191", "nynashamn": "0192",
}

func TestRegistryHoldsAll26KommunerOfStockholmCounty(t *testing.T) {
	t.Parallel()
	defs, err := tenant.LoadDir(tenants.FS)
	if err != nil {
		t.Fatalf("LoadDir(tenants.FS): %v", err)
	}
	if len(defs) != 26 {
		t.Fatalf("got %d definitions, want 26", len(defs))
	}
	codes := map[string]bool{}
	for i, d := range defs {
		if i > 0 && defs[i-1].Slug >= d.Slug {
			t.Errorf("not sorted by slug: %q before %q", defs[i-1].Slug, d.Slug)
		}
		if want, ok := wantCodes[d.Slug]; !ok || d.Code != want {
			t.Errorf("%s: code %q, want %q", d.Slug, d.Code, want)
		}
		if codes[d.Code] {
			t.Errorf("%s: code %s used twice", d.Slug, d.Code)
		}
		codes[d.Code] = true
	}
}

// Until a kommun is onboarded its contact details are placeholders, and they
// must say so: demo set, and nothing that could reach a real mailbox or site.
func TestRegistryContactsAreMarkedDemoPlaceholders(t *testing.T) {
	t.Parallel()
	defs, err := tenant.LoadDir(tenants.FS)
	if err != nil {
		t.Fatalf("LoadDir(tenants.FS): %v", err)
	}
	for _, d := range defs {
		if !d.Demo {
			t.Errorf("%s: demo is false", d.Slug)
		}
		a, err := mail.ParseAddress(d.Contact.Email)
		if err != nil || !strings.HasSuffix(a.Address, ".example") {
			t.Errorf("%s: email %q is not a .example placeholder", d.Slug, d.Contact.Email)
		}
		for _, raw := range []string{d.Contact.Website, d.PrivacyPolicyURL} {
			u, err := url.Parse(raw)
			if err != nil || !strings.HasSuffix(u.Hostname(), ".example") {
				t.Errorf("%s: URL %q is not a .example placeholder", d.Slug, raw)
			}
		}
	}
}

const nackaYAML = `slug: nacka
name: Nacka kommun
code: "0182"
demo: true
contact:
  phone: "08-000 00 00"
  email: ungdomsmottagningen@nacka.example
  address: "Demogatan 1, 131 00 Nacka"
  website: https://nacka.example/ungdomsmottagning
privacy_policy_url: https://nacka.example/integritet
`

// file returns nackaYAML for slug with old replaced by new.
func file(slug, old, new string) *fstest.MapFile {
	s := strings.ReplaceAll(nackaYAML, "nacka", slug)
	if old != "" {
		if !strings.Contains(s, old) {
			panic("test fixture lacks " + old)
		}
		s = strings.Replace(s, old, new, 1)
	}
	return &fstest.MapFile{Data: []byte(s)}
}

func TestLoadDirReportsFileAndField(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		fsys  fstest.MapFS
		wants []string // each must appear in the error
	}{
		{"bad code", fstest.MapFS{"nacka.yaml": file("nacka", `"0182"`, `"182"`)},
			[]string{`nacka.yaml: code: must be 4 digits starting with 01 (got "182")`}},
		{"code outside the county", fstest.MapFS{"nacka.yaml": file("nacka", `"0182"`, `"1480"`)},
			[]string{`nacka.yaml: code: must be 4 digits starting with 01 (got "1480")`}},
		{"missing privacy url", fstest.MapFS{"nacka.yaml": file("nacka", "privacy_policy_url: https://nacka.example/integritet\n", "")},
			[]string{"nacka.yaml: privacy_policy_url: required"}},
		{"http privacy url", fstest.MapFS{"nacka.yaml": file("nacka", "url: https://", "url: http://")},
			[]string{"nacka.yaml: privacy_policy_url: must use https"}},
		{"unknown field", fstest.MapFS{"nacka.yaml": file("nacka", "demo: true\n", "demo: true\nfax: 08-1\n")},
			[]string{"nacka.yaml: line 5: field fax not found"}},
		{"misspelt field also reports the missing one", fstest.MapFS{"nacka.yaml": file("nacka", "privacy_policy_url:", "privacy_url:")},
			[]string{"nacka.yaml: line 10: field privacy_url not found", "nacka.yaml: privacy_policy_url: required"}},
		{"reserved slug", fstest.MapFS{"admin.yaml": file("admin", "", "")},
			[]string{`admin.yaml: slug: "admin" is reserved`}},
		{"slug differs from file name", fstest.MapFS{"nacka.yaml": file("nacka", "slug: nacka", "slug: naka")},
			[]string{`nacka.yaml: slug: must equal the file name (got "naka", want "nacka")`}},
		{"duplicate code", fstest.MapFS{"nacka.yaml": file("nacka", "", ""), "solna.yaml": file("solna", "", "")},
			[]string{`solna.yaml: code: "0182" is already used by nacka.yaml`}},
		{"malformed YAML", fstest.MapFS{"nacka.yaml": {Data: []byte("slug: nacka\n  name: [oops\n")}},
			[]string{"nacka.yaml: yaml: line"}},
		{"empty file", fstest.MapFS{"nacka.yaml": {Data: []byte("# nothing\n")}},
			[]string{"nacka.yaml: file holds no YAML document"}},
		{"two documents", fstest.MapFS{"nacka.yaml": {Data: []byte(nackaYAML + "---\nslug: x\n")}},
			[]string{"nacka.yaml: file holds more than one YAML document"}},
		{"empty directory", fstest.MapFS{"README.md": {Data: []byte("hi")}},
			[]string{"no kommun definitions"}},
		{"every problem of every file", fstest.MapFS{
			"nacka.yaml": file("nacka", "name: Nacka kommun", "name: ''"),
			"solna.yaml": file("solna", "ungdomsmottagningen@solna.example", "Solna <um@solna.example>"),
		}, []string{"nacka.yaml: name: required", "solna.yaml: contact.email: must be a bare e-mail address", "solna.yaml: code:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			defs, err := tenant.LoadDir(tt.fsys)
			if err == nil {
				t.Fatalf("LoadDir succeeded with %d definitions, want an error", len(defs))
			}
			if defs != nil {
				t.Errorf("LoadDir returned %d definitions along with its error", len(defs))
			}
			for _, want := range tt.wants {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error lacks %q; got:\n%v", want, err)
				}
			}
		})
	}
}

func TestLoadDirReadsValidFilesSortedBySlug(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{
		"solna.yaml":        file("solna", `"0182"`, `"0184"`),
		"nacka.yaml":        file("nacka", "", ""),
		"upplands-bro.yaml": file("upplands-bro", `"0182"`, `"0139"`),
		"notes.txt":         {Data: []byte("not a definition")},
		"sub/x.yaml":        {Data: []byte("not read: only the root counts")},
	}
	defs, err := tenant.LoadDir(fsys)
	if err != nil {
		t.Fatalf("LoadDir: %v", err)
	}
	var got []string
	for _, d := range defs {
		got = append(got, d.Slug+"="+d.Code)
	}
	if want := []string{"nacka=0182", "solna=0184", "upplands-bro=0139"}; !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if c := defs[0].Contact; c.Phone != "08-000 00 00" || c.Address != "Demogatan 1, 131 00 Nacka" {
		t.Errorf("contact not decoded: %+v", c)
	}
}

func validDefinition() tenant.Definition {
	return tenant.Definition{
		Slug: "nacka", Name: "Nacka kommun", Code: "0182",
		Contact: tenant.Contact{
			Phone: "08-718 80 00", Email: "ungdomsmottagningen@nacka.se",
			Address: "Granitvägen 15, 131 81 Nacka", Website: "https://www.nacka.se/um",
		},
		PrivacyPolicyURL: "https://www.nacka.se/integritet",
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		edit      func(*tenant.Definition)
		wantField string // "" means valid
	}{
		{"valid", func(*tenant.Definition) {}, ""},
		{"no website is fine", func(d *tenant.Definition) { d.Contact.Website = "" }, ""},
		{"http on localhost is fine", func(d *tenant.Definition) { d.PrivacyPolicyURL = "http://localhost:8080/integritet" }, ""},
		{"demo placeholders when demo", func(d *tenant.Definition) { d.Demo = true; d.Contact.Email = "um@nacka.example" }, ""},
		{"slug too short", func(d *tenant.Definition) { d.Slug = "n" }, "slug"},
		{"slug too long", func(d *tenant.Definition) { d.Slug = strings.Repeat("a", 41) }, "slug"},
		{"slug uppercase", func(d *tenant.Definition) { d.Slug = "Nacka" }, "slug"},
		{"slug non-ASCII", func(d *tenant.Definition) { d.Slug = "järfälla" }, "slug"},
		{"slug double hyphen", func(d *tenant.Definition) { d.Slug = "upplands--bro" }, "slug"},
		{"slug trailing hyphen", func(d *tenant.Definition) { d.Slug = "nacka-" }, "slug"},
		{"slug reserved", func(d *tenant.Definition) { d.Slug = "mina-samtal" }, "slug"},
		{"name missing", func(d *tenant.Definition) { d.Name = " " }, "name"},
		{"name too long", func(d *tenant.Definition) { d.Name = strings.Repeat("ö", 101) }, "name"},
		{"code three digits", func(d *tenant.Definition) { d.Code = "182" }, "code"},
		{"code other county", func(d *tenant.Definition) { d.Code = "0380" }, "code"},
		{"code with letters", func(d *tenant.Definition) { d.Code = "01a2" }, "code"},
		{"phone missing", func(d *tenant.Definition) { d.Contact.Phone = "" }, "contact.phone"},
		{"address missing", func(d *tenant.Definition) { d.Contact.Address = "" }, "contact.address"},
		{"email missing", func(d *tenant.Definition) { d.Contact.Email = "" }, "contact.email"},
		{"email with display name", func(d *tenant.Definition) { d.Contact.Email = "UM <um@nacka.se>" }, "contact.email"},
		{"email malformed", func(d *tenant.Definition) { d.Contact.Email = "um.nacka.se" }, "contact.email"},
		{"website http", func(d *tenant.Definition) { d.Contact.Website = "http://www.nacka.se" }, "contact.website"},
		{"website relative", func(d *tenant.Definition) { d.Contact.Website = "/um" }, "contact.website"},
		{"website with user info", func(d *tenant.Definition) { d.Contact.Website = "https://a:b@nacka.se" }, "contact.website"},
		{"privacy url missing", func(d *tenant.Definition) { d.PrivacyPolicyURL = "" }, "privacy_policy_url"},
		{"privacy url javascript", func(d *tenant.Definition) { d.PrivacyPolicyURL = "javascript:alert(1)" }, "privacy_policy_url"},
		{"placeholder email when not demo", func(d *tenant.Definition) { d.Contact.Email = "um@nacka.example" }, "contact.email"},
		{"placeholder policy when not demo", func(d *tenant.Definition) { d.PrivacyPolicyURL = "https://nacka.example/p" }, "privacy_policy_url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := validDefinition()
			tt.edit(&d)
			err := d.Validate()
			if tt.wantField == "" {
				if err != nil {
					t.Fatalf("Validate: %v, want nil", err)
				}
				return
			}
			var ve *tenant.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Validate = %v, want a *ValidationError", err)
			}
			var fields []string
			for _, p := range ve.Problems {
				fields = append(fields, p.Field)
			}
			if !slices.Equal(fields, []string{tt.wantField}) {
				t.Errorf("problems %v, want exactly one on %q", ve.Problems, tt.wantField)
			}
		})
	}
}

func TestValidationErrorIsInvalidForTheUser(t *testing.T) {
	t.Parallel()
	d := validDefinition()
	d.Code, d.Contact.Phone = "182", ""
	err := d.Validate()
	if !apperr.Is(err, apperr.Invalid) {
		t.Fatalf("kind %v, want Invalid", apperr.KindOf(err))
	}
	var got []string
	for _, f := range apperr.As(err).Fields {
		got = append(got, f.Field+"="+f.Key)
	}
	want := []string{"code=error.kommun.code", "contact.phone=error.kommun.contact.phone"}
	if !slices.Equal(got, want) {
		t.Errorf("fields %v, want %v", got, want)
	}
}

func TestReservedSlugsCoverTheRouterPaths(t *testing.T) {
	t.Parallel()
	router := []string{"api", "personal", "plattform", "registrera", "logga-in", "logga-ut",
		"min-profil", "mina-bokningar", "mina-samtal", "integritet", "dev", "static", "healthz",
		"readyz", "metrics", "lamna", "konto-raderat", "sprak", "favicon.ico", "robots.txt", "om", "hjalp",
		"kontakt", "admin", "en", "sv"}
	for _, w := range router {
		if !tenant.IsReserved(w) {
			t.Errorf("IsReserved(%q) = false", w)
		}
	}
	if got := tenant.ReservedSlugs(); len(got) != len(router) {
		t.Errorf("ReservedSlugs has %d words, want %d", len(got), len(router))
	}
	for _, slug := range []string{"nacka", "stockholm", "upplands-vasby", "apis"} {
		if tenant.IsReserved(slug) {
			t.Errorf("IsReserved(%q) = true", slug)
		}
	}
}

func TestStatusValid(t *testing.T) {
	t.Parallel()
	for _, s := range []tenant.Status{tenant.StatusActive, tenant.StatusSuspended, tenant.StatusOffboarded} {
		if !s.Valid() {
			t.Errorf("%q.Valid() = false", s)
		}
	}
	if tenant.Status("closed").Valid() || tenant.Status("").Valid() {
		t.Error("unknown status reported valid")
	}
	if (tenant.Kommun{Status: tenant.StatusSuspended}).Active() {
		t.Error("suspended kommun reported active")
	}
}
