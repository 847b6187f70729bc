package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/vigil-oss/vigil/internal/matcher"
	"github.com/vigil-oss/vigil/internal/triage"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// Holds: what keeps a new alert off incidents (stored, visible, paging no
// one) until it ends. Three kinds, asked in this order, the first that
// applies wins: an active silence (silence.go), an open maintenance
// window that covers the alert, and an inhibition rule with a firing
// source alert. The alert's row says which (silenced_by; held_by_window;
// inhibited_by_rule and inhibited_by_alert) and, for a window, when to
// look again (held_until). The housekeeping job (ExpireAlerts) releases
// the alerts whose hold ended, each re-checked in its transaction: it is
// held again if something else holds it now, else it opens or joins its
// incident and pages as a new alert would.
//
// Windows and rules are compiled once per change: ingest keeps them in
// memory (holdSet) and reloads them only when hold_state.version moved,
// one primary-key read per batch.

const (
	sqlHoldVersion  = `SELECT version FROM hold_state WHERE id = 1`
	sqlBumpHolds    = `UPDATE hold_state SET version = version + 1 WHERE id = 1`
	sqlBumpRules    = `UPDATE hold_state SET version = version + 1, changed_at = $1 WHERE id = 1`
	sqlRulesChanged = `SELECT changed_at FROM hold_state WHERE id = 1`

	// The firing alerts that can mute others (see alerts.inhibit_source).
	sqlInhibitSources = `SELECT id, summary, labels, severity FROM alerts WHERE status = 'firing' AND inhibit_source ORDER BY id`

	sqlSetHold = `UPDATE alerts SET silenced_by = $1, held_by_window = $2, held_until = $3, inhibited_by_rule = $4,
		inhibited_by_alert = $5, suppressed_by = $6, paused_until = $7 WHERE id = $8`

	// holdCols are an alert's hold columns, in the order heldAs scans them.
	holdCols = `silenced_by, held_by_window, held_until, inhibited_by_rule, inhibited_by_alert, suppressed_by, paused_until`

	// Firing alerts whose hold ended: held by a silence that ended (or by
	// nothing at all), by a window whose close (or a change) is due,
	// paused until now, or muted by an alert that no longer fires.
	sqlReleasable = `SELECT a.service_id, a.dedup_key FROM alerts a LEFT JOIN silences s ON s.id = a.silenced_by
	WHERE a.status = 'firing' AND a.incident_id IS NULL AND a.suppressed_by IS NULL AND (
		(a.held_by_window IS NULL AND a.inhibited_by_rule IS NULL AND a.paused_until IS NULL AND (s.id IS NULL OR s.ends_at <= $1))
		OR a.held_until <= $1 OR a.paused_until <= $1
		OR (a.inhibited_by_alert IS NOT NULL AND NOT EXISTS (
			SELECT 1 FROM alerts src WHERE src.id = a.inhibited_by_alert AND src.status = 'firing')))`
)

// sourceRecheckFor is how long after a change of the rules the
// housekeeping job marks inhibition sources again: an ingest transaction
// of another replica that read the rules of just before the change may
// commit an alert after the change's own marking (transactions are
// bounded by maxEventWait, far less).
const sourceRecheckFor = time.Minute

// hold is what holds a new alert: at most one of a silence, a window
// (with when it closes), a rule (with the source alert) or the service's
// auto-pause (with when it ends).
type hold struct {
	suppress string // the classification rule that suppressed the alert
	silence  *liveSilence
	window   int64
	until    int64 // unix micros: when the window closes
	rule     int64
	source   int64
	pause    int64 // unix micros: when the pause ends
}

func (h hold) none() bool {
	return h.suppress == "" && h.silence == nil && h.window == 0 && h.rule == 0 && h.pause == 0
}

