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
	return db.processEvents(ctx, events, nil)
}

// ProcessEventsRecorded is ProcessEvents plus, in the same transaction, the
// ingest request record that complete makes from the results (so a sender's
// create and its request status cost one commit, not two). complete runs
// on the writer: it must be quick and only read its argument. A record it
// makes that is invalid, or whose id is taken, fails this request alone.
func (db *DB) ProcessEventsRecorded(ctx context.Context, events []*vigil.Event, complete func([]vigil.EventResult) *vigil.IngestRequest) ([]vigil.EventResult, error) {
	if len(events) == 0 || complete == nil {
		return nil, vigil.Errorf(vigil.CodeInvalid, "events and a record are required")
	}
	return db.processEvents(ctx, events, complete)
}

func (db *DB) processEvents(ctx context.Context, events []*vigil.Event, complete func([]vigil.EventResult) *vigil.IngestRequest) ([]vigil.EventResult, error) {
	data := make([]eventData, len(events))
	for i, e := range events {
		var err error
		if data[i], err = prepareEvent(e); err != nil {
			return nil, err
		}
	}
	// A sender must hear back within a bounded time even when the database
	// hangs (catalog A9): past maxEventWait it gets CodeUnavailable, and the
	// writer skips the request if it has not started it yet.
	ctx, cancel := context.WithTimeout(ctx, maxEventWait)
	defer cancel()
	r := &request{ctx: ctx, actor: vigil.ActorFromContext(ctx), events: events, data: data, complete: complete, done: make(chan struct{})}
	if err := db.batch.submit(ctx, r); err != nil {
		return nil, err
	}
	select {
	case <-r.done:
		if r.err == nil {
			for _, res := range r.res {
				if res.IncidentNew || (res.Changed && res.Action != vigil.ActionTrigger) {
					db.wake()
					break
				}
			}
		}
		return r.res, r.err
	case <-ctx.Done():
		return nil, unavailable(ctx.Err())
	}
}

// prepareEvent checks an event and encodes its data.
func prepareEvent(e *vigil.Event) (eventData, error) {
	if e == nil {
		return eventData{}, vigil.Errorf(vigil.CodeInvalid, "event is empty")
	}
	if e.ServiceID <= 0 {
		return eventData{}, vigil.FieldError("service_id", "is required")
	}
	if e.DedupKey == "" {
		return eventData{}, vigil.FieldError("dedup_key", "is required")
	}
	if err := e.Validate(); err != nil {
		return eventData{}, err
	}
	d, err := encodeEventData(e)
	if err != nil {
		return eventData{}, vigil.FieldError("labels", "cannot be encoded: %v", err)
	}
	return d, nil
}

// maxEventWait bounds how long ProcessEvents waits for its transaction. A
// request that times out while its batch commits may still be committed:
// the sender retries, and dedup makes the retry a repeat, not a duplicate.
const maxEventWait = 8 * time.Second

// eventTx applies events inside one write transaction. To keep the number
// of statements per new alert near one, it remembers within the batch which
// incident each grouping leads to, and defers the incident counters and the
// timeline entries to one flush at the end (same transaction, same order).
type eventTx struct {
	db   *DB
	ctx  context.Context
	q    querier
	now  time.Time
	svcs map[int64]*serviceRule // this transaction's view of the services it touched

	groups  map[groupKey]*openIncident // where new alerts of a grouping go
	touched []*openIncident            // incidents that alerts joined or raised, to flush
	byID    map[int64]*openIncident    // every incident this transaction has looked at
	entries []*vigil.TimelineEntry     // timeline entries, in order, to flush

	live      *silenceSet            // the live silences, loaded on first use
	liveDirty bool                   // this transaction changed a silence: reload, and do not cache
	matched   map[int64]*liveSilence // silences that held alerts, for last_matched_at

	holds     *holdSet              // maintenance windows and inhibition rules, loaded on first use
	winOpen   map[int64]windowState // whether each window asked about is open at now
	svcWin    map[int64]windowPick  // the open window of each service's windows without matchers
	srcLoaded bool                  // srcIDs and srcLabels are loaded (hold.go)
	srcIDs    []int64               // the firing alerts that can mute others
	srcLabels []map[string]string   // and their labels

	rules  *classSet               // the classification rules, loaded on first use (classification.go)
	cur    *classified             // what they decided for the trigger being applied
	routes map[string]int64        // route targets looked up in this transaction
	failed map[string]*ruleFailure // rules that failed, to flush

	storm map[int64]int // incidents each service opened within its storm window
}

type serviceRule struct {
	id          int64
	name        string
	grouping    vigil.GroupingRule
	autoResolve bool
	flap        triage.FlapPolicy // MaxChanges < 0: off
	autoPause   time.Duration     // 0: off
	locked      bool              // PostgreSQL: row locked FOR UPDATE in this transaction
}

// groupKey is a grouping decision of one service: a group key, or "" for
// the time window (the same for every event of the transaction: one now).
type groupKey struct {
	service int64
	key     string
}

type openIncident struct {
	id      int64
	sev     vigil.Severity
	joined  int64 // alerts joined in this transaction
	touched bool  // in eventTx.touched
}

