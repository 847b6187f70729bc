package store

import (
	"context"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/storetest"
	"github.com/vigil-oss/vigil/internal/triage"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// migratedDir returns a new data directory holding a migrated SQLite
// database without rows (a copy of one made once, see storetest.SQLiteDir).
func migratedDir(t testing.TB) string {
	return storetest.SQLiteDir(t, func(dir string) (io.Closer, error) { return Open(context.Background(), Config{DataDir: dir}) })
}

// migratedPostgresURL returns the URL of a new PostgreSQL database holding
// the migrated schema without rows (see storetest.NewMigratedPostgresURL).
func migratedPostgresURL(t testing.TB) string {
	return storetest.NewMigratedPostgresURL(t, func(url string) (io.Closer, error) { return Open(context.Background(), Config{URL: url}) })
}

// TestMain drops the template database behind migratedPostgresURL.
func TestMain(m *testing.M) { storetest.Main(m) }

func openSQLite(t testing.TB, clock vigil.Clock) *DB {
	t.Helper()
	db, err := Open(context.Background(), Config{DataDir: migratedDir(t), Clock: clock, Secrets: testKeys})
	if err != nil {
		t.Fatalf("Open SQLite: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// sameSQLiteFile returns an opener of stores on one SQLite file, as two
// processes on one data directory (each closed at the end of the test).
func sameSQLiteFile(t *testing.T, clock vigil.Clock) func() *DB {
	dir := migratedDir(t)
	return func() *DB {
		db, err := Open(context.Background(), Config{DataDir: dir, Clock: clock, Secrets: testKeys})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
}

func openPostgres(t testing.TB, url string, clock vigil.Clock) *DB {
	t.Helper()
	db, err := Open(context.Background(), Config{URL: url, Clock: clock, Secrets: testKeys})
	if err != nil {
		t.Fatalf("Open PostgreSQL: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestSQLite(t *testing.T) {
	storetest.Run(t, func(t *testing.T, clock vigil.Clock) vigil.Store {
		db := openSQLite(t, clock)
		if db.Dialect() != "sqlite" {
			t.Fatalf("Dialect() = %q", db.Dialect())
		}
		return db
	})
}

func TestPostgres(t *testing.T) {
	storetest.NewPostgresURL(t) // skips without VIGIL_TEST_DATABASE_URL
	storetest.Run(t, func(t *testing.T, clock vigil.Clock) vigil.Store {
		db := openPostgres(t, migratedPostgresURL(t), clock)
		if db.Dialect() != "postgres" {
			t.Fatalf("Dialect() = %q", db.Dialect())
		}
		return db
	})
}

// Flap control switched off for the whole store (Config.Flap.MaxChanges
// < 0), on both databases.
func TestFlapControlOff(t *testing.T) {
	off := triage.FlapPolicy{MaxChanges: -1}
	t.Run("sqlite", func(t *testing.T) {
		storetest.RunFlapControlOff(t, func(t *testing.T, clock vigil.Clock) vigil.Store {
			db, err := Open(context.Background(), Config{DataDir: migratedDir(t), Clock: clock, Flap: off})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return db
		})
	})
	t.Run("postgres", func(t *testing.T) {
		url := migratedPostgresURL(t) // skips without VIGIL_TEST_DATABASE_URL
		storetest.RunFlapControlOff(t, func(t *testing.T, clock vigil.Clock) vigil.Store {
			db, err := Open(context.Background(), Config{URL: url, Clock: clock, Flap: off})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return db
		})
	})
}

// One migration is one change, written once per dialect.
func TestMigrationFoldersMatch(t *testing.T) {
	lite, err := migrationNames(sqliteDialect)
	if err != nil {
		t.Fatal(err)
	}
	pg, err := migrationNames(postgresDialect)
	if err != nil {
		t.Fatal(err)
	}
	if len(lite) == 0 || !slices.Equal(lite, pg) {
		t.Fatalf("migrations differ:\nsqlite:   %v\npostgres: %v", lite, pg)
	}
}

// Opening an existing database applies nothing twice and keeps the data.
func TestReopenSQLite(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	db, err := Open(ctx, Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.CreateService(ctx, &vigil.Service{Name: "api"}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = Open(ctx, Config{DataDir: dir})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer db.Close()
	if _, total, err := db.FindServices(ctx, vigil.ServiceFilter{}); err != nil || total != 1 {
		t.Fatalf("services after reopen = %d, %v", total, err)
	}
}

func TestOpenInvalid(t *testing.T) {
	ctx := context.Background()
	_, err := Open(ctx, Config{URL: "mysql://root@localhost/vigil"})
	if vigil.ErrorCode(err) != vigil.CodeInvalid {
		t.Errorf("unknown scheme: %v, want invalid", err)
	}
	_, err = Open(ctx, Config{})
	if vigil.ErrorCode(err) != vigil.CodeInvalid {
		t.Errorf("no data dir: %v, want invalid", err)
	}
}

func TestPostgresUnreachable(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	start := time.Now()
	_, err := Open(ctx, Config{URL: "postgres://postgres:secret-password@127.0.0.1:1/vigil?sslmode=disable"})
	if vigil.ErrorCode(err) != vigil.CodeUnavailable {
		t.Fatalf("Open on an unreachable server: %v, want unavailable", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Open took %v to give up", d)
	}
	if msg := vigil.ErrorMessage(err); msg == "" || strings.Contains(msg, "secret-password") || strings.Contains(err.Error(), "secret-password") {
		t.Errorf("client message %q", msg)
	}
}

// After Close, calls fail with CodeUnavailable instead of hanging.
func TestClosed(t *testing.T) {
	db := openSQLite(t, nil)
	ctx := context.Background()
	s := &vigil.Service{Name: "api"}
	if err := db.CreateService(ctx, s); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	_, err := db.ProcessEvents(ctx, []*vigil.Event{{ServiceID: s.ID, Action: vigil.ActionTrigger, DedupKey: "k", Summary: "x", Severity: vigil.SeverityError}})
	if vigil.ErrorCode(err) != vigil.CodeUnavailable {
		t.Errorf("ProcessEvents after Close: %v, want unavailable", err)
	}
	if err := db.Ping(ctx); vigil.ErrorCode(err) != vigil.CodeUnavailable {
		t.Errorf("Ping after Close: %v, want unavailable", err)
	}
}

// B2: two stores (two replicas) on one PostgreSQL database race to create
// the same new alert: exactly one alert and one incident.
func TestPostgresTwoReplicas(t *testing.T) {
	url := storetest.NewPostgresURL(t)
	var (
		dbs [2]*DB
		wg  sync.WaitGroup
	)
	for i := range dbs { // migrate concurrently: the advisory lock serializes
		wg.Go(func() { dbs[i] = openPostgres(t, url, nil) })
	}
	wg.Wait()
	if dbs[0] == nil || dbs[1] == nil {
		t.FailNow()
	}
	ctx := vigil.WithActor(context.Background(), vigil.Actor{Kind: vigil.ActorIntegration, Name: "k", Source: vigil.SourceIntegration})
	s := &vigil.Service{Name: "api", AutoResolve: true}
	if err := dbs[0].CreateService(ctx, s); err != nil {
		t.Fatal(err)
	}
	const n = 50
	errs := make([]error, n)
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			_, errs[i] = dbs[i%2].ProcessEvents(ctx, []*vigil.Event{{ServiceID: s.ID, Action: vigil.ActionTrigger,
				DedupKey: "storm", Summary: "storm", Severity: vigil.SeverityError}})
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("trigger %d: %v", i, err)
		}
	}
	alerts, total, err := dbs[1].FindAlerts(ctx, vigil.AlertFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if total != 1 || alerts[0].Occurrences != n {
		t.Fatalf("%d alerts (first with %d occurrences), want 1 with %d", total, alerts[0].Occurrences, n)
	}
	if _, total, err := dbs[0].FindIncidents(ctx, vigil.IncidentFilter{}); err != nil || total != 1 {
		t.Fatalf("%d incidents (%v), want 1", total, err)
	}
	// Distinct new keys from both replicas within the window share one incident.
	for i := range n {
		wg.Go(func() {
			_, errs[i] = dbs[i%2].ProcessEvents(ctx, []*vigil.Event{{ServiceID: s.ID, Action: vigil.ActionTrigger,
				DedupKey: "k" + string(rune('a'+i%26)) + string(rune('a'+i/26)), Summary: "x", Severity: vigil.SeverityError}})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("trigger %d: %v", i, err)
		}
	}
	incs, total, err := dbs[0].FindIncidents(ctx, vigil.IncidentFilter{})
	if err != nil || total != 1 || incs[0].AlertCount != n+1 {
		t.Fatalf("incidents = %d (%v), alert count %d; want 1 with %d", total, err, incs[0].AlertCount, n+1)
	}
}
