// Package sweep runs Vigil's periodic housekeeping jobs: expiring alerts
// whose endsAt passed, checking heartbeats, pruning old rows. Every job is
// idempotent and safe to run on several replicas at once (each is one
// conditional statement or a batch of them), so no leader election is
// needed. Time comes from the injected clock: tests call RunDue with a
// manual clock instead of waiting.
package sweep

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// Job is one periodic task.
type Job struct {
	// Name appears in logs.
	Name string
	// Every is how often the job runs (by the clock it is given).
	Every time.Duration
	// Run does one pass at now. An error is logged and the job runs again
	// at its next time.
	Run func(ctx context.Context, now time.Time) error
}

// Runner runs jobs when they are due.
type Runner struct {
	clock vigil.Clock
	log   *slog.Logger
	jobs  []Job

	mu   sync.Mutex
	next []time.Time // next due time of each job; zero: at once
}

// New returns a runner of jobs.
func New(clock vigil.Clock, log *slog.Logger, jobs ...Job) *Runner {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Runner{clock: clock, log: log, jobs: jobs, next: make([]time.Time, len(jobs))}
}

// RunDue runs, one after the other, every job due at the clock's now and
// returns how many ran. Concurrent calls do not run a job twice for the
// same due time.
func (r *Runner) RunDue(ctx context.Context) int {
	now := r.clock.Now()
	var due []int
	r.mu.Lock()
	for i, j := range r.jobs {
		if r.next[i].IsZero() || !now.Before(r.next[i]) {
			r.next[i] = now.Add(j.Every)
			due = append(due, i)
		}
	}
	r.mu.Unlock()
	for _, i := range due {
		j := r.jobs[i]
		if err := j.Run(ctx, now); err != nil && ctx.Err() == nil {
			r.log.WarnContext(ctx, "housekeeping job failed", "job", j.Name, "err", err)
		}
	}
	return len(due)
}

// Run checks for due jobs every tick of the wall clock until ctx ends. With
// a manual clock nothing is due until the clock moves.
func (r *Runner) Run(ctx context.Context, tick time.Duration) {
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		r.RunDue(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
