package app

import (
	"github.com/vigil-oss/vigil/internal/sweep"
)

// jobs are the housekeeping jobs every replica runs (each is idempotent and
// safe to run concurrently on several replicas).
func (a *App) jobs() []sweep.Job {
	return []sweep.Job{}
}
