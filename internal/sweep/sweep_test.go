package sweep

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

func TestRunDueFollowsTheClock(t *testing.T) {
	clock := vigil.NewManualClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	var fast, slow []time.Time
	r := New(clock, nil,
		Job{Name: "fast", Every: 10 * time.Second, Run: func(_ context.Context, now time.Time) error {
			fast = append(fast, now)
			return nil
		}},
		Job{Name: "slow", Every: time.Minute, Run: func(_ context.Context, now time.Time) error {
			slow = append(slow, now)
			return errors.New("failing jobs run again at their next time")
		}},
	)
	ctx := context.Background()
	if n := r.RunDue(ctx); n != 2 {
		t.Fatalf("first pass ran %d jobs, want 2 (everything is due at start)", n)
	}
	if n := r.RunDue(ctx); n != 0 {
		t.Fatalf("second pass at the same time ran %d jobs, want 0", n)
	}
	for i := 0; i < 6; i++ {
		clock.Advance(10 * time.Second)
		r.RunDue(ctx)
	}
	if len(fast) != 7 {
		t.Errorf("fast job ran %d times over a minute of 10 s steps, want 7", len(fast))
	}
	if len(slow) != 2 {
		t.Errorf("slow job ran %d times, want 2 (at 0 and at 60 s)", len(slow))
	}
	if got := slow[len(slow)-1].Sub(slow[0]); got != time.Minute {
		t.Errorf("slow job's second run came %v after the first, want 1m", got)
	}
}

func TestRunStopsWithContext(t *testing.T) {
	ran := make(chan struct{}, 1)
	r := New(vigil.SystemClock{}, nil, Job{Name: "j", Every: time.Hour, Run: func(context.Context, time.Time) error {
		ran <- struct{}{}
		return nil
	}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.Run(ctx, time.Millisecond); close(done) }()
	<-ran
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
}
