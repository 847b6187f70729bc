package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/vigil-oss/vigil/internal/triage"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// Inhibition rules. The rows live in inhibit_rules; ingest asks the
// compiled rules of holdSet (hold.go). Firing alerts that match some
// rule's source matchers carry alerts.inhibit_source, so looking for what
// mutes a new alert reads those few rows, not every firing alert.

const inhibitCols = `id, name, source_matchers, target_matchers, equal`

func scanInhibitRule(r row) (*vigil.InhibitRule, error) {
	var (
		rule                  vigil.InhibitRule
		source, target, equal string
	)
	if err := r.Scan(&rule.ID, &rule.Name, &source, &target, &equal); err != nil {
		return nil, err
	}
	for _, x := range []struct {
		text string
		into *[]string
	}{{source, &rule.Source}, {target, &rule.Target}, {equal, &rule.Equal}} {
		if err := json.Unmarshal([]byte(x.text), x.into); err != nil {
			return nil, err
		}
	}
	if len(rule.Equal) == 0 {
		rule.Equal = nil
	}
	return &rule, nil
}

var errRuleNameTaken = &vigil.Error{Code: vigil.CodeConflict, Field: "name", Message: "an inhibit rule with this name already exists"}

// checkInhibitRule validates r through the triage compiler, with the
// fields named as in the rule itself ("source_matchers[0]"), and returns
// the JSON of its lists. (Beyond Alertmanager, the compiler wants one
// source matcher that needs a value: a rule whose sources are nearly every
// alert would make every firing alert a source to read at ingest.)
func checkInhibitRule(r *vigil.InhibitRule) (source, target, equal string, err error) {
	if r == nil {
		return "", "", "", vigil.Errorf(vigil.CodeInvalid, "inhibit rule is empty")
	}
	if _, err := triage.CompileInhibitRules([]vigil.InhibitRule{*r}); err != nil {
		return "", "", "", vigil.FieldError(strings.TrimPrefix(vigil.ErrorField(err), "rules[0]."), "%s", vigil.ErrorMessage(err))
	}
	if err := r.Validate(); err != nil { // applies the trimming to r itself
		return "", "", "", err
	}
	r.Source, r.Target = canonMatchers(r.Source), canonMatchers(r.Target)
	eq := r.Equal
	if eq == nil {
		eq = []string{}
	}
	var out [3]string
	for i, list := range [][]string{r.Source, r.Target, eq} {
		b, err := json.Marshal(list)
		if err != nil {
			return "", "", "", err
		}
		out[i] = string(b)
	}
	return out[0], out[1], out[2], nil
}

// CreateInhibitRule validates and stores r.
func (db *DB) CreateInhibitRule(ctx context.Context, r *vigil.InhibitRule) error {
	return db.write(ctx, func(q querier, now time.Time) error {
		source, target, equal, err := checkInhibitRule(r)
		if err != nil {
			return err
		}
		err = q.queryRow(ctx, `INSERT INTO inhibit_rules (name, source_matchers, target_matchers, equal, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $5) RETURNING id`, r.Name, source, target, equal, micros(now)).Scan(&r.ID)
		if uniqueViolation(err) {
			return errRuleNameTaken
		}
		if err != nil {
			return err
		}
		if err := auditRow(ctx, db, q, now, "inhibit_rule.create", auditInhibitRule, r.ID, nil, scanInhibitRule, "SELECT "+inhibitCols+" FROM inhibit_rules WHERE id = $1"); err != nil {
			return err
		}
		return db.rulesChanged(ctx, q, now)
	})
}

// UpdateInhibitRule replaces rule r.ID; the alerts it mutes are checked
// again at once.
func (db *DB) UpdateInhibitRule(ctx context.Context, r *vigil.InhibitRule) error {
	err := db.write(ctx, func(q querier, now time.Time) error {
		source, target, equal, err := checkInhibitRule(r)
		if err != nil {
			return err
		}
		before, err := snapshot(ctx, q, scanInhibitRule, "SELECT "+inhibitCols+" FROM inhibit_rules WHERE id = $1", r.ID)
		if err != nil {
			return err
		}
		n, err := q.exec(ctx, `UPDATE inhibit_rules SET name = $1, source_matchers = $2, target_matchers = $3, equal = $4, updated_at = $5
			WHERE id = $6`, r.Name, source, target, equal, micros(now), r.ID)
		if uniqueViolation(err) {
			return errRuleNameTaken
		}
		if err != nil {
			return err
		}
		if n == 0 {
			return notFound("inhibit rule", r.ID)
		}
		if err := auditRow(ctx, db, q, now, "inhibit_rule.update", auditInhibitRule, r.ID, before, scanInhibitRule, "SELECT "+inhibitCols+" FROM inhibit_rules WHERE id = $1"); err != nil {
			return err
		}
		if err := recheckHeld(ctx, q, now, "inhibited_by_rule", r.ID); err != nil {
			return err
		}
		return db.rulesChanged(ctx, q, now)
	})
	if err != nil {
		return err
	}
	db.releaseNow(ctx, "a.inhibited_by_rule", r.ID)
	return nil
}

