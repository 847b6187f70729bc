package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/vigil-oss/vigil/internal/classify"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// errDryRun rolls a dry run's transaction back.
var errDryRun = errors.New("store: dry run")

// dryRunHorizon bounds the escalation a dry run follows.
const (
	dryRunHorizon  = 24 * time.Hour
	dryRunMaxSteps = 20
)

// DryRunEvent applies e at at in a transaction that is rolled back, with
// the same code as ingest and the engine, so what it shows is what would
// happen: the rules' decision, dedup, holds, grouping and the escalation
// steps with whom they page.
func (db *DB) DryRunEvent(ctx context.Context, e *vigil.Event, at time.Time) (*vigil.DryRun, error) {
	if at.IsZero() {
		at = db.now()
	}
	at = at.UTC().Truncate(time.Microsecond)
	if e == nil {
		return nil, vigil.Errorf(vigil.CodeInvalid, "event is empty")
	}
	ev := *e
	ev.Action = vigil.ActionTrigger
	data, err := prepareEvent(&ev)
	if err != nil {
		return nil, err
	}
	actor := vigil.ActorFromContext(ctx)
	var out *vigil.DryRun
	err = db.write(ctx, func(q querier, _ time.Time) error {
		out = &vigil.DryRun{At: at, Decisions: []string{}, Pages: []vigil.DryRunStep{}}
		p := db.newEventTx(ctx, q, at)
		p.liveDirty = true // nothing read here is cached for real ingest
		applied, c, err := p.classify(&ev, &data)
		if err != nil {
			return err
		}
		res := &out.Result
		res.Action, res.DedupKey = ev.Action, ev.DedupKey
		if c != nil && c.from != 0 {
			res.RoutedTo = applied.ServiceID
		}
		p.cur = c
		if err := p.trigger(applied, &data, actor, res); err != nil {
			return err
		}
		p.cur = nil
		if err := p.flush(); err != nil {
			return err
		}
		out.ServiceID = applied.ServiceID
		if svc, _, err := p.service(applied.ServiceID, false); err == nil {
			out.ServiceName = svc.name
		}
		if c != nil {
			out.Rules = ruleDecision(c.d)
		}
		out.Decisions = dryRunDecisions(out, c, &ev)
		if res.IncidentNew {
			if out.Pages, err = db.dryEscalate(ctx, q, res.IncidentID, at); err != nil {
				return err
			}
			if len(out.Pages) == 0 {
				out.Decisions = append(out.Decisions, "No one would be paged within a day (no escalation policy, or none due)")
			}
		}
		return errDryRun
	})
	if errors.Is(err, errDryRun) {
		return out, nil
	}
	return nil, err
}

// dryEscalate runs the escalation of a new incident forward in time, from
// at, as the engine would, and returns each run's lines.
func (db *DB) dryEscalate(ctx context.Context, q querier, id int64, at time.Time) ([]vigil.DryRunStep, error) {
	var steps []vigil.DryRunStep
	t := at
	for range dryRunMaxSteps {
		var next sql.NullInt64
		if err := q.queryRow(ctx, "SELECT esc_next_at FROM incidents WHERE id = $1", id).Scan(&next); err != nil {
			return nil, err
		}
		if !next.Valid {
			break
		}
		if n := fromMicros(next.Int64); n.After(t) {
			t = n
		}
		if t.Sub(at) > dryRunHorizon {
			break
		}
		due, err := queryAll(ctx, q, scanDue, sqlDueIncident, micros(t), id)
		if err != nil || len(due) == 0 {
			return steps, err
		}
		e := &escalator{db: db, ctx: ctx, q: q, now: t, services: map[int64]sql.NullInt64{}, policies: map[int64]*vigil.EscalationPolicy{},
			schedules: map[int64]*vigil.Schedule{}, targets: map[vigil.Target]resolution{}, people: map[int64]*person{}}
		if err := e.escalate(&due[0]); err != nil {
			return nil, err
		}
		step := vigil.DryRunStep{At: t, Lines: []string{}}
		for _, en := range e.entries {
			step.Lines = append(step.Lines, en.Message)
		}
		steps = append(steps, step)
		if err := e.flush(); err != nil {
			return nil, err
		}
	}
	return steps, nil
}

