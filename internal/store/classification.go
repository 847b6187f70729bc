package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/vigil-oss/vigil/internal/classify"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// Classification at ingest: every trigger is classified by the global rule
// list (internal/classify) before anything else is decided, so a rule's
// labels and route count for silences, grouping and dedup alike. The
// rules are compiled once per saved version and kept in memory
// (classCache); each batch reads the version (one primary-key read) and
// recompiles only when it moved.

const (
	sqlClassVersion = `SELECT version FROM classification_rules WHERE id = 1`
	sqlClassRules   = `SELECT rules, time_zone, version, updated_at, updated_by FROM classification_rules WHERE id = 1`

	sqlClassifyIncident = `UPDATE incidents SET sev_level = $1, priority = $2, incident_type = $3, urgency = $4, private = $5,
		esc_next_at = CASE WHEN esc_next_at IS NULL THEN NULL ELSE CAST($6 AS BIGINT) END WHERE id = $7`

	sqlRuleFailure = `INSERT INTO classification_failures (rule, version, error, count, last_at) VALUES ($1, $2, $3, $4, $5)
	ON CONFLICT (rule) DO UPDATE SET error = excluded.error, last_at = excluded.last_at,
		count = CASE WHEN classification_failures.version = excluded.version THEN classification_failures.count + excluded.count ELSE excluded.count END,
		version = excluded.version`
)

// classSet is the compiled rules of one version.
type classSet struct {
	version int64
	rules   *classify.Rules
	loc     *time.Location
}

type classCache struct {
	mu     sync.Mutex
	set    *classSet
	logged map[string]bool // "version/rule" failures already logged by this process
}

func (c *classCache) get() *classSet {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.set
}

func (c *classCache) put(s *classSet) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.set == nil || s.version >= c.set.version {
		c.set = s
	}
}

// firstLog reports whether a rule's failure under version is new to this
// process (it is logged once).
func (c *classCache) firstLog(version int64, rule string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.logged == nil {
		c.logged = map[string]bool{}
	}
	k := strconv.FormatInt(version, 10) + "/" + rule
	if c.logged[k] {
		return false
	}
	c.logged[k] = true
	return true
}

// liveRules returns the compiled rules as of q's transaction.
func (db *DB) liveRules(ctx context.Context, q querier) (*classSet, error) {
	var version int64
	if err := q.queryRow(ctx, sqlClassVersion).Scan(&version); err != nil {
		return nil, err
	}
	if cur := db.classes.get(); cur != nil && cur.version == version {
		return cur, nil
	}
	set, err := readRuleSet(ctx, q)
	if err != nil {
		return nil, err
	}
	cs := &classSet{version: set.Version, loc: time.UTC}
	if loc, err := time.LoadLocation(set.TimeZone); err == nil {
		cs.loc = loc
	}
	if cs.rules, err = classify.Compile(set.Rules, cs.loc); err != nil {
		// Checked when saved; rules that no longer compile (a newer
		// binary's syntax) classify nothing rather than stop ingest.
		db.log.Error("classification rules do not compile; ignored", "version", set.Version, "err", err)
		cs.rules = nil
	}
	db.classes.put(cs)
	return cs, nil
}

func readRuleSet(ctx context.Context, q querier) (*vigil.ClassificationRuleSet, error) {
	var (
		set     vigil.ClassificationRuleSet
		rules   string
		updated int64
	)
	if err := q.queryRow(ctx, sqlClassRules).Scan(&rules, &set.TimeZone, &set.Version, &updated, &set.UpdatedBy); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(rules), &set.Rules); err != nil {
		return nil, err
	}
	if set.Rules == nil {
		set.Rules = []vigil.ClassificationRule{}
	}
	if updated != 0 {
		t := fromMicros(updated)
		set.UpdatedAt = &t
	}
	return &set, nil
}

