package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/vigil-oss/vigil/internal/triage"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// Flap control (triage.FlapPolicy) at ingest: each resolve of an alert
// with an incident, and each new firing of a key that resolved before, is
// a state change of its (service, dedup key), kept in alert_flaps. A key
// that changes more than the policy allows is flapping: its incident
// pages once and then stays open (resolves do not resolve it, re-fires
// join it without paging) until it has been quiet for the hold time; the
// housekeeping job (ExpireAlerts) then ends the flapping and the incident
// follows the alert's last state.

const (
	sqlFlapRow = `SELECT changes, flapping, incident_id FROM alert_flaps WHERE service_id = $1 AND dedup_key = $2`

	sqlFlapSave = `INSERT INTO alert_flaps (service_id, dedup_key, changes, flapping, incident_id, settles_at)
	VALUES ($1, $2, $3, $4, $5, $6)
	ON CONFLICT (service_id, dedup_key) DO UPDATE SET changes = excluded.changes, flapping = excluded.flapping,
		incident_id = excluded.incident_id, settles_at = excluded.settles_at`

	sqlFlapsSettled = `SELECT f.service_id, f.dedup_key, f.incident_id FROM alert_flaps f
	WHERE f.flapping AND f.settles_at <= $1 ORDER BY f.settles_at LIMIT $2`
)

// flapPolicyOf is the policy of a service's flap settings.
func flapPolicyOf(f vigil.FlapSettings) triage.FlapPolicy {
	if f.Changes <= 0 {
		return triage.FlapPolicy{MaxChanges: -1}
	}
	return triage.FlapPolicy{MaxChanges: f.Changes, Window: time.Duration(f.Window), Hold: time.Duration(f.Quiet)}
}

// flapState is a key's flap record as read in this transaction.
type flapState struct {
	st       triage.FlapState
	incident sql.NullInt64
	exists   bool
}

func (p *eventTx) flapRead(service int64, key string) (*flapState, error) {
	var (
		f       flapState
		changes string
	)
	err := p.q.queryRow(p.ctx, sqlFlapRow+p.db.dialect.forUpdate(), service, key).Scan(&changes, &f.st.Flapping, &f.incident)
	if errors.Is(err, sql.ErrNoRows) {
		return &f, nil
	}
	if err != nil {
		return nil, err
	}
	f.exists = true
	var micro []int64
	if err := json.Unmarshal([]byte(changes), &micro); err != nil {
		return nil, err
	}
	for _, m := range micro {
		f.st.Changes = append(f.st.Changes, fromMicros(m))
	}
	return &f, nil
}

// flapSave records a key's state after a change, with the incident it
// keeps open.
func (p *eventTx) flapSave(pol triage.FlapPolicy, service int64, key string, st triage.FlapState, incident int64) error {
	micro := make([]int64, len(st.Changes))
	for i, c := range st.Changes {
		micro[i] = micros(c)
	}
	b, err := json.Marshal(micro)
	if err != nil {
		return err
	}
	var settles, inc any
	if st.Flapping {
		settles = micros(pol.SettlesAt(st))
	}
	if incident != 0 {
		inc = incident
	}
	_, err = p.q.exec(p.ctx, sqlFlapSave, service, key, string(b), st.Flapping, inc, settles)
	return err
}

// flapResolved records the resolve of a key's alert that has an incident
// and reports whether the key is flapping (the incident then stays open).
func (p *eventTx) flapResolved(pol triage.FlapPolicy, e *vigil.Event, incident int64, actor vigil.Actor) (bool, error) {
	f, err := p.flapRead(e.ServiceID, e.DedupKey)
	if err != nil {
		return false, err
	}
	next, started := pol.Change(f.st, p.now)
	if err := p.flapSave(pol, e.ServiceID, e.DedupKey, next, incident); err != nil {
		return false, err
	}
	if started {
		p.flapNote(pol, incident, e.DedupKey, actor)
	}
	return next.Flapping, nil
}

