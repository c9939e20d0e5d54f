package authz

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"strings"

	"github.com/casbin/casbin/v2/model"
	"github.com/casbin/casbin/v2/persist"
	"github.com/google/uuid"

	"github.com/storsthlm/mottagning/policies"
)

// Membership says that a staff member holds a role in a domain: a counsellor
// or reception admin in KommunDomain(slug), or a platform admin in
// PlatformDomain.
type Membership struct {
	StaffID uuid.UUID
	Domain  string
	Role    string
}

// MembershipSource lists every membership in force. The PostgreSQL store
// implements it; it is read on every reload.
type MembershipSource interface {
	Memberships(ctx context.Context) ([]Membership, error)
}

// ErrReadOnly is returned by the adapter's write methods: memberships are
// changed in the database, and permissions in policies/policy.csv, never
// through the enforcer.
var ErrReadOnly = errors.New("authz: policy is read-only here; memberships are changed in the database and permissions in policies/policy.csv")

// Adapter is a Casbin persist.Adapter (and persist.ContextAdapter) that loads
// the p rows of the embedded policies/policy.csv and a g row for every valid
// membership of its MembershipSource. Invalid memberships are skipped with a
// warning naming the staff id and the reason.
type Adapter struct {
	src   MembershipSource
	log   *slog.Logger
	rules [][]string // p rows without the leading "p"
}

var (
	_ persist.Adapter        = (*Adapter)(nil)
	_ persist.ContextAdapter = (*Adapter)(nil)
)

// NewAdapter returns an adapter over src, logging skipped memberships to log
// (slog.Default() if nil). It returns an error if the embedded policy.csv
// cannot be read or breaks a rule of the catalogue.
func NewAdapter(src MembershipSource, log *slog.Logger) (*Adapter, error) {
	if log == nil {
		log = slog.Default()
	}
	rules, err := readPolicy()
	if err != nil {
		return nil, err
	}
	return &Adapter{src: src, log: log, rules: rules}, nil
}

// LoadPolicy loads all rules into m, reading memberships without a deadline;
// prefer LoadPolicyCtx.
func (a *Adapter) LoadPolicy(m model.Model) error {
	return a.LoadPolicyCtx(context.Background(), m)
}

// LoadPolicyCtx loads all rules into m. It returns an error, leaving m
// partly filled, if the MembershipSource fails.
func (a *Adapter) LoadPolicyCtx(ctx context.Context, m model.Model) error {
	for _, r := range a.rules {
		if err := persist.LoadPolicyArray(append([]string{"p"}, r...), m); err != nil {
			return fmt.Errorf("authz: loading policy row %v: %w", r, err)
		}
	}
	ms, err := a.src.Memberships(ctx)
	if err != nil {
		return fmt.Errorf("authz: reading memberships: %w", err)
	}
	for _, mb := range ms {
		if err := checkMembership(mb); err != nil {
			a.log.Warn("authz: membership skipped", "staff_id", mb.StaffID.String(), "reason", err.Error())
			continue
		}
		rule := []string{"g", StaffSubject(mb.StaffID), mb.Role, mb.Domain}
		if err := persist.LoadPolicyArray(rule, m); err != nil {
			return fmt.Errorf("authz: loading membership of staff %s: %w", mb.StaffID, err)
		}
	}
	return nil
}

// checkMembership returns an error unless mb names a staff member, a staff
// role and a concrete domain of the scope that role is held in.
func checkMembership(mb Membership) error {
	if mb.StaffID == uuid.Nil {
		return errors.New("nil staff id")
	}
	want, ok := staffRoles[mb.Role]
	if !ok {
		return fmt.Errorf("unknown role %.40q", mb.Role)
	}
	got, err := domainScope(mb.Domain)
	if err != nil {
		return err
	}
	if got != want {
		return fmt.Errorf("role %s cannot be held in domain %.80q", mb.Role, mb.Domain)
	}
	return nil
}

// SavePolicy returns ErrReadOnly.
func (a *Adapter) SavePolicy(model.Model) error { return ErrReadOnly }

// AddPolicy returns ErrReadOnly.
func (a *Adapter) AddPolicy(string, string, []string) error { return ErrReadOnly }

// RemovePolicy returns ErrReadOnly.
func (a *Adapter) RemovePolicy(string, string, []string) error { return ErrReadOnly }

// RemoveFilteredPolicy returns ErrReadOnly.
func (a *Adapter) RemoveFilteredPolicy(string, string, int, ...string) error { return ErrReadOnly }

// SavePolicyCtx returns ErrReadOnly.
func (a *Adapter) SavePolicyCtx(context.Context, model.Model) error { return ErrReadOnly }

// AddPolicyCtx returns ErrReadOnly.
func (a *Adapter) AddPolicyCtx(context.Context, string, string, []string) error { return ErrReadOnly }

// RemovePolicyCtx returns ErrReadOnly.
func (a *Adapter) RemovePolicyCtx(context.Context, string, string, []string) error {
	return ErrReadOnly
}

// RemoveFilteredPolicyCtx returns ErrReadOnly.
func (a *Adapter) RemoveFilteredPolicyCtx(context.Context, string, string, int, ...string) error {
	return ErrReadOnly
}

// readPolicy returns the p rows of the embedded policy.csv (without the
// leading "p"), or an error naming the first line that is malformed or
// breaks the catalogue.
func readPolicy() ([][]string, error) {
	text, err := fs.ReadFile(policies.FS, "policy.csv")
	if err != nil {
		return nil, fmt.Errorf("authz: reading policy.csv: %w", err)
	}
	r := csv.NewReader(strings.NewReader(string(text)))
	r.Comment = '#'
	r.TrimLeadingSpace = true
	r.FieldsPerRecord = 5
	var rules [][]string
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return rules, nil
		}
		if err != nil {
			return nil, fmt.Errorf("authz: policy.csv: %w", err)
		}
		line, _ := r.FieldPos(0)
		if err := checkRule(rec); err != nil {
			return nil, fmt.Errorf("authz: policy.csv line %d: %w", line, err)
		}
		rules = append(rules, rec[1:])
	}
}

// checkRule returns an error unless rec is "p, role, domain, object, action"
// with a known role, a domain pattern ("kommun:*" or "platform") of the
// object's scope that the role may be granted in, and an action of the object.
func checkRule(rec []string) error {
	if rec[0] != "p" {
		return fmt.Errorf("only p rows belong here, got %q", rec[0])
	}
	role, dom, obj, act := rec[1], rec[2], rec[3], rec[4]
	if _, ok := roleScopes[role]; !ok {
		return fmt.Errorf("unknown role %q", role)
	}
	var s scope
	switch dom {
	case kommunPrefix + "*":
		s = scopeKommun
	case PlatformDomain:
		s = scopePlatform
	default:
		return fmt.Errorf("domain must be kommun:* or platform, got %q", dom)
	}
	spec, ok := catalogue[obj]
	switch {
	case !ok:
		return fmt.Errorf("unknown object %q", obj)
	case spec.scope != s:
		return fmt.Errorf("object %s does not belong in domain %s", obj, dom)
	case !knownAction(obj, act):
		return fmt.Errorf("unknown action %q for object %s", act, obj)
	case !roleMayHold(role, s):
		return fmt.Errorf("role %s may not be granted anything in %s", role, dom)
	}
	return nil
}
