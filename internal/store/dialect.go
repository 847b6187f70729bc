package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// dialect is the short list of what differs between SQLite and PostgreSQL.
// Everything else is one SQL text.
type dialect bool

const (
	sqliteDialect   dialect = false
	postgresDialect dialect = true
)

func (d dialect) name() string {
	if d == postgresDialect {
		return "postgres"
	}
	return "sqlite"
}

// forUpdate locks selected rows on PostgreSQL. SQLite has a single writer,
// so a write transaction already excludes every other.
func (d dialect) forUpdate() string {
	if d == postgresDialect {
		return " FOR UPDATE"
	}
	return ""
}

// forUpdateOf locks the rows of one table of a join on PostgreSQL.
func (d dialect) forUpdateOf(table string) string {
	if d == postgresDialect {
		return " FOR UPDATE OF " + table
	}
	return ""
}

// skipLocked claims rows on PostgreSQL without waiting for rows another
// replica holds: each replica takes different work.
func (d dialect) skipLocked() string {
	if d == postgresDialect {
		return " FOR UPDATE SKIP LOCKED"
	}
	return ""
}

// retryable reports whether a failed transaction may succeed when run again.
func (d dialect) retryable(err error) bool {
	if errors.Is(err, errRace) {
		return true
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "40001", "40P01", "23505": // serialization, deadlock, unique race
			return true
		}
	}
	return false
}

// uniqueViolation reports whether err is a unique constraint violation.
func uniqueViolation(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23505"
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// unavailable reports whether err means the database cannot be reached or
// used right now (as opposed to a bug in a query).
func (d dialect) unavailable(err error) bool {
	if errors.Is(err, driver.ErrBadConn) {
		return true
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case len(pe.Code) == 5 && pe.Code[:2] == "08", // connection exception
			pe.Code[:2] == "53",                                        // insufficient resources (too many connections, disk full)
			pe.Code == "57P01", pe.Code == "57P02", pe.Code == "57P03", // shutdown, cannot connect now
			pe.Code == "57014": // query canceled (statement timeout)
			return true
		}
		return false
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) || pgconn.Timeout(err) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff { // primary result code
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_CANTOPEN,
			sqlite3.SQLITE_IOERR, sqlite3.SQLITE_FULL, sqlite3.SQLITE_READONLY:
			return true
		}
	}
	return false
}

// sqlitePragmas: WAL so readers never wait for the writer; synchronous FULL
// so a committed batch survives power loss (group commit pays the fsync once
// per batch); BEGIN IMMEDIATE so a write transaction takes the lock up
// front instead of failing halfway with SQLITE_BUSY.
const sqlitePragmas = "_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)&_pragma=foreign_keys(1)&_pragma=synchronous(FULL)" +
	"&_pragma=cache_size(-32768)" // 32 MiB of page cache per connection

func (db *DB) openSQLite(ctx context.Context, dir string) error {
	db.dialect = sqliteDialect
	if dir == "" {
		return vigil.FieldError("data_dir", "is required for SQLite")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return unavailable(fmt.Errorf("create data dir: %w", err))
	}
	path := (&url.URL{Path: filepath.Join(dir, "vigil.db")}).EscapedPath()
	var err error
	if db.w, err = sql.Open("sqlite", "file:"+path+"?"+sqlitePragmas+"&_txlock=immediate"); err != nil {
		return unavailable(err)
	}
	db.w.SetMaxOpenConns(1)
	db.w.SetMaxIdleConns(1)
	db.w.SetConnMaxLifetime(0)
	db.w.SetConnMaxIdleTime(0)
	if err := db.w.PingContext(ctx); err != nil {
		return unavailable(err)
	}
	if err := db.migrate(ctx); err != nil {
		return err
	}
	for _, q := range hotStatements() {
		s, err := db.w.PrepareContext(ctx, q)
		if err != nil {
			return db.mapErr(fmt.Errorf("prepare %q: %w", q, err))
		}
		db.stmts[q] = s
	}
	if db.r, err = sql.Open("sqlite", "file:"+path+"?"+sqlitePragmas+"&_pragma=query_only(1)"); err != nil {
		return unavailable(err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	db.r.SetMaxOpenConns(n)
	db.r.SetMaxIdleConns(n)
	db.r.SetConnMaxIdleTime(0)
	if err := db.r.PingContext(ctx); err != nil {
		return unavailable(err)
	}
	for _, q := range readStatements() {
		s, err := db.r.PrepareContext(ctx, q)
		if err != nil {
			return db.mapErr(fmt.Errorf("prepare %q: %w", q, err))
		}
		db.rstmts[q] = s
	}
	return nil
}

// defaultConnectTimeout applies when the URL sets no connect_timeout, so an
// unreachable server fails fast with CodeUnavailable instead of hanging.
const defaultConnectTimeout = 5 * time.Second

func (db *DB) openPostgres(ctx context.Context, rawURL string) error {
	db.dialect = postgresDialect
	cfg, err := pgxpool.ParseConfig(rawURL)
	if err != nil {
		// The message of a parse error may quote the URL with its password.
		return vigil.FieldError("database_url", "is not a valid PostgreSQL URL")
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = defaultConnectTimeout
	}
	if !strings.Contains(rawURL, "pool_max_conns") {
		cfg.MaxConns = pgPoolSize
	}
	if db.pg, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
		return unavailable(err)
	}
	if err := db.Ping(ctx); err != nil {
		return err
	}
	return db.migrate(ctx)
}

// pgPoolSize bounds connections per process: enough for the batch writers
// and concurrent reads, small against PostgreSQL's default 100 connections.
const pgPoolSize = 16
