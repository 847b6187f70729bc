package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vigil-oss/vigil/internal/matcher"
	"github.com/vigil-oss/vigil/internal/triage"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// Maintenance windows. The rows live in maintenance_windows; ingest asks
// the compiled windows of holdSet (hold.go), reloaded only when
// hold_state.version moved.

const maintenanceCols = `id, name, service_ids, matchers, starts_at, ends_at, recurrence, time_zone, created_by, created_at, updated_at`

func scanMaintenance(r row) (*vigil.MaintenanceWindow, error) {
	var (
		w                        vigil.MaintenanceWindow
		services, matchers       string
		recurrence               sql.NullString
		starts, created, updated int64
		ends                     sql.NullInt64
	)
	if err := r.Scan(&w.ID, &w.Name, &services, &matchers, &starts, &ends, &recurrence, &w.TimeZone, &w.CreatedBy,
		&created, &updated); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(services), &w.ServiceIDs); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(matchers), &w.Matchers); err != nil {
		return nil, err
	}
	if len(w.ServiceIDs) == 0 {
		w.ServiceIDs = nil
	}
	if len(w.Matchers) == 0 {
		w.Matchers = nil
	}
	if recurrence.Valid {
		w.Recurrence = &vigil.WeeklyRecurrence{}
		if err := json.Unmarshal([]byte(recurrence.String), w.Recurrence); err != nil {
			return nil, err
		}
	}
	w.Start, w.CreatedAt, w.UpdatedAt = fromMicros(starts), fromMicros(created), fromMicros(updated)
	if ends.Valid {
		w.End = fromMicros(ends.Int64)
	}
	return &w, nil
}

var errWindowNameTaken = &vigil.Error{Code: vigil.CodeConflict, Field: "name", Message: "a maintenance window with this name already exists"}

// fillMaintenance sets the fields computed at now: State, OpenUntil and
// the next opening.
func fillMaintenance(w *vigil.MaintenanceWindow, now time.Time) {
	w.MaintenanceFill = vigil.MaintenanceFill{State: vigil.MaintenanceScheduled}
	m, err := triage.CompileMaintenance(*w)
	if err != nil {
		return // checked when saved; shown as scheduled, and holds nothing
	}
	if open, until := m.OpenAt(now); open {
		u := until.UTC()
		w.State, w.OpenUntil = vigil.MaintenanceOpen, &u
	}
	opens, closes, ok := m.NextOpening(now)
	if !ok {
		if w.State != vigil.MaintenanceOpen {
			// A one-off window that closed, or a weekly one with no
			// occurrence left before its End.
			w.State = vigil.MaintenanceEnded
		}
		return
	}
	opens, closes = opens.UTC(), closes.UTC()
	w.OpensAt, w.ClosesAt = &opens, &closes
}

// checkMaintenance validates w through the triage compiler (so a matcher
// that does not parse is an error naming it) and checks its services.
// It returns the JSON of the lists and of the recurrence.
func checkMaintenance(ctx context.Context, q querier, w *vigil.MaintenanceWindow) (services, matchers string, recurrence any, err error) {
	if w == nil {
		return "", "", nil, vigil.Errorf(vigil.CodeInvalid, "maintenance window is empty")
	}
	if strings.TrimSpace(w.CreatedBy) == "" {
		w.CreatedBy = vigil.ActorFromContext(ctx).Name
	}
	if err := vigil.ValidateText("created_by", w.CreatedBy, vigil.MaxSilenceAuthorLen); err != nil {
		return "", "", nil, err
	}
	w.Start = w.Start.UTC().Truncate(time.Microsecond)
	w.End = w.End.UTC().Truncate(time.Microsecond)
	if w.End.IsZero() {
		w.End = time.Time{}
	}
	if _, err := triage.CompileMaintenance(*w); err != nil {
		return "", "", nil, err
	}
	// CompileMaintenance validated a copy: apply the defaults it set.
	if err := w.Validate(); err != nil {
		return "", "", nil, err
	}
	w.Matchers = canonMatchers(w.Matchers)
	for i, id := range w.ServiceIDs {
		if err := mustExist(ctx, q, "services", id, fmt.Sprintf("service_ids[%d]", i), "service"); err != nil {
			return "", "", nil, err
		}
	}
	ids := w.ServiceIDs
	if ids == nil {
		ids = []int64{}
	}
	ms := w.Matchers
	if ms == nil {
		ms = []string{}
	}
	b1, err := json.Marshal(ids)
	if err != nil {
		return "", "", nil, err
	}
	b2, err := json.Marshal(ms)
	if err != nil {
		return "", "", nil, vigil.FieldError("matchers", "cannot be encoded: %v", err)
	}
	if w.Recurrence != nil {
		b3, err := json.Marshal(w.Recurrence)
		if err != nil {
			return "", "", nil, err
		}
		recurrence = string(b3)
	}
	return string(b1), string(b2), recurrence, nil
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return micros(t)
}