// ClassificationRules returns the rule set and the rules broken under it.
func (db *DB) ClassificationRules(ctx context.Context) (*vigil.ClassificationRuleSet, error) {
	var set *vigil.ClassificationRuleSet
	err := db.read(ctx, func(q querier) error {
		var err error
		if set, err = readRuleSet(ctx, q); err != nil {
			return err
		}
		set.Broken, err = queryAll(ctx, q, func(r row) (vigil.RuleFailure, error) {
			var (
				f  vigil.RuleFailure
				at int64
			)
			err := r.Scan(&f.Rule, &f.Error, &f.Count, &at)
			f.LastAt = fromMicros(at)
			return f, err
		}, `SELECT rule, error, count, last_at FROM classification_failures WHERE version = $1 ORDER BY rule`, set.Version)
		return err
	})
	return set, err
}

// SetClassificationRules checks and saves the rules (see the interface).
func (db *DB) SetClassificationRules(ctx context.Context, set vigil.ClassificationRuleSet, ifVersion int64) (*vigil.ClassificationRuleSet, error) {
	if set.TimeZone == "" {
		set.TimeZone = "UTC"
	}
	loc, err := time.LoadLocation(set.TimeZone)
	if err != nil || set.TimeZone == "Local" {
		return nil, vigil.FieldError("time_zone", "unknown time zone %q (use an IANA name such as Europe/Berlin)", set.TimeZone)
	}
	if set.Rules == nil {
		set.Rules = []vigil.ClassificationRule{}
	}
	set.Rules = slices.Clone(set.Rules)
	if err := vigil.ValidateClassificationRules(set.Rules); err != nil { // trims names, as Compile does
		return nil, err
	}
	if _, err := classify.Compile(set.Rules, loc); err != nil {
		return nil, err
	}
	body, err := json.Marshal(set.Rules)
	if err != nil {
		return nil, err
	}
	actor := vigil.ActorFromContext(ctx)
	err = db.write(ctx, func(q querier, now time.Time) error {
		var version int64
		if err := q.queryRow(ctx, sqlClassVersion+db.dialect.forUpdate()).Scan(&version); err != nil {
			return err
		}
		if ifVersion != 0 && ifVersion != version {
			return vigil.Errorf(vigil.CodeConflict, "the rules changed since version %d (now %d): reload and apply your change again", ifVersion, version)
		}
		if err := checkRuleTargets(ctx, q, set.Rules); err != nil {
			return err
		}
		before, err := classificationSnapshot(ctx, q)
		if err != nil {
			return err
		}
		if _, err := q.exec(ctx, `UPDATE classification_rules SET rules = $1, time_zone = $2, version = version + 1, updated_at = $3, updated_by = $4 WHERE id = 1`,
			string(body), set.TimeZone, micros(now), actor.Name); err != nil {
			return err
		}
		if _, err := q.exec(ctx, `DELETE FROM classification_failures`); err != nil {
			return err
		}
		return auditClassification(ctx, db, q, now, before)
	})
	if err != nil {
		return nil, err
	}
	return db.ClassificationRules(ctx)
}

// checkRuleTargets checks that the services, teams and groups the rules
// name exist.
func checkRuleTargets(ctx context.Context, q querier, rules []vigil.ClassificationRule) error {
	exists := func(query string, arg any) (bool, error) {
		var one int
		err := q.queryRow(ctx, query, arg).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return false, nil
		}
		return err == nil, err
	}
	type target struct {
		field, what, query, name string
		arg                      any
	}
	for i, r := range rules {
		var checks []target
		if r.Set.Service != "" {
			checks = append(checks, target{"set.service", "service", `SELECT 1 FROM services WHERE name = $1`, r.Set.Service, r.Set.Service})
		}
		if r.Set.Team != "" {
			checks = append(checks, target{"set.team", "team", `SELECT 1 FROM teams WHERE name = $1`, r.Set.Team, r.Set.Team})
		}
		for j, g := range r.Set.Notify {
			checks = append(checks, target{"set.notify[" + strconv.Itoa(j) + "]", "stakeholder group",
				`SELECT 1 FROM stakeholder_groups WHERE name_key = $1`, g, vigil.StakeholderGroupKey(g)})
		}
		for _, c := range checks {
			ok, err := exists(c.query, c.arg)
			if err != nil {
				return err
			}
			if !ok {
				return vigil.FieldError(vigil.RuleField(i, c.field), "there is no %s named %q", c.what, c.name)
			}
		}
	}
	return nil
}

