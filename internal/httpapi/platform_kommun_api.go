package httpapi

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/storsthlm/mottagning/internal/apperr"
	"github.com/storsthlm/mottagning/internal/onboarding"
	"github.com/storsthlm/mottagning/internal/tenant"
)

type overviewJSON struct {
	kommunJSON
	StaffCount    int  `json:"staff_count"`
	PagePublished bool `json:"page_published"`
}

func (h *platformKommun) apiOverview(c *fiber.Ctx) error {
	rows, err := h.rows(c)
	if err != nil {
		return err
	}
	out := make([]overviewJSON, len(rows))
	for i, r := range rows {
		out[i] = overviewJSON{kommunJSON: jsonOf(r.Kommun), StaffCount: r.StaffCount, PagePublished: r.PagePublished}
	}
	return c.JSON(fiber.Map{"kommuner": out})
}

type onboardJSON struct {
	Slug             string `json:"slug"`
	Name             string `json:"name"`
	Code             string `json:"code"`
	Phone            string `json:"phone"`
	Email            string `json:"email"`
	Address          string `json:"address"`
	Website          string `json:"website"`
	PrivacyPolicyURL string `json:"privacy_policy_url"`
	AdminEmail       string `json:"admin_email"`
	Language         string `json:"language"` // of the invitation e-mail: "sv" (default) or "en"
}

type invitedJSON struct {
	Kommun        kommunJSON `json:"kommun"`
	Created       bool       `json:"created"`
	InvitedEmail  string     `json:"invited_email"`
	Sent          bool       `json:"sent"`                     // the invitation was e-mailed
	InvitationURL string     `json:"invitation_url,omitempty"` // only if it was not
}

func invitedOf(r invitedData) invitedJSON {
	return invitedJSON{Kommun: jsonOf(r.Kommun), Created: r.Created, InvitedEmail: r.Email, Sent: r.Sent, InvitationURL: r.Link}
}

func (h *platformKommun) apiOnboard(c *fiber.Ctx) error {
	var in onboardJSON
	if err := platformJSON(c, &in); err != nil {
		return err
	}
	fields := map[string]string{"slug": in.Slug, "name": in.Name, "code": in.Code, "contact.phone": in.Phone,
		"contact.email": in.Email, "contact.address": in.Address, "contact.website": in.Website,
		"privacy_policy_url": in.PrivacyPolicyURL}
	res, err := h.onboard(c, definitionOf(func(k string) string { return fields[k] }), in.AdminEmail, in.Language)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(invitedOf(res))
}

func (h *platformKommun) apiInvite(c *fiber.Ctx) error {
	var in struct {
		Email    string `json:"email"`
		Language string `json:"language"`
	}
	if err := platformJSON(c, &in); err != nil {
		return err
	}
	res, err := h.inviteTo(c, c.Params("slug"), in.Email, in.Language)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(invitedOf(res))
}

func (h *platformKommun) apiSuspend(c *fiber.Ctx) error {
	return h.apiStatus(c, tenant.StatusSuspended)
}
func (h *platformKommun) apiResume(c *fiber.Ctx) error { return h.apiStatus(c, tenant.StatusActive) }

func (h *platformKommun) apiStatus(c *fiber.Ctx, to tenant.Status) error {
	k, err := h.setStatus(c, to)
	if err != nil {
		return err
	}
	return c.JSON(jsonOf(k))
}

type offboardedJSON struct {
	Kommun      kommunJSON       `json:"kommun"`
	ExportID    string           `json:"export_id"`
	DownloadURL string           `json:"download_url"`
	FileName    string           `json:"file_name"`
	Size        int              `json:"size"`
	ExpiresAt   time.Time        `json:"expires_at"`
	Key         string           `json:"key"`
	KeyFor      string           `json:"key_for"`
	Deleted     map[string]int64 `json:"deleted"`
}

// apiOffboard takes both confirmations in one call: the kommun's name
// typed and confirm set to true.
func (h *platformKommun) apiOffboard(c *fiber.Ctx) error {
	var in struct {
		ConfirmName string `json:"confirm_name"`
		Confirm     bool   `json:"confirm"`
	}
	if err := platformJSON(c, &in); err != nil {
		return err
	}
	k, err := h.offboardKommun(c)
	if err != nil {
		return err
	}
	if err := onboarding.ConfirmName(k, in.ConfirmName); err != nil {
		return err
	}
	if !in.Confirm {
		return apperr.InvalidFields(apperr.FieldError{Field: "confirm", Key: "error.platform_kommun.confirm_final"})
	}
	res, err := h.offboard(c, k.Slug)
	if err != nil {
		return err
	}
	return c.JSON(offboardedJSON{Kommun: jsonOf(res.Kommun), ExportID: res.ExportID.String(),
		DownloadURL: "/api/v1/platform/kommuner/" + k.Slug + "/exports/" + res.ExportID.String(), FileName: res.FileName,
		Size: res.Size, ExpiresAt: res.ExpiresAt, Key: res.Key, KeyFor: res.Kommun.Contact.Email, Deleted: res.Deleted})
}
