package store

import (
	"context"
	"database/sql"

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
