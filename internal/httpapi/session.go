package httpapi

import (
	"errors"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/csrf"
	redisstore "github.com/gofiber/storage/redis/v3"

	"github.com/storsthlm/mottagning/internal/account"
	"github.com/storsthlm/mottagning/internal/apperr"
	"github.com/storsthlm/mottagning/internal/tenant"
)

const (
	sessionCookie = "mottagning_session"
	localSession  = "session"
	localCSRF     = "csrf"
)

// sessionFrom returns the request's session and whether there is one.
func sessionFrom(c *fiber.Ctx) (account.Session, bool) {
	s, ok := c.Locals(localSession).(account.Session)
	return s, ok
}

// loadSession resumes the session named by the cookie. A youth session
// makes the request act as that youth; a staff session is left to the
// staff routes, which decide the domain. A dead cookie is removed.
func (s *Server) loadSession(c *fiber.Ctx) error {
	token := c.Cookies(sessionCookie)
	if token == "" {
		return c.Next()
	}
	sess, err := s.accounts.Resume(c.UserContext(), token)
	if apperr.Is(err, apperr.NotFound) {
		s.clearSessionCookie(c)
		return c.Next()
	}
	if err != nil {
		return err
	}
	c.Locals(localSession, sess)
	if sess.AccountID != [16]byte{} {
		c.SetUserContext(tenant.WithActing(c.UserContext(), tenant.Acting{Actor: tenant.ActorYouth, AccountID: sess.AccountID}))
	}
	return c.Next()
}

// setSessionCookie hands the browser its session: HttpOnly, Secure (browsers
// accept Secure cookies from http://localhost too), SameSite=Lax, and no
// longer-lived than the session itself.
func (s *Server) setSessionCookie(c *fiber.Ctx, token string) {
	c.Cookie(&fiber.Cookie{Name: sessionCookie, Value: token, Path: "/", HTTPOnly: true, Secure: true,
		SameSite: fiber.CookieSameSiteLaxMode, Expires: time.Now().Add(s.accounts.Sessions.Lifetime)})
}

// replaceSession ends the browser's previous session, if any, and hands it
// the new one: a sign-in or registration always starts afresh.
func (s *Server) replaceSession(c *fiber.Ctx, token string) error {
	if old := c.Cookies(sessionCookie); old != "" {
		if err := s.accounts.Logout(c.UserContext(), old); err != nil {
			return err
		}
	}
	s.setSessionCookie(c, token)
	return nil
}

func (s *Server) clearSessionCookie(c *fiber.Ctx) {
	c.Cookie(&fiber.Cookie{Name: sessionCookie, Value: "", Path: "/", HTTPOnly: true, Secure: true,
		SameSite: fiber.CookieSameSiteLaxMode, Expires: time.Unix(1, 0), MaxAge: -1})
}

// requireYouth lets only a signed-in youth through; others are sent to
// sign in (pages) or told to (API).
func (s *Server) requireYouth(c *fiber.Ctx) error {
	if tenant.ActingFrom(c.UserContext()).Actor != tenant.ActorYouth {
		if isAPI(c) || c.Method() != fiber.MethodGet {
			return apperr.New(apperr.Unauthorized, "error.unauthorized")
		}
		return c.Redirect("/logga-in?next="+c.Path(), fiber.StatusSeeOther)
	}
	return c.Next()
}

// csrfProtection refuses every state-changing request without the token
// from the page (form field _csrf) or, for API calls, the X-CSRF-Token
// header. Tokens live in Redis; if Redis forgot one, the user reloads.
func (s *Server) csrfProtection() fiber.Handler {
	return csrf.New(csrf.Config{
		// Provider callbacks carry no browser cookies; they prove themselves
		// with the provider's signature instead (X-Twilio-Signature).
		Next:           func(c *fiber.Ctx) bool { return csrfExempt[c.Path()] },
		CookieName:     "mottagning_csrf",
		CookieSecure:   true,
		CookieHTTPOnly: true,
		CookieSameSite: "Lax",
		Expiration:     4 * time.Hour,
		Storage:        redisstore.NewFromConnection(s.rdb),
		KeyGenerator:   func() string { t, _, _ := account.NewToken(); return t },
		ContextKey:     localCSRF,
		Extractor: func(c *fiber.Ctx) (string, error) {
			if t := c.Get("X-CSRF-Token"); t != "" {
				return t, nil
			}
			if t := c.FormValue("_csrf"); t != "" {
				return t, nil
			}
			return "", errors.New("no csrf token")
		},
		ErrorHandler: func(c *fiber.Ctx, err error) error {
			return apperr.E(apperr.Forbidden, "error.csrf", err)
		},
	})
}

// csrfExempt lists the paths called by providers rather than browsers;
// each verifies a signature of its own.
var csrfExempt = map[string]bool{TwilioStatusPath: true}

func csrfToken(c *fiber.Ctx) string {
	t, _ := c.Locals(localCSRF).(string)
	return t
}

// Sign-in throttling: failures per username and attempts per client
// address, counted in Redis. Both give the same answer as a wrong password
// would not: "too many attempts, wait a while".
var (
	loginFailuresPerUser = redis_rate.Limit{Rate: 10, Burst: 10, Period: 15 * time.Minute}
	loginAttemptsPerIP   = redis_rate.Limit{Rate: 60, Burst: 60, Period: 15 * time.Minute}
)

// throttleLogin refuses a sign-in when the username has failed too often
// or the client address has tried too often; it counts the attempt.
func (s *Server) throttleLogin(c *fiber.Ctx, usernameKey string) error {
	ctx := c.UserContext()
	ipRes, err := s.limiter.Allow(ctx, s.prefix+"login:ip:"+s.ipKey(c.IP()), loginAttemptsPerIP)
	if err != nil {
		return err
	}
	userRes, err := s.limiter.AllowN(ctx, s.prefix+"login:user:"+s.ipKey(usernameKey), loginFailuresPerUser, 0)
	if err != nil {
		return err
	}
	if ipRes.Allowed == 0 || userRes.Remaining == 0 {
		return apperr.New(apperr.TooMany, "error.login.too_many")
	}
	return nil
}

// loginFailed counts a failure against the username.
func (s *Server) loginFailed(c *fiber.Ctx, usernameKey string) error {
	_, err := s.limiter.Allow(c.UserContext(), s.prefix+"login:user:"+s.ipKey(usernameKey), loginFailuresPerUser)
	return err
}
