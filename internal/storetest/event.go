package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigil-oss/vigil/internal/triage"
	"github.com/vigil-oss/vigil/internal/vigil"
)

func testTriggerNewAlert(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	s := e.service("api", nil)
	k, err := e.st.CreateIntegrationKey(e.ctx, s.ID, "prometheus")
	must(t, err)
	ev := trigger(s.ID, "HighLatency/api", "p99 latency above 2s", vigil.SeverityCritical)
	ev.IntegrationKeyID = &k.ID
	ev.Source = "prometheus"
	ev.Labels = map[string]string{"cluster": "eu-1", "team": "edge"}
	ev.Links = []vigil.Link{{Href: "https://grafana.example/d/1", Text: "dashboard"}}
	ev.Details = json.RawMessage(`{"value":2.7}`)

	r := e.send1(ev)
	if !r.AlertNew || !r.IncidentNew || !r.Changed || r.AlertID == 0 || r.IncidentID == 0 ||
		r.Action != vigil.ActionTrigger || r.DedupKey != ev.DedupKey {
		t.Fatalf("result = %+v, want a new alert and a new incident", r)
	}
	want := &vigil.Alert{
		ID: r.AlertID, ServiceID: s.ID, IncidentID: r.IncidentID, IntegrationKeyID: &k.ID, DedupKey: ev.DedupKey,
		Summary: ev.Summary, Details: ev.Details, Labels: ev.Labels, Links: ev.Links, Severity: vigil.SeverityCritical,
		Source: "prometheus", Status: vigil.AlertFiring, FirstSeen: t0, LastSeen: t0, Occurrences: 1,
	}
	if diff := cmp.Diff(want, e.alert(r.AlertID)); diff != "" {
		t.Errorf("alert (-want +got):\n%s", diff)
	}
	inc := e.incident(r.IncidentID)
	wantInc := &vigil.Incident{
		ID: r.IncidentID, Title: triage.IncidentTitle(ev), ServiceID: s.ID, ServiceName: "api", Severity: vigil.SeverityCritical,
		Status: vigil.IncidentTriggered, AlertCount: 1, CreatedAt: t0, CreatedBy: integrationActor.Name, UpdatedAt: t0,
	}
	if diff := cmp.Diff(wantInc, inc); diff != "" {
		t.Errorf("incident (-want +got):\n%s", diff)
	}
	tl := e.timeline(r.IncidentID)
	if got := kinds(tl); !cmp.Equal(got, []string{vigil.EntryCreated, vigil.EntryAlertJoined}) {
		t.Fatalf("timeline kinds = %v, want created, alert_joined", got)
	}
	for _, en := range tl {
		if en.Actor != integrationActor.Name || en.ActorKind != vigil.ActorIntegration || en.Source != vigil.SourceIntegration ||
			!en.At.Equal(t0) || en.IncidentID != r.IncidentID || en.Message == "" {
			t.Errorf("timeline entry = %+v, want the sender as actor at t0", en)
		}
	}
	if !strings.Contains(tl[1].Message, ev.DedupKey) {
		t.Errorf("alert_joined message %q does not name the alert", tl[1].Message)
	}
}

// A3: repeats of a firing alert are one alert, one incident.
func testRepeatTrigger(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	s := e.service("api", nil)
	var first vigil.EventResult
	for i := range 5 {
		ev := trigger(s.ID, "disk", fmt.Sprintf("disk %d%% full", 90+i), vigil.SeverityWarning)
		ev.Labels = map[string]string{"n": fmt.Sprint(i)}
		r := e.send1(ev)
		if i == 0 {
			first = r
			if !r.AlertNew || !r.IncidentNew {
				t.Fatalf("first trigger = %+v", r)
			}
		} else if r.AlertNew || r.IncidentNew || !r.Changed || r.AlertID != first.AlertID || r.IncidentID != first.IncidentID {
			t.Fatalf("repeat %d = %+v, want the same alert and incident, changed, not new", i, r)
		}
		e.clock.Advance(10 * time.Second)
	}
	a := e.alert(first.AlertID)
	if a.Occurrences != 5 || !a.FirstSeen.Equal(t0) || !a.LastSeen.Equal(t0.Add(40*time.Second)) ||
		a.Summary != "disk 94% full" || a.Labels["n"] != "4" || a.Status != vigil.AlertFiring {
		t.Errorf("alert after 5 triggers = %+v", a)
	}
	if _, total := e.alerts(vigil.AlertFilter{}); total != 1 {
		t.Errorf("%d alerts, want 1", total)
	}
	if _, total := e.incidents(vigil.IncidentFilter{}); total != 1 {
		t.Errorf("%d incidents, want 1", total)
	}
	if inc := e.incident(first.IncidentID); inc.AlertCount != 1 {
		t.Errorf("alert count = %d, want 1", inc.AlertCount)
	}

	// The same within one call.
	res := e.send(trigger(s.ID, "cpu", "cpu", vigil.SeverityError), trigger(s.ID, "cpu", "cpu", vigil.SeverityError),
		trigger(s.ID, "cpu", "cpu", vigil.SeverityError))
	if !res[0].AlertNew || res[1].AlertNew || res[2].AlertNew || res[1].AlertID != res[0].AlertID || res[2].AlertID != res[0].AlertID {
		t.Errorf("one call with three triggers of one key = %+v", res)
	}
	if a := e.alert(res[0].AlertID); a.Occurrences != 3 {
		t.Errorf("occurrences = %d, want 3", a.Occurrences)
	}
}

