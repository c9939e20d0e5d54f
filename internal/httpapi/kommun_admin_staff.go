package httpapi

import (
	"context"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/storsthlm/mottagning/internal/account"
	"github.com/storsthlm/mottagning/internal/apperr"
	"github.com/storsthlm/mottagning/internal/audit"
	"github.com/storsthlm/mottagning/internal/authz"
	"github.com/storsthlm/mottagning/internal/reception"
	"github.com/storsthlm/mottagning/internal/tenant"
)

// staffAdminData is the staff page of a kommun: its members and the
// invitation form; after an invitation, the one-time link to pass on.
type staffAdminData struct {
	form
	Slug, KommunName string
	Members          []memberRow
	Self             uuid.UUID
	Notice           string
	InviteLink       string
	InviteEmail      string
}

type memberRow struct {
	reception.Member
	RoleName string
}

func (h *kommunAdmin) staffPage(c *fiber.Ctx) error {
	notice := ""
	switch {
	case c.Query("roll") != "":
		notice = "kommun_admin.staff.role_changed"
	case c.Query("avaktiverad") != "":
		notice = "kommun_admin.staff.deactivated"
	}
	return h.renderStaff(c, newForm("role", account.RoleCounsellor), notice, "", "")
}

func (h *kommunAdmin) renderStaff(c *fiber.Ctx, f form, notice, link, email string) error {
	ms, err := h.accountDB.KommunStaff(c.UserContext())
	if err != nil {
		return err
	}
	lang, k := langOf(c), kommunFrom(c)
	data := staffAdminData{form: f, Slug: k.Slug, KommunName: k.Name, Self: tenant.ActingFrom(c.UserContext()).AccountID,
		InviteLink: link, InviteEmail: email}
	if notice != "" {
		data.Notice = h.tr.T(lang, notice)
	}
	for _, m := range ms {
		data.Members = append(data.Members, memberRow{Member: m, RoleName: h.tr.T(lang, "staff.role."+m.Role)})
	}
	return h.render(c, "admin_staff", false, data)
}

// inviteMember creates an invitation to the acting kommun, records it and
// queues its e-mail (in lang), together. Without e-mail it returns the
// one-time link to pass on.
func (h *kommunAdmin) inviteMember(ctx context.Context, email, role, lang, kommunName string) (invitationSent, error) {
	a := tenant.ActingFrom(ctx)
	if role != account.RoleCounsellor && role != account.RoleReceptionAdmin {
		return invitationSent{}, apperr.InvalidFields(apperr.FieldError{Field: "role", Key: "kommun_admin.error.role"})
	}
	norm, err := account.NormalizeStaffEmail(email)
	if err != nil {
		return invitationSent{}, err
	}
	var res invitationSent
	err = h.accountDB.WithAdminAction(ctx, string(audit.StaffInvite), norm+" ("+role+")", func(ctx context.Context) error {
		token, err := h.staff.svc.Invite(ctx, account.Invite{Email: norm, KommunID: a.KommunID, Role: role, CreatedBy: a.AccountID})
		if err != nil {
			return err
		}
		res, err = h.queueInvitation(ctx, norm, inviteLang(lang), kommunName, role, token)
		return err
	})
	return res, err
}

func (h *kommunAdmin) invite(c *fiber.Ctx) error {
	email, role, lang := c.FormValue("email"), c.FormValue("role"), c.FormValue("language")
	f := newForm("email", email, "role", role, "language", lang)
	res, err := h.inviteMember(c.UserContext(), email, role, lang, kommunFrom(c).Name)
	if err != nil {
		if rerr := h.formError(c, &f, err); rerr != nil {
			return rerr
		}
		return h.renderStaff(c, f, "", "", "")
	}
	h.log.Info("staff: invited", "request_id", requestID(c), "kommun", kommunFrom(c).Slug, "role", role, "emailed", res.Sent)
	notice := "kommun_admin.staff.invited"
	if res.Sent {
		notice = "" // the page says it was sent, to whom
	}
	return h.renderStaff(c, newForm("role", account.RoleCounsellor), notice, res.Link, f.Values["email"])
}

// member returns the staff member named by the path, or NotFound.
func (h *kommunAdmin) member(c *fiber.Ctx) (reception.Member, error) {
	id, err := uuid.Parse(c.Params("staff"))
	if err != nil {
		return reception.Member{}, apperr.New(apperr.NotFound, "kommun_admin.error.member_not_found")
	}
	ms, err := h.accountDB.KommunStaff(c.UserContext())
	if err != nil {
		return reception.Member{}, err
	}
	for _, m := range ms {
		if m.StaffID == id {
			return m, nil
		}
	}
	return reception.Member{}, apperr.New(apperr.NotFound, "kommun_admin.error.member_not_found")
}

