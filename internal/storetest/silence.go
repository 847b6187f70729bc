package storetest

import (
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// RunSilences runs the conformance tests of silences: storage, the
// Alertmanager update rules, and what silences do to ingest.
func RunSilences(t *testing.T, open OpenFunc) {
	tests := []struct {
		name string
		fn   func(t *testing.T, open OpenFunc)
	}{
		{"SilenceCreateAndFind", testSilenceCreateAndFind},
		{"SilenceInvalid", testSilenceInvalid},
		{"SilenceUpdate", testSilenceUpdate},
		{"SilenceExpire", testSilenceExpire},
		{"SilencedAlertStoredWithoutIncident", testSilencedAlert},
		{"SilenceScopeAndLabels", testSilenceScopeAndLabels},
		{"SilencedResolveRecorded", testSilencedResolveRecorded},
		{"SilenceEndReleasesAlerts", testSilenceEndReleases},
		{"SilenceExpiredByHandPagesAtOnce", testSilenceExpiredByHand},
		{"SilenceOverlapAndRepeat", testSilenceOverlap},
		{"SilenceExpireOnResolve", testSilenceExpireOnResolve},
		{"SilenceUnused", testSilenceUnused},
		{"SilenceReleaseConcurrent", testSilenceReleaseConcurrent},
		{"SilenceReleaseKeepsGroupKey", testSilenceReleaseGroupKey},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, open)
		})
	}
}

// eq, ne, re and nre build matchers.
func eq(name, value string) vigil.SilenceMatcher {
	return vigil.SilenceMatcher{Name: name, Value: value, IsEqual: true}
}
func ne(name, value string) vigil.SilenceMatcher {
	return vigil.SilenceMatcher{Name: name, Value: value}
}
func re(name, value string) vigil.SilenceMatcher {
	return vigil.SilenceMatcher{Name: name, Value: value, IsRegex: true, IsEqual: true}
}

// silence creates a silence from now for d with the matchers, after mod.
func (e *env) silence(d time.Duration, mod func(*vigil.Silence), ms ...vigil.SilenceMatcher) *vigil.Silence {
	e.t.Helper()
	now := e.clock.Now()
	s := &vigil.Silence{Matchers: ms, StartsAt: now, EndsAt: now.Add(d), Comment: "maintenance"}
	if mod != nil {
		mod(s)
	}
	if err := e.st.CreateSilence(e.ctx, s); err != nil {
		e.t.Fatalf("CreateSilence(%v): %v", ms, err)
	}
	return s
}

func (e *env) findSilence(id int64) *vigil.Silence {
	e.t.Helper()
	s, err := e.st.FindSilenceByID(e.ctx, id)
	if err != nil {
		e.t.Fatalf("FindSilenceByID(%d): %v", id, err)
	}
	return s
}

// labelled is a trigger with labels.
func labelled(serviceID int64, key string, labels map[string]string) *vigil.Event {
	ev := trigger(serviceID, key, key+" summary", vigil.SeverityCritical)
	ev.Labels = labels
	return ev
}

