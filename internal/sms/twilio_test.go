package sms

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
)

// fakeTwilio is a local stand-in for Twilio's Messages endpoint, reached by
// the real twilio-go client through a transport that rewrites the host.
type fakeTwilio struct {
	mu    sync.Mutex
	hosts []string
	forms []url.Values
}

func (f *fakeTwilio) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	f.mu.Lock()
	f.hosts = append(f.hosts, r.Header.Get("X-Original-Host"))
	f.forms = append(f.forms, r.PostForm)
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if r.PostForm.Get("To") == "+46700000000" {
		w.WriteHeader(400)
		_, _ = w.Write([]byte(`{"code": 21211, "message": "Invalid 'To' Phone Number", "status": 400}`))
		return
	}
	w.WriteHeader(201)
	_, _ = w.Write([]byte(`{"sid": "SM00000000000000000000000000000001", "status": "queued"}`))
}

type rewrite struct{ target *url.URL }

func (rw rewrite) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-Original-Host", r.URL.Host)
	r.URL.Scheme, r.URL.Host = rw.target.Scheme, rw.target.Host
	return http.DefaultTransport.RoundTrip(r)
}

func newFake(t *testing.T) (*fakeTwilio, *http.Client) {
	f := &fakeTwilio{}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	return f, &http.Client{Transport: rewrite{u}}
}

func TestP21_TwilioUsesEURegion(t *testing.T) {
	t.Parallel()
	f, hc := newFake(t)
	s, err := NewTwilio(Config{AccountSID: "AC123", AuthToken: "tok", Region: "ie1", Edge: "dublin", From: "Ungdomsmott", HTTPClient: hc})
	if err != nil {
		t.Fatal(err)
	}
	sid, err := s.Send(context.Background(), "+46701234567", "Du har ett nytt meddelande från Ungdomsmottagningen.")
	if err != nil || sid != "SM00000000000000000000000000000001" {
		t.Fatalf("send: %q %v", sid, err)
	}
	if got := f.hosts[0]; got != "api.dublin.ie1.twilio.com" {
		t.Fatalf("request went to %q; want Twilio's Irish region api.dublin.ie1.twilio.com", got)
	}
	if f.forms[0].Get("From") != "Ungdomsmott" || f.forms[0].Get("To") != "+46701234567" {
		t.Fatalf("form %v", f.forms[0])
	}
	if _, err := NewTwilio(Config{AccountSID: "AC123", AuthToken: "tok", Region: "us1"}); err == nil {
		t.Fatal("a US region was accepted")
	}
}

func TestInvalidNumberIsPermanent(t *testing.T) {
	t.Parallel()
	_, hc := newFake(t)
	s, _ := NewTwilio(Config{AccountSID: "AC123", AuthToken: "tok", Region: "ie1", Edge: "dublin", From: "X", HTTPClient: hc})
	_, err := s.Send(context.Background(), "+46700000000", "hej")
	if !errors.Is(err, ErrPermanent) {
		t.Fatalf("invalid number: %v; want ErrPermanent", err)
	}
}
