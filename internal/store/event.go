package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-oss/vigil/internal/triage"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// ProcessEvents applies events in order, atomically, through the group-commit
// batcher: results are returned only once their transaction has committed.
// CodeInvalid for an invalid event (nothing is applied), CodeNotFound for an
// unknown service, CodeUnavailable when the database cannot be reached or
// ctx ends first (a batch that committed meanwhile stays committed).
func (db *DB) ProcessEvents(ctx context.Context, events []*vigil.Event) ([]vigil.EventResult, error) {
	if len(events) == 0 {
		return []vigil.EventResult{}, nil
	}
	for _, e := range events {
		if e == nil {
			return nil, vigil.Errorf(vigil.CodeInvalid, "event is empty")
		}
		if e.ServiceID <= 0 {
			return nil, vigil.FieldError("service_id", "is required")
		}
		if e.DedupKey == "" {
			return nil, vigil.FieldError("dedup_key", "is required")
		}
		if err := e.Validate(); err != nil {
			return nil, err
		}
	}
	r := &request{ctx: ctx, actor: vigil.ActorFromContext(ctx), events: events, done: make(chan struct{})}
	if err := db.batch.submit(ctx, r); err != nil {
		return nil, err
	}
	select {
	case <-r.done:
		return r.res, r.err
	case <-ctx.Done():
		return nil, unavailable(ctx.Err())
	}
}

// eventTx applies events inside one write transaction.
type eventTx struct {
	db   *DB
	ctx  context.Context
	q    querier
	now  time.Time
	svcs map[int64]*serviceRule // this transaction's view of the services it touched
}

type serviceRule struct {
	grouping    vigil.GroupingRule
	autoResolve bool
	locked      bool // PostgreSQL: row locked FOR UPDATE in this transaction
}

