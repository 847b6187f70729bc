package storetest

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// testHeartbeats runs the heartbeat contract: storage, expiry with its
// alert, pings that resolve it, and expiry exactly once under concurrency.
func testHeartbeats(t *testing.T, open OpenFunc) {
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T, open OpenFunc)
	}{
		{"Storage", testHeartbeatStorage},
		{"Update", testHeartbeatUpdate},
		{"Expiry", testHeartbeatExpiry},
		{"Disabled", testHeartbeatDisabled},
		{"DeleteExpired", testHeartbeatDeleteExpired},
		{"ExpireOnce", testHeartbeatExpireOnce},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, open)
		})
	}
}

func (e *env) heartbeat(serviceID int64, name string, mod func(*vigil.Heartbeat)) *vigil.Heartbeat {
	e.t.Helper()
	h := &vigil.Heartbeat{ServiceID: serviceID, Name: name, Interval: 5, IntervalUnit: vigil.IntervalMinutes, Enabled: true}
	if mod != nil {
		mod(h)
	}
	if err := e.st.CreateHeartbeat(e.ctx, h); err != nil {
		e.t.Fatalf("CreateHeartbeat(%q): %v", name, err)
	}
	return h
}

func (e *env) findHeartbeat(id int64) *vigil.Heartbeat {
	e.t.Helper()
	h, err := e.st.FindHeartbeatByID(e.ctx, id)
	if err != nil {
		e.t.Fatalf("FindHeartbeatByID(%d): %v", id, err)
	}
	return h
}

func (e *env) expire() int {
	e.t.Helper()
	n, err := e.st.ExpireHeartbeats(e.ctx)
	if err != nil {
		e.t.Fatalf("ExpireHeartbeats: %v", err)
	}
	return n
}

// heartbeatAlerts returns the alerts of a heartbeat's dedup key, newest first.
func (e *env) heartbeatAlerts(h *vigil.Heartbeat) []*vigil.Alert {
	e.t.Helper()
	key := vigil.HeartbeatDedupKey(h.Name)
	list, _ := e.alerts(vigil.AlertFilter{ServiceID: &h.ServiceID, DedupKey: &key})
	return list
}

