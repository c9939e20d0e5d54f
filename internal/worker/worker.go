// Package worker runs the Asynq server: a mux from task type to handler,
// graceful shutdown, and the handlers themselves, each of which decodes its
// payload and calls a service.
package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/hibiken/asynq"
)

// Config sizes the server.
type Config struct {
	Concurrency int            // tasks processed at once; zero means one per CPU
	Queues      map[string]int // queue name to priority, e.g. queue.Queues("")
	// ShutdownTimeout is how long Run waits for tasks in progress after its
	// context is done; tasks still running then go back to their queue.
	// Zero means Asynq's default, 8 seconds.
	ShutdownTimeout time.Duration
}

// Server processes tasks from Redis.
type Server struct {
	srv *asynq.Server
	mux *asynq.ServeMux
	log *slog.Logger
}

// New returns a Server that will process cfg.Queues from the Redis of
// redisOpt once Run is called. A nil logger discards.
func New(redisOpt asynq.RedisConnOpt, cfg Config, logger *slog.Logger) *Server {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	logger = logger.With("component", "worker")
	s := &Server{mux: asynq.NewServeMux(), log: logger}
	s.mux.Use(s.logTasks)
	s.srv = asynq.NewServer(redisOpt, asynq.Config{
		Concurrency:     cfg.Concurrency,
		Queues:          cfg.Queues,
		ShutdownTimeout: cfg.ShutdownTimeout,
		Logger:          asynqLogger{logger},
		LogLevel:        asynq.DebugLevel, // the slog handler filters
		HealthCheckFunc: func(err error) {
			if err != nil {
				logger.Warn("Redis unreachable", "err", err)
			}
		},
	})
	return s
}

// Handle routes tasks of taskType to h. Asynq matches the longest
// registered prefix of the type. It panics, like http.ServeMux, on a
// duplicate type or nil handler; call it before Run.
func (s *Server) Handle(taskType string, h asynq.Handler) {
	s.mux.Handle(taskType, h)
}

// Run processes tasks until ctx is done, then stops taking new ones, waits
// up to ShutdownTimeout for those in progress and returns nil. It returns an
// error if the server cannot start.
func (s *Server) Run(ctx context.Context) error {
	if err := s.srv.Start(s.mux); err != nil {
		return fmt.Errorf("worker.Run: %w", err)
	}
	s.log.InfoContext(ctx, "worker started")
	<-ctx.Done()
	s.log.Info("worker stopping; waiting for tasks in progress")
	s.srv.Shutdown()
	s.log.Info("worker stopped")
	return nil
}

// logTasks logs each task's outcome with its type and id, never its payload.
func (s *Server) logTasks(next asynq.Handler) asynq.Handler {
	return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
		start := time.Now()
		err := next.ProcessTask(ctx, t)
		id, _ := asynq.GetTaskID(ctx)
		q, _ := asynq.GetQueueName(ctx)
		retried, _ := asynq.GetRetryCount(ctx)
		attrs := []any{"task_type", t.Type(), "task_id", id, "queue", q,
			"retried", retried, "duration", time.Since(start)}
		switch {
		case err == nil:
			s.log.DebugContext(ctx, "task done", attrs...)
		case errors.Is(err, asynq.SkipRetry):
			s.log.ErrorContext(ctx, "task failed permanently", append(attrs, "err", err)...)
		default:
			s.log.WarnContext(ctx, "task failed", append(attrs, "err", err)...)
		}
		return err
	})
}

// asynqLogger sends Asynq's own log lines to slog.
type asynqLogger struct{ l *slog.Logger }

func (a asynqLogger) log(level slog.Level, args []any) {
	ctx := context.Background()
	if a.l.Enabled(ctx, level) {
		a.l.Log(ctx, level, fmt.Sprint(args...), "source", "asynq")
	}
}

func (a asynqLogger) Debug(args ...any) { a.log(slog.LevelDebug, args) }
func (a asynqLogger) Info(args ...any)  { a.log(slog.LevelInfo, args) }
func (a asynqLogger) Warn(args ...any)  { a.log(slog.LevelWarn, args) }
func (a asynqLogger) Error(args ...any) { a.log(slog.LevelError, args) }

// Fatal logs and exits, as asynq.Logger requires; Asynq itself never calls it.
func (a asynqLogger) Fatal(args ...any) {
	a.log(slog.LevelError, args)
	os.Exit(1)
}
