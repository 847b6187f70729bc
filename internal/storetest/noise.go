package storetest

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// RunNoise is the suite of responders' verdicts and the noise report.
func RunNoise(t *testing.T, open OpenFunc) {
	tests := []struct {
		name string
		fn   func(t *testing.T, open OpenFunc)
	}{
		{"Feedback", testFeedback},
		{"NoiseReportCounts", testNoiseReportCounts},
		{"NoiseReportSuggestions", testNoiseReportSuggestions},
		{"NoiseReportInvalid", testNoiseReportInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, open)
		})
	}
}

func testFeedback(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	s := e.service("api", nil)
	id := e.send1(trigger(s.ID, "k1", "disk full", vigil.SeverityError)).IncidentID

	fb, err := e.st.FindIncidentFeedback(e.ctx, id)
	must(t, err)
	if fb.Verdict != "" || fb.At != nil {
		t.Fatalf("new incident's feedback = %+v, want none", fb)
	}
	e.clock.Advance(time.Minute)
	fb, err = e.st.SetIncidentFeedback(e.ctx, id, "Noise")
	must(t, err)
	if fb.Verdict != vigil.VerdictNoise || fb.By != cliActor.Name || fb.At == nil || !fb.At.Equal(e.clock.Now()) {
		t.Fatalf("after marking noise: %+v", fb)
	}
	got, err := e.st.FindIncidentFeedback(e.ctx, id)
	must(t, err)
	if diff := cmp.Diff(fb, got); diff != "" {
		t.Errorf("stored feedback (-set +found):\n%s", diff)
	}
	// The same verdict again writes nothing; a change and a clear do.
	_, err = e.st.SetIncidentFeedback(e.ctx, id, vigil.VerdictNoise)
	must(t, err)
	_, err = e.st.SetIncidentFeedback(e.ctx, id, vigil.VerdictActionable)
	must(t, err)
	fb, err = e.st.SetIncidentFeedback(e.ctx, id, "")
	must(t, err)
	if fb.Verdict != "" || fb.At != nil {
		t.Fatalf("after clearing: %+v", fb)
	}
	var lines []string
	for _, en := range e.timeline(id) {
		if en.Kind == vigil.EntryFeedback {
			lines = append(lines, en.Message)
		}
	}
	want := []string{"Marked noise by ops-token via cli", "Marked actionable by ops-token via cli", "Verdict actionable cleared by ops-token via cli"}
	if diff := cmp.Diff(want, lines); diff != "" {
		t.Errorf("feedback lines of the timeline (-want +got):\n%s", diff)
	}

	_, err = e.st.SetIncidentFeedback(e.ctx, id, "spam")
	wantCode(t, err, vigil.CodeInvalid, "verdict")
	_, err = e.st.SetIncidentFeedback(e.ctx, id+100, vigil.VerdictNoise)
	wantCode(t, err, vigil.CodeNotFound)
	_, err = e.st.FindIncidentFeedback(e.ctx, id+100)
	wantCode(t, err, vigil.CodeNotFound)
}

// noiseEnv builds data through the real store paths: events, pages queued
// and completed through the outbox, acknowledgements and verdicts.
type noiseEnv struct {
	*env
}

// page queues a page for incident id at at and has it sent (sent true) or
// fail for good; every other message due then is sent too.
func (n noiseEnv) page(id int64, at time.Time, sent bool) {
	n.t.Helper()
	n.clock.Set(at)
	must(n.t, n.st.CreateNotifications(n.ctx, &vigil.Notification{Kind: vigil.MessagePage, IncidentID: id,
		DestType: vigil.ContactWebhook, DestAddress: "https://hooks.example/page"}))
	claimed, err := n.st.ClaimNotifications(n.ctx, "r1", 50, time.Minute)
	must(n.t, err)
	if len(claimed) == 0 {
		n.t.Fatalf("no message to claim at %s", at)
	}
	for _, c := range claimed {
		o := vigil.Outcome{Sent: true}
		if c.Kind == vigil.MessagePage && c.IncidentID == id && !sent {
			o = vigil.Outcome{Error: "410 gone"}
		}
		must(n.t, n.st.CompleteNotification(n.ctx, c.ID, "r1", o))
	}
}