// columns are the values of holdCols for h.
func (h hold) columns() []any {
	cols := []any{nil, nil, nil, nil, nil, nil, nil}
	switch {
	case h.suppress != "":
		cols[5] = h.suppress
	case h.silence != nil:
		cols[0] = h.silence.id
	case h.window != 0:
		cols[1], cols[2] = h.window, h.until
	case h.rule != 0:
		cols[3], cols[4] = h.rule, h.source
	case h.pause != 0:
		cols[6] = h.pause
	}
	return cols
}

// result shows h in an event's result.
func (h hold) result(res *vigil.EventResult) {
	res.SilencedBy, res.HeldByWindow, res.InhibitedByRule, res.InhibitedByAlert, res.SuppressedBy = 0, 0, 0, 0, ""
	res.PausedUntil = nil
	switch {
	case h.suppress != "":
		res.SuppressedBy = h.suppress
	case h.silence != nil:
		res.SilencedBy = h.silence.id
	case h.window != 0:
		res.HeldByWindow = h.window
	case h.rule != 0:
		res.InhibitedByRule, res.InhibitedByAlert = h.rule, h.source
	case h.pause != 0:
		res.PausedUntil = nullMicros(sql.NullInt64{Int64: h.pause, Valid: true})
	}
}

// heldAs is a hold as stored on an alert's row.
type heldAs struct {
	silence, window, until, rule, source sql.NullInt64
	suppress                             sql.NullString
	paused                               sql.NullInt64
}

func (s *heldAs) dest() []any {
	return []any{&s.silence, &s.window, &s.until, &s.rule, &s.source, &s.suppress, &s.paused}
}

// same reports whether the row already says h.
func (s *heldAs) same(h hold) bool {
	eq := func(n sql.NullInt64, v int64) bool { return n.Int64 == v && n.Valid == (v != 0) }
	var sil int64
	if h.silence != nil {
		sil = h.silence.id
	}
	return eq(s.silence, sil) && eq(s.window, h.window) && eq(s.until, h.until) && eq(s.rule, h.rule) && eq(s.source, h.source) &&
		s.suppress.String == h.suppress && s.suppress.Valid == (h.suppress != "") && eq(s.paused, h.pause)
}

// result shows the stored hold in an event's result.
func (s *heldAs) result(res *vigil.EventResult) {
	res.SilencedBy, res.HeldByWindow, res.InhibitedByRule, res.InhibitedByAlert = s.silence.Int64, s.window.Int64, s.rule.Int64, s.source.Int64
	res.SuppressedBy = s.suppress.String
	res.PausedUntil = nullMicros(s.paused)
}

// ended says, for the timeline, what stopped holding a released alert.
func (s *heldAs) ended() string {
	switch {
	case s.suppress.Valid:
		return fmt.Sprintf("rule '%s', which suppressed it, no longer does", s.suppress.String)
	case s.silence.Valid:
		return fmt.Sprintf("silence %d, which held it, ended", s.silence.Int64)
	case s.window.Valid:
		return fmt.Sprintf("maintenance window %d, which held it, closed", s.window.Int64)
	case s.rule.Valid:
		return fmt.Sprintf("inhibit rule %d no longer muted it (alert %d muted it)", s.rule.Int64, s.source.Int64)
	case s.paused.Valid:
		return "its auto-pause ended and it still fired"
	}
	return "nothing held it any more"
}

// holdSet is the compiled maintenance windows and inhibition rules of one
// hold_state version. Windows naming services are filed under each (those
// without matchers apart: they cover every alert of the service alike);
// windows of matchers alone apply to every service.
type holdSet struct {
	version    int64
	loadedAt   int64
	byService  map[int64]*serviceWindows
	anyService []liveWindow // every window of matchers alone
	// anyByValue files those of anyService with an equality matcher under
	// its label and value; anyScan holds the others.
	anyByValue map[string]map[string][]liveWindow
	anyScan    []liveWindow
	inhibitor  *triage.Inhibitor
}

type serviceWindows struct {
	plain   []liveWindow // no matchers
	matched []liveWindow
}

type liveWindow struct {
	id int64
	m  *triage.Maintenance
}

