package store

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// Two stores on one database (two replicas on PostgreSQL, two processes on
// one SQLite file): a window and a rule made through one hold the next
// alerts that reach the other, whose caches were loaded before; when the
// window closes and the source resolves, both sweep at once and each held
// alert pages once.
func TestHoldsAcrossReplicasSQLite(t *testing.T) {
	clock := vigil.NewManualClock(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
	open := sameSQLiteFile(t, clock)
	testHoldsAcrossReplicas(t, clock, open(), open())
}

func TestHoldsAcrossReplicasPostgres(t *testing.T) {
	url := migratedPostgresURL(t)
	clock := vigil.NewManualClock(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
	testHoldsAcrossReplicas(t, clock, openPostgres(t, url, clock), openPostgres(t, url, clock))
}

func testHoldsAcrossReplicas(t *testing.T, clock *vigil.ManualClock, a, b *DB) {
	ctx := vigil.WithActor(context.Background(), vigil.Actor{Kind: vigil.ActorToken, Name: "ops", Source: vigil.SourceAPI})
	svc := &vigil.Service{Name: "db"}
	infra := &vigil.Service{Name: "infra"}
	nodes := &vigil.Service{Name: "nodes"}
	for _, s := range []*vigil.Service{svc, infra, nodes} {
		if err := a.CreateService(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	send := func(db *DB, service int64, key, alertname string) vigil.EventResult {
		t.Helper()
		res, err := db.ProcessEvents(ctx, []*vigil.Event{{ServiceID: service, Action: vigil.ActionTrigger, DedupKey: key, Summary: key,
			Severity: vigil.SeverityError, Labels: map[string]string{"alertname": alertname}}})
		if err != nil {
			t.Fatal(err)
		}
		return res[0]
	}
	// b loads its (empty) windows and rules.
	if r := send(b, svc.ID, "warm", "Warm"); r.Held() {
		t.Fatalf("held without windows: %+v", r)
	}
	now := clock.Now()
	w := &vigil.MaintenanceWindow{Name: "deploy", ServiceIDs: []int64{svc.ID}, Start: now, End: now.Add(time.Hour)}
	if err := a.CreateMaintenanceWindow(ctx, w); err != nil {
		t.Fatal(err)
	}
	rule := &vigil.InhibitRule{Name: "cluster", Source: []string{`alertname="ClusterDown"`}, Target: []string{`alertname="NodeDown"`}}
	if err := a.CreateInhibitRule(ctx, rule); err != nil {
		t.Fatal(err)
	}
	var windowed, muted []int64
	for i := range 10 {
		r := send(b, svc.ID, fmt.Sprintf("w%d", i), "Latency")
		if r.HeldByWindow != w.ID {
			t.Fatalf("replica with a stale cache did not see the window: %+v", r)
		}
		windowed = append(windowed, r.AlertID)
	}
	src := send(a, infra.ID, "cluster", "ClusterDown")
	for i := range 10 {
		r := send(b, nodes.ID, fmt.Sprintf("n%d", i), "NodeDown")
		if r.InhibitedByRule != rule.ID || r.InhibitedByAlert != src.AlertID {
			t.Fatalf("replica with a stale cache did not see the rule: %+v", r)
		}
		muted = append(muted, r.AlertID)
	}
	if _, err := b.ProcessEvents(ctx, []*vigil.Event{{ServiceID: infra.ID, Action: vigil.ActionResolve, DedupKey: "cluster", Severity: vigil.SeverityError}}); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Hour)
	var wg sync.WaitGroup
	for _, db := range []*DB{a, b, a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := db.ExpireAlerts(ctx, 3); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	for _, ids := range [][]int64{windowed, muted} {
		var incident int64
		for _, id := range ids {
			al, err := a.FindAlertByID(ctx, id)
			if err != nil || al.IncidentID == 0 || (incident != 0 && al.IncidentID != incident) {
				t.Fatalf("alert %d after the sweeps = %+v, %v; want it on incident %d", id, al, err, incident)
			}
			incident = al.IncidentID
		}
		inc, err := a.FindIncidentByID(ctx, incident)
		if err != nil || inc.AlertCount != len(ids) {
			t.Errorf("incident = %+v, %v; want %d alerts (each released once)", inc, err, len(ids))
		}
		tl, err := a.FindTimeline(ctx, incident)
		if err != nil {
			t.Fatal(err)
		}
		joins := 0
		for _, en := range tl {
			if en.Kind == vigil.EntryAlertJoined {
				joins++
			}
		}
		if joins != len(ids) {
			t.Errorf("%d joins on the timeline, want %d", joins, len(ids))
		}
	}
}

// Ingest with no maintenance windows or inhibition rules against ingest
// with 100 of each, none of which holds the bench alerts (the common case:
// windows of other services or of later hours, rules about other alerts),
// paired as BenchmarkIngestSilencesPaired is: b.N rounds, each sending 20
// calls of size new alerts to both stores in alternating order; "ratio" is
// the median of time(100+100)/time(0). Compare:
//
//	go test -run '^$' -bench 'IngestHoldsPaired' -benchtime 20x ./internal/store
func BenchmarkIngestHoldsPaired(b *testing.B)  { benchHoldsPaired(b, 100, false) }
func BenchmarkIngestHoldsPaired1(b *testing.B) { benchHoldsPaired(b, 1, false) }

// BenchmarkIngestHoldsPairedTargeted: the same, plus one rule whose target
// matches every bench alert (severity="error" muted by a critical of the
// same host), so each transaction reads the firing sources (none fire).
func BenchmarkIngestHoldsPairedTargeted(b *testing.B) { benchHoldsPaired(b, 100, true) }

// BenchmarkIngestHoldsPairedControl pairs two stores without windows or
// rules: the ratio it reports is the noise of the machine (shared disks
// and CPUs make it stray 5-10% either way), to read the others against.
func BenchmarkIngestHoldsPairedControl(b *testing.B) { benchHoldsPairedN(b, 100, 0) }

// BenchmarkHoldDecide100: the in-memory part alone, per alert, with 100
// windows and 100 rules: the labels view, whether it is a source, the
// windows that could cover it, whether a rule targets it.
func BenchmarkHoldDecide100(b *testing.B) {
	db, ctx, svc := holdBenchStore(b, 100, false)
	var hs *holdSet
	err := db.write(ctx, func(q querier, now time.Time) error {
		var err error
		hs, err = db.loadHolds(ctx, q, now)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	p := db.newEventTx(ctx, nil, time.Now())
	e := benchEvent(svc, 42)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		labels := vigil.AlertLabels{Labels: e.Labels, Summary: e.Summary, Severity: e.Severity}.Map()
		if hs.inhibitor.Sources(labels) || hs.inhibitor.Targets(labels) || p.windowFor(hs, svc, labels).id != 0 {
			b.Fatal("held")
		}
	}
}

func benchHoldsPaired(b *testing.B, size int, targeted bool) {
	benchPairedStores(b, size, pairOf(benchStore(b)), pairOf(holdBenchStore(b, 100, targeted)), "100")
}

func benchHoldsPairedN(b *testing.B, size, n int) {
	benchPairedStores(b, size, pairOf(benchStore(b)), pairOf(holdBenchStore(b, n, false)), "100")
}

// pairedStore is one side of a paired ingest benchmark.
type pairedStore struct {
	db  *DB
	ctx context.Context
	svc int64
	seq int64
}

func pairOf(db *DB, ctx context.Context, svc int64) *pairedStore {
	return &pairedStore{db: db, ctx: ctx, svc: svc}
}

// benchPairedStores runs b.N rounds, each sending 20 calls of size new
// alerts to the plain store and to the loaded one, in alternating order
// so both see the same noise; "ratio" is the median of
// time(loaded)/time(plain), and the alerts/s figures are labelled with
// what the loaded store holds.
func benchPairedStores(b *testing.B, size int, plain, loaded *pairedStore, what string) {
	const calls = 20
	run := func(p *pairedStore) time.Duration {
		start := time.Now()
		for range calls {
			ingestBatch(b, p.db, p.ctx, p.svc, &p.seq, size)
		}
		return time.Since(start)
	}
	var ratios []float64
	var t0, t1 time.Duration
	b.ResetTimer()
	for i := range b.N {
		var d0, d1 time.Duration
		if i%2 == 0 {
			d0, d1 = run(plain), run(loaded)
		} else {
			d1, d0 = run(loaded), run(plain)
		}
		t0, t1 = t0+d0, t1+d1
		ratios = append(ratios, float64(d1)/float64(d0))
	}
	slices.Sort(ratios)
	b.ReportMetric(ratios[len(ratios)/2], "ratio")
	b.ReportMetric(float64(b.N*calls*size)/t0.Seconds(), "alerts/s(0)")
	b.ReportMetric(float64(b.N*calls*size)/t1.Seconds(), "alerts/s("+what+")")
}

// holdBenchStore is benchStore with n maintenance windows and n inhibition
// rules that hold none of the bench alerts: windows of the bench service
// that open tomorrow or on another weekday (asked at every alert), windows
// of matchers alone that are open but match nothing, and rules whose
// targets are other alerts.
func holdBenchStore(b *testing.B, n int, targeted bool) (*DB, context.Context, int64) {
	db, ctx, svc := benchStore(b)
	now := time.Now().UTC()
	otherDay := now.Add(72 * time.Hour).Weekday()
	for i := range n {
		w := &vigil.MaintenanceWindow{Name: fmt.Sprintf("w%d", i), TimeZone: "Europe/Berlin"}
		switch {
		case i%10 < 4:
			w.ServiceIDs, w.Start, w.End = []int64{svc}, now.Add(24*time.Hour), now.Add(25*time.Hour)
		case i%10 < 7:
			w.ServiceIDs, w.Start = []int64{svc}, now.Add(-time.Hour)
			w.Recurrence = &vigil.WeeklyRecurrence{Weekdays: []time.Weekday{otherDay}, At: "02:00", Duration: vigil.Duration(4 * time.Hour)}
		default:
			w.Matchers, w.Start, w.End = []string{fmt.Sprintf(`env="staging-%d"`, i)}, now.Add(-time.Hour), now.Add(24*time.Hour)
		}
		if err := db.CreateMaintenanceWindow(ctx, w); err != nil {
			b.Fatal(err)
		}
	}
	for i := range n {
		r := &vigil.InhibitRule{Name: fmt.Sprintf("r%d", i), Source: []string{fmt.Sprintf(`alertname="ClusterDown%d"`, i)}, Equal: []string{"cluster"}}
		switch {
		case i%10 < 7:
			r.Target = []string{fmt.Sprintf(`alertname="NodeDown%d"`, i)}
		case i%10 < 9:
			r.Target = []string{fmt.Sprintf(`instance=~"db-%d-.*"`, i)}
		default:
			r.Target = []string{`severity="warning"`, fmt.Sprintf(`team="t%d"`, i)}
		}
		if err := db.CreateInhibitRule(ctx, r); err != nil {
			b.Fatal(err)
		}
	}
	if targeted {
		r := &vigil.InhibitRule{Name: "critical mutes error", Source: []string{`severity="critical"`}, Target: []string{`severity="error"`}, Equal: []string{"host"}}
		if err := db.CreateInhibitRule(ctx, r); err != nil {
			b.Fatal(err)
		}
	}
	return db, ctx, svc
}
