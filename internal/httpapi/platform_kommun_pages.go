package httpapi

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"golang.org/x/text/collate"
	"golang.org/x/text/language"

	"github.com/storsthlm/mottagning/internal/account"
	"github.com/storsthlm/mottagning/internal/apperr"
	"github.com/storsthlm/mottagning/internal/onboarding"
	"github.com/storsthlm/mottagning/internal/tenant"
	"github.com/storsthlm/mottagning/tenants"
)

// platformKommun holds the console's handlers and what they call.
type platformKommun struct {
	*Server
	db    platformKommunStore
	staff *account.StaffService
	err   error // set if the console could not be wired
}

func (s *Server) newPlatformKommun() *platformKommun {
	h := &platformKommun{Server: s}
	if s.accountDB == nil {
		h.err = errors.New("httpapi: kommun console wired without a store")
		return h
	}
	h.db = s.accountDB
	h.staff, h.err = account.NewStaffService(s.accountDB, s.accounts, s.secret)
	return h
}

// ready fails every console route with an internal error if the server
// was wired without a store.
func (h *platformKommun) ready(c *fiber.Ctx) error {
	if h.err != nil {
		return h.err
	}
	return c.Next()
}

// onboardFields are the console's onboarding form fields: the registry
// definition's fields (named as tenant.Definition.Validate names them)
// and the e-mail of the first reception admin.
var onboardFields = []string{"slug", "name", "code", "contact.phone", "contact.email", "contact.address",
	"contact.website", "privacy_policy_url", "admin_email"}

type consoleRow struct {
	onboarding.Overview
	StatusLabel string
}

type consoleData struct {
	Rows     []consoleRow
	Registry []tenant.Definition // in the tenants/ registry but not on the platform
	form
}

type kommunDetail struct {
	consoleRow
	Exports []onboarding.Export
	Notice  string
	form
}

type invitedData struct {
	Kommun  tenant.Kommun
	Created bool
	Email   string
	Sent    bool   // the invitation was e-mailed
	Link    string // only if it was not: shown once to pass on
}

type offboardData struct {
	Kommun tenant.Kommun
	Typed  string
	form
}

type offboardedData struct {
	onboarding.Offboarded
	Download string
	SizeKB   int
}

func (h *platformKommun) rows(c *fiber.Ctx) ([]consoleRow, error) {
	ov, err := h.db.KommunOverview(c.UserContext())
	if err != nil {
		return nil, err
	}
	col := collate.New(language.Swedish)
	slices.SortFunc(ov, func(a, b onboarding.Overview) int { return col.CompareString(a.Name, b.Name) })
	rows := make([]consoleRow, len(ov))
	for i, o := range ov {
		rows[i] = consoleRow{Overview: o, StatusLabel: h.tr.T(langOf(c), "platform_kommun.status."+string(o.Status))}
	}
	return rows, nil
}

func (h *platformKommun) consolePage(c *fiber.Ctx) error { return h.renderConsole(c, newForm()) }

func (h *platformKommun) renderConsole(c *fiber.Ctx, f form) error {
	rows, err := h.rows(c)
	if err != nil {
		return err
	}
	defs, err := tenant.LoadDir(tenants.FS)
	if err != nil {
		return err
	}
	d := consoleData{Rows: rows, form: f}
	for _, def := range defs {
		if !slices.ContainsFunc(rows, func(r consoleRow) bool { return r.Slug == def.Slug }) {
			d.Registry = append(d.Registry, def)
		}
	}
	return h.render(c, "platform_kommun_console", false, d)
}

func (h *platformKommun) onboardPage(c *fiber.Ctx) error {
	return h.render(c, "platform_kommun_onboard", false, h.onboardData(c, newForm()))
}

// definitionOf reads the onboarding form. A kommun brought on board from
// the console has real contact details, never demo placeholders.
func definitionOf(get func(string) string) tenant.Definition {
	v := func(k string) string { return strings.TrimSpace(get(k)) }
	return tenant.Definition{Slug: strings.ToLower(v("slug")), Name: strings.Join(strings.Fields(get("name")), " "), Code: v("code"),
		Contact: tenant.Contact{Phone: v("contact.phone"), Email: strings.ToLower(v("contact.email")),
			Address: v("contact.address"), Website: v("contact.website")},
		PrivacyPolicyURL: v("privacy_policy_url")}
}

