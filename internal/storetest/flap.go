package storetest

import (
	"strings"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// Flap control with the default policy (more than 4 changes in 10
// minutes; 15 quiet minutes end it): the first firings page as usual; once
// the key flaps, its incident stays open through resolves, re-fires join
// it without a new incident, and after the hold the housekeeping resolves
// it (its alert being resolved); later firings page again.
func testFlapControl(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	svc := e.service("disk", func(s *vigil.Service) { s.Grouping = vigil.GroupingRule{Mode: vigil.GroupNone} })
	step := func(ev *vigil.Event) vigil.EventResult {
		t.Helper()
		e.clock.Advance(30 * time.Second)
		return e.send1(ev)
	}
	fire := func() vigil.EventResult {
		return step(trigger(svc.ID, "disk-full", "disk 95% full", vigil.SeverityCritical))
	}
	var opened []int64
	for range 3 { // F1 R1 F2 R2 F3: four changes counted (the first firing is not one)
		r := fire()
		if !r.IncidentNew {
			t.Fatalf("firing %d should open an incident: %+v", len(opened)+1, r)
		}
		opened = append(opened, r.IncidentID)
		if len(opened) < 3 {
			step(resolve(svc.ID, "disk-full"))
			if inc := e.incident(r.IncidentID); inc.Status != vigil.IncidentResolved {
				t.Fatalf("before flapping, a resolve resolves: %+v", inc)
			}
		}
	}
	last := opened[2]
	step(resolve(svc.ID, "disk-full")) // the fifth change: flapping
	if inc := e.incident(last); inc.Status == vigil.IncidentResolved {
		t.Fatalf("a flapping alert's incident stays open: %+v", inc)
	}
	var note bool
	for _, en := range e.timeline(last) {
		note = note || (en.Kind == vigil.EntryFlapping && strings.Contains(en.Message, `"disk-full" is flapping`))
	}
	if !note {
		t.Errorf("no flapping note on incident %d", last)
	}
	for range 3 {
		if r := fire(); r.IncidentNew || r.IncidentID != last || !r.AlertNew {
			t.Errorf("a re-fire while flapping joins incident %d: %+v", last, r)
		}
		step(resolve(svc.ID, "disk-full"))
	}
	if list, _ := e.incidents(vigil.IncidentFilter{ServiceID: &svc.ID}); len(list) != 3 {
		t.Errorf("incidents %d, want 3 (flapping opened no more)", len(list))
	}
	// Not yet quiet for 15 minutes: nothing settles.
	e.clock.Advance(10 * time.Minute)
	if _, err := e.st.ExpireAlerts(e.ctx, 100); err != nil {
		t.Fatal(err)
	}
	if inc := e.incident(last); inc.Status == vigil.IncidentResolved {
		t.Errorf("settled before the hold time: %+v", inc)
	}
	e.clock.Advance(6 * time.Minute)
	if _, err := e.st.ExpireAlerts(e.ctx, 100); err != nil {
		t.Fatal(err)
	}
	if inc := e.incident(last); inc.Status != vigil.IncidentResolved || inc.ResolvedBy != "flap control" {
		t.Errorf("after the hold, the incident follows its resolved alert: %+v", inc)
	}
	if r := fire(); !r.IncidentNew {
		t.Errorf("after flapping ended, a firing opens an incident: %+v", r)
	}
}
