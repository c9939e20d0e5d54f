package main

import (
	"context"

	"golang.org/x/sync/errgroup"

	"github.com/storsthlm/mottagning/internal/postgres"
	"github.com/storsthlm/mottagning/internal/queue"
	"github.com/storsthlm/mottagning/internal/worker"
)

// startRetention registers the retention task handlers on srv and starts
// what runs beside them in the worker in g.
func (a *appCtx) startRetention(ctx context.Context, g *errgroup.Group, srv *worker.Server, db *postgres.DB) error {
	return nil
}

// retentionPeriodic lists the periodic tasks of retention.
func (a *appCtx) retentionPeriodic() []queue.Periodic { return nil }
