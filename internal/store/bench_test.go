package store

import (
	"context"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// The ingest benchmarks run on SQLite with synchronous=FULL (an fsync per
// commit), each event a new alert (a new dedup key) joining the service's
// open incident, as in an alert storm. Reported: alerts/s.

func benchStore(b *testing.B) (*DB, context.Context, int64) {
	db := openSQLite(b, nil)
	ctx := vigil.WithActor(context.Background(), vigil.Actor{Kind: vigil.ActorIntegration, ID: 1, Name: "bench", Source: vigil.SourceIntegration})
	s := &vigil.Service{Name: "bench", AutoResolve: true}
	if err := db.CreateService(ctx, s); err != nil {
		b.Fatal(err)
	}
	return db, ctx, s.ID
}

func benchEvent(serviceID, n int64) *vigil.Event {
	return &vigil.Event{ServiceID: serviceID, Action: vigil.ActionTrigger, DedupKey: "bench-" + strconv.FormatInt(n, 10),
		Summary: "CPU above 90% on host " + strconv.FormatInt(n%100, 10), Severity: vigil.SeverityError, Source: "bench",
		Labels: map[string]string{"host": "h" + strconv.FormatInt(n%100, 10), "alertname": "HighCPU"}}
}

// ingest runs callers concurrent callers, each sending size-event requests.
func ingest(b *testing.B, callers, size int, repeat bool) {
	db, ctx, svc := benchStore(b)
	var seq atomic.Int64
	send := func(evs []*vigil.Event) bool {
		for i := range evs {
			n := seq.Add(1)
			if repeat {
				n %= 1000
			}
			evs[i] = benchEvent(svc, n)
		}
		if _, err := db.ProcessEvents(ctx, evs); err != nil {
			b.Error(err)
			return false
		}
		return true
	}
	b.ResetTimer()
	if callers == 1 {
		evs := make([]*vigil.Event, size)
		for range b.N {
			if !send(evs) {
				return
			}
		}
	} else {
		// SetParallelism(p) runs p×GOMAXPROCS goroutines.
		b.SetParallelism(max(1, callers/runtime.GOMAXPROCS(0)))
		b.RunParallel(func(pb *testing.PB) {
			evs := make([]*vigil.Event, size)
			for pb.Next() {
				if !send(evs) {
					return
				}
			}
		})
	}
	b.ReportMetric(float64(b.N*size)/b.Elapsed().Seconds(), "alerts/s")
	b.ReportMetric(float64(db.batch.requests.Load())/float64(db.batch.batches.Load()), "req/batch")
}

// 8 concurrent callers of one event each: group commit at work.
func BenchmarkIngest8x1(b *testing.B) { ingest(b, 8, 1, false) }

// 8 concurrent callers of 100 events each.
func BenchmarkIngest8x100(b *testing.B) { ingest(b, 8, 100, false) }

// One caller of 100 events: one transaction per call.
func BenchmarkIngest1x100(b *testing.B) { ingest(b, 1, 100, false) }

// Repeats of 1000 firing alerts (dedup hits), 8 callers of one event.
func BenchmarkIngestRepeat8x1(b *testing.B) { ingest(b, 8, 1, true) }

// BenchmarkIngestRules200 compares ingest with 200 classification rules
// against ingest with none, in one run: each iteration sends the same
// 100 new alerts (1 caller) to a store without rules and to one with 200
// (one in forty applies to an alert, setting its level and priority), and
// times each apart. Reported: alerts/s of each and the ratio.
func BenchmarkIngestRules200(b *testing.B) {
	plain, ctx, plainSvc := benchStore(b)
	ruled, _, ruledSvc := benchStore(b)
	var rules []vigil.ClassificationRule
	for i := range 200 {
		r := vigil.ClassificationRule{Name: "rule-" + strconv.Itoa(i),
			When: `labels.host == "h` + strconv.Itoa((i*7)%40) + `" && (severity == "critical" || summary contains "host ` + strconv.Itoa(i) + `")`,
			Set:  vigil.ClassificationSet{Sev: vigil.SevLevels[i%4], Priority: vigil.Priorities[i%5]}}
		if i%10 == 0 {
			r.Set.Labels = map[string]string{"routed": "yes"}
		}
		rules = append(rules, r)
	}
	if _, err := ruled.SetClassificationRules(ctx, vigil.ClassificationRuleSet{Rules: rules}, 0); err != nil {
		b.Fatal(err)
	}
	var seq int64
	batch := func(svc int64) []*vigil.Event {
		evs := make([]*vigil.Event, 100)
		for i := range evs {
			seq++
			evs[i] = benchEvent(svc, seq)
		}
		return evs
	}
	var tPlain, tRuled time.Duration
	for b.Loop() {
		evs := batch(plainSvc)
		start := time.Now()
		if _, err := plain.ProcessEvents(ctx, evs); err != nil {
			b.Fatal(err)
		}
		tPlain += time.Since(start)
		evs = batch(ruledSvc)
		start = time.Now()
		if _, err := ruled.ProcessEvents(ctx, evs); err != nil {
			b.Fatal(err)
		}
		tRuled += time.Since(start)
	}
	n := float64(b.N * 100)
	b.ReportMetric(n/tPlain.Seconds(), "alerts/s-none")
	b.ReportMetric(n/tRuled.Seconds(), "alerts/s-200")
	b.ReportMetric(tRuled.Seconds()/tPlain.Seconds(), "time-ratio")
}
