package config

import (
	"bytes"
	"strings"
	"testing"
)

func getenv(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

var good = map[string]string{
	"DATABASE_URL": "postgres://mottagning_app:hemlig@db.example:5432/mottagning",
	"REDIS_URL":    "redis://:redispass@redis.example:6379/0",
	"SECRET_KEY":   strings.Repeat("0f", 32),
}

func with(kv ...string) map[string]string {
	m := map[string]string{}
	for k, v := range good {
		m[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

var all = Need{Database: true, Redis: true, HTTP: true}

func TestValidConfiguration(t *testing.T) {
	t.Parallel()
	cfg, err := Load(getenv(good))
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(all); err != nil {
		t.Fatalf("valid configuration refused: %v", err)
	}
	if cfg.HTTPAddr != ":8080" || cfg.RateLimit != 300 {
		t.Fatalf("defaults not applied: %+v", cfg)
	}
}

func TestInvalidConfigurationNamesTheVariable(t *testing.T) {
	t.Parallel()
	cases := []struct {
		env  map[string]string
		name string
	}{
		{with("DATABASE_URL", ""), "DATABASE_URL"},
		{with("DATABASE_URL", "mysql://x"), "DATABASE_URL"},
		{with("REDIS_URL", "http://redis"), "REDIS_URL"},
		{with("SECRET_KEY", "short"), "SECRET_KEY"},
		{with("SECRET_KEY", ""), "SECRET_KEY"},
		{with("BASE_URL", "ungdom.example"), "BASE_URL"},
		{with("HTTP_ADDR", "8080"), "HTTP_ADDR"},
		{with("LOG_FORMAT", "xml"), "LOG_FORMAT"},
		{with("DPO_EMAIL", "inte-en-adress"), "DPO_EMAIL"},
		{with("RATE_LIMIT_PER_MINUTE", "0"), "RATE_LIMIT_PER_MINUTE"},
		{with("TWILIO_ACCOUNT_SID", "AC1"), "TWILIO_AUTH_TOKEN"},
		{with("QUICK_EXIT_URL", "http://x.example"), "QUICK_EXIT_URL"},
	}
	for _, c := range cases {
		cfg, err := Load(getenv(c.env))
		if err == nil {
			err = cfg.Validate(all)
		}
		if err == nil || !strings.Contains(err.Error(), c.name) {
			t.Errorf("want an error naming %s, got %v", c.name, err)
		}
	}
	if _, err := Load(getenv(with("DB_MAX_CONNS", "many"))); err == nil || !strings.Contains(err.Error(), "DB_MAX_CONNS") {
		t.Errorf("unparsable number: %v; want an error naming DB_MAX_CONNS", err)
	}
}

func TestP21_NonEUConfigurationRefused(t *testing.T) {
	t.Parallel()
	for _, kv := range [][2]string{{"DATABASE_LOCATION", "US"}, {"REDIS_LOCATION", "GB"}, {"TWILIO_REGION", "us1"}, {"TWILIO_REGION", "au1"}} {
		cfg, err := Load(getenv(with(kv[0], kv[1])))
		if err != nil {
			t.Fatal(err)
		}
		err = cfg.Validate(all)
		if err == nil || !strings.Contains(err.Error(), kv[0]) || !strings.Contains(err.Error(), "P21") {
			t.Errorf("%s=%s: got %v; want a refusal naming the variable and P21", kv[0], kv[1], err)
		}
	}
	for _, code := range []string{"SE", "fi", "NO", "IS"} {
		if !IsEEA(code) {
			t.Errorf("%s is in the EU/EEA", code)
		}
	}
}

func TestPrintMasksSecrets(t *testing.T) {
	t.Parallel()
	cfg, _ := Load(getenv(with("TWILIO_AUTH_TOKEN", "twiliohemlis", "APP_DB_PASSWORD", "apphemlis")))
	var b bytes.Buffer
	cfg.Print(&b)
	out := b.String()
	for _, secret := range []string{"hemlig", "redispass", strings.Repeat("0f", 32), "twiliohemlis", "apphemlis"} {
		if strings.Contains(out, secret) {
			t.Errorf("printed configuration shows a secret %q:\n%s", secret, out)
		}
	}
	if !strings.Contains(out, "DATABASE_URL=postgres://mottagning_app:") || !strings.Contains(out, "db.example") {
		t.Errorf("printed configuration hides too much:\n%s", out)
	}
	if strings.Count(out, "\n") < 20 {
		t.Errorf("printed configuration lists too few variables:\n%s", out)
	}
}
