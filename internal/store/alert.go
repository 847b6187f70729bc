package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"

	"github.com/vigil-oss/vigil/internal/vigil"
)

const alertCols = `id, service_id, incident_id, integration_key_id, dedup_key, summary, details, labels, links,
	severity, source, status, first_seen, last_seen, resolved_at, occurrences`

func scanAlert(row row) (*vigil.Alert, error) {
	var (
		a                   vigil.Alert
		keyID, resolved     sql.NullInt64
		details             sql.NullString
		labels, links       string
		firstSeen, lastSeen int64
	)
	if err := row.Scan(&a.ID, &a.ServiceID, &a.IncidentID, &keyID, &a.DedupKey, &a.Summary, &details, &labels, &links,
		&a.Severity, &a.Source, &a.Status, &firstSeen, &lastSeen, &resolved, &a.Occurrences); err != nil {
		return nil, err
	}
	if keyID.Valid {
		a.IntegrationKeyID = &keyID.Int64
	}
	if details.Valid {
		a.Details = json.RawMessage(details.String)
	}
	if err := json.Unmarshal([]byte(labels), &a.Labels); err != nil {
		return nil, err
	}
	if a.Labels == nil {
		a.Labels = map[string]string{}
	}
	if err := json.Unmarshal([]byte(links), &a.Links); err != nil {
		return nil, err
	}
	if a.Links == nil {
		a.Links = []vigil.Link{}
	}
	a.FirstSeen, a.LastSeen, a.ResolvedAt = fromMicros(firstSeen), fromMicros(lastSeen), nullMicros(resolved)
	return &a, nil
}

// FindAlertByID returns CodeNotFound when there is no such alert.
func (db *DB) FindAlertByID(ctx context.Context, id int64) (*vigil.Alert, error) {
	var a *vigil.Alert
	err := db.read(ctx, func(q querier) error {
		var err error
		a, err = scanAlert(q.queryRow(ctx, "SELECT "+alertCols+" FROM alerts WHERE id = $1", id))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("alert", id)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// FindAlerts lists alerts, newest first, with the total matching count.
func (db *DB) FindAlerts(ctx context.Context, f vigil.AlertFilter) ([]*vigil.Alert, int, error) {
	var w where
	if f.ServiceID != nil {
		w.add("service_id = ?", *f.ServiceID)
	}
	if f.IncidentID != nil {
		w.add("incident_id = ?", *f.IncidentID)
	}
	if f.Status != nil {
		if *f.Status != vigil.AlertFiring && *f.Status != vigil.AlertResolved {
			return nil, 0, vigil.FieldError("status", "must be %s or %s", vigil.AlertFiring, vigil.AlertResolved)
		}
		w.add("status = ?", *f.Status)
	}
	if f.DedupKey != nil {
		w.add("dedup_key = ?", *f.DedupKey)
	}
	var (
		total int
		list  = []*vigil.Alert{}
	)
	err := db.read(ctx, func(q querier) error {
		if err := q.queryRow(ctx, countCapped("alerts"+w.sql()), w.args...).Scan(&total); err != nil {
			return err
		}
		var err error
		list, err = queryAll(ctx, q, scanAlert, "SELECT "+alertCols+" FROM alerts"+w.sql()+" ORDER BY id DESC"+w.page(f.Offset, f.Limit), w.args...)
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	return list, total, nil
}
