package storetest

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// RunHolds runs the conformance tests of maintenance windows and
// inhibition rules: storage and validation, and what they do to ingest
// (held alerts stored without an incident, released with a page when the
// hold ends, once however many replicas sweep).
func RunHolds(t *testing.T, open OpenFunc) {
	tests := []struct {
		name string
		fn   func(t *testing.T, open OpenFunc)
	}{
		{"MaintenanceCreateAndFind", testMaintenanceCRUD},
		{"MaintenanceInvalid", testMaintenanceInvalid},
		{"MaintenanceHoldsThenPages", testMaintenanceHoldsThenPages},
		{"MaintenanceNotOutside", testMaintenanceNotOutside},
		{"MaintenanceWeeklyAcrossDST", testMaintenanceWeeklyDST},
		{"MaintenanceByMatchers", testMaintenanceByMatchers},
		{"MaintenanceChangedOrDeleted", testMaintenanceChanged},
		{"MaintenanceResolveRecorded", testMaintenanceResolveRecorded},
		{"MaintenanceServiceDeleted", testMaintenanceServiceDeleted},
		{"MaintenanceReleaseConcurrent", testMaintenanceReleaseConcurrent},
		{"InhibitRuleCreateAndFind", testInhibitCRUD},
		{"InhibitRuleInvalid", testInhibitInvalid},
		{"InhibitWhileSourceFires", testInhibitWhileSourceFires},
		{"InhibitEqualLabels", testInhibitEqual},
		{"InhibitSameBatchAndLaterRule", testInhibitSameBatch},
		{"InhibitRuleDeletedReleases", testInhibitRuleDeleted},
		{"InhibitReleaseConcurrent", testInhibitReleaseConcurrent},
		{"HoldPrecedence", testHoldPrecedence},
		{"MaintenanceNextOpening", testMaintenanceNextOpening},
		{"AlertFilterHeld", testAlertFilterHeld},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, open)
		})
	}
}

// window creates a one-off maintenance window of services from start for
// d, after mod.
func (e *env) window(name string, start time.Time, d time.Duration, mod func(*vigil.MaintenanceWindow), services ...int64) *vigil.MaintenanceWindow {
	e.t.Helper()
	w := &vigil.MaintenanceWindow{Name: name, ServiceIDs: services, Start: start, End: start.Add(d)}
	if mod != nil {
		mod(w)
	}
	if err := e.st.CreateMaintenanceWindow(e.ctx, w); err != nil {
		e.t.Fatalf("CreateMaintenanceWindow(%q): %v", name, err)
	}
	return w
}

func (e *env) inhibit(name string, source, target []string, equal ...string) *vigil.InhibitRule {
	e.t.Helper()
	r := &vigil.InhibitRule{Name: name, Source: source, Target: target, Equal: equal}
	if err := e.st.CreateInhibitRule(e.ctx, r); err != nil {
		e.t.Fatalf("CreateInhibitRule(%q): %v", name, err)
	}
	return r
}

// sweep runs the housekeeping job and fails on error.
func (e *env) sweep() {
	e.t.Helper()
	if _, err := e.st.ExpireAlerts(e.ctx, 100); err != nil {
		e.t.Fatalf("ExpireAlerts: %v", err)
	}
}

func (e *env) releaseHeld(want int) {
	e.t.Helper()
	n, err := e.st.ReleaseHeldAlerts(e.ctx, 100)
	if err != nil || n != want {
		e.t.Fatalf("ReleaseHeldAlerts = %d, %v; want %d", n, err, want)
	}
}

// joinedWith returns the timeline message of the incident saying alert id
// joined.
func (e *env) joinedWith(incident, alert int64) string {
	e.t.Helper()
	for _, en := range e.timeline(incident) {
		if en.Kind == vigil.EntryAlertJoined && strings.Contains(string(en.Data), fmt.Sprintf(`"alert_id":%d`, alert)) {
			return en.Message
		}
	}
	e.t.Fatalf("incident %d: no entry of alert %d joining", incident, alert)
	return ""
}

