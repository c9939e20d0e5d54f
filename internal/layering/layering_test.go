// Package layering holds the test that keeps Mottagning's dependencies
// pointing inward (../shared/STYLE.md): domain packages may import only the
// standard library, apperr, tenant and small value libraries; never Fiber,
// pgx, Asynq, go-redis or each other.
package layering

import (
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/storsthlm/mottagning"

// adapters may import infrastructure; every other package under internal/
// is a domain package and is held to the rule, so a new package is checked
// unless it is declared an adapter here.
var adapters = map[string]bool{
	"internal/postgres": true, "internal/httpapi": true, "internal/queue": true, "internal/queue/queuetest": true,
	"internal/worker": true, "internal/authz": true, "internal/config": true, "internal/testenv": true,
	"internal/sms": true, "internal/i18n": true, "internal/layering": true, "internal/pubsub": true,
	"internal/mail": true, "internal/outbox": true,
}

// shared are the packages every domain package may use.
var shared = map[string]bool{"internal/apperr": true, "internal/tenant": true}

var forbidden = []string{
	"github.com/gofiber/", "github.com/valyala/fasthttp", "github.com/jackc/pgx", "github.com/jackc/tern",
	"github.com/hibiken/asynq", "github.com/redis/go-redis", "github.com/casbin/", "github.com/twilio/",
}

type pkg struct {
	ImportPath string
	Imports    []string
	Deps       []string
}

func listPackages(t *testing.T) []pkg {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps=false", "-json", module+"/internal/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []pkg
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

func TestDomainPackagesDependInward(t *testing.T) {
	t.Parallel()
	pkgs := listPackages(t)
	domains := 0
	for _, p := range pkgs {
		rel := strings.TrimPrefix(p.ImportPath, module+"/")
		if adapters[rel] {
			continue
		}
		domains++
		// Deps is transitive: an infrastructure import anywhere below is caught.
		for _, d := range p.Deps {
			for _, f := range forbidden {
				if strings.HasPrefix(d, f) {
					t.Errorf("%s depends on %s; domain packages must not (declare an interface instead)", rel, d)
				}
			}
		}
		for _, imp := range p.Imports {
			if !strings.HasPrefix(imp, module+"/") {
				continue
			}
			irel := strings.TrimPrefix(imp, module+"/")
			if !shared[irel] {
				t.Errorf("%s imports %s; domain packages may import only apperr and tenant from this module", rel, irel)
			}
		}
	}
	if domains < 3 {
		t.Fatalf("checked only %d domain packages; the package list is wrong", domains)
	}
}
