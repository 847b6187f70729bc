package storetest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigil-oss/vigil/internal/vigil"
)

func testIncidentLifecycle(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	s := e.service("api", func(s *vigil.Service) { s.AutoResolve = false })

	// Declare.
	_, err := e.st.DeclareIncident(e.ctx, vigil.IncidentDeclaration{ServiceID: s.ID, Title: "  "})
	wantCode(t, err, vigil.CodeInvalid, "title")
	_, err = e.st.DeclareIncident(e.ctx, vigil.IncidentDeclaration{ServiceID: s.ID, Title: "x", Severity: "meh"})
	wantCode(t, err, vigil.CodeInvalid, "severity")
	_, err = e.st.DeclareIncident(e.ctx, vigil.IncidentDeclaration{ServiceID: 999999, Title: "x"})
	wantCode(t, err, vigil.CodeNotFound)
	inc, err := e.st.DeclareIncident(e.ctx, vigil.IncidentDeclaration{ServiceID: s.ID, Title: "Checkout is slow", Description: "Customers report timeouts"})
	must(t, err)
	want := &vigil.Incident{ID: inc.ID, Title: "Checkout is slow", Description: "Customers report timeouts", ServiceID: s.ID,
		ServiceName: "api", Severity: vigil.SeverityError, Status: vigil.IncidentTriggered, CreatedAt: t0, CreatedBy: cliActor.Name, UpdatedAt: t0}
	if diff := cmp.Diff(want, inc); diff != "" {
		t.Fatalf("declared (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, e.incident(inc.ID)); diff != "" {
		t.Fatalf("declared, read back (-want +got):\n%s", diff)
	}

	// An alert joins it (time grouping), so resolving has a firing alert to resolve.
	a := e.send1(trigger(s.ID, "a", "a", vigil.SeverityWarning))
	if a.IncidentID != inc.ID {
		t.Fatalf("alert joined %d, want the declared incident %d", a.IncidentID, inc.ID)
	}

	// Acknowledge, twice.
	e.clock.Advance(time.Minute)
	got, err := e.st.AcknowledgeIncident(e.ctx, inc.ID)
	must(t, err)
	ackAt := t0.Add(time.Minute)
	if got.Status != vigil.IncidentAcknowledged || got.AcknowledgedBy != cliActor.Name || got.AcknowledgedAt == nil ||
		!got.AcknowledgedAt.Equal(ackAt) || !got.UpdatedAt.Equal(ackAt) || got.ServiceName != "api" {
		t.Fatalf("acknowledged = %+v", got)
	}
	if diff := cmp.Diff(got, e.incident(inc.ID)); diff != "" {
		t.Errorf("acknowledged, read back (-want +got):\n%s", diff)
	}
	e.clock.Advance(time.Minute)
	again, err := e.st.AcknowledgeIncident(e.ctx, inc.ID)
	must(t, err)
	if !again.AcknowledgedAt.Equal(ackAt) || !again.UpdatedAt.Equal(ackAt) {
		t.Errorf("second acknowledge changed the incident: %+v", again)
	}

	// Resolve, twice: the firing alert resolves with it.
	e.clock.Advance(time.Minute)
	resAt := e.clock.Now()
	got, err = e.st.ResolveIncident(e.ctx, inc.ID)
	must(t, err)
	if got.Status != vigil.IncidentResolved || got.ResolvedBy != cliActor.Name || got.ResolvedAt == nil || !got.ResolvedAt.Equal(resAt) {
		t.Fatalf("resolved = %+v", got)
	}
	if al := e.alert(a.AlertID); al.Status != vigil.AlertResolved || al.ResolvedAt == nil || !al.ResolvedAt.Equal(resAt) {
		t.Errorf("alert of resolved incident = %+v", al)
	}
	e.clock.Advance(time.Minute)
	again, err = e.st.ResolveIncident(e.ctx, inc.ID)
	must(t, err)
	if !again.ResolvedAt.Equal(resAt) {
		t.Errorf("second resolve moved resolved_at to %v", again.ResolvedAt)
	}
	_, err = e.st.AcknowledgeIncident(e.ctx, inc.ID)
	wantCode(t, err, vigil.CodeConflict)

	// Reopen.
	got, err = e.st.ReopenIncident(e.ctx, inc.ID)
	must(t, err)
	if got.Status != vigil.IncidentTriggered || got.AcknowledgedAt != nil || got.AcknowledgedBy != "" ||
		got.ResolvedAt != nil || got.ResolvedBy != "" || !got.UpdatedAt.Equal(e.clock.Now()) {
		t.Fatalf("reopened = %+v", got)
	}
	if diff := cmp.Diff(got, e.incident(inc.ID)); diff != "" {
		t.Errorf("reopened, read back (-want +got):\n%s", diff)
	}
	_, err = e.st.ReopenIncident(e.ctx, inc.ID)
	wantCode(t, err, vigil.CodeConflict)

	tl := e.timeline(inc.ID)
	wantKinds := []string{vigil.EntryCreated, vigil.EntryAlertJoined, vigil.EntryAcknowledged, vigil.EntryResolved, vigil.EntryReopened}
	if diff := cmp.Diff(wantKinds, kinds(tl)); diff != "" {
		t.Fatalf("timeline kinds (-want +got):\n%s", diff)
	}
	if !strings.Contains(tl[0].Message, "Customers report timeouts") {
		t.Errorf("created entry message = %q, want the description", tl[0].Message)
	}
	if tl[1].Actor != integrationActor.Name {
		t.Errorf("alert_joined actor = %q", tl[1].Actor)
	}
	for _, i := range []int{0, 2, 3, 4} {
		en := tl[i]
		if en.Actor != cliActor.Name || en.ActorKind != cliActor.Kind || en.Source != vigil.SourceCLI {
			t.Errorf("entry %s by %s/%s via %s, want the operator via cli", en.Kind, en.Actor, en.ActorKind, en.Source)
		}
	}
	if msg := tl[2].Message; msg != "Acknowledged by ops-token via cli" {
		t.Errorf("acknowledged message = %q", msg)
	}
	if !tl[2].At.Equal(ackAt) || !tl[3].At.Equal(resAt) {
		t.Errorf("entry times = %v, %v", tl[2].At, tl[3].At)
	}
	for i := 1; i < len(tl); i++ {
		if tl[i].ID <= tl[i-1].ID || tl[i].At.Before(tl[i-1].At) {
			t.Errorf("timeline not oldest first at %d", i)
		}
	}
}

func testIncidentNotFound(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	const id = 424242
	_, err := e.st.FindIncidentByID(e.ctx, id)
	wantCode(t, err, vigil.CodeNotFound)
	_, err = e.st.AcknowledgeIncident(e.ctx, id)
	wantCode(t, err, vigil.CodeNotFound)
	_, err = e.st.ResolveIncident(e.ctx, id)
	wantCode(t, err, vigil.CodeNotFound)
	_, err = e.st.ReopenIncident(e.ctx, id)
	wantCode(t, err, vigil.CodeNotFound)
	title := "x"
	_, err = e.st.UpdateIncident(e.ctx, id, vigil.IncidentUpdate{Title: &title})
	wantCode(t, err, vigil.CodeNotFound)
	_, err = e.st.AddNote(e.ctx, id, "hello")
	wantCode(t, err, vigil.CodeNotFound)
	_, err = e.st.FindTimeline(e.ctx, id)
	wantCode(t, err, vigil.CodeNotFound)
	_, err = e.st.FindAlertByID(e.ctx, id)
	wantCode(t, err, vigil.CodeNotFound)
}

func testUpdateIncident(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	s := e.service("api", nil)
	inc, err := e.st.DeclareIncident(e.ctx, vigil.IncidentDeclaration{ServiceID: s.ID, Title: "Old title", Severity: vigil.SeverityWarning})
	must(t, err)

	// No real change: nothing written.
	same, sev := "Old title", vigil.SeverityWarning
	e.clock.Advance(time.Minute)
	got, err := e.st.UpdateIncident(e.ctx, inc.ID, vigil.IncidentUpdate{Title: &same, Severity: &sev})
	must(t, err)
	if !got.UpdatedAt.Equal(t0) || len(e.timeline(inc.ID)) != 1 {
		t.Errorf("an update without change wrote: %+v, %v", got, kinds(e.timeline(inc.ID)))
	}

	title, crit := "New title", vigil.SeverityCritical
	got, err = e.st.UpdateIncident(e.ctx, inc.ID, vigil.IncidentUpdate{Title: &title, Severity: &crit})
	must(t, err)
	if got.Title != title || got.Severity != crit || !got.UpdatedAt.Equal(e.clock.Now()) {
		t.Fatalf("updated = %+v", got)
	}
	if diff := cmp.Diff(got, e.incident(inc.ID)); diff != "" {
		t.Errorf("updated, read back (-want +got):\n%s", diff)
	}
	tl := e.timeline(inc.ID)
	if diff := cmp.Diff([]string{vigil.EntryCreated, vigil.EntryTitleChanged, vigil.EntrySeverityChanged}, kinds(tl)); diff != "" {
		t.Fatalf("timeline (-want +got):\n%s", diff)
	}
	if m := tl[1].Message; !strings.Contains(m, "Old title") || !strings.Contains(m, "New title") {
		t.Errorf("title_changed message = %q, want from and to", m)
	}
	if m := tl[2].Message; !strings.Contains(m, "warning") || !strings.Contains(m, "critical") {
		t.Errorf("severity_changed message = %q, want from and to", m)
	}

	empty, bad := " ", vigil.Severity("huge")
	_, err = e.st.UpdateIncident(e.ctx, inc.ID, vigil.IncidentUpdate{Title: &empty})
	wantCode(t, err, vigil.CodeInvalid, "title")
	_, err = e.st.UpdateIncident(e.ctx, inc.ID, vigil.IncidentUpdate{Severity: &bad})
	wantCode(t, err, vigil.CodeInvalid, "severity")
}

func testNotes(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	s := e.service("api", nil)
	inc, err := e.st.DeclareIncident(e.ctx, vigil.IncidentDeclaration{ServiceID: s.ID, Title: "x"})
	must(t, err)
	for _, body := range []string{"", "  \n\t ", strings.Repeat("x", vigil.MaxNoteLen+1)} {
		_, err := e.st.AddNote(e.ctx, inc.ID, body)
		wantCode(t, err, vigil.CodeInvalid, "body")
	}
	e.clock.Advance(time.Second)
	n, err := e.st.AddNote(e.ctx, inc.ID, "  Rolled back deploy 1234.  ")
	must(t, err)
	want := &vigil.TimelineEntry{ID: n.ID, IncidentID: inc.ID, At: t0.Add(time.Second), Kind: vigil.EntryNote,
		Actor: cliActor.Name, ActorKind: cliActor.Kind, Source: vigil.SourceCLI, Message: "Rolled back deploy 1234."}
	if diff := cmp.Diff(want, n); diff != "" {
		t.Errorf("note (-want +got):\n%s", diff)
	}
	tl := e.timeline(inc.ID)
	if diff := cmp.Diff(want, tl[len(tl)-1]); diff != "" {
		t.Errorf("note in timeline (-want +got):\n%s", diff)
	}
	if _, err := e.st.AddNote(e.ctx, inc.ID, strings.Repeat("y", vigil.MaxNoteLen)); err != nil {
		t.Errorf("note of the maximum length: %v", err)
	}
}

func testFindIncidents(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	api := e.service("api", nil)
	db := e.service("db", nil)
	declare := func(s *vigil.Service, title string, sev vigil.Severity) *vigil.Incident {
		t.Helper()
		inc, err := e.st.DeclareIncident(e.ctx, vigil.IncidentDeclaration{ServiceID: s.ID, Title: title, Severity: sev})
		must(t, err)
		e.clock.Advance(time.Minute)
		return inc
	}
	i1 := declare(api, "Disk 100% full on db-1", vigil.SeverityCritical) // t0
	i2 := declare(db, "Replica lag", vigil.SeverityWarning)              // t0+1m
	i3 := declare(api, "checkout_v2 errors", vigil.SeverityError)        // t0+2m
	i4 := declare(db, "CHECKOUTXV2 slow", vigil.SeverityError)           // t0+3m
	i5 := declare(api, "Latency", vigil.SeverityInfo)                    // t0+4m
	_, err := e.st.AcknowledgeIncident(e.ctx, i2.ID)
	must(t, err)
	_, err = e.st.ResolveIncident(e.ctx, i3.ID)
	must(t, err)

	ids := func(list []*vigil.Incident) []int64 {
		var out []int64
		for _, i := range list {
			out = append(out, i.ID)
		}
		return out
	}
	ptr := func(t time.Time) *time.Time { return &t }
	sev := func(s vigil.Severity) *vigil.Severity { return &s }
	for _, tc := range []struct {
		name  string
		f     vigil.IncidentFilter
		want  []int64
		total int
	}{
		{"all, newest first", vigil.IncidentFilter{}, []int64{i5.ID, i4.ID, i3.ID, i2.ID, i1.ID}, 5},
		{"triggered", vigil.IncidentFilter{Statuses: []string{vigil.IncidentTriggered}}, []int64{i5.ID, i4.ID, i1.ID}, 3},
		{"open", vigil.IncidentFilter{Statuses: []string{vigil.IncidentTriggered, vigil.IncidentAcknowledged}}, []int64{i5.ID, i4.ID, i2.ID, i1.ID}, 4},
		{"resolved", vigil.IncidentFilter{Statuses: []string{vigil.IncidentResolved}}, []int64{i3.ID}, 1},
		{"service", vigil.IncidentFilter{ServiceID: &db.ID}, []int64{i4.ID, i2.ID}, 2},
		{"severity", vigil.IncidentFilter{Severity: sev(vigil.SeverityError)}, []int64{i4.ID, i3.ID}, 2},
		{"since", vigil.IncidentFilter{Since: ptr(t0.Add(3 * time.Minute))}, []int64{i5.ID, i4.ID}, 2},
		{"until", vigil.IncidentFilter{Until: ptr(t0.Add(time.Minute))}, []int64{i1.ID}, 1},
		{"since and until", vigil.IncidentFilter{Since: ptr(t0.Add(time.Minute)), Until: ptr(t0.Add(3 * time.Minute))}, []int64{i3.ID, i2.ID}, 2},
		{"query, case-insensitive", vigil.IncidentFilter{Query: "LATENCY"}, []int64{i5.ID}, 1},
		{"query with %", vigil.IncidentFilter{Query: "100%"}, []int64{i1.ID}, 1},
		{"query % is literal", vigil.IncidentFilter{Query: "%"}, []int64{i1.ID}, 1},
		{"query _ is literal", vigil.IncidentFilter{Query: "checkout_v2"}, []int64{i3.ID}, 1},
		{"query no match", vigil.IncidentFilter{Query: "nothing"}, nil, 0},
		{"query, mixed case, mid-word", vigil.IncidentFilter{Query: "pLiCa"}, []int64{i2.ID}, 1},
		{"query, two characters", vigil.IncidentFilter{Query: "db"}, []int64{i1.ID}, 1},
		{"query, several words", vigil.IncidentFilter{Query: "full on DB"}, []int64{i1.ID}, 1},
		{"page 1", vigil.IncidentFilter{Limit: 2}, []int64{i5.ID, i4.ID}, 5},
		{"page 2", vigil.IncidentFilter{Limit: 2, Offset: 2}, []int64{i3.ID, i2.ID}, 5},
		{"page 3", vigil.IncidentFilter{Limit: 2, Offset: 4}, []int64{i1.ID}, 5},
		{"past the end", vigil.IncidentFilter{Offset: 10}, nil, 5},
		{"combined", vigil.IncidentFilter{ServiceID: &api.ID, Statuses: []string{vigil.IncidentTriggered}, Query: "l", Limit: 1}, []int64{i5.ID}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			list, total := e.incidents(tc.f)
			if diff := cmp.Diff(tc.want, ids(list)); diff != "" || total != tc.total {
				t.Errorf("ids (-want +got):\n%s\ntotal = %d, want %d", diff, total, tc.total)
			}
			if list == nil {
				t.Error("list is nil, want an empty slice")
			}
			for _, inc := range list {
				want := map[int64]string{api.ID: "api", db.ID: "db"}[inc.ServiceID]
				if inc.ServiceName != want {
					t.Errorf("incident %d service name = %q, want %q", inc.ID, inc.ServiceName, want)
				}
			}
		})
	}
	_, _, err = e.st.FindIncidents(e.ctx, vigil.IncidentFilter{Statuses: []string{"bogus"}})
	wantCode(t, err, vigil.CodeInvalid)

	// A new title is searchable at once; the old one is forgotten.
	newTitle := "Replication stalled"
	_, err = e.st.UpdateIncident(e.ctx, i2.ID, vigil.IncidentUpdate{Title: &newTitle})
	must(t, err)
	if list, _ := e.incidents(vigil.IncidentFilter{Query: "stalled"}); len(list) != 1 || list[0].ID != i2.ID {
		t.Errorf("search by the new title found %v", ids(list))
	}
	if list, _ := e.incidents(vigil.IncidentFilter{Query: "Replica lag"}); len(list) != 0 {
		t.Errorf("search by the old title still finds %v", ids(list))
	}

	// Limits: 0 means the default page, too large is capped.
	for range vigil.DefaultPageSize + 1 - 5 {
		declare(api, "more", vigil.SeverityInfo)
	}
	if list, total := e.incidents(vigil.IncidentFilter{}); len(list) != vigil.DefaultPageSize || total != vigil.DefaultPageSize+1 {
		t.Errorf("default page = %d of %d", len(list), total)
	}
	if list, _ := e.incidents(vigil.IncidentFilter{Limit: 100000}); len(list) != vigil.DefaultPageSize+1 {
		t.Errorf("large limit returned %d", len(list))
	}
}