func testMaintenanceCRUD(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	svc := e.service("checkout", nil)
	w := e.window("db upgrade", t0.Add(time.Hour), 2*time.Hour, nil, svc.ID)
	if w.ID == 0 || w.CreatedBy != cliActor.Name || !w.CreatedAt.Equal(t0) || w.TimeZone != "UTC" || w.State != vigil.MaintenanceScheduled || w.OpenUntil != nil {
		t.Fatalf("created %+v", w)
	}
	got, err := e.st.FindMaintenanceWindow(e.ctx, w.ID)
	must(t, err)
	if got.Name != "db upgrade" || len(got.ServiceIDs) != 1 || got.ServiceIDs[0] != svc.ID || !got.Start.Equal(t0.Add(time.Hour)) ||
		!got.End.Equal(t0.Add(3*time.Hour)) || got.Recurrence != nil || got.Matchers != nil {
		t.Errorf("found %+v", got)
	}
	weekly := e.window("weekly", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), 0, func(w *vigil.MaintenanceWindow) {
		w.End, w.TimeZone, w.ServiceIDs, w.Matchers = time.Time{}, "Europe/Berlin", nil, []string{`team="db"`}
		w.Recurrence = &vigil.WeeklyRecurrence{Weekdays: []time.Weekday{time.Saturday}, At: "10:00", Duration: vigil.Duration(time.Hour)}
	})
	// t0 is Saturday 14 March 2026, 09:26Z: 10:26 in Berlin.
	if weekly.State != vigil.MaintenanceOpen || weekly.OpenUntil == nil || !weekly.OpenUntil.Equal(time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("weekly window at t0 = %s until %v", weekly.State, weekly.OpenUntil)
	}
	list, err := e.st.ListMaintenanceWindows(e.ctx)
	must(t, err)
	if len(list) != 2 || list[0].ID != w.ID || list[1].ID != weekly.ID || list[1].Recurrence == nil || list[1].Recurrence.At != "10:00" {
		t.Fatalf("list = %+v", list)
	}
	// Change it; a name taken is a conflict.
	got.Name, got.End = "db upgrade (longer)", t0.Add(4*time.Hour)
	must(t, e.st.UpdateMaintenanceWindow(e.ctx, got))
	if again, _ := e.st.FindMaintenanceWindow(e.ctx, w.ID); again.Name != "db upgrade (longer)" || !again.End.Equal(t0.Add(4*time.Hour)) || !again.CreatedAt.Equal(t0) {
		t.Errorf("after update: %+v", again)
	}
	// A change by someone else without an author keeps the author.
	fresh := &vigil.MaintenanceWindow{ID: w.ID, Name: got.Name, ServiceIDs: got.ServiceIDs, Start: got.Start, End: got.End}
	must(t, e.st.UpdateMaintenanceWindow(e.ictx, fresh))
	if fresh.CreatedBy != cliActor.Name {
		t.Errorf("author after an update = %q, want %q", fresh.CreatedBy, cliActor.Name)
	}
	got.Name = "weekly"
	wantCode(t, e.st.UpdateMaintenanceWindow(e.ctx, got), vigil.CodeConflict, "name")
	dup := &vigil.MaintenanceWindow{Name: "weekly", ServiceIDs: []int64{svc.ID}, Start: t0, End: t0.Add(time.Hour)}
	wantCode(t, e.st.CreateMaintenanceWindow(e.ctx, dup), vigil.CodeConflict, "name")
	e.clock.Advance(5 * time.Hour)
	if ended, _ := e.st.FindMaintenanceWindow(e.ctx, w.ID); ended.State != vigil.MaintenanceEnded {
		t.Errorf("one-off window after its end is %s", ended.State)
	}
	must(t, e.st.DeleteMaintenanceWindow(e.ctx, w.ID))
	_, err = e.st.FindMaintenanceWindow(e.ctx, w.ID)
	wantCode(t, err, vigil.CodeNotFound)
	wantCode(t, e.st.DeleteMaintenanceWindow(e.ctx, w.ID), vigil.CodeNotFound)
	wantCode(t, e.st.UpdateMaintenanceWindow(e.ctx, &vigil.MaintenanceWindow{ID: 999, Name: "x", ServiceIDs: []int64{svc.ID}, Start: t0, End: t0.Add(time.Hour)}), vigil.CodeNotFound)
}

func testMaintenanceInvalid(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	svc := e.service("checkout", nil)
	ok := func() *vigil.MaintenanceWindow {
		return &vigil.MaintenanceWindow{Name: "w", ServiceIDs: []int64{svc.ID}, Start: t0, End: t0.Add(time.Hour)}
	}
	weekly := func() *vigil.MaintenanceWindow {
		w := ok()
		w.End = time.Time{}
		w.Recurrence = &vigil.WeeklyRecurrence{Weekdays: []time.Weekday{time.Sunday}, At: "01:00", Duration: vigil.Duration(4 * time.Hour)}
		return w
	}
	cases := []struct {
		field string
		mod   func(*vigil.MaintenanceWindow)
	}{
		{"name", func(w *vigil.MaintenanceWindow) { w.Name = " " }},
		{"service_ids", func(w *vigil.MaintenanceWindow) { w.ServiceIDs = nil }},
		{"service_ids[1]", func(w *vigil.MaintenanceWindow) { w.ServiceIDs = append(w.ServiceIDs, svc.ID+100) }},
		{"service_ids[0]", func(w *vigil.MaintenanceWindow) { w.ServiceIDs = []int64{-1} }},
		{"matchers[0]", func(w *vigil.MaintenanceWindow) { w.Matchers = []string{"alertname"} }},
		{"matchers[1]", func(w *vigil.MaintenanceWindow) { w.Matchers = []string{"a=b", `c=~"("`} }},
		{"time_zone", func(w *vigil.MaintenanceWindow) { w.TimeZone = "Mars/Olympus" }},
		{"start", func(w *vigil.MaintenanceWindow) { w.Start = time.Time{} }},
		{"end", func(w *vigil.MaintenanceWindow) { w.End = time.Time{} }},
		{"end", func(w *vigil.MaintenanceWindow) { w.End = w.Start.Add(-time.Minute) }},
		{"created_by", func(w *vigil.MaintenanceWindow) { w.CreatedBy = strings.Repeat("x", 300) }},
	}
	for _, c := range cases {
		w := ok()
		c.mod(w)
		wantCode(t, e.st.CreateMaintenanceWindow(e.ctx, w), vigil.CodeInvalid, c.field)
	}
	for _, c := range []struct {
		field string
		mod   func(*vigil.WeeklyRecurrence)
	}{
		{"recurrence.weekdays", func(r *vigil.WeeklyRecurrence) { r.Weekdays = nil }},
		{"recurrence.weekdays[0]", func(r *vigil.WeeklyRecurrence) { r.Weekdays = []time.Weekday{7} }},
		{"recurrence.at", func(r *vigil.WeeklyRecurrence) { r.At = "25:00" }},
		{"recurrence.duration", func(r *vigil.WeeklyRecurrence) { r.Duration = vigil.Duration(8 * 24 * time.Hour) }},
	} {
		w := weekly()
		c.mod(w.Recurrence)
		wantCode(t, e.st.CreateMaintenanceWindow(e.ctx, w), vigil.CodeInvalid, c.field)
	}
	if list, err := e.st.ListMaintenanceWindows(e.ctx); err != nil || len(list) != 0 {
		t.Errorf("refused windows were stored: %d, %v", len(list), err)
	}
}