// Stored as given (normalized), with the times of the store's clock,
// found by id and by (service, name); names are unique per service;
// invalid ones are refused by field; deleting the service deletes them.
func testHeartbeatStorage(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	s := e.service("api", nil)
	other := e.service("web", nil)
	e.clock.Advance(3 * time.Microsecond)
	now := e.clock.Now()
	h := e.heartbeat(s.ID, "  nightly-backup ", func(h *vigil.Heartbeat) {
		h.Description, h.Interval, h.IntervalUnit = "pg_dump to S3", 2, "Hours"
		h.AlertMessage, h.AlertTags, h.AlertPriority = "backup missed", []string{" db ", "", "db", "backup"}, "p2"
	})
	want := &vigil.Heartbeat{ID: h.ID, ServiceID: s.ID, ServiceName: "api", Name: "nightly-backup", Description: "pg_dump to S3",
		Interval: 2, IntervalUnit: vigil.IntervalHours, Enabled: true, AlertMessage: "backup missed",
		AlertTags: []string{"db", "backup"}, AlertPriority: "P2", DueAt: now.Add(2 * time.Hour), CreatedAt: now, UpdatedAt: now}
	if diff := cmp.Diff(want, h); diff != "" || h.ID == 0 {
		t.Fatalf("created (-want +got):\n%s", diff)
	}
	got := e.findHeartbeat(h.ID)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("FindHeartbeatByID (-want +got):\n%s", diff)
	}
	if got.DueAt.Location() != time.UTC || got.CreatedAt.Nanosecond() != now.Nanosecond() {
		t.Errorf("times %v / %v, want UTC with microseconds", got.DueAt, got.CreatedAt)
	}
	got, err := e.st.FindHeartbeatByName(e.ctx, s.ID, "nightly-backup")
	must(t, err)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("FindHeartbeatByName (-want +got):\n%s", diff)
	}
	_, err = e.st.FindHeartbeatByName(e.ctx, other.ID, "nightly-backup")
	wantCode(t, err, vigil.CodeNotFound)
	_, err = e.st.FindHeartbeatByID(e.ctx, 999999)
	wantCode(t, err, vigil.CodeNotFound)

	// Defaults: priority P3, no tags (an empty list, not null).
	plain := e.heartbeat(s.ID, "cron", nil)
	if plain.AlertPriority != "P3" || plain.AlertTags == nil || len(plain.AlertTags) != 0 {
		t.Errorf("defaults: %+v", plain)
	}
	if got := e.findHeartbeat(plain.ID); got.AlertTags == nil || got.LastPingAt != nil || got.ExpiredAt != nil {
		t.Errorf("stored defaults: %+v", got)
	}

	// One name per service; the same name on another service is fine.
	wantCode(t, e.st.CreateHeartbeat(e.ctx, &vigil.Heartbeat{ServiceID: s.ID, Name: "cron", Interval: 1, IntervalUnit: "days"}),
		vigil.CodeConflict, "name")
	e.heartbeat(other.ID, "cron", nil)

	for _, tc := range []struct {
		mod   func(*vigil.Heartbeat)
		field string
	}{
		{func(h *vigil.Heartbeat) { h.Name = "  " }, "name"},
		{func(h *vigil.Heartbeat) { h.Name = strings.Repeat("é", vigil.MaxHeartbeatNameLen+1) }, "name"},
		{func(h *vigil.Heartbeat) { h.Name = "a\nb" }, "name"},
		{func(h *vigil.Heartbeat) { h.Name = "a\x00b" }, "name"},
		{func(h *vigil.Heartbeat) { h.Description = strings.Repeat("d", vigil.MaxHeartbeatDescriptionLen+1) }, "description"},
		{func(h *vigil.Heartbeat) { h.Interval = 0 }, "interval"},
		{func(h *vigil.Heartbeat) { h.Interval = -3 }, "interval"},
		{func(h *vigil.Heartbeat) { h.Interval, h.IntervalUnit = 367, vigil.IntervalDays }, "interval"},
		{func(h *vigil.Heartbeat) { h.Interval, h.IntervalUnit = 1<<62, vigil.IntervalMinutes }, "interval"},
		{func(h *vigil.Heartbeat) { h.IntervalUnit = "weeks" }, "interval_unit"},
		{func(h *vigil.Heartbeat) { h.IntervalUnit = "" }, "interval_unit"},
		{func(h *vigil.Heartbeat) { h.AlertPriority = "P6" }, "alert_priority"},
		{func(h *vigil.Heartbeat) { h.AlertMessage = "a\x00b" }, "alert_message"},
		{func(h *vigil.Heartbeat) { h.AlertMessage = strings.Repeat("m", vigil.MaxSummaryLen+1) }, "alert_message"},
		{func(h *vigil.Heartbeat) { h.AlertTags = []string{strings.Repeat("t", vigil.MaxHeartbeatTagLen+1)} }, "alert_tags"},
		{func(h *vigil.Heartbeat) {
			for i := range vigil.MaxHeartbeatTags + 1 {
				h.AlertTags = append(h.AlertTags, "t"+strings.Repeat("x", i))
			}
		}, "alert_tags"},
		{func(h *vigil.Heartbeat) { h.ServiceID = 0 }, "service_id"},
	} {
		h := &vigil.Heartbeat{ServiceID: s.ID, Name: "bad", Interval: 1, IntervalUnit: vigil.IntervalMinutes}
		tc.mod(h)
		wantCode(t, e.st.CreateHeartbeat(e.ctx, h), vigil.CodeInvalid, tc.field)
	}
	wantCode(t, e.st.CreateHeartbeat(e.ctx, &vigil.Heartbeat{ServiceID: 999999, Name: "x", Interval: 1, IntervalUnit: "hours"}),
		vigil.CodeNotFound)

	// Lists: by service, then name, with totals and pages.
	e.heartbeat(s.ID, "a-first", nil)
	list, total, err := e.st.FindHeartbeats(e.ctx, vigil.HeartbeatFilter{ServiceID: &s.ID})
	must(t, err)
	if total != 3 || len(list) != 3 || list[0].Name != "a-first" || list[1].Name != "cron" || list[2].Name != "nightly-backup" {
		t.Errorf("FindHeartbeats = %d %v", total, heartbeatNames(list))
	}
	list, total, err = e.st.FindHeartbeats(e.ctx, vigil.HeartbeatFilter{ServiceID: &s.ID, Offset: 1, Limit: 1})
	must(t, err)
	if total != 3 || len(list) != 1 || list[0].Name != "cron" {
		t.Errorf("page 2 = %d %v", total, heartbeatNames(list))
	}
	if _, total, err = e.st.FindHeartbeats(e.ctx, vigil.HeartbeatFilter{}); err != nil || total != 4 {
		t.Errorf("all: %d (%v)", total, err)
	}

	must(t, e.st.DeleteService(e.ctx, other.ID))
	if _, total, err = e.st.FindHeartbeats(e.ctx, vigil.HeartbeatFilter{ServiceID: &other.ID}); err != nil || total != 0 {
		t.Errorf("heartbeats of a deleted service: %d (%v)", total, err)
	}
	must(t, e.st.DeleteHeartbeat(e.ctx, plain.ID))
	_, err = e.st.FindHeartbeatByID(e.ctx, plain.ID)
	wantCode(t, err, vigil.CodeNotFound)
	wantCode(t, e.st.DeleteHeartbeat(e.ctx, plain.ID), vigil.CodeNotFound)
}