func (db *DB) newEventTx(ctx context.Context, q querier, now time.Time) *eventTx {
	return &eventTx{db: db, ctx: ctx, q: q, now: now, svcs: map[int64]*serviceRule{}, groups: map[groupKey]*openIncident{}, byID: map[int64]*openIncident{}}
}

// applyBatch runs every request's events in q and fills their results.
func (db *DB) applyBatch(ctx context.Context, q querier, now time.Time, reqs []*request) error {
	p := db.newEventTx(ctx, q, now)
	for _, r := range reqs {
		r.res = make([]vigil.EventResult, len(r.events))
		for i, e := range r.events {
			res := &r.res[i]
			res.Action, res.DedupKey = e.Action, e.DedupKey
			var err error
			switch e.Action {
			case vigil.ActionTrigger:
				var c *classified
				ev := e
				if ev, c, err = p.classify(e, &r.data[i]); err == nil {
					p.cur = c
					if c != nil && c.from != 0 {
						res.RoutedTo = ev.ServiceID
					}
					err = p.trigger(ev, &r.data[i], r.actor, res)
					p.cur = nil
				}
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
		if r.complete != nil {
			r.record = r.complete(r.res)
			if err := validateIngestRequest(r.record); err != nil {
				return err
			}
		}
		if r.record != nil {
			if err := insertIngestRequest(ctx, q, now, r.record); err != nil {
				return err
			}
		}
	}
	return p.flush()
}

// entry queues a timeline entry for the flush.
func (p *eventTx) entry(incidentID int64, a vigil.Actor, kind, msg string, data json.RawMessage) {
	p.entries = append(p.entries, &vigil.TimelineEntry{IncidentID: incidentID, At: p.now, Kind: kind,
		Actor: a.Name, ActorKind: a.Kind, Source: a.Source, Message: msg, Data: data})
}

// flush writes the joined-alert counters and severities of the incidents,
// the queued timeline entries and when silences last held an alert.
func (p *eventTx) flush() error {
	for _, inc := range p.touched {
		if _, err := p.q.exec(p.ctx, sqlJoinIncident, inc.joined, string(inc.sev), micros(p.now), inc.id); err != nil {
			return err
		}
	}
	if err := p.db.insertEntries(p.ctx, p.q, p.entries); err != nil {
		return err
	}
	if err := p.flushFailures(); err != nil {
		return err
	}
	return flushMatched(p.ctx, p.q, p.now, p.matched)
}

// silenceFor returns the active silence that holds alerts like e, or nil.
// The silences are loaded once per transaction (from the cache when they
// did not change); matching is in memory.
func (p *eventTx) silenceFor(e *vigil.Event) (*liveSilence, error) {
	if p.live == nil {
		set, err := p.db.liveSilences(p.ctx, p.q, p.now, !p.liveDirty)
		if err != nil {
			return nil, err
		}
		p.live = set
	}
	return p.live.match(e.ServiceID, vigil.AlertLabels{Labels: e.Labels, Summary: e.Summary, Severity: e.Severity}, micros(p.now)), nil
}

// silenced records that sil held an alert (for its last_matched_at).
func (p *eventTx) silenced(sil *liveSilence) {
	if p.matched == nil {
		p.matched = map[int64]*liveSilence{}
	}
	p.matched[sil.id] = sil
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
	q := sqlServiceRule
	if lock {
		q += p.db.dialect.forUpdate()
	}
	var (
		rule  string
		flap  sql.NullString
		pause int64
	)
	s = &serviceRule{locked: lock}
	s.id = id
	err := p.q.queryRow(p.ctx, q, id).Scan(&rule, &s.autoResolve, &s.name, &flap, &pause)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, &vigil.Error{Code: vigil.CodeNotFound, Field: "service_id", Message: fmt.Sprintf("service %d not found", id)}
	}
	if err != nil {
		return nil, false, err
	}
	if err := json.Unmarshal([]byte(rule), &s.grouping); err != nil {
		return nil, false, err
	}
	s.flap, s.autoPause = p.db.flap, time.Duration(pause)*time.Microsecond
	if flap.Valid {
		var f vigil.FlapSettings
		if err := json.Unmarshal([]byte(flap.String), &f); err != nil {
			return nil, false, err
		}
		s.flap = flapPolicyOf(f)
	}
	p.svcs[id] = s
	return s, lock, nil
}

// The literal 'firing' (not a parameter) lets SQLite use the partial unique
// index alerts_firing.
const (
	sqlRepeatAlert = `UPDATE alerts SET occurrences = occurrences + 1, last_seen = $1, summary = $2, severity = $3,
		details = $4, labels = $5, links = $6, source = $7, ends_at = $10, inhibit_source = $11
	WHERE service_id = $8 AND dedup_key = $9 AND status = 'firing' RETURNING id, incident_id, ` + holdCols

	// ON CONFLICT turns the insert into a repeat when the alert is already
	// firing (occurrences > 1 in the answer; incident_id NULL when a
	// silence holds it). On the slow path it is the safety net of the race
	// between two first triggers, which the service lock normally prevents.
	sqlInsertAlert = `INSERT INTO alerts (service_id, incident_id, integration_key_id, dedup_key, summary, details, labels, links,
		severity, source, status, first_seen, last_seen, occurrences, ends_at, inhibit_source)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'firing', $11, $11, 1, $12, $13)
	ON CONFLICT (service_id, dedup_key) WHERE status = 'firing' DO UPDATE SET
		occurrences = alerts.occurrences + 1, last_seen = excluded.last_seen, summary = excluded.summary,
		severity = excluded.severity, details = excluded.details, labels = excluded.labels, links = excluded.links,
		source = excluded.source, ends_at = excluded.ends_at, inhibit_source = excluded.inhibit_source
	RETURNING id, incident_id, occurrences`

	// A new alert a silence, a window or an inhibition holds: stored
	// without an incident, with what holds it and the sender's group key
	// (for when the hold ends).
	sqlInsertHeldAlert = `INSERT INTO alerts (service_id, incident_id, integration_key_id, dedup_key, summary, details, labels, links,
		severity, source, status, first_seen, last_seen, occurrences, ends_at, group_key, inhibit_source, ` + holdCols + `)
	VALUES ($1, NULL, $2, $3, $4, $5, $6, $7, $8, $9, 'firing', $10, $10, 1, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)
	ON CONFLICT (service_id, dedup_key) WHERE status = 'firing' DO UPDATE SET
		occurrences = alerts.occurrences + 1, last_seen = excluded.last_seen
	RETURNING id, occurrences`

	sqlHeldAlert = `SELECT id, summary, labels, severity, group_key, source, details, ` + holdCols + ` FROM alerts
	WHERE service_id = $1 AND dedup_key = $2 AND status = 'firing' AND incident_id IS NULL`

	sqlAttachAlert = `UPDATE alerts SET incident_id = $1, silenced_by = NULL, held_by_window = NULL, held_until = NULL,
		inhibited_by_rule = NULL, inhibited_by_alert = NULL, suppressed_by = NULL, paused_until = NULL WHERE id = $2 AND incident_id IS NULL`

	sqlFiringAlert = `SELECT id, incident_id FROM alerts WHERE service_id = $1 AND dedup_key = $2 AND status = 'firing'`

	sqlResolveAlert = `UPDATE alerts SET status = 'resolved', resolved_at = $1
	WHERE service_id = $2 AND dedup_key = $3 AND status = 'firing' RETURNING id, incident_id, ` + holdCols

	// An expiry resolves only an alert whose ends_at is still past: a
	// re-send committed since the sweep chose it has moved ends_at on.
	sqlExpireAlert = `UPDATE alerts SET status = 'resolved', resolved_at = $1
	WHERE service_id = $2 AND dedup_key = $3 AND status = 'firing' AND ends_at IS NOT NULL AND ends_at <= $1
	RETURNING id, incident_id, ` + holdCols

	sqlExpiredAlerts = `SELECT service_id, dedup_key FROM alerts
	WHERE status = 'firing' AND ends_at IS NOT NULL AND ends_at <= $1 ORDER BY ends_at LIMIT $2`

	sqlOpenIncidentByKey = `SELECT id, severity FROM incidents
	WHERE service_id = $1 AND group_key = $2 AND status <> 'resolved' ORDER BY id DESC LIMIT 1`

	// Storm protection counts the service's recent incidents and joins
	// its newest open one.
	sqlStormCount         = `SELECT count(*) FROM incidents WHERE service_id = $1 AND created_at >= $2`
	sqlNewestOpenIncident = `SELECT id, severity FROM incidents WHERE service_id = $1 AND status <> 'resolved' ORDER BY id DESC LIMIT 1`

	sqlOpenIncidentSince = `SELECT id, severity FROM incidents
	WHERE service_id = $1 AND status <> 'resolved' AND created_at >= $2 ORDER BY id DESC LIMIT 1`

	// Alerts only ever raise an incident's severity, and in SQL, so a
	// concurrent raise by another replica is never lowered again.
	sqlJoinIncident = `UPDATE incidents SET alert_count = alert_count + $1, updated_at = $3,
		severity = CASE WHEN ` + rankOfParam2 + ` > ` + rankOfSeverity + ` THEN $2 ELSE severity END
	WHERE id = $4`

	// The rank of a severity, as vigil.Severity.Rank, in SQL.
	rankOfParam2   = `(CASE $2 WHEN 'critical' THEN 4 WHEN 'error' THEN 3 WHEN 'warning' THEN 2 ELSE 1 END)`
	rankOfSeverity = `(CASE severity WHEN 'critical' THEN 4 WHEN 'error' THEN 3 WHEN 'warning' THEN 2 ELSE 1 END)`

	sqlAnyFiring = `SELECT EXISTS (SELECT 1 FROM alerts WHERE incident_id = $1 AND status = 'firing')`

	sqlAckIncident = `UPDATE incidents SET status = 'acknowledged', acknowledged_at = $1, acknowledged_by = $2, updated_at = $1
	WHERE id = $3 AND status = 'triggered'`

	sqlTouchIncident = `UPDATE incidents SET updated_at = $1 WHERE id = $2 RETURNING status`

	sqlServiceRule = `SELECT grouping_rule, auto_resolve, name, flap_policy, auto_pause FROM services WHERE id = $1`

	sqlIncidentSeverity = `SELECT severity FROM incidents WHERE id = $1`
)

// hotStatements are prepared once on SQLite's writer connection at open.
func hotStatements() []string {
	list := []string{
		sqlRepeatAlert, sqlInsertAlert, sqlFiringAlert, sqlResolveAlert, sqlExpireAlert, sqlOpenIncidentByKey, sqlOpenIncidentSince,
		sqlJoinIncident, sqlAnyFiring, sqlAckIncident, sqlTouchIncident, sqlServiceRule, sqlInsertIncident, sqlInsertEntry,
		sqlResolveIncident, sqlIncidentSeverity, sqlSilenceVersion, sqlHoldVersion, sqlInhibitSources,
	}
	for _, q := range sqlInsertEntries[sqliteDialect] {
		list = append(list, q)
	}
	return list
}

// trigger applies a trigger event, then keeps the transaction's list of
// inhibition sources (when loaded) in step with the alert.
func (p *eventTx) trigger(e *vigil.Event, d *eventData, actor vigil.Actor, res *vigil.EventResult) error {
	// What would hold this alert if it is new. Decided first, in memory
	// (but for the sources of an inhibition, read once per transaction),
	// so a new alert that is held never joins an incident.
	dec, err := p.holdFor(e, 0)
	if err != nil {
		return err
	}
	if rule := p.cur.suppressedBy(); rule != "" {
		dec.hold = hold{suppress: rule}
	}
	if dec.hold.none() {
		// Auto-pause, if the alert is new (heldRepeat works out the pause
		// of one that fired before from when it first fired).
		svc, _, err := p.service(e.ServiceID, false)
		if err != nil {
			return err
		}
		dec.hold = p.pauseOf(svc, p.now)
	}
	if err := p.apply(e, d, dec, actor, res); err != nil {
		return err
	}
	p.noteSource(res.AlertID, dec)
	return nil
}

// apply stores the trigger: a repeat, a new held alert, or a new alert
// that opens or joins its incident.
func (p *eventTx) apply(e *vigil.Event, d *eventData, dec decision, actor vigil.Actor, res *vigil.EventResult) error {
	res.Changed = true
	labels, links, details, endsAt := d.labels, d.links, d.details, d.endsAt
	var keyID any // a plain value spares database/sql reflecting on a pointer
	if e.IntegrationKeyID != nil {
		keyID = *e.IntegrationKeyID
	}
	h := dec.hold
	upsert := func(inc *openIncident) (occurrences int64, held bool, err error) {
		var incident sql.NullInt64
		err = p.q.queryRow(p.ctx, sqlInsertAlert,
			e.ServiceID, inc.id, keyID, e.DedupKey, e.Summary, details, labels, links,
			string(e.Severity), e.Source, micros(p.now), endsAt, dec.source).
			Scan(&res.AlertID, &incident, &occurrences)
		res.IncidentID = incident.Int64
		return occurrences, !incident.Valid, err
	}

	// Fast path: this batch already knows the incident a new alert of this
	// grouping joins, so one upsert does it, new alert or repeat.
	if svc, ok := p.svcs[e.ServiceID]; ok && h.none() && (svc.locked || p.db.dialect == sqliteDialect) {
		if g := triage.Group(svc.grouping, e, p.now); !g.New {
			if inc := p.groups[groupKey{e.ServiceID, g.Key}]; inc != nil {
				n, held, err := upsert(inc)
				if err != nil {
					return err
				}
				if held { // a repeat of a held alert, and nothing holds it now
					return p.heldRepeat(e, actor, res, heldAs{}, h)
				}
				if n > 1 { // a repeat of a firing alert
					p.raise(inc, e, actor)
					return nil
				}
				return p.join(inc, e, actor, res)
			}
		}
	}

	// repeat updates the firing alert of the key, if there is one, and
	// answers whether it did.
	repeat := func() (bool, error) {
		var (
			incident sql.NullInt64
			prev     heldAs
		)
		err := p.q.queryRow(p.ctx, sqlRepeatAlert,
			micros(p.now), e.Summary, string(e.Severity), details, labels, links, e.Source, e.ServiceID, e.DedupKey, endsAt, dec.source).
			Scan(append([]any{&res.AlertID, &incident}, prev.dest()...)...)
		if errors.Is(err, sql.ErrNoRows) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		if !incident.Valid {
			if h.rule != 0 && h.source == res.AlertID {
				// Muted by itself (sources were read before the repeat
				// told us which alert this is): decide again without it.
				again, err := p.holdFor(e, res.AlertID)
				if err != nil {
					return true, err
				}
				h = again.hold
			}
			return true, p.heldRepeat(e, actor, res, prev, h)
		}
		res.IncidentID = incident.Int64
		return true, p.raiseRepeat(res.IncidentID, e, actor)
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

	if !h.none() {
		// A new alert that is held: stored and visible, but no incident
		// and no page.
		var n int64
		args := append([]any{e.ServiceID, keyID, e.DedupKey, e.Summary, details, labels, links,
			string(e.Severity), e.Source, micros(p.now), endsAt, e.GroupKey, dec.source}, h.columns()...)
		if err := p.q.queryRow(p.ctx, sqlInsertHeldAlert, args...).Scan(&res.AlertID, &n); err != nil {
			return err
		}
		if n != 1 {
			return errRace
		}
		res.AlertNew = true
		h.result(res)
		if h.silence != nil {
			p.silenced(h.silence)
		}
		return nil
	}

	// A new alert: find or open its incident (or, in a storm, join the
	// newest open one).
	g := triage.Group(svc.grouping, e, p.now)
	inc, err := p.findIncident(e.ServiceID, g)
	if err != nil {
		return err
	}
	// A key that fired before: a flap state change; while it flaps, its
	// alert joins the incident the flapping keeps open.
	flapSt, flapTracked, flapInc, err := p.flapFired(svc.flap, e)
	if err != nil {
		return err
	}
	storm := ""
	if flapInc != nil {
		inc = flapInc
	}
	if inc == nil {
		if inc, storm, err = p.stormIncident(e.ServiceID, svc.grouping); err != nil {
			return err
		}
	}
	if inc == nil {
		if inc, err = p.openIncident(e, g, actor); err != nil {
			return err
		}
		res.IncidentNew = true
	}
	n, held, err := upsert(inc)
	if err != nil {
		return err
	}
	if n != 1 || held {
		return errRace // lost to a concurrent first trigger; start over
	}
	if flapTracked { // never with flap control off (flapFired)
		if err := p.flapSave(svc.flap, e.ServiceID, e.DedupKey, flapSt, inc.id); err != nil {
			return err
		}
	}
	switch {
	case flapInc != nil:
		res.AlertNew, res.IncidentID = true, inc.id
		return p.joinAs(inc, e, actor, res.AlertID, fmt.Sprintf("Alert %q fired again while flapping: joined, no new page; %s", e.DedupKey, e.Summary))
	case storm != "":
		res.AlertNew, res.IncidentID = true, inc.id
		return p.joinAs(inc, e, actor, res.AlertID, fmt.Sprintf("Alert %q joined (%s) by storm protection: %s; %s", e.DedupKey, e.Severity, storm, e.Summary))
	}
	return p.join(inc, e, actor, res)
}

// stormIncident returns the service's newest open incident when the
// service has opened its storm limit of incidents within the limit's
// window, with the reason for the timeline; nil otherwise. The count is
// read once per transaction and kept up to date as it opens incidents.
func (p *eventTx) stormIncident(serviceID int64, grouping vigil.GroupingRule) (*openIncident, string, error) {
	lim := grouping.StormOrDefault()
	if lim.Incidents <= 0 {
		return nil, "", nil
	}
	if p.storm == nil {
		p.storm = map[int64]int{}
	}
	n, ok := p.storm[serviceID]
	if !ok {
		since := p.now.Add(-time.Duration(lim.Window))
		if err := p.q.queryRow(p.ctx, sqlStormCount, serviceID, micros(since)).Scan(&n); err != nil {
			return nil, "", err
		}
		p.storm[serviceID] = n
	}
	if n < lim.Incidents {
		return nil, "", nil
	}
	inc := &openIncident{}
	err := p.q.queryRow(p.ctx, sqlNewestOpenIncident+p.db.dialect.forUpdate(), serviceID).Scan(&inc.id, &inc.sev)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, "", nil
	}
	if err != nil {
		return nil, "", err
	}
	if known := p.byID[inc.id]; known != nil {
		inc = known
	}
	p.byID[inc.id] = inc
	return inc, fmt.Sprintf("the service opened %d incidents in the last %s", n, lim.Window), nil
}

// heldRepeat handles a repeat of an alert that was held when it started
// (its row is already updated, and locked on PostgreSQL; prev is the hold
// its row records). While something holds it (h), it stays held, by that;
// otherwise its hold ended or no longer applies to its labels, and the
// alert opens or joins its incident now, as a new alert would, without
// waiting for the sweep.
func (p *eventTx) heldRepeat(e *vigil.Event, actor vigil.Actor, res *vigil.EventResult, prev heldAs, h hold) error {
	res.IncidentID = 0
	if h.none() || h.pause != 0 {
		var err error
		if h, err = p.pauseExisting(e.ServiceID, res.AlertID); err != nil {
			return err
		}
	}
	if !h.none() {
		return p.setHold(res.AlertID, prev, h, res)
	}
	_, err := p.attach(e, res.AlertID, actor, res,
		fmt.Sprintf("Alert %q joined (%s) when %s: %s", e.DedupKey, e.Severity, prev.ended(), e.Summary))
	return err
}

// attach moves a held alert (id) into the incident of its grouping,
// opening one when there is none, and reports whether it opened one.
func (p *eventTx) attach(e *vigil.Event, id int64, actor vigil.Actor, res *vigil.EventResult, msg string) (bool, error) {
	svc, _, err := p.service(e.ServiceID, true)
	if err != nil {
		return false, err
	}
	g := triage.Group(svc.grouping, e, p.now)
	inc, err := p.findIncident(e.ServiceID, g)
	if err != nil {
		return false, err
	}
	opened := false
	if inc == nil {
		if inc, err = p.openIncident(e, g, actor); err != nil {
			return false, err
		}
		opened = true
	}
	n, err := p.q.exec(p.ctx, sqlAttachAlert, inc.id, id)
	if err != nil {
		return false, err
	}
	if n != 1 {
		return false, errRace // another replica attached it first; start over
	}
	res.AlertID, res.IncidentID, res.IncidentNew = id, inc.id, opened
	hold{}.result(res)
	if opened {
		// The rules' decision is already the incident's (openIncident).
		p.joinEntry(inc, e, actor, res.AlertID, msg)
		return true, nil
	}
	return false, p.joinAs(inc, e, actor, res.AlertID, msg)
}

// release attaches the held alert of (service, key) to its incident when
// nothing holds it any more (its silence ended, its window closed, what
// muted it stopped firing); when something else does, that holds it now.
// It reports whether it opened an incident. An alert whose service was
// deleted meanwhile is resolved.
func (p *eventTx) release(serviceID int64, key string, actor vigil.Actor) (bool, error) {
	var (
		id                          int64
		summary, labels, gk, source string
		details                     sql.NullString
		sev                         vigil.Severity
		prev                        heldAs
	)
	err := p.q.queryRow(p.ctx, sqlHeldAlert+p.db.dialect.forUpdate(), serviceID, key).
		Scan(append([]any{&id, &summary, &labels, &sev, &gk, &source, &details}, prev.dest()...)...)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil // resolved, or released by another replica
	}
	if err != nil {
		return false, err
	}
	e := &vigil.Event{ServiceID: serviceID, Action: vigil.ActionTrigger, DedupKey: key, Summary: summary, Severity: sev, GroupKey: gk, Source: source}
	if err := json.Unmarshal([]byte(labels), &e.Labels); err != nil {
		return false, err
	}
	if details.Valid {
		e.Details = json.RawMessage(details.String)
	}
	dec, err := p.holdFor(e, id)
	if err != nil {
		return false, err
	}
	// The incident it opens is classified as the alert is now (its
	// stored labels already carry what rules added; it stays where it
	// was routed).
	_, c, err := p.classify(e, &eventData{})
	if err != nil {
		return false, err
	}
	if c != nil {
		c.from = 0
	}
	if rule := c.suppressedBy(); rule != "" {
		dec.hold = hold{suppress: rule}
	}
	p.cur = c
	defer func() { p.cur = nil }()
	res := &vigil.EventResult{AlertID: id}
	if !dec.hold.none() {
		return false, p.setHold(id, prev, dec.hold, res)
	}
	if _, _, err := p.service(serviceID, true); vigil.ErrorCode(err) == vigil.CodeNotFound {
		_, err := p.q.exec(p.ctx, "UPDATE alerts SET status = 'resolved', resolved_at = $1 WHERE id = $2", micros(p.now), id)
		p.dropSource(id)
		return false, err
	} else if err != nil {
		return false, err
	}
	if h, err := p.pauseExisting(serviceID, id); err != nil || !h.none() {
		if err != nil {
			return false, err
		}
		return false, p.setHold(id, prev, h, res)
	}
	return p.attach(e, id, actor, res, fmt.Sprintf("Alert %q joined (%s) when %s: %s", key, sev, prev.ended(), summary))
}