// testMaintenanceHoldsThenPages: a new alert of a service in an open
// window is stored without an incident; when the window closes (the job on
// the store's clock) it opens its incident and pages; the sweep is
// idempotent and later alerts page.
func testMaintenanceHoldsThenPages(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	svc := e.service("checkout", nil)
	other := e.service("search", nil)
	w := e.window("deploy", t0, time.Hour, nil, svc.ID)
	if w.State != vigil.MaintenanceOpen {
		t.Fatalf("window = %s", w.State)
	}
	rs := e.send(labelled(svc.ID, "latency", map[string]string{"alertname": "Latency"}), labelled(other.ID, "latency", map[string]string{"alertname": "Latency"}))
	held, paged := rs[0], rs[1]
	if !held.AlertNew || held.IncidentID != 0 || held.IncidentNew || held.HeldByWindow != w.ID || !held.Held() || held.SilencedBy != 0 {
		t.Fatalf("alert in the window = %+v", held)
	}
	if !paged.IncidentNew || paged.Held() {
		t.Fatalf("alert of another service = %+v", paged)
	}
	a := e.alert(held.AlertID)
	if kind, ok := a.Held(); !ok || kind != "maintenance" || a.HeldByWindow == nil || *a.HeldByWindow != w.ID || a.Status != vigil.AlertFiring {
		t.Fatalf("held alert = %+v", a)
	}
	// A repeat stays held.
	e.clock.Advance(10 * time.Minute)
	if r := e.send1(labelled(svc.ID, "latency", map[string]string{"alertname": "Latency"})); r.AlertID != held.AlertID || r.HeldByWindow != w.ID || r.IncidentID != 0 {
		t.Fatalf("repeat in the window = %+v", r)
	}
	e.clock.Advance(49 * time.Minute)
	e.releaseHeld(0)
	if _, n := e.incidents(vigil.IncidentFilter{ServiceID: &svc.ID}); n != 0 {
		t.Fatalf("%d incidents during the window", n)
	}
	e.clock.Advance(time.Minute) // the end, exactly
	e.sweep()
	a = e.alert(held.AlertID)
	if a.IncidentID == 0 || a.HeldByWindow != nil || a.Status != vigil.AlertFiring {
		t.Fatalf("alert after the window = %+v", a)
	}
	inc := e.incident(a.IncidentID)
	if inc.Status != vigil.IncidentTriggered || !inc.CreatedAt.Equal(t0.Add(time.Hour)) || inc.CreatedBy != vigil.SystemActor.Name || inc.AlertCount != 1 {
		t.Errorf("incident at the window's end = %+v", inc)
	}
	if msg := e.joinedWith(inc.ID, a.ID); !strings.Contains(msg, fmt.Sprintf("maintenance window %d", w.ID)) || !strings.Contains(msg, "closed") {
		t.Errorf("timeline says %q", msg)
	}
	e.releaseHeld(0)
	if _, n := e.incidents(vigil.IncidentFilter{ServiceID: &svc.ID}); n != 1 {
		t.Errorf("%d incidents after a second sweep", n)
	}
	if r := e.send1(labelled(svc.ID, "errors", map[string]string{"alertname": "Errors"})); r.Held() || r.IncidentID != inc.ID {
		t.Errorf("alert after the window = %+v", r)
	}
}

// testMaintenanceNotOutside: before a window opens and after it closes,
// alerts page; an alert already paging stays on its incident.
func testMaintenanceNotOutside(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	svc := e.service("checkout", nil)
	before := e.send1(labelled(svc.ID, "early", map[string]string{"alertname": "Early"}))
	w := e.window("tonight", t0.Add(time.Hour), time.Hour, nil, svc.ID)
	if r := e.send1(labelled(svc.ID, "pending", map[string]string{"alertname": "Pending"})); r.Held() || r.IncidentID == 0 {
		t.Errorf("alert before the window opened = %+v", r)
	}
	e.clock.Advance(90 * time.Minute)
	if r := e.send1(labelled(svc.ID, "early", map[string]string{"alertname": "Early"})); r.Held() || r.IncidentID != before.IncidentID {
		t.Errorf("repeat of a paging alert in the window = %+v", r)
	}
	if r := e.send1(labelled(svc.ID, "during", map[string]string{"alertname": "During"})); r.HeldByWindow != w.ID {
		t.Errorf("alert in the window = %+v", r)
	}
	e.clock.Advance(30 * time.Minute)
	if r := e.send1(labelled(svc.ID, "after", map[string]string{"alertname": "After"})); r.Held() || r.IncidentID == 0 {
		t.Errorf("alert after the window = %+v", r)
	}
}

// testMaintenanceWeeklyDST: "Sunday 01:00 for 4h" in Berlin holds alerts
// from 00:00Z to 03:00Z on the night the clocks go forward (three hours of
// real time), and releases them at 03:00Z.
func testMaintenanceWeeklyDST(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	svc := e.service("db", nil)
	w := e.window("sunday night", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), 0, func(w *vigil.MaintenanceWindow) {
		w.End, w.TimeZone = time.Time{}, "Europe/Berlin"
		w.Recurrence = &vigil.WeeklyRecurrence{Weekdays: []time.Weekday{time.Sunday}, At: "01:00", Duration: vigil.Duration(4 * time.Hour)}
	}, svc.ID)
	e.clock.Set(time.Date(2026, 3, 28, 23, 59, 0, 0, time.UTC)) // 00:59 CET
	if r := e.send1(labelled(svc.ID, "before", nil)); r.Held() {
		t.Errorf("alert a minute before the window = %+v", r)
	}
	e.clock.Set(time.Date(2026, 3, 29, 0, 30, 0, 0, time.UTC)) // 01:30 CET
	first := e.send1(labelled(svc.ID, "first", nil))
	e.clock.Set(time.Date(2026, 3, 29, 2, 59, 0, 0, time.UTC)) // 04:59 CEST
	last := e.send1(labelled(svc.ID, "last", nil))
	if first.HeldByWindow != w.ID || last.HeldByWindow != w.ID {
		t.Fatalf("alerts in the window = %+v, %+v", first, last)
	}
	e.releaseHeld(0)
	e.clock.Set(time.Date(2026, 3, 29, 3, 0, 0, 0, time.UTC)) // 05:00 CEST: closed
	if r := e.send1(labelled(svc.ID, "after", nil)); r.Held() {
		t.Errorf("alert at 05:00 CEST = %+v", r)
	}
	e.sweep()
	for _, r := range []vigil.EventResult{first, last} {
		if a := e.alert(r.AlertID); a.IncidentID == 0 {
			t.Errorf("alert %d not released at the window's end: %+v", r.AlertID, a)
		}
	}
	// The autumn night: 01:00 CEST (23:00Z Saturday) to 05:00 CET (04:00Z).
	e.clock.Set(time.Date(2026, 10, 25, 3, 30, 0, 0, time.UTC))
	if r := e.send1(labelled(svc.ID, "autumn", nil)); r.HeldByWindow != w.ID {
		t.Errorf("alert at 04:30 CET on the autumn night = %+v", r)
	}
	e.clock.Set(time.Date(2026, 10, 25, 4, 0, 0, 0, time.UTC))
	e.releaseHeld(1)
}

