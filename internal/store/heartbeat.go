package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

const (
	heartbeatCols = `h.id, h.service_id, s.name, h.name, h.description, h.interval_length, h.interval_unit, h.enabled, h.expired,
		h.alert_message, h.alert_tags, h.alert_priority, h.last_ping_at, h.due_at, h.expired_at, h.created_at, h.updated_at`
	heartbeatFrom = ` FROM heartbeats h JOIN services s ON s.id = h.service_id`
)

// heartbeatActor is who raises the alert of an expired heartbeat.
var heartbeatActor = vigil.Actor{Kind: vigil.ActorSystem, Name: "heartbeat", Source: vigil.SourceSystem}

// expireBatch is how many due heartbeats one pass of ExpireHeartbeats reads
// at a time; each is then expired in its own short transaction.
const expireBatch = 100

var errHeartbeatNameTaken = &vigil.Error{Code: vigil.CodeConflict, Field: "name", Message: "the service already has a heartbeat with this name"}

func scanHeartbeat(row row) (*vigil.Heartbeat, error) {
	var (
		h                     vigil.Heartbeat
		interval              int64
		tags                  string
		lastPing, expiredAt   sql.NullInt64
		due, created, updated int64
	)
	if err := row.Scan(&h.ID, &h.ServiceID, &h.ServiceName, &h.Name, &h.Description, &interval, &h.IntervalUnit, &h.Enabled, &h.Expired,
		&h.AlertMessage, &tags, &h.AlertPriority, &lastPing, &due, &expiredAt, &created, &updated); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(tags), &h.AlertTags); err != nil {
		return nil, err
	}
	if h.AlertTags == nil {
		h.AlertTags = []string{}
	}
	h.Interval = int(interval)
	h.LastPingAt, h.DueAt, h.ExpiredAt = nullMicros(lastPing), fromMicros(due), nullMicros(expiredAt)
	h.CreatedAt, h.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &h, nil
}

func checkHeartbeat(h *vigil.Heartbeat) (tags string, err error) {
	h.Normalize()
	if err := h.Validate(); err != nil {
		return "", err
	}
	b, err := json.Marshal(h.AlertTags)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// CreateHeartbeat stores h; its countdown starts now. CodeInvalid,
// CodeNotFound (service), CodeConflict (name taken on the service).
func (db *DB) CreateHeartbeat(ctx context.Context, h *vigil.Heartbeat) error {
	tags, err := checkHeartbeat(h)
	if err != nil {
		return err
	}
	return db.write(ctx, func(q querier, now time.Time) error {
		var service string
		err := q.queryRow(ctx, "SELECT name FROM services WHERE id = $1", h.ServiceID).Scan(&service)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("service", h.ServiceID)
		}
		if err != nil {
			return err
		}
		due := now.Add(h.Period())
		var id int64
		err = q.queryRow(ctx, `INSERT INTO heartbeats (service_id, name, description, interval_length, interval_unit, enabled, expired,
			alert_message, alert_tags, alert_priority, due_at, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING id`,
			h.ServiceID, h.Name, h.Description, h.Interval, h.IntervalUnit, h.Enabled, false,
			h.AlertMessage, tags, h.AlertPriority, micros(due), micros(now)).Scan(&id)
		if uniqueViolation(err) {
			return errHeartbeatNameTaken
		}
		if err != nil {
			return err
		}
		h.ID, h.ServiceName, h.Expired, h.LastPingAt, h.ExpiredAt = id, service, false, nil, nil
		h.DueAt, h.CreatedAt, h.UpdatedAt = due, now, now
		return db.audit(ctx, q, now, "heartbeat.create", auditHeartbeat, id, nil, h)
	})
}

// FindHeartbeatByID returns CodeNotFound when there is none.
func (db *DB) FindHeartbeatByID(ctx context.Context, id int64) (*vigil.Heartbeat, error) {
	var h *vigil.Heartbeat
	err := db.read(ctx, func(q querier) error {
		var err error
		h, err = heartbeatByID(ctx, q, id, "")
		return err
	})
	if err != nil {
		return nil, err
	}
	return h, nil
}

