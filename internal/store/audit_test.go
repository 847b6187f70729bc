package store

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// The audit log is append-only in the database itself: raw SQL, which
// no interface of Vigil offers but an operator with a database shell has,
// cannot change or remove an entry.
func TestAuditLogAppendOnly(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testAuditAppendOnly(t, openSQLite(t, vigil.NewManualClock(time.Now()))) })
	t.Run("postgres", func(t *testing.T) {
		testAuditAppendOnly(t, openPostgres(t, migratedPostgresURL(t), vigil.NewManualClock(time.Now())))
	})
}

func testAuditAppendOnly(t *testing.T, db *DB) {
	ctx := vigil.WithActor(context.Background(), vigil.Actor{Kind: vigil.ActorToken, ID: 1, Name: "ops", Source: vigil.SourceCLI})
	if err := db.CreateService(ctx, &vigil.Service{Name: "api"}); err != nil {
		t.Fatal(err)
	}
	raw := func(stmt string) error {
		return db.write(ctx, func(q querier, now time.Time) error {
			_, err := q.exec(ctx, stmt)
			return err
		})
	}
	stmts := []string{
		"UPDATE audit_log SET actor_name = 'someone else'",
		"UPDATE audit_log SET after_json = NULL WHERE id = 1",
		"DELETE FROM audit_log",
		"DELETE FROM audit_log WHERE id = 1",
	}
	if db.dialect == postgresDialect {
		stmts = append(stmts, "TRUNCATE audit_log")
	}
	for _, stmt := range stmts {
		err := raw(stmt)
		var ve *vigil.Error
		if !errors.As(err, &ve) || ve.Err == nil || !strings.Contains(ve.Err.Error(), "append-only") {
			t.Errorf("%s: %v, want the trigger's refusal", stmt, err)
		}
	}
	list, _, err := db.FindAuditEntries(ctx, vigil.AuditFilter{})
	if err != nil || len(list) != 1 || list[0].Actor.Name != "ops" || list[0].After == nil {
		t.Fatalf("after the attempts: %+v %v", list, err)
	}
	// Inserting stays possible: that is how the log grows.
	if err := raw(`INSERT INTO audit_log (at, actor_kind, actor_name, action, object_type) VALUES (1, 'system', 'x', 'test', 'test')`); err != nil {
		t.Errorf("insert: %v", err)
	}
}
