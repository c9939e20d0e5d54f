package tenant

import (
	"context"

	"github.com/google/uuid"
)

// ActorKind says on whose behalf work is done. It is written to the
// database as app.actor and read by the row-level security policies.
type ActorKind string

// The actor kinds the policies know.
const (
	ActorAnonymous ActorKind = "anonymous" // a visitor without an account
	ActorYouth     ActorKind = "youth"     // a signed-in youth account
	ActorStaff     ActorKind = "staff"     // a counsellor or reception admin, acting in one kommun
	ActorPlatform  ActorKind = "platform"  // a Storsthlm platform admin
	ActorSystem    ActorKind = "system"    // a job or a command acting for the platform
)

// Acting is the acting context of one unit of work: who acts and for which
// controller. The zero value acts for nobody and sees nothing.
type Acting struct {
	Actor     ActorKind
	KommunID  uuid.UUID // the kommun whose data is touched; uuid.Nil for platform data
	AccountID uuid.UUID // the youth account or staff member acting; uuid.Nil if none
	Role      string    // the staff role in the kommun, for the access log
	// ConversationID is the one chat conversation an anonymous visitor may
	// reach, set only after the server verified its token (issue 7).
	ConversationID uuid.UUID
}

type actingKey struct{}

// WithActing returns a context carrying a.
func WithActing(ctx context.Context, a Acting) context.Context {
	return context.WithValue(ctx, actingKey{}, a)
}

// ActingFrom returns the acting context of ctx; the zero Acting if none was set.
func ActingFrom(ctx context.Context) Acting {
	a, _ := ctx.Value(actingKey{}).(Acting)
	return a
}

// System returns the acting context of a platform job or command.
func System() Acting { return Acting{Actor: ActorSystem} }

// ForKommun returns a copy of a acting for kommun id.
func (a Acting) ForKommun(id uuid.UUID) Acting { a.KommunID = id; return a }