// testMaintenanceByMatchers: a window of matchers alone covers matching
// alerts of every service; with services too, both must agree.
func testMaintenanceByMatchers(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	a := e.service("a", nil)
	b := e.service("b", nil)
	all := e.window("network", t0, time.Hour, func(w *vigil.MaintenanceWindow) { w.Matchers = []string{`dc="fra1"`} })
	scoped := e.window("a staging", t0, 2*time.Hour, func(w *vigil.MaintenanceWindow) { w.Matchers = []string{`env=~"stag.*"`} }, a.ID)
	rs := e.send(
		labelled(a.ID, "1", map[string]string{"dc": "fra1"}),
		labelled(b.ID, "2", map[string]string{"dc": "fra1"}),
		labelled(b.ID, "3", map[string]string{"dc": "ams1"}),
		labelled(a.ID, "4", map[string]string{"env": "staging"}),
		labelled(b.ID, "5", map[string]string{"env": "staging"}),
		labelled(a.ID, "6", map[string]string{"env": "staging", "dc": "fra1"}),
	)
	want := []int64{all.ID, all.ID, 0, scoped.ID, 0, scoped.ID} // the one closing last holds
	for i, r := range rs {
		if r.HeldByWindow != want[i] {
			t.Errorf("alert %d held by %d, want %d (%+v)", i+1, r.HeldByWindow, want[i], r)
		}
	}
}

// testMaintenanceChanged: deleting a window releases its alerts at once;
// extending it keeps them held; moving its end into the past releases.
func testMaintenanceChanged(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	svc := e.service("checkout", nil)
	w := e.window("deploy", t0, time.Hour, nil, svc.ID)
	gone := e.window("gone", t0, time.Hour, func(w *vigil.MaintenanceWindow) { w.Matchers = []string{`team="x"`} })
	r1 := e.send1(labelled(svc.ID, "k1", nil))
	r2 := e.send1(labelled(e.service("other", nil).ID, "k2", map[string]string{"team": "x"}))
	if r1.HeldByWindow != w.ID || r2.HeldByWindow != gone.ID {
		t.Fatalf("held: %+v %+v", r1, r2)
	}
	e.clock.Advance(10 * time.Minute)
	must(t, e.st.DeleteMaintenanceWindow(e.ctx, gone.ID))
	if a := e.alert(r2.AlertID); a.IncidentID == 0 || a.HeldByWindow != nil {
		t.Fatalf("alert of a deleted window = %+v", a)
	}
	// Extended: still held, released at the new end only.
	w.End = t0.Add(2 * time.Hour)
	must(t, e.st.UpdateMaintenanceWindow(e.ctx, w))
	if a := e.alert(r1.AlertID); a.IncidentID != 0 || a.HeldByWindow == nil {
		t.Fatalf("alert of an extended window = %+v", a)
	}
	e.clock.Set(t0.Add(time.Hour))
	e.releaseHeld(0)
	// Cut short to end now: released by the change.
	e.clock.Set(t0.Add(90 * time.Minute))
	w.End = t0.Add(80 * time.Minute)
	must(t, e.st.UpdateMaintenanceWindow(e.ctx, w))
	if a := e.alert(r1.AlertID); a.IncidentID == 0 || a.HeldByWindow != nil {
		t.Fatalf("alert of a window cut short = %+v", a)
	}
	e.releaseHeld(0)
}

// testMaintenanceResolveRecorded: a resolve while a window holds the alert
// is recorded on it, and nothing pages when the window closes.
func testMaintenanceResolveRecorded(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	svc := e.service("checkout", nil)
	w := e.window("deploy", t0, time.Hour, nil, svc.ID)
	r := e.send1(labelled(svc.ID, "blip", nil))
	e.clock.Advance(5 * time.Minute)
	res := e.send1(resolve(svc.ID, "blip"))
	if !res.Changed || res.AlertID != r.AlertID || res.IncidentID != 0 || res.HeldByWindow != w.ID {
		t.Fatalf("resolve while held = %+v", res)
	}
	a := e.alert(r.AlertID)
	if a.Status != vigil.AlertResolved || a.ResolvedAt == nil || !a.ResolvedAt.Equal(t0.Add(5*time.Minute)) || a.HeldByWindow == nil {
		t.Fatalf("alert after resolve = %+v", a)
	}
	e.clock.Advance(time.Hour)
	e.sweep()
	if _, n := e.incidents(vigil.IncidentFilter{}); n != 0 {
		t.Errorf("%d incidents after the window of a resolved alert closed", n)
	}
}