// checkOnboard validates the definition and the first reception admin's
// e-mail together, so every field's problem is shown at once.
func checkOnboard(d tenant.Definition, adminEmail string) (string, error) {
	var fields []apperr.FieldError
	if e := apperr.As(d.Validate()); e != nil {
		fields = append(fields, e.Fields...)
	}
	email, err := account.NormalizeStaffEmail(adminEmail)
	if e := apperr.As(err); e != nil {
		for _, f := range e.Fields {
			f.Field = "admin_email"
			fields = append(fields, f)
		}
	}
	if len(fields) > 0 {
		return "", apperr.InvalidFields(fields...)
	}
	return email, nil
}

func (h *platformKommun) onboardForm(c *fiber.Ctx) error {
	f := newForm()
	for _, k := range onboardFields {
		f.Values[k] = c.FormValue(k)
	}
	res, err := h.onboard(c, definitionOf(func(k string) string { return c.FormValue(k) }), c.FormValue("admin_email"), c.FormValue("language"))
	if err != nil {
		if rerr := h.formError(c, &f, err); rerr != nil {
			return rerr
		}
		return h.render(c, "platform_kommun_onboard", false, h.onboardData(c, f))
	}
	return h.render(c, "platform_kommun_invited", false, res)
}

// onboard validates, brings the kommun on board and invites its first
// reception admin; nothing is written unless everything is valid.
func (h *platformKommun) onboard(c *fiber.Ctx, d tenant.Definition, adminEmail, lang string) (invitedData, error) {
	email, err := checkOnboard(d, adminEmail)
	if err != nil {
		return invitedData{}, err
	}
	k, created, err := h.db.OnboardKommun(c.UserContext(), d)
	if err != nil {
		return invitedData{}, err
	}
	h.log.Info("platform: kommun onboarded", "request_id", requestID(c), "kommun", k.Slug, "created", created)
	sent, err := h.invite(c, k, email, lang)
	if err != nil {
		return invitedData{}, err
	}
	return invitedData{Kommun: k, Created: created, Email: email, Sent: sent.Sent, Link: sent.Link}, nil
}

// invite creates an invitation for the kommun's reception admin and
// queues its e-mail (in lang) in the same transaction. Without e-mail
// the one-time link is returned, shown to the platform admin once.
func (h *platformKommun) invite(c *fiber.Ctx, k tenant.Kommun, email, lang string) (invitationSent, error) {
	staffID, _ := staffSessionFrom(c)
	var res invitationSent
	err := h.db.WithStaffMail(c.UserContext(), func(ctx context.Context) error {
		token, err := h.staff.Invite(ctx, account.Invite{Email: email, KommunID: k.ID,
			Role: account.RoleReceptionAdmin, CreatedBy: staffID})
		if err != nil {
			return err
		}
		res, err = h.queueInvitation(ctx, email, inviteLang(lang), k.Name, account.RoleReceptionAdmin, token)
		return err
	})
	return res, err
}

// onboardRegistry brings on board a kommun from its file in tenants/, or
// an offboarded kommun again (from its file if it has one, else as it was
// registered).
func (h *platformKommun) onboardRegistry(c *fiber.Ctx) error {
	slug := strings.ToLower(strings.TrimSpace(c.FormValue("slug")))
	f := newForm("admin_email", c.FormValue("admin_email"))
	d, err := h.registryDefinition(c, slug)
	if err != nil {
		return err
	}
	res, err := h.onboard(c, d, c.FormValue("admin_email"), c.FormValue("language"))
	if err != nil {
		if rerr := h.formError(c, &f, err); rerr != nil {
			return rerr
		}
		if k, kerr := h.store.KommunBySlug(c.UserContext(), slug); kerr == nil {
			return h.renderKommun(c, k.Slug, f, "")
		}
		return h.renderConsole(c, f)
	}
	return h.render(c, "platform_kommun_invited", false, res)
}

func (h *platformKommun) registryDefinition(c *fiber.Ctx, slug string) (tenant.Definition, error) {
	defs, err := tenant.LoadDir(tenants.FS)
	if err != nil {
		return tenant.Definition{}, err
	}
	if i := slices.IndexFunc(defs, func(d tenant.Definition) bool { return d.Slug == slug }); i >= 0 {
		return defs[i], nil
	}
	k, err := h.store.KommunBySlug(c.UserContext(), slug)
	if err != nil {
		return tenant.Definition{}, apperr.E(apperr.NotFound, "error.platform_kommun.not_found", err)
	}
	return k.Definition, nil
}