// CreateMaintenanceWindow validates and stores w.
func (db *DB) CreateMaintenanceWindow(ctx context.Context, w *vigil.MaintenanceWindow) error {
	var now time.Time
	err := db.write(ctx, func(q querier, n time.Time) error {
		now = n
		services, matchers, recurrence, err := checkMaintenance(ctx, q, w)
		if err != nil {
			return err
		}
		err = q.queryRow(ctx, `INSERT INTO maintenance_windows (name, service_ids, matchers, starts_at, ends_at, recurrence, time_zone,
			created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id`,
			w.Name, services, matchers, micros(w.Start), nullTime(w.End), recurrence, w.TimeZone, w.CreatedBy, micros(now)).Scan(&w.ID)
		if uniqueViolation(err) {
			return errWindowNameTaken
		}
		if err != nil {
			return err
		}
		w.CreatedAt, w.UpdatedAt = now, now
		if err := auditRow(ctx, db, q, now, "maintenance_window.create", auditMaintenanceWindow, w.ID, nil, scanMaintenance, "SELECT "+maintenanceCols+" FROM maintenance_windows WHERE id = $1"); err != nil {
			return err
		}
		return bumpHolds(ctx, q, now, false)
	})
	if err != nil {
		return err
	}
	fillMaintenance(w, now)
	return nil
}

// UpdateMaintenanceWindow replaces window w.ID; the alerts it holds are
// checked again at once.
func (db *DB) UpdateMaintenanceWindow(ctx context.Context, w *vigil.MaintenanceWindow) error {
	var now time.Time
	err := db.write(ctx, func(q querier, n time.Time) error {
		now = n
		if w != nil && strings.TrimSpace(w.CreatedBy) == "" {
			// A change keeps the author unless it names another.
			err := q.queryRow(ctx, "SELECT created_by FROM maintenance_windows WHERE id = $1", w.ID).Scan(&w.CreatedBy)
			if errors.Is(err, sql.ErrNoRows) {
				return notFound("maintenance window", w.ID)
			}
			if err != nil {
				return err
			}
		}
		services, matchers, recurrence, err := checkMaintenance(ctx, q, w)
		if err != nil {
			return err
		}
		before, err := snapshot(ctx, q, scanMaintenance, "SELECT "+maintenanceCols+" FROM maintenance_windows WHERE id = $1", w.ID)
		if err != nil {
			return err
		}
		cnt, err := q.exec(ctx, `UPDATE maintenance_windows SET name = $1, service_ids = $2, matchers = $3, starts_at = $4, ends_at = $5,
			recurrence = $6, time_zone = $7, created_by = $8, updated_at = $9 WHERE id = $10`,
			w.Name, services, matchers, micros(w.Start), nullTime(w.End), recurrence, w.TimeZone, w.CreatedBy, micros(now), w.ID)
		if uniqueViolation(err) {
			return errWindowNameTaken
		}
		if err != nil {
			return err
		}
		if cnt == 0 {
			return notFound("maintenance window", w.ID)
		}
		var created int64
		if err := q.queryRow(ctx, "SELECT created_at FROM maintenance_windows WHERE id = $1", w.ID).Scan(&created); err != nil {
			return err
		}
		w.CreatedAt, w.UpdatedAt = fromMicros(created), now
		if err := auditRow(ctx, db, q, now, "maintenance_window.update", auditMaintenanceWindow, w.ID, before, scanMaintenance, "SELECT "+maintenanceCols+" FROM maintenance_windows WHERE id = $1"); err != nil {
			return err
		}
		if err := recheckHeld(ctx, q, now, "held_by_window", w.ID); err != nil {
			return err
		}
		return bumpHolds(ctx, q, now, false)
	})
	if err != nil {
		return err
	}
	fillMaintenance(w, now)
	db.releaseNow(ctx, "a.held_by_window", w.ID)
	return nil
}