// testMaintenanceReleaseConcurrent: sweeps at once (replicas) release each
// held alert once: one incident, one join each.
func testMaintenanceReleaseConcurrent(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	svc := e.service("checkout", nil)
	e.window("deploy", t0, time.Hour, nil, svc.ID)
	for i := range 20 {
		e.send1(labelled(svc.ID, fmt.Sprintf("k%d", i), nil))
	}
	e.clock.Advance(time.Hour)
	concurrently(t, 4, func() error { _, err := e.st.ExpireAlerts(e.ctx, 100); return err })
	wantOneIncident(t, e, 20)
}

func concurrently(t *testing.T, n int, fn func() error) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := fn(); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func wantOneIncident(t *testing.T, e *env, alerts int) {
	t.Helper()
	incs, n := e.incidents(vigil.IncidentFilter{})
	if n != 1 || incs[0].AlertCount != alerts {
		t.Fatalf("incidents = %d (%+v), want 1 with %d alerts", n, incs, alerts)
	}
	joins := 0
	for _, en := range e.timeline(incs[0].ID) {
		if en.Kind == vigil.EntryAlertJoined {
			joins++
		}
	}
	if joins != alerts {
		t.Errorf("%d joins on the timeline, want %d", joins, alerts)
	}
}

func testInhibitCRUD(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	r := e.inhibit("cluster down mutes its nodes", []string{`alertname="ClusterDown"`}, []string{`alertname=~"Node.*"`}, "cluster")
	if r.ID == 0 {
		t.Fatal("no id")
	}
	got, err := e.st.FindInhibitRule(e.ctx, r.ID)
	must(t, err)
	if got.Name != r.Name || len(got.Source) != 1 || got.Target[0] != `alertname=~"Node.*"` || len(got.Equal) != 1 || got.Equal[0] != "cluster" {
		t.Errorf("found %+v", got)
	}
	other := e.inhibit("a critical mutes warnings", []string{`severity="critical"`}, []string{`severity="warning"`})
	if o, _ := e.st.FindInhibitRule(e.ctx, other.ID); o.Equal != nil {
		t.Errorf("no equal labels read as %#v", o.Equal)
	}
	list, err := e.st.ListInhibitRules(e.ctx)
	must(t, err)
	if len(list) != 2 || list[0].ID != other.ID || list[1].ID != r.ID {
		t.Errorf("list by name = %+v", list)
	}
	got.Equal = []string{"cluster", "region"}
	must(t, e.st.UpdateInhibitRule(e.ctx, got))
	if again, _ := e.st.FindInhibitRule(e.ctx, r.ID); len(again.Equal) != 2 {
		t.Errorf("after update: %+v", again)
	}
	got.Name = other.Name
	wantCode(t, e.st.UpdateInhibitRule(e.ctx, got), vigil.CodeConflict, "name")
	wantCode(t, e.st.CreateInhibitRule(e.ctx, &vigil.InhibitRule{Name: other.Name, Source: []string{"a=b"}, Target: []string{"c=d"}}), vigil.CodeConflict, "name")
	must(t, e.st.DeleteInhibitRule(e.ctx, r.ID))
	_, err = e.st.FindInhibitRule(e.ctx, r.ID)
	wantCode(t, err, vigil.CodeNotFound)
	wantCode(t, e.st.DeleteInhibitRule(e.ctx, r.ID), vigil.CodeNotFound)
	wantCode(t, e.st.UpdateInhibitRule(e.ctx, &vigil.InhibitRule{ID: 999, Name: "x", Source: []string{"a=b"}, Target: []string{"c=d"}}), vigil.CodeNotFound)
}

func testInhibitInvalid(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	cases := []struct {
		field string
		rule  vigil.InhibitRule
	}{
		{"name", vigil.InhibitRule{Source: []string{"a=b"}, Target: []string{"c=d"}}},
		{"source_matchers", vigil.InhibitRule{Name: "x", Target: []string{"c=d"}}},
		{"target_matchers", vigil.InhibitRule{Name: "x", Source: []string{"a=b"}}},
		{"source_matchers[0]", vigil.InhibitRule{Name: "x", Source: []string{"alertname"}, Target: []string{"c=d"}}},
		{"target_matchers[1]", vigil.InhibitRule{Name: "x", Source: []string{"a=b"}, Target: []string{"c=d", `e=~"("`}}},
		{"equal[1]", vigil.InhibitRule{Name: "x", Source: []string{"a=b"}, Target: []string{"c=d"}, Equal: []string{"cluster", " "}}},
		// Every alert would be a source.
		{"source_matchers", vigil.InhibitRule{Name: "x", Source: []string{`team!="db"`}, Target: []string{"c=d"}}},
	}
	for _, c := range cases {
		r := c.rule
		wantCode(t, e.st.CreateInhibitRule(e.ctx, &r), vigil.CodeInvalid, c.field)
	}
	if list, err := e.st.ListInhibitRules(e.ctx); err != nil || len(list) != 0 {
		t.Errorf("refused rules were stored: %d, %v", len(list), err)
	}
}

