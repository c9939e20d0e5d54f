// Package i18n translates the user interface. Messages live in
// web/i18n/<area>.<lang>.toml (go-i18n v2 format), one file per area of the
// service and language; Swedish is the default
// language and the fallback for anything missing in another language.
//
// The UI language follows the browser's Accept-Language header (promise
// P11: device information is used only to present the service well), and
// the header is never stored.
package i18n

import (
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"
	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

// Default is the language used when nothing better matches.
const Default = "sv"

// supported lists the UI languages, default first. Every one of them must
// have a message file.
var supported = []language.Tag{language.Swedish, language.English}

var matcher = language.NewMatcher(supported)

// Translator looks up translated messages. It is safe for concurrent use.
type Translator struct {
	bundle     *goi18n.Bundle
	localizers map[string]*goi18n.Localizer
	ids        map[string]map[string]bool // lang -> message ids
}

// New loads every i18n/*.<lang>.toml from fsys (a file system rooted at
// web/, such as web.FS). It fails if a supported language has no file.
func New(fsys fs.FS) (*Translator, error) {
	bundle := goi18n.NewBundle(language.Swedish)
	bundle.RegisterUnmarshalFunc("toml", toml.Unmarshal)

	files, err := fs.Glob(fsys, "i18n/*.toml")
	if err != nil {
		return nil, fmt.Errorf("i18n: list message files: %w", err)
	}
	tr := &Translator{
		bundle:     bundle,
		localizers: make(map[string]*goi18n.Localizer),
		ids:        make(map[string]map[string]bool),
	}
	for _, f := range files {
		mf, err := bundle.LoadMessageFileFS(fsys, f)
		if err != nil {
			return nil, fmt.Errorf("i18n: load %s: %w", f, err)
		}
		lang := langOfFile(f)
		if mf.Tag.String() != lang {
			return nil, fmt.Errorf("i18n: %s: file name does not name a language", f)
		}
		ids := tr.ids[lang]
		if ids == nil {
			ids = make(map[string]bool)
			tr.ids[lang] = ids
		}
		for _, m := range mf.Messages {
			ids[m.ID] = true
		}
	}
	for _, tag := range supported {
		lang := tag.String()
		if len(tr.ids[lang]) == 0 {
			return nil, fmt.Errorf("i18n: no messages for %q (want i18n/<area>.%s.toml)", lang, lang)
		}
		tr.localizers[lang] = goi18n.NewLocalizer(bundle, lang)
	}
	return tr, nil
}

// T returns the message id in lang (falling back to Swedish). It never
// panics; an unknown id is returned as it is.
func (tr *Translator) T(lang, id string) string {
	return tr.Tf(lang, id, nil)
}

// Tf is T with template data for the message, e.g. {{.Name}}.
func (tr *Translator) Tf(lang, id string, data any) (msg string) {
	if tr == nil {
		return id
	}
	defer func() {
		if recover() != nil {
			msg = id
		}
	}()
	loc := tr.localizers[lang]
	if loc == nil {
		loc = tr.localizers[Default]
	}
	out, err := loc.Localize(&goi18n.LocalizeConfig{MessageID: id, TemplateData: data})
	if out == "" && err != nil {
		return id
	}
	return out
}

// Has reports whether lang has its own message id (no fallback).
func (tr *Translator) Has(lang, id string) bool {
	return tr != nil && tr.ids[lang][id]
}

// IDs returns the message ids of lang, sorted.
func (tr *Translator) IDs(lang string) []string {
	if tr == nil {
		return nil
	}
	ids := make([]string, 0, len(tr.ids[lang]))
	for id := range tr.ids[lang] {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// Languages returns the supported UI languages, default first.
func Languages() []string {
	out := make([]string, len(supported))
	for i, t := range supported {
		out[i] = t.String()
	}
	return out
}

// Supported reports whether lang is a UI language ("sv" or "en").
func Supported(lang string) bool {
	for _, t := range supported {
		if t.String() == lang {
			return true
		}
	}
	return false
}

// Match picks the UI language for an Accept-Language header: "sv" or "en",
// Swedish when the header is empty, invalid or names neither.
func Match(acceptLanguage string) string {
	if strings.TrimSpace(acceptLanguage) == "" {
		return Default
	}
	tags, _, err := language.ParseAcceptLanguage(acceptLanguage)
	if err != nil || len(tags) == 0 {
		return Default
	}
	_, i, conf := matcher.Match(tags...)
	if conf == language.No || i < 0 || i >= len(supported) {
		return Default
	}
	return supported[i].String()
}

// Match is the package-level Match, for callers holding a Translator.
func (tr *Translator) Match(acceptLanguage string) string { return Match(acceptLanguage) }

// Supported is the package-level Supported, for callers holding a Translator.
func (tr *Translator) Supported(lang string) bool { return Supported(lang) }

// langOfFile returns the language a message file is for: the part of its
// name before ".toml" and after the last other dot ("profile.sv.toml" is sv).
func langOfFile(name string) string {
	base := strings.TrimSuffix(path.Base(name), ".toml")
	return base[strings.LastIndex(base, ".")+1:]
}
