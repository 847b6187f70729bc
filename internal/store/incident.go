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
	"unicode/utf8"

	"github.com/vigil-oss/vigil/internal/vigil"
)

const incidentFrom = ` FROM incidents i JOIN services s ON s.id = i.service_id`

const incidentCols = `i.id, i.title, i.description, i.service_id, s.name, i.severity, i.status, i.group_key, i.alert_count,
	i.created_at, i.created_by, i.acknowledged_at, i.acknowledged_by, i.resolved_at, i.resolved_by, i.updated_at,
	i.sev_level, i.priority, i.incident_type, i.urgency, i.private`

func scanIncident(row row) (*vigil.Incident, error) {
	var (
		i                 vigil.Incident
		created, updated  int64
		acked, resolvedAt sql.NullInt64
	)
	if err := row.Scan(&i.ID, &i.Title, &i.Description, &i.ServiceID, &i.ServiceName, &i.Severity, &i.Status, &i.GroupKey,
		&i.AlertCount, &created, &i.CreatedBy, &acked, &i.AcknowledgedBy, &resolvedAt, &i.ResolvedBy, &updated,
		&i.Level, &i.Priority, &i.Type, &i.Urgency, &i.Private); err != nil {
		return nil, err
	}
	i.CreatedAt, i.UpdatedAt = fromMicros(created), fromMicros(updated)
	i.AcknowledgedAt, i.ResolvedAt = nullMicros(acked), nullMicros(resolvedAt)
	return &i, nil
}