// findIncident returns the open incident a new alert of grouping g joins,
// or nil.
func (p *eventTx) findIncident(serviceID int64, g triage.Grouping) (*openIncident, error) {
	if g.New {
		return nil, nil
	}
	gk := groupKey{serviceID, g.Key}
	if inc := p.groups[gk]; inc != nil {
		return inc, nil
	}
	q, arg := sqlOpenIncidentSince, any(micros(g.Since))
	if g.Key != "" {
		q, arg = sqlOpenIncidentByKey, g.Key
	}
	// The lock keeps a concurrent ResolveIncident from closing the incident
	// under the joining alert.
	inc := &openIncident{}
	err := p.q.queryRow(p.ctx, q+p.db.dialect.forUpdate(), serviceID, arg).Scan(&inc.id, &inc.sev)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if known := p.byID[inc.id]; known != nil {
		inc = known // already raised or joined in this transaction
	}
	p.byID[inc.id] = inc
	p.groups[gk] = inc
	return inc, nil
}

// openIncident creates the incident of a new alert.
func (p *eventTx) openIncident(e *vigil.Event, g triage.Grouping, actor vigil.Actor) (*openIncident, error) {
	title := triage.IncidentTitle(e)
	if title == "" {
		title = e.DedupKey
	}
	id, err := p.db.insertIncident(p.ctx, p.q, &vigil.Incident{ServiceID: e.ServiceID, Title: title, Severity: e.Severity,
		Status: vigil.IncidentTriggered, GroupKey: g.Key, CreatedAt: p.now, CreatedBy: actor.Name, UpdatedAt: p.now})
	if err != nil {
		return nil, err
	}
	p.entry(id, actor, vigil.EntryCreated, fmt.Sprintf("Opened by alert %q, sent by %s", e.DedupKey, by(actor)), nil)
	if c := p.cur; c.decided() {
		if c.from != 0 {
			p.entry(id, actor, vigil.EntryClassified, fmt.Sprintf("Routed here from service %d", c.from), nil)
		}
		if err := p.applyToIncident(id, c, actor); err != nil {
			return nil, err
		}
	}
	inc := &openIncident{id: id, sev: e.Severity}
	p.byID[id] = inc
	if _, ok := p.storm[e.ServiceID]; ok {
		p.storm[e.ServiceID]++
	}
	if !g.New {
		// It is now the newest open incident of the service: the answer for
		// its group key and for the time window alike.
		p.groups[groupKey{e.ServiceID, g.Key}] = inc
		p.groups[groupKey{e.ServiceID, ""}] = inc
	}
	return inc, nil
}

