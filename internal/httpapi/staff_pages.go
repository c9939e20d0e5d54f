package httpapi

import (
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"github.com/skip2/go-qrcode"
	"golang.org/x/text/collate"
	"golang.org/x/text/language"

	"github.com/storsthlm/mottagning/internal/account"
	"github.com/storsthlm/mottagning/internal/apperr"
)

// Staff sign-in is two steps: e-mail and password give a session that
// still needs the second factor (pendingStaff lets it reach only the TOTP
// pages); a TOTP or recovery code replaces it with a session that
// requireStaff accepts.

const (
	staffHome      = "/personal"
	staffLoginPath = "/personal/logga-in"
	staffTOTPPath  = "/personal/tvafaktor"
	staffEnrolPath = "/personal/tvafaktor/aktivera"
)

// totpFailures bounds wrong second-factor codes per staff member.
var totpFailures = redis_rate.Limit{Rate: 5, Burst: 5, Period: 15 * time.Minute}

// staffForm is a staff page's form with what the page shows besides.
type staffForm struct {
	form
	Notice string // a calm message above the form
}

// pendingStaff lets through only a staff session whose second factor is
// still to come. Without one, pages go to the sign-in and the API says
// sign in; a fully signed-in staff member is sent on to the start page.
func (h *staffAuth) pendingStaff(c *fiber.Ctx) error {
	sess, ok := sessionFrom(c)
	switch {
	case ok && sess.StaffID != uuid.Nil && !sess.MFADone:
		return c.Next()
	case ok && sess.StaffID != uuid.Nil && isAPI(c):
		return apperr.New(apperr.Conflict, "error.staff.already_signed_in")
	case ok && sess.StaffID != uuid.Nil:
		return c.Redirect(staffNext(c.Query("next")), fiber.StatusSeeOther)
	case isAPI(c) || c.Method() != fiber.MethodGet:
		return apperr.New(apperr.Unauthorized, "error.staff.session_needed")
	}
	return c.Redirect(staffLoginPath, fiber.StatusSeeOther)
}

func (h *staffAuth) loginPage(c *fiber.Ctx) error {
	if _, ok := staffSessionFrom(c); ok {
		return c.Redirect(staffNext(c.Query("next")), fiber.StatusSeeOther)
	}
	f := staffForm{form: newForm()}
	f.Next = staffNext(c.Query("next"))
	if c.Query("utloggad") != "" {
		f.Notice = h.tr.T(langOf(c), "staff.login.logged_out")
	}
	return h.render(c, "staff_login", false, f)
}

func (h *staffAuth) login(c *fiber.Ctx) error {
	email := c.FormValue("email")
	f := staffForm{form: newForm("email", email)}
	f.Next = staffNext(c.FormValue("next"))
	res, err := h.signIn(c, email, c.FormValue("password"))
	if err != nil {
		if rerr := h.formError(c, &f.form, err); rerr != nil {
			return rerr
		}
		return h.render(c, "staff_login", false, f)
	}
	h.setSessionCookie(c, res.Token)
	return c.Redirect(secondStep(res.Enrolled, f.Next), fiber.StatusSeeOther)
}

// signIn throttles per e-mail and per client address, checks the password
// and counts a failure. Unknown e-mail, wrong password and deactivated
// staff get the same answer. A session this browser had is ended.
func (h *staffAuth) signIn(c *fiber.Ctx, email, password string) (account.StaffSignIn, error) {
	key := "staff:" + strings.ToLower(strings.TrimSpace(email))
	if err := h.throttleLogin(c, key); err != nil {
		return account.StaffSignIn{}, err
	}
	res, err := h.svc.SignIn(c.UserContext(), email, password)
	if apperr.Is(err, apperr.Unauthorized) {
		if ferr := h.loginFailed(c, key); ferr != nil {
			return account.StaffSignIn{}, ferr
		}
	}
	if err != nil {
		return account.StaffSignIn{}, err
	}
	h.endPreviousSession(c)
	return res, nil
}

