package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
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
	id, serviceID  int64
	policyID       sql.NullInt64
	step, loop     int
	run            int
	severity       vigil.Severity
	title, service string
}

// EscalateDue fires the due escalation steps of at most limit incidents.
// Each incident is claimed with its row lock (SKIP LOCKED on PostgreSQL,
// the single writer on SQLite), so two replicas never fire the same step;
// its pages, timeline entries and new state commit together.
func (db *DB) EscalateDue(ctx context.Context, limit int) (int, error) {
	var n int
	err := db.write(ctx, func(q querier, now time.Time) error {
		n = 0
		due, err := queryAll(ctx, q, func(r row) (dueIncident, error) {
			var d dueIncident
			err := r.Scan(&d.id, &d.serviceID, &d.step, &d.loop, &d.run, &d.severity, &d.title)
			return d, err
		}, `SELECT id, service_id, esc_step, esc_loop, esc_run, severity, title FROM incidents
			WHERE esc_next_at <= $1 AND status = 'triggered' ORDER BY esc_next_at, id LIMIT $2`+db.dialect.skipLocked(), micros(now), limit)
		if err != nil {
			return err
		}
		e := &escalator{db: db, ctx: ctx, q: q, now: now, policies: map[int64]*vigil.EscalationPolicy{}, schedules: map[int64]*vigil.Schedule{}}
		for i := range due {
			if err := e.escalate(&due[i]); err != nil {
				return fmt.Errorf("escalating incident %d: %w", due[i].id, err)
			}
			n++
		}
		return nil
	})
	return n, err
}

// escalator is one EscalateDue transaction; it caches what several
// incidents share.
type escalator struct {
	db        *DB
	ctx       context.Context
	q         querier
	now       time.Time
	policies  map[int64]*vigil.EscalationPolicy
	schedules map[int64]*vigil.Schedule
}

