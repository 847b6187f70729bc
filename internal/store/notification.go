package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vigil-oss/vigil/internal/escalation"
	"github.com/vigil-oss/vigil/internal/oncall"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// escalationActor writes the engine's timeline entries.
var escalationActor = vigil.Actor{Kind: vigil.ActorSystem, Name: "escalation", Source: vigil.SourceSystem}

// priorityOf orders the outbox: critical pages first (catalog C9).
func priorityOf(sev vigil.Severity) int { return 4 - sev.Rank() }

type dueIncident struct {
	id, serviceID int64
	step, loop    int
	run           int
	severity      vigil.Severity
	// dueAt is when the step was due: its pages are due then (plus their
	// rule's delay), so a step that fires late says how late.
	dueAt int64
}

const (
	dueCols = "id, service_id, esc_step, esc_loop, esc_run, severity, esc_next_at"
	// sqlDueIncidents claims the incidents whose next step is due.
	sqlDueIncidents = "SELECT " + dueCols + ` FROM incidents
		WHERE esc_next_at <= $1 AND status = 'triggered' ORDER BY esc_next_at, id LIMIT $2`
	// sqlDueIncident claims one of them, if it is still due.
	sqlDueIncident = "SELECT " + dueCols + ` FROM incidents
		WHERE id = $2 AND esc_next_at <= $1 AND status = 'triggered'`
)

func scanDue(r row) (dueIncident, error) {
	var d dueIncident
	err := r.Scan(&d.id, &d.serviceID, &d.step, &d.loop, &d.run, &d.severity, &d.dueAt)
	return d, err
}

// EscalateDue fires the due escalation steps of at most limit incidents.
// Each incident is claimed with its row lock (SKIP LOCKED on PostgreSQL,
// the single writer on SQLite), so two replicas never fire the same step;
// its pages, timeline entries and new state commit together.
//
// All of them share one transaction, whose reads are cached (one query per
// service, policy, person, team and schedule, not per incident) and whose
// writes go out as a few multi-row statements in one pipeline: on
// PostgreSQL a cycle costs a handful of round trips, not several per
// incident. If that transaction fails for a reason other than the database
// being unreachable, each incident runs again in its own, so one incident
// that cannot escalate does not hold back the others; the error returned
// then names the ones that failed.
func (db *DB) EscalateDue(ctx context.Context, limit int) (int, error) {
	var claimed []int64
	n, err := db.escalate(ctx, func(q querier, now time.Time) ([]dueIncident, error) {
		due, err := queryAll(ctx, q, scanDue, sqlDueIncidents+db.dialect.skipLocked(), micros(now), limit)
		claimed = claimed[:0]
		for _, d := range due {
			claimed = append(claimed, d.id)
		}
		return due, err
	})
	if err == nil || len(claimed) <= 1 || vigil.ErrorCode(err) == vigil.CodeUnavailable {
		return n, err
	}
	db.log.Warn("escalating incidents together failed; escalating them one by one", "incidents", len(claimed), "err", err)
	n = 0
	var errs []error
	for _, id := range claimed {
		k, err := db.escalate(ctx, func(q querier, now time.Time) ([]dueIncident, error) {
			return queryAll(ctx, q, scanDue, sqlDueIncident+db.dialect.skipLocked(), micros(now), id)
		})
		n += k
		if err != nil {
			errs = append(errs, fmt.Errorf("incident %d: %w", id, err))
			if vigil.ErrorCode(err) == vigil.CodeUnavailable {
				break
			}
		}
	}
	return n, errors.Join(errs...)
}

// escalate runs one escalation transaction over the incidents claim
// returns.
func (db *DB) escalate(ctx context.Context, claim func(q querier, now time.Time) ([]dueIncident, error)) (int, error) {
	var n int
	err := db.write(ctx, func(q querier, now time.Time) error {
		n = 0
		due, err := claim(q, now)
		if err != nil || len(due) == 0 {
			return err
		}
		e := &escalator{db: db, ctx: ctx, q: q, now: now, services: map[int64]sql.NullInt64{}, policies: map[int64]*vigil.EscalationPolicy{},
			schedules: map[int64]*vigil.Schedule{}, targets: map[vigil.Target]resolution{}, people: map[int64]*person{}}
		for i := range due {
			if err := e.escalate(&due[i]); err != nil {
				return fmt.Errorf("escalating incident %d: %w", due[i].id, err)
			}
		}
		if err := e.flush(); err != nil {
			return err
		}
		n = len(due)
		return nil
	})
	return n, err
}

// escalator is one EscalateDue transaction. It caches what several
// incidents share (all reads happen at one now, in one transaction) and
// gathers the writes, which flush sends together.
type escalator struct {
	db        *DB
	ctx       context.Context
	q         querier
	now       time.Time
	services  map[int64]sql.NullInt64 // service -> its policy
	policies  map[int64]*vigil.EscalationPolicy
	schedules map[int64]*vigil.Schedule
	targets   map[vigil.Target]resolution
	people    map[int64]*person

	entries []*vigil.TimelineEntry
	pages   []any // the rows of sqlInsertPages
	states  []any // the rows of sqlSetEscalation
}

// resolution is what a target reached: users, or why no one.
type resolution struct {
	users []int64
	note  string
}

// person is a paged user: name and where to reach them.
type person struct {
	name    string
	targets []ruleTarget
}