// endPreviousSession ends the session the browser had before a new one
// replaces it, so no half-forgotten session stays alive.
func (h *staffAuth) endPreviousSession(c *fiber.Ctx) {
	if old := c.Cookies(sessionCookie); old != "" {
		if err := h.accounts.Logout(c.UserContext(), old); err != nil {
			h.log.Warn("staff: ending the previous session failed", "request_id", requestID(c), "err", err)
		}
	}
}

// secondStep is where a session without its second factor goes next.
func secondStep(enrolled bool, next string) string {
	path := staffEnrolPath
	if enrolled {
		path = staffTOTPPath
	}
	if next == staffHome {
		return path
	}
	return path + "?next=" + url.QueryEscape(next)
}

func (h *staffAuth) totpPage(c *fiber.Ctx) error {
	sess, _ := sessionFrom(c)
	st, err := h.db.StaffTOTP(c.UserContext(), sess.StaffID)
	if err != nil {
		return err
	}
	if !st.Enabled {
		return c.Redirect(secondStep(false, staffNext(c.Query("next"))), fiber.StatusSeeOther)
	}
	f := staffForm{form: newForm()}
	f.Next = staffNext(c.Query("next"))
	return h.render(c, "staff_totp", false, f)
}

func (h *staffAuth) verifyTOTP(c *fiber.Ctx) error {
	f := staffForm{form: newForm()}
	f.Next = staffNext(c.FormValue("next"))
	token, usedRecovery, err := h.verify(c, c.FormValue("code"))
	if apperr.Is(err, apperr.Conflict) {
		return c.Redirect(secondStep(false, f.Next), fiber.StatusSeeOther)
	}
	if err != nil {
		if rerr := h.formError(c, &f.form, err); rerr != nil {
			return rerr
		}
		return h.render(c, "staff_totp", false, f)
	}
	h.setSessionCookie(c, token)
	if usedRecovery && f.Next == staffHome {
		return c.Redirect(staffHome+"?reservkod=1", fiber.StatusSeeOther)
	}
	return c.Redirect(f.Next, fiber.StatusSeeOther)
}

// verify checks the second factor of the pending session, within the
// limit of wrong codes per staff member.
func (h *staffAuth) verify(c *fiber.Ctx, code string) (string, bool, error) {
	sess, _ := sessionFrom(c)
	if err := h.throttleTOTP(c, sess.StaffID); err != nil {
		return "", false, err
	}
	token, usedRecovery, err := h.svc.Verify(c.UserContext(), sess.StaffID, sess.IDHash, code)
	if err != nil {
		return "", false, h.countWrongCode(c, sess.StaffID, err)
	}
	return token, usedRecovery, nil
}

func (h *staffAuth) totpKey(id uuid.UUID) string { return h.prefix + "staff-totp:" + id.String() }

// throttleTOTP refuses when the staff member has given too many wrong
// codes lately.
func (h *staffAuth) throttleTOTP(c *fiber.Ctx, id uuid.UUID) error {
	res, err := h.limiter.AllowN(c.UserContext(), h.totpKey(id), totpFailures, 0)
	if err != nil {
		return err
	}
	if res.Remaining == 0 {
		return apperr.New(apperr.TooMany, "error.staff.totp.too_many")
	}
	return nil
}

// countWrongCode counts a refused code against the limit and returns err.
func (h *staffAuth) countWrongCode(c *fiber.Ctx, id uuid.UUID, err error) error {
	if account.IsWrongCode(err) {
		if _, lerr := h.limiter.Allow(c.UserContext(), h.totpKey(id), totpFailures); lerr != nil {
			return lerr
		}
	}
	return err
}

// enrolData is the enrolment page: the QR code (served by the server at
// QRPath) and the same secret for typing in.
type enrolData struct {
	staffForm
	Secret string // grouped by four for reading
	QRPath string
}

func (h *staffAuth) enrolPage(c *fiber.Ctx) error {
	return h.renderEnrol(c, staffForm{form: newForm()}, staffNext(c.Query("next")))
}