func testFindAlerts(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	api := e.service("api", nil)
	db := e.service("db", nil)
	var ids []int64
	for i := range 4 {
		s := api
		if i%2 == 1 {
			s = db
		}
		ids = append(ids, e.send1(trigger(s.ID, fmt.Sprint("k", i), "x", vigil.SeverityError)).AlertID)
	}
	e.send1(resolve(api.ID, "k0"))
	firing, resolved, key := vigil.AlertFiring, vigil.AlertResolved, "k1"
	alertIDs := func(list []*vigil.Alert) []int64 {
		var out []int64
		for _, a := range list {
			out = append(out, a.ID)
		}
		return out
	}
	inc0 := e.alert(ids[0]).IncidentID
	for _, tc := range []struct {
		name  string
		f     vigil.AlertFilter
		want  []int64
		total int
	}{
		{"all", vigil.AlertFilter{}, []int64{ids[3], ids[2], ids[1], ids[0]}, 4},
		{"service", vigil.AlertFilter{ServiceID: &db.ID}, []int64{ids[3], ids[1]}, 2},
		{"firing", vigil.AlertFilter{Status: &firing}, []int64{ids[3], ids[2], ids[1]}, 3},
		{"resolved", vigil.AlertFilter{Status: &resolved}, []int64{ids[0]}, 1},
		{"dedup key", vigil.AlertFilter{DedupKey: &key}, []int64{ids[1]}, 1},
		{"incident", vigil.AlertFilter{IncidentID: &inc0}, []int64{ids[2], ids[0]}, 2},
		{"page", vigil.AlertFilter{Limit: 1, Offset: 1}, []int64{ids[2]}, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			list, total, err := e.st.FindAlerts(e.ctx, tc.f)
			must(t, err)
			if diff := cmp.Diff(tc.want, alertIDs(list)); diff != "" || total != tc.total {
				t.Errorf("ids (-want +got):\n%s\ntotal = %d, want %d", diff, total, tc.total)
			}
		})
	}
}

