// Package web is the server-rendered front end of Mottagning: the HTML
// templates (rendered by the Fiber html engine), the static assets (CSS,
// JavaScript, icons) and the translation files. Everything is embedded in
// the binary and served by it; no page loads anything from another site
// (promise S3).
package web

import "embed"

// FS holds templates/, static/ and i18n/, rooted at web/.
//
//go:embed templates static i18n
var FS embed.FS
