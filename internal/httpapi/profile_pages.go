package httpapi

import (
	"encoding/json"
	"time"
	_ "time/tzdata" // dates on Min profil are Stockholm dates wherever the server runs

	"github.com/gofiber/fiber/v2"

	"github.com/storsthlm/mottagning/internal/account"
)

// stockholm is the time zone dates are shown in.
var stockholm = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Stockholm")
	if err != nil {
		panic(err) // time/tzdata is embedded
	}
	return loc
}()

// profileView is the data of the Min profil page: the stored account as
// facts, and the two forms (profile, password) with their values and errors.
type profileView struct {
	Username           string
	CreatedAt          string
	LastLoginAt        string
	PhoneStored        bool
	PhoneVerified      bool
	PhoneUndeliverable bool
	EmailStored        bool
	EmailVerified      bool
	EmailUndeliverable bool
	Restricted         bool
	Profile            form
	Password           form
	Saved              bool // ?sparat=1
	PasswordChanged    bool // ?losenord=1
	Welcome            bool // ?ny=1, just registered
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return ""
}

func day(t time.Time) string { return t.In(stockholm).Format("2006-01-02") }

// renderProfile shows Min profil. profile nil means "show what is stored".
func (s *Server) renderProfile(c *fiber.Ctx, profile *form, password form) error {
	acc, err := s.accountDB.Account(c.UserContext(), youthID(c))
	if err != nil {
		return err
	}
	v := profileView{Username: acc.Username, CreatedAt: day(acc.CreatedAt), LastLoginAt: day(acc.LastLoginAt),
		PhoneStored: acc.Phone != "", PhoneVerified: acc.PhoneVerified, PhoneUndeliverable: acc.PhoneUndeliverable,
		EmailStored: acc.Email != "", EmailVerified: acc.EmailVerified, EmailUndeliverable: acc.EmailUndeliverable,
		Restricted: acc.Restricted, Password: password,
		Saved: c.Query("sparat") == "1", PasswordChanged: c.Query("losenord") == "1", Welcome: c.Query("ny") == "1"}
	if profile != nil {
		v.Profile = *profile
		v.Saved = false
	} else {
		v.Profile = newForm("phone", acc.Phone, "email", acc.Email, "language", acc.Language,
			"sms_notices", onOff(acc.SMSNotices), "email_notices", onOff(acc.EmailNotices))
	}
	if v.Profile.Values["language"] == "" {
		v.Profile.Values["language"] = acc.Language
	}
	return s.render(c, "profile", true, v)
}

func (s *Server) profilePage(c *fiber.Ctx) error { return s.renderProfile(c, nil, newForm()) }

// saveProfile saves the whole profile form at once (P4); on bad input it
// shows the form again as entered, each message beside its field.
func (s *Server) saveProfile(c *fiber.Ctx) error {
	p, err := s.profiles()
	if err != nil {
		return err
	}
	phone, email, lang := c.FormValue("phone"), c.FormValue("email"), c.FormValue("language")
	sms, mail := c.FormValue("sms_notices") == "on", c.FormValue("email_notices") == "on"
	in := account.ProfileInput{Phone: &phone, Email: &email, SMSNotices: &sms, EmailNotices: &mail}
	if lang != "" { // a form without the select keeps the language
		in.Language = &lang
	}
	if _, err := p.Update(c.UserContext(), youthID(c), in); err != nil {
		f := newForm("phone", phone, "email", email, "language", lang, "sms_notices", onOff(sms), "email_notices", onOff(mail))
		if rerr := s.formError(c, &f, err); rerr != nil {
			return rerr
		}
		return s.renderProfile(c, &f, newForm())
	}
	return c.Redirect("/min-profil?sparat=1", fiber.StatusSeeOther)
}

// changePassword changes the password (the current one is required),
// which ends every session; this browser gets a fresh one.
func (s *Server) changePassword(c *fiber.Ctx) error {
	token, err := s.changePasswordOf(c, c.FormValue("current_password"), c.FormValue("new_password"))
	if err != nil {
		f := newForm()
		if rerr := s.formError(c, &f, err); rerr != nil {
			return rerr
		}
		return s.renderProfile(c, nil, f)
	}
	s.setSessionCookie(c, token)
	return c.Redirect("/min-profil?losenord=1", fiber.StatusSeeOther)
}

// dataPage explains what the download holds (P23) and links it.
func (s *Server) dataPage(c *fiber.Ctx) error { return s.render(c, "profile_data", true, nil) }

// downloadData sends everything the platform holds about the account as a
// JSON file (P23). It is never cached.
func (s *Server) downloadData(c *fiber.Ctx) error {
	exp, err := s.exportOf(c)
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(exp, "", "  ")
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="mina-uppgifter.json"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(b)
}

func (s *Server) exportOf(c *fiber.Ctx) (account.Export, error) {
	p, err := s.profiles()
	if err != nil {
		return account.Export{}, err
	}
	return p.Export(c.UserContext(), youthID(c), time.Now())
}

// deletePage explains what deleting the account removes and what stays (P24).
func (s *Server) deletePage(c *fiber.Ctx) error {
	return s.render(c, "profile_delete", true, newForm())
}

// deleteAccount deletes the account at once when the password is right;
// otherwise nothing is deleted and the page says why.
func (s *Server) deleteAccount(c *fiber.Ctx) error {
	if err := s.deleteOwnAccount(c, c.FormValue("password")); err != nil {
		f := newForm()
		if rerr := s.formError(c, &f, err); rerr != nil {
			return rerr
		}
		return s.render(c, "profile_delete", true, f)
	}
	return c.Redirect("/konto-raderat", fiber.StatusSeeOther)
}

// accountDeletedPage is the calm page after a deletion; no session needed.
func (s *Server) accountDeletedPage(c *fiber.Ctx) error {
	return s.render(c, "account_deleted", true, nil)
}