// FindMaintenanceWindow returns one window; CodeNotFound.
func (db *DB) FindMaintenanceWindow(ctx context.Context, id int64) (*vigil.MaintenanceWindow, error) {
	w, err := findOne(ctx, db, "maintenance window", id, scanMaintenance, "SELECT "+maintenanceCols+" FROM maintenance_windows WHERE id = $1")
	if err != nil {
		return nil, err
	}
	fillMaintenance(w, db.now())
	return w, nil
}

// ListMaintenanceWindows lists every window by name.
func (db *DB) ListMaintenanceWindows(ctx context.Context) ([]*vigil.MaintenanceWindow, error) {
	list, err := listAll(ctx, db, scanMaintenance, "SELECT "+maintenanceCols+" FROM maintenance_windows ORDER BY name, id")
	if err != nil {
		return nil, err
	}
	now := db.now()
	for _, w := range list {
		fillMaintenance(w, now)
	}
	return list, nil
}

// DeleteMaintenanceWindow removes it; the alerts it held are released.
func (db *DB) DeleteMaintenanceWindow(ctx context.Context, id int64) error {
	err := db.write(ctx, func(q querier, now time.Time) error {
		before, err := scanMaintenance(q.queryRow(ctx, "DELETE FROM maintenance_windows WHERE id = $1 RETURNING "+maintenanceCols, id))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("maintenance window", id)
		}
		if err != nil {
			return err
		}
		if err := db.audit(ctx, q, now, "maintenance_window.delete", auditMaintenanceWindow, id, before, nil); err != nil {
			return err
		}
		if err := recheckHeld(ctx, q, now, "held_by_window", id); err != nil {
			return err
		}
		return bumpHolds(ctx, q, now, false)
	})
	if err != nil {
		return err
	}
	db.releaseNow(ctx, "a.held_by_window", id)
	return nil
}

// forgetWindowService takes a deleted service out of the windows that name
// it, in the transaction deleting it: SQLite may give its id to a later
// service, which the window must not cover. A window left without
// services is deleted (covering its matchers on every service instead
// would widen it).
func forgetWindowService(ctx context.Context, q querier, now time.Time, id int64) error {
	windows, err := queryAll(ctx, q, scanMaintenance, "SELECT "+maintenanceCols+" FROM maintenance_windows ORDER BY id")
	if err != nil {
		return err
	}
	changed := false
	for _, w := range windows {
		if !slices.Contains(w.ServiceIDs, id) {
			continue
		}
		changed = true
		rest := slices.DeleteFunc(slices.Clone(w.ServiceIDs), func(x int64) bool { return x == id })
		if len(rest) == 0 {
			if _, err := q.exec(ctx, "DELETE FROM maintenance_windows WHERE id = $1", w.ID); err != nil {
				return err
			}
			if err := recheckHeld(ctx, q, now, "held_by_window", w.ID); err != nil {
				return err
			}
			continue
		}
		b, err := json.Marshal(rest)
		if err != nil {
			return err
		}
		if _, err := q.exec(ctx, "UPDATE maintenance_windows SET service_ids = $1, updated_at = $2 WHERE id = $3", string(b), micros(now), w.ID); err != nil {
			return err
		}
	}
	if !changed {
		return nil
	}
	return bumpHolds(ctx, q, now, false)
}

// canonMatchers writes matchers one way (name="value"), as Alertmanager
// prints them; they parsed when compiled.
func canonMatchers(list []string) []string {
	for i, text := range list {
		if m, err := matcher.Parse(text); err == nil {
			list[i] = m.String()
		}
	}
	return list
}