func (e *escalator) escalate(d *dueIncident) error {
	policyID, ok := e.services[d.serviceID]
	if !ok {
		if err := e.q.queryRow(e.ctx, "SELECT escalation_policy_id FROM services WHERE id = $1", d.serviceID).Scan(&policyID); err != nil {
			return err
		}
		e.services[d.serviceID] = policyID
	}
	if !policyID.Valid {
		e.setState(d, d.step, d.loop, nil)
		e.entry(d.id, vigil.EntryEscalation, "No escalation policy on the service: no one was paged")
		return nil
	}
	p, err := e.policy(policyID.Int64)
	if err != nil {
		return err
	}
	res := escalation.Run(p, escalation.State{Step: d.step, Loop: d.loop}, e.now, e.resolve)
	for _, note := range res.Notes {
		e.entry(d.id, vigil.EntryEscalation, note)
	}
	if len(res.Pages) > 0 {
		if err := e.page(d, p, res.Pages); err != nil {
			return err
		}
	}
	e.setState(d, res.Next.Step, res.Next.Loop, res.NextAt)
	return nil
}

// setState queues the incident's new escalation state.
func (e *escalator) setState(d *dueIncident, step, loop int, next *time.Time) {
	var at any
	if next != nil {
		at = micros(*next)
	}
	e.states = append(e.states, d.id, step, loop, at)
}

func (e *escalator) policy(id int64) (*vigil.EscalationPolicy, error) {
	if p, ok := e.policies[id]; ok {
		return p, nil
	}
	p, err := scanPolicy(e.q.queryRow(e.ctx, "SELECT "+policyCols+" FROM escalation_policies WHERE id = $1", id))
	if err != nil {
		return nil, err
	}
	e.policies[id] = p
	return p, nil
}

// resolve answers escalation.Resolver, once per target and transaction.
func (e *escalator) resolve(t vigil.Target) ([]int64, string) {
	r, ok := e.targets[t]
	if !ok {
		r.users, r.note = e.resolveTarget(t)
		e.targets[t] = r
	}
	return r.users, r.note
}

// resolveTarget reads whom a target reaches now. A database error here
// would be lost inside the pure function, so it becomes a note and the
// target counts as reaching no one (the timeline shows it) rather than
// failing the whole transaction in a loop.
func (e *escalator) resolveTarget(t vigil.Target) ([]int64, string) {
	switch t.Type {
	case vigil.TargetUser:
		var one int
		if err := e.q.queryRow(e.ctx, "SELECT 1 FROM users WHERE id = $1", t.ID).Scan(&one); err != nil {
			return nil, fmt.Sprintf("user %d no longer exists", t.ID)
		}
		return []int64{t.ID}, ""
	case vigil.TargetTeam:
		members, err := queryAll(e.ctx, e.q, scanID, "SELECT user_id FROM team_members WHERE team_id = $1 ORDER BY user_id", t.ID)
		if err != nil || len(members) == 0 {
			return nil, fmt.Sprintf("team %d has no members", t.ID)
		}
		return members, ""
	case vigil.TargetSchedule:
		s, ok := e.schedules[t.ID]
		if !ok {
			var err error
			s, err = scanSchedule(e.q.queryRow(e.ctx, "SELECT "+scheduleCols+" FROM schedules WHERE id = $1", t.ID))
			if err != nil {
				return nil, fmt.Sprintf("schedule %d no longer exists", t.ID)
			}
			e.schedules[t.ID] = s
		}
		overrides, err := queryAll(e.ctx, e.q, scanOverride, "SELECT "+overrideCols+` FROM schedule_overrides
			WHERE schedule_id = $1 AND start_at <= $2 AND end_at > $2 ORDER BY created_at, id`, t.ID, micros(e.now))
		if err != nil {
			return nil, fmt.Sprintf("schedule %q could not be read", s.Name)
		}
		if uid, ok := oncall.At(*s, vigil.OverrideValues(overrides), e.now); ok {
			return []int64{uid}, ""
		}
		return nil, fmt.Sprintf("no one is on call on schedule %q", s.Name)
	}
	return nil, fmt.Sprintf("unknown target type %q", t.Type)
}

func scanID(r row) (int64, error) {
	var id int64
	err := r.Scan(&id)
	return id, err
}

type ruleTarget struct {
	ruleID, methodID int64
	delay            time.Duration
	typ, address     string
}

// person reads a paged user's name and destinations, once per
// transaction: one per personal notification rule, or, for a user without
// rules, one per enabled contact method at once.
func (e *escalator) person(userID int64) (*person, error) {
	if p, ok := e.people[userID]; ok {
		return p, nil
	}
	p := &person{}
	if err := e.q.queryRow(e.ctx, "SELECT name FROM users WHERE id = $1", userID).Scan(&p.name); err != nil {
		return nil, err
	}
	var err error
	p.targets, err = queryAll(e.ctx, e.q, scanRuleTarget, `SELECT r.id, c.id, r.delay_micros, c.type, c.address
		FROM notification_rules r JOIN contact_methods c ON c.id = r.contact_method_id
		WHERE r.user_id = $1 AND NOT c.disabled ORDER BY r.delay_micros, r.id`, userID)
	if err != nil {
		return nil, err
	}
	if len(p.targets) == 0 {
		p.targets, err = queryAll(e.ctx, e.q, scanRuleTarget, `SELECT 0, id, 0, type, address FROM contact_methods
			WHERE user_id = $1 AND NOT disabled ORDER BY id`, userID)
		if err != nil {
			return nil, err
		}
	}
	e.people[userID] = p
	return p, nil
}

