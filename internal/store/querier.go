package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// querier is what the store's SQL runs on: a read connection or a write
// transaction, of either database. Both report no rows as sql.ErrNoRows
// (pgx.ErrNoRows wraps it).
type querier interface {
	exec(ctx context.Context, query string, args ...any) (rowsAffected int64, err error)
	queryRow(ctx context.Context, query string, args ...any) row
	query(ctx context.Context, query string, args ...any) (rows, error)
	// pipeline runs statements in order, stopping at the first error: on
	// PostgreSQL in one round trip (a pgx batch), on SQLite, which has no
	// network to cross, one after another.
	pipeline(ctx context.Context, stmts []stmt) error
}

// stmt is one statement of a pipeline. Without scan it is executed; with
// scan it is a query whose rows scan reads (rows.Next and Scan; the
// pipeline closes them).
type stmt struct {
	sql  string
	args []any
	scan func(rows) error
}

// runStmts is the pipeline of a querier without one: each statement in turn.
func runStmts(ctx context.Context, q querier, stmts []stmt) error {
	for _, s := range stmts {
		if s.scan == nil {
			if _, err := q.exec(ctx, s.sql, s.args...); err != nil {
				return err
			}
			continue
		}
		r, err := q.query(ctx, s.sql, s.args...)
		if err != nil {
			return err
		}
		err = s.scan(r)
		if err == nil {
			err = r.Err()
		}
		r.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

type row interface{ Scan(dest ...any) error }

type rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

// sqliteQuerier runs on the read pool, or in a write transaction where the
// hot statements are prepared once and reused: preparing costs SQLite about
// as much as running a small statement.
type sqliteQuerier struct {
	db   *DB
	tx   *sql.Tx // write transaction, or nil
	pool *sql.DB // read pool when tx is nil
}

func (q sqliteQuerier) exec(ctx context.Context, query string, args ...any) (int64, error) {
	var (
		res sql.Result
		err error
	)
	switch {
	case q.tx == nil:
		res, err = q.pool.ExecContext(ctx, query, args...)
	default:
		if s := q.stmt(ctx, query); s != nil {
			res, err = s.ExecContext(ctx, args...)
		} else {
			res, err = q.tx.ExecContext(ctx, query, args...)
		}
	}
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (q sqliteQuerier) queryRow(ctx context.Context, query string, args ...any) row {
	if q.tx == nil {
		q.db.stmtMu.Lock()
		s := q.db.rstmts[query]
		q.db.stmtMu.Unlock()
		if s != nil {
			return s.QueryRowContext(ctx, args...)
		}
		return q.pool.QueryRowContext(ctx, query, args...)
	}
	if s := q.stmt(ctx, query); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return q.tx.QueryRowContext(ctx, query, args...)
}

func (q sqliteQuerier) query(ctx context.Context, query string, args ...any) (rows, error) {
	var (
		r   *sql.Rows
		err error
	)
	if q.tx == nil {
		r, err = q.pool.QueryContext(ctx, query, args...)
	} else if s := q.stmt(ctx, query); s != nil {
		r, err = s.QueryContext(ctx, args...)
	} else {
		r, err = q.tx.QueryContext(ctx, query, args...)
	}
	if err != nil {
		return nil, err
	}
	return sqlRows{r}, nil
}

// stmt returns the hot statement prepared at open for query, bound to the
// transaction (database/sql reuses the connection's prepared statement), or
// nil for any other query.
func (q sqliteQuerier) stmt(ctx context.Context, query string) *sql.Stmt {
	q.db.stmtMu.Lock()
	s := q.db.stmts[query]
	q.db.stmtMu.Unlock()
	if s == nil {
		return nil
	}
	return q.tx.StmtContext(ctx, s)
}

func (q sqliteQuerier) pipeline(ctx context.Context, stmts []stmt) error {
	return runStmts(ctx, q, stmts)
}

type sqlRows struct{ r *sql.Rows }

func (r sqlRows) Next() bool             { return r.r.Next() }
func (r sqlRows) Scan(dest ...any) error { return r.r.Scan(dest...) }
func (r sqlRows) Err() error             { return r.r.Err() }
func (r sqlRows) Close()                 { r.r.Close() }

// pgQuerier runs on a pooled connection or in a transaction. pgx caches a
// prepared statement per connection for every query text.
type pgQuerier struct {
	c interface {
		Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
		QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
		Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
		SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
	}
}

func (q pgQuerier) exec(ctx context.Context, query string, args ...any) (int64, error) {
	tag, err := q.c.Exec(ctx, query, args...)
	return tag.RowsAffected(), err
}

func (q pgQuerier) queryRow(ctx context.Context, query string, args ...any) row {
	return q.c.QueryRow(ctx, query, args...)
}

func (q pgQuerier) query(ctx context.Context, query string, args ...any) (rows, error) {
	return q.c.Query(ctx, query, args...)
}

// pipeline sends every statement before reading the first answer: the
// whole list costs one round trip instead of one each. In a transaction,
// an error aborts it (as a failed single statement does).
func (q pgQuerier) pipeline(ctx context.Context, stmts []stmt) error {
	switch len(stmts) {
	case 0:
		return nil
	case 1:
		return runStmts(ctx, q, stmts)
	}
	b := &pgx.Batch{}
	for _, s := range stmts {
		b.Queue(s.sql, s.args...)
	}
	br := q.c.SendBatch(ctx, b)
	for _, s := range stmts {
		if s.scan == nil {
			if _, err := br.Exec(); err != nil {
				br.Close()
				return err
			}
			continue
		}
		r, err := br.Query()
		if err == nil {
			err = s.scan(r)
			if err == nil {
				err = r.Err()
			}
			r.Close()
		}
		if err != nil {
			br.Close()
			return err
		}
	}
	return br.Close()
}

// planEachRun prefixes the arguments of a query that PostgreSQL should
// plan for its parameters on every run rather than once per connection:
// pgx prepares every statement and PostgreSQL soon settles on one generic
// plan, made from the statistics of that moment, that the connection
// keeps until the statistics change. For a query whose best plan depends
// on how much is due (none most of the time, a large backlog after an
// outage) or that was first prepared when a table was nearly empty, that
// plan can cost a hundred times more; planning again costs a fraction of
// a millisecond.
func (d dialect) planEachRun(args ...any) []any {
	if d == postgresDialect {
		return append([]any{pgx.QueryExecModeExec}, args...)
	}
	return args
}

// inIDs is the condition "col is one of ids", its parameters numbered
// from first, and their arguments: on PostgreSQL one array parameter (one
// statement text whatever the count, prepared once), on SQLite a list.
func inIDs(d dialect, col string, first int, ids []int64) (string, []any) {
	if d == postgresDialect {
		return fmt.Sprintf("%s = ANY($%d)", col, first), []any{ids}
	}
	var b strings.Builder
	args := make([]any, len(ids))
	b.WriteString(col + " IN (")
	for i, id := range ids {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "$%d", first+i)
		args[i] = id
	}
	b.WriteString(")")
	return b.String(), args
}

// queryAll runs query and scans every row with scan, in order. The result
// is never nil, so an empty list encodes as [] rather than null.
func queryAll[T any](ctx context.Context, q querier, scan func(row) (T, error), query string, args ...any) ([]T, error) {
	rows, err := q.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
