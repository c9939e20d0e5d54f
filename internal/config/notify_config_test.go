package config

import (
	"bytes"
	"strings"
	"testing"
)

func TestP21_NonEUSMTPRefused(t *testing.T) {
	t.Parallel()
	for _, loc := range []string{"", "US", "GB", "CH"} {
		cfg, err := Load(getenv(with("SMTP_HOST", "smtp.example", "SMTP_LOCATION", loc)))
		if err != nil {
			t.Fatal(err)
		}
		err = cfg.Validate(all)
		if err == nil || !strings.Contains(err.Error(), "SMTP_LOCATION") || !strings.Contains(err.Error(), "P21") {
			t.Errorf("SMTP_LOCATION=%q: got %v; want a refusal naming SMTP_LOCATION and P21", loc, err)
		}
	}
	cfg, _ := Load(getenv(with("SMTP_HOST", "smtp.example", "SMTP_LOCATION", "SE")))
	if err := cfg.Validate(all); err != nil {
		t.Fatalf("an SMTP host in Sweden refused: %v", err)
	}
}

func TestNotifyConfigurationNamesTheVariable(t *testing.T) {
	t.Parallel()
	cases := []struct {
		env  map[string]string
		name string
	}{
		{with("SMTP_HOST", "smtp.example", "SMTP_LOCATION", "SE", "SMTP_FROM", "ingen adress"), "SMTP_FROM"},
		{with("SMTP_HOST", "smtp.example", "SMTP_LOCATION", "SE", "SMTP_USERNAME", "u"), "SMTP_PASSWORD"},
		{with("SMTP_HOST", "smtp.example", "SMTP_LOCATION", "SE", "SMTP_PORT", "0"), "SMTP_PORT"},
		{with("SMTP_TLS", "none"), "SMTP_TLS"},
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
	cfg, _ := Load(getenv(with("SMTP_PASSWORD", "smtphemlis", "BASE_URL", "https://u.example/")))
	var b bytes.Buffer
	cfg.Print(&b)
	if strings.Contains(b.String(), "smtphemlis") {
		t.Fatal("SMTP_PASSWORD printed in clear")
	}
	if got := cfg.TwilioStatusCallback(); got != "https://u.example/api/v1/notify/twilio/status" {
		t.Fatalf("status callback %q", got)
	}
}
