// Package store implements vigil.Store on SQLite (embedded, the default) and
// PostgreSQL (several replicas). Both speak database/sql with one SQL text
// where the dialects agree; dialect.go holds the few places where they don't.
//
// Writes of alert events go through a group-commit batcher (batch.go): many
// concurrent callers share one transaction and one fsync.
package store

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/puddle/v2"

	"github.com/vigil-oss/vigil/internal/seal"
	"github.com/vigil-oss/vigil/internal/triage"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// Config says which database to open.
type Config struct {
	URL     string       // "postgres://..." or "postgresql://..." selects PostgreSQL; empty means SQLite
	DataDir string       // SQLite: the database is DataDir/vigil.db (dir created 0700 if missing)
	Clock   vigil.Clock  // nil means vigil.SystemClock{}
	Logger  *slog.Logger // nil means discard
	// OnWork is called (it must not block) after a commit that may have
	// made engine work due: a new incident, an acknowledgement or
	// resolution, a queued notification. The engine then runs at once
	// instead of at its next tick.
	OnWork func()
	// Flap is the flap control policy; zero means triage.DefaultFlapPolicy,
	// MaxChanges < 0 turns it off.
	Flap triage.FlapPolicy
	// Secrets seals the secret columns (secret.go). Nil stores them in
	// plaintext and refuses a database that holds sealed ones; the server
	// always passes a ring (vigil serve makes a key file for SQLite).
	Secrets *seal.Keys
}

// DB is Vigil's storage. It is safe for concurrent use.
type DB struct {
	dialect dialect
	// SQLite: w holds exactly one connection, the single writer; r is a
	// pool of read-only connections that never wait behind it (WAL).
	w, r *sql.DB
	// PostgreSQL: one pool for reads and writes.
	pg    *pgxpool.Pool
	clock vigil.Clock
	log   *slog.Logger
	batch *batcher

	stmtMu sync.Mutex
	stmts  map[string]*sql.Stmt // SQLite: prepared once on w, reused by every transaction
	keys   keyCache             // integration keys recently authenticated
	rstmts map[string]*sql.Stmt // SQLite: prepared on the read pool (per connection, by database/sql)

	silences silenceCache      // the live silences ingest matches (silence.go)
	holds    holdCache         // the maintenance windows and inhibition rules ingest asks (hold.go)
	classes  classCache        // the compiled classification rules (classification.go)
	flap     triage.FlapPolicy // flap control (flap.go)
	secrets  *seal.Keys        // secrets at rest (secret.go); nil: plaintext

	onWork func()
	wakeup *pgWake // PostgreSQL: NOTIFY/LISTEN between replicas

	closeOnce sync.Once
	closeErr  error
}

var _ vigil.Store = (*DB)(nil)

// Open connects to the database, applies migrations and returns a ready
// store. CodeUnavailable when the database cannot be reached, CodeInvalid
// for a bad configuration.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	db := &DB{clock: cfg.Clock, log: cfg.Logger, stmts: map[string]*sql.Stmt{}, rstmts: map[string]*sql.Stmt{}, onWork: cfg.OnWork, flap: cfg.Flap, secrets: cfg.Secrets}
	if db.flap == (triage.FlapPolicy{}) {
		db.flap = triage.DefaultFlapPolicy
	}
	if db.clock == nil {
		db.clock = vigil.SystemClock{}
	}
	if db.log == nil {
		db.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	var err error
	switch {
	case cfg.URL == "":
		err = db.openSQLite(ctx, cfg.DataDir)
	case strings.HasPrefix(cfg.URL, "postgres://"), strings.HasPrefix(cfg.URL, "postgresql://"):
		err = db.openPostgres(ctx, cfg.URL)
	default:
		return nil, vigil.FieldError("database_url", "must start with postgres:// or postgresql:// (leave empty for SQLite)")
	}
	if err == nil {
		err = db.sealOnOpen(ctx)
	}
	if err != nil {
		db.closeDBs()
		return nil, err
	}
	// One batch writer per process on both databases: SQLite has one writer
	// anyway, and on PostgreSQL parallel writers of one process mostly queue
	// on the same service row lock (see eventTx.service) while one writer
	// gathers larger batches (measured: 1,900 against 1,300 alerts/s with 8
	// clients). Replicas still write in parallel.
	db.batch = newBatcher(db, 1)
	if db.pg != nil {
		db.startWake()
	}
	return db, nil
}

// Dialect returns "sqlite" or "postgres".
func (db *DB) Dialect() string { return db.dialect.name() }

// Close stops the event batcher (finishing queued work) and closes the
// database. Calls after the first return the first result.
func (db *DB) Close() error {
	db.closeOnce.Do(func() {
		if db.batch != nil {
			db.batch.close()
		}
		db.stopWake()
		db.stmtMu.Lock()
		for _, s := range db.stmts {
			s.Close()
		}
		for _, s := range db.rstmts {
			s.Close()
		}
		db.stmts, db.rstmts = nil, nil
		db.stmtMu.Unlock()
		db.closeErr = db.closeDBs()
	})
	return db.closeErr
}

