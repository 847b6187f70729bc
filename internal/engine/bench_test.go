package engine

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// The target: with 10,000 open incidents each mid-escalation, an
// engine cycle stays under 200 ms. Setup pages all 10,000 (step 1 at
// once), leaving each waiting for step 2 in 30 minutes; then
//
//   - Idle: a cycle with nothing due (what most cycles are);
//   - Due100: a cycle in which 100 incidents reach step 2 (their
//     escalation fires and 100 pages are claimed and sent).
//
// The baseline for the ratio in the README is Idle on an empty database.
//
// On PostgreSQL the setup ends with ANALYZE, as autovacuum would soon do
// on a database that grew this much. Without it, what is timed depends on
// whether autovacuum happened to run during the setup: statements that
// pgx prepared (and PostgreSQL planned) while the tables were nearly
// empty keep those plans until the statistics change. The claim's query,
// worst hit (it read every message the contact method ever got: 70-140
// ms a claim), is planned on each run now; the rest cost Due100 10-20 ms
// more and Idle about 2 ms more without ANALYZE.
//
//	go test -run '^$' -bench EngineCycle -benchtime 30x ./internal/engine/
func BenchmarkEngineCycle(b *testing.B) {
	for _, be := range backends() {
		b.Run(be.name, func(b *testing.B) {
			empty := benchSetup(b, be, 0)
			b.Run("Empty", func(b *testing.B) { benchCycles(b, empty, nil) })
			h := benchSetup(b, be, 10000)
			b.Run("Idle10k", func(b *testing.B) { benchCycles(b, h, nil) })
			// Move to just before the first group's step 2; each cycle
			// then starts one second later, when the next 100 are due.
			h.clock.Set(t0.Add(30*time.Minute - time.Second))
			if _, err := h.eng.Cycle(context.Background()); err != nil {
				b.Fatal(err)
			}
			b.Run("Due100of10k", func(b *testing.B) {
				benchCycles(b, h, func(st Stats) {
					if st.Sent != 100 || st.Escalated != 100 {
						b.Fatalf("cycle escalated %d and sent %d, want 100 and 100", st.Escalated, st.Sent)
					}
				})
			})
		})
	}
}

// benchSetup opens a database with open incidents, each paged for step 1
// and waiting 30 minutes for step 2. Incidents open in groups of 100, one
// second apart, each group paged in its own second, so later 100 reach
// step 2 per second of clock.
func benchSetup(b testing.TB, be backend, open int) *harness {
	clock := vigil.NewManualClock(t0)
	h := &harness{t: b, clock: clock, rec: &recorder{fail: map[string][]error{}}, ctx: context.Background()}
	var url string
	h.st, url = be.open(b, clock) // PostgreSQL skips without VIGIL_TEST_DATABASE_URL
	h.eng = New(Config{Store: h.st, Sender: h.rec, Clock: clock, Replica: "bench", Jitter: func() float64 { return 0.5 }})
	ana := h.user("Ana")
	svc, _ := h.policyService("api", 0, step(30*time.Minute, userT(ana)), step(30*time.Minute, userT(ana)))
	ctx := vigil.WithActor(context.Background(), vigil.Actor{Kind: vigil.ActorIntegration, Name: "bench", Source: vigil.SourceIntegration})
	for start := 0; start < open; start += 100 {
		evs := make([]*vigil.Event, 0, 100)
		for i := start; i < min(start+100, open); i++ {
			evs = append(evs, &vigil.Event{ServiceID: svc.ID, Action: vigil.ActionTrigger, DedupKey: fmt.Sprintf("k%d", i),
				Summary: "load", Severity: vigil.SeverityError})
		}
		if _, err := h.st.ProcessEvents(ctx, evs); err != nil {
			b.Fatal(err)
		}
		st, err := h.eng.Cycle(context.Background())
		if err != nil || st.Sent != len(evs) {
			b.Fatalf("setup cycle sent %d of %d: %v", st.Sent, len(evs), err)
		}
		clock.Advance(time.Second)
	}
	clock.Advance(time.Minute) // nothing is due for another 28 minutes
	if url != "" {
		analyze(b, url)
	}
	return h
}

// analyze refreshes PostgreSQL's statistics of the database at url.
func analyze(t testing.TB, url string) {
	ctx := context.Background()
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, "ANALYZE"); err != nil {
		t.Fatal(err)
	}
}

// benchCycles times cycles; each starts one second of clock later.
func benchCycles(b *testing.B, h *harness, check func(Stats)) {
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		h.clock.Advance(time.Second)
		st, err := h.eng.Cycle(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		if check != nil {
			check(st)
		}
	}
}
