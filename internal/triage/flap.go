package triage

import (
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// FlapPolicy is flap control with hysteresis: an alert that changes
// state (fires, resolves, fires again) more than MaxChanges times within
// Window is flapping. A flapping alert's incident pages once and stays
// open: its resolves do not resolve it and its re-fires do not page
// again, until the alert has been quiet (no change) for Hold. Then the
// incident follows the alert's last state.
type FlapPolicy struct {
	MaxChanges int
	Window     time.Duration
	Hold       time.Duration
}

// DefaultFlapPolicy: more than 4 changes in 10 minutes is flapping, and
// 15 quiet minutes end it.
var DefaultFlapPolicy = FlapPolicy{MaxChanges: vigil.DefaultFlap.Changes, Window: time.Duration(vigil.DefaultFlap.Window),
	Hold: time.Duration(vigil.DefaultFlap.Quiet)}

// FlapState is what storage keeps per alert between changes.
type FlapState struct {
	// Changes are the times of the latest changes, oldest first, at most
	// MaxChanges+1 of them.
	Changes  []time.Time
	Flapping bool
}

// Change records a state change at at and returns the new state;
// started is true when this change made the alert flapping.
func (p FlapPolicy) Change(s FlapState, at time.Time) (next FlapState, started bool) {
	keep := p.MaxChanges + 1
	changes := make([]time.Time, 0, keep)
	for _, c := range s.Changes {
		if at.Sub(c) < p.Window {
			changes = append(changes, c)
		}
	}
	changes = append(changes, at)
	if len(changes) > keep {
		changes = changes[len(changes)-keep:]
	}
	next = FlapState{Changes: changes, Flapping: s.Flapping}
	if !s.Flapping && len(changes) > p.MaxChanges {
		next.Flapping, started = true, true
	}
	return next, started
}

// Settled reports whether a flapping alert has been quiet for Hold at
// now, so that flapping ends (the caller then clears Flapping and lets
// the incident follow the alert's last state).
func (p FlapPolicy) Settled(s FlapState, now time.Time) bool {
	if !s.Flapping || len(s.Changes) == 0 {
		return false
	}
	return now.Sub(s.Changes[len(s.Changes)-1]) >= p.Hold
}

// SettlesAt is when a flapping alert will have been quiet for Hold if it
// does not change again (zero when it is not flapping).
func (p FlapPolicy) SettlesAt(s FlapState) time.Time {
	if !s.Flapping || len(s.Changes) == 0 {
		return time.Time{}
	}
	return s.Changes[len(s.Changes)-1].Add(p.Hold)
}
