// Package config reads Mottagning's configuration from environment variables
// into one typed struct, validates it and prints it with secrets masked.
// Every variable is documented in the README; nothing is read from files.
package config

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"
)

// Config is the whole configuration of every subcommand. Fields tagged
// secret are masked when printed.
type Config struct {
	DatabaseURL    string `env:"DATABASE_URL" secret:"url"`
	AppDatabaseURL string `env:"APP_DATABASE_URL" secret:"url"`
	AppDBPassword  string `env:"APP_DB_PASSWORD" secret:"true"`
	RedisURL       string `env:"REDIS_URL" envDefault:"redis://127.0.0.1:6379/0" secret:"url"`
	HTTPAddr       string `env:"HTTP_ADDR" envDefault:":8080"`
	MetricsAddr    string `env:"METRICS_ADDR"`
	BaseURL        string `env:"BASE_URL" envDefault:"http://localhost:8080"`
	SecretKey      string `env:"SECRET_KEY" secret:"true"`
	LogFormat      string `env:"LOG_FORMAT" envDefault:"json"`
	LogLevel       string `env:"LOG_LEVEL" envDefault:"info"`
	TenantsDir     string `env:"TENANTS_DIR"`

	// P21: where each store keeps its data, as ISO 3166 country codes.
	DatabaseLocation string `env:"DATABASE_LOCATION" envDefault:"SE"`
	RedisLocation    string `env:"REDIS_LOCATION" envDefault:"SE"`

	// P9: the platform controller and its data protection officer.
	StorsthlmName    string `env:"STORSTHLM_NAME" envDefault:"Storsthlm"`
	StorsthlmAddress string `env:"STORSTHLM_ADDRESS" envDefault:"Box 38145, 100 64 Stockholm (demo)"`
	StorsthlmEmail   string `env:"STORSTHLM_EMAIL" envDefault:"info@storsthlm.example"`
	StorsthlmPhone   string `env:"STORSTHLM_PHONE" envDefault:"08-000 00 00 (demo)"`
	StorsthlmWebsite string `env:"STORSTHLM_WEBSITE" envDefault:"https://www.storsthlm.se"`
	DPOName          string `env:"DPO_NAME" envDefault:"Dataskyddsombudet"`
	DPOEmail         string `env:"DPO_EMAIL" envDefault:"dataskyddsombud@storsthlm.example"`
	DPOPhone         string `env:"DPO_PHONE"`

	QuickExitURL     string        `env:"QUICK_EXIT_URL" envDefault:"https://www.smhi.se"`
	TrustedProxies   []string      `env:"TRUSTED_PROXIES" envSeparator:","`
	RateLimit        int           `env:"RATE_LIMIT_PER_MINUTE" envDefault:"300"`
	BodyLimit        int           `env:"BODY_LIMIT_BYTES" envDefault:"1048576"`
	DBMaxConns       int32         `env:"DB_MAX_CONNS" envDefault:"20"`
	WorkerConcurrent int           `env:"WORKER_CONCURRENCY" envDefault:"10"`
	AuthzReload      time.Duration `env:"AUTHZ_RELOAD_INTERVAL" envDefault:"30s"`
	HeartbeatSpec    string        `env:"HEARTBEAT_SCHEDULE" envDefault:"@every 1m"`
	ShutdownTimeout  time.Duration `env:"SHUTDOWN_TIMEOUT" envDefault:"20s"`
	SessionIdle      time.Duration `env:"SESSION_IDLE_TIMEOUT" envDefault:"30m"`
	SessionLifetime  time.Duration `env:"SESSION_LIFETIME" envDefault:"12h"`

	// SMS through Twilio (EU region); empty account means SMS is off.
	TwilioAccountSID string `env:"TWILIO_ACCOUNT_SID"`
	TwilioAuthToken  string `env:"TWILIO_AUTH_TOKEN" secret:"true"`
	TwilioRegion     string `env:"TWILIO_REGION" envDefault:"ie1"`
	TwilioEdge       string `env:"TWILIO_EDGE" envDefault:"dublin"`
	TwilioFrom       string `env:"TWILIO_FROM" envDefault:"Ungdomsmott"`

	// E-mail through SMTP with TLS; empty host means e-mail is off.
	// SMTP_LOCATION is where the provider keeps the data (P21).
	SMTPHost     string `env:"SMTP_HOST"`
	SMTPPort     int    `env:"SMTP_PORT" envDefault:"587"`
	SMTPUsername string `env:"SMTP_USERNAME"`
	SMTPPassword string `env:"SMTP_PASSWORD" secret:"true"`
	SMTPFrom     string `env:"SMTP_FROM" envDefault:"Ungdomsmottagningen <noreply@ungdomsmottagning.example>"`
	SMTPLocation string `env:"SMTP_LOCATION"`
	SMTPTLS      string `env:"SMTP_TLS" envDefault:"starttls"`

	// Dev is set by the dev subcommand, never from the environment.
	Dev bool `env:"-"`
}