func (h *platformKommun) kommunPage(c *fiber.Ctx) error {
	notice := ""
	switch c.Query("klart") {
	case "pausad":
		notice = h.tr.T(langOf(c), "platform_kommun.suspended_notice")
	case "oppnad":
		notice = h.tr.T(langOf(c), "platform_kommun.resumed_notice")
	}
	return h.renderKommun(c, c.Params("slug"), newForm(), notice)
}

func (h *platformKommun) renderKommun(c *fiber.Ctx, slug string, f form, notice string) error {
	rows, err := h.rows(c)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(rows, func(r consoleRow) bool { return r.Slug == slug })
	if i < 0 {
		return apperr.New(apperr.NotFound, "error.platform_kommun.not_found")
	}
	xs, err := h.db.KommunExports(c.UserContext(), rows[i].ID)
	if err != nil {
		return err
	}
	return h.render(c, "platform_kommun_detail", false, kommunDetail{consoleRow: rows[i], Exports: xs, Notice: notice, form: f})
}

func (h *platformKommun) inviteAdmin(c *fiber.Ctx) error {
	f := newForm("admin_email", c.FormValue("admin_email"))
	res, err := h.inviteTo(c, c.Params("slug"), c.FormValue("admin_email"), c.FormValue("language"))
	if err != nil {
		if rerr := h.formError(c, &f, err); rerr != nil {
			return rerr
		}
		return h.renderKommun(c, c.Params("slug"), f, "")
	}
	return h.render(c, "platform_kommun_invited", false, res)
}

// inviteTo invites a reception admin to a kommun that is not offboarded.
func (h *platformKommun) inviteTo(c *fiber.Ctx, slug, rawEmail, lang string) (invitedData, error) {
	k, err := h.store.KommunBySlug(c.UserContext(), slug)
	if err != nil {
		return invitedData{}, apperr.E(apperr.NotFound, "error.platform_kommun.not_found", err)
	}
	if k.Status == tenant.StatusOffboarded {
		return invitedData{}, apperr.New(apperr.Conflict, "error.platform_kommun.offboarded")
	}
	email, err := account.NormalizeStaffEmail(rawEmail)
	if e := apperr.As(err); e != nil {
		for i := range e.Fields {
			e.Fields[i].Field = "admin_email"
		}
		return invitedData{}, e
	}
	sent, err := h.invite(c, k, email, lang)
	if err != nil {
		return invitedData{}, err
	}
	return invitedData{Kommun: k, Email: email, Sent: sent.Sent, Link: sent.Link}, nil
}

func (h *platformKommun) suspend(c *fiber.Ctx) error {
	if _, err := h.setStatus(c, tenant.StatusSuspended); err != nil {
		return err
	}
	return c.Redirect("/plattform/kommuner/"+c.Params("slug")+"?klart=pausad", fiber.StatusSeeOther)
}

func (h *platformKommun) resume(c *fiber.Ctx) error {
	if _, err := h.setStatus(c, tenant.StatusActive); err != nil {
		return err
	}
	return c.Redirect("/plattform/kommuner/"+c.Params("slug")+"?klart=oppnad", fiber.StatusSeeOther)
}

// setStatus suspends (from active) or resumes (from suspended) the
// kommun of the path. Its data is untouched either way.
func (h *platformKommun) setStatus(c *fiber.Ctx, to tenant.Status) (tenant.Kommun, error) {
	from := tenant.StatusActive
	if to == tenant.StatusActive {
		from = tenant.StatusSuspended
	}
	k, err := h.db.SetKommunStatus(c.UserContext(), c.Params("slug"), to, from)
	if err == nil {
		h.log.Info("platform: kommun status changed", "request_id", requestID(c), "kommun", k.Slug, "status", string(to))
	}
	return k, err
}

