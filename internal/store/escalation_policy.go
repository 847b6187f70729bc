package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/vigil-oss/vigil/internal/escalation"
	"github.com/vigil-oss/vigil/internal/vigil"
)

const policyCols = "id, name, description, team_id, repeat_count, steps, created_at, updated_at"

func scanPolicy(r row) (*vigil.EscalationPolicy, error) {
	var (
		p                vigil.EscalationPolicy
		team             sql.NullInt64
		steps            string
		created, updated int64
	)
	if err := r.Scan(&p.ID, &p.Name, &p.Description, &team, &p.Repeat, &steps, &created, &updated); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(steps), &p.Steps); err != nil {
		return nil, err
	}
	if p.Steps == nil {
		p.Steps = []vigil.EscalationStep{}
	}
	p.TeamID, p.CreatedAt, p.UpdatedAt = team.Int64, fromMicros(created), fromMicros(updated)
	return &p, nil
}

var errPolicyNameTaken = &vigil.Error{Code: vigil.CodeConflict, Field: "name", Message: "an escalation policy with this name already exists"}

// checkPolicy validates p and checks that every target exists.
func checkPolicy(ctx context.Context, q querier, p *vigil.EscalationPolicy) (string, error) {
	if err := escalation.Validate(p); err != nil {
		return "", err
	}
	if err := mustExist(ctx, q, "teams", p.TeamID, "team_id", "team"); err != nil {
		return "", err
	}
	tables := map[string]string{vigil.TargetUser: "users", vigil.TargetSchedule: "schedules", vigil.TargetTeam: "teams"}
	for i, s := range p.Steps {
		for j, t := range s.Targets {
			if err := mustExist(ctx, q, tables[t.Type], t.ID, fmt.Sprintf("steps[%d].targets[%d].id", i, j), t.Type); err != nil {
				return "", err
			}
		}
	}
	b, err := json.Marshal(p.Steps)
	return string(b), err
}

// CreateEscalationPolicy validates and stores p.
func (db *DB) CreateEscalationPolicy(ctx context.Context, p *vigil.EscalationPolicy) error {
	return db.write(ctx, func(q querier, now time.Time) error {
		steps, err := checkPolicy(ctx, q, p)
		if err != nil {
			return err
		}
		err = q.queryRow(ctx, `INSERT INTO escalation_policies (name, description, team_id, repeat_count, steps, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id`, p.Name, p.Description, nullID(p.TeamID), p.Repeat, steps, micros(now)).Scan(&p.ID)
		if uniqueViolation(err) {
			return errPolicyNameTaken
		}
		if err != nil {
			return err
		}
		p.CreatedAt, p.UpdatedAt = now, now
		return db.audit(ctx, q, now, "escalation_policy.create", auditEscalationPolicy, p.ID, nil, p)
	})
}

// UpdateEscalationPolicy replaces p. Running incidents keep their step
// index and timing (escalation.Run handles a step that no longer exists).
func (db *DB) UpdateEscalationPolicy(ctx context.Context, p *vigil.EscalationPolicy) error {
	return db.write(ctx, func(q querier, now time.Time) error {
		steps, err := checkPolicy(ctx, q, p)
		if err != nil {
			return err
		}
		before, err := snapshot(ctx, q, scanPolicy, "SELECT "+policyCols+" FROM escalation_policies WHERE id = $1", p.ID)
		if err != nil {
			return err
		}
		n, err := q.exec(ctx, `UPDATE escalation_policies SET name = $1, description = $2, team_id = $3, repeat_count = $4, steps = $5,
			updated_at = $6 WHERE id = $7`, p.Name, p.Description, nullID(p.TeamID), p.Repeat, steps, micros(now), p.ID)
		if uniqueViolation(err) {
			return errPolicyNameTaken
		}
		if err != nil {
			return err
		}
		if n == 0 {
			return notFound("escalation policy", p.ID)
		}
		p.UpdatedAt = now
		if err := q.queryRow(ctx, "SELECT created_at FROM escalation_policies WHERE id = $1", p.ID).Scan(microsInto(&p.CreatedAt)); err != nil {
			return err
		}
		return db.audit(ctx, q, now, "escalation_policy.update", auditEscalationPolicy, p.ID, before, p)
	})
}

// FindEscalationPolicy returns one policy; CodeNotFound.
func (db *DB) FindEscalationPolicy(ctx context.Context, id int64) (*vigil.EscalationPolicy, error) {
	return findOne(ctx, db, "escalation policy", id, scanPolicy, "SELECT "+policyCols+" FROM escalation_policies WHERE id = $1")
}

// ListEscalationPolicies lists policies by name.
func (db *DB) ListEscalationPolicies(ctx context.Context) ([]*vigil.EscalationPolicy, error) {
	return listAll(ctx, db, scanPolicy, "SELECT "+policyCols+" FROM escalation_policies ORDER BY name, id")
}

// DeleteEscalationPolicy removes a policy; CodeConflict while a service
// uses it.
func (db *DB) DeleteEscalationPolicy(ctx context.Context, id int64) error {
	return db.write(ctx, func(q querier, now time.Time) error {
		var name string
		err := q.queryRow(ctx, "SELECT name FROM services WHERE escalation_policy_id = $1 ORDER BY id LIMIT 1", id).Scan(&name)
		if err == nil {
			return vigil.Errorf(vigil.CodeConflict, "service %q uses this escalation policy: give it another first", name)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		before, err := scanPolicy(q.queryRow(ctx, "DELETE FROM escalation_policies WHERE id = $1 RETURNING "+policyCols, id))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("escalation policy", id)
		}
		if err != nil {
			return err
		}
		return db.audit(ctx, q, now, "escalation_policy.delete", auditEscalationPolicy, id, before, nil)
	})
}