// Load reads the configuration through getenv. It returns an error naming
// every variable that could not be parsed; call Validate for the rules.
func Load(getenv func(string) string) (Config, error) {
	var cfg Config
	environ := map[string]string{}
	params, err := env.GetFieldParams(&cfg)
	if err != nil {
		return cfg, err
	}
	for _, p := range params {
		if v := getenv(p.Key); v != "" {
			environ[p.Key] = v
		}
	}
	if err := env.ParseWithOptions(&cfg, env.Options{Environment: environ}); err != nil {
		return cfg, fmt.Errorf("invalid configuration:\n  %w", joinLines(parseErrors(err, environ)))
	}
	return cfg, nil
}

// parseErrors rewrites the parser's errors, which name Go fields, to name
// the environment variable and the value it could not read.
func parseErrors(err error, environ map[string]string) []error {
	var agg env.AggregateError
	if !errors.As(err, &agg) {
		return []error{err}
	}
	t := reflect.TypeOf(Config{})
	out := make([]error, 0, len(agg.Errors))
	for _, e := range agg.Errors {
		var pe env.ParseError
		if errors.As(e, &pe) {
			if f, ok := t.FieldByName(pe.Name); ok {
				name := f.Tag.Get("env")
				out = append(out, fmt.Errorf("%s: cannot read %q as %s", name, environ[name], kindName(f.Type)))
				continue
			}
		}
		out = append(out, e)
	}
	return out
}

func kindName(t reflect.Type) string {
	switch {
	case t == reflect.TypeOf(time.Duration(0)):
		return "a duration like 30s or 2m"
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64:
		return "a whole number"
	case t.Kind() == reflect.Bool:
		return "true or false"
	}
	return t.String()
}

// Need says which parts of the configuration a subcommand uses, so that
// Validate only insists on what that subcommand needs.
type Need struct {
	Database bool // DATABASE_URL must be set
	Redis    bool // REDIS_URL is used
	HTTP     bool // HTTP_ADDR, BASE_URL and SECRET_KEY are used
}