// Times come back exactly as the clock gave them: UTC, microseconds.
func testTimeRoundTrip(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	for _, at := range []time.Time{
		time.Date(2031, 12, 31, 23, 59, 59, 999999000, time.UTC),
		time.Date(2024, 2, 29, 0, 0, 0, 1000, time.FixedZone("CEST", 2*3600)),
		time.Date(1999, 1, 1, 0, 0, 0, 0, time.UTC),
	} {
		e.clock.Set(at)
		want := e.clock.Now()
		s := e.service("svc-"+fmt.Sprint(want.UnixMicro()), nil)
		r := e.send1(trigger(s.ID, "k", "x", vigil.SeverityError))
		inc, a := e.incident(r.IncidentID), e.alert(r.AlertID)
		got, err := e.st.FindServiceByID(e.ctx, s.ID)
		must(t, err)
		for name, v := range map[string]time.Time{
			"service.created_at": got.CreatedAt, "incident.created_at": inc.CreatedAt, "incident.updated_at": inc.UpdatedAt,
			"alert.first_seen": a.FirstSeen, "alert.last_seen": a.LastSeen, "timeline.at": e.timeline(inc.ID)[0].At,
		} {
			if v != want || v.Location() != time.UTC {
				t.Errorf("%s = %v (%v), want exactly %v", name, v, v.Location(), want)
			}
		}
	}
}

