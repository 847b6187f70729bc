package store

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// The noise report over a week of a busy installation: 100,000 triggers
// (68,000 alerts, 21,000 incidents) of 10 services arriving in bursts of
// 500 at one instant, two thirds resolving a minute later. Gated like the
// other scale tests; about a second on either database here.
func TestScaleNoiseReportSQLite(t *testing.T) {
	if os.Getenv(scaleEnv) == "" {
		t.Skip(scaleEnv + " not set; skipping the noise report scale test")
	}
	clock := vigil.NewManualClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	testScaleNoiseReport(t, openSQLite(t, clock), clock)
}

func TestScaleNoiseReportPostgres(t *testing.T) {
	if os.Getenv(scaleEnv) == "" {
		t.Skip(scaleEnv + " not set; skipping the noise report scale test")
	}
	clock := vigil.NewManualClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	testScaleNoiseReport(t, openPostgres(t, migratedPostgresURL(t), clock), clock)
}

func testScaleNoiseReport(t *testing.T, db *DB, clock *vigil.ManualClock) {
	ctx := vigil.WithActor(context.Background(), vigil.Actor{Kind: vigil.ActorIntegration, Name: "scale", Source: vigil.SourceIntegration})
	var svcs []int64
	for i := range 10 {
		s := &vigil.Service{Name: fmt.Sprint("svc-", i), AutoResolve: true}
		if i%2 == 0 {
			s.Grouping.Mode = vigil.GroupNone
		}
		if err := db.CreateService(ctx, s); err != nil {
			t.Fatal(err)
		}
		svcs = append(svcs, s.ID)
	}
	start := clock.Now()
	const batches, per = 200, 500 // one batch every 50 minutes: a week
	for c := range batches {
		evs := make([]*vigil.Event, 0, 2*per)
		for i := range per {
			n := c*per + i
			evs = append(evs, &vigil.Event{ServiceID: svcs[n%10], Action: vigil.ActionTrigger, DedupKey: fmt.Sprint("k", n%5000),
				Summary: "alert", Severity: vigil.SeverityError, Labels: map[string]string{"alertname": fmt.Sprint("Alert", n%40)}})
		}
		if _, err := db.ProcessEvents(ctx, evs); err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Minute)
		evs = evs[:0]
		for i := range per {
			n := c*per + i
			if n%3 != 0 {
				evs = append(evs, &vigil.Event{ServiceID: svcs[n%10], Action: vigil.ActionResolve, DedupKey: fmt.Sprint("k", n%5000), Severity: vigil.SeverityError})
			}
		}
		if _, err := db.ProcessEvents(ctx, evs); err != nil {
			t.Fatal(err)
		}
		clock.Advance(49 * time.Minute)
	}
	if db.dialect == postgresDialect {
		if err := db.write(ctx, func(q querier, _ time.Time) error { _, err := q.exec(ctx, "ANALYZE"); return err }); err != nil {
			t.Fatal(err)
		}
	}
	began := time.Now()
	rep, err := db.NoiseReport(ctx, vigil.NoiseQuery{Since: start, Until: clock.Now(), TimeZone: "Europe/Berlin"})
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(began)
	t.Logf("noise report: %d alerts, %d incidents, %d alert groups, %d pairs, %d refires, %d suggestions in %v",
		rep.Totals.Alerts, rep.Totals.Incidents, len(rep.AlertGroups), len(rep.Pairs), len(rep.Refires), len(rep.Suggestions), took.Round(time.Millisecond))
	var alerts, incidents int
	if err := db.read(ctx, func(q querier) error {
		return q.queryRow(ctx, "SELECT (SELECT count(*) FROM alerts), (SELECT count(*) FROM incidents)").Scan(&alerts, &incidents)
	}); err != nil {
		t.Fatal(err)
	}
	if rep.Totals.Alerts != alerts || rep.Totals.Incidents != incidents {
		t.Errorf("counted %d alerts and %d incidents, want %d and %d", rep.Totals.Alerts, rep.Totals.Incidents, alerts, incidents)
	}
	if took > 10*time.Second {
		t.Errorf("the report took %v", took)
	}
}
