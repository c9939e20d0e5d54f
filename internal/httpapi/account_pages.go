package httpapi

import (
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/storsthlm/mottagning/internal/account"
	"github.com/storsthlm/mottagning/internal/apperr"
)

// form is the data of a page with a form: what was entered (never
// passwords) and the translated error of each field.
type form struct {
	Values map[string]string
	Errors map[string]string
	Error  string // a message for the whole form
	Next   string
}

func newForm(values ...string) form {
	f := form{Values: map[string]string{}, Errors: map[string]string{}}
	for i := 0; i+1 < len(values); i += 2 {
		f.Values[values[i]] = values[i+1]
	}
	return f
}

// formError renders err into f: field errors beside their fields, anything
// else at the top. Internal errors are not the user's to fix: they go to
// the error handler instead.
func (s *Server) formError(c *fiber.Ctx, f *form, err error) error {
	e := apperr.As(err)
	if e == nil || e.Kind == apperr.Internal {
		return err
	}
	lang := langOf(c)
	for _, fe := range e.Fields {
		f.Errors[fe.Field] = s.tr.Tf(lang, fe.Key, fe.Args)
	}
	if len(e.Fields) == 0 {
		key := e.Key
		if key == "" {
			key = defaultKey[e.Kind]
		}
		f.Error = s.tr.Tf(lang, key, e.Args)
	} else {
		f.Error = s.tr.T(lang, "form.has_errors")
	}
	c.Status(statusOf[e.Kind])
	return nil
}

func (s *Server) render(c *fiber.Ctx, name string, youth bool, data any) error {
	p := s.page(c, youth, data)
	return c.Render(name, p)
}

func (s *Server) registerPage(c *fiber.Ctx) error {
	return s.render(c, "register", true, newForm())
}

func (s *Server) register(c *fiber.Ctx) error {
	username := c.FormValue("username")
	f := newForm("username", username)
	acc, token, err := s.accounts.Register(c.UserContext(), username, c.FormValue("password"), langOf(c))
	if err != nil {
		if rerr := s.formError(c, &f, err); rerr != nil {
			return rerr
		}
		return s.render(c, "register", true, f)
	}
	if err := s.replaceSession(c, token); err != nil {
		return err
	}
	s.log.Info("account: registered", "request_id", requestID(c), "account", acc.ID.String())
	return c.Redirect("/min-profil?ny=1", fiber.StatusSeeOther)
}

func (s *Server) loginPage(c *fiber.Ctx) error {
	f := newForm()
	f.Next = safeNext(c.Query("next"))
	return s.render(c, "login", true, f)
}

func (s *Server) login(c *fiber.Ctx) error {
	username := c.FormValue("username")
	f := newForm("username", username)
	f.Next = safeNext(c.FormValue("next"))
	if _, token, err := s.signIn(c, username, c.FormValue("password")); err != nil {
		if rerr := s.formError(c, &f, err); rerr != nil {
			return rerr
		}
		return s.render(c, "login", true, f)
	} else if err := s.replaceSession(c, token); err != nil {
		return err
	}
	return c.Redirect(f.Next, fiber.StatusSeeOther)
}

// signIn throttles, checks the password and counts a failure. Unknown
// username and wrong password give the same answer.
func (s *Server) signIn(c *fiber.Ctx, username, password string) (string, string, error) {
	_, key, kerr := account.NormalizeUsername(username)
	if kerr != nil {
		key = strings.ToLower(strings.TrimSpace(username))
	}
	if err := s.throttleLogin(c, key); err != nil {
		return "", "", err
	}
	id, token, err := s.accounts.Login(c.UserContext(), username, password)
	if apperr.Is(err, apperr.Unauthorized) {
		if ferr := s.loginFailed(c, key); ferr != nil {
			return "", "", ferr
		}
	}
	if err != nil {
		return "", "", err
	}
	return id.String(), token, nil
}

func (s *Server) logout(c *fiber.Ctx) error {
	if err := s.accounts.Logout(c.UserContext(), c.Cookies(sessionCookie)); err != nil {
		return err
	}
	s.clearSessionCookie(c)
	return c.Redirect("/?utloggad=1", fiber.StatusSeeOther)
}

// safeNext keeps a post-sign-in redirect on this site.
func safeNext(next string) string {
	u, err := url.Parse(next)
	if next == "" || err != nil || u.Host != "" || u.Scheme != "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") {
		return "/min-profil"
	}
	return next
}

// --- JSON API ---

type credentialsJSON struct {
	Username string `json:"username"`
	Password string `json:"password"`
	Language string `json:"language"`
}

func (s *Server) apiCSRF(c *fiber.Ctx) error { return c.JSON(fiber.Map{"token": csrfToken(c)}) }

func (s *Server) apiRegister(c *fiber.Ctx) error {
	var in credentialsJSON
	if err := c.BodyParser(&in); err != nil {
		return apperr.E(apperr.Invalid, "error.invalid_json", err)
	}
	lang := in.Language
	if lang == "" {
		lang = langOf(c)
	} else if err := account.CheckLanguage(lang); err != nil {
		return err // the same answer PATCH /api/v1/account gives
	}
	acc, token, err := s.accounts.Register(c.UserContext(), in.Username, in.Password, lang)
	if err != nil {
		return err
	}
	if err := s.replaceSession(c, token); err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(accountJSONOf(acc))
}

func (s *Server) apiLogin(c *fiber.Ctx) error {
	var in credentialsJSON
	if err := c.BodyParser(&in); err != nil {
		return apperr.E(apperr.Invalid, "error.invalid_json", err)
	}
	if _, token, err := s.signIn(c, in.Username, in.Password); err != nil {
		return err
	} else if err := s.replaceSession(c, token); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"signed_in": true})
}

func (s *Server) apiLogout(c *fiber.Ctx) error {
	if err := s.accounts.Logout(c.UserContext(), c.Cookies(sessionCookie)); err != nil {
		return err
	}
	s.clearSessionCookie(c)
	return c.SendStatus(fiber.StatusNoContent)
}

// accountJSON is an account as the API shows it to its owner.
type accountJSON struct {
	ID           string `json:"id"`
	Username     string `json:"username"`
	Language     string `json:"language"`
	Phone        string `json:"phone,omitempty"`
	Email        string `json:"email,omitempty"`
	SMSNotices   bool   `json:"sms_notices"`
	EmailNotices bool   `json:"email_notices"`
	Restricted   bool   `json:"restricted"`
	CreatedAt    string `json:"created_at"`
}

func accountJSONOf(a account.Account) accountJSON {
	return accountJSON{ID: a.ID.String(), Username: a.Username, Language: a.Language, Phone: a.Phone, Email: a.Email,
		SMSNotices: a.SMSNotices, EmailNotices: a.EmailNotices, Restricted: a.Restricted,
		CreatedAt: a.CreatedAt.UTC().Format("2006-01-02T15:04:05Z")}
}