// A4: acknowledge or resolve without a firing alert changes nothing.
func testAckResolveUnknownKey(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	s := e.service("api", nil)
	for _, ev := range []*vigil.Event{ack(s.ID, "nope"), resolve(s.ID, "nope")} {
		r := e.send1(ev)
		if r.Changed || r.AlertID != 0 || r.IncidentID != 0 || r.AlertNew || r.IncidentNew || r.Action != ev.Action || r.DedupKey != "nope" {
			t.Errorf("%s of unknown key = %+v, want unchanged", ev.Action, r)
		}
	}
	if _, total := e.incidents(vigil.IncidentFilter{}); total != 0 {
		t.Errorf("%d incidents, want none", total)
	}
	if _, total := e.alerts(vigil.AlertFilter{}); total != 0 {
		t.Errorf("%d alerts, want none", total)
	}
	// Resolving twice: the second changes nothing.
	r := e.send1(trigger(s.ID, "k", "x", vigil.SeverityError))
	if r2 := e.send1(resolve(s.ID, "k")); !r2.Changed || r2.AlertID != r.AlertID {
		t.Errorf("resolve = %+v", r2)
	}
	if r3 := e.send1(resolve(s.ID, "k")); r3.Changed {
		t.Errorf("second resolve = %+v, want unchanged", r3)
	}
}

// A5: a trigger after a resolve opens a new alert.
func testTriggerAfterResolve(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	s := e.service("api", nil)
	r1 := e.send1(trigger(s.ID, "k", "down", vigil.SeverityError))
	e.clock.Advance(time.Minute)
	e.send1(resolve(s.ID, "k"))
	e.clock.Advance(time.Minute)
	r2 := e.send1(trigger(s.ID, "k", "down again", vigil.SeverityError))
	if !r2.AlertNew || r2.AlertID == r1.AlertID {
		t.Fatalf("trigger after resolve = %+v, want a new alert", r2)
	}
	a1 := e.alert(r1.AlertID)
	if a1.Status != vigil.AlertResolved || a1.ResolvedAt == nil || !a1.ResolvedAt.Equal(t0.Add(time.Minute)) {
		t.Errorf("first alert = %+v, want resolved at t0+1m", a1)
	}
	if a2 := e.alert(r2.AlertID); a2.Status != vigil.AlertFiring || a2.Occurrences != 1 || !a2.FirstSeen.Equal(t0.Add(2*time.Minute)) {
		t.Errorf("second alert = %+v", a2)
	}
	// Auto-resolve closed the first incident; a resolved incident is never joined.
	if r2.IncidentID == r1.IncidentID || !r2.IncidentNew {
		t.Errorf("second alert joined incident %d, want a new one (first %d is resolved)", r2.IncidentID, r1.IncidentID)
	}
	if _, total := e.alerts(vigil.AlertFilter{ServiceID: &s.ID}); total != 2 {
		t.Errorf("%d alerts, want 2", total)
	}
}

// A6: the same dedup key on two services is two alerts.
func testSameKeyTwoServices(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	s1, s2 := e.service("api", nil), e.service("db", nil)
	r1 := e.send1(trigger(s1.ID, "same", "x", vigil.SeverityError))
	r2 := e.send1(trigger(s2.ID, "same", "x", vigil.SeverityError))
	if !r1.AlertNew || !r2.AlertNew || r1.AlertID == r2.AlertID || r1.IncidentID == r2.IncidentID {
		t.Fatalf("results = %+v %+v, want two alerts in two incidents", r1, r2)
	}
	// Resolving on one service leaves the other firing.
	e.send1(resolve(s1.ID, "same"))
	if a := e.alert(r2.AlertID); a.Status != vigil.AlertFiring {
		t.Errorf("alert of the other service = %s, want firing", a.Status)
	}
}

