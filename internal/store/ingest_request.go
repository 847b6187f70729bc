package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// RecordIngestRequest stores r, stamping r.ProcessedAt with the
// transaction's now. CodeInvalid, CodeConflict (id taken).
func (db *DB) RecordIngestRequest(ctx context.Context, r *vigil.IngestRequest) error {
	if err := validateIngestRequest(r); err != nil {
		return err
	}
	// Through the group-commit batcher: a sender's create and its record
	// share fsyncs with every other request in flight.
	ctx, cancel := context.WithTimeout(ctx, maxEventWait)
	defer cancel()
	req := &request{ctx: ctx, actor: vigil.ActorFromContext(ctx), record: r, done: make(chan struct{})}
	if err := db.batch.submit(ctx, req); err != nil {
		return err
	}
	select {
	case <-req.done:
		return req.err
	case <-ctx.Done():
		return unavailable(ctx.Err())
	}
}

// validateIngestRequest checks a record's fields against their limits.
func validateIngestRequest(r *vigil.IngestRequest) error {
	if r == nil {
		return vigil.Errorf(vigil.CodeInvalid, "ingest request record is missing")
	}
	if strings.TrimSpace(r.ID) == "" {
		return vigil.FieldError("id", "is required")
	}
	if strings.TrimSpace(r.Action) == "" {
		return vigil.FieldError("action", "is required")
	}
	for _, f := range []struct {
		name, v string
		max     int
	}{
		{"id", r.ID, vigil.MaxIngestRequestIDLen},
		{"action", r.Action, vigil.MaxNameLen},
		{"status", r.Status, vigil.MaxIngestStatusLen},
		{"alias", r.Alias, vigil.MaxIngestAliasLen},
	} {
		if err := vigil.ValidateText(f.name, f.v, f.max); err != nil {
			return err
		}
	}
	return nil
}

// insertIngestRequest writes r inside a batch transaction stamped now.
func insertIngestRequest(ctx context.Context, q querier, now time.Time, r *vigil.IngestRequest) error {
	var alertID sql.NullInt64
	if r.AlertID != nil {
		alertID = sql.NullInt64{Int64: *r.AlertID, Valid: true}
	}
	_, err := q.exec(ctx, `INSERT INTO ingest_requests (id, integration_key_id, action, success, status, alert_id, alias, processed_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		r.ID, r.IntegrationKeyID, r.Action, r.Success, r.Status, alertID, r.Alias, micros(now))
	if uniqueViolation(err) {
		return vigil.Errorf(vigil.CodeConflict, "ingest request %q already exists", r.ID)
	}
	if err == nil {
		r.ProcessedAt = now
	}
	return err
}

// FindIngestRequest returns a request recorded for the integration key.
// CodeNotFound.
func (db *DB) FindIngestRequest(ctx context.Context, id string, integrationKeyID int64) (*vigil.IngestRequest, error) {
	var (
		r       vigil.IngestRequest
		alertID sql.NullInt64
		at      int64
	)
	err := db.read(ctx, func(q querier) error {
		err := q.queryRow(ctx, `SELECT id, integration_key_id, action, success, status, alert_id, alias, processed_at
			FROM ingest_requests WHERE id = $1 AND integration_key_id = $2`, id, integrationKeyID).
			Scan(&r.ID, &r.IntegrationKeyID, &r.Action, &r.Success, &r.Status, &alertID, &r.Alias, &at)
		if errors.Is(err, sql.ErrNoRows) {
			return vigil.Errorf(vigil.CodeNotFound, "ingest request not found")
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if alertID.Valid {
		r.AlertID = &alertID.Int64
	}
	r.ProcessedAt = fromMicros(at)
	return &r, nil
}

// pruneBatch is how many ingest request records one prune transaction
// deletes: small enough that the single SQLite writer is held for a few
// milliseconds, so ingest queued behind it barely notices.
const pruneBatch = 1000

// PruneIngestRequests deletes the records processed before before, a
// batch per transaction, and returns how many it deleted. Replicas may run
// it at once: a row deleted by one is simply not deleted by the other.
func (db *DB) PruneIngestRequests(ctx context.Context, before time.Time) (int64, error) {
	cutoff := micros(before)
	var total int64
	for {
		var n int64
		err := db.write(ctx, func(q querier, _ time.Time) error {
			var err error
			n, err = q.exec(ctx, `DELETE FROM ingest_requests WHERE id IN (
				SELECT id FROM ingest_requests WHERE processed_at < $1 ORDER BY processed_at LIMIT `+strconv.Itoa(pruneBatch)+`)`, cutoff)
			return err
		})
		total += n
		if err != nil {
			return total, err
		}
		if n < pruneBatch {
			return total, nil
		}
		if err := ctx.Err(); err != nil {
			return total, unavailable(err)
		}
	}
}
