package storetest

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// RunTriageSettings runs the conformance tests of the per-service triage
// settings (auto-pause, flap control, the storm limit) and of what the
// classification rules do to incidents that alerts join or holds release.
func RunTriageSettings(t *testing.T, open OpenFunc) {
	tests := []struct {
		name string
		fn   func(t *testing.T, open OpenFunc)
	}{
		{"ServiceSettingsStored", testServiceSettingsStored},
		{"AutoPauseTransient", testAutoPauseTransient},
		{"AutoPauseStillFiring", testAutoPauseStillFiring},
		{"AutoPauseAfterSilence", testAutoPauseAfterSilence},
		{"AutoPauseByRule", testAutoPauseByRule},
		{"ServiceFlapPolicy", testServiceFlapPolicy},
		{"ServiceFlapOff", testServiceFlapOff},
		{"StormDefaultLimit", testStormDefaultLimit},
		{"RulesRaiseJoinedIncident", testRulesRaiseJoinedIncident},
		{"RulesClassifyReleasedAlert", testRulesClassifyReleasedAlert},
		{"RulesTeamRouteTimeline", testRulesTeamRouteTimeline},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, open)
		})
	}
}

func testServiceSettingsStored(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	svc := e.service("api", func(s *vigil.Service) {
		s.Flap = &vigil.FlapSettings{Changes: 3, Window: vigil.Duration(5 * time.Minute), Quiet: vigil.Duration(20 * time.Minute)}
		s.AutoPause = vigil.Duration(5 * time.Minute)
	})
	got, err := e.st.FindServiceByID(e.ctx, svc.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Flap == nil || *got.Flap != *svc.Flap || got.AutoPause != vigil.Duration(5*time.Minute) {
		t.Errorf("read back flap %+v, auto-pause %s", got.Flap, got.AutoPause)
	}
	off := vigil.Duration(0)
	upd, err := e.st.UpdateService(e.ctx, svc.ID, vigil.ServiceUpdate{Flap: &vigil.FlapSettings{}, AutoPause: &off})
	if err != nil || upd.Flap == nil || upd.Flap.Changes != 0 || upd.AutoPause != 0 {
		t.Fatalf("turned off: %+v %v", upd, err)
	}
	if got, _ := e.st.FindServiceByID(e.ctx, svc.ID); got.Flap == nil || got.Flap.Changes != 0 || got.AutoPause != 0 {
		t.Errorf("read back after turning off: %+v", got)
	}
	if plain := e.service("plain", nil); plain.Flap != nil || plain.AutoPause != 0 {
		t.Errorf("defaults %+v", plain)
	}

	bad := []struct {
		field string
		mod   func(*vigil.Service)
	}{
		{"auto_pause", func(s *vigil.Service) { s.AutoPause = vigil.Duration(30 * time.Second) }},
		{"auto_pause", func(s *vigil.Service) { s.AutoPause = vigil.Duration(25 * time.Hour) }},
		{"auto_pause", func(s *vigil.Service) { s.AutoPause = vigil.Duration(-time.Minute) }},
		{"flap.changes", func(s *vigil.Service) { s.Flap = &vigil.FlapSettings{Changes: -1} }},
		{"flap.window", func(s *vigil.Service) { s.Flap = &vigil.FlapSettings{Changes: 2, Quiet: vigil.Duration(time.Hour)} }},
		{"flap.quiet", func(s *vigil.Service) {
			s.Flap = &vigil.FlapSettings{Changes: 2, Window: vigil.Duration(time.Hour), Quiet: vigil.Duration(48 * time.Hour)}
		}},
	}
	for i, b := range bad {
		s := &vigil.Service{Name: "bad" + strconv.Itoa(i)}
		b.mod(s)
		fieldIs(t, b.field, e.st.CreateService(e.ctx, s), vigil.CodeInvalid, b.field)
	}
	long := vigil.Duration(48 * time.Hour)
	_, err = e.st.UpdateService(e.ctx, svc.ID, vigil.ServiceUpdate{AutoPause: &long})
	fieldIs(t, "update auto_pause", err, vigil.CodeInvalid, "auto_pause")
}

// pausedService is a service that pauses new alerts for 5 minutes and
// opens one incident per alert.
func (e *env) pausedService(name string) *vigil.Service {
	return e.service(name, func(s *vigil.Service) {
		s.Grouping = vigil.GroupingRule{Mode: vigil.GroupNone}
		s.AutoPause = vigil.Duration(5 * time.Minute)
	})
}

// An alert that resolves within the pause pages no one and opens no
// incident; the alert says it was paused.
func testAutoPauseTransient(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	svc := e.pausedService("web")
	start := e.clock.Now()
	d, err := e.st.DryRunEvent(e.ctx, trigger(svc.ID, "blip", "latency blip", vigil.SeverityCritical), time.Time{})
	if err != nil || !slices.ContainsFunc(d.Decisions, func(s string) bool { return strings.Contains(s, "auto-pause holds it") }) {
		t.Errorf("route test of a paused service: %v %v", d, err)
	}
	r := e.send1(trigger(svc.ID, "blip", "latency blip", vigil.SeverityCritical))
	if !r.AlertNew || r.IncidentID != 0 || r.IncidentNew || r.PausedUntil == nil || !r.PausedUntil.Equal(start.Add(5*time.Minute)) || !r.Held() {
		t.Fatalf("paused trigger: %+v", r)
	}
	if kind, ok := e.alert(r.AlertID).Held(); !ok || kind != "paused" {
		t.Errorf("alert held as %q, %v; want paused", kind, ok)
	}
	if held, _ := e.alerts(vigil.AlertFilter{Held: true}); len(held) != 1 {
		t.Errorf("held alerts %d, want the paused one", len(held))
	}
	e.clock.Advance(2 * time.Minute)
	if rr := e.send1(resolve(svc.ID, "blip")); !rr.Changed || rr.IncidentID != 0 || rr.PausedUntil == nil {
		t.Errorf("resolve while paused: %+v", rr)
	}
	e.clock.Advance(10 * time.Minute)
	e.sweep()
	a := e.alert(r.AlertID)
	if a.Status != vigil.AlertResolved || a.IncidentID != 0 || a.PausedUntil == nil {
		t.Errorf("transient alert %+v", a)
	}
	if list, _ := e.incidents(vigil.IncidentFilter{ServiceID: &svc.ID}); len(list) != 0 {
		t.Errorf("a transient alert opened %d incidents", len(list))
	}
}

// An alert still firing at the end of the pause pages then: the sweep
// opens its incident. A repeat during the pause keeps the first deadline;
// a repeat after it opens the incident at once.
func testAutoPauseStillFiring(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	svc := e.pausedService("db")
	start := e.clock.Now()
	r := e.send1(trigger(svc.ID, "disk", "disk full", vigil.SeverityCritical))
	other := e.send1(trigger(svc.ID, "cpu", "cpu high", vigil.SeverityWarning))
	e.clock.Advance(3 * time.Minute)
	rep := e.send1(trigger(svc.ID, "disk", "disk full", vigil.SeverityCritical))
	if rep.AlertNew || rep.AlertID != r.AlertID || rep.IncidentID != 0 || rep.PausedUntil == nil || !rep.PausedUntil.Equal(start.Add(5*time.Minute)) {
		t.Fatalf("repeat during the pause: %+v", rep)
	}
	e.sweep() // nothing due yet
	if a := e.alert(r.AlertID); a.IncidentID != 0 {
		t.Fatalf("released before the pause ended: %+v", a)
	}
	e.clock.Advance(2 * time.Minute)
	// A repeat at the deadline does not wait for the sweep.
	now := e.send1(trigger(svc.ID, "cpu", "cpu high", vigil.SeverityWarning))
	if now.IncidentID == 0 || now.PausedUntil != nil || now.Held() {
		t.Errorf("repeat after the pause: %+v", now)
	}
	e.releaseHeld(1)
	a := e.alert(r.AlertID)
	if a.IncidentID == 0 || a.PausedUntil != nil || a.Status != vigil.AlertFiring {
		t.Fatalf("still firing after the pause: %+v", a)
	}
	if msg := e.joinedWith(a.IncidentID, a.ID); !strings.Contains(msg, "auto-pause ended") {
		t.Errorf("timeline says %q", msg)
	}
	if inc := e.incident(a.IncidentID); inc.Status != vigil.IncidentTriggered || inc.AlertCount != 1 {
		t.Errorf("incident %+v", inc)
	}
	if e.alert(other.AlertID).IncidentID == a.IncidentID {
		t.Errorf("grouping none: one incident per alert")
	}
	// Turned off: new alerts open incidents at once.
	off := vigil.Duration(0)
	if _, err := e.st.UpdateService(e.ctx, svc.ID, vigil.ServiceUpdate{AutoPause: &off}); err != nil {
		t.Fatal(err)
	}
	if r := e.send1(trigger(svc.ID, "mem", "memory", vigil.SeverityError)); !r.IncidentNew || r.PausedUntil != nil {
		t.Errorf("auto-pause off: %+v", r)
	}
}

// The pause counts from when the alert first fired: a silence shorter
// than the pause leaves it paused for the rest; when the pause is over it
// pages.
func testAutoPauseAfterSilence(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	svc := e.pausedService("queue")
	start := e.clock.Now()
	e.silence(2*time.Minute, nil, eq("team", "q"))
	r := e.send1(labelled(svc.ID, "lag", map[string]string{"team": "q"}))
	if r.SilencedBy == 0 || r.PausedUntil != nil {
		t.Fatalf("silence first: %+v", r)
	}
	e.clock.Advance(3 * time.Minute)
	e.releaseHeld(1)
	a := e.alert(r.AlertID)
	if a.IncidentID != 0 || a.SilencedBy != nil || a.PausedUntil == nil || !a.PausedUntil.Equal(start.Add(5*time.Minute)) {
		t.Fatalf("after the silence, paused for the rest: %+v", a)
	}
	e.clock.Advance(2 * time.Minute)
	e.releaseHeld(1)
	if a := e.alert(r.AlertID); a.IncidentID == 0 || a.PausedUntil != nil {
		t.Errorf("after the pause: %+v", a)
	}
}

// A rule's pause replaces the service's: a pause where the service has
// none, and "0" to page at once where it has one.
func testAutoPauseByRule(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	plain := e.service("plain", func(s *vigil.Service) { s.Grouping = vigil.GroupingRule{Mode: vigil.GroupNone} })
	paused := e.pausedService("paused")
	_, err := e.st.SetClassificationRules(e.ctx, vigil.ClassificationRuleSet{Rules: []vigil.ClassificationRule{
		{Name: "x", Set: vigil.ClassificationSet{Pause: "30s"}}}}, 0)
	fieldIs(t, "pause under a minute", err, vigil.CodeInvalid, "rules[0].set.pause")
	e.rules("",
		vigil.ClassificationRule{Name: "flaky-waits", When: `labels.flaky == "yes"`, Set: vigil.ClassificationSet{Pause: "2m"}},
		vigil.ClassificationRule{Name: "fire-now", When: `labels.fire == "now"`, Set: vigil.ClassificationSet{Pause: "0"}},
	)
	start := e.clock.Now()
	r := e.send1(labelled(plain.ID, "flaky", map[string]string{"flaky": "yes"}))
	if r.IncidentID != 0 || r.PausedUntil == nil || !r.PausedUntil.Equal(start.Add(2*time.Minute)) {
		t.Errorf("a rule's pause on a service without one: %+v", r)
	}
	if r := e.send1(labelled(plain.ID, "steady", nil)); !r.IncidentNew {
		t.Errorf("no rule, no pause: %+v", r)
	}
	if r := e.send1(labelled(paused.ID, "urgent", map[string]string{"fire": "now"})); !r.IncidentNew || r.PausedUntil != nil {
		t.Errorf("pause 0 pages at once: %+v", r)
	}
	e.clock.Advance(2 * time.Minute)
	e.releaseHeld(1)
	a := e.alert(r.AlertID)
	if a.IncidentID == 0 {
		t.Fatalf("not released after the rule's pause: %+v", a)
	}
	if lines := e.classifiedLines(a.IncidentID); !slices.Contains(lines, "pause 2m set by rule 'flaky-waits'") {
		t.Errorf("timeline %q", lines)
	}
}

// flapCycle fires and resolves key n times, 30 seconds apart, and returns
// the incidents the firings opened or joined.
func (e *env) flapCycle(svc int64, key string, n int) []int64 {
	e.t.Helper()
	var out []int64
	for range n {
		e.clock.Advance(30 * time.Second)
		r := e.send1(trigger(svc, key, key+" down", vigil.SeverityCritical))
		out = append(out, r.IncidentID)
		e.clock.Advance(30 * time.Second)
		e.send1(resolve(svc, key))
	}
	return out
}

// A service's own flap policy replaces the default: more than 2 changes
// in 10 minutes flaps (the default needs more than 4), 5 quiet minutes
// settle it (the default 15).
func testServiceFlapPolicy(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	svc := e.service("flappy", func(s *vigil.Service) {
		s.Grouping = vigil.GroupingRule{Mode: vigil.GroupNone}
		s.Flap = &vigil.FlapSettings{Changes: 2, Window: vigil.Duration(10 * time.Minute), Quiet: vigil.Duration(5 * time.Minute)}
	})
	// F1 R1 F2 R2: the second resolve is the third change.
	ids := e.flapCycle(svc.ID, "link", 2)
	last := ids[1]
	if ids[0] == last {
		t.Fatalf("before flapping each firing opens an incident: %v", ids)
	}
	if inc := e.incident(last); inc.Status == vigil.IncidentResolved {
		t.Fatalf("flapping after 3 changes: the incident stays open: %+v", inc)
	}
	var note bool
	for _, en := range e.timeline(last) {
		note = note || (en.Kind == vigil.EntryFlapping && strings.Contains(en.Message, "more than 2 changes in 10m") && strings.Contains(en.Message, "quiet for 5m"))
	}
	if !note {
		t.Errorf("no flapping note with the service's policy on incident %d", last)
	}
	if again := e.flapCycle(svc.ID, "link", 1); again[0] != last {
		t.Errorf("a re-fire while flapping joins %d: %v", last, again)
	}
	e.clock.Advance(4 * time.Minute)
	e.sweep()
	if inc := e.incident(last); inc.Status == vigil.IncidentResolved {
		t.Errorf("settled before 5 quiet minutes")
	}
	e.clock.Advance(time.Minute + time.Second)
	e.sweep()
	if inc := e.incident(last); inc.Status != vigil.IncidentResolved || inc.ResolvedBy != "flap control" {
		t.Errorf("after 5 quiet minutes: %+v", inc)
	}
}

// checkNoFlapping fails unless every one of 8 fire/resolve cycles of a key
// opened its own incident and resolved it, with no flapping note.
func (e *env) checkNoFlapping(svc int64) {
	e.t.Helper()
	ids := e.flapCycle(svc, "flappy", 8)
	seen := map[int64]bool{}
	for i, id := range ids {
		if id == 0 || seen[id] {
			e.t.Fatalf("firing %d: incident %d, want a new one each time (%v)", i+1, id, ids)
		}
		seen[id] = true
		inc := e.incident(id)
		if inc.Status != vigil.IncidentResolved {
			e.t.Errorf("incident %d stayed open: %+v", id, inc)
		}
		for _, en := range e.timeline(id) {
			if en.Kind == vigil.EntryFlapping {
				e.t.Errorf("flap control is off, yet incident %d says %q", id, en.Message)
			}
		}
	}
}

// changes 0 turns flap control off for the service alone.
func testServiceFlapOff(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	svc := e.service("off", func(s *vigil.Service) {
		s.Grouping = vigil.GroupingRule{Mode: vigil.GroupNone}
		s.Flap = &vigil.FlapSettings{Changes: 0}
	})
	e.checkNoFlapping(svc.ID)
}

// RunFlapControlOff checks a store opened with flap control off for every
// service (store.Config.Flap.MaxChanges < 0): an alert that keeps firing
// and resolving opens and resolves an incident each time.
func RunFlapControlOff(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	svc := e.service("flappy", func(s *vigil.Service) { s.Grouping = vigil.GroupingRule{Mode: vigil.GroupNone} })
	e.checkNoFlapping(svc.ID)
}

// With no storm limit of its own, a service gets the default: 20
// incidents in 10 minutes, then alerts join the newest.
func testStormDefaultLimit(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	svc := e.service("edge", func(s *vigil.Service) { s.Grouping = vigil.GroupingRule{Mode: vigil.GroupNone} })
	var opened []int64
	for i := range 22 {
		e.clock.Advance(20 * time.Second) // 22 alerts within 7.5 minutes
		r := e.send1(trigger(svc.ID, "k"+strconv.Itoa(i), "node down", vigil.SeverityCritical))
		if r.IncidentNew {
			opened = append(opened, r.IncidentID)
		} else if len(opened) == 20 && r.IncidentID != opened[19] {
			t.Errorf("alert %d joined %d, want the newest incident %d", i, r.IncidentID, opened[19])
		}
	}
	if len(opened) != vigil.DefaultStorm.Incidents {
		t.Fatalf("opened %d incidents, want the default limit %d", len(opened), vigil.DefaultStorm.Incidents)
	}
	var notes int
	for _, en := range e.timeline(opened[19]) {
		if strings.Contains(en.Message, "by storm protection: the service opened 20 incidents in the last 10m") {
			notes++
		}
	}
	if notes != 2 {
		t.Errorf("storm notes %d, want 2", notes)
	}
}

// An alert joining an open incident raises its level and priority when
// its rules decided higher ones, with a timeline line; never lowers them.
func testRulesRaiseJoinedIncident(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	svc := e.service("payments", nil) // time grouping: later alerts join
	e.rules("",
		vigil.ClassificationRule{Name: "minor", When: `labels.kind == "minor"`, Set: vigil.ClassificationSet{Sev: "SEV3", Priority: "P3"}},
		vigil.ClassificationRule{Name: "pay-5xx", When: `labels.kind == "5xx"`, Set: vigil.ClassificationSet{Sev: "SEV1"}},
		vigil.ClassificationRule{Name: "low", When: `labels.kind == "low"`, Set: vigil.ClassificationSet{Sev: "SEV4", Priority: "P5"}},
	)
	first := e.send1(labelled(svc.ID, "a", map[string]string{"kind": "minor"}))
	if inc := e.incident(first.IncidentID); inc.Level != "SEV3" || inc.Priority != "P3" {
		t.Fatalf("opened as %+v", inc)
	}
	e.clock.Advance(time.Minute)
	second := e.send1(labelled(svc.ID, "b", map[string]string{"kind": "5xx"}))
	if second.IncidentID != first.IncidentID || second.IncidentNew {
		t.Fatalf("the second alert should join: %+v", second)
	}
	if inc := e.incident(first.IncidentID); inc.Level != "SEV1" || inc.Priority != "P3" {
		t.Errorf("after the SEV1 alert joined: level %q priority %q", inc.Level, inc.Priority)
	}
	e.send1(labelled(svc.ID, "c", map[string]string{"kind": "low"}))
	if inc := e.incident(first.IncidentID); inc.Level != "SEV1" || inc.Priority != "P3" {
		t.Errorf("a lower decision lowered the incident: level %q priority %q", inc.Level, inc.Priority)
	}
	lines := e.classifiedLines(first.IncidentID)
	if !slices.Contains(lines, `sev raised to SEV1 by rule 'pay-5xx' on alert "b"`) {
		t.Errorf("timeline %q", lines)
	}
	for _, l := range lines {
		if strings.Contains(l, "SEV4") || strings.Contains(l, "P5") {
			t.Errorf("a lower decision is on the timeline: %q", l)
		}
	}
	// An incident with no level takes the first one an alert brings.
	plain := e.service("plain", nil)
	p1 := e.send1(trigger(plain.ID, "x", "x", vigil.SeverityError))
	e.send1(labelled(plain.ID, "y", map[string]string{"kind": "minor"}))
	if inc := e.incident(p1.IncidentID); inc.Level != "SEV3" || inc.Priority != "P3" {
		t.Errorf("unclassified incident joined by a SEV3 alert: %+v", inc)
	}
}

// The incident a held alert opens when it is released is classified by
// the rules as they are then.
func testRulesClassifyReleasedAlert(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	svc := e.service("db", nil)
	e.rules("", vigil.ClassificationRule{Name: "db-down", When: `labels.team == "db"`, Set: vigil.ClassificationSet{Sev: "SEV1", Type: "outage"}})
	e.silence(time.Hour, nil, eq("team", "db"))
	r := e.send1(labelled(svc.ID, "primary", map[string]string{"team": "db"}))
	if r.SilencedBy == 0 {
		t.Fatalf("silenced: %+v", r)
	}
	e.clock.Advance(2 * time.Hour)
	e.releaseHeld(1)
	a := e.alert(r.AlertID)
	if a.IncidentID == 0 {
		t.Fatalf("not released: %+v", a)
	}
	inc := e.incident(a.IncidentID)
	if inc.Level != "SEV1" || inc.Type != "outage" {
		t.Errorf("released incident %+v", inc)
	}
	if lines := e.classifiedLines(inc.ID); !slices.Contains(lines, "sev SEV1 set by rule 'db-down'") {
		t.Errorf("timeline %q", lines)
	}
}

// A team route that moves an alert says so on the incident's timeline.
func testRulesTeamRouteTimeline(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	edge := e.service("edge", nil)
	team := &vigil.Team{Name: "storage"}
	if err := e.st.CreateTeam(e.ctx, team); err != nil {
		t.Fatal(err)
	}
	disk := e.service("disk", func(s *vigil.Service) { s.TeamID = team.ID })
	e.rules("", vigil.ClassificationRule{Name: "storage", When: `labels.component == "ceph"`, Set: vigil.ClassificationSet{Team: "storage"}})
	r := e.send1(labelled(edge.ID, "osd", map[string]string{"component": "ceph"}))
	if r.RoutedTo != disk.ID || e.incident(r.IncidentID).ServiceID != disk.ID {
		t.Fatalf("team route: %+v", r)
	}
	lines := e.classifiedLines(r.IncidentID)
	if !slices.Contains(lines, "team storage set by rule 'storage'") ||
		!slices.Contains(lines, "Routed here from service "+strconv.FormatInt(edge.ID, 10)) {
		t.Errorf("timeline %q", lines)
	}
}
