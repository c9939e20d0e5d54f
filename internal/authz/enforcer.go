package authz

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"
	"github.com/casbin/casbin/v2/persist"

	"github.com/storsthlm/mottagning/policies"
)

// Options configure an Enforcer. The zero value is usable.
type Options struct {
	// Logger receives reload failures and skipped memberships; slog.Default()
	// if nil. Only staff ids, roles and domains are logged.
	Logger *slog.Logger
	// Watcher, if set, tells other instances about membership changes
	// (NotifyChanged) and wakes Run when they report theirs.
	Watcher persist.Watcher
	// ReloadInterval is how often Run reloads without being told; 30s if 0.
	ReloadInterval time.Duration
	// ReloadTimeout bounds each reload done by Run; 10s if 0.
	ReloadTimeout time.Duration
}

// Enforcer answers authorization questions. It is safe for concurrent use:
// a reload builds a new Casbin enforcer and swaps it in whole, so a question
// never sees a half-loaded policy and is never blocked by a reload.
type Enforcer struct {
	adapter  *Adapter
	modelTxt string
	log      *slog.Logger
	watcher  persist.Watcher
	interval time.Duration
	timeout  time.Duration

	current  atomic.Pointer[casbin.Enforcer]
	reloadMu sync.Mutex    // one reload at a time, so a slow old load cannot overwrite a newer one
	changed  chan struct{} // capacity 1: notifications that arrive during a reload coalesce
}

// New returns an Enforcer loaded from the embedded policy and src. If
// opts.Watcher is set, New installs its update callback. It returns an error
// if the embedded files are invalid or the first load fails.
func New(ctx context.Context, src MembershipSource, opts Options) (*Enforcer, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.ReloadInterval <= 0 {
		opts.ReloadInterval = 30 * time.Second
	}
	if opts.ReloadTimeout <= 0 {
		opts.ReloadTimeout = 10 * time.Second
	}
	text, err := fs.ReadFile(policies.FS, "model.conf")
	if err != nil {
		return nil, fmt.Errorf("authz: reading model.conf: %w", err)
	}
	a, err := NewAdapter(src, opts.Logger)
	if err != nil {
		return nil, err
	}
	e := &Enforcer{
		adapter: a, modelTxt: string(text), log: opts.Logger, watcher: opts.Watcher,
		interval: opts.ReloadInterval, timeout: opts.ReloadTimeout,
		changed: make(chan struct{}, 1),
	}
	if err := e.Reload(ctx); err != nil {
		return nil, err
	}
	if e.watcher != nil {
		if err := e.watcher.SetUpdateCallback(func(string) { e.wake() }); err != nil {
			return nil, fmt.Errorf("authz: setting watcher callback: %w", err)
		}
	}
	return e, nil
}

// Allowed reports whether sub may perform act on obj in dom. sub is
// RoleAnonymous, RoleYouth or StaffSubject(id); dom is PlatformDomain or
// KommunDomain(slug). It returns false and an error if any argument is
// malformed or obj/act is not a pair of the catalogue, so that a typo is a
// bug report rather than a silent denial.
func (e *Enforcer) Allowed(sub, dom, obj, act string) (bool, error) {
	if err := checkSubject(sub); err != nil {
		return false, err
	}
	if _, err := domainScope(dom); err != nil {
		return false, err
	}
	if !knownAction(obj, act) {
		return false, fmt.Errorf("authz: unknown object/action %.40q/%.40q", obj, act)
	}
	ok, err := e.current.Load().Enforce(sub, dom, obj, act)
	if err != nil {
		return false, fmt.Errorf("authz: enforce: %w", err)
	}
	return ok, nil
}

// Reload loads the policy and the memberships afresh and swaps them in. On
// error the previous policy stays in force.
func (e *Enforcer) Reload(ctx context.Context) error {
	e.reloadMu.Lock()
	defer e.reloadMu.Unlock()
	m, err := model.NewModelFromString(e.modelTxt)
	if err != nil {
		return fmt.Errorf("authz: parsing model.conf: %w", err)
	}
	if err := e.adapter.LoadPolicyCtx(ctx, m); err != nil {
		return err
	}
	// Without an adapter NewEnforcer keeps the rules already in m; the
	// adapter is attached afterwards so that any write is refused.
	ce, err := casbin.NewEnforcer(m)
	if err != nil {
		return fmt.Errorf("authz: building enforcer: %w", err)
	}
	if err := ce.BuildRoleLinks(); err != nil {
		return fmt.Errorf("authz: building role links: %w", err)
	}
	ce.SetAdapter(e.adapter)
	e.current.Store(ce)
	return nil
}

// NotifyChanged is called after a membership change is committed: it
// reloads this instance and tells the others through the watcher. It
// returns the reload and publish errors, if any; either way the periodic
// reload catches up.
func (e *Enforcer) NotifyChanged(ctx context.Context) error {
	err := e.Reload(ctx)
	if e.watcher != nil {
		var perr error
		if p, ok := e.watcher.(interface{ Publish(context.Context) error }); ok {
			perr = p.Publish(ctx)
		} else {
			perr = e.watcher.Update()
		}
		err = errors.Join(err, perr)
	}
	return err
}

// Run reloads on every notification from the watcher and every
// ReloadInterval until ctx is done, logging failures and keeping the
// previous policy when a reload fails. It returns nil when ctx is done.
func (e *Enforcer) Run(ctx context.Context) error {
	t := time.NewTicker(e.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-e.changed:
		}
		rctx, cancel := context.WithTimeout(ctx, e.timeout)
		err := e.Reload(rctx)
		cancel()
		if err != nil && ctx.Err() == nil {
			e.log.Warn("authz: reload failed; previous policy stays in force", "err", err)
		}
	}
}

// wake asks Run to reload; it never blocks, so the watcher's goroutine is
// never held up.
func (e *Enforcer) wake() {
	select {
	case e.changed <- struct{}{}:
	default:
	}
}

// RoleIn returns the role sub holds in dom, or "" if none. Staff hold at
// most one role per domain.
func (e *Enforcer) RoleIn(sub, dom string) (string, error) {
	if err := checkSubject(sub); err != nil {
		return "", err
	}
	if _, err := domainScope(dom); err != nil {
		return "", err
	}
	roles := e.current.Load().GetRolesForUserInDomain(sub, dom)
	if len(roles) == 0 {
		return "", nil
	}
	return roles[0], nil
}