// windowPick is the open window chosen for an alert, and when it closes.
type windowPick struct {
	id    int64
	until time.Time
}

// better reports whether w, open until u, holds an alert rather than p:
// of several open windows, the one closing last (then the oldest), so the
// alert is released once.
func (p windowPick) better(id int64, u time.Time) bool {
	return p.id == 0 || u.After(p.until) || (u.Equal(p.until) && id < p.id)
}

// concerns reports whether a window or a rule could apply to an alert of
// service: only then are its labels worth assembling.
func (s *holdSet) concerns(service int64) bool {
	return s.inhibitor.Len() > 0 || len(s.anyService) > 0 || s.byService[service] != nil
}

// holdCache holds the last holdSet loaded, shared by transactions.
type holdCache struct {
	mu  sync.Mutex
	set *holdSet
}

func (c *holdCache) get() *holdSet {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.set
}

func (c *holdCache) put(s *holdSet) {
	c.mu.Lock()
	c.set = s
	c.mu.Unlock()
}

// windowOver reports whether w can never be open at or after now.
func windowOver(w *vigil.MaintenanceWindow, now time.Time) bool {
	if w.End.IsZero() {
		return false
	}
	if w.Recurrence == nil {
		return !w.End.After(now)
	}
	// An occurrence begins before End and lasts at most a week of wall
	// clock (a day more covers any change of the clocks).
	return !w.End.Add(vigil.MaxMaintenanceDuration + 24*time.Hour).After(now)
}

// loadHolds returns the compiled windows and rules, from the cache when
// hold_state's version has not moved.
func (db *DB) loadHolds(ctx context.Context, q querier, now time.Time) (*holdSet, error) {
	var version int64
	if err := q.queryRow(ctx, sqlHoldVersion).Scan(&version); err != nil {
		return nil, err
	}
	at := micros(now)
	if cur := db.holds.get(); cur != nil && cur.version == version && cur.loadedAt <= at {
		return cur, nil
	}
	windows, err := queryAll(ctx, q, scanMaintenance, "SELECT "+maintenanceCols+" FROM maintenance_windows ORDER BY id")
	if err != nil {
		return nil, err
	}
	rules, err := queryAll(ctx, q, scanInhibitRule, "SELECT "+inhibitCols+" FROM inhibit_rules ORDER BY id")
	if err != nil {
		return nil, err
	}
	set := &holdSet{version: version, loadedAt: at, byService: map[int64]*serviceWindows{}, inhibitor: db.compileRules(rules)}
	for _, w := range windows {
		if windowOver(w, now) {
			continue
		}
		m, err := triage.CompileMaintenance(*w)
		if err != nil {
			// Checked when saved; a row that no longer compiles holds
			// nothing rather than stopping ingest.
			db.log.Error("maintenance window does not compile; ignored", "window", w.ID, "err", err)
			continue
		}
		lw := liveWindow{id: w.ID, m: m}
		if len(w.ServiceIDs) == 0 {
			set.fileAny(lw, w.Matchers)
			continue
		}
		for _, id := range w.ServiceIDs {
			sw := set.byService[id]
			if sw == nil {
				sw = &serviceWindows{}
				set.byService[id] = sw
			}
			if len(w.Matchers) == 0 {
				sw.plain = append(sw.plain, lw)
			} else {
				sw.matched = append(sw.matched, lw)
			}
		}
	}
	db.holds.put(set)
	return set, nil
}

// fileAny adds a window of matchers alone.
func (s *holdSet) fileAny(w liveWindow, matchers []string) {
	s.anyService = append(s.anyService, w)
	for _, text := range matchers {
		m, err := matcher.Parse(text)
		if err == nil && m.Type() == matcher.Equal && m.Value() != "" {
			if s.anyByValue == nil {
				s.anyByValue = map[string]map[string][]liveWindow{}
			}
			if s.anyByValue[m.Name()] == nil {
				s.anyByValue[m.Name()] = map[string][]liveWindow{}
			}
			s.anyByValue[m.Name()][m.Value()] = append(s.anyByValue[m.Name()][m.Value()], w)
			return
		}
	}
	s.anyScan = append(s.anyScan, w)
}