// FindIncidentByID returns CodeNotFound when there is no such incident.
func (db *DB) FindIncidentByID(ctx context.Context, id int64) (*vigil.Incident, error) {
	var inc *vigil.Incident
	err := db.read(ctx, func(q querier) error {
		var err error
		w := visibleIncident(ctx, id)
		inc, err = scanIncident(q.queryRow(ctx, "SELECT "+incidentCols+incidentFrom+w.sql(), w.args...))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("incident", id)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return inc, nil
}

// FindIncidents lists incidents, newest first, with the total count. The
// count and the page run in parallel on two connections.
func (db *DB) FindIncidents(ctx context.Context, f vigil.IncidentFilter) ([]*vigil.Incident, int, error) {
	for _, s := range f.Statuses {
		if !slices.Contains(vigil.IncidentStatuses, s) {
			return nil, 0, vigil.FieldError("status", "must be one of %s", strings.Join(vigil.IncidentStatuses, ", "))
		}
	}
	if f.Severity != nil && !f.Severity.Valid() {
		return nil, 0, vigil.FieldError("severity", "must be one of critical, error, warning, info")
	}
	var (
		total    int
		countErr = make(chan error, 1)
	)
	go func() {
		w := incidentWhere(ctx, db.dialect, f, false)
		countErr <- db.read(ctx, func(q querier) error {
			return q.queryRow(ctx, countCapped("incidents i"+w.sql()), w.args...).Scan(&total)
		})
	}()
	list := []*vigil.Incident{}
	w := incidentWhere(ctx, db.dialect, f, db.dialect == sqliteDialect)
	err := db.read(ctx, func(q querier) error {
		var err error
		list, err = queryAll(ctx, q, scanIncident, "SELECT "+incidentCols+incidentFrom+w.sql()+" ORDER BY i.id DESC"+w.page(f.Offset, f.Limit), w.args...)
		return err
	})
	if cerr := <-countErr; err == nil {
		err = cerr
	}
	if err != nil {
		return nil, 0, err
	}
	return list, total, nil
}

// incidentWhere is the WHERE clause of f. For SQLite's page query, several
// statuses are written "+i.status IN (...)": the unary plus keeps SQLite off
// the status index, whose ranges it would have to sort, and lets it walk
// the primary key newest first and stop after one page. The context's
// viewer limits which private incidents match.
func incidentWhere(ctx context.Context, d dialect, f vigil.IncidentFilter, noStatusIndex bool) where {
	var w where
	w.visible(ctx)
	if len(f.Statuses) > 0 {
		col := "i.status"
		if noStatusIndex && len(f.Statuses) > 1 {
			col = "+i.status"
		}
		w.in(col, f.Statuses)
	}
	if f.ServiceID != nil {
		w.add("i.service_id = ?", *f.ServiceID)
	}
	if f.Severity != nil {
		w.add("i.severity = ?", string(*f.Severity))
	}
	if f.Since != nil {
		w.add("i.created_at >= ?", micros(*f.Since))
	}
	if f.Until != nil {
		w.add("i.created_at < ?", micros(*f.Until))
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		switch {
		case d == sqliteDialect && len(q) >= 3 && !strings.ContainsAny(q, `%_\`):
			// The FTS5 trigram index answers a plain LIKE (no ESCAPE
			// clause, so the text must hold no wildcard), case-insensitively.
			w.add("i.id IN (SELECT rowid FROM incidents_fts WHERE title LIKE ?)", "%"+q+"%")
		case d == sqliteDialect:
			// Short or wildcard-bearing text: a scan. SQLite's LIKE folds
			// (ASCII) case itself.
			w.add(`i.title LIKE ? ESCAPE '\'`, likeContains(q))
		default:
			// PostgreSQL folds both sides with lower(), by locale; the
			// pg_trgm index on lower(title) serves it.
			w.add(`lower(i.title) LIKE ? ESCAPE '\'`, likeContains(strings.ToLower(q)))
		}
	}
	return w
}

// CountOpenIncidents counts incidents that are not resolved.
func (db *DB) CountOpenIncidents(ctx context.Context) (int, error) {
	var n int
	err := db.read(ctx, func(q querier) error {
		return q.queryRow(ctx, "SELECT count(*) FROM incidents WHERE status IN ($1, $2)",
			vigil.IncidentTriggered, vigil.IncidentAcknowledged).Scan(&n)
	})
	return n, err
}

// DeclareIncident opens an incident by hand. CodeInvalid, CodeNotFound
// (service).
func (db *DB) DeclareIncident(ctx context.Context, d vigil.IncidentDeclaration) (*vigil.Incident, error) {
	if err := d.Validate(); err != nil {
		return nil, err
	}
	actor := vigil.ActorFromContext(ctx)
	var inc *vigil.Incident
	err := db.write(ctx, func(q querier, now time.Time) error {
		var svcName string
		err := q.queryRow(ctx, "SELECT name FROM services WHERE id = $1", d.ServiceID).Scan(&svcName)
		if errors.Is(err, sql.ErrNoRows) {
			return &vigil.Error{Code: vigil.CodeNotFound, Field: "service_id", Message: fmt.Sprintf("service %d not found", d.ServiceID)}
		}
		if err != nil {
			return err
		}
		inc = &vigil.Incident{
			Title: strings.TrimSpace(d.Title), Description: d.Description, ServiceID: d.ServiceID, ServiceName: svcName,
			Severity: d.Severity, Status: vigil.IncidentTriggered, CreatedAt: now, CreatedBy: actor.Name, UpdatedAt: now,
		}
		if inc.ID, err = db.insertIncident(ctx, q, inc); err != nil {
			return err
		}
		msg := "Declared by " + by(actor)
		if d.Description != "" {
			msg += ": " + d.Description
		}
		if err := db.audit(ctx, q, now, "incident.declare", auditIncident, inc.ID, nil, stateOf(inc)); err != nil {
			return err
		}
		return db.addEntry(ctx, q, inc.ID, now, actor, vigil.EntryCreated, msg, nil)
	})
	if err != nil {
		return nil, err
	}
	db.wake() // its first escalation step is due now
	return inc, nil
}

const (
	// A new incident of a service with an escalation policy is due for its
	// first step at once: esc_next_at is the engine's durable timer.
	sqlInsertIncident = `INSERT INTO incidents (service_id, title, description, severity, status, group_key, alert_count,
		created_at, created_by, updated_at, esc_next_at)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $8,
		(SELECT CASE WHEN s.escalation_policy_id IS NULL THEN NULL ELSE CAST($8 AS BIGINT) END FROM services s WHERE s.id = $1)) RETURNING id`

	sqlResolveIncident = `UPDATE incidents SET status = $1, resolved_at = $2, resolved_by = $3, updated_at = $2 WHERE id = $4`

	sqlInsertEntry = `INSERT INTO timeline (incident_id, at, kind, actor, actor_kind, source, message, data)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`
)

func (db *DB) insertIncident(ctx context.Context, q querier, inc *vigil.Incident) (int64, error) {
	var id int64
	err := q.queryRow(ctx, sqlInsertIncident, inc.ServiceID, inc.Title, inc.Description, string(inc.Severity), inc.Status, inc.GroupKey, inc.AlertCount,
		micros(inc.CreatedAt), inc.CreatedBy).Scan(&id)
	return id, err
}

// changeIncident runs fn on the incident, locked, in a write transaction
// and returns the incident as fn left it.
func (db *DB) changeIncident(ctx context.Context, id int64, fn func(q querier, now time.Time, inc *vigil.Incident, actor vigil.Actor) error) (*vigil.Incident, error) {
	actor := vigil.ActorFromContext(ctx)
	var inc *vigil.Incident
	err := db.write(ctx, func(q querier, now time.Time) error {
		var err error
		w := visibleIncident(ctx, id)
		inc, err = scanIncident(q.queryRow(ctx, "SELECT "+incidentCols+incidentFrom+w.sql()+db.dialect.forUpdateOf("i"), w.args...))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("incident", id)
		}
		if err != nil {
			return err
		}
		if err := fn(q, now, inc, actor); err != nil {
			return err
		}
		return noteResponder(ctx, q, id, actor)
	})
	if err != nil {
		return nil, err
	}
	db.wake()
	return inc, nil
}

// AcknowledgeIncident moves a triggered incident to acknowledged;
// acknowledging again changes nothing. CodeConflict when resolved.
func (db *DB) AcknowledgeIncident(ctx context.Context, id int64) (*vigil.Incident, error) {
	return db.changeIncident(ctx, id, func(q querier, now time.Time, inc *vigil.Incident, actor vigil.Actor) error {
		switch inc.Status {
		case vigil.IncidentResolved:
			return vigil.Errorf(vigil.CodeConflict, "incident %s is resolved; reopen it to acknowledge", inc.Number())
		case vigil.IncidentAcknowledged:
			return nil
		}
		before := stateOf(inc)
		if err := db.acknowledge(ctx, q, now, inc, actor); err != nil {
			return err
		}
		return db.audit(ctx, q, now, "incident.acknowledge", auditIncident, id, before, stateOf(inc))
	})
}

func (db *DB) acknowledge(ctx context.Context, q querier, now time.Time, inc *vigil.Incident, actor vigil.Actor) error {
	if _, err := q.exec(ctx, `UPDATE incidents SET status = $1, acknowledged_at = $2, acknowledged_by = $3, updated_at = $2
		WHERE id = $4`, vigil.IncidentAcknowledged, micros(now), actor.Name, inc.ID); err != nil {
		return err
	}
	inc.Status, inc.AcknowledgedAt, inc.AcknowledgedBy, inc.UpdatedAt = vigil.IncidentAcknowledged, &now, actor.Name, now
	if err := db.stopEscalation(ctx, q, now, inc.ID, vigil.MessageAck); err != nil {
		return err
	}
	return db.addEntry(ctx, q, inc.ID, now, actor, vigil.EntryAcknowledged, "Acknowledged by "+by(actor), nil)
}

// ResolveIncident resolves the incident and its firing alerts; resolving
// again changes nothing.
func (db *DB) ResolveIncident(ctx context.Context, id int64) (*vigil.Incident, error) {
	return db.changeIncident(ctx, id, func(q querier, now time.Time, inc *vigil.Incident, actor vigil.Actor) error {
		if inc.Status == vigil.IncidentResolved {
			return nil
		}
		n, err := q.exec(ctx, "UPDATE alerts SET status = $1, resolved_at = $2 WHERE incident_id = $3 AND status = $4",
			vigil.AlertResolved, micros(now), id, vigil.AlertFiring)
		if err != nil {
			return err
		}
		msg := "Resolved by " + by(actor)
		switch {
		case n == 1:
			msg += "; its firing alert was resolved too"
		case n > 1:
			msg += fmt.Sprintf("; its %d firing alerts were resolved too", n)
		}
		before := stateOf(inc)
		if err := db.resolve(ctx, q, now, inc, actor, msg); err != nil {
			return err
		}
		return db.audit(ctx, q, now, "incident.resolve", auditIncident, id, before, stateOf(inc))
	})
}

func (db *DB) resolve(ctx context.Context, q querier, now time.Time, inc *vigil.Incident, actor vigil.Actor, msg string) error {
	if _, err := q.exec(ctx, sqlResolveIncident, vigil.IncidentResolved, micros(now), actor.Name, inc.ID); err != nil {
		return err
	}
	inc.Status, inc.ResolvedAt, inc.ResolvedBy, inc.UpdatedAt = vigil.IncidentResolved, &now, actor.Name, now
	if err := db.stopEscalation(ctx, q, now, inc.ID, vigil.MessageResolve); err != nil {
		return err
	}
	return db.addEntry(ctx, q, inc.ID, now, actor, vigil.EntryResolved, msg, nil)
}

// ReopenIncident moves a resolved incident back to triggered, clearing its
// acknowledgement and resolution. CodeConflict when it is not resolved.
func (db *DB) ReopenIncident(ctx context.Context, id int64) (*vigil.Incident, error) {
	return db.changeIncident(ctx, id, func(q querier, now time.Time, inc *vigil.Incident, actor vigil.Actor) error {
		if inc.Status != vigil.IncidentResolved {
			return vigil.Errorf(vigil.CodeConflict, "incident %s is not resolved", inc.Number())
		}
		before := stateOf(inc)
		if _, err := q.exec(ctx, `UPDATE incidents SET status = $1, acknowledged_at = NULL, acknowledged_by = '',
			resolved_at = NULL, resolved_by = '', updated_at = $2 WHERE id = $3`, vigil.IncidentTriggered, micros(now), id); err != nil {
			return err
		}
		inc.Status, inc.UpdatedAt = vigil.IncidentTriggered, now
		inc.AcknowledgedAt, inc.AcknowledgedBy, inc.ResolvedAt, inc.ResolvedBy = nil, "", nil, ""
		if err := db.restartEscalation(ctx, q, now, id); err != nil {
			return err
		}
		if err := db.audit(ctx, q, now, "incident.reopen", auditIncident, id, before, stateOf(inc)); err != nil {
			return err
		}
		return db.addEntry(ctx, q, id, now, actor, vigil.EntryReopened, "Reopened by "+by(actor), nil)
	})
}

// UpdateIncident changes title, severity or privacy; each real change
// writes its timeline entry. CodeInvalid, CodeNotFound, CodeForbidden
// (privacy, see checkMayChangeVisibility).
func (db *DB) UpdateIncident(ctx context.Context, id int64, u vigil.IncidentUpdate) (*vigil.Incident, error) {
	if err := u.Validate(); err != nil {
		return nil, err
	}
	return db.changeIncident(ctx, id, func(q querier, now time.Time, inc *vigil.Incident, actor vigil.Actor) error {
		before := stateOf(inc)
		changed := false
		if u.Title != nil {
			if t := strings.TrimSpace(*u.Title); t != inc.Title {
				msg := fmt.Sprintf("Title changed from %q to %q by %s", inc.Title, t, by(actor))
				if err := db.addEntry(ctx, q, id, now, actor, vigil.EntryTitleChanged, msg, fromTo(inc.Title, t)); err != nil {
					return err
				}
				inc.Title, changed = t, true
			}
		}
		if u.Severity != nil && *u.Severity != inc.Severity {
			if err := db.changeSeverity(ctx, q, now, inc, *u.Severity, actor, false); err != nil {
				return err
			}
			changed = true
		}
		// A change of privacy alone is audited as such, so the audit log
		// answers "who made it private" by action.
		action := "incident.update"
		if u.Private != nil && *u.Private != inc.Private {
			if err := checkMayChangeVisibility(ctx, q, id); err != nil {
				return err
			}
			msg := "Made public by " + by(actor)
			if *u.Private {
				msg = "Made private by " + by(actor)
			}
			if err := db.addEntry(ctx, q, id, now, actor, vigil.EntryVisibility, msg, nil); err != nil {
				return err
			}
			if !changed {
				action = "incident.public"
				if *u.Private {
					action = "incident.private"
				}
			}
			inc.Private, changed = *u.Private, true
		}
		if !changed {
			return nil
		}
		inc.UpdatedAt = now
		if _, err := q.exec(ctx, "UPDATE incidents SET title = $1, severity = $2, private = $3, updated_at = $4 WHERE id = $5",
			inc.Title, string(inc.Severity), inc.Private, micros(now), id); err != nil {
			return err
		}
		return db.audit(ctx, q, now, action, auditIncident, id, before, stateOf(inc))
	})
}

// changeSeverity records a severity change on the timeline and in inc; the
// caller writes the incident row.
func (db *DB) changeSeverity(ctx context.Context, q querier, now time.Time, inc *vigil.Incident, to vigil.Severity, actor vigil.Actor, byAlert bool) error {
	msg := fmt.Sprintf("Severity changed from %s to %s by %s", inc.Severity, to, by(actor))
	if byAlert {
		msg = fmt.Sprintf("Severity raised from %s to %s by a new %s alert", inc.Severity, to, to)
	}
	if err := db.addEntry(ctx, q, inc.ID, now, actor, vigil.EntrySeverityChanged, msg, fromTo(string(inc.Severity), string(to))); err != nil {
		return err
	}
	inc.Severity = to
	return nil
}

func fromTo(from, to string) json.RawMessage {
	b, _ := json.Marshal(struct {
		From string `json:"from"`
		To   string `json:"to"`
	}{from, to})
	return b
}

// AddNote appends a note to the timeline. CodeInvalid when empty or too
// long, CodeNotFound.
func (db *DB) AddNote(ctx context.Context, id int64, body string) (*vigil.TimelineEntry, error) {
	body = strings.TrimSpace(body)
	switch {
	case body == "":
		return nil, vigil.FieldError("body", "must not be empty")
	case len(body) > vigil.MaxNoteLen:
		return nil, vigil.FieldError("body", "must be at most %d bytes", vigil.MaxNoteLen)
	case !utf8.ValidString(body):
		return nil, vigil.FieldError("body", "must be valid UTF-8")
	}
	actor := vigil.ActorFromContext(ctx)
	var e *vigil.TimelineEntry
	err := db.write(ctx, func(q querier, now time.Time) error {
		if err := checkVisible(ctx, q, id); err != nil {
			return err
		}
		n, err := q.exec(ctx, "UPDATE incidents SET updated_at = $1 WHERE id = $2", micros(now), id)
		if err != nil {
			return err
		}
		if n == 0 {
			return notFound("incident", id)
		}
		if err := noteResponder(ctx, q, id, actor); err != nil {
			return err
		}
		e = &vigil.TimelineEntry{IncidentID: id, At: now, Kind: vigil.EntryNote, Actor: actor.Name, ActorKind: actor.Kind,
			Source: actor.Source, Message: body}
		return db.insertEntry(ctx, q, e)
	})
	if err != nil {
		return nil, err
	}
	return e, nil
}

// addEntry appends a timeline entry. The timeline is append-only: nothing
// in this package updates or deletes an entry.
func (db *DB) addEntry(ctx context.Context, q querier, incidentID int64, now time.Time, a vigil.Actor, kind, msg string, data json.RawMessage) error {
	return db.insertEntry(ctx, q, &vigil.TimelineEntry{IncidentID: incidentID, At: now, Kind: kind,
		Actor: a.Name, ActorKind: a.Kind, Source: a.Source, Message: msg, Data: data})
}

func (db *DB) insertEntry(ctx context.Context, q querier, e *vigil.TimelineEntry) error {
	var data any
	if len(e.Data) > 0 {
		data = string(e.Data)
	}
	return q.queryRow(ctx, sqlInsertEntry, e.IncidentID, micros(e.At), e.Kind, e.Actor, e.ActorKind, e.Source, e.Message, data).Scan(&e.ID)
}

// insertEntries appends entries in order, several rows per statement. Row
// counts are powers of two so SQLite can keep each statement prepared.
func (db *DB) insertEntries(ctx context.Context, q querier, entries []*vigil.TimelineEntry) error {
	for len(entries) > 0 {
		n := maxEntryRows
		for n > len(entries) {
			n /= 2
		}
		args := make([]any, 0, 8*n)
		for _, e := range entries[:n] {
			var data any
			if len(e.Data) > 0 {
				data = string(e.Data)
			}
			args = append(args, e.IncidentID, micros(e.At), e.Kind, e.Actor, e.ActorKind, e.Source, e.Message, data)
		}
		if _, err := q.exec(ctx, insertEntriesSQL(db.dialect, n), args...); err != nil {
			return err
		}
		entries = entries[n:]
	}
	return nil
}

const maxEntryRows = 64

// insertEntriesSQL inserts n timeline rows, for n a power of two up to
// maxEntryRows. SQLite gets anonymous ? placeholders: it looks up the name
// of each numbered parameter by a linear scan, quadratic in a long VALUES
// list.
func insertEntriesSQL(d dialect, n int) string { return sqlInsertEntries[d][n] }

var sqlInsertEntries = map[dialect]map[int]string{
	sqliteDialect:   multiRowInsert(sqliteDialect),
	postgresDialect: multiRowInsert(postgresDialect),
}

func multiRowInsert(d dialect) map[int]string {
	m := map[int]string{}
	for n := 1; n <= maxEntryRows; n *= 2 {
		var b strings.Builder
		b.WriteString("INSERT INTO timeline (incident_id, at, kind, actor, actor_kind, source, message, data) VALUES ")
		for i := range n {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(")
			for j := range 8 {
				if j > 0 {
					b.WriteString(", ")
				}
				if d == sqliteDialect {
					b.WriteString("?")
				} else {
					fmt.Fprintf(&b, "$%d", i*8+j+1)
				}
			}
			b.WriteString(")")
		}
		m[n] = b.String()
	}
	return m
}

// FindTimeline returns the incident's timeline, oldest first. CodeNotFound.
func (db *DB) FindTimeline(ctx context.Context, id int64) ([]*vigil.TimelineEntry, error) {
	list := []*vigil.TimelineEntry{}
	err := db.read(ctx, func(q querier) error {
		if err := checkVisible(ctx, q, id); err != nil {
			return err
		}
		rows, err := q.query(ctx, `SELECT id, incident_id, at, kind, actor, actor_kind, source, message, data
			FROM timeline WHERE incident_id = $1 ORDER BY id`, id)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				e    vigil.TimelineEntry
				at   int64
				data sql.NullString
			)
			if err := rows.Scan(&e.ID, &e.IncidentID, &at, &e.Kind, &e.Actor, &e.ActorKind, &e.Source, &e.Message, &data); err != nil {
				return err
			}
			e.At = fromMicros(at)
			if data.Valid {
				e.Data = json.RawMessage(data.String)
			}
			list = append(list, &e)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return list, nil
}