func (e *env) release(want int) {
	e.t.Helper()
	n, err := e.st.ReleaseSilencedAlerts(e.ctx, 100)
	if err != nil || n != want {
		e.t.Fatalf("ReleaseSilencedAlerts = %d, %v; want %d", n, err, want)
	}
}

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func testSilenceCreateAndFind(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	// A start in the past becomes now, as in Alertmanager; the author
	// defaults to the actor.
	s := &vigil.Silence{Matchers: []vigil.SilenceMatcher{eq("alertname", "DiskFull"), re("instance", "db-.*")},
		StartsAt: t0.Add(-time.Hour), EndsAt: t0.Add(2 * time.Hour), Comment: "disk swap",
		Annotations: map[string]string{"ticket": "OPS-1"}}
	must(t, e.st.CreateSilence(e.ctx, s))
	if s.ID == 0 || !uuidRE.MatchString(s.UUID) || !s.StartsAt.Equal(t0) || s.CreatedBy != cliActor.Name ||
		s.State != vigil.SilenceActive || !s.CreatedAt.Equal(t0) || s.Unused {
		t.Fatalf("created %+v", s)
	}
	got := e.findSilence(s.ID)
	if got.UUID != s.UUID || len(got.Matchers) != 2 || got.Matchers[1] != re("instance", "db-.*") || !got.EndsAt.Equal(t0.Add(2*time.Hour)) ||
		got.Comment != "disk swap" || got.Annotations["ticket"] != "OPS-1" || got.State != vigil.SilenceActive || got.ServiceID != nil {
		t.Errorf("FindSilenceByID = %+v", got)
	}
	byUUID, err := e.st.FindSilenceByUUID(e.ctx, strings.ToUpper(s.UUID))
	if err != nil || byUUID.ID != s.ID {
		t.Errorf("FindSilenceByUUID = %+v, %v", byUUID, err)
	}
	_, err = e.st.FindSilenceByUUID(e.ctx, "00000000-0000-4000-8000-000000000000")
	wantCode(t, err, vigil.CodeNotFound)
	_, err = e.st.FindSilenceByID(e.ctx, s.ID+100)
	wantCode(t, err, vigil.CodeNotFound)

	// A pending silence, then time passes.
	p := e.silence(time.Hour, func(s *vigil.Silence) { s.StartsAt = t0.Add(time.Hour); s.EndsAt = t0.Add(3 * time.Hour) }, eq("job", "batch"))
	if p.State != vigil.SilencePending {
		t.Fatalf("future silence is %s", p.State)
	}
	states := func(f vigil.SilenceFilter) []int64 {
		t.Helper()
		list, total, err := e.st.FindSilences(e.ctx, f)
		must(t, err)
		if total != len(list) {
			t.Fatalf("total %d for %d items", total, len(list))
		}
		var ids []int64
		for _, s := range list {
			ids = append(ids, s.ID)
		}
		return ids
	}
	if got := states(vigil.SilenceFilter{}); len(got) != 2 || got[0] != p.ID {
		t.Errorf("all silences = %v, want newest first", got)
	}
	if got := states(vigil.SilenceFilter{States: []string{vigil.SilencePending}}); len(got) != 1 || got[0] != p.ID {
		t.Errorf("pending = %v", got)
	}
	e.clock.Advance(150 * time.Minute) // s expired at t0+2h, p active
	if got := states(vigil.SilenceFilter{States: []string{vigil.SilenceActive}}); len(got) != 1 || got[0] != p.ID {
		t.Errorf("active at t0+2h30 = %v, want %d", got, p.ID)
	}
	if got := states(vigil.SilenceFilter{States: []string{vigil.SilenceExpired, vigil.SilencePending}}); len(got) != 1 || got[0] != s.ID {
		t.Errorf("expired or pending at t0+2h30 = %v, want %d", got, s.ID)
	}
	if got := e.findSilence(s.ID); got.State != vigil.SilenceExpired {
		t.Errorf("state after its end = %s", got.State)
	}
	if got := states(vigil.SilenceFilter{IDs: []int64{s.ID}}); len(got) != 1 || got[0] != s.ID {
		t.Errorf("by id = %v", got)
	}
	_, _, err = e.st.FindSilences(e.ctx, vigil.SilenceFilter{States: []string{"muted"}})
	wantCode(t, err, vigil.CodeInvalid, "state")
}

