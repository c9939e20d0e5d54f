// Package sms sends text messages through Twilio's EU region (Ireland,
// promise P21) with the official twilio-go client. The notifications
// pipeline decides what to send and when; this package only delivers.
package sms

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/twilio/twilio-go"
	"github.com/twilio/twilio-go/client"
	api "github.com/twilio/twilio-go/rest/api/v2010"
)

// Config names the Twilio account and where it processes data.
type Config struct {
	AccountSID string
	AuthToken  string
	Region     string // a Twilio region inside the EU: "ie1"
	Edge       string // the edge location near it: "dublin"
	From       string // alphanumeric sender id or number
	// StatusCallback, if set, is the URL Twilio reports delivery to
	// (BASE_URL + /api/v1/notify/twilio/status).
	StatusCallback string
	// HTTPClient, if set, carries the requests (tests point it at a local
	// fake Twilio server). Nil means a client with a 10 s timeout.
	HTTPClient *http.Client
}

// ErrPermanent marks a failure that a retry cannot fix, such as an invalid
// or unreachable number.
var ErrPermanent = errors.New("sms: permanent failure")

// Twilio sends messages with twilio-go.
type Twilio struct {
	rc       *twilio.RestClient
	from     string
	callback string
}

// NewTwilio returns a sender for cfg. It returns an error if the account
// or the EU region is missing.
func NewTwilio(cfg Config) (*Twilio, error) {
	if cfg.AccountSID == "" || cfg.AuthToken == "" {
		return nil, errors.New("sms: TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are required")
	}
	if cfg.Region != "ie1" {
		return nil, fmt.Errorf("sms: region %q is not Twilio's EU region ie1 (promise P21)", cfg.Region)
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	base := &client.Client{Credentials: client.NewCredentials(cfg.AccountSID, cfg.AuthToken), HTTPClient: hc}
	base.SetAccountSid(cfg.AccountSID)
	rc := twilio.NewRestClientWithParams(twilio.ClientParams{Username: cfg.AccountSID, Password: cfg.AuthToken, Client: base})
	rc.Region, rc.Edge = cfg.Region, cfg.Edge
	return &Twilio{rc: rc, from: cfg.From, callback: cfg.StatusCallback}, nil
}

// Send sends body to the E.164 number to and returns Twilio's message id.
// A refusal that a retry cannot fix wraps ErrPermanent.
func (t *Twilio) Send(ctx context.Context, to, body string) (sid string, err error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	params := &api.CreateMessageParams{}
	params.SetTo(to)
	params.SetFrom(t.from)
	params.SetBody(body)
	if t.callback != "" {
		params.SetStatusCallback(t.callback)
	}
	msg, err := t.rc.Api.CreateMessage(params)
	if err != nil {
		return "", classify(err)
	}
	if msg.Sid == nil {
		return "", errors.New("sms: Twilio accepted the message but returned no id")
	}
	return *msg.Sid, nil
}

// classify marks Twilio's 4xx refusals (bad number, unsubscribed
// recipient) as permanent; everything else may succeed on a retry.
func classify(err error) error {
	var te *client.TwilioRestError
	if errors.As(err, &te) && te.Status >= 400 && te.Status < 500 && te.Status != http.StatusTooManyRequests {
		return fmt.Errorf("%w: Twilio error %d", ErrPermanent, te.Code)
	}
	return fmt.Errorf("sms: %w", err)
}
