package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// scaleEnv turns on the scale tests, which seed 1,000,000 alerts (about a
// minute on SQLite, several on PostgreSQL).
const scaleEnv = "VIGIL_SCALE_TEST"

func TestScaleFindIncidentsSQLite(t *testing.T) {
	if os.Getenv(scaleEnv) == "" {
		t.Skip(scaleEnv + " not set; skipping the 1M-alert scale test")
	}
	clock := vigil.NewManualClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	// VIGIL_SCALE_DIR keeps the seeded database between runs.
	if dir := os.Getenv("VIGIL_SCALE_DIR"); dir != "" {
		_, err := os.Stat(filepath.Join(dir, "vigil.db"))
		db, oerr := Open(context.Background(), Config{DataDir: dir, Clock: clock})
		if oerr != nil {
			t.Fatal(oerr)
		}
		t.Cleanup(func() { db.Close() })
		testScaleFindIncidents(t, db, clock, err == nil)
		return
	}
	testScaleFindIncidents(t, openSQLite(t, clock), clock, false)
}

func TestScaleFindIncidentsPostgres(t *testing.T) {
	if os.Getenv(scaleEnv) == "" {
		t.Skip(scaleEnv + " not set; skipping the 1M-alert scale test")
	}
	clock := vigil.NewManualClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	testScaleFindIncidents(t, openPostgres(t, migratedPostgresURL(t), clock), clock, false)
}

const total, per = 1_000_000, 1000

// testScaleFindIncidents stores 1,000,000 alerts in about 100,000 incidents
// (one service opens an incident per alert, nine group by time), resolving
// some as it goes, then checks the p99 latency of incident lists.
func testScaleFindIncidents(t *testing.T, db *DB, clock *vigil.ManualClock, seeded bool) {
	ctx := vigil.WithActor(context.Background(), vigil.Actor{Kind: vigil.ActorIntegration, Name: "scale", Source: vigil.SourceIntegration})
	var svcs []int64
	if seeded {
		list, _, err := db.FindServices(ctx, vigil.ServiceFilter{})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range list {
			svcs = append(svcs, s.ID)
		}
		clock.Advance(time.Duration(total/per) * 30 * time.Second)
	}
	for i := range 10 {
		if seeded {
			break
		}
		s := &vigil.Service{Name: fmt.Sprint("svc-", i), AutoResolve: true}
		if i == 0 {
			s.Grouping.Mode = vigil.GroupNone
		}
		if err := db.CreateService(ctx, s); err != nil {
			t.Fatal(err)
		}
		svcs = append(svcs, s.ID)
	}
	words := []string{"Disk full", "High latency", "CPU saturation", "Replica lag", "5xx rate", "Memory pressure", "Cert expiry"}
	start := time.Now()
	for c := range total / per {
		if seeded {
			break
		}
		evs := make([]*vigil.Event, 0, per+300)
		for i := range per {
			n := c*per + i
			evs = append(evs, &vigil.Event{ServiceID: svcs[n%10], Action: vigil.ActionTrigger, DedupKey: fmt.Sprint("k", n),
				Summary: fmt.Sprintf("%s on host-%d", words[n%len(words)], n%500), Severity: vigil.Severities[n%4], Source: "scale",
				Labels: map[string]string{"host": fmt.Sprint("host-", n%500)}})
		}
		if c > 0 {
			for i := range 300 {
				n := (c-1)*per + i*3
				evs = append(evs, &vigil.Event{ServiceID: svcs[n%10], Action: vigil.ActionResolve, DedupKey: fmt.Sprint("k", n), Severity: vigil.SeverityError})
			}
		}
		if _, err := db.ProcessEvents(ctx, evs); err != nil {
			t.Fatal(err)
		}
		clock.Advance(30 * time.Second)
	}
	if db.dialect == postgresDialect { // what autovacuum does after a while
		if err := db.write(ctx, func(q querier, _ time.Time) error { _, err := q.exec(ctx, "ANALYZE"); return err }); err != nil {
			t.Fatal(err)
		}
	}
	_, incidents, err := db.FindIncidents(ctx, vigil.IncidentFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if !seeded {
		t.Logf("seeded %d alerts, %d incidents in %v (%.0f alerts/s)", total, incidents, time.Since(start).Round(time.Second),
			total/time.Since(start).Seconds())
	}

	now := clock.Now()
	hourAgo := now.Add(-time.Hour)
	crit := vigil.SeverityCritical
	for _, tc := range []struct {
		name string
		f    vigil.IncidentFilter
	}{
		{"newest", vigil.IncidentFilter{}},
		{"open", vigil.IncidentFilter{Statuses: []string{vigil.IncidentTriggered, vigil.IncidentAcknowledged}}},
		{"resolved", vigil.IncidentFilter{Statuses: []string{vigil.IncidentResolved}}},
		{"service", vigil.IncidentFilter{ServiceID: &svcs[3]}},
		{"busy service", vigil.IncidentFilter{ServiceID: &svcs[0]}},
		{"critical", vigil.IncidentFilter{Severity: &crit}},
		{"last hour", vigil.IncidentFilter{Since: &hourAgo}},
		{"text", vigil.IncidentFilter{Query: "disk"}},
		{"rare text", vigil.IncidentFilter{Query: "host-42 "}},
		{"deep page", vigil.IncidentFilter{Offset: 5000, Limit: 50}},
		{"open text in service", vigil.IncidentFilter{Statuses: []string{vigil.IncidentTriggered}, ServiceID: &svcs[0], Query: "latency"}},
	} {
		var d []time.Duration
		for range 100 {
			s := time.Now()
			if _, _, err := db.FindIncidents(ctx, tc.f); err != nil {
				t.Fatal(err)
			}
			d = append(d, time.Since(s))
		}
		slices.Sort(d)
		p50, p99 := d[len(d)/2], d[len(d)*99/100]
		t.Logf("%-22s p50 %8v  p99 %8v", tc.name, p50.Round(time.Microsecond), p99.Round(time.Microsecond))
		if p99 > 50*time.Millisecond {
			t.Errorf("FindIncidents %s: p99 %v, want < 50ms", tc.name, p99)
		}
	}
}