func testSilenceInvalid(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	ok := func() *vigil.Silence {
		return &vigil.Silence{Matchers: []vigil.SilenceMatcher{eq("alertname", "X")}, StartsAt: t0, EndsAt: t0.Add(time.Hour), Comment: "c"}
	}
	cases := []struct {
		name  string
		mod   func(*vigil.Silence)
		field string
	}{
		{"no matchers", func(s *vigil.Silence) { s.Matchers = nil }, "matchers"},
		{"only matchers of the empty string", func(s *vigil.Silence) {
			s.Matchers = []vigil.SilenceMatcher{re("team", ".*"), ne("env", "prod"), eq("x", "")}
		}, "matchers"},
		{"empty name", func(s *vigil.Silence) { s.Matchers = append(s.Matchers, eq("", "v")) }, "matchers[1].name"},
		{"bad regex", func(s *vigil.Silence) { s.Matchers = []vigil.SilenceMatcher{re("instance", "db-(")} }, "matchers[0].value"},
		{"NUL in value", func(s *vigil.Silence) { s.Matchers[0].Value = "a\x00b" }, "matchers[0].value"},
		{"ends before start", func(s *vigil.Silence) { s.EndsAt = t0.Add(-time.Minute) }, "ends_at"},
		{"ends at start", func(s *vigil.Silence) { s.StartsAt = t0.Add(time.Hour) }, "ends_at"},
		{"ends in the past", func(s *vigil.Silence) { s.StartsAt, s.EndsAt = t0.Add(-2*time.Hour), t0.Add(-time.Hour) }, "ends_at"},
		{"no end", func(s *vigil.Silence) { s.EndsAt = time.Time{} }, "ends_at"},
		{"comment too long", func(s *vigil.Silence) { s.Comment = strings.Repeat("x", vigil.MaxSilenceCommentLen+1) }, "comment"},
		{"author too long", func(s *vigil.Silence) { s.CreatedBy = strings.Repeat("x", vigil.MaxSilenceAuthorLen+1) }, "created_by"},
		{"unknown service", func(s *vigil.Silence) { id := int64(999); s.ServiceID = &id }, "service_id"},
		{"too many matchers", func(s *vigil.Silence) {
			for range vigil.MaxSilenceMatchers {
				s.Matchers = append(s.Matchers, eq("a", "b"))
			}
		}, "matchers"},
	}
	for _, c := range cases {
		s := ok()
		c.mod(s)
		err := e.st.CreateSilence(e.ctx, s)
		if err == nil {
			t.Errorf("%s: accepted", c.name)
			continue
		}
		if vigil.ErrorCode(err) != vigil.CodeInvalid || vigil.ErrorField(err) != c.field {
			t.Errorf("%s: %v (field %q), want invalid %s", c.name, err, vigil.ErrorField(err), c.field)
		}
	}
	if list, _, _ := e.st.FindSilences(e.ctx, vigil.SilenceFilter{}); len(list) != 0 {
		t.Errorf("refused silences were stored: %d", len(list))
	}
}

// testSilenceUpdate follows Alertmanager's rules for a POST with an id.
func testSilenceUpdate(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	s := e.silence(time.Hour, nil, eq("alertname", "A"))
	e.clock.Advance(10 * time.Minute)

	// Active, same matchers, same start, later end, new comment: in place.
	u := *s
	u.EndsAt, u.Comment = t0.Add(3*time.Hour), "longer"
	must(t, e.st.UpdateSilence(e.ctx, s.ID, &u))
	if u.ID != s.ID || u.UUID != s.UUID || !u.EndsAt.Equal(t0.Add(3*time.Hour)) || !u.UpdatedAt.Equal(t0.Add(10*time.Minute)) {
		t.Fatalf("in-place update = %+v", u)
	}
	if got := e.findSilence(s.ID); got.Comment != "longer" || !got.StartsAt.Equal(t0) {
		t.Errorf("after in-place update: %+v", got)
	}

	// Changed matchers: the old one expires (kept), a new one is made.
	r := *s
	r.Matchers = []vigil.SilenceMatcher{eq("alertname", "B")}
	r.EndsAt = t0.Add(time.Hour)
	must(t, e.st.UpdateSilence(e.ctx, s.ID, &r))
	if r.ID == s.ID || r.UUID == s.UUID || r.State != vigil.SilenceActive || !r.StartsAt.Equal(t0.Add(10*time.Minute)) {
		t.Fatalf("replacement = %+v", r)
	}
	if old := e.findSilence(s.ID); old.State != vigil.SilenceExpired || !old.EndsAt.Equal(t0.Add(10*time.Minute)) {
		t.Errorf("replaced silence = %+v, want expired now", old)
	}

	// Active, start moved: replaced too.
	m := e.findSilence(r.ID)
	m.StartsAt = t0.Add(20 * time.Minute)
	must(t, e.st.UpdateSilence(e.ctx, r.ID, m))
	if m.ID == r.ID || m.State != vigil.SilencePending {
		t.Errorf("moving an active silence's start = %+v, want a new pending silence", m)
	}

	// Pending, new start still ahead: in place.
	p := e.findSilence(m.ID)
	p.StartsAt = t0.Add(30 * time.Minute)
	must(t, e.st.UpdateSilence(e.ctx, m.ID, p))
	if p.ID != m.ID || !p.StartsAt.Equal(t0.Add(30*time.Minute)) {
		t.Errorf("pending update = %+v, want in place", p)
	}

	// Expired: never changed; a new silence is made and the old stays.
	x := e.findSilence(s.ID)
	x.EndsAt, x.Comment = t0.Add(5*time.Hour), "revived"
	must(t, e.st.UpdateSilence(e.ctx, s.ID, x))
	if x.ID == s.ID {
		t.Error("an expired silence was updated in place")
	}
	if old := e.findSilence(s.ID); old.State != vigil.SilenceExpired || old.Comment != "longer" {
		t.Errorf("expired silence changed: %+v", old)
	}

	// Not found; invalid (nothing changes).
	err := e.st.UpdateSilence(e.ctx, 9999, e.findSilence(p.ID))
	wantCode(t, err, vigil.CodeNotFound)
	bad := e.findSilence(p.ID)
	bad.EndsAt = bad.StartsAt
	wantCode(t, e.st.UpdateSilence(e.ctx, p.ID, bad), vigil.CodeInvalid, "ends_at")
	if got := e.findSilence(p.ID); !got.EndsAt.Equal(p.EndsAt) {
		t.Errorf("a refused update changed the silence: %+v", got)
	}
}