func testGroupByTime(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	s := e.service("api", nil) // default: time window of 5 minutes
	a := e.send1(trigger(s.ID, "a", "first", vigil.SeverityError))
	e.clock.Advance(4 * time.Minute)
	b := e.send1(trigger(s.ID, "b", "second", vigil.SeverityError))
	if !b.AlertNew || b.IncidentNew || b.IncidentID != a.IncidentID {
		t.Fatalf("alert 4 minutes later = %+v, want it to join incident %d", b, a.IncidentID)
	}
	e.clock.Advance(2 * time.Minute)
	c := e.send1(trigger(s.ID, "c", "third", vigil.SeverityError))
	if !c.IncidentNew || c.IncidentID == a.IncidentID {
		t.Fatalf("alert 6 minutes after the incident opened = %+v, want a new incident", c)
	}
	if inc := e.incident(a.IncidentID); inc.AlertCount != 2 {
		t.Errorf("alert count = %d, want 2", inc.AlertCount)
	}
	// Joins the newest open incident.
	e.clock.Advance(time.Minute)
	d := e.send1(trigger(s.ID, "d", "fourth", vigil.SeverityError))
	if d.IncidentID != c.IncidentID {
		t.Errorf("alert joined %d, want the newest incident %d", d.IncidentID, c.IncidentID)
	}
	// A resolved incident is never joined.
	_, err := e.st.ResolveIncident(e.ctx, c.IncidentID)
	must(t, err)
	f := e.send1(trigger(s.ID, "f", "fifth", vigil.SeverityError))
	if !f.IncidentNew {
		t.Errorf("alert after resolve = %+v, want a new incident", f)
	}
	tl := e.timeline(a.IncidentID)
	if got := kinds(tl); !cmp.Equal(got, []string{vigil.EntryCreated, vigil.EntryAlertJoined, vigil.EntryAlertJoined}) {
		t.Errorf("timeline = %v", got)
	}
}

func testGroupByLabels(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	rule := vigil.GroupingRule{Mode: vigil.GroupByLabels, Labels: []string{"cluster"}}
	s := e.service("api", func(s *vigil.Service) { s.Grouping = rule })
	ev := func(key, cluster string) *vigil.Event {
		x := trigger(s.ID, key, key, vigil.SeverityError)
		x.Labels = map[string]string{"cluster": cluster, "pod": key}
		return x
	}
	a := e.send1(ev("a", "eu"))
	e.clock.Advance(time.Hour) // no time window in label mode
	b := e.send1(ev("b", "eu"))
	c := e.send1(ev("c", "us"))
	if b.IncidentID != a.IncidentID || b.IncidentNew {
		t.Errorf("same cluster = %+v, want incident %d", b, a.IncidentID)
	}
	if c.IncidentID == a.IncidentID || !c.IncidentNew {
		t.Errorf("other cluster = %+v, want a new incident", c)
	}
	if inc := e.incident(a.IncidentID); inc.GroupKey != triage.LabelGroupKey(rule.Labels, map[string]string{"cluster": "eu"}) {
		t.Errorf("group key = %q", inc.GroupKey)
	}
}

func testGroupNone(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	s := e.service("api", func(s *vigil.Service) { s.Grouping = vigil.GroupingRule{Mode: vigil.GroupNone} })
	a := e.send1(trigger(s.ID, "a", "a", vigil.SeverityError))
	b := e.send1(trigger(s.ID, "b", "b", vigil.SeverityError))
	if !a.IncidentNew || !b.IncidentNew || a.IncidentID == b.IncidentID {
		t.Errorf("results = %+v %+v, want one incident per alert", a, b)
	}
	// A repeat still joins its own alert's incident.
	if r := e.send1(trigger(s.ID, "a", "a", vigil.SeverityError)); r.IncidentID != a.IncidentID || r.IncidentNew {
		t.Errorf("repeat = %+v", r)
	}
}