// join records a new alert joining inc: counter, severity and timeline.
func (p *eventTx) join(inc *openIncident, e *vigil.Event, actor vigil.Actor, res *vigil.EventResult) error {
	res.AlertNew, res.IncidentID = true, inc.id
	return p.joinAs(inc, e, actor, res.AlertID, fmt.Sprintf("Alert %q joined (%s): %s", e.DedupKey, e.Severity, e.Summary))
}

// joinAs records alert id joining inc, with msg on the timeline, and
// raises the incident's level and priority to what the rules decided for
// the alert when that ranks higher.
func (p *eventTx) joinAs(inc *openIncident, e *vigil.Event, actor vigil.Actor, id int64, msg string) error {
	p.joinEntry(inc, e, actor, id, msg)
	return p.raiseByRules(inc, e.DedupKey, actor)
}

// joinEntry is joinAs without the rules: counter, severity and timeline.
func (p *eventTx) joinEntry(inc *openIncident, e *vigil.Event, actor vigil.Actor, id int64, msg string) {
	p.touch(inc)
	inc.joined++
	data := json.RawMessage(`{"alert_id":` + strconv.FormatInt(id, 10) + `}`)
	p.entry(inc.id, actor, vigil.EntryAlertJoined, msg, data)
	if e.Severity.Rank() > inc.sev.Rank() {
		p.entry(inc.id, actor, vigil.EntrySeverityChanged,
			fmt.Sprintf("Severity raised from %s to %s by a new %s alert", inc.sev, e.Severity, e.Severity),
			fromTo(string(inc.sev), string(e.Severity)))
		inc.sev = e.Severity
	}
}