// testInhibitWhileSourceFires: while the source fires (on any service), a
// new target alert is stored muted, naming rule and source; when the
// source resolves, the next sweep releases it and it pages.
func testInhibitWhileSourceFires(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	infra := e.service("infra", nil)
	nodes := e.service("nodes", nil)
	rule := e.inhibit("cluster down mutes its nodes", []string{`alertname="ClusterDown"`}, []string{`alertname=~"Node.*"`}, "cluster")
	src := e.send1(labelled(infra.ID, "cluster-eu", map[string]string{"alertname": "ClusterDown", "cluster": "eu"}))
	if src.Held() || !src.IncidentNew {
		t.Fatalf("the source alert = %+v", src)
	}
	muted := e.send1(labelled(nodes.ID, "node-1", map[string]string{"alertname": "NodeDown", "cluster": "eu", "node": "1"}))
	if !muted.AlertNew || muted.IncidentID != 0 || muted.InhibitedByRule != rule.ID || muted.InhibitedByAlert != src.AlertID {
		t.Fatalf("target while the source fires = %+v", muted)
	}
	a := e.alert(muted.AlertID)
	if kind, ok := a.Held(); !ok || kind != "inhibited" || *a.InhibitedByRule != rule.ID || *a.InhibitedByAlert != src.AlertID {
		t.Fatalf("muted alert = %+v", a)
	}
	if r := e.send1(labelled(nodes.ID, "node-1", map[string]string{"alertname": "NodeDown", "cluster": "eu", "node": "1"})); r.InhibitedByAlert != src.AlertID || r.IncidentID != 0 {
		t.Errorf("repeat while the source fires = %+v", r)
	}
	e.releaseHeld(0)
	e.clock.Advance(5 * time.Minute)
	e.send1(resolve(infra.ID, "cluster-eu"))
	e.sweep()
	a = e.alert(muted.AlertID)
	if a.IncidentID == 0 || a.InhibitedByRule != nil || a.InhibitedByAlert != nil {
		t.Fatalf("muted alert after its source resolved = %+v", a)
	}
	inc := e.incident(a.IncidentID)
	if inc.ServiceID != nodes.ID || !inc.CreatedAt.Equal(t0.Add(5*time.Minute)) || inc.Status != vigil.IncidentTriggered {
		t.Errorf("incident = %+v", inc)
	}
	if msg := e.joinedWith(inc.ID, a.ID); !strings.Contains(msg, fmt.Sprintf("inhibit rule %d", rule.ID)) {
		t.Errorf("timeline says %q", msg)
	}
	e.releaseHeld(0)
	if r := e.send1(labelled(nodes.ID, "node-2", map[string]string{"alertname": "NodeDown", "cluster": "eu"})); r.Held() || r.IncidentID != inc.ID {
		t.Errorf("target after the source resolved = %+v", r)
	}
	// A muted alert resolved meanwhile is recorded and never pages.
	src2 := e.send1(labelled(infra.ID, "cluster-us", map[string]string{"alertname": "ClusterDown", "cluster": "us"}))
	m2 := e.send1(labelled(nodes.ID, "node-9", map[string]string{"alertname": "NodeDown", "cluster": "us"}))
	if m2.InhibitedByAlert != src2.AlertID {
		t.Fatalf("second muted alert = %+v", m2)
	}
	if res := e.send1(resolve(nodes.ID, "node-9")); !res.Changed || res.InhibitedByRule != rule.ID || res.IncidentID != 0 {
		t.Errorf("resolve while muted = %+v", res)
	}
	e.send1(resolve(infra.ID, "cluster-us"))
	e.sweep()
	if a := e.alert(m2.AlertID); a.Status != vigil.AlertResolved || a.IncidentID != 0 {
		t.Errorf("alert resolved while muted = %+v", a)
	}
}

// testInhibitEqual: the equal labels must agree (absent on both counts as
// equal), and an alert matching both sides is not muted by its like.
func testInhibitEqual(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	svc := e.service("db", nil)
	rule := e.inhibit("critical mutes warning", []string{`severity="critical"`}, []string{`severity="warning"`}, "alertname", "instance")
	crit := labelled(svc.ID, "disk-db1-crit", map[string]string{"alertname": "Disk", "instance": "db1"})
	src := e.send1(crit)
	warn := func(key, instance string) *vigil.Event {
		ev := trigger(svc.ID, key, "disk", vigil.SeverityWarning)
		ev.Labels = map[string]string{"alertname": "Disk"}
		if instance != "" {
			ev.Labels["instance"] = instance
		}
		return ev
	}
	rs := e.send(warn("w-db1", "db1"), warn("w-db2", "db2"), warn("w-none", ""))
	if rs[0].InhibitedByRule != rule.ID || rs[0].InhibitedByAlert != src.AlertID {
		t.Errorf("warning of the same instance = %+v", rs[0])
	}
	if rs[1].Held() || rs[2].Held() {
		t.Errorf("warnings of other instances muted: %+v %+v", rs[1], rs[2])
	}
	// Severity from the alert itself (no severity label): the same view
	// silences use.
	two := e.inhibit("db mutes db", []string{`team="db"`}, []string{`team="db"`}, "env")
	a := e.send1(labelled(svc.ID, "a", map[string]string{"team": "db", "env": "prod"}))
	b := e.send1(labelled(svc.ID, "b", map[string]string{"team": "db", "env": "prod"}))
	if a.Held() || b.InhibitedByRule == two.ID {
		t.Errorf("alerts matching both sides muted each other: %+v %+v", a, b)
	}
}

// testInhibitSameBatch: a source earlier in the same batch mutes a target;
// a rule created while the source already fires applies to new targets.
func testInhibitSameBatch(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	svc := e.service("k8s", nil)
	rule := e.inhibit("cluster", []string{`alertname="ClusterDown"`}, []string{`alertname=~"Node.*"`}, "cluster")
	rs := e.send(
		labelled(svc.ID, "other", map[string]string{"alertname": "NodeDown", "cluster": "x"}), // loads the sources first
		labelled(svc.ID, "cluster", map[string]string{"alertname": "ClusterDown", "cluster": "eu"}),
		labelled(svc.ID, "node", map[string]string{"alertname": "NodeDown", "cluster": "eu"}),
	)
	if rs[0].Held() || rs[1].Held() || rs[2].InhibitedByAlert != rs[1].AlertID || rs[2].InhibitedByRule != rule.ID {
		t.Fatalf("batch = %+v", rs)
	}
	// A source that fired before its rule existed.
	early := e.send1(labelled(svc.ID, "db-down", map[string]string{"alertname": "DatabaseDown", "db": "main"}))
	late := e.inhibit("db", []string{`alertname="DatabaseDown"`}, []string{`alertname="QueryErrors"`}, "db")
	r := e.send1(labelled(svc.ID, "queries", map[string]string{"alertname": "QueryErrors", "db": "main"}))
	if r.InhibitedByRule != late.ID || r.InhibitedByAlert != early.AlertID {
		t.Errorf("target under a rule newer than its source = %+v", r)
	}
}

