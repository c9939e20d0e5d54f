//go:build ignore

// Command openapi2jsonschema turns Kubernetes OpenAPI v3 documents into the standalone,
// strict JSON Schema files that kubeconform reads, so scripts/check-chart.sh can run
// kubeconform without fetching schemas from GitHub.
//
//	go run scripts/openapi2jsonschema.go <openapi-v3-dir> <out-dir>
//
// <openapi-v3-dir> is kubernetes/kubernetes' api/openapi-spec/v3 (check-chart.sh takes it
// from the k8s.io/kubernetes module, fetched through the Go module proxy), or any directory
// of api/v1.json, apis/<group>/<version>.json. For every kind of each group-version it writes
// <out-dir>/<kind><suffix>.json, matching kubeconform's {{ .ResourceKind }}{{ .KindSuffix }}
// (e.g. deployment-apps-v1.json, networkpolicy-networking-v1.json, service-v1.json), with
// every $ref inlined, additionalProperties false wherever properties are declared (what
// kubeconform -strict expects), and null accepted for optional fields.
//
// Standard library only, and excluded from builds by its build tag, so it adds nothing to
// the module's dependencies.
package main

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

type schema = map[string]any

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: openapi2jsonschema <openapi-v3-dir> <out-dir>")
		os.Exit(2)
	}
	in, out := os.Args[1], os.Args[2]
	if err := os.MkdirAll(out, 0o755); err != nil {
		fatal(err)
	}
	n := 0
	err := filepath.WalkDir(in, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") {
			return err
		}
		rel, _ := filepath.Rel(in, path)
		group, version, ok := groupVersion(filepath.ToSlash(rel))
		if !ok {
			return nil
		}
		written, err := convertDocument(path, group, version, out)
		n += written
		return err
	})
	if err != nil {
		fatal(err)
	}
	if n == 0 {
		fatal(fmt.Errorf("no kinds found under %s", in))
	}
	fmt.Printf("openapi2jsonschema: wrote %d schemas to %s\n", n, out)
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "openapi2jsonschema:", err)
	os.Exit(1)
}

// groupVersion maps a document's path to its group and version. Two layouts are read:
// kubernetes/kubernetes api/openapi-spec/v3 (api__v1_openapi.json,
// apis__apps__v1_openapi.json) and the served paths (api/v1.json, apis/apps/v1.json).
// Discovery documents such as apis__apps_openapi.json are skipped.
func groupVersion(rel string) (group, version string, ok bool) {
	rel = strings.TrimSuffix(rel, ".json")
	var parts []string
	if strings.HasSuffix(rel, "_openapi") && !strings.Contains(rel, "/") {
		parts = strings.Split(strings.TrimSuffix(rel, "_openapi"), "__")
	} else {
		parts = strings.Split(rel, "/")
	}
	switch {
	case len(parts) == 2 && parts[0] == "api":
		return "", parts[1], true
	case len(parts) == 3 && parts[0] == "apis":
		return parts[1], parts[2], true
	}
	return "", "", false
}

func convertDocument(path, group, version, out string) (int, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	var doc struct {
		Components struct {
			Schemas map[string]schema `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	c := converter{defs: doc.Components.Schemas, active: map[string]bool{}}
	n := 0
	for name, def := range c.defs {
		gvks, _ := def["x-kubernetes-group-version-kind"].([]any)
		for _, g := range gvks {
			gvk, _ := g.(map[string]any)
			if gvk["group"] != group || gvk["version"] != version {
				continue // e.g. meta/v1 kinds listed under every group
			}
			kind, _ := gvk["kind"].(string)
			c.active[name] = true
			s := c.convert(def, true)
			delete(c.active, name)
			s["$schema"] = "http://json-schema.org/draft-04/schema#"
			data, err := json.Marshal(s)
			if err != nil {
				return n, err
			}
			file := filepath.Join(out, strings.ToLower(kind)+kindSuffix(group, version)+".json")
			if err := os.WriteFile(file, data, 0o644); err != nil {
				return n, err
			}
			n++
		}
	}
	return n, nil
}

// kindSuffix mirrors kubeconform's registry.schemaPath.
func kindSuffix(group, version string) string {
	if group == "" {
		return "-" + strings.ToLower(version)
	}
	return "-" + strings.ToLower(strings.Split(group, ".")[0]) + "-" + strings.ToLower(version)
}

type converter struct {
	defs   map[string]schema
	active map[string]bool // definitions being inlined (recursion guard)
}

const refPrefix = "#/components/schemas/"

// convert returns a fresh JSON Schema (draft 4) for s with references inlined.
func (c converter) convert(s schema, required bool) schema {
	if ref := refOf(s); ref != "" {
		name := strings.TrimPrefix(ref, refPrefix)
		def, ok := c.defs[name]
		if !ok || c.active[name] {
			return schema{} // unknown or recursive (e.g. JSONSchemaProps): accept anything
		}
		c.active[name] = true
		defer delete(c.active, name)
		return c.convert(def, required)
	}
	res := schema{}
	var req []any
	for k, v := range s {
		switch k {
		case "type", "enum", "minimum", "maximum", "minLength", "maxLength", "pattern",
			"minItems", "maxItems", "uniqueItems", "minProperties", "maxProperties":
			res[k] = v
		case "required":
			req, _ = v.([]any)
			res[k] = v
		case "items":
			if m, ok := v.(map[string]any); ok {
				res[k] = c.convert(m, true)
			}
		case "additionalProperties":
			if m, ok := v.(map[string]any); ok {
				res[k] = c.convert(m, true)
			} else {
				res[k] = v
			}
		case "oneOf", "anyOf", "allOf":
			var list []any
			for _, e := range v.([]any) {
				if m, ok := e.(map[string]any); ok {
					list = append(list, c.convert(m, true))
				}
			}
			res[k] = list
		}
	}
	if props, ok := s["properties"].(map[string]any); ok {
		isReq := map[string]bool{}
		for _, r := range req {
			if name, ok := r.(string); ok {
				isReq[name] = true
			}
		}
		out := schema{}
		for name, p := range props {
			if m, ok := p.(map[string]any); ok {
				out[name] = c.convert(m, isReq[name])
			}
		}
		res["properties"] = out
		if _, ok := res["additionalProperties"]; !ok && s["x-kubernetes-preserve-unknown-fields"] != true {
			res["additionalProperties"] = false
		}
	}
	if !required {
		nullable(res)
	}
	return res
}

// refOf returns the $ref of s, also when wrapped as allOf: [{$ref}] (how the v3 spec
// attaches a description or default to a reference).
func refOf(s schema) string {
	if r, ok := s["$ref"].(string); ok {
		return r
	}
	if all, ok := s["allOf"].([]any); ok && len(all) == 1 {
		if m, ok := all[0].(map[string]any); ok {
			if r, ok := m["$ref"].(string); ok {
				return r
			}
		}
	}
	return ""
}

// nullable lets an optional field be written as null (e.g. an empty "annotations:").
func nullable(s schema) {
	switch t := s["type"].(type) {
	case string:
		s["type"] = []any{t, "null"}
		if enum, ok := s["enum"].([]any); ok {
			s["enum"] = append(enum, nil)
		}
	case nil:
		if list, ok := s["oneOf"].([]any); ok {
			s["oneOf"] = append(list, schema{"type": "null"})
		}
	}
}
