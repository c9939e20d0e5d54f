package onboarding

import (
	"time"

	"github.com/google/uuid"

	"github.com/storsthlm/mottagning/internal/tenant"
)

// Overview is one row of the platform admins' console: the registry entry
// and two facts about the kommun that are counts, never its data (P20).
type Overview struct {
	tenant.Kommun
	StaffCount    int  // memberships in the kommun
	PagePublished bool // its reception page is published
}

// SealFunc turns a kommun's exported files into a sealed archive. The
// store calls it inside the offboarding transaction, between export and
// deletion, so that nothing is deleted unless the archive exists.
type SealFunc func(k tenant.Kommun, files []File) (Sealed, error)

// Offboarded is what an offboarding did: the stored archive and its key
// (never stored), and how many rows of each table were deleted.
type Offboarded struct {
	Kommun    tenant.Kommun
	ExportID  uuid.UUID
	FileName  string
	Size      int
	ExpiresAt time.Time
	Key       string // Sealed.KeyText; shown or sent once
	Deleted   map[string]int64
}

// Export is a stored, sealed archive as a platform admin downloads it.
type Export struct {
	ID         uuid.UUID
	KommunID   uuid.UUID
	FileName   string
	Ciphertext []byte
	SHA256     []byte
	CreatedAt  time.Time
	ExpiresAt  time.Time
}

// SealAt returns the SealFunc of an offboarding at time at: the files zipped
// with a readme and sealed under a new key.
func SealAt(at time.Time) SealFunc {
	return func(k tenant.Kommun, files []File) (Sealed, error) {
		plain, err := Zip(k, at, files)
		if err != nil {
			return Sealed{}, err
		}
		return Seal(k.Slug, plain)
	}
}
