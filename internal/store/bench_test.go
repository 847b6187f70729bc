package store

import (
	"context"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"

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