func (db *DB) closeDBs() error {
	var errs []error
	if db.pg != nil {
		db.pg.Close()
	}
	if db.r != nil {
		errs = append(errs, db.r.Close())
	}
	if db.w != nil {
		errs = append(errs, db.w.Close())
	}
	return errors.Join(errs...)
}

// Ping reports whether the database answers. CodeUnavailable if not.
func (db *DB) Ping(ctx context.Context) error {
	err := db.read(ctx, func(q querier) error {
		var one int
		return q.queryRow(ctx, "SELECT 1").Scan(&one)
	})
	if err != nil {
		return unavailable(err)
	}
	return nil
}

// now is the one timestamp of a transaction.
func (db *DB) now() time.Time { return db.clock.Now().UTC().Truncate(time.Microsecond) }

// maxTxAttempts bounds retries of a write transaction that lost a race on
// PostgreSQL (serialization failure, deadlock, unique violation).
const maxTxAttempts = 5

// read runs fn on a read connection.
func (db *DB) read(ctx context.Context, fn func(q querier) error) error {
	if db.pg != nil {
		return db.mapErr(fn(pgQuerier{db.pg}))
	}
	return db.mapErr(fn(sqliteQuerier{db: db, pool: db.r}))
}

// write runs fn in a write transaction stamped with one now, retrying a
// bounded number of times when PostgreSQL reports a lost race.
func (db *DB) write(ctx context.Context, fn func(q querier, now time.Time) error) error {
	var err error
	for attempt := 1; ; attempt++ {
		if db.pg != nil {
			err = db.writePostgres(ctx, fn)
		} else {
			err = db.writeSQLite(ctx, fn)
		}
		if err == nil || attempt == maxTxAttempts || !db.dialect.retryable(err) || ctx.Err() != nil {
			break
		}
		db.log.DebugContext(ctx, "retrying write transaction", "attempt", attempt, "err", err)
	}
	return db.mapErr(err)
}

func (db *DB) writeSQLite(ctx context.Context, fn func(q querier, now time.Time) error) error {
	tx, err := db.w.BeginTx(ctx, nil) // BEGIN IMMEDIATE (_txlock)
	if err != nil {
		return err
	}
	if err := fn(sqliteQuerier{db: db, tx: tx}, db.now()); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

func (db *DB) writePostgres(ctx context.Context, fn func(q querier, now time.Time) error) error {
	tx, err := db.pg.Begin(ctx)
	if err != nil {
		return err
	}
	if err := fn(pgQuerier{tx}, db.now()); err != nil {
		tx.Rollback(ctx)
		return err
	}
	return tx.Commit(ctx)
}

// errRace is returned inside a transaction that lost a race it can only win
// by starting over; it is retryable.
var errRace = errors.New("store: concurrent write race, retry")

// mapErr turns a database error into a *vigil.Error: connection trouble is
// CodeUnavailable, anything unexpected CodeInternal. Domain errors pass.
func (db *DB) mapErr(err error) error {
	if err == nil {
		return nil
	}
	var ve *vigil.Error
	if errors.As(err, &ve) {
		return err
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && (pgErr.Code == "22021" || pgErr.Code == "22P05") {
		// A safety net: text is checked before it gets here, but a 5xx
		// must never answer bad input.
		return &vigil.Error{Code: vigil.CodeInvalid, Message: "text must be valid UTF-8 without NUL characters", Err: err}
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, sql.ErrConnDone) || errors.Is(err, puddle.ErrClosedPool) ||
		err.Error() == "sql: database is closed" || db.dialect.unavailable(err) {
		return unavailable(err)
	}
	return &vigil.Error{Code: vigil.CodeInternal, Message: "database error", Err: err}
}

func unavailable(err error) error {
	var ve *vigil.Error
	if errors.As(err, &ve) && ve.Code == vigil.CodeUnavailable {
		return err
	}
	return &vigil.Error{Code: vigil.CodeUnavailable, Message: "database unavailable", Err: err}
}

func notFound(what string, id int64) error {
	return vigil.Errorf(vigil.CodeNotFound, "%s %d not found", what, id)
}

// micros and fromMicros store times as unix microseconds, exact in both
// databases and cheap to compare.
func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(v int64) time.Time { return time.UnixMicro(v).UTC() }

func nullMicros(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMicros(v.Int64)
	return &t
}

// by is how messages name who did something: "ops-token via cli".
func by(a vigil.Actor) string {
	if a.Source == "" {
		return a.Name
	}
	return a.Name + " via " + a.Source
}

// wake tells the engine (when one listens) that work may be due.
func (db *DB) wake() {
	if db.onWork != nil {
		db.onWork()
	}
	if db.wakeup != nil {
		db.wakeup.notifyOthers()
	}
}