// An adapter's group key (Alertmanager's groupKey) overrides the rule.
func testAdapterGroupKey(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	s := e.service("api", func(s *vigil.Service) { s.Grouping = vigil.GroupingRule{Mode: vigil.GroupNone} })
	ev := func(key, group string) *vigil.Event {
		x := trigger(s.ID, key, key, vigil.SeverityError)
		x.GroupKey = group
		return x
	}
	res := e.send(ev("a", "{}:{alertname=\"X\"}"), ev("b", "{}:{alertname=\"X\"}"), ev("c", "{}:{alertname=\"Y\"}"))
	if res[1].IncidentID != res[0].IncidentID || res[2].IncidentID == res[0].IncidentID {
		t.Errorf("results = %+v", res)
	}
	if inc := e.incident(res[0].IncidentID); inc.GroupKey != "g:{}:{alertname=\"X\"}" || inc.AlertCount != 2 {
		t.Errorf("incident = %+v", inc)
	}
}

func testAutoResolve(t *testing.T, open OpenFunc) {
	for _, auto := range []bool{true, false} {
		t.Run(fmt.Sprintf("auto=%v", auto), func(t *testing.T) {
			e := setup(t, open)
			s := e.service("api", func(s *vigil.Service) { s.AutoResolve = auto })
			a := e.send1(trigger(s.ID, "a", "a", vigil.SeverityError))
			e.send1(trigger(s.ID, "b", "b", vigil.SeverityError))
			e.clock.Advance(time.Minute)
			if r := e.send1(resolve(s.ID, "a")); !r.Changed || r.IncidentID != a.IncidentID {
				t.Fatalf("resolve a = %+v", r)
			}
			if inc := e.incident(a.IncidentID); inc.Status != vigil.IncidentTriggered {
				t.Fatalf("incident with a firing alert left = %s, want triggered", inc.Status)
			}
			e.clock.Advance(time.Minute)
			e.send1(resolve(s.ID, "b"))
			inc := e.incident(a.IncidentID)
			tl := e.timeline(a.IncidentID)
			if !auto {
				if inc.Status != vigil.IncidentTriggered {
					t.Errorf("without auto-resolve the incident is %s, want triggered", inc.Status)
				}
				if got := kinds(tl); got[len(got)-1] != vigil.EntryAlertResolved {
					t.Errorf("timeline = %v", got)
				}
				return
			}
			at := t0.Add(2 * time.Minute)
			if inc.Status != vigil.IncidentResolved || inc.ResolvedAt == nil || !inc.ResolvedAt.Equal(at) || inc.ResolvedBy != integrationActor.Name {
				t.Errorf("incident = %+v, want resolved at %v by the sender", inc, at)
			}
			want := []string{vigil.EntryCreated, vigil.EntryAlertJoined, vigil.EntryAlertJoined,
				vigil.EntryAlertResolved, vigil.EntryAlertResolved, vigil.EntryResolved}
			if got := kinds(tl); !cmp.Equal(got, want) {
				t.Fatalf("timeline = %v, want %v", got, want)
			}
			last := tl[len(tl)-1]
			if last.Actor != integrationActor.Name || last.Source != vigil.SourceIntegration || !strings.Contains(strings.ToLower(last.Message), "all") {
				t.Errorf("resolved entry = %+v, want the sender and a message about all alerts", last)
			}
			if n, err := e.st.CountOpenIncidents(e.ctx); err != nil || n != 0 {
				t.Errorf("CountOpenIncidents = %d, %v; want 0", n, err)
			}
		})
	}
}

