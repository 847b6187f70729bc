package storetest

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// expiring is a trigger that resolves on its own at endsAt.
func expiring(serviceID int64, key string, endsAt time.Time) *vigil.Event {
	e := trigger(serviceID, key, key, vigil.SeverityError)
	e.EndsAt = &endsAt
	return e
}

// testAlertExpiry: an alert with an end time resolves when the time passes,
// once, through the event path (timeline, auto-resolve of the incident); a
// re-send before then moves the end on; a trigger without one clears it.
func testAlertExpiry(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	s := e.service("prom", nil)
	a := e.send1(expiring(s.ID, "a", t0.Add(5*time.Minute)))
	e.send1(expiring(s.ID, "b", t0.Add(5*time.Minute)))
	e.send1(expiring(s.ID, "c", t0.Add(5*time.Minute)))

	got, err := e.st.FindAlertByID(e.ctx, a.AlertID)
	if err != nil {
		t.Fatal(err)
	}
	if got.EndsAt == nil || !got.EndsAt.Equal(t0.Add(5*time.Minute)) {
		t.Fatalf("EndsAt = %v, want %v", got.EndsAt, t0.Add(5*time.Minute))
	}
	expire := func(want int) {
		t.Helper()
		n, err := e.st.ExpireAlerts(e.ctx, 100)
		if err != nil || n != want {
			t.Fatalf("ExpireAlerts = %d, %v; want %d", n, err, want)
		}
	}
	e.clock.Advance(4 * time.Minute)
	expire(0)
	// b is re-sent with a later end; c is re-sent by a sender that has no
	// end time (it now fires until resolved).
	e.send1(expiring(s.ID, "b", t0.Add(9*time.Minute)))
	e.send1(trigger(s.ID, "c", "c", vigil.SeverityError))
	e.clock.Advance(time.Minute) // t0+5m: a's end, exactly
	expire(1)
	expire(0) // never twice
	if got, _ := e.st.FindAlertByID(e.ctx, a.AlertID); got.Status != vigil.AlertResolved || !got.ResolvedAt.Equal(t0.Add(5*time.Minute)) {
		t.Fatalf("a = %s at %v, want resolved at its end time", got.Status, got.ResolvedAt)
	}
	tl := e.timeline(a.IncidentID)
	last := tl[len(tl)-1]
	if last.Kind != vigil.EntryAlertResolved || last.ActorKind != vigil.ActorSystem || !strings.Contains(last.Message, `"a"`) {
		t.Errorf("last entry = %+v, want a system entry resolving a", last)
	}
	e.clock.Advance(time.Hour)
	expire(1) // b; c has no end any more
	firing, err := e.st.FindFiringAlerts(e.ctx, s.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(firing) != 1 || firing[0].DedupKey != "c" || firing[0].EndsAt != nil {
		t.Fatalf("firing = %v, want only c, without an end", keysOf(firing))
	}
	if inc := e.incident(a.IncidentID); inc.Status == vigil.IncidentResolved {
		t.Errorf("incident resolved while c fires")
	}
	e.send1(resolve(s.ID, "c"))
	if inc := e.incident(a.IncidentID); inc.Status != vigil.IncidentResolved {
		t.Errorf("incident %s after every alert ended, want resolved", inc.Status)
	}
}

// testAlertExpiryConcurrent: sweeps running at once (several replicas)
// resolve each alert exactly once.
func testAlertExpiryConcurrent(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	s := e.service("prom", func(s *vigil.Service) { s.Grouping = vigil.GroupingRule{Mode: vigil.GroupNone} })
	var evs []*vigil.Event
	for i := 0; i < 40; i++ {
		evs = append(evs, expiring(s.ID, "k"+string(rune('A'+i)), t0.Add(time.Minute)))
	}
	e.send(evs...)
	e.clock.Advance(2 * time.Minute)
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		total int
	)
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				n, err := e.st.ExpireAlerts(e.ctx, 7)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				total += n
				mu.Unlock()
				if n == 0 {
					if left, _ := e.st.FindFiringAlerts(e.ctx, s.ID, 100); len(left) == 0 {
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	if total != 40 {
		t.Errorf("concurrent sweeps resolved %d alerts, want 40 exactly", total)
	}
	alerts, _, err := e.st.FindAlerts(e.ctx, vigil.AlertFilter{ServiceID: &s.ID, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	resolvedEntries := 0
	seen := map[int64]bool{}
	for _, a := range alerts {
		if a.Status != vigil.AlertResolved {
			t.Errorf("alert %s is %s", a.DedupKey, a.Status)
		}
		if seen[a.IncidentID] {
			continue
		}
		seen[a.IncidentID] = true
		for _, en := range e.timeline(a.IncidentID) {
			if en.Kind == vigil.EntryAlertResolved {
				resolvedEntries++
			}
		}
	}
	if resolvedEntries != 40 {
		t.Errorf("%d alert-resolved timeline entries, want 40", resolvedEntries)
	}
}

func testFindFiringAlerts(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	s1 := e.service("one", nil)
	s2 := e.service("two", nil)
	e.send(trigger(s1.ID, "x", "x", vigil.SeverityError), trigger(s2.ID, "y", "y", vigil.SeverityError),
		trigger(s1.ID, "z", "z", vigil.SeverityError))
	e.send1(resolve(s1.ID, "z"))
	all, err := e.st.FindFiringAlerts(e.ctx, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if got := keysOf(all); !cmp.Equal(got, []string{"x", "y"}) {
		t.Errorf("all firing = %v, want [x y] oldest first", got)
	}
	one, _ := e.st.FindFiringAlerts(e.ctx, s2.ID, 10)
	if got := keysOf(one); !cmp.Equal(got, []string{"y"}) {
		t.Errorf("firing of two = %v", got)
	}
	if capped, _ := e.st.FindFiringAlerts(e.ctx, 0, 1); len(capped) != 1 {
		t.Errorf("limit 1 gave %d", len(capped))
	}
	if _, err := e.st.FindFiringAlerts(e.ctx, 0, 0); vigil.ErrorCode(err) != vigil.CodeInvalid {
		t.Errorf("limit 0: %v, want invalid", err)
	}
}

func keysOf(alerts []*vigil.Alert) []string {
	out := make([]string, len(alerts))
	for i, a := range alerts {
		out[i] = a.DedupKey
	}
	return out
}