// classified is what the rules decided for the trigger being applied.
type classified struct {
	d    classify.Decision
	loc  *time.Location
	from int64 // the service the alert was sent to, when a rule routed it elsewhere
}

// classify runs the rules on a trigger. It returns the event to apply (a
// copy when a rule added labels or routed it, with d re-encoded) and the
// decision; nil when there are no rules.
func (p *eventTx) classify(e *vigil.Event, d *eventData) (*vigil.Event, *classified, error) {
	if p.rules == nil {
		cs, err := p.db.liveRules(p.ctx, p.q)
		if err != nil {
			return nil, nil, err
		}
		p.rules = cs
	}
	if p.rules.rules.Len() == 0 {
		return e, nil, nil
	}
	svc, _, err := p.service(e.ServiceID, false)
	if err != nil {
		return nil, nil, err
	}
	a := classify.Alert{Summary: e.Summary, Severity: string(e.Severity), Source: e.Source, Service: svc.name, Labels: e.Labels, At: p.now}
	if len(e.Details) > 0 {
		_ = json.Unmarshal(e.Details, &a.Details) // checked as an object at ingest; a non-object reads as none
	}
	c := &classified{d: p.rules.rules.Classify(a), loc: p.rules.loc}
	for _, f := range c.d.Failed {
		p.ruleFailed(f)
	}
	out := e
	if len(c.d.Labels) > 0 {
		cp := *e
		cp.Labels = maps.Clone(e.Labels)
		if cp.Labels == nil {
			cp.Labels = map[string]string{}
		}
		maps.Copy(cp.Labels, c.d.Labels)
		b, err := json.Marshal(cp.Labels)
		if err != nil {
			return nil, nil, err
		}
		d.labels = string(b)
		out = &cp
	}
	to, err := p.route(svc, c.d)
	if err != nil {
		return nil, nil, err
	}
	if to != 0 && to != out.ServiceID {
		cp := *out
		cp.ServiceID, c.from = to, out.ServiceID
		out = &cp
	}
	return out, c, nil
}

// route returns the service a decision routes to (0: where it was sent).
// A team route keeps an alert of one of the team's services where it is
// and sends any other to the team's first service. A target deleted since
// the rules were saved routes nowhere, reported as the rule's failure.
func (p *eventTx) route(from *serviceRule, d classify.Decision) (int64, error) {
	var query, name, field string
	switch {
	case d.Service != "":
		query, name, field = `SELECT id FROM services WHERE name = $1`, d.Service, "service"
	case d.Team != "":
		query, name, field = `SELECT s.id FROM services s JOIN teams t ON t.id = s.team_id WHERE t.name = $1
			ORDER BY CASE WHEN s.id = $2 THEN 0 ELSE 1 END, s.id LIMIT 1`, d.Team, "team"
	default:
		return 0, nil
	}
	if p.routes == nil {
		p.routes = map[string]int64{}
	}
	k := field + "\x00" + name + "\x00" + strconv.FormatInt(from.id, 10)
	if id, ok := p.routes[k]; ok {
		return id, nil
	}
	args := []any{name}
	if field == "team" {
		args = append(args, from.id)
	}
	var id int64
	err := p.q.queryRow(p.ctx, query, args...).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		rule := ""
		for _, ef := range d.Effects {
			if ef.Field == field {
				rule = ef.Rule
			}
		}
		p.ruleFailed(classify.Failure{Rule: rule, Err: fmt.Sprintf("routes to %s %q, which does not exist (or has no service)", field, name)})
		err = nil
	}
	if err != nil {
		return 0, err
	}
	p.routes[k] = id
	return id, nil
}