func testSilenceExpire(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	a := e.silence(time.Hour, nil, eq("alertname", "A"))
	p := e.silence(time.Hour, func(s *vigil.Silence) { s.StartsAt, s.EndsAt = t0.Add(time.Hour), t0.Add(2*time.Hour) }, eq("alertname", "P"))
	e.clock.Advance(time.Minute)
	now := t0.Add(time.Minute)
	got, err := e.st.ExpireSilence(e.ctx, a.ID)
	must(t, err)
	if got.State != vigil.SilenceExpired || !got.EndsAt.Equal(now) || !got.StartsAt.Equal(t0) || !got.UpdatedAt.Equal(now) {
		t.Errorf("expired active = %+v", got)
	}
	got, err = e.st.ExpireSilence(e.ctx, p.ID)
	must(t, err)
	if got.State != vigil.SilenceExpired || !got.EndsAt.Equal(now) || !got.StartsAt.Equal(now) {
		t.Errorf("expired pending = %+v, want both times now", got)
	}
	e.clock.Advance(time.Minute)
	again, err := e.st.ExpireSilence(e.ctx, a.ID)
	must(t, err)
	if !again.EndsAt.Equal(now) || !again.UpdatedAt.Equal(now) {
		t.Errorf("expiring twice changed it: %+v", again)
	}
	_, err = e.st.ExpireSilence(e.ctx, 9999)
	wantCode(t, err, vigil.CodeNotFound)
}

// testSilencedAlert: a new alert an active silence matches is stored and
// visible, marked with the silence, and opens no incident; other alerts
// page as before; repeats stay held.
func testSilencedAlert(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	svc := e.service("db", nil)
	sil := e.silence(time.Hour, nil, eq("alertname", "DiskFull"), re("instance", "db-.*"))

	r := e.send1(labelled(svc.ID, "disk-db-1", map[string]string{"alertname": "DiskFull", "instance": "db-1"}))
	if !r.AlertNew || r.IncidentNew || r.IncidentID != 0 || r.SilencedBy != sil.ID || r.AlertID == 0 || !r.Changed {
		t.Fatalf("silenced trigger = %+v", r)
	}
	a := e.alert(r.AlertID)
	if a.Status != vigil.AlertFiring || a.IncidentID != 0 || a.SilencedBy == nil || *a.SilencedBy != sil.ID {
		t.Fatalf("silenced alert = %+v", a)
	}
	if _, n := e.incidents(vigil.IncidentFilter{}); n != 0 {
		t.Fatalf("%d incidents opened by a silenced alert", n)
	}
	if list, total := e.alerts(vigil.AlertFilter{ServiceID: &svc.ID}); total != 1 || list[0].ID != r.AlertID {
		t.Errorf("silenced alert not listed: %d", total)
	}
	firing, err := e.st.FindFiringAlerts(e.ctx, svc.ID, 10)
	must(t, err)
	if len(firing) != 1 || firing[0].SilencedBy == nil {
		t.Errorf("firing alerts = %v", keysOf(firing))
	}

	// A repeat stays held, one alert.
	e.clock.Advance(30 * time.Second)
	r2 := e.send1(labelled(svc.ID, "disk-db-1", map[string]string{"alertname": "DiskFull", "instance": "db-1"}))
	if r2.AlertNew || r2.AlertID != r.AlertID || r2.IncidentID != 0 || r2.SilencedBy != sil.ID {
		t.Fatalf("repeat of a silenced alert = %+v", r2)
	}
	if a := e.alert(r.AlertID); a.Occurrences != 2 {
		t.Errorf("occurrences = %d", a.Occurrences)
	}
	// Alerts the silence does not match page as before, in the same batch
	// too.
	rs := e.send(
		labelled(svc.ID, "disk-web-1", map[string]string{"alertname": "DiskFull", "instance": "web-1"}),
		labelled(svc.ID, "disk-db-2", map[string]string{"alertname": "DiskFull", "instance": "db-2"}),
		labelled(svc.ID, "cpu-db-1", map[string]string{"alertname": "HighCPU", "instance": "db-1"}),
	)
	if !rs[0].IncidentNew || rs[0].SilencedBy != 0 || rs[1].IncidentID != 0 || rs[1].SilencedBy != sil.ID ||
		rs[2].IncidentID != rs[0].IncidentID || rs[2].SilencedBy != 0 {
		t.Fatalf("mixed batch = %+v", rs)
	}
	if got := e.findSilence(sil.ID); got.LastMatchedAt == nil || !got.LastMatchedAt.Equal(t0) {
		// The repeat at t0+30s came within a minute of the last write.
		t.Errorf("last matched = %v, want %v", got.LastMatchedAt, t0)
	}
	// An acknowledge of a held alert has no incident to acknowledge.
	if r := e.send1(ack(svc.ID, "disk-db-1")); r.Changed || r.IncidentID != 0 {
		t.Errorf("acknowledge of a held alert = %+v", r)
	}
	// An alert already paging when the silence is made keeps its incident.
	e.silence(time.Hour, nil, eq("alertname", "HighCPU"))
	if r := e.send1(labelled(svc.ID, "cpu-db-1", map[string]string{"alertname": "HighCPU", "instance": "db-1"})); r.IncidentID != rs[0].IncidentID || r.SilencedBy != 0 {
		t.Errorf("repeat of a paging alert under a new silence = %+v, want it to stay on its incident", r)
	}
}

