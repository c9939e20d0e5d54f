package notify

import (
	"context"
	"errors"
	"sync"
	"time"
)

// ErrPermanent marks a send that no retry can fix (an invalid number, a
// hard bounce): the contact is then marked undeliverable.
var ErrPermanent = errors.New("notify: permanent failure")

// Sender delivers a rendered notice on one channel. Send returns the
// provider's message id. Lookup finds a message already accepted for the
// notice (after an ambiguous failure), returning its id and true.
type Sender interface {
	Send(ctx context.Context, to string, n Notice, m Message) (providerID string, err error)
	Lookup(ctx context.Context, to string, n Notice) (providerID string, found bool, err error)
}

// DevMessage is a message kept by the dev outbox.
type DevMessage struct {
	At      time.Time
	Channel Channel
	To      string
	Subject string
	Body    string
	ID      string
}

// DevOutbox is the Sender of `mottagning dev` for both channels: it keeps
// the last messages in memory for the /dev/outbox page instead of sending.
type DevOutbox struct {
	mu   sync.Mutex
	max  int
	msgs []DevMessage
}

// NewDevOutbox keeps at most max messages.
func NewDevOutbox(max int) *DevOutbox { return &DevOutbox{max: max} }

// For returns a Sender on channel ch that delivers into o.
func (o *DevOutbox) For(ch Channel) Sender { return devSender{o: o, ch: ch} }

// Messages returns the kept messages, newest first.
func (o *DevOutbox) Messages() []DevMessage {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make([]DevMessage, len(o.msgs))
	for i, m := range o.msgs {
		out[len(o.msgs)-1-i] = m
	}
	return out
}

type devSender struct {
	o  *DevOutbox
	ch Channel
}

func (d devSender) Send(_ context.Context, to string, n Notice, m Message) (string, error) {
	d.o.mu.Lock()
	defer d.o.mu.Unlock()
	id := "dev-" + n.ID.String()
	d.o.msgs = append(d.o.msgs, DevMessage{At: time.Now(), Channel: d.ch, To: to, Subject: m.Subject, Body: m.Body, ID: id})
	if len(d.o.msgs) > d.o.max {
		d.o.msgs = d.o.msgs[len(d.o.msgs)-d.o.max:]
	}
	return id, nil
}

func (d devSender) Lookup(_ context.Context, _ string, n Notice) (string, bool, error) {
	d.o.mu.Lock()
	defer d.o.mu.Unlock()
	id := "dev-" + n.ID.String()
	for _, m := range d.o.msgs {
		if m.ID == id {
			return id, true, nil
		}
	}
	return "", false, nil
}
