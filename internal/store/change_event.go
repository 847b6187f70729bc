package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

const changeEventCols = `id, service_id, integration_key_id, summary, source, timestamp, received_at, details, links`

// CreateChangeEvent validates and stores c, stamping c.ReceivedAt with the
// transaction's now, and c.Timestamp with it too when the sender gave none.
// CodeInvalid, CodeNotFound (service).
func (db *DB) CreateChangeEvent(ctx context.Context, c *vigil.ChangeEvent) error {
	if err := c.Validate(); err != nil {
		return err
	}
	var details sql.NullString
	if d := strings.TrimSpace(string(c.Details)); d != "" && d != "null" {
		details = sql.NullString{String: d, Valid: true}
	}
	links := "[]"
	if len(c.Links) > 0 {
		b, err := json.Marshal(c.Links)
		if err != nil {
			return db.mapErr(err)
		}
		links = string(b)
	}
	var keyID sql.NullInt64
	if c.IntegrationKeyID != nil {
		keyID = sql.NullInt64{Int64: *c.IntegrationKeyID, Valid: true}
	}
	return db.write(ctx, func(q querier, now time.Time) error {
		var one int
		err := q.queryRow(ctx, "SELECT 1 FROM services WHERE id = $1", c.ServiceID).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("service", c.ServiceID)
		}
		if err != nil {
			return err
		}
		ts := c.Timestamp.UTC().Truncate(time.Microsecond)
		if c.Timestamp.IsZero() {
			ts = now
		}
		var id int64
		if err := q.queryRow(ctx, `INSERT INTO change_events (service_id, integration_key_id, summary, source, timestamp, received_at, details, links)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
			c.ServiceID, keyID, c.Summary, c.Source, micros(ts), micros(now), details, links).Scan(&id); err != nil {
			return err
		}
		c.ID, c.Timestamp, c.ReceivedAt = id, ts, now
		if details.Valid {
			c.Details = json.RawMessage(details.String)
		} else {
			c.Details = nil
		}
		if c.Links == nil {
			c.Links = []vigil.Link{}
		}
		return nil
	})
}

// FindChangeEvents returns the matching change events, newest first by
// timestamp (then id).
func (db *DB) FindChangeEvents(ctx context.Context, f vigil.ChangeEventFilter) ([]*vigil.ChangeEvent, error) {
	w := changeEventWhere(f)
	list := []*vigil.ChangeEvent{}
	err := db.read(ctx, func(q querier) error {
		var err error
		list, err = queryAll(ctx, q, scanChangeEvent, "SELECT "+changeEventCols+" FROM change_events"+w.sql()+
			" ORDER BY timestamp DESC, id DESC"+w.page(f.Offset, f.Limit), w.args...)
		return err
	})
	if err != nil {
		return nil, err
	}
	return list, nil
}

// CountChangeEvents counts the change events f selects (capped at
// vigil.MaxCountedTotal+1).
func (db *DB) CountChangeEvents(ctx context.Context, f vigil.ChangeEventFilter) (int, error) {
	w := changeEventWhere(f)
	var total int
	err := db.read(ctx, func(q querier) error {
		return q.queryRow(ctx, countCapped("change_events"+w.sql()), w.args...).Scan(&total)
	})
	if err != nil {
		return 0, err
	}
	return total, nil
}

func changeEventWhere(f vigil.ChangeEventFilter) *where {
	var w where
	if f.ServiceID != nil {
		w.add("service_id = ?", *f.ServiceID)
	}
	if f.Since != nil {
		w.add("timestamp >= ?", micros(*f.Since))
	}
	if f.Until != nil {
		w.add("timestamp < ?", micros(*f.Until))
	}
	return &w
}

func scanChangeEvent(row row) (*vigil.ChangeEvent, error) {
	var (
		c            vigil.ChangeEvent
		keyID        sql.NullInt64
		details      sql.NullString
		links        string
		ts, received int64
	)
	if err := row.Scan(&c.ID, &c.ServiceID, &keyID, &c.Summary, &c.Source, &ts, &received, &details, &links); err != nil {
		return nil, err
	}
	if keyID.Valid {
		c.IntegrationKeyID = &keyID.Int64
	}
	if details.Valid {
		c.Details = json.RawMessage(details.String)
	}
	if err := json.Unmarshal([]byte(links), &c.Links); err != nil {
		return nil, err
	}
	if c.Links == nil {
		c.Links = []vigil.Link{}
	}
	c.Timestamp, c.ReceivedAt = fromMicros(ts), fromMicros(received)
	return &c, nil
}
