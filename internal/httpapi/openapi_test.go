package httpapi

import (
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestOpenAPIDocumentsEveryAPIRoute holds docs/openapi.yaml and the app to
// each other: every /api/v1/ route the app serves is documented with its
// method, and every documented operation is served.
func TestOpenAPIDocumentsEveryAPIRoute(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("../../docs/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("docs/openapi.yaml: %v", err)
	}
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for method := range ops {
			if slices.Contains([]string{"get", "put", "post", "delete", "patch"}, method) {
				documented[strings.ToUpper(method)+" "+path] = true
			}
		}
	}

	param := regexp.MustCompile(`:([A-Za-z_]+)`)
	served := map[string]bool{}
	e := newEnv(t)
	for _, r := range e.app.GetRoutes(true) {
		if !strings.HasPrefix(r.Path, "/api/v1/") || r.Method == http.MethodHead || r.Method == http.MethodOptions {
			continue
		}
		// Routing is not strict: a group's "/" route answers without the slash.
		served[r.Method+" "+strings.TrimSuffix(param.ReplaceAllString(r.Path, "{$1}"), "/")] = true
	}
	if len(served) == 0 {
		t.Fatal("the app serves no /api/v1/ route")
	}
	for op := range served {
		if !documented[op] {
			t.Errorf("%s is served but not in docs/openapi.yaml", op)
		}
	}
	for op := range documented {
		if strings.Contains(op, " /api/v1/") && !served[op] {
			t.Errorf("%s is in docs/openapi.yaml but not served", op)
		}
	}
}