// Updates change what they name; a new name, period or enabled state
// restarts the countdown, other changes do not; bad updates change nothing.
func testHeartbeatUpdate(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	s := e.service("api", nil)
	h := e.heartbeat(s.ID, "sync", nil)
	e.heartbeat(s.ID, "taken", nil)
	created := e.clock.Now()

	e.clock.Advance(time.Minute)
	desc, msg, prio, tags := "hourly sync", "sync stopped", "P1", []string{"sync"}
	got, err := e.st.UpdateHeartbeat(e.ctx, h.ID, vigil.HeartbeatUpdate{Description: &desc, AlertMessage: &msg,
		AlertPriority: &prio, AlertTags: &tags})
	must(t, err)
	if got.Description != desc || got.AlertMessage != msg || got.AlertPriority != "P1" || !cmp.Equal(got.AlertTags, tags) ||
		!got.DueAt.Equal(created.Add(5*time.Minute)) || !got.UpdatedAt.Equal(e.clock.Now()) {
		t.Fatalf("after an update of the alert fields: %+v", got)
	}
	if diff := cmp.Diff(got, e.findHeartbeat(h.ID)); diff != "" {
		t.Errorf("stored (-answer +stored):\n%s", diff)
	}

	e.clock.Advance(time.Minute)
	n := 30
	got, err = e.st.UpdateHeartbeat(e.ctx, h.ID, vigil.HeartbeatUpdate{Interval: &n})
	must(t, err)
	if got.Interval != 30 || !got.DueAt.Equal(e.clock.Now().Add(30*time.Minute)) {
		t.Errorf("a new interval restarts the countdown: %+v", got)
	}
	same := 30
	e.clock.Advance(time.Minute)
	got, err = e.st.UpdateHeartbeat(e.ctx, h.ID, vigil.HeartbeatUpdate{Interval: &same})
	must(t, err)
	if !got.DueAt.Equal(e.clock.Now().Add(29 * time.Minute)) {
		t.Errorf("the same interval again restarted the countdown: due %v", got.DueAt)
	}

	taken, bad, zero := "taken", "weeks", 0
	_, err = e.st.UpdateHeartbeat(e.ctx, h.ID, vigil.HeartbeatUpdate{Name: &taken})
	wantCode(t, err, vigil.CodeConflict, "name")
	_, err = e.st.UpdateHeartbeat(e.ctx, h.ID, vigil.HeartbeatUpdate{IntervalUnit: &bad, Description: &taken})
	wantCode(t, err, vigil.CodeInvalid, "interval_unit")
	_, err = e.st.UpdateHeartbeat(e.ctx, h.ID, vigil.HeartbeatUpdate{Interval: &zero})
	wantCode(t, err, vigil.CodeInvalid, "interval")
	if got := e.findHeartbeat(h.ID); got.Name != "sync" || got.Description != desc || got.Interval != 30 {
		t.Errorf("refused updates changed the heartbeat: %+v", got)
	}
	_, err = e.st.UpdateHeartbeat(e.ctx, 999999, vigil.HeartbeatUpdate{Description: &desc})
	wantCode(t, err, vigil.CodeNotFound)
}

