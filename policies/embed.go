// Package policies embeds the authorization model and the permission table
// of Mottagning: model.conf (RBAC with one domain per data controller) and
// policy.csv (what each role may do to each object type). Both are
// code-reviewed text that a data-protection officer can read; who holds which
// role lives in the database and is loaded by internal/authz.
package policies

import "embed"

// FS holds model.conf and policy.csv.
//
//go:embed model.conf policy.csv
var FS embed.FS