// raiseByRules lifts incident inc's level and priority to those the rules
// decided for the alert (key) joining it, when they rank higher (SEV1
// before SEV2, P1 before P2) or the incident has none; it never lowers
// them. In SQL too, so a concurrent raise by another replica stays.
func (p *eventTx) raiseByRules(inc *openIncident, key string, actor vigil.Actor) error {
	c := p.cur
	if c == nil || (c.d.Sev == "" && c.d.Priority == "") {
		return nil
	}
	var level, prio string
	if err := p.q.queryRow(p.ctx, `SELECT sev_level, priority FROM incidents WHERE id = $1`, inc.id).Scan(&level, &prio); err != nil {
		return err
	}
	for _, f := range []struct{ field, col, cur, to string }{
		{"sev", "sev_level", level, c.d.Sev},
		{"priority", "priority", prio, c.d.Priority},
	} {
		// SEV1..SEV4 and P1..P5 rank as they sort.
		if f.to == "" || (f.cur != "" && f.to >= f.cur) {
			continue
		}
		n, err := p.q.exec(p.ctx, `UPDATE incidents SET `+f.col+` = $1 WHERE id = $2 AND (`+f.col+` = '' OR `+f.col+` > $1)`, f.to, inc.id)
		if err != nil {
			return err
		}
		if n == 0 {
			continue
		}
		by := "by default for " + c.d.Type + " incidents"
		for _, ef := range c.d.Effects {
			if ef.Field == f.field {
				by = "by rule '" + ef.Rule + "'"
			}
		}
		p.entry(inc.id, actor, vigil.EntryClassified, fmt.Sprintf("%s raised to %s %s on alert %q", f.field, f.to, by, key), fromTo(f.cur, f.to))
	}
	return nil
}