// Validate checks every rule and returns one error listing each bad
// variable by name with what is wrong and how to fix it.
func (c Config) Validate(need Need) error {
	var errs []error
	bad := func(name, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", name, fmt.Sprintf(format, args...)))
	}
	if need.Database {
		if c.DatabaseURL == "" {
			bad("DATABASE_URL", "is required (for example postgres://mottagning_app@localhost:5432/mottagning)")
		} else if u, err := url.Parse(c.DatabaseURL); err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			bad("DATABASE_URL", "must be a postgres:// URL")
		}
		if !IsEEA(c.DatabaseLocation) {
			bad("DATABASE_LOCATION", "%q is not an EU/EEA country code; personal data must stay in the EU/EEA (promise P21)", c.DatabaseLocation)
		}
	}
	if need.Redis {
		if u, err := url.Parse(c.RedisURL); err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") {
			bad("REDIS_URL", "must be a redis:// or rediss:// URL")
		}
		if !IsEEA(c.RedisLocation) {
			bad("REDIS_LOCATION", "%q is not an EU/EEA country code; personal data must stay in the EU/EEA (promise P21)", c.RedisLocation)
		}
	}
	if need.HTTP {
		if c.HTTPAddr == "" || !strings.Contains(c.HTTPAddr, ":") {
			bad("HTTP_ADDR", "must be host:port or :port (got %q)", c.HTTPAddr)
		}
		if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" && u.Path != "/" {
			bad("BASE_URL", "must be an absolute http(s) URL without a path, like https://ungdomsmottagning.example (got %q)", c.BaseURL)
		}
		if _, err := c.Secret(); err != nil {
			bad("SECRET_KEY", "%v", err)
		}
		if u, err := url.Parse(c.QuickExitURL); err != nil || u.Scheme != "https" {
			bad("QUICK_EXIT_URL", "must be an https URL of a neutral site")
		}
	}
	for _, e := range []struct{ name, v string }{{"STORSTHLM_EMAIL", c.StorsthlmEmail}, {"DPO_EMAIL", c.DPOEmail}} {
		if _, err := mail.ParseAddress(e.v); err != nil {
			bad(e.name, "must be an e-mail address (got %q)", e.v)
		}
	}
	if !slices.Contains([]string{"json", "text"}, c.LogFormat) {
		bad("LOG_FORMAT", "must be json or text (got %q)", c.LogFormat)
	}
	if !slices.Contains([]string{"debug", "info", "warn", "error"}, c.LogLevel) {
		bad("LOG_LEVEL", "must be debug, info, warn or error (got %q)", c.LogLevel)
	}
	if c.RateLimit < 1 {
		bad("RATE_LIMIT_PER_MINUTE", "must be at least 1")
	}
	if c.BodyLimit < 4096 {
		bad("BODY_LIMIT_BYTES", "must be at least 4096")
	}
	if c.DBMaxConns < 2 {
		bad("DB_MAX_CONNS", "must be at least 2")
	}
	if c.SessionIdle < time.Minute || c.SessionLifetime < c.SessionIdle {
		bad("SESSION_IDLE_TIMEOUT", "must be at least 1m and no longer than SESSION_LIFETIME")
	}
	if c.WorkerConcurrent < 1 {
		bad("WORKER_CONCURRENCY", "must be at least 1")
	}
	if c.TwilioAccountSID != "" && !strings.HasPrefix(c.TwilioAccountSID, "AC") {
		bad("TWILIO_ACCOUNT_SID", "must start with AC")
	}
	if c.TwilioAccountSID != "" && c.TwilioAuthToken == "" {
		bad("TWILIO_AUTH_TOKEN", "is required when TWILIO_ACCOUNT_SID is set")
	}
	if !slices.Contains(twilioEURegions, c.TwilioRegion) {
		bad("TWILIO_REGION", "%q is not a Twilio region in the EU; use ie1 (Ireland) (promise P21)", c.TwilioRegion)
	}
	if c.SMTPHost != "" {
		if !IsEEA(c.SMTPLocation) {
			bad("SMTP_LOCATION", "%q is not an EU/EEA country code; say where the SMTP provider of SMTP_HOST keeps the data, for example SE (promise P21)", c.SMTPLocation)
		}
		if _, err := mail.ParseAddress(c.SMTPFrom); err != nil {
			bad("SMTP_FROM", "must be an e-mail address, optionally with a name (got %q)", c.SMTPFrom)
		}
		if c.SMTPPort < 1 || c.SMTPPort > 65535 {
			bad("SMTP_PORT", "must be a port number (got %d)", c.SMTPPort)
		}
		if c.SMTPUsername != "" && c.SMTPPassword == "" {
			bad("SMTP_PASSWORD", "is required when SMTP_USERNAME is set")
		}
	}
	if !slices.Contains([]string{"starttls", "tls"}, c.SMTPTLS) {
		bad("SMTP_TLS", "must be starttls or tls; e-mail is never sent unencrypted (got %q)", c.SMTPTLS)
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("invalid configuration:\n  %w", joinLines(errs))
}

// TwilioStatusCallback is the URL Twilio reports delivery to.
func (c Config) TwilioStatusCallback() string {
	return strings.TrimRight(c.BaseURL, "/") + "/api/v1/notify/twilio/status"
}

// twilioEURegions are Twilio's data-processing regions inside the EU.
var twilioEURegions = []string{"ie1"}

// Secret returns SECRET_KEY decoded from hex; it must hold at least 32 bytes.
func (c Config) Secret() ([]byte, error) {
	if c.SecretKey == "" {
		return nil, errors.New("is required: 64 hex characters, for example from `openssl rand -hex 32`")
	}
	b, err := hex.DecodeString(c.SecretKey)
	if err != nil || len(b) < 32 {
		return nil, errors.New("must be at least 64 hex characters (32 random bytes), for example from `openssl rand -hex 32`")
	}
	return b, nil
}

// Print writes every variable once, one per line, with secrets masked.
func (c Config) Print(w io.Writer) {
	v := reflect.ValueOf(c)
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		name := f.Tag.Get("env")
		if name == "" || name == "-" {
			continue
		}
		fmt.Fprintf(w, "  %s=%s\n", name, mask(f.Tag.Get("secret"), fmt.Sprint(v.Field(i).Interface())))
	}
}

func mask(kind, value string) string {
	switch {
	case value == "":
		return ""
	case kind == "true":
		return "****"
	case kind == "url":
		u, err := url.Parse(value)
		if err != nil {
			return "****"
		}
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "****")
		}
		return u.Redacted()
	}
	return value
}

type lines []error

func (l lines) Error() string {
	s := make([]string, len(l))
	for i, e := range l {
		s[i] = e.Error()
	}
	return strings.Join(s, "\n  ")
}

func (l lines) Unwrap() []error { return l }

func joinLines(errs []error) error { return lines(errs) }
