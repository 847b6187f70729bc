package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"time"
)

// Both folders hold the same file names (a test checks it): one migration
// is one change, written once per dialect.
//
//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrationFS embed.FS

// migrationLockKey is the PostgreSQL advisory lock taken while migrating, so
// replicas starting together apply each migration once.
const migrationLockKey = 0x76_69_67_69_6c // "vigil"

// migrationNames lists the migration files of a dialect in order.
func migrationNames(d dialect) ([]string, error) {
	entries, err := fs.ReadDir(migrationFS, "migrations/"+d.name())
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() && path.Ext(e.Name()) == ".sql" {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names)
	return names, nil
}

// migrate applies the migrations not yet recorded in schema_migrations, each
// in its own transaction together with its record.
func (db *DB) migrate(ctx context.Context) error {
	names, err := migrationNames(db.dialect)
	if err != nil {
		return fmt.Errorf("store: read migrations: %w", err)
	}
	for _, name := range names {
		if err := db.migrateOne(ctx, name); err != nil {
			return db.mapErr(fmt.Errorf("store: migration %s: %w", name, err))
		}
	}
	return nil
}

func (db *DB) migrateOne(ctx context.Context, name string) error {
	return db.write(ctx, func(q querier, now time.Time) error {
		if db.dialect == postgresDialect {
			if _, err := q.exec(ctx, "SELECT pg_advisory_xact_lock($1)", int64(migrationLockKey)); err != nil {
				return err
			}
		}
		if _, err := q.exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			name       TEXT   NOT NULL PRIMARY KEY,
			applied_at BIGINT NOT NULL)`); err != nil {
			return err
		}
		var n int
		if err := q.queryRow(ctx, "SELECT count(*) FROM schema_migrations WHERE name = $1", name).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		body, err := migrationFS.ReadFile("migrations/" + db.dialect.name() + "/" + name)
		if err != nil {
			return err
		}
		if _, err := q.exec(ctx, string(body)); err != nil {
			return err
		}
		if _, err := q.exec(ctx, "INSERT INTO schema_migrations (name, applied_at) VALUES ($1, $2)", name, micros(now)); err != nil {
			return err
		}
		db.log.InfoContext(ctx, "applied migration", "name", name, "dialect", db.dialect.name())
		return nil
	})
}