// touch queues inc for the flush of its counter and severity.
func (p *eventTx) touch(inc *openIncident) {
	if !inc.touched {
		inc.touched = true
		p.touched = append(p.touched, inc)
	}
}

// raise lifts inc to the severity of a repeat trigger that is more severe
// than the incident (an alert that went from warning to critical).
func (p *eventTx) raise(inc *openIncident, e *vigil.Event, actor vigil.Actor) {
	if e.Severity.Rank() <= inc.sev.Rank() {
		return
	}
	p.touch(inc)
	p.entry(inc.id, actor, vigil.EntrySeverityChanged,
		fmt.Sprintf("Severity raised from %s to %s: alert %q now reports %s", inc.sev, e.Severity, e.DedupKey, e.Severity),
		fromTo(string(inc.sev), string(e.Severity)))
	inc.sev = e.Severity
}

// raiseRepeat is raise for a repeat found without its incident at hand.
func (p *eventTx) raiseRepeat(incidentID int64, e *vigil.Event, actor vigil.Actor) error {
	inc := p.byID[incidentID]
	if inc == nil {
		if e.Severity == vigil.SeverityInfo {
			return nil // nothing ranks below info: no need to look
		}
		inc = &openIncident{id: incidentID}
		if err := p.q.queryRow(p.ctx, sqlIncidentSeverity, incidentID).Scan(&inc.sev); err != nil {
			return err
		}
		p.byID[incidentID] = inc
	}
	p.raise(inc, e, actor)
	return nil
}

