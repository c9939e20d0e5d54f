package httpapi

import (
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/filesystem"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/gofiber/fiber/v2/middleware/requestid"
	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/storsthlm/mottagning/web"
)

// routes registers every route of the service, in one place. Fixed paths
// come before /:kommun; tenant.IsReserved keeps kommun slugs off them.
func (s *Server) routes(app *fiber.App) {
	app.Use(recover.New())
	app.Use(requestid.New(requestid.Config{Generator: uuid.NewString}))
	app.Use(s.observe)
	app.Use(s.securityHeaders)

	// Probes and metrics: no rate limit, no language, no session.
	app.Get("/healthz", s.healthz)
	app.Get("/readyz", s.readyz)
	app.Get("/metrics", adaptHandler(promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{})))
	app.Use("/static", s.staticCache, filesystem.New(filesystem.Config{Root: subFS(web.FS, "static")}))
	app.Get("/robots.txt", s.staticFile("static/robots.txt"))
	app.Get("/favicon.ico", func(c *fiber.Ctx) error { return c.Redirect("/static/favicon.svg", fiber.StatusMovedPermanently) })

	app.Use(s.language)
	app.Use(s.bodyLimitGate)
	app.Use(s.rateLimit())
	app.Use(s.loadSession)
	app.Use(s.anonymousActing)
	app.Use(s.csrfProtection())

	app.Get("/", s.startPage)
	app.Get("/integritet", s.privacyPage)
	app.Get("/integritet/imy", s.redirectOut(func(*fiber.Ctx) string { return imyURL }))
	app.Get("/integritet/storsthlm", s.redirectOut(func(*fiber.Ctx) string { return s.cfg.StorsthlmWebsite }))
	app.Get("/lamna", s.quickExit)

	app.Get("/registrera", s.registerPage)
	app.Post("/registrera", s.register)
	app.Get("/logga-in", s.loginPage)
	app.Post("/logga-in", s.login)
	app.Post("/logga-ut", s.logout)

	api := app.Group("/api/v1")
	api.Get("/csrf", s.apiCSRF)
	api.Post("/account", s.apiRegister)
	api.Post("/session", s.apiLogin)
	api.Delete("/session", s.apiLogout)
	api.Get("/kommuner", s.apiKommuner)
	api.Get("/kommuner/:kommun", s.resolveKommun, s.apiKommun)
	s.profileRoutes(app, api)
	s.staffRoutes(app, api)
	s.platformRoutes(app, api)
	s.platformKommunRoutes(app, api)
	s.kommunAdminRoutes(app, api)
	s.notifyRoutes(app, api)
	s.jobsRoutes(app, api)
	s.bookingRoutes(app, api)
	s.chatRoutes(app, api)
	api.Use(notFound)

	k := app.Group("/:kommun", s.resolveKommun)
	k.Get("/", s.kommunPage)
	k.Get("/webbplats", s.redirectOut(func(c *fiber.Ctx) string { return kommunFrom(c).Contact.Website }))

	app.Use(notFound)
}

func notFound(*fiber.Ctx) error { return fiber.ErrNotFound }

// imyURL is where the Swedish data protection authority takes complaints (P28).
const imyURL = "https://www.imy.se/privatperson/utfora-arenden/lamna-ett-klagomal/"