// page queues the outbox rows of the users a step reached, one per
// destination of each. A user with none is on the timeline.
func (e *escalator) page(d *dueIncident, p *vigil.EscalationPolicy, pages []escalation.Page) error {
	var names []string
	for _, pg := range pages {
		who, err := e.person(pg.UserID)
		if err != nil {
			return err
		}
		if len(who.targets) == 0 {
			e.entry(d.id, vigil.EntryEscalation, fmt.Sprintf("%s has no enabled contact method: not notified", who.name))
			continue
		}
		var how []string
		for _, t := range who.targets {
			// Due when the step was (so a late one says how late), first
			// tried now at the earliest.
			due := min(d.dueAt, micros(e.now)) + t.delay.Microseconds()
			next := micros(e.now.Add(t.delay))
			key := fmt.Sprintf("page:%d:%d:%d:%d:%d:%d:%d", d.id, d.run, pg.Loop, pg.Step, pg.UserID, t.methodID, t.ruleID)
			e.pages = append(e.pages, d.id, pg.UserID, t.methodID, t.typ, t.address, pg.Step, pg.Loop, key, priorityOf(d.severity),
				due, next, micros(e.now), micros(e.now))
			if t.delay > 0 {
				how = append(how, fmt.Sprintf("%s after %s", t.typ, vigil.Duration(t.delay)))
			} else {
				how = append(how, t.typ)
			}
		}
		names = append(names, fmt.Sprintf("%s (%s)", who.name, strings.Join(how, ", ")))
	}
	if len(names) == 0 {
		return nil
	}
	step := pages[0].Step
	msg := fmt.Sprintf("Escalation step %d of %q: paging %s", step+1, p.Name, strings.Join(names, "; "))
	if pages[0].Loop > 0 {
		msg += fmt.Sprintf(" (repeat %d)", pages[0].Loop)
	}
	e.entry(d.id, vigil.EntryEscalation, msg)
	return nil
}

func scanRuleTarget(r row) (ruleTarget, error) {
	var (
		t     ruleTarget
		delay int64
	)
	err := r.Scan(&t.ruleID, &t.methodID, &delay, &t.typ, &t.address)
	t.delay = time.Duration(delay) * time.Microsecond
	return t, err
}

// entry queues a timeline entry (an incident's entries keep their order).
func (e *escalator) entry(incidentID int64, kind, msg string) {
	e.entries = append(e.entries, &vigil.TimelineEntry{IncidentID: incidentID, At: e.now, Kind: kind,
		Actor: escalationActor.Name, ActorKind: escalationActor.Kind, Source: escalationActor.Source, Message: msg})
}

// flush writes what the transaction decided: pages, timeline entries and
// the incidents' new states, in one pipeline.
func (e *escalator) flush() error {
	var stmts []stmt
	stmts = appendRows(stmts, e.db.dialect, sqlInsertPages, e.pages)
	stmts = append(stmts, entryStmts(e.db.dialect, e.entries)...)
	stmts = appendRows(stmts, e.db.dialect, sqlSetEscalation, e.states)
	return e.q.pipeline(e.ctx, stmts)
}

// The multi-row statements of an escalation. A page's dedup key holds the
// incident, its escalation run, loop, step, user, contact method and rule:
// a step pages each destination once even if it fires twice.
var (
	sqlInsertPages = rowsSQL{head: `INSERT INTO notifications (incident_id, kind, user_id, contact_method_id, dest_type, dest_address,
		esc_step, esc_loop, dedup_key, priority, status, due_at, next_attempt_at, created_at, updated_at) VALUES `,
		row: "($%d, 'page', $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, 'pending', $%d, $%d, $%d, $%d)", tail: " ON CONFLICT (dedup_key) DO NOTHING"}
	// The incidents' states as a table of values (column1…column4 in both
	// databases); the casts give PostgreSQL their types.
	sqlSetEscalation = rowsSQL{head: `UPDATE incidents SET esc_step = v.column2, esc_loop = v.column3, esc_next_at = v.column4 FROM (VALUES `,
		row:  "(CAST($%d AS BIGINT), CAST($%d AS INTEGER), CAST($%d AS INTEGER), CAST($%d AS BIGINT))",
		tail: ") AS v WHERE incidents.id = v.column1"}
)

// rowsSQL is a statement with a list of rows: head, then row (a format
// with one $%d per parameter) once per row, comma-separated, then tail.
type rowsSQL struct{ head, row, tail string }

// cols is the number of parameters of one row.
func (r rowsSQL) cols() int { return strings.Count(r.row, "$%d") }

// maxStmtRows bounds the rows of one multi-row statement.
const maxStmtRows = 64

var (
	rowsSQLMu    sync.Mutex
	rowsSQLCache = map[rowsSQLKey]string{}
)

type rowsSQLKey struct {
	s rowsSQL
	d dialect
	n int
}

// text is the statement with n rows. SQLite gets anonymous ? placeholders
// (see insertEntriesSQL).
func (r rowsSQL) text(d dialect, n int) string {
	k := rowsSQLKey{r, d, n}
	rowsSQLMu.Lock()
	defer rowsSQLMu.Unlock()
	if s, ok := rowsSQLCache[k]; ok {
		return s
	}
	var b strings.Builder
	b.WriteString(r.head)
	cols := r.cols()
	nums := make([]any, cols)
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		if d == sqliteDialect {
			b.WriteString(strings.ReplaceAll(r.row, "$%d", "?"))
			continue
		}
		for j := range nums {
			nums[j] = i*cols + j + 1
		}
		fmt.Fprintf(&b, r.row, nums...)
	}
	b.WriteString(r.tail)
	rowsSQLCache[k] = b.String()
	return rowsSQLCache[k]
}