// No alert before the interval has passed; at the due time one alert and
// one incident, whatever the number of sweeps; the next ping resolves
// them and restarts the countdown; a later miss alerts again.
func testHeartbeatExpiry(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	s := e.service("api", nil)
	h := e.heartbeat(s.ID, "nightly-backup", func(h *vigil.Heartbeat) {
		h.Description, h.AlertTags, h.AlertPriority = "pg_dump", []string{"db"}, "P1"
	})
	quiet := e.heartbeat(s.ID, "quiet", func(h *vigil.Heartbeat) { h.Interval = 1; h.IntervalUnit = vigil.IntervalHours })

	e.clock.Advance(5*time.Minute - time.Microsecond)
	if n := e.expire(); n != 0 {
		t.Fatalf("expired %d heartbeats before their interval passed", n)
	}
	if _, total := e.alerts(vigil.AlertFilter{}); total != 0 {
		t.Fatalf("%d alerts before the interval passed", total)
	}

	e.clock.Advance(time.Microsecond)
	at := e.clock.Now()
	if n := e.expire(); n != 1 {
		t.Fatalf("expired %d heartbeats at the due time, want 1", n)
	}
	for range 3 {
		if n := e.expire(); n != 0 {
			t.Fatalf("a repeated sweep expired %d again", n)
		}
	}
	got := e.findHeartbeat(h.ID)
	if !got.Expired || got.ExpiredAt == nil || !got.ExpiredAt.Equal(at) {
		t.Fatalf("after expiry: %+v", got)
	}
	if q := e.findHeartbeat(quiet.ID); q.Expired {
		t.Errorf("a heartbeat with a longer interval expired: %+v", q)
	}
	alerts := e.heartbeatAlerts(h)
	if len(alerts) != 1 {
		t.Fatalf("%d alerts, want 1", len(alerts))
	}
	a := alerts[0]
	if a.Status != vigil.AlertFiring || a.Occurrences != 1 || a.Summary != "nightly-backup is expired" ||
		a.Severity != vigil.SeverityCritical || a.Source != vigil.HeartbeatSource || a.DedupKey != "heartbeat:nightly-backup" ||
		a.Labels["tag:db"] != "true" || a.Labels["priority"] != "P1" || a.IntegrationKeyID != nil || !a.FirstSeen.Equal(at) ||
		!strings.Contains(string(a.Details), `"description":"pg_dump"`) {
		t.Fatalf("alert %+v details %s", a, a.Details)
	}
	incs, total := e.incidents(vigil.IncidentFilter{})
	if total != 1 || incs[0].Status != vigil.IncidentTriggered || incs[0].CreatedBy != "heartbeat" {
		t.Fatalf("incidents %d: %+v", total, incs)
	}

	// The ping resolves the alert (and the incident: auto-resolve) and
	// restarts the countdown.
	e.clock.Advance(90 * time.Second)
	pinged, err := e.st.PingHeartbeat(e.ictx, h.ID)
	must(t, err)
	now := e.clock.Now()
	if pinged.Expired || pinged.ExpiredAt != nil || pinged.LastPingAt == nil || !pinged.LastPingAt.Equal(now) ||
		!pinged.DueAt.Equal(now.Add(5*time.Minute)) {
		t.Fatalf("after the ping: %+v", pinged)
	}
	if diff := cmp.Diff(pinged, e.findHeartbeat(h.ID)); diff != "" {
		t.Errorf("stored (-answer +stored):\n%s", diff)
	}
	if a := e.alert(a.ID); a.Status != vigil.AlertResolved || a.ResolvedAt == nil || !a.ResolvedAt.Equal(now) {
		t.Errorf("alert after the ping: %+v", a)
	}
	if inc := e.incident(incs[0].ID); inc.Status != vigil.IncidentResolved {
		t.Errorf("incident after the ping: %s", inc.Status)
	}

	// Pings in time keep it quiet; a ping while not expired resolves nothing.
	entries := len(e.timeline(incs[0].ID))
	for range 3 {
		e.clock.Advance(4 * time.Minute)
		if _, err := e.st.PingHeartbeat(e.ictx, h.ID); err != nil {
			t.Fatal(err)
		}
		if n := e.expire(); n != 0 {
			t.Fatalf("expired although pinged in time")
		}
	}
	if tl := e.timeline(incs[0].ID); len(tl) != entries {
		t.Errorf("timeline %v: pings in time wrote to it", kinds(tl))
	}

	// A later miss is a new alert.
	e.clock.Advance(5 * time.Minute)
	if n := e.expire(); n != 1 {
		t.Fatalf("second miss: expired %d, want 1", n)
	}
	if alerts := e.heartbeatAlerts(h); len(alerts) != 2 || alerts[0].Status != vigil.AlertFiring || alerts[0].ID == a.ID {
		t.Errorf("after the second miss: %d alerts", len(alerts))
	}

	// The alert message, when set, is the summary.
	msg := "backups stopped"
	_, err = e.st.UpdateHeartbeat(e.ctx, quiet.ID, vigil.HeartbeatUpdate{AlertMessage: &msg})
	must(t, err)
	e.clock.Advance(time.Hour)
	if n := e.expire(); n != 1 {
		t.Fatalf("quiet: expired %d, want 1", n)
	}
	if alerts := e.heartbeatAlerts(quiet); len(alerts) != 1 || alerts[0].Summary != msg || alerts[0].Severity != vigil.SeverityWarning {
		t.Errorf("quiet's alert: %+v", alerts)
	}
}

