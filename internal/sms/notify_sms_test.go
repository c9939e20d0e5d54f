package sms

import (
	"context"
	"testing"
)

func TestStatusCallbackIsRequested(t *testing.T) {
	t.Parallel()
	f, hc := newFake(t)
	s, err := NewTwilio(Config{AccountSID: "AC123", AuthToken: "tok", Region: "ie1", Edge: "dublin", From: "Ungdomsmott",
		HTTPClient: hc, StatusCallback: "https://u.example/api/v1/notify/twilio/status"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Send(context.Background(), "+46701234567", "hej"); err != nil {
		t.Fatal(err)
	}
	if got := f.forms[0].Get("StatusCallback"); got != "https://u.example/api/v1/notify/twilio/status" {
		t.Fatalf("StatusCallback %q", got)
	}
}