// testInhibitRuleDeletedReleases: deleting or narrowing a rule releases
// the alerts it muted at once.
func testInhibitRuleDeleted(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	svc := e.service("k8s", nil)
	rule := e.inhibit("cluster", []string{`alertname="ClusterDown"`}, []string{`alertname=~"Node.*"`})
	e.send1(labelled(svc.ID, "cluster", map[string]string{"alertname": "ClusterDown"}))
	m1 := e.send1(labelled(svc.ID, "node", map[string]string{"alertname": "NodeDown"}))
	m2 := e.send1(labelled(svc.ID, "nodemem", map[string]string{"alertname": "NodeMemory"}))
	if m1.InhibitedByRule != rule.ID || m2.InhibitedByRule != rule.ID {
		t.Fatalf("muted: %+v %+v", m1, m2)
	}
	rule.Target = []string{`alertname="NodeDown"`}
	must(t, e.st.UpdateInhibitRule(e.ctx, rule))
	if a := e.alert(m1.AlertID); a.IncidentID != 0 || a.InhibitedByRule == nil {
		t.Errorf("alert still targeted was released: %+v", a)
	}
	if a := e.alert(m2.AlertID); a.IncidentID == 0 {
		t.Errorf("alert no longer targeted still held: %+v", a)
	}
	must(t, e.st.DeleteInhibitRule(e.ctx, rule.ID))
	if a := e.alert(m1.AlertID); a.IncidentID == 0 || a.InhibitedByRule != nil {
		t.Errorf("alert of a deleted rule still held: %+v", a)
	}
	e.releaseHeld(0)
}

// testInhibitReleaseConcurrent: when the source resolves, sweeps at once
// release each muted alert once.
func testInhibitReleaseConcurrent(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	infra := e.service("infra", nil)
	svc := e.service("nodes", nil)
	e.inhibit("cluster", []string{`alertname="ClusterDown"`}, []string{`alertname=~"Node.*"`})
	e.send1(labelled(infra.ID, "cluster", map[string]string{"alertname": "ClusterDown"}))
	for i := range 20 {
		if r := e.send1(labelled(svc.ID, fmt.Sprintf("n%d", i), map[string]string{"alertname": "NodeDown"})); r.InhibitedByRule == 0 {
			t.Fatalf("not muted: %+v", r)
		}
	}
	e.send1(resolve(infra.ID, "cluster"))
	concurrently(t, 4, func() error { _, err := e.st.ReleaseHeldAlerts(e.ctx, 100); return err })
	incs, n := e.incidents(vigil.IncidentFilter{ServiceID: &svc.ID})
	if n != 1 || incs[0].AlertCount != 20 {
		t.Fatalf("incidents of the nodes = %d (%+v), want 1 with 20 alerts", n, incs)
	}
}

// testHoldPrecedence: a silence holds before a window, a window before an
// inhibition; when the first ends the next holds the alert.
func testHoldPrecedence(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	svc := e.service("db", nil)
	sil := e.silence(10*time.Minute, nil, eq("alertname", "NodeDown"))
	w := e.window("deploy", t0, 20*time.Minute, nil, svc.ID)
	rule := e.inhibit("cluster", []string{`alertname="ClusterDown"`}, []string{`alertname="NodeDown"`})
	src := e.send1(labelled(e.service("infra", nil).ID, "cluster", map[string]string{"alertname": "ClusterDown"}))
	r := e.send1(labelled(svc.ID, "node", map[string]string{"alertname": "NodeDown"}))
	if r.SilencedBy != sil.ID || r.HeldByWindow != 0 || r.InhibitedByRule != 0 {
		t.Fatalf("held by %+v, want the silence", r)
	}
	e.clock.Advance(10 * time.Minute)
	e.releaseHeld(1)
	if a := e.alert(r.AlertID); a.IncidentID != 0 || a.SilencedBy != nil || a.HeldByWindow == nil || *a.HeldByWindow != w.ID {
		t.Fatalf("after the silence: %+v, want the window", a)
	}
	e.clock.Advance(10 * time.Minute)
	e.releaseHeld(1)
	if a := e.alert(r.AlertID); a.IncidentID != 0 || a.HeldByWindow != nil || a.InhibitedByRule == nil || *a.InhibitedByRule != rule.ID || *a.InhibitedByAlert != src.AlertID {
		t.Fatalf("after the window: %+v, want the inhibition", a)
	}
	e.send1(resolve(e.alert(src.AlertID).ServiceID, "cluster"))
	e.releaseHeld(1)
	if a := e.alert(r.AlertID); a.IncidentID == 0 {
		t.Fatalf("after the source resolved: %+v", a)
	}
}

// testMaintenanceServiceDeleted: a deleted service leaves the windows that
// named it (a window of it alone goes), so a later service never inherits
// them.
func testMaintenanceServiceDeleted(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	keep := e.service("keep", nil)
	gone := e.service("gone", nil)
	both := e.window("both", t0, time.Hour, nil, keep.ID, gone.ID)
	alone := e.window("alone", t0, time.Hour, func(w *vigil.MaintenanceWindow) { w.Matchers = []string{`env="prod"`} }, gone.ID)
	must(t, e.st.DeleteService(e.ctx, gone.ID))
	got, err := e.st.FindMaintenanceWindow(e.ctx, both.ID)
	must(t, err)
	if len(got.ServiceIDs) != 1 || got.ServiceIDs[0] != keep.ID {
		t.Errorf("window of two services after one was deleted = %+v", got)
	}
	_, err = e.st.FindMaintenanceWindow(e.ctx, alone.ID)
	wantCode(t, err, vigil.CodeNotFound)
	// Alerts of other services with its matchers are not held.
	if r := e.send1(labelled(e.service("new", nil).ID, "x", map[string]string{"env": "prod"})); r.Held() {
		t.Errorf("alert of another service held: %+v", r)
	}
	if r := e.send1(labelled(keep.ID, "y", nil)); r.HeldByWindow != both.ID {
		t.Errorf("alert of the remaining service = %+v", r)
	}
}

