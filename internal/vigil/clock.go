package vigil

import (
	"sync"
	"time"
)

// Clock tells the time. Everything that stamps or compares times takes one,
// so tests can move time by hand instead of sleeping. SQL never calls now().
type Clock interface {
	Now() time.Time
}

// SystemClock is the real clock.
type SystemClock struct{}

// Now returns the current UTC time, truncated to microseconds so a value
// round-trips unchanged through both databases.
func (SystemClock) Now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// ManualClock is a clock that moves only when told. Safe for concurrent use.
type ManualClock struct {
	mu  sync.Mutex
	now time.Time
}

// NewManualClock returns a clock stopped at t.
func NewManualClock(t time.Time) *ManualClock {
	return &ManualClock{now: t.UTC().Truncate(time.Microsecond)}
}

// Now returns the clock's current time.
func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *ManualClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d).Truncate(time.Microsecond)
	c.mu.Unlock()
}

// Set moves the clock to t.
func (c *ManualClock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t.UTC().Truncate(time.Microsecond)
	c.mu.Unlock()
}
