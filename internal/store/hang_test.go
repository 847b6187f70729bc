package store

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/vigil-oss/vigil/internal/storetest"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// TestDatabaseHangAnswersInTime is catalog A9: while the database holds the
// writer up, every ingest call answers CodeUnavailable within 10 s (never a
// success), and after recovery the same events succeed without duplicates.
func TestDatabaseHangAnswersInTime(t *testing.T) {
	if testing.Short() {
		t.Skip("waits out the ingest deadline")
	}
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		db, err := Open(context.Background(), Config{DataDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		hangTest(t, db, func() (release func()) {
			raw, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "vigil.db"))
			if err != nil {
				t.Fatal(err)
			}
			conn, err := raw.Conn(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if _, err := conn.ExecContext(context.Background(), "BEGIN IMMEDIATE"); err != nil {
				t.Fatal(err)
			}
			return func() {
				conn.ExecContext(context.Background(), "ROLLBACK")
				conn.Close()
				raw.Close()
			}
		})
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		url := storetest.NewPostgresURL(t)
		db := openPostgres(t, url, nil)
		hangTest(t, db, func() (release func()) {
			ctx := context.Background()
			conn, err := pgx.Connect(ctx, url)
			if err != nil {
				t.Fatal(err)
			}
			tx, err := conn.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := tx.Exec(ctx, "LOCK TABLE alerts IN ACCESS EXCLUSIVE MODE"); err != nil {
				t.Fatal(err)
			}
			return func() {
				tx.Rollback(ctx)
				conn.Close(ctx)
			}
		})
	})
}

func hangTest(t *testing.T, db *DB, hang func() (release func())) {
	ctx := context.Background()
	svc := &vigil.Service{Name: "hang", AutoResolve: true}
	svc.Normalize()
	if err := db.CreateService(ctx, svc); err != nil {
		t.Fatal(err)
	}
	event := func(i int) *vigil.Event {
		return &vigil.Event{ServiceID: svc.ID, Action: vigil.ActionTrigger, DedupKey: fmt.Sprintf("hang-%d", i),
			Summary: "hang", Severity: vigil.SeverityError}
	}
	release := hang()
	const callers = 4
	var wg sync.WaitGroup
	for i := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			_, err := db.ProcessEvents(ctx, []*vigil.Event{event(i)})
			took := time.Since(start)
			if vigil.ErrorCode(err) != vigil.CodeUnavailable {
				t.Errorf("caller %d during the hang: %v, want CodeUnavailable", i, err)
			}
			if took > 10*time.Second {
				t.Errorf("caller %d waited %s, want at most 10s", i, took)
			}
		}()
	}
	wg.Wait()
	release()

	// The senders retry: every event lands once.
	for i := range callers {
		res, err := db.ProcessEvents(ctx, []*vigil.Event{event(i)})
		if err != nil {
			t.Fatalf("retry %d after recovery: %v", i, err)
		}
		if res[0].AlertID == 0 {
			t.Fatalf("retry %d: no alert", i)
		}
	}
	_, total, err := db.FindAlerts(ctx, vigil.AlertFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if total != callers {
		t.Errorf("%d alerts after recovery, want %d", total, callers)
	}
}
