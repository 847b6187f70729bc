package app

import (
	"context"
	"time"

	"github.com/vigil-oss/vigil/internal/sweep"
)

// DefaultIngestRequestRetention is how long Opsgenie request outcomes are
// kept when Config.IngestRequestRetention is not set. Senders ask about a
// request within seconds; a week leaves room for debugging by hand.
const DefaultIngestRequestRetention = 7 * 24 * time.Hour

// How often the jobs run. A heartbeat is noticed at most
// heartbeatSweepEvery after it is due.
const (
	heartbeatSweepEvery = 10 * time.Second
	pruneEvery          = 15 * time.Minute
	expireAlertsEvery   = 5 * time.Second
)

// expireBatch is how many expired alerts one transaction resolves.
const expireBatch = 500

// jobs are the housekeeping jobs every replica runs (each is idempotent and
// safe to run concurrently on several replicas).
func (a *App) jobs() []sweep.Job {
	return []sweep.Job{
		{
			// Alerts whose endsAt (or resolve timeout) passed without a
			// re-send resolve, a batch at a time until none is left. Each
			// resolve re-checks ends_at in its transaction: replicas
			// sweeping together resolve an alert once.
			// The same call releases held alerts whose hold ended (a
			// silence ended, a maintenance window closed on the clock,
			// an inhibiting alert stopped firing), each re-checked in
			// its transaction, so they page once.
			Name:  "expire-alerts",
			Every: expireAlertsEvery,
			Run: func(ctx context.Context, _ time.Time) error {
				for {
					n, err := a.store.ExpireAlerts(ctx, expireBatch)
					if err != nil || n < expireBatch {
						return err
					}
				}
			},
		},
		{
			// Each expiry is a conditional update plus its alert in one
			// transaction, so replicas sweeping together alert once.
			Name:  "expire-heartbeats",
			Every: heartbeatSweepEvery,
			Run: func(ctx context.Context, _ time.Time) error {
				n, err := a.store.ExpireHeartbeats(ctx)
				if n > 0 {
					a.log.InfoContext(ctx, "heartbeats expired", "count", n)
				}
				return err
			},
		},
		{
			// Deleting rows older than a cutoff is idempotent: a second
			// replica finds nothing left to delete.
			Name:  "prune-ingest-requests",
			Every: pruneEvery,
			Run: func(ctx context.Context, now time.Time) error {
				n, err := a.store.PruneIngestRequests(ctx, now.Add(-a.cfg.IngestRequestRetention))
				if n > 0 {
					a.log.InfoContext(ctx, "pruned ingest request records", "count", n)
				}
				return err
			},
		},
	}
}
