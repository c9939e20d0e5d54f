package reception

import (
	"time"

	"github.com/google/uuid"
)

// AdminAction is one recorded administrative act in a kommun: who (staff
// id, name and role at the time), what and when.
type AdminAction struct {
	At        time.Time
	StaffID   uuid.UUID // uuid.Nil once the staff identity is gone
	StaffName string    // "" once the staff identity is gone
	StaffRole string
	Action    string // e.g. "reception.publish"; see internal/audit
	Detail    string
}

// Member is a staff member of a kommun as the staff page lists them.
type Member struct {
	StaffID     uuid.UUID
	Email       string
	DisplayName string
	Role        string
	Since       time.Time
}

// Published is a kommun's published page with when it was published.
type Published struct {
	KommunID    uuid.UUID
	Page        Page
	PublishedAt time.Time
}

// Draft is a kommun's draft with when it was last saved; Saved is false
// when no draft exists yet.
type Draft struct {
	Page      Page
	Saved     bool
	UpdatedAt time.Time
}