func (n noiseEnv) ack(id int64, at time.Time) {
	n.t.Helper()
	n.clock.Set(at)
	_, err := n.st.AcknowledgeIncident(n.ctx, id)
	must(n.t, err)
}

func (n noiseEnv) mark(id int64, verdict string) {
	n.t.Helper()
	_, err := n.st.SetIncidentFeedback(n.ctx, id, verdict)
	must(n.t, err)
}

// fire sends a trigger through key at at, named by the alertname label.
func (n noiseEnv) fire(at time.Time, s *vigil.Service, key *vigil.IntegrationKey, dedup, name string) int64 {
	n.t.Helper()
	n.clock.Set(at)
	ev := trigger(s.ID, dedup, name+" on "+s.Name, vigil.SeverityCritical)
	ev.Labels = map[string]string{"alertname": name}
	if key != nil {
		ev.IntegrationKeyID = &key.ID
	}
	r := n.send1(ev)
	if r.IncidentID == 0 {
		n.t.Fatalf("%s: no incident", dedup)
	}
	return r.IncidentID
}

func testNoiseReportCounts(t *testing.T, open OpenFunc) {
	n := noiseEnv{setup(t, open)}
	one := func(s *vigil.Service) { s.Grouping = vigil.GroupingRule{Mode: vigil.GroupNone} }
	api, db := n.service("api", one), n.service("db", one)
	apiKey, err := n.st.CreateIntegrationKey(n.ctx, api.ID, "prom-api")
	must(t, err)
	dbKey, err := n.st.CreateIntegrationKey(n.ctx, db.ID, "prom-db")
	must(t, err)
	n.rules("", vigil.ClassificationRule{Name: "db-sev2", When: `service == "db"`, Set: vigil.ClassificationSet{Sev: "SEV2"}},
		vigil.ClassificationRule{Name: "quiet-tests", When: `labels.alertname == "Test"`, Set: vigil.ClassificationSet{Suppress: true}})

	// The report covers [r0, r0+7d); Berlin is UTC+1 then, so its night
	// (22:00–07:00) is 21:00–06:00 UTC.
	r0 := time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)
	at := func(day, h, m int) time.Time {
		return r0.AddDate(0, 0, day).Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute)
	}

	old := n.fire(r0.Add(-time.Hour), api, apiKey, "old", "HighLatency") // before the range
	n.page(old, r0.Add(-time.Hour), true)

	a1 := n.fire(at(1, 10, 0), api, apiKey, "lat-1", "HighLatency")
	n.page(a1, at(1, 10, 1), true)
	n.ack(a1, at(1, 10, 4)) // 3 minutes after the page
	n.mark(a1, vigil.VerdictActionable)

	a2 := n.fire(at(1, 22, 0), api, apiKey, "lat-2", "HighLatency")
	n.page(a2, at(1, 22, 0), true)  // 23:00 in Berlin
	n.page(a2, at(1, 22, 10), true) // again
	n.ack(a2, at(1, 22, 20))        // 20 minutes after the first page
	n.mark(a2, vigil.VerdictNoise)

	d1 := n.fire(at(2, 5, 0), db, dbKey, "disk-1", "DiskFull")
	n.page(d1, at(2, 5, 30), true) // 06:30 in Berlin: night; never acknowledged
	n.mark(d1, vigil.VerdictNoise)

	d2 := n.fire(at(2, 6, 30), db, dbKey, "disk-2", "DiskFull")
	n.page(d2, at(2, 6, 31), true)  // 07:31 in Berlin: day
	n.page(d2, at(2, 6, 32), false) // failed: not a page sent
	n.ack(d2, at(2, 6, 33))

	// Suppressed by a rule: an alert of api and of the rule, no incident.
	n.clock.Set(at(3, 11, 0))
	if r := n.send1(&vigil.Event{ServiceID: api.ID, IntegrationKeyID: &apiKey.ID, Action: vigil.ActionTrigger, DedupKey: "test-1",
		Summary: "test", Severity: vigil.SeverityInfo, Labels: map[string]string{"alertname": "Test"}}); r.IncidentID != 0 || r.AlertID == 0 {
		t.Fatalf("the test alert was not suppressed: %+v", r)
	}

	n.clock.Set(at(3, 12, 0))
	_, err = n.st.DeclareIncident(n.ctx, vigil.IncidentDeclaration{ServiceID: api.ID, Title: "by hand"})
	must(t, err)

	rep, err := n.st.NoiseReport(n.ctx, vigil.NoiseQuery{Since: r0, Until: r0.AddDate(0, 0, 7), TimeZone: "Europe/Berlin"})
	must(t, err)
	apiCounts := vigil.NoiseCounts{Alerts: 3, Incidents: 3, Pages: 3, PagedIncidents: 2, AckedQuickly: 1, NightPages: 2, Noise: 1, Actionable: 1}
	apiKeyCounts := apiCounts
	apiKeyCounts.Incidents = 2 // the declared incident came through no key
	dbCounts := vigil.NoiseCounts{Alerts: 2, Incidents: 2, Pages: 2, PagedIncidents: 2, AckedQuickly: 1, NightPages: 1, Noise: 1}
	want := &vigil.NoiseReport{
		Since: r0, Until: r0.AddDate(0, 0, 7), TimeZone: "Europe/Berlin",
		Totals:          vigil.NoiseCounts{Alerts: 5, Incidents: 5, Pages: 5, PagedIncidents: 4, AckedQuickly: 2, NightPages: 3, Noise: 2, Actionable: 1},
		Services:        []vigil.NoiseRow{{ID: api.ID, Name: "api", NoiseCounts: apiCounts}, {ID: db.ID, Name: "db", NoiseCounts: dbCounts}},
		IntegrationKeys: []vigil.NoiseRow{{ID: apiKey.ID, Name: "prom-api", ServiceID: api.ID, ServiceName: "api", NoiseCounts: apiKeyCounts}, {ID: dbKey.ID, Name: "prom-db", ServiceID: db.ID, ServiceName: "db", NoiseCounts: dbCounts}},
		Rules:           []vigil.NoiseRow{{Name: "db-sev2", NoiseCounts: dbCounts}, {Name: "quiet-tests", NoiseCounts: vigil.NoiseCounts{Alerts: 1}}},
		Suggestions:     []vigil.NoiseSuggestion{},
		AlertGroups:     []vigil.NoiseAlertGroup{},
		Pairs:           []vigil.NoisePair{},
		Refires:         []vigil.NoiseRefire{},
	}
	if diff := cmp.Diff(want, rep); diff != "" {
		t.Errorf("report (-want +got):\n%s", diff)
	}

	// In UTC, d2's page at 06:31 is at night too.
	rep, err = n.st.NoiseReport(n.ctx, vigil.NoiseQuery{Since: r0, Until: r0.AddDate(0, 0, 7)})
	must(t, err)
	if rep.Totals.NightPages != 4 || rep.TimeZone != "UTC" {
		t.Errorf("in UTC: %d night pages (zone %q), want 4", rep.Totals.NightPages, rep.TimeZone)
	}
	// A range holding only day one sees a1 and a2.
	rep, err = n.st.NoiseReport(n.ctx, vigil.NoiseQuery{Since: at(1, 0, 0), Until: at(2, 0, 0)})
	must(t, err)
	if rep.Totals.Incidents != 2 || rep.Totals.Alerts != 2 || len(rep.Services) != 1 || len(rep.Rules) != 0 {
		t.Errorf("day one: totals %+v, %d services, %d rules; want 2 incidents and alerts of api, no rule", rep.Totals, len(rep.Services), len(rep.Rules))
	}
}