func testSeverityRaise(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	s := e.service("api", nil)
	a := e.send1(trigger(s.ID, "a", "a", vigil.SeverityWarning))
	e.send1(trigger(s.ID, "b", "b", vigil.SeverityInfo))
	if inc := e.incident(a.IncidentID); inc.Severity != vigil.SeverityWarning {
		t.Fatalf("severity after an info alert = %s, want warning", inc.Severity)
	}
	e.clock.Advance(time.Second)
	e.send1(trigger(s.ID, "c", "c", vigil.SeverityCritical))
	inc := e.incident(a.IncidentID)
	if inc.Severity != vigil.SeverityCritical || inc.AlertCount != 3 || !inc.UpdatedAt.Equal(t0.Add(time.Second)) {
		t.Fatalf("incident = %+v, want critical with 3 alerts", inc)
	}
	tl := e.timeline(a.IncidentID)
	var sev *vigil.TimelineEntry
	for _, en := range tl {
		if en.Kind == vigil.EntrySeverityChanged {
			if sev != nil {
				t.Fatal("two severity_changed entries")
			}
			sev = en
		}
	}
	if sev == nil || !strings.Contains(sev.Message, "warning") || !strings.Contains(sev.Message, "critical") {
		t.Fatalf("severity_changed entry = %+v in %v", sev, kinds(tl))
	}

	// A repeat trigger that reports a higher severity raises the incident
	// too, alone in its call or after other events of its batch; a lower
	// one never lowers it.
	severityChanges := func(id int64) int {
		n := 0
		for _, en := range e.timeline(id) {
			if en.Kind == vigil.EntrySeverityChanged {
				n++
			}
		}
		return n
	}
	s2 := e.service("db", nil)
	first := e.send1(trigger(s2.ID, "disk", "disk filling", vigil.SeverityWarning))
	e.send1(trigger(s2.ID, "disk", "disk filling", vigil.SeverityError)) // alone: slow path
	if inc := e.incident(first.IncidentID); inc.Severity != vigil.SeverityError || severityChanges(inc.ID) != 1 {
		t.Errorf("after a repeat at error: %s with %d severity changes", inc.Severity, severityChanges(inc.ID))
	}
	e.send(trigger(s2.ID, "other", "other", vigil.SeverityInfo), // finds the incident first: fast path
		trigger(s2.ID, "disk", "disk full", vigil.SeverityCritical))
	if inc := e.incident(first.IncidentID); inc.Severity != vigil.SeverityCritical || severityChanges(inc.ID) != 2 {
		t.Errorf("after a repeat at critical: %s with %d severity changes", inc.Severity, severityChanges(inc.ID))
	}
	e.send1(trigger(s2.ID, "disk", "disk better", vigil.SeverityWarning))
	if inc := e.incident(first.IncidentID); inc.Severity != vigil.SeverityCritical || severityChanges(inc.ID) != 2 {
		t.Errorf("a lower repeat changed the incident: %s with %d severity changes", inc.Severity, severityChanges(inc.ID))
	}
}

func testAcknowledgeEvent(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	s := e.service("api", nil)
	a := e.send1(trigger(s.ID, "a", "a", vigil.SeverityError))
	e.clock.Advance(time.Minute)
	r := e.send1(ack(s.ID, "a"))
	if !r.Changed || r.AlertID != a.AlertID || r.IncidentID != a.IncidentID {
		t.Fatalf("ack = %+v", r)
	}
	inc := e.incident(a.IncidentID)
	if inc.Status != vigil.IncidentAcknowledged || inc.AcknowledgedBy != integrationActor.Name ||
		inc.AcknowledgedAt == nil || !inc.AcknowledgedAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("incident = %+v", inc)
	}
	// Acknowledging again changes nothing and writes nothing.
	n := len(e.timeline(a.IncidentID))
	if r := e.send1(ack(s.ID, "a")); r.Changed {
		t.Errorf("second ack = %+v, want unchanged", r)
	}
	if got := len(e.timeline(a.IncidentID)); got != n {
		t.Errorf("second ack wrote %d timeline entries", got-n)
	}
	// The alert itself stays firing.
	if al := e.alert(a.AlertID); al.Status != vigil.AlertFiring {
		t.Errorf("alert = %s, want firing", al.Status)
	}
}

// All events of one call commit together or not at all.
func testEventsAtomic(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	s := e.service("api", nil)
	_, err := e.st.ProcessEvents(e.ictx, []*vigil.Event{
		trigger(s.ID, "a", "a", vigil.SeverityError),
		trigger(999999, "b", "b", vigil.SeverityError),
	})
	wantCode(t, err, vigil.CodeNotFound)
	if _, total := e.alerts(vigil.AlertFilter{}); total != 0 {
		t.Errorf("%d alerts after a failed call, want 0", total)
	}
	if _, total := e.incidents(vigil.IncidentFilter{}); total != 0 {
		t.Errorf("%d incidents after a failed call, want 0", total)
	}
	// An empty call is fine.
	res, err := e.st.ProcessEvents(e.ictx, nil)
	if err != nil || len(res) != 0 {
		t.Errorf("ProcessEvents(nil) = %v, %v", res, err)
	}
	// A cancelled caller gets an error.
	ctx, cancel := context.WithCancel(e.ictx)
	cancel()
	_, err = e.st.ProcessEvents(ctx, []*vigil.Event{trigger(s.ID, "c", "c", vigil.SeverityError)})
	if err == nil {
		t.Error("ProcessEvents with a cancelled context succeeded")
	}
}