// testMaintenanceNextOpening: a read says when a window next opens (and
// that occurrence's close), and a window that never opens again has ended.
func testMaintenanceNextOpening(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	svc := e.service("db", nil)
	once := e.window("later", t0.Add(time.Hour), 2*time.Hour, nil, svc.ID)
	if once.OpensAt == nil || !once.OpensAt.Equal(t0.Add(time.Hour)) || !once.ClosesAt.Equal(t0.Add(3*time.Hour)) {
		t.Errorf("one-off window opens %v closes %v", once.OpensAt, once.ClosesAt)
	}
	// t0 is Saturday 14 March 2026, 10:26 in Berlin: open until 11:00,
	// and next Saturday's opens at 10:00 CET.
	weekly := e.window("weekly", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), 0, func(w *vigil.MaintenanceWindow) {
		w.End, w.TimeZone = time.Time{}, "Europe/Berlin"
		w.Recurrence = &vigil.WeeklyRecurrence{Weekdays: []time.Weekday{time.Saturday}, At: "10:00", Duration: vigil.Duration(time.Hour)}
	}, svc.ID)
	got, err := e.st.FindMaintenanceWindow(e.ctx, weekly.ID)
	must(t, err)
	if got.State != vigil.MaintenanceOpen || got.OpensAt == nil || !got.OpensAt.Equal(time.Date(2026, 3, 21, 9, 0, 0, 0, time.UTC)) ||
		!got.ClosesAt.Equal(time.Date(2026, 3, 21, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("weekly window: %s, opens %v closes %v", got.State, got.OpensAt, got.ClosesAt)
	}
	// Weekly on Mondays, but its End comes before the next Monday.
	short := e.window("short", t0.Add(-time.Hour), 0, func(w *vigil.MaintenanceWindow) {
		w.End = t0.Add(24 * time.Hour)
		w.Recurrence = &vigil.WeeklyRecurrence{Weekdays: []time.Weekday{time.Monday}, At: "10:00", Duration: vigil.Duration(time.Hour)}
	}, svc.ID)
	if short.State != vigil.MaintenanceEnded || short.OpensAt != nil {
		t.Errorf("weekly window with no occurrence left: %s, opens %v", short.State, short.OpensAt)
	}
	e.clock.Advance(4 * time.Hour)
	list, err := e.st.ListMaintenanceWindows(e.ctx)
	must(t, err)
	for _, w := range list {
		if w.ID == once.ID && (w.State != vigil.MaintenanceEnded || w.OpensAt != nil) {
			t.Errorf("one-off window after its end: %s, opens %v", w.State, w.OpensAt)
		}
	}
}

// testAlertFilterHeld: the held alerts, all or those one window or one
// inhibition rule holds; firing only, and not those on incidents.
func testAlertFilterHeld(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	svc := e.service("db", nil)
	infra := e.service("infra", nil)
	sil := e.silence(time.Hour, nil, eq("alertname", "Silenced"))
	w := e.window("deploy", t0, time.Hour, func(w *vigil.MaintenanceWindow) { w.Matchers = []string{`alertname="Deploy"`} }, svc.ID)
	rule := e.inhibit("cluster", []string{`alertname="ClusterDown"`}, []string{`alertname="NodeDown"`})
	src := e.send1(labelled(infra.ID, "cluster", map[string]string{"alertname": "ClusterDown"}))
	s1 := e.send1(labelled(svc.ID, "s1", map[string]string{"alertname": "Silenced"}))
	w1 := e.send1(labelled(svc.ID, "w1", map[string]string{"alertname": "Deploy"}))
	w2 := e.send1(labelled(svc.ID, "w2", map[string]string{"alertname": "Deploy"}))
	n1 := e.send1(labelled(svc.ID, "n1", map[string]string{"alertname": "NodeDown"}))
	if s1.SilencedBy != sil.ID || w1.HeldByWindow != w.ID || w2.HeldByWindow != w.ID || n1.InhibitedByRule != rule.ID || src.IncidentID == 0 {
		t.Fatalf("holds: %+v %+v %+v %+v", s1, w1, w2, n1)
	}
	// Resolved while held: kept as held by the window, but no longer held now.
	e.send1(resolve(svc.ID, "w2"))
	ids := func(f vigil.AlertFilter) []int64 {
		t.Helper()
		f.Limit = 10
		list, total, err := e.st.FindAlerts(e.ctx, f)
		must(t, err)
		out := []int64{}
		for _, a := range list {
			out = append(out, a.ID)
		}
		if total != len(out) {
			t.Errorf("total %d, listed %d", total, len(out))
		}
		return out
	}
	other := int64(w.ID + 1000)
	for _, c := range []struct {
		name string
		f    vigil.AlertFilter
		want []int64
	}{
		{"held", vigil.AlertFilter{Held: true}, []int64{n1.AlertID, w1.AlertID, s1.AlertID}},
		{"by the window", vigil.AlertFilter{HeldByWindow: &w.ID}, []int64{w1.AlertID}},
		{"by another window", vigil.AlertFilter{HeldByWindow: &other}, []int64{}},
		{"by the rule", vigil.AlertFilter{InhibitedByRule: &rule.ID}, []int64{n1.AlertID}},
		{"by the rule, of infra", vigil.AlertFilter{InhibitedByRule: &rule.ID, ServiceID: &infra.ID}, []int64{}},
	} {
		if got := ids(c.f); fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
	// Released to an incident when the window closes: no longer held.
	e.clock.Advance(time.Hour)
	e.sweep()
	if got := ids(vigil.AlertFilter{HeldByWindow: &w.ID}); len(got) != 0 {
		t.Errorf("held by the closed window: %v", got)
	}
}