func (e *escalator) escalate(d *dueIncident) error {
	if err := e.q.queryRow(e.ctx, "SELECT s.escalation_policy_id, s.name FROM services s WHERE s.id = $1", d.serviceID).
		Scan(&d.policyID, &d.service); err != nil {
		return err
	}
	if !d.policyID.Valid {
		_, err := e.q.exec(e.ctx, "UPDATE incidents SET esc_next_at = NULL WHERE id = $1", d.id)
		if err != nil {
			return err
		}
		return e.entry(d.id, vigil.EntryEscalation, "No escalation policy on the service: no one was paged")
	}
	p, err := e.policy(d.policyID.Int64)
	if err != nil {
		return err
	}
	res := escalation.Run(p, escalation.State{Step: d.step, Loop: d.loop}, e.now, e.resolve)
	for _, note := range res.Notes {
		if err := e.entry(d.id, vigil.EntryEscalation, note); err != nil {
			return err
		}
	}
	if len(res.Pages) > 0 {
		if err := e.page(d, p, res.Pages); err != nil {
			return err
		}
	}
	var next any
	if res.NextAt != nil {
		next = micros(*res.NextAt)
	}
	_, err = e.q.exec(e.ctx, "UPDATE incidents SET esc_step = $1, esc_loop = $2, esc_next_at = $3 WHERE id = $4",
		res.Next.Step, res.Next.Loop, next, d.id)
	return err
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

// resolve answers escalation.Resolver. A database error here would be
// lost inside the pure function, so it becomes a note and the target
// counts as reaching no one (the timeline shows it) rather than failing
// the whole transaction in a loop.
func (e *escalator) resolve(t vigil.Target) ([]int64, string) {
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

// page writes the outbox rows of the users a step reached: one per
// personal notification rule, or, for a user without rules, one per
// enabled contact method at once. A user with neither is on the timeline.
func (e *escalator) page(d *dueIncident, p *vigil.EscalationPolicy, pages []escalation.Page) error {
	var names []string
	for _, pg := range pages {
		var name string
		if err := e.q.queryRow(e.ctx, "SELECT name FROM users WHERE id = $1", pg.UserID).Scan(&name); err != nil {
			return err
		}
		targets, err := queryAll(e.ctx, e.q, scanRuleTarget, `SELECT r.id, c.id, r.delay_micros, c.type, c.address
			FROM notification_rules r JOIN contact_methods c ON c.id = r.contact_method_id
			WHERE r.user_id = $1 AND NOT c.disabled ORDER BY r.delay_micros, r.id`, pg.UserID)
		if err != nil {
			return err
		}
		if len(targets) == 0 {
			targets, err = queryAll(e.ctx, e.q, scanRuleTarget, `SELECT 0, id, 0, type, address FROM contact_methods
				WHERE user_id = $1 AND NOT disabled ORDER BY id`, pg.UserID)
			if err != nil {
				return err
			}
		}
		if len(targets) == 0 {
			if err := e.entry(d.id, vigil.EntryEscalation, fmt.Sprintf("%s has no enabled contact method: not notified", name)); err != nil {
				return err
			}
			continue
		}
		var how []string
		for _, t := range targets {
			due := e.now.Add(t.delay)
			key := fmt.Sprintf("page:%d:%d:%d:%d:%d:%d:%d", d.id, d.run, pg.Loop, pg.Step, pg.UserID, t.methodID, t.ruleID)
			if _, err := e.q.exec(e.ctx, `INSERT INTO notifications (incident_id, kind, user_id, contact_method_id, dest_type, dest_address,
				esc_step, esc_loop, dedup_key, priority, status, due_at, next_attempt_at, created_at, updated_at)
				VALUES ($1, 'page', $2, $3, $4, $5, $6, $7, $8, $9, 'pending', $10, $10, $11, $11) ON CONFLICT (dedup_key) DO NOTHING`,
				d.id, pg.UserID, t.methodID, t.typ, t.address, pg.Step, pg.Loop, key, priorityOf(d.severity), micros(due), micros(e.now)); err != nil {
				return err
			}
			if t.delay > 0 {
				how = append(how, fmt.Sprintf("%s after %s", t.typ, vigil.Duration(t.delay)))
			} else {
				how = append(how, t.typ)
			}
		}
		names = append(names, fmt.Sprintf("%s (%s)", name, strings.Join(how, ", ")))
	}
	if len(names) == 0 {
		return nil
	}
	step := pages[0].Step
	msg := fmt.Sprintf("Escalation step %d of %q: paging %s", step+1, p.Name, strings.Join(names, "; "))
	if pages[0].Loop > 0 {
		msg += fmt.Sprintf(" (repeat %d)", pages[0].Loop)
	}
	return e.entry(d.id, vigil.EntryEscalation, msg)
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

func (e *escalator) entry(incidentID int64, kind, msg string) error {
	return e.db.addEntry(e.ctx, e.q, incidentID, e.now, escalationActor, kind, msg, nil)
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

func scanNotification(r row, extra ...any) (*vigil.Notification, error) {
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
	n.IncidentID, n.UserID, n.ContactMethodID = incident.Int64, user.Int64, method.Int64
	if step.Valid {
		s, l := int(step.Int64), int(loop.Int64)
		n.Step, n.Loop = &s, &l
	}
	n.DueAt, n.NextAttemptAt, n.CreatedAt, n.SentAt = fromMicros(due), fromMicros(next), fromMicros(created), nullMicros(sent)
	return &n, nil
}

// ClaimNotifications leases due notifications to replica.
func (db *DB) ClaimNotifications(ctx context.Context, replica string, limit int, lease time.Duration) ([]*vigil.ClaimedNotification, error) {
	var out []*vigil.ClaimedNotification
	err := db.write(ctx, func(q querier, now time.Time) error {
		cands, err := queryAll(ctx, q, func(r row) (claimCandidate, error) {
			var c claimCandidate
			err := r.Scan(&c.id, &c.kind, &c.dest, &c.contact)
			return c, err
		}, `SELECT n.id, n.kind, n.dest_type, n.contact_method_id FROM notifications n
			WHERE n.status = 'pending' AND n.next_attempt_at <= $1 AND NOT EXISTS (`+sqlEarlierOpen+`)
			ORDER BY n.priority, n.next_attempt_at, n.id LIMIT $2`+db.dialect.skipLocked(), micros(now), limit)
		if err != nil || len(cands) == 0 {
			return err
		}
		out = make([]*vigil.ClaimedNotification, 0, len(cands))
		for _, cand := range cands {
			id := cand.id
			ok, err := db.throttle(ctx, q, now, cand)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			claimed, err := q.exec(ctx, `UPDATE notifications SET status = 'sending', claimed_by = $1, lease_until = $2, attempts = attempts + 1,
				updated_at = $3 WHERE id = $4 AND status = 'pending'`, replica, micros(now.Add(lease)), micros(now), id)
			if err != nil {
				return err
			}
			if claimed == 0 {
				continue // an earlier claim of this batch bundled it
			}
			c := &vigil.ClaimedNotification{}
			var title, sev, status, service sql.NullString
			n, err := scanNotification(q.queryRow(ctx, "SELECT "+notificationCols+`, i.title, i.severity, i.status, s.name`+notificationFrom+`
				LEFT JOIN incidents i ON i.id = n.incident_id LEFT JOIN services s ON s.id = i.service_id WHERE n.id = $1`, id),
				&title, &sev, &status, &service)
			if err != nil {
				return err
			}
			c.Notification = *n
			c.IncidentTitle, c.IncidentSeverity, c.IncidentStatus, c.ServiceName = title.String, vigil.Severity(sev.String), status.String, service.String
			if c.Bundle, err = db.bundle(ctx, q, now, n); err != nil {
				return err
			}
			out = append(out, c)
		}
		return nil
	})
	if err != nil {
		return nil, err
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

// throttle reports whether the pending notification may go now. A page
// to a throttled channel (vigil.ThrottleWindows) whose contact method had
// a page within the window waits for the window's end instead.
func (db *DB) throttle(ctx context.Context, q querier, now time.Time, c claimCandidate) (bool, error) {
	window := vigil.ThrottleWindows[c.dest]
	if c.kind != vigil.MessagePage || window <= 0 || !c.contact.Valid {
		return true, nil
	}
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
		carrier.ContactMethodID, micros(now), carrier.ID, maxBundle)
	if err != nil {
		return nil, err
	}
	for _, r := range riders {
		if _, err := q.exec(ctx, `UPDATE notifications SET status = 'bundled', bundled_into = $1, updated_at = $2
			WHERE id = $3 AND status = 'pending'`, carrier.ID, micros(now), r); err != nil {
			return nil, err
		}
	}
	return queryAll(ctx, q, func(r row) (vigil.BundledPage, error) {
		var b vigil.BundledPage
		err := r.Scan(&b.NotificationID, &b.IncidentID, &b.Title)
		return b, err
	}, `SELECT n.id, n.incident_id, COALESCE(i.title, '') FROM notifications n LEFT JOIN incidents i ON i.id = n.incident_id
		WHERE n.bundled_into = $1 AND n.status = 'bundled' ORDER BY n.id`, carrier.ID)
}

// CompleteNotification records an attempt; CodeConflict when replica lost
// the lease.
func (db *DB) CompleteNotification(ctx context.Context, id int64, replica string, o vigil.Outcome) error {
	return db.write(ctx, func(q querier, now time.Time) error {
		return db.complete(ctx, q, now, id, replica, o)
	})
}

// CompleteNotifications records several attempts. On SQLite they share
// one transaction: one fsync instead of one per message, which is what
// bounds the send rate of a busy engine. A lost lease (CodeConflict) or a vanished
// row (CodeNotFound) fails only its own item.
func (db *DB) CompleteNotifications(ctx context.Context, replica string, items []vigil.Completion) ([]error, error) {
	if db.pg != nil {
		// PostgreSQL commits in parallel over the pool; one transaction
		// would line the items' round trips up one after another
		// (measured: 100 completions 0.3 s in parallel, 0.7 s in one).
		errs := make([]error, len(items))
		var wg sync.WaitGroup
		for i, it := range items {
			wg.Go(func() { errs[i] = db.CompleteNotification(ctx, it.ID, replica, it.Outcome) })
		}
		wg.Wait()
		return errs, nil
	}
	var errs []error
	err := db.write(ctx, func(q querier, now time.Time) error {
		errs = make([]error, len(items)) // a retried transaction starts over
		for i, it := range items {
			err := db.complete(ctx, q, now, it.ID, replica, it.Outcome)
			if c := vigil.ErrorCode(err); c == vigil.CodeConflict || c == vigil.CodeNotFound {
				errs[i] = err
				continue
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return errs, nil
}

// complete records one attempt inside a write transaction.
func (db *DB) complete(ctx context.Context, q querier, now time.Time, id int64, replica string, o vigil.Outcome) error {
	var claimedBy string
	n, err := scanNotification(q.queryRow(ctx, "SELECT "+notificationCols+", n.claimed_by"+notificationFrom+" WHERE n.id = $1"+
		db.dialect.forUpdateOf("n"), id), &claimedBy)
	if errors.Is(err, sql.ErrNoRows) {
		return notFound("notification", id)
	}
	if err != nil {
		return err
	}
	if n.Status != vigil.NotificationSending || claimedBy != replica {
		return vigil.Errorf(vigil.CodeConflict, "notification %d is no longer claimed by %s", id, replica)
	}
	outcome := "sent"
	switch {
	case o.Sent:
		_, err = q.exec(ctx, `UPDATE notifications SET status = 'sent', sent_at = $1, provider_id = $2, lease_until = NULL, last_error = '',
			updated_at = $1 WHERE id = $3`, micros(now), o.ProviderID, id)
	case o.RetryAt != nil:
		outcome = "retry"
		_, err = q.exec(ctx, `UPDATE notifications SET status = 'pending', next_attempt_at = $1, lease_until = NULL, claimed_by = '',
			last_error = $2, updated_at = $3 WHERE id = $4`, micros(*o.RetryAt), o.Error, micros(now), id)
	default:
		outcome = "failed"
		_, err = q.exec(ctx, `UPDATE notifications SET status = 'failed', lease_until = NULL, last_error = $1, updated_at = $2 WHERE id = $3`,
			o.Error, micros(now), id)
	}
	if err != nil {
		return err
	}
	if _, err := q.exec(ctx, `INSERT INTO notification_attempts (notification_id, at, outcome, error, replica, duration_micros)
		VALUES ($1, $2, $3, $4, $5, $6)`, id, micros(now), outcome, o.Error, replica, o.Duration.Microseconds()); err != nil {
		return err
	}
	if outcome == "retry" {
		return nil
	}
	if err := db.completeRiders(ctx, q, now, n, outcome, o); err != nil {
		return err
	}
	if n.IncidentID == 0 {
		return nil
	}
	return db.addEntry(ctx, q, n.IncidentID, now, escalationActor, vigil.EntryNotification, deliveryText(n, outcome, o), nil)
}

// completeRiders gives the pages bundled into a sent or failed message the
// same outcome, with a timeline line on each of their incidents.
func (db *DB) completeRiders(ctx context.Context, q querier, now time.Time, carrier *vigil.Notification, outcome string, o vigil.Outcome) error {
	riders, err := queryAll(ctx, q, func(r row) (*vigil.Notification, error) { return scanNotification(r) },
		"SELECT "+notificationCols+notificationFrom+" WHERE n.bundled_into = $1 AND n.status = 'bundled' ORDER BY n.id", carrier.ID)
	if err != nil || len(riders) == 0 {
		return err
	}
	if outcome == "sent" {
		_, err = q.exec(ctx, `UPDATE notifications SET status = 'sent', sent_at = $1, provider_id = $2, last_error = '', updated_at = $1
			WHERE bundled_into = $3 AND status = 'bundled'`, micros(now), o.ProviderID, carrier.ID)
	} else {
		_, err = q.exec(ctx, `UPDATE notifications SET status = 'failed', last_error = $1, updated_at = $2
			WHERE bundled_into = $3 AND status = 'bundled'`, o.Error, micros(now), carrier.ID)
	}
	if err != nil {
		return err
	}
	for _, r := range riders {
		text := deliveryText(r, outcome, o) + fmt.Sprintf(" (in one message with incident #%d)", carrier.IncidentID)
		if err := db.addEntry(ctx, q, r.IncidentID, now, escalationActor, vigil.EntryNotification, text, nil); err != nil {
			return err
		}
	}
	return nil
}

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
			n.Status, n.CreatedAt, n.DueAt, n.NextAttemptAt = vigil.NotificationPending, now, now, now
			err := q.queryRow(ctx, `INSERT INTO notifications (incident_id, kind, user_id, contact_method_id, dest_type, dest_address, priority,
				status, title, body, due_at, next_attempt_at, created_at, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, $9, $10, $10, $10, $10) RETURNING id`,
				nullID(n.IncidentID), n.Kind, nullID(n.UserID), nullID(n.ContactMethodID), n.DestType, n.DestAddress, n.Priority,
				n.Title, n.Body, micros(now)).Scan(&n.ID)
			if err != nil {
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

// FindNotifications lists notifications, newest first.
func (db *DB) FindNotifications(ctx context.Context, f vigil.NotificationFilter) ([]*vigil.Notification, error) {
	var w where
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
	return listAll(ctx, db, func(r row) (*vigil.Notification, error) { return scanNotification(r) },
		"SELECT "+notificationCols+notificationFrom+w.sql()+" ORDER BY n.id DESC"+w.page(0, limit), w.args...)
}

// FindNotification returns one notification; CodeNotFound.
func (db *DB) FindNotification(ctx context.Context, id int64) (*vigil.Notification, error) {
	return findOne(ctx, db, "notification", id, func(r row) (*vigil.Notification, error) { return scanNotification(r) },
		"SELECT "+notificationCols+notificationFrom+" WHERE n.id = $1")
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