// offboardKommun returns the kommun of the path if it can be offboarded.
func (h *platformKommun) offboardKommun(c *fiber.Ctx) (tenant.Kommun, error) {
	k, err := h.store.KommunBySlug(c.UserContext(), c.Params("slug"))
	if err != nil {
		return k, apperr.E(apperr.NotFound, "error.platform_kommun.not_found", err)
	}
	if k.Status == tenant.StatusOffboarded {
		return k, apperr.New(apperr.Conflict, "error.platform_kommun.offboarded")
	}
	return k, nil
}

// offboardPage is step one: type the kommun's name.
func (h *platformKommun) offboardPage(c *fiber.Ctx) error {
	k, err := h.offboardKommun(c)
	if err != nil {
		return err
	}
	return h.render(c, "platform_kommun_offboard", false, offboardData{Kommun: k, form: newForm()})
}

// typedName reads the kommun's name as the admin typed it; unless it is
// right, it answers with step one again (ok false, err what to return).
func (h *platformKommun) typedName(c *fiber.Ctx, k tenant.Kommun) (offboardData, bool, error) {
	d := offboardData{Kommun: k, Typed: c.FormValue("confirm_name"), form: newForm("confirm_name", c.FormValue("confirm_name"))}
	if err := onboarding.ConfirmName(k, d.Typed); err != nil {
		if rerr := h.formError(c, &d.form, err); rerr != nil {
			return d, false, rerr
		}
		return d, false, h.render(c, "platform_kommun_offboard", false, d)
	}
	return d, true, nil
}

// offboardCheck checks the typed name and shows step two, the last
// confirmation. Nothing is changed yet.
func (h *platformKommun) offboardCheck(c *fiber.Ctx) error {
	k, err := h.offboardKommun(c)
	if err != nil {
		return err
	}
	d, ok, err := h.typedName(c, k)
	if !ok {
		return err
	}
	return h.render(c, "platform_kommun_offboard_confirm", false, d)
}

// offboardConfirm is step two: with the name typed right and the final
// confirmation given, the kommun's data is exported, sealed and deleted.
func (h *platformKommun) offboardConfirm(c *fiber.Ctx) error {
	k, err := h.offboardKommun(c)
	if err != nil {
		return err
	}
	d, ok, err := h.typedName(c, k)
	if !ok {
		return err
	}
	if c.FormValue("confirm") != "ja" {
		d.Error = h.tr.T(langOf(c), "error.platform_kommun.confirm_final")
		c.Status(fiber.StatusBadRequest)
		return h.render(c, "platform_kommun_offboard_confirm", false, d)
	}
	res, err := h.offboard(c, k.Slug)
	if err != nil {
		return err
	}
	return h.render(c, "platform_kommun_offboarded", false, offboardedData{Offboarded: res,
		Download: "/plattform/kommuner/" + k.Slug + "/export/" + res.ExportID.String(), SizeKB: (res.Size + 1023) / 1024})
}

// offboard runs the offboarding and makes the lost memberships count at
// once on every instance.
func (h *platformKommun) offboard(c *fiber.Ctx, slug string) (onboarding.Offboarded, error) {
	res, err := h.db.OffboardKommun(c.UserContext(), slug, onboarding.SealAt(time.Now()))
	if err != nil {
		return res, err
	}
	if n, ok := h.authz.(membershipNotifier); ok {
		if err := n.NotifyChanged(c.UserContext()); err != nil {
			h.log.Warn("platform: reloading memberships failed; the periodic reload will catch up",
				"request_id", requestID(c), "err", err)
		}
	}
	h.log.Info("platform: kommun offboarded", "request_id", requestID(c), "kommun", slug, "export", res.ExportID.String())
	return res, nil
}

// download sends a sealed archive: ciphertext only, which the platform
// admin cannot read (P20).
func (h *platformKommun) download(c *fiber.Ctx) error {
	id, err := uuid.Parse(c.Params("id"))
	if err != nil {
		return apperr.E(apperr.NotFound, "error.platform_kommun.export_gone", err)
	}
	x, err := h.db.KommunExport(c.UserContext(), id)
	if err != nil {
		return err
	}
	k, err := h.store.KommunBySlug(c.UserContext(), c.Params("slug"))
	if err != nil || k.ID != x.KommunID {
		return apperr.New(apperr.NotFound, "error.platform_kommun.export_gone")
	}
	c.Set(fiber.HeaderContentType, "application/octet-stream")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+x.FileName+`"`)
	return c.Send(x.Ciphertext)
}