// FindHeartbeatByName returns the service's heartbeat of that name.
// CodeNotFound.
func (db *DB) FindHeartbeatByName(ctx context.Context, serviceID int64, name string) (*vigil.Heartbeat, error) {
	var h *vigil.Heartbeat
	err := db.read(ctx, func(q querier) error {
		var err error
		h, err = scanHeartbeat(q.queryRow(ctx, "SELECT "+heartbeatCols+heartbeatFrom+" WHERE h.service_id = $1 AND h.name = $2", serviceID, name))
		if errors.Is(err, sql.ErrNoRows) {
			return vigil.Errorf(vigil.CodeNotFound, "heartbeat %q not found", name)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return h, nil
}

// heartbeatByID reads one heartbeat; lock is "" or the dialect's row lock.
func heartbeatByID(ctx context.Context, q querier, id int64, lock string) (*vigil.Heartbeat, error) {
	h, err := scanHeartbeat(q.queryRow(ctx, "SELECT "+heartbeatCols+heartbeatFrom+" WHERE h.id = $1"+lock, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("heartbeat", id)
	}
	return h, err
}

// FindHeartbeats lists heartbeats by service, then name, with the total
// matching count.
func (db *DB) FindHeartbeats(ctx context.Context, f vigil.HeartbeatFilter) ([]*vigil.Heartbeat, int, error) {
	var w where
	if f.ServiceID != nil {
		w.add("h.service_id = ?", *f.ServiceID)
	}
	var (
		total int
		list  = []*vigil.Heartbeat{}
	)
	err := db.read(ctx, func(q querier) error {
		if err := q.queryRow(ctx, countCapped("heartbeats h"+w.sql()), w.args...).Scan(&total); err != nil {
			return err
		}
		var err error
		list, err = queryAll(ctx, q, scanHeartbeat, "SELECT "+heartbeatCols+heartbeatFrom+w.sql()+
			" ORDER BY h.service_id, h.name, h.id"+w.page(f.Offset, f.Limit), w.args...)
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	return list, total, nil
}

// UpdateHeartbeat applies u in one transaction. A restarted countdown
// (new name, period or enabled state) clears an expiry and resolves its
// alert, under the old name. CodeNotFound, CodeInvalid, CodeConflict.
func (db *DB) UpdateHeartbeat(ctx context.Context, id int64, u vigil.HeartbeatUpdate) (*vigil.Heartbeat, error) {
	var out *vigil.Heartbeat
	actor := vigil.ActorFromContext(ctx)
	err := db.write(ctx, func(q querier, now time.Time) error {
		h, err := heartbeatByID(ctx, q, id, db.dialect.forUpdateOf("h"))
		if err != nil {
			return err
		}
		old := *h
		restart := u.Apply(h)
		tags, err := checkHeartbeat(h)
		if err != nil {
			return err
		}
		if restart {
			if err := db.resolveExpired(ctx, q, now, actor, &old); err != nil {
				return err
			}
			h.DueAt, h.Expired, h.ExpiredAt = now.Add(h.Period()), false, nil
		}
		h.UpdatedAt = now
		_, err = q.exec(ctx, `UPDATE heartbeats SET name = $1, description = $2, interval_length = $3, interval_unit = $4,
			enabled = $5, expired = $6, alert_message = $7, alert_tags = $8, alert_priority = $9, due_at = $10,
			expired_at = $11, updated_at = $12 WHERE id = $13`,
			h.Name, h.Description, h.Interval, h.IntervalUnit, h.Enabled, h.Expired, h.AlertMessage, tags, h.AlertPriority,
			micros(h.DueAt), optMicros(h.ExpiredAt), micros(now), id)
		if uniqueViolation(err) {
			return errHeartbeatNameTaken
		}
		if err != nil {
			return err
		}
		out = h
		return db.audit(ctx, q, now, "heartbeat.update", auditHeartbeat, id, &old, h)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// resolveExpired resolves the alert of h, inside the caller's transaction,
// when h had expired.
func (db *DB) resolveExpired(ctx context.Context, q querier, now time.Time, actor vigil.Actor, h *vigil.Heartbeat) error {
	if !h.Expired {
		return nil
	}
	_, err := db.applyEvent(ctx, q, now, actor, h.ResolveEvent())
	return err
}

// DeleteHeartbeat removes a heartbeat and resolves its alert when it had
// expired. CodeNotFound.
func (db *DB) DeleteHeartbeat(ctx context.Context, id int64) error {
	actor := vigil.ActorFromContext(ctx)
	return db.write(ctx, func(q querier, now time.Time) error {
		h, err := heartbeatByID(ctx, q, id, db.dialect.forUpdateOf("h"))
		if err != nil {
			return err
		}
		if err := db.resolveExpired(ctx, q, now, actor, h); err != nil {
			return err
		}
		if _, err = q.exec(ctx, "DELETE FROM heartbeats WHERE id = $1", id); err != nil {
			return err
		}
		return db.audit(ctx, q, now, "heartbeat.delete", auditHeartbeat, id, h, nil)
	})
}

// PingHeartbeat restarts the countdown at now and, when the heartbeat had
// expired, clears the expiry and resolves its alert in the same
// transaction. CodeNotFound.
func (db *DB) PingHeartbeat(ctx context.Context, id int64) (*vigil.Heartbeat, error) {
	var out *vigil.Heartbeat
	actor := vigil.ActorFromContext(ctx)
	err := db.write(ctx, func(q querier, now time.Time) error {
		// The row lock orders a ping against a concurrent expiry on
		// PostgreSQL: whichever comes second sees the other's result.
		h, err := heartbeatByID(ctx, q, id, db.dialect.forUpdateOf("h"))
		if err != nil {
			return err
		}
		if err := db.resolveExpired(ctx, q, now, actor, h); err != nil {
			return err
		}
		h.LastPingAt, h.DueAt, h.Expired, h.ExpiredAt = &now, now.Add(h.Period()), false, nil
		if _, err := q.exec(ctx, `UPDATE heartbeats SET last_ping_at = $1, due_at = $2, expired = $3, expired_at = NULL WHERE id = $4`,
			micros(now), micros(h.DueAt), false, id); err != nil {
			return err
		}
		out = h
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ExpireHeartbeats expires the enabled heartbeats due at the clock's now.
// Each expiry is one transaction: a conditional UPDATE flips expired from
// false to true, and only when it changed the row does the same
// transaction raise the alert. Two replicas sweeping at once both try the
// UPDATE; on PostgreSQL the second waits for the first's row lock, then
// finds the row expired and changes nothing; on SQLite the single writer
// runs them one after the other. A crash between the flip and the alert
// cannot happen: they commit together or not at all.
func (db *DB) ExpireHeartbeats(ctx context.Context) (int, error) {
	expired := 0
	var errs []error
	for {
		now := db.now()
		var ids []int64
		err := db.read(ctx, func(q querier) error {
			var err error
			ids, err = queryAll(ctx, q, func(r row) (int64, error) {
				var id int64
				return id, r.Scan(&id)
			}, `SELECT id FROM heartbeats WHERE enabled AND NOT expired AND due_at <= $1 ORDER BY due_at, id LIMIT `+strconv.Itoa(expireBatch), micros(now))
			return err
		})
		if err != nil {
			return expired, err
		}
		progress := false
		for _, id := range ids {
			ok, err := db.expireHeartbeat(ctx, id)
			if err != nil {
				if ctx.Err() != nil {
					return expired, err
				}
				errs = append(errs, err)
				continue
			}
			progress = true
			if ok {
				expired++
			}
		}
		// A full page with progress may have more behind it; a page where
		// every expiry failed would only fail again now.
		if len(ids) < expireBatch || !progress {
			return expired, errors.Join(errs...)
		}
	}
}

// expireHeartbeat expires one heartbeat if it is still due, reporting
// whether this call did.
func (db *DB) expireHeartbeat(ctx context.Context, id int64) (bool, error) {
	changed := false
	err := db.write(ctx, func(q querier, now time.Time) error {
		changed = false
		n, err := q.exec(ctx, `UPDATE heartbeats SET expired = $1, expired_at = $2
			WHERE id = $3 AND enabled AND NOT expired AND due_at <= $2`, true, micros(now), id)
		if err != nil || n == 0 {
			return err // pinged, disabled, deleted or expired by another replica meanwhile
		}
		h, err := heartbeatByID(ctx, q, id, "")
		if err != nil {
			return err
		}
		if _, err := db.applyEvent(ctx, q, now, heartbeatActor, h.ExpiryEvent()); err != nil {
			return err
		}
		changed = true
		return nil
	})
	return changed, err
}

// applyEvent applies one event inside the caller's write transaction with
// the code of ProcessEvents (dedup, grouping, timeline), so a heartbeat's
// change and the alert it raises or resolves commit together.
func (db *DB) applyEvent(ctx context.Context, q querier, now time.Time, actor vigil.Actor, e *vigil.Event) (vigil.EventResult, error) {
	if err := e.Validate(); err != nil {
		return vigil.EventResult{}, err
	}
	d, err := encodeEventData(e)
	if err != nil {
		return vigil.EventResult{}, err
	}
	r := &request{ctx: ctx, actor: actor, events: []*vigil.Event{e}, data: []eventData{d}}
	if err := db.applyBatch(ctx, q, now, []*request{r}); err != nil {
		return vigil.EventResult{}, err
	}
	return r.res[0], nil
}

func optMicros(t *time.Time) any {
	if t == nil {
		return nil
	}
	return micros(*t)
}
