package main

import (
	"context"
	"fmt"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/storsthlm/mottagning/internal/mail"
	"github.com/storsthlm/mottagning/internal/notify"
	"github.com/storsthlm/mottagning/internal/outbox"
	"github.com/storsthlm/mottagning/internal/postgres"
	"github.com/storsthlm/mottagning/internal/queue"
	"github.com/storsthlm/mottagning/internal/sms"
	"github.com/storsthlm/mottagning/internal/worker"
)

// devNoticeBox is where `mottagning dev` delivers SMS and e-mail: serve
// (the /dev/outbox page) and worker run in one process and share it.
var devNoticeBox = notify.NewDevOutbox(200)

// devOutbox returns the dev outbox in dev mode, nil otherwise; serve passes
// it to httpapi.Deps.DevOutbox.
func (a *appCtx) devOutbox() *notify.DevOutbox {
	if !a.cfg.Dev {
		return nil
	}
	return devNoticeBox
}

// noticeSenders returns the sender of each configured channel: the dev
// outbox in dev mode, else Twilio (TWILIO_*) and SMTP (SMTP_*). A channel
// left out is off: its notices are recorded as failed with reason channel_off
// (counted as dropped in the metrics), never retried.
func (a *appCtx) noticeSenders() (map[notify.Channel]notify.Sender, error) {
	if a.cfg.Dev {
		a.log.Info("notices: dev mode, delivered to /dev/outbox")
		return map[notify.Channel]notify.Sender{notify.SMS: devNoticeBox.For(notify.SMS), notify.Email: devNoticeBox.For(notify.Email)}, nil
	}
	senders := map[notify.Channel]notify.Sender{}
	if a.cfg.TwilioAccountSID != "" {
		t, err := sms.NewTwilio(sms.Config{AccountSID: a.cfg.TwilioAccountSID, AuthToken: a.cfg.TwilioAuthToken,
			Region: a.cfg.TwilioRegion, Edge: a.cfg.TwilioEdge, From: a.cfg.TwilioFrom,
			StatusCallback: a.cfg.TwilioStatusCallback()})
		if err != nil {
			return nil, fmt.Errorf("TWILIO_*: %w", err)
		}
		senders[notify.SMS] = t.Notices()
	}
	if a.cfg.SMTPHost != "" {
		m, err := mail.New(mail.Config{Host: a.cfg.SMTPHost, Port: a.cfg.SMTPPort, Username: a.cfg.SMTPUsername,
			Password: a.cfg.SMTPPassword, From: a.cfg.SMTPFrom, TLS: a.cfg.SMTPTLS})
		if err != nil {
			return nil, fmt.Errorf("SMTP_*: %w", err)
		}
		senders[notify.Email] = m
		a.log.Info("e-mail: on", "location", a.cfg.SMTPLocation)
	} else {
		a.log.Info("e-mail: off (SMTP_HOST is not set)")
	}
	return senders, nil
}

// startNotify registers the notification task handlers on srv and starts
// what runs beside them in the worker (the outbox relay) in g.
func (a *appCtx) startNotify(ctx context.Context, g *errgroup.Group, srv *worker.Server, db *postgres.DB) error {
	senders, err := a.noticeSenders()
	if err != nil {
		return err
	}
	metrics, err := outbox.NewMetrics(a.reg)
	if err != nil {
		return err
	}
	opt, err := queue.NewRedisOpt(a.cfg.RedisURL)
	if err != nil {
		return fmt.Errorf("REDIS_URL: %w", err)
	}
	client := queue.NewClient(opt)
	a.closers = append(a.closers, func() { client.Close() })
	srv.Handle(outbox.TypeSend, &outbox.Handler{Store: db, Senders: senders, BaseURL: a.cfg.BaseURL,
		Metrics: metrics, Log: a.log})
	srv.Handle(outbox.TypePurge, &outbox.PurgeHandler{Store: db, Log: a.log})
	relay := &outbox.Relay{Store: db, Client: client, ConnURL: a.dbURL, Queue: queue.QueueCritical,
		Poll: 5 * time.Second, Metrics: metrics, Log: a.log}
	g.Go(func() error { return relay.Run(ctx) })
	return nil
}

// notifyPeriodic lists the periodic tasks of notifications: the daily
// purge of finished notices. Notices that fall due later (24-hour
// reminders, queued with their due time by the booking feature) need no
// task of their own: the relay's polling picks them up.
func (a *appCtx) notifyPeriodic() []queue.Periodic {
	return []queue.Periodic{{Name: "notify_purge", Spec: "17 3 * * *", TaskType: outbox.TypePurge,
		Queue: queue.QueueRetention, Timeout: 10 * time.Minute}}
}
