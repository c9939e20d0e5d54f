package tenant

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// LoadDir reads every *.yaml file at the root of fsys as a kommun
// Definition and returns them sorted by slug. Decoding is strict: an unknown
// field is an error. On failure it returns nil and every problem found, one
// error per problem joined with errors.Join, each naming the file and the
// field: `nacka.yaml: code: must be 4 digits starting with 01 (got "182")`.
// Besides Validate's rules it rejects a slug that differs from its file name,
// a slug or code used by two files, and a directory with no files.
func LoadDir(fsys fs.FS) ([]Definition, error) {
	names, err := fs.Glob(fsys, "*.yaml")
	if err != nil {
		return nil, fmt.Errorf("tenant.LoadDir: %w", err)
	}
	if len(names) == 0 {
		return nil, errors.New("tenant.LoadDir: no kommun definitions (*.yaml) found")
	}
	var (
		defs   []Definition
		errs   []error
		bySlug = map[string]string{} // slug -> file that has it
		byCode = map[string]string{}
	)
	for _, name := range names {
		d, ok, fileErrs := loadFile(fsys, name)
		errs = append(errs, fileErrs...)
		if !ok {
			continue
		}
		errs = appendIf(errs, claim(bySlug, name, "slug", d.Slug))
		errs = appendIf(errs, claim(byCode, name, "code", d.Code))
		defs = append(defs, d)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	slices.SortFunc(defs, func(a, b Definition) int { return strings.Compare(a.Slug, b.Slug) })
	return defs, nil
}

// loadFile decodes and checks one file. ok is false when the file could not
// be decoded at all; errs then says why.
func loadFile(fsys fs.FS, name string) (d Definition, ok bool, errs []error) {
	d, err := decode(fsys, name)
	var typeErr *yaml.TypeError
	switch {
	case errors.As(err, &typeErr):
		// Unknown or mistyped fields: the rest decoded, so check it too.
		for _, msg := range typeErr.Errors {
			errs = append(errs, fmt.Errorf("%s: %s", name, msg))
		}
	case err != nil:
		return d, false, []error{fmt.Errorf("%s: %w", name, err)}
	}
	var ve *ValidationError
	if errors.As(d.Validate(), &ve) {
		for _, p := range ve.Problems {
			errs = append(errs, fmt.Errorf("%s: %s", name, p))
		}
	}
	if want := strings.TrimSuffix(name, ".yaml"); d.Slug != "" && d.Slug != want {
		errs = append(errs, fmt.Errorf("%s: slug: must equal the file name (got %q, want %q)", name, d.Slug, want))
	}
	return d, true, errs
}

// decode reads exactly one YAML document from the file, rejecting unknown fields.
func decode(fsys fs.FS, name string) (Definition, error) {
	var d Definition
	f, err := fsys.Open(name)
	if err != nil {
		return d, err
	}
	defer f.Close()
	dec := yaml.NewDecoder(f)
	dec.KnownFields(true)
	if err := dec.Decode(&d); err != nil {
		if errors.Is(err, io.EOF) {
			return d, errors.New("file holds no YAML document")
		}
		return d, err
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil:
		return d, errors.New("file holds more than one YAML document")
	case !errors.Is(err, io.EOF):
		return d, err
	}
	return d, nil
}

// claim records that file uses value for field, or says which file already does.
func claim(seen map[string]string, file, field, value string) error {
	if value == "" {
		return nil
	}
	if other, taken := seen[value]; taken {
		return fmt.Errorf("%s: %s: %q is already used by %s", file, field, value, other)
	}
	seen[value] = file
	return nil
}

func appendIf(errs []error, err error) []error {
	if err != nil {
		return append(errs, err)
	}
	return errs
}
