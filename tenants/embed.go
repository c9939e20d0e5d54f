// Package tenants carries the kommun registry: one YAML file per kommun of
// Stockholm County, embedded so the binary needs no files beside it. The
// files are read and validated by internal/tenant.LoadDir and made real in
// the database by "mottagning tenants apply".
package tenants

import "embed"

// FS holds every *.yaml registry file at its root.
//
//go:embed *.yaml
var FS embed.FS
