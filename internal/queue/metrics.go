package queue

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics counts the scheduler's enqueues per periodic task name.
type metrics struct {
	enqueued, conflicts, errors *prometheus.CounterVec
}

// newMetrics creates the counters and registers them on reg, reusing
// counters already registered there (a second Scheduler in one process).
// It returns an error if reg holds a different collector of the same name.
func newMetrics(reg prometheus.Registerer) (metrics, error) {
	var m metrics
	var err error
	m.enqueued, err = counter(reg, "mottagning_scheduler_enqueued_total",
		"Periodic task runs enqueued by this scheduler.")
	if err != nil {
		return metrics{}, err
	}
	m.conflicts, err = counter(reg, "mottagning_scheduler_conflicts_total",
		"Periodic task runs already enqueued by another scheduler (task id conflict).")
	if err != nil {
		return metrics{}, err
	}
	m.errors, err = counter(reg, "mottagning_scheduler_enqueue_errors_total",
		"Failed attempts to enqueue a periodic task run.")
	return m, err
}

func counter(reg prometheus.Registerer, name, help string) (*prometheus.CounterVec, error) {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, []string{"task"})
	if reg == nil {
		return c, nil
	}
	err := reg.Register(c)
	if are, ok := errors.AsType[prometheus.AlreadyRegisteredError](err); ok {
		if existing, ok := are.ExistingCollector.(*prometheus.CounterVec); ok {
			return existing, nil
		}
	}
	if err != nil {
		return nil, fmt.Errorf("registering %s: %w", name, err)
	}
	return c, nil
}

// init makes the task's series exist at zero, so dashboards see it at once.
func (m metrics) init(task string) {
	m.enqueued.WithLabelValues(task)
	m.conflicts.WithLabelValues(task)
	m.errors.WithLabelValues(task)
}