// applyBatch runs every request's events in tx and fills their results.
func (db *DB) applyBatch(ctx context.Context, q querier, now time.Time, reqs []*request) error {
	p := &eventTx{db: db, ctx: ctx, q: q, now: now, svcs: map[int64]*serviceRule{}}
	for _, r := range reqs {
		r.res = make([]vigil.EventResult, len(r.events))
		for i, e := range r.events {
			res := &r.res[i]
			res.Action, res.DedupKey = e.Action, e.DedupKey
			var err error
			switch e.Action {
			case vigil.ActionTrigger:
				err = p.trigger(e, r.actor, res)
			case vigil.ActionAcknowledge:
				err = p.acknowledge(e, r.actor, res)
			case vigil.ActionResolve:
				err = p.resolve(e, r.actor, res)
			default:
				err = vigil.FieldError("action", "must be one of trigger, acknowledge, resolve")
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// service returns the grouping rule of a service. With lock set it also
// locks the service row on PostgreSQL (serializing incident creation per
// service across replicas) and reports whether this call took the lock.
func (p *eventTx) service(id int64, lock bool) (*serviceRule, bool, error) {
	s, ok := p.svcs[id]
	lock = lock && p.db.dialect == postgresDialect
	if ok && (s.locked || !lock) {
		return s, false, nil
	}
	q := "SELECT grouping_rule, auto_resolve FROM services WHERE id = $1"
	if lock {
		q += p.db.dialect.forUpdate()
	}
	var rule string
	s = &serviceRule{locked: lock}
	err := p.q.queryRow(p.ctx, q, id).Scan(&rule, &s.autoResolve)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, &vigil.Error{Code: vigil.CodeNotFound, Field: "service_id", Message: fmt.Sprintf("service %d not found", id)}
	}
	if err != nil {
		return nil, false, err
	}
	if err := json.Unmarshal([]byte(rule), &s.grouping); err != nil {
		return nil, false, err
	}
	p.svcs[id] = s
	return s, lock, nil
}

// The literal 'firing' (not a parameter) lets SQLite use the partial unique
// index alerts_firing.
const (
	sqlRepeatAlert = `UPDATE alerts SET occurrences = occurrences + 1, last_seen = $1, summary = $2, severity = $3,
		details = $4, labels = $5, links = $6, source = $7
	WHERE service_id = $8 AND dedup_key = $9 AND status = 'firing' RETURNING id, incident_id`

	// ON CONFLICT is the safety net of the race between two first triggers;
	// the service lock normally prevents it, and occurrences > 1 in the answer
	// makes the transaction start over.
	sqlInsertAlert = `INSERT INTO alerts (service_id, incident_id, integration_key_id, dedup_key, summary, details, labels, links,
		severity, source, status, first_seen, last_seen, occurrences)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'firing', $11, $11, 1)
	ON CONFLICT (service_id, dedup_key) WHERE status = 'firing' DO UPDATE SET
		occurrences = alerts.occurrences + 1, last_seen = excluded.last_seen, summary = excluded.summary,
		severity = excluded.severity, details = excluded.details, labels = excluded.labels, links = excluded.links,
		source = excluded.source
	RETURNING id, occurrences`

	sqlFiringAlert = `SELECT id, incident_id FROM alerts WHERE service_id = $1 AND dedup_key = $2 AND status = 'firing'`

	sqlResolveAlert = `UPDATE alerts SET status = 'resolved', resolved_at = $1
	WHERE service_id = $2 AND dedup_key = $3 AND status = 'firing' RETURNING id, incident_id`

	sqlOpenIncidentByKey = `SELECT id, severity FROM incidents
	WHERE service_id = $1 AND group_key = $2 AND status <> 'resolved' ORDER BY id DESC LIMIT 1`

	sqlOpenIncidentSince = `SELECT id, severity FROM incidents
	WHERE service_id = $1 AND status <> 'resolved' AND created_at >= $2 ORDER BY id DESC LIMIT 1`

	sqlJoinIncident = `UPDATE incidents SET alert_count = alert_count + 1, severity = $1, updated_at = $2 WHERE id = $3`

	sqlAnyFiring = `SELECT EXISTS (SELECT 1 FROM alerts WHERE incident_id = $1 AND status = 'firing')`
)

func (p *eventTx) trigger(e *vigil.Event, actor vigil.Actor, res *vigil.EventResult) error {
	res.Changed = true
	labels, links, details, err := encodeEventData(e)
	if err != nil {
		return err
	}
	repeat := func() (bool, error) {
		err := p.q.queryRow(p.ctx, sqlRepeatAlert,
			micros(p.now), e.Summary, string(e.Severity), details, labels, links, e.Source, e.ServiceID, e.DedupKey).
			Scan(&res.AlertID, &res.IncidentID)
		if errors.Is(err, sql.ErrNoRows) {
			return false, nil
		}
		return err == nil, err
	}
	if ok, err := repeat(); ok || err != nil {
		return err
	}
	svc, justLocked, err := p.service(e.ServiceID, true)
	if err != nil {
		return err
	}
	if justLocked {
		// Another replica may have created the alert while we waited for
		// the lock; now that we hold it, nobody else can.
		if ok, err := repeat(); ok || err != nil {
			return err
		}
	}

	// A new alert: find or open its incident.
	g := triage.Group(svc.grouping, e, p.now)
	var (
		incID  int64
		incSev vigil.Severity
	)
	if !g.New {
		q, arg := sqlOpenIncidentSince, any(micros(g.Since))
		if g.Key != "" {
			q, arg = sqlOpenIncidentByKey, g.Key
		}
		// The lock keeps a concurrent ResolveIncident from closing the
		// incident under the joining alert.
		err := p.q.queryRow(p.ctx, q+p.db.dialect.forUpdate(), e.ServiceID, arg).Scan(&incID, &incSev)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
	}
	if incID == 0 {
		title := triage.IncidentTitle(e)
		if title == "" {
			title = e.DedupKey
		}
		inc := &vigil.Incident{ServiceID: e.ServiceID, Title: title, Severity: e.Severity, Status: vigil.IncidentTriggered,
			GroupKey: g.Key, AlertCount: 1, CreatedAt: p.now, CreatedBy: actor.Name, UpdatedAt: p.now}
		if incID, err = p.db.insertIncident(p.ctx, p.q, inc); err != nil {
			return err
		}
		msg := fmt.Sprintf("Opened by alert %q, sent by %s", e.DedupKey, by(actor))
		if err := p.db.addEntry(p.ctx, p.q, incID, p.now, actor, vigil.EntryCreated, msg, nil); err != nil {
			return err
		}
		res.IncidentNew = true
	}

	var occurrences int64
	err = p.q.queryRow(p.ctx, sqlInsertAlert,
		e.ServiceID, incID, e.IntegrationKeyID, e.DedupKey, e.Summary, details, labels, links,
		string(e.Severity), e.Source, micros(p.now)).
		Scan(&res.AlertID, &occurrences)
	if err != nil {
		return err
	}
	if occurrences != 1 {
		return errRace // lost to a concurrent first trigger; start over
	}
	res.AlertNew, res.IncidentID = true, incID

	data := json.RawMessage(`{"alert_id":` + strconv.FormatInt(res.AlertID, 10) + `}`)
	msg := fmt.Sprintf("Alert %q joined (%s): %s", e.DedupKey, e.Severity, e.Summary)
	if err := p.db.addEntry(p.ctx, p.q, incID, p.now, actor, vigil.EntryAlertJoined, msg, data); err != nil {
		return err
	}
	if res.IncidentNew {
		return nil
	}
	if e.Severity.Rank() > incSev.Rank() {
		inc := &vigil.Incident{ID: incID, Severity: incSev}
		if err := p.db.changeSeverity(p.ctx, p.q, p.now, inc, e.Severity, actor, true); err != nil {
			return err
		}
		incSev = e.Severity
	}
	_, err = p.q.exec(p.ctx, sqlJoinIncident, string(incSev), micros(p.now), incID)
	return err
}

func (p *eventTx) acknowledge(e *vigil.Event, actor vigil.Actor, res *vigil.EventResult) error {
	err := p.q.queryRow(p.ctx, sqlFiringAlert, e.ServiceID, e.DedupKey).Scan(&res.AlertID, &res.IncidentID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // nothing firing: nothing to acknowledge
	}
	if err != nil {
		return err
	}
	n, err := p.q.exec(p.ctx, `UPDATE incidents SET status = 'acknowledged', acknowledged_at = $1, acknowledged_by = $2,
		updated_at = $1 WHERE id = $3 AND status = 'triggered'`, micros(p.now), actor.Name, res.IncidentID)
	if err != nil {
		return err
	}
	if n == 0 {
		return nil // already acknowledged: nothing changes
	}
	res.Changed = true
	return p.db.addEntry(p.ctx, p.q, res.IncidentID, p.now, actor, vigil.EntryAcknowledged, "Acknowledged by "+by(actor), nil)
}

func (p *eventTx) resolve(e *vigil.Event, actor vigil.Actor, res *vigil.EventResult) error {
	err := p.q.queryRow(p.ctx, sqlResolveAlert, micros(p.now), e.ServiceID, e.DedupKey).Scan(&res.AlertID, &res.IncidentID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // nothing firing: nothing to resolve
	}
	if err != nil {
		return err
	}
	res.Changed = true
	// Touching the incident also locks it on PostgreSQL, so of two replicas
	// resolving its last two alerts the second sees the first's and
	// auto-resolves.
	var status string
	err = p.q.queryRow(p.ctx, "UPDATE incidents SET updated_at = $1 WHERE id = $2 RETURNING status",
		micros(p.now), res.IncidentID).Scan(&status)
	if err != nil {
		return err
	}
	msg := fmt.Sprintf("Alert %q resolved by %s", e.DedupKey, by(actor))
	if err := p.db.addEntry(p.ctx, p.q, res.IncidentID, p.now, actor, vigil.EntryAlertResolved, msg, nil); err != nil {
		return err
	}
	if status == vigil.IncidentResolved {
		return nil
	}
	svc, _, err := p.service(e.ServiceID, false)
	if err != nil || !svc.autoResolve {
		return err
	}
	var firing bool
	if err := p.q.queryRow(p.ctx, sqlAnyFiring, res.IncidentID).Scan(&firing); err != nil || firing {
		return err
	}
	inc := &vigil.Incident{ID: res.IncidentID}
	return p.db.resolve(p.ctx, p.q, p.now, inc, actor, "Resolved automatically: all of its alerts are resolved")
}

// encodeEventData returns the JSON text of an event's labels and links
// (never null) and its details (nil, stored as NULL, when absent).
func encodeEventData(e *vigil.Event) (labels, links string, details any, err error) {
	labels, links = "{}", "[]"
	if len(e.Labels) > 0 {
		b, err := json.Marshal(e.Labels)
		if err != nil {
			return "", "", nil, err
		}
		labels = string(b)
	}
	if len(e.Links) > 0 {
		b, err := json.Marshal(e.Links)
		if err != nil {
			return "", "", nil, err
		}
		links = string(b)
	}
	if d := string(e.Details); strings.TrimSpace(d) != "" && strings.TrimSpace(d) != "null" {
		details = d
	}
	return labels, links, details, nil
}