// testSilenceScopeAndLabels: service scope, negative and regex matchers,
// and alertname/severity standing for the summary and severity.
func testSilenceScopeAndLabels(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	a := e.service("a", nil)
	b := e.service("b", nil)
	scoped := e.silence(time.Hour, func(s *vigil.Silence) { s.ServiceID = &a.ID }, eq("alertname", "Noisy"))
	r := e.send(labelled(a.ID, "n1", map[string]string{"alertname": "Noisy"}), labelled(b.ID, "n1", map[string]string{"alertname": "Noisy"}))
	if r[0].SilencedBy != scoped.ID || r[1].SilencedBy != 0 || !r[1].IncidentNew {
		t.Errorf("service-scoped silence: %+v", r)
	}
	// Alerts from senders without labels: alertname is the summary,
	// severity the severity.
	bySummary := e.silence(time.Hour, nil, eq("alertname", "Backup failed on nas-1"), eq("severity", "warning"))
	w := trigger(b.ID, "backup", "Backup failed on nas-1", vigil.SeverityWarning)
	c := trigger(b.ID, "backup-c", "Backup failed on nas-1", vigil.SeverityCritical)
	r = e.send(w, c)
	if r[0].SilencedBy != bySummary.ID || r[1].SilencedBy != 0 {
		t.Errorf("summary/severity labels: %+v", r)
	}
	// Negative and regex matchers.
	neg := e.silence(time.Hour, nil, eq("team", "db"), ne("env", "prod"), vigil.SilenceMatcher{Name: "host", Value: "canary-.*", IsRegex: true})
	r = e.send(
		labelled(b.ID, "t1", map[string]string{"team": "db", "env": "staging", "host": "db-1"}), // held
		labelled(b.ID, "t2", map[string]string{"team": "db", "host": "db-2"}),                   // held: env absent is not prod
		labelled(b.ID, "t3", map[string]string{"team": "db", "env": "prod", "host": "db-3"}),    // pages
		labelled(b.ID, "t4", map[string]string{"team": "db", "host": "canary-1"}),               // pages: host matches !~
	)
	if r[0].SilencedBy != neg.ID || r[1].SilencedBy != neg.ID || r[2].SilencedBy != 0 || r[3].SilencedBy != 0 {
		t.Errorf("negative matchers: %+v", r)
	}
	// A regex-only silence (no equality to file it under) still matches.
	rx := e.silence(time.Hour, nil, re("instance", "web-[0-9]+"))
	if r := e.send1(labelled(b.ID, "w", map[string]string{"instance": "web-12"})); r.SilencedBy != rx.ID {
		t.Errorf("regex-only silence: %+v", r)
	}
	if r := e.send1(labelled(b.ID, "w2", map[string]string{"instance": "web-12x"})); r.SilencedBy != 0 {
		t.Errorf("anchored regex matched a longer value: %+v", r)
	}
	// A pending silence holds nothing until it starts.
	p := e.silence(time.Hour, func(s *vigil.Silence) { s.StartsAt, s.EndsAt = t0.Add(time.Hour), t0.Add(2*time.Hour) }, eq("alertname", "Later"))
	if r := e.send1(labelled(b.ID, "l1", map[string]string{"alertname": "Later"})); r.SilencedBy != 0 {
		t.Errorf("pending silence held %+v", r)
	}
	e.clock.Advance(time.Hour)
	if r := e.send1(labelled(b.ID, "l2", map[string]string{"alertname": "Later"})); r.SilencedBy != p.ID {
		t.Errorf("silence at its start: %+v", r)
	}
}

