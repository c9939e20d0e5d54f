// Package tenant knows the kommuner (the tenants) and on whose behalf work
// is done. The registry of kommuner is text under tenants/, read and
// validated here by LoadDir; a Kommun is a registry entry as the database
// holds it. Acting and its context helpers carry the actor and the kommun
// from the edge of a request or job down to the stores, which hand them to
// PostgreSQL's row-level security.
package tenant
