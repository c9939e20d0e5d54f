package sms

import (
	"context"
	"errors"
	"fmt"
	"strings"

	api "github.com/twilio/twilio-go/rest/api/v2010"

	"github.com/storsthlm/mottagning/internal/notify"
)

// Notices returns t as the SMS channel of the notification pipeline.
func (t *Twilio) Notices() notify.Sender { return noticeSender{t} }

type noticeSender struct{ t *Twilio }

// Send sends the notice's text; a permanent refusal wraps notify.ErrPermanent.
func (s noticeSender) Send(ctx context.Context, to string, _ notify.Notice, m notify.Message) (string, error) {
	sid, err := s.t.Send(ctx, to, m.Body)
	if errors.Is(err, ErrPermanent) {
		return "", fmt.Errorf("%w: %w", notify.ErrPermanent, err)
	}
	return sid, err
}

// Lookup lists the messages sent from our sender to the number and looks
// for one whose text carries the notice's marker (in its link), so a retry
// after an ambiguous failure never sends the same SMS twice.
func (s noticeSender) Lookup(ctx context.Context, to string, n notify.Notice) (string, bool, error) {
	if err := ctx.Err(); err != nil {
		return "", false, err
	}
	p := &api.ListMessageParams{}
	p.SetTo(to)
	p.SetFrom(s.t.from)
	p.SetPageSize(50)
	p.SetLimit(200)
	msgs, err := s.t.rc.Api.ListMessage(p)
	if err != nil {
		return "", false, fmt.Errorf("sms: list messages: %w", err)
	}
	marker := "n=" + notify.Marker(n.ID)
	if n.Kind == notify.KindVerifyCode {
		marker = n.Payload.Code
	}
	for _, m := range msgs {
		if m.Body != nil && m.Sid != nil && strings.Contains(*m.Body, marker) {
			return *m.Sid, true, nil
		}
	}
	return "", false, nil
}