// dryRunDecisions says in words what ingest decided.
func dryRunDecisions(d *vigil.DryRun, c *classified, sent *vigil.Event) []string {
	var out []string
	if c == nil {
		out = append(out, "Rules: none are defined")
	} else {
		if len(c.d.Effects) == 0 {
			out = append(out, "Rules: none applied")
		}
		for _, ef := range c.d.Effects {
			out = append(out, "Rules: "+ef.String())
		}
		for _, f := range c.d.Failed {
			out = append(out, fmt.Sprintf("Rules: rule '%s' failed and was skipped: %s", f.Rule, f.Err))
		}
	}
	r := d.Result
	if r.RoutedTo != 0 {
		out = append(out, fmt.Sprintf("Routed from service %d to service %d (%s)", sent.ServiceID, r.RoutedTo, d.ServiceName))
	}
	switch {
	case !r.AlertNew && r.Held():
		out = append(out, fmt.Sprintf("Dedup: repeats held alert %d (key %q)", r.AlertID, r.DedupKey))
	case !r.AlertNew:
		out = append(out, fmt.Sprintf("Dedup: repeats firing alert %d (key %q) of incident #%d: no new page", r.AlertID, r.DedupKey, r.IncidentID))
	default:
		out = append(out, fmt.Sprintf("Dedup: a new alert (no alert with key %q is firing)", r.DedupKey))
	}
	switch {
	case r.SuppressedBy != "":
		out = append(out, fmt.Sprintf("Suppressed by rule '%s': stored, no incident, no page", r.SuppressedBy))
	case r.SilencedBy != 0:
		out = append(out, fmt.Sprintf("Silence %d holds it: stored, no incident, no page", r.SilencedBy))
	case r.HeldByWindow != 0:
		out = append(out, fmt.Sprintf("Maintenance window %d holds it: no page until the window closes", r.HeldByWindow))
	case r.InhibitedByRule != 0:
		out = append(out, fmt.Sprintf("Inhibition rule %d mutes it (firing alert %d)", r.InhibitedByRule, r.InhibitedByAlert))
	case r.PausedUntil != nil:
		out = append(out, fmt.Sprintf("The service's auto-pause holds it: it pages at %s if it still fires then", r.PausedUntil.UTC().Format(time.RFC3339)))
	case r.IncidentNew:
		out = append(out, "Opens a new incident")
	case r.AlertNew:
		out = append(out, fmt.Sprintf("Joins open incident #%d: no new page", r.IncidentID))
	}
	return out
}

func ruleDecision(d classify.Decision) vigil.RuleDecision {
	rd := vigil.RuleDecision{Level: d.Sev, Priority: d.Priority, Type: d.Type, Service: d.Service, Team: d.Team, Urgency: d.Urgency,
		Labels: d.Labels, Suppress: d.Suppress, Notify: d.Notify, Private: d.Private}
	for _, ef := range d.Effects {
		rd.Effects = append(rd.Effects, ef.String())
	}
	for _, f := range d.Failed {
		rd.Failed = append(rd.Failed, vigil.RuleFailure{Rule: f.Rule, Error: f.Err, Count: 1})
	}
	return rd
}

// BackTestRules replays the alerts first seen in the range through the
// saved rules and the changed ones.
func (db *DB) BackTestRules(ctx context.Context, in vigil.BackTestInput) (*vigil.BackTestResult, error) {
	if in.TimeZone == "" {
		in.TimeZone = "UTC"
	}
	loc, err := time.LoadLocation(in.TimeZone)
	if err != nil || in.TimeZone == "Local" {
		return nil, vigil.FieldError("time_zone", "unknown time zone %q", in.TimeZone)
	}
	changed, err := classify.Compile(in.Rules, loc)
	if err != nil {
		return nil, err
	}
	now := db.now()
	res := &vigil.BackTestResult{Until: now, Since: now.Add(-7 * 24 * time.Hour), Changes: []vigil.BackTestChange{}}
	if in.Until != nil {
		res.Until = in.Until.UTC()
	}
	if in.Since != nil {
		res.Since = in.Since.UTC()
	}
	if !res.Since.Before(res.Until) {
		return nil, vigil.FieldError("since", "must be before until")
	}
	const maxAlerts = 100_000
	limit := in.Limit
	if limit < 0 || limit > maxAlerts {
		return nil, vigil.FieldError("limit", "must be between 1 and %d", maxAlerts)
	}
	if limit == 0 {
		limit = maxAlerts
	}
	var (
		current *classify.Rules
		alerts  []*vigil.Alert
		names   = map[int64]string{}
	)
	err = db.read(ctx, func(q querier) error {
		cs, err := db.liveRules(ctx, q)
		if err != nil {
			return err
		}
		current = cs.rules
		alerts, err = queryAll(ctx, q, scanAlert, "SELECT "+alertCols+` FROM alerts WHERE first_seen >= $1 AND first_seen <= $2
			ORDER BY id LIMIT $3`, micros(res.Since), micros(res.Until), limit+1)
		if err != nil {
			return err
		}
		_, err = queryAll(ctx, q, func(r row) (struct{}, error) {
			var (
				id   int64
				name string
			)
			err := r.Scan(&id, &name)
			names[id] = name
			return struct{}{}, err
		}, "SELECT id, name FROM services")
		return err
	})
	if err != nil {
		return nil, err
	}
	if len(alerts) > limit {
		alerts, res.Truncated = alerts[:limit], true
	}
	replay := make([]classify.Alert, len(alerts))
	for i, a := range alerts {
		ca := classify.Alert{Summary: a.Summary, Severity: string(a.Severity), Source: a.Source, Service: names[a.ServiceID],
			Labels: a.Labels, At: a.FirstSeen}
		if len(a.Details) > 0 {
			_ = json.Unmarshal(a.Details, &ca.Details)
		}
		replay[i] = ca
	}
	sum, changes := classify.BackTest(current, changed, replay)
	res.Alerts, res.Changed, res.PagesAdded, res.PagesRemoved, res.Failures = sum.Alerts, sum.Changed, sum.PagesAdded, sum.PagesRemoved, sum.Failures
	for _, ch := range changes[:min(len(changes), vigil.MaxBackTestChanges)] {
		a := alerts[ch.Index]
		res.Changes = append(res.Changes, vigil.BackTestChange{AlertID: a.ID, ServiceID: a.ServiceID, Service: names[a.ServiceID],
			DedupKey: a.DedupKey, Summary: a.Summary, FirstSeen: a.FirstSeen, Fields: slices.Clone(ch.Fields),
			Before: ruleDecision(ch.Before), After: ruleDecision(ch.After)})
	}
	return res, nil
}