// Disabled heartbeats never expire, and take pings; enabling starts the
// countdown; disabling an expired one clears it and resolves its alert.
func testHeartbeatDisabled(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	s := e.service("api", nil)
	off := e.heartbeat(s.ID, "off", func(h *vigil.Heartbeat) { h.Enabled = false })
	e.clock.Advance(48 * time.Hour)
	if n := e.expire(); n != 0 {
		t.Fatalf("a disabled heartbeat expired")
	}
	if _, err := e.st.PingHeartbeat(e.ictx, off.ID); err != nil {
		t.Fatalf("ping of a disabled heartbeat: %v", err)
	}

	on := true
	e.clock.Advance(time.Hour)
	got, err := e.st.UpdateHeartbeat(e.ctx, off.ID, vigil.HeartbeatUpdate{Enabled: &on})
	must(t, err)
	if !got.Enabled || !got.DueAt.Equal(e.clock.Now().Add(5*time.Minute)) {
		t.Fatalf("enabled: %+v, want due in 5 minutes", got)
	}
	e.clock.Advance(5 * time.Minute)
	if n := e.expire(); n != 1 {
		t.Fatalf("expired %d after enabling, want 1", n)
	}
	alert := e.heartbeatAlerts(off)[0]

	disable := false
	got, err = e.st.UpdateHeartbeat(e.ctx, off.ID, vigil.HeartbeatUpdate{Enabled: &disable})
	must(t, err)
	if got.Enabled || got.Expired || got.ExpiredAt != nil {
		t.Errorf("disabled: %+v", got)
	}
	if a := e.alert(alert.ID); a.Status != vigil.AlertResolved {
		t.Errorf("disabling left its alert %s", a.Status)
	}
	e.clock.Advance(24 * time.Hour)
	if n := e.expire(); n != 0 {
		t.Errorf("expired after being disabled")
	}
}

