package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"

	"github.com/vigil-oss/vigil/internal/vigil"
)

const alertCols = `id, service_id, incident_id, integration_key_id, dedup_key, summary, details, labels, links,
	severity, source, status, first_seen, last_seen, resolved_at, occurrences, ends_at, ` + holdCols

func scanAlert(row row) (*vigil.Alert, error) {
	var (
		a                   vigil.Alert
		keyID, resolved     sql.NullInt64
		endsAt, incident    sql.NullInt64
		held                heldAs
		details             sql.NullString
		labels, links       string
		firstSeen, lastSeen int64
	)
	if err := row.Scan(append([]any{&a.ID, &a.ServiceID, &incident, &keyID, &a.DedupKey, &a.Summary, &details, &labels, &links,
		&a.Severity, &a.Source, &a.Status, &firstSeen, &lastSeen, &resolved, &a.Occurrences, &endsAt}, held.dest()...)...); err != nil {
		return nil, err
	}
	a.IncidentID = incident.Int64 // NULL while the alert is held
	ptr := func(n sql.NullInt64) *int64 {
		if !n.Valid {
			return nil
		}
		return &n.Int64
	}
	a.SilencedBy, a.HeldByWindow, a.InhibitedByRule, a.InhibitedByAlert = ptr(held.silence), ptr(held.window), ptr(held.rule), ptr(held.source)
	a.SuppressedBy = held.suppress.String
	a.PausedUntil = nullMicros(held.paused)
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
	a.EndsAt = nullMicros(endsAt)
	return &a, nil
}

// FindAlertByID returns CodeNotFound when there is no such alert.
func (db *DB) FindAlertByID(ctx context.Context, id int64) (*vigil.Alert, error) {
	var a *vigil.Alert
	err := db.read(ctx, func(q querier) error {
		var err error
		var w where
		w.add("id = ?", id)
		w.refVisible(ctx, "alerts.incident_id")
		a, err = scanAlert(q.queryRow(ctx, "SELECT "+alertCols+" FROM alerts"+w.sql(), w.args...))
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
	w.refVisible(ctx, "alerts.incident_id")
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
	// Held alerts are few; the partial index alerts_held covers them.
	if f.Held || f.HeldByWindow != nil || f.InhibitedByRule != nil {
		w.add("status = 'firing' AND incident_id IS NULL")
	}
	if f.HeldByWindow != nil {
		w.add("held_by_window = ?", *f.HeldByWindow)
	}
	if f.InhibitedByRule != nil {
		w.add("inhibited_by_rule = ?", *f.InhibitedByRule)
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

// FindFiringAlerts returns the firing alerts, of one service when serviceID
// is above zero, oldest first, at most limit of them.
func (db *DB) FindFiringAlerts(ctx context.Context, serviceID int64, limit int) ([]*vigil.Alert, error) {
	if limit <= 0 {
		return nil, vigil.FieldError("limit", "must be above zero")
	}
	var w where
	w.add("status = 'firing'")
	w.refVisible(ctx, "alerts.incident_id")
	if serviceID > 0 {
		w.add("service_id = ?", serviceID)
	}
	var list []*vigil.Alert
	err := db.read(ctx, func(q querier) error {
		var err error
		list, err = queryAll(ctx, q, scanAlert, "SELECT "+alertCols+" FROM alerts"+w.sql()+" ORDER BY id LIMIT "+strconv.Itoa(limit), w.args...)
		return err
	})
	if err != nil {
		return nil, err
	}
	return list, nil
}

// ExpireAlerts resolves up to limit firing alerts whose EndsAt has passed
// by the store's clock, through the event path (timeline entry, automatic
// resolution of the incident), as Vigil itself. It returns how many it
// resolved. Safe on several replicas at once: each resolve re-checks
// ends_at in its own transaction, so an alert is resolved once, and not at
// all if it was re-sent meanwhile.
//
// Then it releases the held alerts whose hold ended (see
// ReleaseHeldAlerts: silences that ended, maintenance windows that closed,
// inhibiting alerts that stopped firing), all of them, a batch of limit at
// a time: the periodic job that expires alerts is the one that ends holds
// too. A failure there is returned after the expiry has run.
func (db *DB) ExpireAlerts(ctx context.Context, limit int) (int, error) {
	if limit <= 0 {
		return 0, vigil.FieldError("limit", "must be above zero")
	}
	n, err := db.expireAlerts(ctx, limit)
	if err != nil {
		return n, err
	}
	if err := db.remarkSources(ctx); err != nil {
		return n, err
	}
	for {
		released, err := db.releaseHeld(ctx, limit, "", 0)
		if err != nil {
			return n, err
		}
		if released < limit {
			break
		}
	}
	for {
		settled, err := db.settleFlaps(ctx, limit)
		if err != nil || settled < limit {
			return n, err
		}
	}
}

func (db *DB) expireAlerts(ctx context.Context, limit int) (int, error) {
	now := db.now()
	type expired struct {
		service int64
		key     string
	}
	var due []expired
	err := db.read(ctx, func(q querier) error {
		var err error
		due, err = queryAll(ctx, q, func(r row) (expired, error) {
			var x expired
			return x, r.Scan(&x.service, &x.key)
		}, sqlExpiredAlerts, micros(now), limit)
		return err
	})
	if err != nil || len(due) == 0 {
		return 0, err
	}
	events := make([]*vigil.Event, len(due))
	for i, x := range due {
		events[i] = &vigil.Event{ServiceID: x.service, DedupKey: x.key, Action: vigil.ActionResolve, Expiry: true}
		events[i].Normalize()
	}
	results, err := db.ProcessEvents(vigil.WithActor(ctx, vigil.SystemActor), events)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, r := range results {
		if r.Changed {
			n++
		}
	}
	return n, nil
}