func testEventsInvalid(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	s := e.service("api", nil)
	for name, tc := range map[string]struct {
		ev    *vigil.Event
		field string
	}{
		"no dedup key": {&vigil.Event{ServiceID: s.ID, Action: vigil.ActionTrigger, Summary: "x", Severity: vigil.SeverityError}, "dedup_key"},
		"bad action":   {&vigil.Event{ServiceID: s.ID, Action: "explode", DedupKey: "k", Severity: vigil.SeverityError}, "action"},
		"bad severity": {&vigil.Event{ServiceID: s.ID, Action: vigil.ActionTrigger, DedupKey: "k", Summary: "x", Severity: "urgent"}, "severity"},
		"bad link": {&vigil.Event{ServiceID: s.ID, Action: vigil.ActionTrigger, DedupKey: "k", Summary: "x", Severity: vigil.SeverityError,
			Links: []vigil.Link{{Href: "javascript:alert(1)"}}}, "links.href"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := e.st.ProcessEvents(e.ictx, []*vigil.Event{trigger(s.ID, "ok", "ok", vigil.SeverityError), tc.ev})
			wantCode(t, err, vigil.CodeInvalid, tc.field)
		})
	}
	if _, total := e.alerts(vigil.AlertFilter{}); total != 0 {
		t.Errorf("%d alerts after invalid calls, want 0", total)
	}
}

// Absent details, labels and links read back as nil, {} and [].
func testEventDataDefaults(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	s := e.service("api", nil)
	r := e.send1(trigger(s.ID, "a", "a", vigil.SeverityError))
	a := e.alert(r.AlertID)
	if a.Details != nil || a.Labels == nil || len(a.Labels) != 0 || a.Links == nil || len(a.Links) != 0 || a.IntegrationKeyID != nil {
		t.Errorf("alert = %+v, want nil details, empty labels and links", a)
	}
	b, err := json.Marshal(a)
	must(t, err)
	if !strings.Contains(string(b), `"labels":{}`) || !strings.Contains(string(b), `"links":[]`) || strings.Contains(string(b), `"details"`) {
		t.Errorf("alert JSON = %s", b)
	}
	// A repeat without details clears them; with details sets them.
	ev := trigger(s.ID, "a", "a", vigil.SeverityError)
	ev.Details = json.RawMessage(`{"k":"v"}`)
	e.send1(ev)
	if a := e.alert(r.AlertID); string(a.Details) != `{"k":"v"}` {
		t.Errorf("details = %s", a.Details)
	}
	ev.Details = json.RawMessage(`null`)
	e.send1(ev)
	if a := e.alert(r.AlertID); a.Details != nil {
		t.Errorf("details after null = %s, want nil", a.Details)
	}
}

// 50 concurrent first triggers of one key: exactly one alert.
func testConcurrentFirstTrigger(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	s := e.service("api", nil)
	const n = 50
	results := make([]vigil.EventResult, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			res, err := e.st.ProcessEvents(e.ictx, []*vigil.Event{trigger(s.ID, "storm", "storm", vigil.SeverityError)})
			if err == nil {
				results[i] = res[0]
			}
			errs[i] = err
		})
	}
	close(start)
	wg.Wait()
	newAlerts, newIncidents := 0, 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("trigger %d: %v", i, errs[i])
		}
		if results[i].AlertNew {
			newAlerts++
		}
		if results[i].IncidentNew {
			newIncidents++
		}
	}
	if newAlerts != 1 || newIncidents != 1 {
		t.Errorf("%d results with a new alert, %d with a new incident; want 1 and 1", newAlerts, newIncidents)
	}
	list, total := e.alerts(vigil.AlertFilter{})
	if total != 1 || list[0].Occurrences != n {
		t.Fatalf("%d alerts (first with %d occurrences), want 1 with %d", total, list[0].Occurrences, n)
	}
	if _, total := e.incidents(vigil.IncidentFilter{}); total != 1 {
		t.Errorf("%d incidents, want 1", total)
	}
}

// One bad request among concurrent good ones fails alone.
func testConcurrentRequestsIsolated(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	s := e.service("api", nil)
	const n = 20
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			svc := s.ID
			if i == 7 {
				svc = 999999
			}
			_, errs[i] = e.st.ProcessEvents(e.ictx, []*vigil.Event{trigger(svc, fmt.Sprint("k", i), "x", vigil.SeverityError)})
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if i == 7 {
			wantCode(t, err, vigil.CodeNotFound)
		} else if err != nil {
			t.Errorf("request %d: %v", i, err)
		}
	}
	if _, total := e.alerts(vigil.AlertFilter{}); total != n-1 {
		t.Errorf("%d alerts, want %d", total, n-1)
	}
}