func testNoiseReportSuggestions(t *testing.T, open OpenFunc) {
	n := noiseEnv{setup(t, open)}
	netSvc := n.service("net", func(s *vigil.Service) { s.Grouping = vigil.GroupingRule{Mode: vigil.GroupNone} })
	web := n.service("web", nil) // time grouping, 5m, auto-resolve
	base := time.Date(2026, 5, 4, 8, 0, 0, 0, time.UTC)
	// Five times, ten minutes apart: the network's switch goes down (and
	// stays down), half a minute later the web's Flappy fires and two
	// minutes later resolves, unacknowledged.
	for i := range 5 {
		ti := base.Add(time.Duration(i) * 10 * time.Minute)
		n.fire(ti, netSvc, nil, "switch-"+string(rune('a'+i)), "SwitchDown")
		n.fire(ti.Add(30*time.Second), web, nil, "flappy", "Flappy")
		n.clock.Set(ti.Add(150 * time.Second))
		n.send1(resolve(web.ID, "flappy"))
	}
	rep, err := n.st.NoiseReport(n.ctx, vigil.NoiseQuery{Since: base.Add(-time.Hour), Until: base.Add(2 * time.Hour)})
	must(t, err)
	wantGroups := []vigil.NoiseAlertGroup{
		{ServiceID: netSvc.ID, ServiceName: "net", AlertName: "SwitchDown", Alerts: 5, Incidents: 5},
		{ServiceID: web.ID, ServiceName: "web", AlertName: "Flappy", Alerts: 5, Incidents: 5, QuickUnacked: 5},
	}
	if diff := cmp.Diff(wantGroups, rep.AlertGroups); diff != "" {
		t.Errorf("alert groups (-want +got):\n%s", diff)
	}
	wantPairs := []vigil.NoisePair{{SourceServiceID: netSvc.ID, SourceService: "net", SourceAlert: "SwitchDown",
		TargetServiceID: web.ID, TargetService: "web", TargetAlert: "Flappy", Together: 5, TargetTimes: 5}}
	if diff := cmp.Diff(wantPairs, rep.Pairs); diff != "" {
		t.Errorf("pairs (-want +got):\n%s", diff)
	}
	if len(rep.Refires) != 1 || rep.Refires[0].ServiceID != web.ID || rep.Refires[0].Incidents != 5 || rep.Refires[0].SoonAfterResolve != 4 ||
		rep.Refires[0].Grouping.Mode != vigil.GroupByTime {
		t.Errorf("refires = %+v, want web's 5 incidents, 4 soon after a resolve", rep.Refires)
	}
	var kinds []string
	for _, s := range rep.Suggestions {
		kinds = append(kinds, s.Kind+": "+s.Title)
	}
	wantKinds := []string{"silence: Silence Flappy on web", "inhibit: Inhibit Flappy (web) while SwitchDown (net) fires", "group_window: Group web's alerts over 30m"}
	if diff := cmp.Diff(wantKinds, kinds); diff != "" {
		t.Errorf("suggestions (-want +got):\n%s", diff)
	}
	if len(rep.Suggestions) > 0 && !strings.Contains(rep.Suggestions[0].Command, `vigil silence add 'alertname="Flappy"' --service web --duration 7d`) {
		t.Errorf("silence command = %q", rep.Suggestions[0].Command)
	}
}

func testNoiseReportInvalid(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	since := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		q     vigil.NoiseQuery
		field string
	}{
		{vigil.NoiseQuery{Since: since, Until: since}, "until"},
		{vigil.NoiseQuery{Since: since, Until: since.Add(-time.Hour)}, "until"},
		{vigil.NoiseQuery{Since: since, Until: since.AddDate(2, 0, 0)}, "since"},
		{vigil.NoiseQuery{Since: since, Until: since.Add(time.Hour), TimeZone: "Mars/Olympus"}, "tz"},
		{vigil.NoiseQuery{Since: since, Until: since.Add(time.Hour), TimeZone: "Local"}, "tz"},
	} {
		_, err := e.st.NoiseReport(e.ctx, tc.q)
		wantCode(t, err, vigil.CodeInvalid, tc.field)
	}
}