// flapFired records a new firing of a key that has a flap record (a key
// firing for the first time has none: nothing to read back). It returns
// the key's new state, whether to record it, and the open incident a
// flapping key's alert joins (nil: group as usual).
func (p *eventTx) flapFired(pol triage.FlapPolicy, e *vigil.Event) (triage.FlapState, bool, *openIncident, error) {
	if pol.MaxChanges < 0 {
		return triage.FlapState{}, false, nil, nil
	}
	f, err := p.flapRead(e.ServiceID, e.DedupKey)
	if err != nil || !f.exists {
		return triage.FlapState{}, false, nil, err
	}
	next, _ := pol.Change(f.st, p.now)
	if !f.st.Flapping || !f.incident.Valid {
		return next, true, nil, nil
	}
	inc := &openIncident{id: f.incident.Int64}
	err = p.q.queryRow(p.ctx, `SELECT severity FROM incidents WHERE id = $1 AND status <> 'resolved'`+p.db.dialect.forUpdate(), inc.id).Scan(&inc.sev)
	if errors.Is(err, sql.ErrNoRows) {
		return next, true, nil, nil // resolved by hand meanwhile: open a new one
	}
	if err != nil {
		return next, true, nil, err
	}
	if known := p.byID[inc.id]; known != nil {
		inc = known
	}
	p.byID[inc.id] = inc
	return next, true, inc, nil
}

func (p *eventTx) flapNote(pol triage.FlapPolicy, incident int64, key string, actor vigil.Actor) {
	p.entry(incident, actor, vigil.EntryFlapping, fmt.Sprintf("Alert %q is flapping (more than %d changes in %s): the incident stays open "+
		"and pages no more for it until it has been quiet for %s", key, pol.MaxChanges, vigil.Duration(pol.Window), vigil.Duration(pol.Hold)), nil)
}

// settleFlaps ends the flapping of keys quiet for the hold time: the
// incident each kept open follows its alert's state (resolved, if the
// service auto-resolves and no alert of it fires).
func (db *DB) settleFlaps(ctx context.Context, limit int) (int, error) {
	var n int
	err := db.write(ctx, func(q querier, now time.Time) error {
		type settled struct {
			service  int64
			key      string
			incident sql.NullInt64
		}
		rows, err := queryAll(ctx, q, func(r row) (settled, error) {
			var s settled
			return s, r.Scan(&s.service, &s.key, &s.incident)
		}, sqlFlapsSettled+db.dialect.skipLocked(), micros(now), limit)
		if err != nil || len(rows) == 0 {
			return err
		}
		p := db.newEventTx(ctx, q, now)
		for _, s := range rows {
			if _, err := q.exec(ctx, `UPDATE alert_flaps SET flapping = FALSE, settles_at = NULL WHERE service_id = $1 AND dedup_key = $2`, s.service, s.key); err != nil {
				return err
			}
			if !s.incident.Valid {
				continue
			}
			if err := p.settleIncident(s.incident.Int64, s.service, s.key); err != nil {
				return err
			}
		}
		n = len(rows)
		return p.flush()
	})
	if n > 0 {
		db.wake()
	}
	return n, err
}

// settleIncident lets the incident a settled key kept open follow its
// alerts: resolved when none fires and the service auto-resolves.
func (p *eventTx) settleIncident(id, service int64, key string) error {
	var status string
	err := p.q.queryRow(p.ctx, "SELECT status FROM incidents WHERE id = $1"+p.db.dialect.forUpdate(), id).Scan(&status)
	if errors.Is(err, sql.ErrNoRows) || status == vigil.IncidentResolved {
		return nil
	}
	if err != nil {
		return err
	}
	actor := flapActor
	var firing bool
	if err := p.q.queryRow(p.ctx, sqlAnyFiring, id).Scan(&firing); err != nil {
		return err
	}
	svc, _, err := p.service(service, false)
	if vigil.ErrorCode(err) == vigil.CodeNotFound {
		return nil
	}
	if err != nil {
		return err
	}
	if firing || !svc.autoResolve {
		p.entry(id, actor, vigil.EntryFlapping, fmt.Sprintf("Alert %q stopped flapping; the incident stays as it is", key), nil)
		return nil
	}
	if _, err := p.q.exec(p.ctx, sqlResolveIncident, vigil.IncidentResolved, micros(p.now), actor.Name, id); err != nil {
		return err
	}
	p.entry(id, actor, vigil.EntryResolved, fmt.Sprintf("Resolved automatically: alert %q stopped flapping and all of its alerts are resolved", key), nil)
	return p.db.stopEscalation(p.ctx, p.q, p.now, id, vigil.MessageResolve)
}

// flapActor is who settles flapping alerts.
var flapActor = vigil.Actor{Kind: vigil.ActorSystem, Name: "flap control", Source: vigil.SourceSystem}
