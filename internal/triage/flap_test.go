package triage

import (
	"testing"
	"time"
)

// TestFlapHysteresis walks an alert through changes on a minute grid:
// "c" is a state change at that minute, "." a check of Settled.
func TestFlapHysteresis(t *testing.T) {
	p := FlapPolicy{MaxChanges: 3, Window: 5 * time.Minute, Hold: 10 * time.Minute}
	t0 := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	type step struct {
		minute   int
		change   bool
		flapping bool // the state after the step
		started  bool // this change started flapping
		settled  bool // Settled at this minute (checks only)
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"three changes in the window are not flapping", []step{
			{minute: 0, change: true}, {minute: 1, change: true}, {minute: 2, change: true},
			{minute: 3}, // a check
		}},
		{"the fourth change within 5 minutes starts flapping, once", []step{
			{minute: 0, change: true}, {minute: 1, change: true}, {minute: 2, change: true},
			{minute: 4, change: true, flapping: true, started: true},
			{minute: 5, change: true, flapping: true},
		}},
		{"spread-out changes never flap", []step{
			{minute: 0, change: true}, {minute: 2, change: true}, {minute: 4, change: true},
			{minute: 6, change: true}, {minute: 8, change: true}, {minute: 10, change: true},
		}},
		{"hysteresis: quiet for the hold time ends it, not before", []step{
			{minute: 0, change: true}, {minute: 1, change: true}, {minute: 2, change: true},
			{minute: 3, change: true, flapping: true, started: true},
			{minute: 12, flapping: true},                // 9 quiet minutes
			{minute: 13, flapping: true, settled: true}, // 10 quiet minutes
		}},
		{"a change during the hold restarts it", []step{
			{minute: 0, change: true}, {minute: 1, change: true}, {minute: 2, change: true},
			{minute: 3, change: true, flapping: true, started: true},
			{minute: 11, change: true, flapping: true}, // one change, far below the threshold, still flapping
			{minute: 13, flapping: true},
			{minute: 21, flapping: true, settled: true},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s FlapState
			for _, st := range tt.steps {
				at := t0.Add(time.Duration(st.minute) * time.Minute)
				if st.change {
					var started bool
					s, started = p.Change(s, at)
					if started != st.started {
						t.Errorf("minute %d: started = %v, want %v", st.minute, started, st.started)
					}
					if len(s.Changes) > p.MaxChanges+1 {
						t.Errorf("minute %d: %d changes kept", st.minute, len(s.Changes))
					}
				} else if got := p.Settled(s, at); got != st.settled {
					t.Errorf("minute %d: Settled = %v, want %v", st.minute, got, st.settled)
				}
				if s.Flapping != st.flapping {
					t.Errorf("minute %d: flapping = %v, want %v", st.minute, s.Flapping, st.flapping)
				}
			}
		})
	}
	// SettlesAt names the instant Settled turns true.
	var s FlapState
	for m := range 4 {
		s, _ = p.Change(s, t0.Add(time.Duration(m)*time.Minute))
	}
	if at := p.SettlesAt(s); !at.Equal(t0.Add(13*time.Minute)) || !p.Settled(s, at) || p.Settled(s, at.Add(-time.Second)) {
		t.Errorf("SettlesAt = %s", at)
	}
	if !p.SettlesAt(FlapState{}).IsZero() {
		t.Error("SettlesAt of a calm alert is not zero")
	}
}
