package main

import (
	"context"

	"golang.org/x/sync/errgroup"

	"github.com/storsthlm/mottagning/internal/postgres"
	"github.com/storsthlm/mottagning/internal/queue"
	"github.com/storsthlm/mottagning/internal/worker"
)

// startNotify registers the notification task handlers on srv and starts
// what runs beside them in the worker (the outbox relay) in g.
func (a *appCtx) startNotify(ctx context.Context, g *errgroup.Group, srv *worker.Server, db *postgres.DB) error {
	return nil
}

// notifyPeriodic lists the periodic tasks of notifications.
func (a *appCtx) notifyPeriodic() []queue.Periodic { return nil }
