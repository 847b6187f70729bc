package store

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// Two stores on one database (two replicas on PostgreSQL, two processes on
// one SQLite file): a silence made through one holds the next alert that
// reaches the other, whose cache was loaded before; its expiry through the
// first releases the alert on the second's next sweep.
func TestSilenceCacheAcrossReplicasSQLite(t *testing.T) {
	clock := vigil.NewManualClock(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
	open := sameSQLiteFile(t, clock)
	testSilenceCacheAcrossReplicas(t, open(), open())
}

func TestSilenceCacheAcrossReplicasPostgres(t *testing.T) {
	url := migratedPostgresURL(t)
	clock := vigil.NewManualClock(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
	testSilenceCacheAcrossReplicas(t, openPostgres(t, url, clock), openPostgres(t, url, clock))
}

func testSilenceCacheAcrossReplicas(t *testing.T, a, b *DB) {
	ctx := vigil.WithActor(context.Background(), vigil.Actor{Kind: vigil.ActorToken, Name: "ops", Source: vigil.SourceAPI})
	svc := &vigil.Service{Name: "db"}
	if err := a.CreateService(ctx, svc); err != nil {
		t.Fatal(err)
	}
	send := func(db *DB, key, alertname string) vigil.EventResult {
		t.Helper()
		res, err := db.ProcessEvents(ctx, []*vigil.Event{{ServiceID: svc.ID, Action: vigil.ActionTrigger, DedupKey: key, Summary: key,
			Severity: vigil.SeverityError, Labels: map[string]string{"alertname": alertname}}})
		if err != nil {
			t.Fatal(err)
		}
		return res[0]
	}
	// b loads its (empty) silence set.
	if r := send(b, "warm", "Warm"); r.SilencedBy != 0 {
		t.Fatalf("held without silences: %+v", r)
	}
	now := a.clock.Now()
	s := &vigil.Silence{Matchers: []vigil.SilenceMatcher{{Name: "alertname", Value: "Disk", IsEqual: true}}, StartsAt: now, EndsAt: now.Add(time.Hour), Comment: "x"}
	if err := a.CreateSilence(ctx, s); err != nil {
		t.Fatal(err)
	}
	r := send(b, "disk", "Disk")
	if r.SilencedBy != s.ID || r.IncidentID != 0 {
		t.Fatalf("replica with a stale cache did not see the new silence: %+v", r)
	}
	// Expired through a: a's own release runs at once; b sees the end too.
	if _, err := a.ExpireSilence(ctx, s.ID); err != nil {
		t.Fatal(err)
	}
	if al, err := b.FindAlertByID(ctx, r.AlertID); err != nil || al.IncidentID == 0 {
		t.Fatalf("alert after expiry = %+v, %v; want it on an incident", al, err)
	}
	if r := send(b, "disk2", "Disk"); r.SilencedBy != 0 || r.IncidentID == 0 {
		t.Errorf("replica still holds alerts of an expired silence: %+v", r)
	}
}

// The index finds exactly what a scan of every silence finds.
func TestSilenceSetMatchesLikeAScan(t *testing.T) {
	now := micros(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	var list []*liveSilence
	add := func(service int64, ms ...vigil.SilenceMatcher) {
		c, err := vigil.CompileMatchers(ms)
		if err != nil {
			t.Fatal(err)
		}
		list = append(list, &liveSilence{id: int64(len(list) + 1), service: service, starts: now - 10, ends: now + int64(len(list)) + 10, matchers: c})
	}
	m := func(name, op, value string) vigil.SilenceMatcher {
		return vigil.SilenceMatcher{Name: name, Value: value, IsRegex: op == "=~" || op == "!~", IsEqual: op == "=" || op == "=~"}
	}
	add(0, m("alertname", "=", "Disk"))
	add(0, m("alertname", "=", "Disk"), m("env", "!=", "prod"))
	add(2, m("alertname", "=~", "Disk|CPU"))
	add(0, m("instance", "=~", "db-.*"), m("alertname", "!~", "CPU"))
	add(0, m("team", "!=", ""))
	add(0, m("severity", "=", "warning"))
	add(0, m("alertname", "=~", "Backup"))
	set := newSilenceSet(1, now, list)
	labelSets := []vigil.AlertLabels{
		{Labels: map[string]string{"alertname": "Disk"}},
		{Labels: map[string]string{"alertname": "Disk", "env": "prod"}},
		{Labels: map[string]string{"alertname": "CPU", "instance": "db-1"}},
		{Labels: map[string]string{"alertname": "Mem", "instance": "db-1"}},
		{Labels: map[string]string{"team": "x"}},
		{Labels: map[string]string{"team": ""}, Summary: "Backup", Severity: vigil.SeverityWarning},
		{Summary: "Backup", Severity: vigil.SeverityCritical},
		{Labels: map[string]string{"alertname": "Other"}},
	}
	for _, svc := range []int64{1, 2} {
		for _, l := range labelSets {
			var want *liveSilence
			for _, c := range list {
				if (c.service == 0 || c.service == svc) && vigil.MatchAll(c.matchers, l) && (want == nil || c.ends > want.ends) {
					want = c
				}
			}
			got := set.match(svc, l, now)
			if got != want {
				t.Errorf("service %d, %+v: index found %v, scan %v", svc, l, got, want)
			}
		}
	}
	if set.match(1, labelSets[0], now+1000) != nil {
		t.Error("matched after every silence ended")
	}
}

// Ingest with 0 and with 1,000 active silences that match none of the
// alerts (the target: less than 10% slower). The silences are a
// realistic mix: most name an alertname, some only a regular expression
// on another label, some a regular expression on alertname itself (tested
// against every alert). Each call sends 100 new alerts, as
// BenchmarkIngest1x100 does. Compare:
//
//	go test -run '^$' -bench 'IngestSilences' -benchtime 3s ./internal/store
//
// On a busy machine the two runs see different noise; the paired
// benchmark alternates short rounds on both stores and reports the median
// of the per-round ratios instead.
func BenchmarkIngestSilences0(b *testing.B)    { benchIngestSilences(b, 0) }
func BenchmarkIngestSilences1000(b *testing.B) { benchIngestSilences(b, 1000) }

func benchIngestSilences(b *testing.B, n int) {
	db, ctx, svc := silenceBenchStore(b, n)
	var seq int64
	b.ResetTimer()
	for range b.N {
		ingestBatch(b, db, ctx, svc, &seq, 100)
	}
	b.ReportMetric(float64(b.N*100)/b.Elapsed().Seconds(), "alerts/s")
}

// BenchmarkIngestSilencesPaired: b.N rounds, each sending 20 calls of 100
// new alerts to the store without silences and to the store with 1,000 (in
// alternating order); "ratio" is the median of time(1,000)/time(0).
func BenchmarkIngestSilencesPaired(b *testing.B) { benchPaired(b, 100) }

// BenchmarkIngestSilencesPaired1 is the same with calls of one alert, where
// the per-transaction cost (the version read) weighs most.
func BenchmarkIngestSilencesPaired1(b *testing.B) { benchPaired(b, 1) }

func benchPaired(b *testing.B, size int) {
	benchPairedStores(b, size, pairOf(silenceBenchStore(b, 0)), pairOf(silenceBenchStore(b, 1000)), "1000")
}

func silenceBenchStore(b *testing.B, n int) (*DB, context.Context, int64) {
	db, ctx, svc := benchStore(b)
	now := time.Now()
	for i := range n {
		if err := db.CreateSilence(ctx, &vigil.Silence{Matchers: benchSilence(i), StartsAt: now, EndsAt: now.Add(24 * time.Hour), Comment: "bench"}); err != nil {
			b.Fatal(err)
		}
	}
	return db, ctx, svc
}

func benchSilence(i int) []vigil.SilenceMatcher {
	switch {
	case i%10 < 7:
		return []vigil.SilenceMatcher{{Name: "alertname", Value: "Other" + strconv.Itoa(i), IsEqual: true}, {Name: "env", Value: "prod", IsEqual: true}}
	case i%10 < 9:
		return []vigil.SilenceMatcher{{Name: "instance", Value: fmt.Sprintf("db-%d-.*", i), IsRegex: true, IsEqual: true}}
	}
	return []vigil.SilenceMatcher{{Name: "alertname", Value: fmt.Sprintf("Batch%d.*", i), IsRegex: true, IsEqual: true}}
}

func ingestBatch(b *testing.B, db *DB, ctx context.Context, svc int64, seq *int64, size int) {
	evs := make([]*vigil.Event, size)
	for i := range evs {
		*seq++
		evs[i] = benchEvent(svc, *seq)
	}
	res, err := db.ProcessEvents(ctx, evs)
	if err != nil {
		b.Fatal(err)
	}
	for _, r := range res {
		if r.Held() {
			b.Fatal("a bench alert was held")
		}
	}
}

// BenchmarkSilenceMatch1000: the in-memory part alone, per alert.
func BenchmarkSilenceMatch1000(b *testing.B) {
	now := micros(time.Now())
	list := make([]*liveSilence, 1000)
	for i := range list {
		c, err := vigil.CompileMatchers(benchSilence(i))
		if err != nil {
			b.Fatal(err)
		}
		list[i] = &liveSilence{id: int64(i + 1), starts: now - 1, ends: now + 1e9, matchers: c}
	}
	set := newSilenceSet(1, now, list)
	e := benchEvent(1, 42)
	l := vigil.AlertLabels{Labels: e.Labels, Summary: e.Summary, Severity: e.Severity}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if set.match(1, l, now) != nil {
			b.Fatal("matched")
		}
	}
}