// Deleting an expired heartbeat resolves its alert.
func testHeartbeatDeleteExpired(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	s := e.service("api", nil)
	h := e.heartbeat(s.ID, "gone", nil)
	e.clock.Advance(10 * time.Minute)
	if n := e.expire(); n != 1 {
		t.Fatalf("expired %d, want 1", n)
	}
	alert := e.heartbeatAlerts(h)[0]
	must(t, e.st.DeleteHeartbeat(e.ctx, h.ID))
	if a := e.alert(alert.ID); a.Status != vigil.AlertResolved {
		t.Errorf("deleting left its alert %s", a.Status)
	}
}

// Many sweeps at once (as from several replicas: on PostgreSQL each runs
// on its own connection) expire each due heartbeat once and raise one
// alert for it; sweeps racing pings never leave an expired heartbeat
// without its alert.
func testHeartbeatExpireOnce(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	s := e.service("api", func(s *vigil.Service) { s.Grouping = vigil.GroupingRule{Mode: vigil.GroupNone} })
	const beats, sweepers = 12, 6
	var hs []*vigil.Heartbeat
	for i := range beats {
		hs = append(hs, e.heartbeat(s.ID, "job-"+string(rune('a'+i)), nil))
	}
	e.clock.Advance(time.Hour)
	counts := make([]int, sweepers)
	errs := make([]error, sweepers+beats/2)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range sweepers {
		wg.Go(func() {
			<-start
			counts[i], errs[i] = e.st.ExpireHeartbeats(e.ctx)
		})
	}
	for i := range beats / 2 { // half of them race a ping
		wg.Go(func() {
			<-start
			_, errs[sweepers+i] = e.st.PingHeartbeat(e.ictx, hs[i].ID)
		})
	}
	close(start)
	wg.Wait()
	sum := 0
	for i, n := range counts {
		sum += n
		must(t, errs[i])
	}
	for _, err := range errs[sweepers:] {
		must(t, err)
	}
	// A heartbeat pinged after its expiry has a resolved alert; one pinged
	// before it has none. Either way: one alert at most, and a firing one
	// exactly when the heartbeat is expired.
	alerted := 0
	for _, h := range hs {
		got := e.findHeartbeat(h.ID)
		alerts := e.heartbeatAlerts(h)
		if len(alerts) > 1 {
			t.Errorf("%s: %d alerts", h.Name, len(alerts))
			continue
		}
		if len(alerts) == 1 {
			alerted++
		}
		firing := len(alerts) == 1 && alerts[0].Status == vigil.AlertFiring
		if got.Expired != firing {
			t.Errorf("%s: expired %v with alerts %+v", h.Name, got.Expired, alerts)
		}
	}
	if sum != alerted {
		t.Errorf("sweeps reported %d expiries, %d heartbeats have an alert", sum, alerted)
	}
	if alerted < beats/2 {
		t.Errorf("only %d of the %d unpinged heartbeats alerted", alerted, beats/2)
	}
	if _, total := e.incidents(vigil.IncidentFilter{}); total != alerted {
		t.Errorf("%d incidents for %d alerts (grouping none)", total, alerted)
	}
}

func heartbeatNames(list []*vigil.Heartbeat) []string {
	var out []string
	for _, h := range list {
		out = append(out, h.Name)
	}
	return out
}