// appendRows appends the statements of r that write args (r.cols() per
// row): as few as possible, each with a power of two of rows up to
// maxStmtRows, so a few statement texts cover every count and stay
// prepared.
func appendRows(stmts []stmt, d dialect, r rowsSQL, args []any) []stmt {
	cols := r.cols()
	if len(args)%cols != 0 {
		panic(fmt.Sprintf("store: %d arguments for rows of %d", len(args), cols))
	}
	for len(args) > 0 {
		n := maxStmtRows
		for n*cols > len(args) {
			n /= 2
		}
		stmts = append(stmts, stmt{sql: r.text(d, n), args: args[:n*cols]})
		args = args[n*cols:]
	}
	return stmts
}

// entryStmts are the statements that append timeline entries, in order.
func entryStmts(d dialect, entries []*vigil.TimelineEntry) []stmt {
	var stmts []stmt
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
		stmts = append(stmts, stmt{sql: insertEntriesSQL(d, n), args: args})
		entries = entries[n:]
	}
	return stmts
}

// stopEscalation runs in the transaction that acknowledges or resolves an
// incident: the escalation timer stops, pages not yet sent are cancelled
// (personal rules page only while unacknowledged), and every destination
// that already got a page hears of the change (kind ack or resolve),
// after that page (the claim keeps per-destination order, E7).
func (db *DB) stopEscalation(ctx context.Context, q querier, now time.Time, incidentID int64, kind string) error {
	if _, err := q.exec(ctx, "UPDATE incidents SET esc_next_at = NULL WHERE id = $1 AND esc_next_at IS NOT NULL", incidentID); err != nil {
		return err
	}
	// A pending page may carry other incidents' pages (waiting for a
	// retry): they go back to pending, to be sent on their own or in the
	// next bundle, before it is cancelled.
	if _, err := q.exec(ctx, `UPDATE notifications SET status = 'pending', bundled_into = NULL, updated_at = $1
		WHERE status = 'bundled' AND bundled_into IN (SELECT id FROM notifications WHERE incident_id = $2 AND status = 'pending' AND kind = 'page')`,
		micros(now), incidentID); err != nil {
		return err
	}
	if _, err := q.exec(ctx, `UPDATE notifications SET status = 'cancelled', updated_at = $1
		WHERE incident_id = $2 AND status = 'pending' AND kind = 'page'`, micros(now), incidentID); err != nil {
		return err
	}
	_, err := q.exec(ctx, `INSERT INTO notifications (incident_id, kind, user_id, contact_method_id, dest_type, dest_address,
		dedup_key, priority, status, due_at, next_attempt_at, created_at, updated_at)
		SELECT $1, $2, user_id, contact_method_id, dest_type, dest_address,
			$3 || CAST(contact_method_id AS TEXT), min(priority), 'pending', $4, $4, $4, $4
		FROM notifications WHERE incident_id = $1 AND kind = 'page' AND status IN ('sent', 'sending', 'bundled')
		GROUP BY user_id, contact_method_id, dest_type, dest_address
		ON CONFLICT (dedup_key) DO NOTHING`, incidentID, kind, fmt.Sprintf("%s:%d:%d:", kind, incidentID, micros(now)), micros(now))
	return err
}

// restartEscalation runs when an incident reopens: its policy starts again
// from the first step.
func (db *DB) restartEscalation(ctx context.Context, q querier, now time.Time, incidentID int64) error {
	_, err := q.exec(ctx, `UPDATE incidents SET esc_step = 0, esc_loop = 0, esc_run = esc_run + 1,
		esc_next_at = (SELECT CASE WHEN s.escalation_policy_id IS NULL THEN NULL ELSE CAST($1 AS BIGINT) END FROM services s WHERE s.id = incidents.service_id)
		WHERE id = $2`, micros(now), incidentID)
	return err
}

// ReclaimNotifications returns expired leases to pending.
func (db *DB) ReclaimNotifications(ctx context.Context) (int, error) {
	var n int64
	err := db.write(ctx, func(q querier, now time.Time) error {
		var err error
		n, err = q.exec(ctx, `UPDATE notifications SET status = 'pending', claimed_by = '', lease_until = NULL, next_attempt_at = $1,
			last_error = 'the replica sending it stopped before recording the result; sending again', updated_at = $1
			WHERE status = 'sending' AND lease_until <= $1`, micros(now))
		return err
	})
	return int(n), err
}

const notificationCols = `n.id, n.incident_id, n.kind, n.user_id, COALESCE(u.name, ''), n.contact_method_id, n.dest_type, n.dest_address,
	n.esc_step, n.esc_loop, n.priority, n.status, n.title, n.body, n.due_at, n.next_attempt_at, n.attempts, n.last_error, n.provider_id,
	n.created_at, n.sent_at`

const notificationFrom = ` FROM notifications n LEFT JOIN users u ON u.id = n.user_id`

func (db *DB) scanNotification(r row, extra ...any) (*vigil.Notification, error) {
	var (
		n                                  vigil.Notification
		incident, user, method, step, loop sql.NullInt64
		due, next, created                 int64
		sent                               sql.NullInt64
	)
	dest := []any{&n.ID, &incident, &n.Kind, &user, &n.UserName, &method, &n.DestType, &n.DestAddress, &step, &loop, &n.Priority, &n.Status,
		&n.Title, &n.Body, &due, &next, &n.Attempts, &n.LastError, &n.ProviderID, &created, &sent}
	if err := r.Scan(append(dest, extra...)...); err != nil {
		return nil, err
	}
	var err error
	if n.DestAddress, err = db.unseal(fmt.Sprintf("destination of notification %d", n.ID), n.DestAddress); err != nil {
		return nil, err
	}
	n.IncidentID, n.UserID, n.ContactMethodID = incident.Int64, user.Int64, method.Int64
	if step.Valid {
		s, l := int(step.Int64), int(loop.Int64)
		n.Step, n.Loop = &s, &l
	}
	n.DueAt, n.NextAttemptAt, n.CreatedAt, n.SentAt = fromMicros(due), fromMicros(next), fromMicros(created), nullMicros(sent)
	return &n, nil
}

