package tenant

import (
	"time"

	"github.com/google/uuid"
)

// Contact is how a kommun's youth clinic is reached. Shown on its public page.
type Contact struct {
	Phone   string `yaml:"phone"`
	Email   string `yaml:"email"`
	Address string `yaml:"address"`
	Website string `yaml:"website"` // optional
}

// Definition is one kommun as the registry file tenants/<slug>.yaml states it.
// Slug, name and code identify the kommun; contact details and the privacy
// policy may be demo placeholders, which Demo then says.
type Definition struct {
	Slug             string  `yaml:"slug"` // URL path segment; equals the file name without .yaml
	Name             string  `yaml:"name"` // official name, e.g. "Nacka kommun", "Stockholms stad"
	Code             string  `yaml:"code"` // SCB kommunkod, e.g. "0182"
	Demo             bool    `yaml:"demo"` // contact and privacy_policy_url are placeholders
	Contact          Contact `yaml:"contact"`
	PrivacyPolicyURL string  `yaml:"privacy_policy_url"` // the kommun's own policy (P8)
}

// Status is where a kommun is in its life on the platform.
type Status string

// The statuses. Only an active kommun serves youth; a suspended one keeps its
// data but takes no new cases; an offboarded one is on its way out.
const (
	StatusActive     Status = "active"
	StatusSuspended  Status = "suspended"
	StatusOffboarded Status = "offboarded"
)

// Valid reports whether s is one of the known statuses.
func (s Status) Valid() bool {
	switch s {
	case StatusActive, StatusSuspended, StatusOffboarded:
		return true
	}
	return false
}

// Kommun is a registry entry as the database holds it: the definition from
// its file plus the identity and state the platform gives it.
type Kommun struct {
	ID uuid.UUID
	Definition
	Status    Status
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Active reports whether the kommun serves youth.
func (k Kommun) Active() bool { return k.Status == StatusActive }