func (p *eventTx) acknowledge(e *vigil.Event, actor vigil.Actor, res *vigil.EventResult) error {
	var incident sql.NullInt64
	err := p.q.queryRow(p.ctx, sqlFiringAlert, e.ServiceID, e.DedupKey).Scan(&res.AlertID, &incident)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // nothing firing: nothing to acknowledge
	}
	if err != nil || !incident.Valid {
		return err // a held alert has no incident to acknowledge
	}
	res.IncidentID = incident.Int64
	n, err := p.q.exec(p.ctx, sqlAckIncident, micros(p.now), actor.Name, res.IncidentID)
	if err != nil {
		return err
	}
	if n == 0 {
		return nil // already acknowledged: nothing changes
	}
	res.Changed = true
	p.entry(res.IncidentID, actor, vigil.EntryAcknowledged, "Acknowledged by "+by(actor), nil)
	return p.db.stopEscalation(p.ctx, p.q, p.now, res.IncidentID, vigil.MessageAck)
}

func (p *eventTx) resolve(e *vigil.Event, actor vigil.Actor, res *vigil.EventResult) error {
	q, msg := sqlResolveAlert, fmt.Sprintf("Alert %q resolved by %s", e.DedupKey, by(actor))
	if e.Expiry {
		q, msg = sqlExpireAlert, fmt.Sprintf("Alert %q resolved: its end time passed and the sender did not re-send it", e.DedupKey)
	}
	var (
		incident sql.NullInt64
		prev     heldAs
	)
	err := p.q.queryRow(p.ctx, q, micros(p.now), e.ServiceID, e.DedupKey).Scan(append([]any{&res.AlertID, &incident}, prev.dest()...)...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // nothing firing: nothing to resolve
	}
	if err != nil {
		return err
	}
	res.Changed = true
	// If it muted others, they are released by the next sweep.
	p.dropSource(res.AlertID)
	if !incident.Valid {
		// Resolved while held: recorded on the alert (Alertmanager
		// #2805), and no incident to touch.
		prev.result(res)
		if !prev.silence.Valid {
			return nil
		}
		return p.endSilenceOnResolve(prev.silence.Int64)
	}
	res.IncidentID = incident.Int64
	// Touching the incident also locks it on PostgreSQL, so of two replicas
	// resolving its last two alerts the second sees the first's and
	// auto-resolves.
	var status string
	err = p.q.queryRow(p.ctx, sqlTouchIncident, micros(p.now), res.IncidentID).Scan(&status)
	if err != nil {
		return err
	}
	p.entry(res.IncidentID, actor, vigil.EntryAlertResolved, msg, nil)
	if status == vigil.IncidentResolved {
		return nil
	}
	svc, _, err := p.service(e.ServiceID, false)
	if err != nil {
		return err
	}
	if svc.flap.MaxChanges >= 0 {
		if flapping, err := p.flapResolved(svc.flap, e, res.IncidentID, actor); err != nil || flapping {
			return err // a flapping alert's incident stays open
		}
	}
	if !svc.autoResolve {
		return nil
	}
	var firing bool
	if err := p.q.queryRow(p.ctx, sqlAnyFiring, res.IncidentID).Scan(&firing); err != nil || firing {
		return err
	}
	if _, err := p.q.exec(p.ctx, sqlResolveIncident, vigil.IncidentResolved, micros(p.now), actor.Name, res.IncidentID); err != nil {
		return err
	}
	p.entry(res.IncidentID, actor, vigil.EntryResolved, "Resolved automatically: all of its alerts are resolved", nil)
	if err := p.db.stopEscalation(p.ctx, p.q, p.now, res.IncidentID, vigil.MessageResolve); err != nil {
		return err
	}
	for k, inc := range p.groups { // a resolved incident is joined no more
		if inc.id == res.IncidentID {
			delete(p.groups, k)
		}
	}
	return nil
}

