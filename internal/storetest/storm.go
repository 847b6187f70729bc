package storetest

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// Storm protection: once a service opened its limit of incidents within
// the window, a new alert that would open another joins the newest open
// incident with a timeline note; one request's batch counts as it goes;
// after the window, incidents open again; 0 turns it off.
func testStormProtection(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	limit := func(n int) func(*vigil.Service) {
		return func(s *vigil.Service) {
			s.Grouping = vigil.GroupingRule{Mode: vigil.GroupNone, Storm: &vigil.StormLimit{Incidents: n, Window: vigil.Duration(10 * time.Minute)}}
		}
	}
	svc := e.service("edge", limit(3))
	var evs []*vigil.Event
	for i := range 5 {
		evs = append(evs, trigger(svc.ID, "k"+strconv.Itoa(i), "node "+strconv.Itoa(i)+" down", vigil.SeverityCritical))
	}
	res := e.send(evs...)
	var opened []int64
	for i, r := range res {
		if r.IncidentNew {
			opened = append(opened, r.IncidentID)
		}
		if i >= 3 && (r.IncidentNew || r.IncidentID != res[2].IncidentID || !r.AlertNew) {
			t.Errorf("alert %d: %+v, want it to join incident %d", i, r, res[2].IncidentID)
		}
	}
	if len(opened) != 3 {
		t.Fatalf("opened %v, want 3 incidents", opened)
	}
	var notes int
	for _, en := range e.timeline(res[2].IncidentID) {
		if strings.Contains(en.Message, "by storm protection: the service opened 3 incidents in the last 10m") {
			notes++
		}
	}
	if notes != 2 {
		t.Errorf("storm notes on the newest incident: %d, want 2", notes)
	}
	if inc := e.incident(res[2].IncidentID); inc.AlertCount != 3 {
		t.Errorf("alert count %d, want 3", inc.AlertCount)
	}

	// In another request, still within the window.
	if r := e.send1(trigger(svc.ID, "k5", "node 5 down", vigil.SeverityCritical)); r.IncidentNew || r.IncidentID != res[2].IncidentID {
		t.Errorf("later alert in the storm: %+v", r)
	}
	// The window passes: incidents open again.
	e.clock.Advance(11 * time.Minute)
	if r := e.send1(trigger(svc.ID, "k6", "node 6 down", vigil.SeverityCritical)); !r.IncidentNew {
		t.Errorf("after the window: %+v", r)
	}

	off := e.service("off", limit(0))
	for i := range 5 {
		if r := e.send1(trigger(off.ID, "k"+strconv.Itoa(i), "x", vigil.SeverityError)); !r.IncidentNew {
			t.Errorf("storm protection off: alert %d %+v", i, r)
		}
	}
	bad := &vigil.Service{Name: "bad", Grouping: vigil.GroupingRule{Mode: vigil.GroupNone, Storm: &vigil.StormLimit{Incidents: 5, Window: vigil.Duration(time.Second)}}}
	fieldIs(t, "storm window", e.st.CreateService(e.ctx, bad), vigil.CodeInvalid, "grouping.storm.window")
}