// testSilencedResolveRecorded: a resolve that comes while the silence
// holds the alert is recorded on it (Alertmanager #2805).
func testSilencedResolveRecorded(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	svc := e.service("db", nil)
	sil := e.silence(time.Hour, nil, eq("alertname", "Flappy"))
	r := e.send1(labelled(svc.ID, "f", map[string]string{"alertname": "Flappy"}))
	e.clock.Advance(5 * time.Minute)
	res := e.send1(resolve(svc.ID, "f"))
	if !res.Changed || res.AlertID != r.AlertID || res.IncidentID != 0 || res.SilencedBy != sil.ID {
		t.Fatalf("resolve while silenced = %+v", res)
	}
	a := e.alert(r.AlertID)
	if a.Status != vigil.AlertResolved || a.ResolvedAt == nil || !a.ResolvedAt.Equal(t0.Add(5*time.Minute)) || a.SilencedBy == nil {
		t.Fatalf("alert after resolve = %+v", a)
	}
	// Its end changes nothing for a resolved alert.
	e.clock.Advance(time.Hour)
	e.release(0)
	if _, n := e.incidents(vigil.IncidentFilter{}); n != 0 {
		t.Errorf("%d incidents after the silence of a resolved alert ended", n)
	}
}

// testSilenceEndReleases: when the silence's end passes, an alert it still
// holds opens its incident (pages); the sweep is idempotent.
func testSilenceEndReleases(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	svc := e.service("db", nil)
	sil := e.silence(time.Hour, nil, eq("alertname", "Disk"))
	held := e.send1(labelled(svc.ID, "d1", map[string]string{"alertname": "Disk"}))
	e.send1(labelled(svc.ID, "d2", map[string]string{"alertname": "Disk"}))
	e.send1(resolve(svc.ID, "d2"))
	e.clock.Advance(59 * time.Minute)
	e.release(0)
	e.clock.Advance(time.Minute) // the end, exactly
	if got := e.findSilence(sil.ID); got.State != vigil.SilenceExpired {
		t.Fatalf("silence at its end is %s", got.State)
	}
	n, err := e.st.ExpireAlerts(e.ctx, 100) // the periodic job
	must(t, err)
	if n != 0 {
		t.Errorf("ExpireAlerts resolved %d", n)
	}
	a := e.alert(held.AlertID)
	if a.IncidentID == 0 || a.SilencedBy != nil || a.Status != vigil.AlertFiring {
		t.Fatalf("held alert after its silence ended = %+v", a)
	}
	inc := e.incident(a.IncidentID)
	if inc.Status != vigil.IncidentTriggered || inc.AlertCount != 1 || !inc.CreatedAt.Equal(t0.Add(time.Hour)) || inc.CreatedBy != vigil.SystemActor.Name {
		t.Errorf("incident opened at the end = %+v", inc)
	}
	tl := e.timeline(inc.ID)
	if len(tl) != 2 || tl[1].Kind != vigil.EntryAlertJoined || !strings.Contains(tl[1].Message, "ended") {
		t.Errorf("timeline = %v", tl)
	}
	e.release(0)
	if _, n := e.incidents(vigil.IncidentFilter{}); n != 1 {
		t.Errorf("%d incidents after a second sweep, want 1", n)
	}
	// New alerts page again.
	if r := e.send1(labelled(svc.ID, "d3", map[string]string{"alertname": "Disk"})); r.SilencedBy != 0 || r.IncidentID != inc.ID {
		t.Errorf("alert after the silence = %+v", r)
	}
}