func (h *staffAuth) renderEnrol(c *fiber.Ctx, f staffForm, next string) error {
	sess, _ := sessionFrom(c)
	enr, err := h.svc.StartEnrolment(c.UserContext(), sess.StaffID)
	if apperr.Is(err, apperr.Conflict) {
		return c.Redirect(secondStep(true, next), fiber.StatusSeeOther)
	}
	if err != nil {
		return err
	}
	f.Next = next
	return h.render(c, "staff_enrol", false, enrolData{staffForm: f, Secret: groupBy4(enr.Secret), QRPath: staffEnrolPath + "/qr.png"})
}

// enrolQR serves the QR code of the pending secret as a PNG, rendered
// here: nothing about the secret goes to another site. Like every
// response it is no-store.
func (h *staffAuth) enrolQR(c *fiber.Ctx) error {
	sess, _ := sessionFrom(c)
	enr, err := h.svc.StartEnrolment(c.UserContext(), sess.StaffID)
	if err != nil {
		return err
	}
	png, err := qrcode.Encode(enr.URL, qrcode.Medium, 256)
	if err != nil {
		return err
	}
	c.Type("png")
	return c.Send(png)
}

// recoveryData is the page that shows the recovery codes, once.
type recoveryData struct {
	Codes []string
	Next  string
}

func (h *staffAuth) confirmEnrolment(c *fiber.Ctx) error {
	next := staffNext(c.FormValue("next"))
	token, codes, err := h.confirm(c, c.FormValue("code"))
	if err != nil {
		f := staffForm{form: newForm()}
		if rerr := h.formError(c, &f.form, err); rerr != nil {
			return rerr
		}
		return h.renderEnrol(c, f, next)
	}
	h.setSessionCookie(c, token)
	return h.render(c, "staff_recovery_codes", false, recoveryData{Codes: codes, Next: next})
}

func (h *staffAuth) confirm(c *fiber.Ctx, code string) (string, []string, error) {
	sess, _ := sessionFrom(c)
	if err := h.throttleTOTP(c, sess.StaffID); err != nil {
		return "", nil, err
	}
	token, codes, err := h.svc.ConfirmEnrolment(c.UserContext(), sess.StaffID, sess.IDHash, code)
	if err != nil {
		return "", nil, h.countWrongCode(c, sess.StaffID, err)
	}
	return token, codes, nil
}

func (h *staffAuth) logout(c *fiber.Ctx) error {
	if err := h.accounts.Logout(c.UserContext(), c.Cookies(sessionCookie)); err != nil {
		return err
	}
	h.clearSessionCookie(c)
	return c.Redirect(staffLoginPath+"?utloggad=1", fiber.StatusSeeOther)
}

// homeData is the staff start page.
type homeData struct {
	Name, Email   string
	PlatformAdmin bool
	Roles         []account.StaffRole
	RecoveryUsed  bool
}

func (h *staffAuth) home(c *fiber.Ctx) error {
	id, _ := staffSessionFrom(c)
	o, err := h.db.StaffOverview(c.UserContext(), id)
	if err != nil {
		return err
	}
	return h.render(c, "staff_home", false, homeData{Name: o.DisplayName, Email: o.Email, PlatformAdmin: o.PlatformAdmin,
		Roles: sortedRoles(o.Roles), RecoveryUsed: c.Query("reservkod") != ""})
}

// sortedRoles orders roles by kommun name in Swedish order.
func sortedRoles(rs []account.StaffRole) []account.StaffRole {
	col := collate.New(language.Swedish)
	rs = slices.Clone(rs)
	slices.SortFunc(rs, func(a, b account.StaffRole) int { return col.CompareString(a.KommunName, b.KommunName) })
	return rs
}

// staffNext keeps a post-sign-in redirect on this site; staff land on
// their start page by default.
func staffNext(next string) string {
	u, err := url.Parse(next)
	if next == "" || err != nil || u.Host != "" || u.Scheme != "" || !strings.HasPrefix(next, "/") ||
		strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") || strings.HasPrefix(next, staffLoginPath) {
		return staffHome
	}
	return next
}

// groupBy4 writes a base32 secret in groups of four, easier to type.
func groupBy4(s string) string {
	var b strings.Builder
	for i, r := range s {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}
