package store

import (
	"context"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// Migration 0027 fills status_update_groups from the status updates
// posted before it, so a stakeholder keeps seeing what their group was
// already told. The test drops the table, forgets the migration and runs
// it again over a database holding a status update.
func TestStatusUpdateGroupsBackfill(t *testing.T) {
	clock := vigil.NewManualClock(time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC))
	t.Run("sqlite", func(t *testing.T) { testStatusUpdateGroupsBackfill(t, openSQLite(t, clock)) })
	t.Run("postgres", func(t *testing.T) {
		testStatusUpdateGroupsBackfill(t, openPostgres(t, migratedPostgresURL(t), clock))
	})
}

func testStatusUpdateGroupsBackfill(t *testing.T, db *DB) {
	ctx := vigil.WithViewer(vigil.WithActor(context.Background(), vigil.Actor{Kind: vigil.ActorToken, Name: "seed", Source: vigil.SourceAPI}), vigil.SystemViewer)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	svc := &vigil.Service{Name: "checkout"}
	must(db.CreateService(ctx, svc))
	for _, name := range []string{"Executives", "Support", "Legal"} {
		must(db.CreateStakeholderGroup(ctx, &vigil.StakeholderGroup{Name: name, MinSeverity: vigil.SeverityCritical,
			Channels: []vigil.StakeholderChannel{{Type: vigil.ContactEmail, Address: "x@example.com"}}}))
	}
	inc, err := db.DeclareIncident(ctx, vigil.IncidentDeclaration{ServiceID: svc.ID, Title: "payments failing"})
	must(err)
	for _, groups := range [][]string{{"Executives"}, {"Executives", "Support"}} {
		_, err := db.PostStatusUpdate(ctx, inc.ID, vigil.StatusUpdateInput{Message: "update", Groups: groups})
		must(err)
	}
	count := func() int {
		var n int
		must(db.read(ctx, func(q querier) error {
			return q.queryRow(ctx, "SELECT count(*) FROM status_update_groups WHERE incident_id = $1", inc.ID).Scan(&n)
		}))
		return n
	}
	if n := count(); n != 2 {
		t.Fatalf("after posting: %d rows, want 2 (Executives, Support)", n)
	}
	must(db.write(ctx, func(q querier, _ time.Time) error {
		if _, err := q.exec(ctx, "DROP TABLE status_update_groups"); err != nil {
			return err
		}
		_, err := q.exec(ctx, "DELETE FROM schema_migrations WHERE name = $1", "0027_status_update_groups.sql")
		return err
	}))
	must(db.migrate(ctx))
	if n := count(); n != 2 {
		t.Errorf("after the backfill: %d rows, want 2 (Executives, Support)", n)
	}
}