// ClaimNotifications leases due notifications to replica.
//
// Candidates go in order. A page to a throttled channel is claimed on its
// own (it may wait for its window, or carry others: see throttle and
// bundle); a run of other candidates is claimed together, with one
// UPDATE and one SELECT in one pipeline.
func (db *DB) ClaimNotifications(ctx context.Context, replica string, limit int, lease time.Duration) ([]*vigil.ClaimedNotification, error) {
	var out []*vigil.ClaimedNotification
	err := db.write(ctx, func(q querier, now time.Time) error {
		out = nil
		// Most cycles find nothing due: this cheap look spares them
		// planning the query below (see planEachRun).
		var due bool
		if err := q.queryRow(ctx, "SELECT EXISTS (SELECT 1 FROM notifications WHERE status = 'pending' AND next_attempt_at <= $1)",
			micros(now)).Scan(&due); err != nil || !due {
			return err
		}
		cands, err := queryAll(ctx, q, func(r row) (claimCandidate, error) {
			var c claimCandidate
			err := r.Scan(&c.id, &c.kind, &c.dest, &c.contact)
			return c, err
		}, `SELECT n.id, n.kind, n.dest_type, n.contact_method_id FROM notifications n
			WHERE n.status = 'pending' AND n.next_attempt_at <= $1 AND NOT EXISTS (`+sqlEarlierOpen+`)
			ORDER BY n.priority, n.next_attempt_at, n.id LIMIT $2`+db.dialect.skipLocked(), db.dialect.planEachRun(micros(now), limit)...)
		if err != nil || len(cands) == 0 {
			return err
		}
		out = make([]*vigil.ClaimedNotification, 0, len(cands))
		var plain []int64 // unthrottled candidates not yet claimed
		flush := func() error {
			if len(plain) == 0 {
				return nil
			}
			claimed, err := db.claimIDs(ctx, q, now, replica, lease, plain)
			out = append(out, claimed...)
			plain = plain[:0]
			return err
		}
		for _, cand := range cands {
			if !cand.throttled() {
				plain = append(plain, cand.id)
				continue
			}
			// What was claimed before this one is claimed first: its
			// throttle and bundle see the batch's earlier claims.
			if err := flush(); err != nil {
				return err
			}
			ok, err := db.throttle(ctx, q, now, cand)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			claimed, err := db.claimIDs(ctx, q, now, replica, lease, []int64{cand.id})
			if err != nil {
				return err
			}
			if len(claimed) == 0 {
				continue // an earlier claim of this batch bundled it
			}
			c := claimed[0]
			if c.Bundle, err = db.bundle(ctx, q, now, &c.Notification); err != nil {
				return err
			}
			out = append(out, c)
		}
		return flush()
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// claimIDs leases the notifications ids (locked by this transaction) that
// are still pending, and returns them in the order of ids.
func (db *DB) claimIDs(ctx context.Context, q querier, now time.Time, replica string, lease time.Duration, ids []int64) ([]*vigil.ClaimedNotification, error) {
	inUpdate, idArgs := inIDs(db.dialect, "id", 4, ids)
	inSelect, _ := inIDs(db.dialect, "n.id", 1, ids)
	byID := make(map[int64]*vigil.ClaimedNotification, len(ids))
	err := q.pipeline(ctx, []stmt{
		{sql: `UPDATE notifications SET status = 'sending', claimed_by = $1, lease_until = $2, attempts = attempts + 1, updated_at = $3
			WHERE status = 'pending' AND ` + inUpdate, args: append([]any{replica, micros(now.Add(lease)), micros(now)}, idArgs...)},
		{sql: "SELECT " + notificationCols + `, i.title, i.severity, i.status, s.name` + notificationFrom + `
			LEFT JOIN incidents i ON i.id = n.incident_id LEFT JOIN services s ON s.id = i.service_id
			WHERE ` + inSelect + " AND n.status = 'sending' AND n.claimed_by = $" + strconv.Itoa(len(idArgs)+1),
			args: append(append([]any{}, idArgs...), replica), scan: func(r rows) error {
				for r.Next() {
					c := &vigil.ClaimedNotification{}
					var title, sev, status, service sql.NullString
					n, err := db.scanNotification(r, &title, &sev, &status, &service)
					if err != nil {
						return err
					}
					c.Notification = *n
					c.IncidentTitle, c.IncidentSeverity, c.IncidentStatus, c.ServiceName = title.String, vigil.Severity(sev.String), status.String, service.String
					byID[n.ID] = c
				}
				return nil
			}},
	})
	if err != nil {
		return nil, err
	}
	out := make([]*vigil.ClaimedNotification, 0, len(byID))
	for _, id := range ids {
		if c := byID[id]; c != nil {
			out = append(out, c)
		}
	}
	return out, nil
}

// sqlEarlierOpen finds an earlier message of the same incident to the same
// contact method that is not finished: messages to one destination go out
// in order (E7).
const sqlEarlierOpen = `SELECT 1 FROM notifications p WHERE p.incident_id = n.incident_id AND p.contact_method_id = n.contact_method_id
	AND p.id < n.id AND p.status IN ('pending', 'sending', 'bundled')`

// claimCandidate is a due notification a claim considers.
type claimCandidate struct {
	id         int64
	kind, dest string
	contact    sql.NullInt64
}

// throttled reports whether the candidate is a page to a throttled channel.
func (c claimCandidate) throttled() bool {
	return c.kind == vigil.MessagePage && vigil.ThrottleWindows[c.dest] > 0 && c.contact.Valid
}

// throttle reports whether the pending notification may go now. A page
// to a throttled channel (vigil.ThrottleWindows) whose contact method had
// a page within the window waits for the window's end instead.
func (db *DB) throttle(ctx context.Context, q querier, now time.Time, c claimCandidate) (bool, error) {
	if !c.throttled() {
		return true, nil
	}
	window := vigil.ThrottleWindows[c.dest]
	var last sql.NullInt64
	if err := q.queryRow(ctx, `SELECT MAX(CASE WHEN status = 'sending' THEN CAST($2 AS BIGINT) ELSE sent_at END) FROM notifications
		WHERE contact_method_id = $1 AND kind = 'page' AND id <> $3
		AND ((status = 'sent' AND sent_at > $4) OR status = 'sending')`,
		c.contact.Int64, micros(now), c.id, micros(now.Add(-window))).Scan(&last); err != nil {
		return false, err
	}
	if !last.Valid {
		return true, nil
	}
	_, err := q.exec(ctx, "UPDATE notifications SET next_attempt_at = $1 WHERE id = $2",
		micros(fromMicros(last.Int64).Add(window)), c.id)
	return false, err
}

// maxBundle bounds the pages one message carries.
const maxBundle = 500

// bundle folds every other due page to a throttled carrier's contact
// method into it and returns the pages it carries (also those folded in
// before a retry or a takeover).
func (db *DB) bundle(ctx context.Context, q querier, now time.Time, carrier *vigil.Notification) ([]vigil.BundledPage, error) {
	if carrier.Kind != vigil.MessagePage || vigil.ThrottleWindows[carrier.DestType] <= 0 || carrier.ContactMethodID == 0 {
		return nil, nil
	}
	riders, err := queryAll(ctx, q, scanID, `SELECT n.id FROM notifications n
		WHERE n.contact_method_id = $1 AND n.kind = 'page' AND n.status = 'pending' AND n.next_attempt_at <= $2 AND n.id <> $3
		AND NOT EXISTS (`+sqlEarlierOpen+`) ORDER BY n.id LIMIT $4`+db.dialect.skipLocked(),
		db.dialect.planEachRun(carrier.ContactMethodID, micros(now), carrier.ID, maxBundle)...)
	if err != nil {
		return nil, err
	}
	var stmts []stmt
	if len(riders) > 0 {
		in, args := inIDs(db.dialect, "id", 3, riders)
		stmts = append(stmts, stmt{sql: `UPDATE notifications SET status = 'bundled', bundled_into = $1, updated_at = $2
			WHERE status = 'pending' AND ` + in, args: append([]any{carrier.ID, micros(now)}, args...)})
	}
	bundle := []vigil.BundledPage{}
	stmts = append(stmts, stmt{sql: `SELECT n.id, n.incident_id, COALESCE(i.title, '') FROM notifications n LEFT JOIN incidents i ON i.id = n.incident_id
		WHERE n.bundled_into = $1 AND n.status = 'bundled' ORDER BY n.id`, args: []any{carrier.ID}, scan: func(r rows) error {
		for r.Next() {
			var b vigil.BundledPage
			if err := r.Scan(&b.NotificationID, &b.IncidentID, &b.Title); err != nil {
				return err
			}
			bundle = append(bundle, b)
		}
		return nil
	}})
	if err := q.pipeline(ctx, stmts); err != nil {
		return nil, err
	}
	return bundle, nil
}

// CompleteNotification records an attempt; CodeConflict when replica lost
// the lease.
func (db *DB) CompleteNotification(ctx context.Context, id int64, replica string, o vigil.Outcome) error {
	var errs []error
	err := db.write(ctx, func(q querier, now time.Time) error {
		var err error
		errs, err = db.complete(ctx, q, now, replica, []vigil.Completion{{ID: id, Outcome: o}})
		return err
	})
	if err != nil {
		return err
	}
	return errs[0]
}

// CompleteNotifications records several attempts in one transaction: on
// SQLite one fsync instead of one per message, which is what bounds the
// send rate of a busy engine; on PostgreSQL a few round trips for the
// whole batch. A lost lease (CodeConflict) or a vanished row
// (CodeNotFound) fails only its own item. If the transaction fails for
// another reason (say, an error text PostgreSQL refuses to store), each
// item is recorded again in its own, so only the item at fault fails.
func (db *DB) CompleteNotifications(ctx context.Context, replica string, items []vigil.Completion) ([]error, error) {
	if len(items) == 0 {
		return []error{}, nil
	}
	var errs []error
	err := db.write(ctx, func(q querier, now time.Time) error {
		var err error
		errs, err = db.complete(ctx, q, now, replica, items)
		return err
	})
	if err == nil || len(items) <= 1 || vigil.ErrorCode(err) == vigil.CodeUnavailable {
		return errs, err
	}
	db.log.Warn("recording sends together failed; recording them one by one", "sends", len(items), "err", err)
	errs = make([]error, len(items))
	for i, it := range items {
		errs[i] = db.CompleteNotification(ctx, it.ID, replica, it.Outcome)
	}
	return errs, nil
}

// complete records attempts inside a write transaction: it locks the
// notifications and reads them (and the pages bundled into them) in one
// pipeline, checks each is still claimed by replica, then writes every
// outcome, attempt and timeline entry in another. It returns one error
// per item (nil, CodeConflict or CodeNotFound), or the error that failed
// the transaction.
func (db *DB) complete(ctx context.Context, q querier, now time.Time, replica string, items []vigil.Completion) ([]error, error) {
	ids := make([]int64, len(items))
	for i, it := range items {
		ids[i] = it.ID
	}
	type held struct {
		n         *vigil.Notification
		claimedBy string
	}
	var (
		found  = make(map[int64]held, len(items))
		riders = map[int64][]*vigil.Notification{} // by carrier
	)
	inLock, args := inIDs(db.dialect, "n.id", 1, ids)
	inRiders, _ := inIDs(db.dialect, "n.bundled_into", 1, ids)
	err := q.pipeline(ctx, []stmt{
		{sql: "SELECT " + notificationCols + ", n.claimed_by" + notificationFrom + " WHERE " + inLock + " ORDER BY n.id" + db.dialect.forUpdateOf("n"),
			args: args, scan: func(r rows) error {
				for r.Next() {
					var h held
					var err error
					if h.n, err = db.scanNotification(r, &h.claimedBy); err != nil {
						return err
					}
					found[h.n.ID] = h
				}
				return nil
			}},
		// Read after the lock: the pages a carrier holds do not change
		// while it is being sent.
		{sql: "SELECT " + notificationCols + ", n.bundled_into" + notificationFrom + " WHERE " + inRiders + " AND n.status = 'bundled' ORDER BY n.id",
			args: args, scan: func(r rows) error {
				for r.Next() {
					var carrier int64
					n, err := db.scanNotification(r, &carrier)
					if err != nil {
						return err
					}
					riders[carrier] = append(riders[carrier], n)
				}
				return nil
			}},
	})
	if err != nil {
		return nil, err
	}
	var (
		errs     = make([]error, len(items))
		done     = make(map[int64]bool, len(items))
		writes   []stmt
		attempts []any
		entries  []*vigil.TimelineEntry
	)
	entry := func(incidentID int64, msg string) {
		entries = append(entries, &vigil.TimelineEntry{IncidentID: incidentID, At: now, Kind: vigil.EntryNotification,
			Actor: escalationActor.Name, ActorKind: escalationActor.Kind, Source: escalationActor.Source, Message: msg})
	}
	for i, it := range items {
		h, ok := found[it.ID]
		switch {
		case !ok:
			errs[i] = notFound("notification", it.ID)
			continue
		case h.n.Status != vigil.NotificationSending || h.claimedBy != replica || done[it.ID]:
			errs[i] = vigil.Errorf(vigil.CodeConflict, "notification %d is no longer claimed by %s", it.ID, replica)
			continue
		}
		done[it.ID] = true
		n, o := h.n, it.Outcome
		outcome := "sent"
		switch {
		case o.Sent:
			writes = append(writes, stmt{sql: `UPDATE notifications SET status = 'sent', sent_at = $1, provider_id = $2, lease_until = NULL, last_error = '',
				updated_at = $1 WHERE id = $3`, args: []any{micros(now), o.ProviderID, n.ID}})
		case o.RetryAt != nil:
			outcome = "retry"
			writes = append(writes, stmt{sql: `UPDATE notifications SET status = 'pending', next_attempt_at = $1, lease_until = NULL, claimed_by = '',
				last_error = $2, updated_at = $3 WHERE id = $4`, args: []any{micros(*o.RetryAt), o.Error, micros(now), n.ID}})
		default:
			outcome = "failed"
			writes = append(writes, stmt{sql: `UPDATE notifications SET status = 'failed', lease_until = NULL, last_error = $1, updated_at = $2 WHERE id = $3`,
				args: []any{o.Error, micros(now), n.ID}})
		}
		attempts = append(attempts, n.ID, micros(now), outcome, o.Error, replica, o.Duration.Microseconds())
		if outcome == "retry" {
			continue // the pages it carries wait with it
		}
		// The pages bundled into a sent or failed message share its
		// outcome, with a line on each of their incidents.
		if rs := riders[n.ID]; len(rs) > 0 {
			if outcome == "sent" {
				writes = append(writes, stmt{sql: `UPDATE notifications SET status = 'sent', sent_at = $1, provider_id = $2, last_error = '', updated_at = $1
					WHERE bundled_into = $3 AND status = 'bundled'`, args: []any{micros(now), o.ProviderID, n.ID}})
			} else {
				writes = append(writes, stmt{sql: `UPDATE notifications SET status = 'failed', last_error = $1, updated_at = $2
					WHERE bundled_into = $3 AND status = 'bundled'`, args: []any{o.Error, micros(now), n.ID}})
			}
			for _, r := range rs {
				entry(r.IncidentID, deliveryText(r, outcome, o)+fmt.Sprintf(" (in one message with incident #%d)", n.IncidentID))
			}
		}
		if n.IncidentID != 0 {
			entry(n.IncidentID, deliveryText(n, outcome, o))
		}
	}
	writes = appendRows(writes, db.dialect, sqlInsertAttempts, attempts)
	writes = append(writes, entryStmts(db.dialect, entries)...)
	if err := q.pipeline(ctx, writes); err != nil {
		return nil, err
	}
	return errs, nil
}

var sqlInsertAttempts = rowsSQL{head: "INSERT INTO notification_attempts (notification_id, at, outcome, error, replica, duration_micros) VALUES ",
	row: "($%d, $%d, $%d, $%d, $%d, $%d)"}

// deliveryText is the timeline line of a delivered or failed message.
func deliveryText(n *vigil.Notification, outcome string, o vigil.Outcome) string {
	what := map[string]string{vigil.MessagePage: "Paged", vigil.MessageAck: "Told", vigil.MessageResolve: "Told"}[n.Kind]
	if what == "" {
		what = "Notified"
	}
	who := n.UserName
	if who == "" {
		who = vigil.MaskAddress(n.DestType, n.DestAddress)
	}
	about := map[string]string{vigil.MessageAck: " of the acknowledgement", vigil.MessageResolve: " of the resolution"}[n.Kind]
	if outcome == "failed" {
		return fmt.Sprintf("Could not notify %s by %s%s after %d attempt(s): %s", who, n.DestType, about, n.Attempts, o.Error)
	}
	msg := fmt.Sprintf("%s %s by %s%s", what, who, n.DestType, about)
	if n.Attempts > 1 {
		msg += fmt.Sprintf(" after %d attempts", n.Attempts)
	}
	if o.Late >= time.Minute {
		msg += fmt.Sprintf(", %s late", o.Late.Round(time.Second))
	}
	return msg
}

// CreateNotifications queues messages by hand, all in one transaction.
func (db *DB) CreateNotifications(ctx context.Context, ns ...*vigil.Notification) error {
	for _, n := range ns {
		if n.DestType == "" || n.DestAddress == "" {
			return vigil.FieldError("contact_method_id", "a destination is required")
		}
	}
	err := db.write(ctx, func(q querier, now time.Time) error {
		for _, n := range ns {
			if err := db.queueNotification(ctx, q, now, n); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil && len(ns) > 0 {
		db.wake()
	}
	return err
}

// queueNotification inserts n as a pending message due now (a message
// queued outside escalation: by hand, or a status update) and sets its
// id, status and times.
func (db *DB) queueNotification(ctx context.Context, q querier, now time.Time, n *vigil.Notification) error {
	n.Status, n.CreatedAt, n.DueAt, n.NextAttemptAt = vigil.NotificationPending, now, now, now
	return q.queryRow(ctx, `INSERT INTO notifications (incident_id, kind, user_id, contact_method_id, dest_type, dest_address, priority,
		status, title, body, due_at, next_attempt_at, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, $9, $10, $10, $10, $10) RETURNING id`,
		nullID(n.IncidentID), n.Kind, nullID(n.UserID), nullID(n.ContactMethodID), n.DestType, db.sealDest(n.DestType, n.DestAddress), n.Priority,
		n.Title, n.Body, micros(now)).Scan(&n.ID)
}

// FindNotifications lists notifications, newest first.
func (db *DB) FindNotifications(ctx context.Context, f vigil.NotificationFilter) ([]*vigil.Notification, error) {
	var w where
	w.refVisible(ctx, "n.incident_id")
	if f.IncidentID != nil {
		w.add("n.incident_id = ?", *f.IncidentID)
	}
	if f.UserID != nil {
		w.add("n.user_id = ?", *f.UserID)
	}
	if len(f.Statuses) > 0 {
		w.in("n.status", f.Statuses)
	}
	limit := f.Limit
	if limit <= 0 || limit > 1000 {
		limit = 200
	}
	return listAll(ctx, db, func(r row) (*vigil.Notification, error) { return db.scanNotification(r) },
		"SELECT "+notificationCols+notificationFrom+w.sql()+" ORDER BY n.id DESC"+w.page(0, limit), w.args...)
}

// FindNotification returns one notification; CodeNotFound, also for one
// of a private incident the context's viewer may not see.
func (db *DB) FindNotification(ctx context.Context, id int64) (*vigil.Notification, error) {
	var w where
	w.add("n.id = ?", id)
	w.refVisible(ctx, "n.incident_id")
	var n *vigil.Notification
	err := db.read(ctx, func(q querier) error {
		var err error
		n, err = db.scanNotification(q.queryRow(ctx, "SELECT "+notificationCols+notificationFrom+w.sql(), w.args...))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("notification", id)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return n, nil
}

// FindNotificationAttempts lists a notification's attempts, oldest first.
func (db *DB) FindNotificationAttempts(ctx context.Context, id int64) ([]*vigil.NotificationAttempt, error) {
	return listAll(ctx, db, func(r row) (*vigil.NotificationAttempt, error) {
		var (
			a  vigil.NotificationAttempt
			us int64
		)
		err := r.Scan(microsInto(&a.At), &a.Outcome, &a.Error, &a.Replica, &us)
		a.Duration = time.Duration(us) * time.Microsecond
		return &a, err
	}, "SELECT at, outcome, error, replica, duration_micros FROM notification_attempts WHERE notification_id = $1 ORDER BY id", id)
}

// NextWakeup is the earliest due escalation step or notification.
func (db *DB) NextWakeup(ctx context.Context) (*time.Time, error) {
	var a, b sql.NullInt64
	err := db.read(ctx, func(q querier) error {
		if err := q.queryRow(ctx, "SELECT min(esc_next_at) FROM incidents WHERE esc_next_at IS NOT NULL").Scan(&a); err != nil {
			return err
		}
		return q.queryRow(ctx, "SELECT min(next_attempt_at) FROM notifications WHERE status = 'pending'").Scan(&b)
	})
	if err != nil {
		return nil, err
	}
	switch {
	case a.Valid && (!b.Valid || a.Int64 <= b.Int64):
		return nullMicros(a), nil
	case b.Valid:
		return nullMicros(b), nil
	}
	return nil, nil
}