// FindInhibitRule returns one rule; CodeNotFound.
func (db *DB) FindInhibitRule(ctx context.Context, id int64) (*vigil.InhibitRule, error) {
	return findOne(ctx, db, "inhibit rule", id, scanInhibitRule, "SELECT "+inhibitCols+" FROM inhibit_rules WHERE id = $1")
}

// ListInhibitRules lists every rule by name.
func (db *DB) ListInhibitRules(ctx context.Context) ([]*vigil.InhibitRule, error) {
	return listAll(ctx, db, scanInhibitRule, "SELECT "+inhibitCols+" FROM inhibit_rules ORDER BY name, id")
}

// DeleteInhibitRule removes it; the alerts it muted are released.
func (db *DB) DeleteInhibitRule(ctx context.Context, id int64) error {
	err := db.write(ctx, func(q querier, now time.Time) error {
		before, err := scanInhibitRule(q.queryRow(ctx, "DELETE FROM inhibit_rules WHERE id = $1 RETURNING "+inhibitCols, id))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("inhibit rule", id)
		}
		if err != nil {
			return err
		}
		if err := db.audit(ctx, q, now, "inhibit_rule.delete", auditInhibitRule, id, before, nil); err != nil {
			return err
		}
		if err := recheckHeld(ctx, q, now, "inhibited_by_rule", id); err != nil {
			return err
		}
		return db.rulesChanged(ctx, q, now)
	})
	if err != nil {
		return err
	}
	db.releaseNow(ctx, "a.inhibited_by_rule", id)
	return nil
}

// rulesChanged records a change of the rules in q: the version moves,
// changed_at is now, and the firing alerts are marked as sources by the
// new rules.
func (db *DB) rulesChanged(ctx context.Context, q querier, now time.Time) error {
	if err := bumpHolds(ctx, q, now, true); err != nil {
		return err
	}
	return db.markSources(ctx, q)
}

// compileRules compiles the stored rules; a rule that no longer compiles
// is left out (and logged) rather than stopping ingest.
func (db *DB) compileRules(rules []*vigil.InhibitRule) *triage.Inhibitor {
	ok := make([]vigil.InhibitRule, 0, len(rules))
	for _, r := range rules {
		if _, err := triage.CompileInhibitRules([]vigil.InhibitRule{*r}); err != nil {
			db.log.Error("inhibit rule does not compile; ignored", "rule", r.ID, "err", err)
			continue
		}
		ok = append(ok, *r)
	}
	in, err := triage.CompileInhibitRules(ok)
	if err != nil || len(ok) == 0 {
		return nil
	}
	return in
}

// markSources sets alerts.inhibit_source of every firing alert to whether
// the current rules (as q sees them) make it a source, writing only the
// rows that change.
func (db *DB) markSources(ctx context.Context, q querier) error {
	rules, err := queryAll(ctx, q, scanInhibitRule, "SELECT "+inhibitCols+" FROM inhibit_rules ORDER BY id")
	if err != nil {
		return err
	}
	in := db.compileRules(rules)
	type firing struct {
		id     int64
		source bool
	}
	var change []firing
	list, err := queryAll(ctx, q, func(r row) (firing, error) {
		var (
			f               firing
			summary, labels string
			sev             vigil.Severity
		)
		if err := r.Scan(&f.id, &summary, &labels, &sev, &f.source); err != nil {
			return f, err
		}
		l := vigil.AlertLabels{Summary: summary, Severity: sev}
		if err := json.Unmarshal([]byte(labels), &l.Labels); err != nil {
			return f, err
		}
		if want := in.Sources(l.Map()); want != f.source {
			f.source = want
			return f, nil
		}
		return firing{}, nil
	}, "SELECT id, summary, labels, severity, inhibit_source FROM alerts WHERE status = 'firing' ORDER BY id")
	if err != nil {
		return err
	}
	for _, f := range list {
		if f.id != 0 {
			change = append(change, f)
		}
	}
	for _, f := range change {
		if _, err := q.exec(ctx, "UPDATE alerts SET inhibit_source = $1 WHERE id = $2", f.source, f.id); err != nil {
			return err
		}
	}
	return nil
}