func bumpHolds(ctx context.Context, q querier, now time.Time, rules bool) error {
	var err error
	if rules {
		_, err = q.exec(ctx, sqlBumpRules, micros(now))
	} else {
		_, err = q.exec(ctx, sqlBumpHolds)
	}
	return err
}

// recheckHeld asks the housekeeping job to look again, now, at the alerts
// that col (held_by_window or inhibited_by_rule) says id holds.
func recheckHeld(ctx context.Context, q querier, now time.Time, col string, id int64) error {
	_, err := q.exec(ctx, "UPDATE alerts SET held_until = $1 WHERE "+col+" = $2 AND status = 'firing' AND incident_id IS NULL", micros(now), id)
	return err
}

// decision is what ingest decided about one trigger: what holds it if it
// is new, and whether it can mute other alerts.
type decision struct {
	hold   hold
	source bool
	labels map[string]string // the labels view, when it was needed
}

// holdFor decides what would hold an alert like e (self is its id when it
// exists, so it never mutes itself): an active silence, else an open
// window that covers it, else a rule with a firing source.
func (p *eventTx) holdFor(e *vigil.Event, self int64) (decision, error) {
	var d decision
	sil, err := p.silenceFor(e)
	if err != nil {
		return d, err
	}
	d.hold.silence = sil
	hs, err := p.holdSet()
	if err != nil || !hs.concerns(e.ServiceID) {
		return d, err
	}
	d.labels = vigil.AlertLabels{Labels: e.Labels, Summary: e.Summary, Severity: e.Severity}.Map()
	d.source = hs.inhibitor.Sources(d.labels)
	if sil != nil {
		return d, nil
	}
	if w := p.windowFor(hs, e.ServiceID, d.labels); w.id != 0 {
		d.hold.window, d.hold.until = w.id, micros(w.until)
		return d, nil
	}
	if !hs.inhibitor.Targets(d.labels) {
		return d, nil
	}
	if err := p.loadSources(); err != nil {
		return d, err
	}
	firing, ids := p.srcLabels, p.srcIDs
	if i := slices.Index(ids, self); self != 0 && i >= 0 {
		firing = slices.Delete(slices.Clone(firing), i, i+1)
		ids = slices.Delete(slices.Clone(ids), i, i+1)
	}
	if inh, ok := hs.inhibitor.Muted(d.labels, firing); ok {
		d.hold.rule, d.hold.source = inh.Rule.ID, ids[inh.Source]
	}
	return d, nil
}

// windowFor returns the open window of hs that covers an alert of service
// with labels at the transaction's time. Which windows are open is asked
// once per transaction (a weekly window works out its occurrences in its
// time zone: worth doing once, not once per alert), and so is the pick of
// the service's windows without matchers.
func (p *eventTx) windowFor(hs *holdSet, service int64, labels map[string]string) windowPick {
	var best windowPick
	if sw := hs.byService[service]; sw != nil {
		plain, ok := p.svcWin[service]
		if !ok {
			for _, w := range sw.plain {
				if open, u := p.windowOpen(w); open && plain.better(w.id, u) {
					plain = windowPick{w.id, u}
				}
			}
			if p.svcWin == nil {
				p.svcWin = map[int64]windowPick{}
			}
			p.svcWin[service] = plain
		}
		best = plain
		for _, w := range sw.matched {
			if w.m.Covers(service, labels) {
				if open, u := p.windowOpen(w); open && best.better(w.id, u) {
					best = windowPick{w.id, u}
				}
			}
		}
	}
	consider := func(list []liveWindow) {
		for _, w := range list {
			if w.m.Covers(service, labels) {
				if open, u := p.windowOpen(w); open && best.better(w.id, u) {
					best = windowPick{w.id, u}
				}
			}
		}
	}
	consider(hs.anyScan)
	if len(hs.anyByValue) > 0 {
		for name, value := range labels {
			consider(hs.anyByValue[name][value])
		}
	}
	return best
}

