package audit

// Platform admins' acts on the kommun registry (issue 4). Each entry's
// subject is the kommun's slug: the act concerns no user, and the slug
// names what was acted on without being personal data. KommunOffboard is
// declared with the other actions in audit.go.
const (
	KommunOnboard Action = "kommun.onboard"
	KommunSuspend Action = "kommun.suspend"
	KommunResume  Action = "kommun.resume"
)