// endSilenceOnResolve ends silence id now if it asked to end when its
// alerts resolve and it holds no other firing alert.
func (p *eventTx) endSilenceOnResolve(id int64) error {
	if p.live == nil {
		if _, err := p.silenceFor(&vigil.Event{}); err != nil {
			return err
		}
	}
	if l := p.live.byID[id]; l == nil || !l.expireOnResolve {
		return nil // ended already, or waits for its end time
	}
	n, err := p.q.exec(p.ctx, sqlEndSilenceOnResolve, micros(p.now), id)
	if err != nil || n == 0 {
		return err
	}
	if _, err := p.q.exec(p.ctx, sqlBumpSilences); err != nil {
		return err
	}
	// What this transaction reads of silences from now on may roll back
	// with it: reload without caching.
	p.live, p.liveDirty = nil, true
	return nil
}

// eventData is the JSON text of an event's labels and links (never null)
// and its details (nil, stored as NULL, when absent).
type eventData struct {
	labels, links string
	details       any
	endsAt        any // unix micros, or nil
}

func encodeEventData(e *vigil.Event) (eventData, error) {
	d := eventData{labels: "{}", links: "[]"}
	if e.Action != vigil.ActionTrigger {
		return d, nil // only a trigger stores them
	}
	if e.EndsAt != nil {
		d.endsAt = micros(*e.EndsAt)
	}
	if len(e.Labels) > 0 {
		b, err := json.Marshal(e.Labels)
		if err != nil {
			return d, err
		}
		d.labels = string(b)
	}
	if len(e.Links) > 0 {
		b, err := json.Marshal(e.Links)
		if err != nil {
			return d, err
		}
		d.links = string(b)
	}
	if t := strings.TrimSpace(string(e.Details)); t != "" && t != "null" {
		d.details = string(e.Details)
	}
	return d, nil
}