func testPingAndCounts(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	must(t, e.st.Ping(e.ctx))
	s := e.service("api", func(s *vigil.Service) { s.Grouping = vigil.GroupingRule{Mode: vigil.GroupNone} })
	e.send(trigger(s.ID, "a", "a", vigil.SeverityError), trigger(s.ID, "b", "b", vigil.SeverityError), trigger(s.ID, "c", "c", vigil.SeverityError))
	r := e.send1(ack(s.ID, "b"))
	e.send1(resolve(s.ID, "c"))
	n, err := e.st.CountOpenIncidents(e.ctx)
	must(t, err)
	if n != 2 {
		t.Errorf("CountOpenIncidents = %d, want 2 (one triggered, one acknowledged)", n)
	}
	if inc := e.incident(r.IncidentID); inc.Status != vigil.IncidentAcknowledged {
		t.Errorf("status = %s", inc.Status)
	}
}

// testCappedTotals: list totals count up to vigil.MaxCountedTotal+1 and no
// further; below the cap they are exact.
func testCappedTotals(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	s := e.service("many", func(s *vigil.Service) {
		s.Grouping = vigil.GroupingRule{Mode: vigil.GroupNone, Storm: &vigil.StormLimit{}}
	})
	n := vigil.MaxCountedTotal + 5
	// Batches of 100: one request must commit within the store's 8-second
	// bound even under -race on a loaded machine (1,000, and once 250, did
	// not).
	for start := 0; start < n; start += 100 {
		var evs []*vigil.Event
		for i := start; i < min(n, start+100); i++ {
			sev := vigil.SeverityWarning
			if i%1000 == 0 {
				sev = vigil.SeverityCritical
			}
			evs = append(evs, &vigil.Event{ServiceID: s.ID, Action: vigil.ActionTrigger, DedupKey: fmt.Sprintf("k%d", i),
				Summary: fmt.Sprintf("alert %d", i), Severity: sev})
		}
		e.send(evs...)
	}
	list, total := e.incidents(vigil.IncidentFilter{Limit: 10})
	if total != vigil.MaxCountedTotal+1 || len(list) != 10 {
		t.Errorf("incidents: total %d (want the cap %d+1), page %d", total, vigil.MaxCountedTotal, len(list))
	}
	crit := vigil.SeverityCritical
	if _, total := e.incidents(vigil.IncidentFilter{Severity: &crit}); total != 11 {
		t.Errorf("critical incidents: total %d, want exactly 11", total)
	}
	alerts, total, err := e.st.FindAlerts(e.ctx, vigil.AlertFilter{Limit: 5})
	must(t, err)
	if total != vigil.MaxCountedTotal+1 || len(alerts) != 5 {
		t.Errorf("alerts: total %d, page %d", total, len(alerts))
	}
}