// setRole changes a member's role; it refuses to leave the kommun without
// a reception admin.
func (h *kommunAdmin) setRole(c *fiber.Ctx, role string) error {
	m, err := h.member(c)
	if err != nil {
		return err
	}
	if role != authz.RoleCounsellor && role != authz.RoleReceptionAdmin {
		return apperr.InvalidFields(apperr.FieldError{Field: "role", Key: "kommun_admin.error.role"})
	}
	if err := h.accountDB.ChangeStaffRole(c.UserContext(), m.StaffID, role, string(audit.StaffRoleChange),
		m.Email+": "+m.Role+" → "+role); err != nil {
		return err
	}
	h.staff.notifyMembership(c)
	return nil
}

// removeMember deactivates a member in this kommun: their membership and
// every session go at once, and every instance reloads its roles.
func (h *kommunAdmin) removeMember(c *fiber.Ctx) (uuid.UUID, error) {
	m, err := h.member(c)
	if err != nil {
		return uuid.Nil, err
	}
	if err := h.accountDB.DeactivateStaff(c.UserContext(), m.StaffID, string(audit.StaffDeactivate),
		m.Email+" ("+m.Role+")"); err != nil {
		return uuid.Nil, err
	}
	h.staff.notifyMembership(c)
	h.log.Info("staff: deactivated", "request_id", requestID(c), "kommun", kommunFrom(c).Slug, "staff", m.StaffID.String())
	return m.StaffID, nil
}

func (h *kommunAdmin) changeRole(c *fiber.Ctx) error {
	if err := h.setRole(c, c.FormValue("role")); err != nil {
		return h.staffError(c, err)
	}
	return c.Redirect("/personal/"+kommunFrom(c).Slug+"/personal?roll=1", fiber.StatusSeeOther)
}

func (h *kommunAdmin) deactivate(c *fiber.Ctx) error {
	id, err := h.removeMember(c)
	if err != nil {
		return h.staffError(c, err)
	}
	if id == tenant.ActingFrom(c.UserContext()).AccountID {
		h.clearSessionCookie(c)
		return c.Redirect("/personal/logga-in", fiber.StatusSeeOther)
	}
	return c.Redirect("/personal/"+kommunFrom(c).Slug+"/personal?avaktiverad=1", fiber.StatusSeeOther)
}

// staffError shows a refused change on the staff page (last admin, bad
// role); other errors go to the error handler.
func (h *kommunAdmin) staffError(c *fiber.Ctx, err error) error {
	if k := apperr.KindOf(err); k != apperr.Conflict && k != apperr.Invalid {
		return err
	}
	f := newForm("role", account.RoleCounsellor)
	if rerr := h.formError(c, &f, err); rerr != nil {
		return rerr
	}
	if e := apperr.As(err); e != nil && len(e.Fields) > 0 {
		f.Error = h.tr.Tf(langOf(c), e.Fields[0].Key, e.Fields[0].Args)
		f.Errors = map[string]string{}
	}
	return h.renderStaff(c, f, "", "", "")
}

// --- JSON API ---

type memberJSON struct {
	StaffID     string `json:"staff_id"`
	Email       string `json:"email"`
	DisplayName string `json:"display_name"`
	Role        string `json:"role"`
}

func (h *kommunAdmin) apiStaff(c *fiber.Ctx) error {
	ms, err := h.accountDB.KommunStaff(c.UserContext())
	if err != nil {
		return err
	}
	out := []memberJSON{}
	for _, m := range ms {
		out = append(out, memberJSON{StaffID: m.StaffID.String(), Email: m.Email, DisplayName: m.DisplayName, Role: m.Role})
	}
	return c.JSON(fiber.Map{"staff": out})
}

type inviteJSON struct {
	Email    string `json:"email"`
	Role     string `json:"role"`
	Language string `json:"language"` // of the e-mail: "sv" (default) or "en"
}

func (h *kommunAdmin) apiInvite(c *fiber.Ctx) error {
	var in inviteJSON
	if err := c.BodyParser(&in); err != nil {
		return apperr.E(apperr.Invalid, "error.invalid_json", err)
	}
	res, err := h.inviteMember(c.UserContext(), in.Email, in.Role, in.Language, kommunFrom(c).Name)
	if err != nil {
		return err
	}
	if res.Sent {
		return c.Status(fiber.StatusCreated).JSON(fiber.Map{"sent": true})
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"sent": false, "link": res.Link})
}

func (h *kommunAdmin) apiChangeRole(c *fiber.Ctx) error {
	var in struct {
		Role string `json:"role"`
	}
	if err := c.BodyParser(&in); err != nil {
		return apperr.E(apperr.Invalid, "error.invalid_json", err)
	}
	if err := h.setRole(c, in.Role); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (h *kommunAdmin) apiDeactivate(c *fiber.Ctx) error {
	if _, err := h.removeMember(c); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