func testSilenceExpiredByHand(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	svc := e.service("db", nil)
	other := e.service("other", nil)
	sil := e.silence(time.Hour, nil, eq("alertname", "Disk"))
	keep := e.silence(time.Hour, nil, eq("alertname", "Keep"))
	held := e.send1(labelled(svc.ID, "d1", map[string]string{"alertname": "Disk"}))
	kept := e.send1(labelled(other.ID, "k1", map[string]string{"alertname": "Keep"}))
	e.clock.Advance(10 * time.Minute)
	_, err := e.st.ExpireSilence(e.ctx, sil.ID)
	must(t, err)
	// No sweep: expiring by hand released it.
	a := e.alert(held.AlertID)
	if a.IncidentID == 0 || a.SilencedBy != nil {
		t.Fatalf("alert of a silence expired by hand = %+v", a)
	}
	if a := e.alert(kept.AlertID); a.IncidentID != 0 || a.SilencedBy == nil || *a.SilencedBy != keep.ID {
		t.Errorf("another silence's alert was released: %+v", a)
	}
	if inc := e.incident(a.IncidentID); inc.Status != vigil.IncidentTriggered || !inc.CreatedAt.Equal(t0.Add(10*time.Minute)) {
		t.Errorf("incident = %+v", inc)
	}
	e.release(0)
}

// testSilenceOverlap: when one of two matching silences ends, the other
// holds the alert; a repeat after every silence ended attaches at once.
func testSilenceOverlap(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	svc := e.service("db", nil)
	short := e.silence(time.Hour, nil, eq("alertname", "Disk"))
	long := e.silence(2*time.Hour, nil, eq("alertname", "Disk"), eq("env", "prod"))
	r := e.send1(labelled(svc.ID, "d", map[string]string{"alertname": "Disk", "env": "prod"}))
	if r.SilencedBy != long.ID {
		t.Errorf("held by %d, want %d (the silence ending last)", r.SilencedBy, long.ID)
	}
	// Expire the long one by hand: the short one still matches.
	_, err := e.st.ExpireSilence(e.ctx, long.ID)
	must(t, err)
	if a := e.alert(r.AlertID); a.IncidentID != 0 || a.SilencedBy == nil || *a.SilencedBy != short.ID {
		t.Fatalf("after the long silence ended: %+v, want held by %d", a, short.ID)
	}
	if _, n := e.incidents(vigil.IncidentFilter{}); n != 0 {
		t.Fatalf("%d incidents while another silence holds the alert", n)
	}
	// The short one ends; before any sweep, the sender repeats the alert.
	e.clock.Advance(time.Hour)
	rep := e.send1(labelled(svc.ID, "d", map[string]string{"alertname": "Disk", "env": "prod"}))
	if rep.AlertID != r.AlertID || rep.IncidentID == 0 || !rep.IncidentNew || rep.SilencedBy != 0 || rep.AlertNew {
		t.Fatalf("repeat after every silence ended = %+v", rep)
	}
	e.release(0)
	if a := e.alert(r.AlertID); a.IncidentID != rep.IncidentID || a.Occurrences != 2 {
		t.Errorf("alert = %+v", a)
	}
}

// testSilenceExpireOnResolve: a silence asked to end when its alerts
// resolve ends with the last of them (Alertmanager #1057).
func testSilenceExpireOnResolve(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	svc := e.service("db", nil)
	sil := e.silence(24*time.Hour, func(s *vigil.Silence) { s.ExpireOnResolve = true }, eq("alertname", "Migration"))
	plain := e.silence(24*time.Hour, nil, eq("alertname", "Other"))
	e.send1(labelled(svc.ID, "m1", map[string]string{"alertname": "Migration"}))
	e.send1(labelled(svc.ID, "m2", map[string]string{"alertname": "Migration"}))
	e.send1(labelled(svc.ID, "o1", map[string]string{"alertname": "Other"}))
	e.clock.Advance(time.Minute)
	e.send1(resolve(svc.ID, "m1"))
	if got := e.findSilence(sil.ID); got.State != vigil.SilenceActive {
		t.Fatalf("silence ended with an alert still firing: %+v", got)
	}
	e.clock.Advance(time.Minute)
	// Both in one batch: the resolve ends the silence, and the next alert
	// of the same batch already pages.
	rs := e.send(resolve(svc.ID, "m2"), labelled(svc.ID, "m3", map[string]string{"alertname": "Migration"}))
	got := e.findSilence(sil.ID)
	if got.State != vigil.SilenceExpired || !got.EndsAt.Equal(t0.Add(2*time.Minute)) {
		t.Fatalf("silence after its last alert resolved = %+v", got)
	}
	if rs[1].SilencedBy != 0 || !rs[1].IncidentNew {
		t.Errorf("alert after the silence ended on resolve = %+v", rs[1])
	}
	e.send1(resolve(svc.ID, "o1"))
	if got := e.findSilence(plain.ID); got.State != vigil.SilenceActive {
		t.Errorf("a silence without the option ended on resolve: %+v", got)
	}
}