// windowOpen says whether w is open at the transaction's time, asking each
// window once per transaction.
func (p *eventTx) windowOpen(w liveWindow) (bool, time.Time) {
	if st, ok := p.winOpen[w.id]; ok {
		return st.open, st.until
	}
	open, until := w.m.OpenAt(p.now)
	if p.winOpen == nil {
		p.winOpen = map[int64]windowState{}
	}
	p.winOpen[w.id] = windowState{open, until}
	return open, until
}

type windowState struct {
	open  bool
	until time.Time
}

// holdSet returns the windows and rules, loaded once per transaction.
func (p *eventTx) holdSet() (*holdSet, error) {
	if p.holds == nil {
		set, err := p.db.loadHolds(p.ctx, p.q, p.now)
		if err != nil {
			return nil, err
		}
		p.holds = set
	}
	return p.holds, nil
}

// loadSources reads the firing alerts that can mute others, once per
// transaction; what the transaction itself triggers and resolves
// afterwards is kept up to date by noteSource and dropSource.
func (p *eventTx) loadSources() error {
	if p.srcLoaded {
		return nil
	}
	type src struct {
		id     int64
		labels map[string]string
	}
	list, err := queryAll(p.ctx, p.q, func(r row) (src, error) {
		var (
			s               src
			summary, labels string
			sev             vigil.Severity
		)
		if err := r.Scan(&s.id, &summary, &labels, &sev); err != nil {
			return s, err
		}
		l := vigil.AlertLabels{Summary: summary, Severity: sev}
		if err := json.Unmarshal([]byte(labels), &l.Labels); err != nil {
			return s, err
		}
		s.labels = l.Map()
		return s, nil
	}, sqlInhibitSources)
	if err != nil {
		return err
	}
	p.srcIDs, p.srcLabels = make([]int64, len(list)), make([]map[string]string, len(list))
	for i, s := range list {
		p.srcIDs[i], p.srcLabels[i] = s.id, s.labels
	}
	p.srcLoaded = true
	return nil
}

// noteSource keeps the loaded sources in step with a trigger of alert id.
func (p *eventTx) noteSource(id int64, d decision) {
	if !p.srcLoaded || id == 0 {
		return
	}
	i := slices.Index(p.srcIDs, id)
	switch {
	case d.source && i >= 0:
		p.srcLabels[i] = d.labels
	case d.source:
		p.srcIDs, p.srcLabels = append(p.srcIDs, id), append(p.srcLabels, d.labels)
	case i >= 0:
		p.dropSource(id)
	}
}

// dropSource forgets a loaded source that stopped firing.
func (p *eventTx) dropSource(id int64) {
	if !p.srcLoaded {
		return
	}
	if i := slices.Index(p.srcIDs, id); i >= 0 {
		p.srcIDs = slices.Delete(p.srcIDs, i, i+1)
		p.srcLabels = slices.Delete(p.srcLabels, i, i+1)
	}
}

// setHold records on alert id (whose row says prev) that h holds it now.
func (p *eventTx) setHold(id int64, prev heldAs, h hold, res *vigil.EventResult) error {
	if !prev.same(h) {
		args := append(h.columns(), id)
		if _, err := p.q.exec(p.ctx, sqlSetHold, args...); err != nil {
			return err
		}
	}
	h.result(res)
	if h.silence != nil {
		p.silenced(h.silence)
	}
	return nil
}

// pauseOf is the auto-pause of an alert of svc first seen at first: until
// first plus the pause, while that is ahead; none otherwise. The pause is
// the one a classification rule chose for the alert, else the service's.
func (p *eventTx) pauseOf(svc *serviceRule, first time.Time) hold {
	length := svc.autoPause
	if c := p.cur; c != nil && c.d.Pause != "" {
		if d, err := time.ParseDuration(c.d.Pause); err == nil { // checked when saved
			length = d
		}
	}
	if length <= 0 {
		return hold{}
	}
	if until := first.Add(length); until.After(p.now) {
		return hold{pause: micros(until)}
	}
	return hold{}
}

