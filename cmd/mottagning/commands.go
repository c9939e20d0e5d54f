package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/storsthlm/mottagning/internal/config"
)

// command is one subcommand: its help text, what configuration it needs,
// and the function that does the work.
type command struct {
	name    string
	summary string
	details string
	need    config.Need
	dev     bool // set Config.Dev
	do      func(ctx context.Context, a *appCtx) error
}

var commands = []command{
	{name: "serve", summary: "run the HTTP server (pages, JSON API, websockets)",
		details: "Serves on HTTP_ADDR. Connects to PostgreSQL as mottagning_app (DATABASE_URL) and to Redis.\nStateless: run as many replicas as you like.",
		need:    config.Need{Database: true, Redis: true, HTTP: true}, do: serve},
	{name: "worker", summary: "run the background worker (notices, retention, outbox relay)",
		details: "Processes Asynq tasks from Redis. Connects to PostgreSQL as mottagning_app.\nRun as many replicas as you like.",
		need:    config.Need{Database: true, Redis: true}, do: workerCmd},
	{name: "scheduler", summary: "enqueue periodic tasks (exactly one replica)",
		details: "Enqueues periodic tasks with deterministic task ids, so a second scheduler by\nmistake does not run anything twice.",
		need:    config.Need{Redis: true}, do: schedulerCmd},
	{name: "migrate", summary: "create the roles and apply the database migrations",
		details: "DATABASE_URL must name a superuser, or a role with CREATEROLE that may create\nschemas in the database. Creates mottagning_owner and mottagning_app if missing\n(APP_DB_PASSWORD sets mottagning_app's password), then applies migrations as\nmottagning_owner. Running it again changes nothing.",
		need:    config.Need{Database: true}, do: migrateCmd},
	{name: "tenants apply", summary: "make the kommun registry match tenants/*.yaml",
		details: "Validates every file (an error names the file and the field) and creates or\nupdates each kommun. Never deletes a kommun. Reads TENANTS_DIR if set, else the\nregistry built into the binary. Connects as mottagning_app.",
		need:    config.Need{Database: true}, do: tenantsApply},
	{name: "seed", summary: "create demo data: staff, a youth account, pages, types, hours (see README)",
		details: "Creates a counsellor and a reception admin in Nacka and in Solna, one platform\nadmin and the youth account demo-ung; gives Nacka and Solna a published page,\nappointment types and bookable hours. Creates only what is missing, so a re-run\nkeeps what was changed since. Connects as mottagning_app. For local use only.",
		need:    config.Need{Database: true}, do: seedCmd},
	{name: "dev", summary: "everything in one process for a laptop, with demo data",
		details: "DATABASE_URL names an administrative role (as for migrate). Runs migrate,\ntenants apply and seed, then serve, worker and scheduler together. The runtime\nconnects as mottagning_app (APP_DATABASE_URL, or DATABASE_URL with that user).\nWithout SECRET_KEY, one is made and kept in .local/dev-secret-key.",
		need:    config.Need{Database: true, Redis: true, HTTP: true}, dev: true, do: devCmd},
}

func commandByName(name string) (command, bool) {
	for _, c := range commands {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "mottagning: the platform of Ungdomsmottagningar Sthlms län")
	fmt.Fprintln(w, "\nUsage: mottagning <subcommand> [--help]\n\nSubcommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-15s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nConfiguration comes from environment variables only; see README.md.")
}

// run parses the subcommand's flags (only --help), loads and validates the
// configuration, prints it once with secrets masked, and does the work.
func (c command) run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	fs.SetOutput(stdout)
	fs.Usage = func() {
		fmt.Fprintf(stdout, "Usage: mottagning %s\n\n%s.\n\n%s\n", c.name, strings.ToUpper(c.summary[:1])+c.summary[1:], c.details)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: %s takes no arguments (got %q)", errUsage, c.name, fs.Args())
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	cfg.Dev = c.dev
	if c.dev {
		cfg = devDefaults(cfg)
	}
	if err := cfg.Validate(c.need); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "mottagning %s: configuration\n", c.name)
	cfg.Print(stdout)
	a, err := newAppCtx(cfg, stdout)
	if err != nil {
		return err
	}
	defer a.close()
	return c.do(ctx, a)
}