// ruleFailed queues a rule's failure for the flush, and logs it the first
// time this process sees it under the current rules.
func (p *eventTx) ruleFailed(f classify.Failure) {
	if p.failed == nil {
		p.failed = map[string]*ruleFailure{}
	}
	rf := p.failed[f.Rule]
	if rf == nil {
		rf = &ruleFailure{}
		p.failed[f.Rule] = rf
	}
	rf.err, rf.n = f.Err, rf.n+1
	if p.db.classes.firstLog(p.rules.version, f.Rule) {
		p.db.log.Warn("classification rule failed on an alert; skipped", "rule", f.Rule, "version", p.rules.version, "err", f.Err)
	}
}

type ruleFailure struct {
	err string
	n   int64
}

// flushFailures records the rules that failed in this transaction.
func (p *eventTx) flushFailures() error {
	for _, rule := range slices.Sorted(maps.Keys(p.failed)) {
		f := p.failed[rule]
		if _, err := p.q.exec(p.ctx, sqlRuleFailure, rule, p.rules.version, f.err, f.n, micros(p.now)); err != nil {
			return err
		}
	}
	return nil
}

// suppressedBy names the rule that suppressed the alert, or "".
func (c *classified) suppressedBy() string {
	if c == nil || !c.d.Suppress {
		return ""
	}
	rule := ""
	for _, ef := range c.d.Effects {
		if ef.Field == "suppress" {
			rule = ef.Rule
		}
	}
	return rule
}

// decided reports whether the decision changes anything on an incident.
func (c *classified) decided() bool {
	return c != nil && (len(c.d.Effects) > 0 || c.d.Private || c.d.Priority != "")
}

// applyToIncident stores what the rules decided on the incident an alert
// just opened: its fields, when paging starts (low urgency waits for
// business hours), the rules that applied, the groups they chose, and one
// timeline line per effect.
func (p *eventTx) applyToIncident(id int64, c *classified, actor vigil.Actor) error {
	d := c.d
	due := p.now
	if d.Urgency == vigil.UrgencyLow {
		due = classify.NextBusinessHours(p.now, c.loc)
	}
	if _, err := p.q.exec(p.ctx, sqlClassifyIncident, d.Sev, d.Priority, d.Type, d.Urgency, d.Private, micros(due), id); err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, ef := range d.Effects {
		if !seen[ef.Rule] {
			seen[ef.Rule] = true
			if _, err := p.q.exec(p.ctx, `INSERT INTO incident_rules (incident_id, rule) VALUES ($1, $2) ON CONFLICT DO NOTHING`, id, ef.Rule); err != nil {
				return err
			}
		}
		data, _ := json.Marshal(map[string]string{"rule": ef.Rule, "field": ef.Field, "value": ef.Value})
		p.entry(id, actor, vigil.EntryClassified, ef.String(), data)
	}
	if d.Priority != "" && !slices.ContainsFunc(d.Effects, func(ef classify.Effect) bool { return ef.Field == "priority" }) {
		p.entry(id, actor, vigil.EntryClassified, fmt.Sprintf("priority %s set by default for %s incidents", d.Priority, d.Type), nil)
	}
	if d.Private && !slices.ContainsFunc(d.Effects, func(ef classify.Effect) bool { return ef.Field == "private" }) {
		p.entry(id, actor, vigil.EntryClassified, fmt.Sprintf("private by default for %s incidents", d.Type), nil)
	}
	if due.After(p.now) {
		p.entry(id, actor, vigil.EntryClassified, fmt.Sprintf("Low urgency: paging waits for business hours (%s)", due.In(c.loc).Format("Mon 2 Jan 15:04 MST")), nil)
	}
	for _, g := range d.Notify {
		if _, err := p.q.exec(p.ctx, `INSERT INTO incident_groups (incident_id, group_id)
			SELECT $1, id FROM stakeholder_groups WHERE name_key = $2 ON CONFLICT DO NOTHING`, id, vigil.StakeholderGroupKey(g)); err != nil {
			return err
		}
	}
	return nil
}