// pauseExisting is pauseOf for stored alert id of service: the pause
// counts from when the alert first fired, whatever held it since.
func (p *eventTx) pauseExisting(serviceID, id int64) (hold, error) {
	svc, _, err := p.service(serviceID, false)
	if err != nil || (svc.autoPause <= 0 && (p.cur == nil || p.cur.d.Pause == "")) {
		return hold{}, err
	}
	var first int64
	if err := p.q.queryRow(p.ctx, `SELECT first_seen FROM alerts WHERE id = $1`, id).Scan(&first); err != nil {
		return hold{}, err
	}
	return p.pauseOf(svc, fromMicros(first)), nil
}

// ReleaseHeldAlerts releases up to limit alerts whose hold ended.
func (db *DB) ReleaseHeldAlerts(ctx context.Context, limit int) (int, error) {
	if limit <= 0 {
		return 0, vigil.FieldError("limit", "must be above zero")
	}
	if err := db.remarkSources(ctx); err != nil {
		return 0, err
	}
	return db.releaseHeld(ctx, limit, "", 0)
}

// remarkSources marks the inhibition sources again for a while after the
// rules changed (see sourceRecheckFor).
func (db *DB) remarkSources(ctx context.Context) error {
	now := db.now()
	var changed int64
	if err := db.read(ctx, func(q querier) error { return q.queryRow(ctx, sqlRulesChanged).Scan(&changed) }); err != nil {
		return err
	}
	if changed == 0 || micros(now)-changed > sourceRecheckFor.Microseconds() {
		return nil
	}
	return db.write(ctx, func(q querier, _ time.Time) error { return db.markSources(ctx, q) })
}

// releaseNow releases, right away, the alerts that col (a.silenced_by,
// a.held_by_window, a.inhibited_by_rule) says id held, so ending a hold by
// hand pages now rather than at the next sweep. A failure is logged: the
// sweep (ExpireAlerts) releases them then.
func (db *DB) releaseNow(ctx context.Context, col string, id int64) {
	for {
		n, err := db.releaseHeld(ctx, maxReleaseBatch, col, id)
		if err != nil {
			db.log.WarnContext(ctx, "release held alerts; the sweep retries", "held_by", col, "id", id, "err", err)
			return
		}
		if n < maxReleaseBatch {
			return
		}
	}
}

// maxReleaseBatch bounds the alerts one release transaction handles.
const maxReleaseBatch = 500

// releaseHeld handles up to limit alerts whose hold has ended (only those
// col says id held, when col is set), in one transaction, and returns how
// many it looked at (released, held again, or resolved because their
// service is gone).
func (db *DB) releaseHeld(ctx context.Context, limit int, col string, id int64) (int, error) {
	now := db.now()
	type held struct {
		service int64
		key     string
	}
	q, args := sqlReleasable, []any{micros(now)}
	if col != "" {
		q += " AND " + col + " = $2"
		args = append(args, id)
	}
	q += fmt.Sprintf(" ORDER BY a.id LIMIT %d", limit)
	var due []held
	err := db.read(ctx, func(r querier) error {
		var err error
		due, err = queryAll(ctx, r, func(x row) (held, error) {
			var h held
			return h, x.Scan(&h.service, &h.key)
		}, q, args...)
		return err
	})
	if err != nil || len(due) == 0 {
		return 0, err
	}
	opened := false
	err = db.write(ctx, func(q querier, now time.Time) error {
		opened = false
		p := db.newEventTx(ctx, q, now)
		for _, h := range due {
			isNew, err := p.release(h.service, h.key, vigil.SystemActor)
			if err != nil {
				return err
			}
			opened = opened || isNew
		}
		return p.flush()
	})
	if err != nil {
		return 0, err
	}
	if opened {
		db.wake()
	}
	return len(due), nil
}