// testSilenceUnused: silences that hold nothing for DefaultSilenceUnusedAfter are flagged.
func testSilenceUnused(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	svc := e.service("db", nil)
	used := e.silence(30*24*time.Hour, nil, eq("alertname", "Used"))
	idle := e.silence(30*24*time.Hour, nil, eq("alertname", "Idle"))
	e.clock.Advance(6 * 24 * time.Hour)
	e.send1(labelled(svc.ID, "u", map[string]string{"alertname": "Used"}))
	e.clock.Advance(24 * time.Hour)
	if got := e.findSilence(idle.ID); !got.Unused {
		t.Errorf("idle silence after 7 days not flagged: %+v", got)
	}
	if got := e.findSilence(used.ID); got.Unused || got.LastMatchedAt == nil || !got.LastMatchedAt.Equal(t0.Add(6*24*time.Hour)) {
		t.Errorf("used silence = %+v", got)
	}
	list, _, err := e.st.FindSilences(e.ctx, vigil.SilenceFilter{UnusedFor: 7 * 24 * time.Hour})
	must(t, err)
	if len(list) != 1 || list[0].ID != idle.ID {
		t.Errorf("unused for 7d = %d silences", len(list))
	}
	list, _, err = e.st.FindSilences(e.ctx, vigil.SilenceFilter{UnusedFor: 24 * time.Hour})
	must(t, err)
	if len(list) != 2 {
		t.Errorf("unused for 1d = %d silences, want both", len(list))
	}
}

// testSilenceReleaseConcurrent: sweeps at once (replicas) release each
// alert once: one incident, one join each.
func testSilenceReleaseConcurrent(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	svc := e.service("db", nil)
	sil := e.silence(time.Hour, nil, eq("alertname", "Disk"))
	for i := range 20 {
		e.send1(labelled(svc.ID, "d"+string(rune('a'+i)), map[string]string{"alertname": "Disk"}))
	}
	e.clock.Advance(time.Hour)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := e.st.ReleaseSilencedAlerts(e.ctx, 100); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	incs, n := e.incidents(vigil.IncidentFilter{})
	if n != 1 || incs[0].AlertCount != 20 {
		t.Fatalf("incidents = %d (alert count %v), want 1 with 20 alerts", n, incs)
	}
	joins := 0
	for _, en := range e.timeline(incs[0].ID) {
		if en.Kind == vigil.EntryAlertJoined {
			joins++
		}
	}
	if joins != 20 {
		t.Errorf("%d joins on the timeline, want 20", joins)
	}
	_ = sil
}

// testSilenceReleaseKeepsGroupKey: an alert held with the sender's group
// key joins that group's incident when released.
func testSilenceReleaseGroupKey(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	svc := e.service("db", func(s *vigil.Service) { s.Grouping = vigil.GroupingRule{Mode: vigil.GroupNone} })
	open1 := labelled(svc.ID, "a", map[string]string{"alertname": "Up"})
	open1.GroupKey = "{}:{cluster=\"eu\"}"
	r := e.send1(open1)
	e.silence(time.Hour, nil, eq("alertname", "Down"))
	held := labelled(svc.ID, "b", map[string]string{"alertname": "Down"})
	held.GroupKey = open1.GroupKey
	h := e.send1(held)
	if h.SilencedBy == 0 {
		t.Fatalf("not held: %+v", h)
	}
	e.clock.Advance(time.Hour)
	e.release(1)
	if a := e.alert(h.AlertID); a.IncidentID != r.IncidentID {
		t.Errorf("released alert joined incident %d, want %d (same group key; the service itself never groups)", a.IncidentID, r.IncidentID)
	}
}
