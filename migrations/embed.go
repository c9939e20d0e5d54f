// Package migrations holds the SQL schema of Mottagning as numbered tern
// migrations, embedded in the binary. They run as mottagning_owner through
// `mottagning migrate`; see internal/postgres.Migrate.
package migrations

import "embed"

// FS holds every migration file.
//
//go:embed *.sql
var FS embed.FS
