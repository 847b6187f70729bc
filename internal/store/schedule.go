package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

const scheduleCols = "id, name, description, time_zone, team_id, layers, created_at, updated_at"

func scanSchedule(r row) (*vigil.Schedule, error) {
	var (
		s                vigil.Schedule
		team             sql.NullInt64
		layers           string
		created, updated int64
	)
	if err := r.Scan(&s.ID, &s.Name, &s.Description, &s.TimeZone, &team, &layers, &created, &updated); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(layers), &s.Layers); err != nil {
		return nil, err
	}
	if s.Layers == nil {
		s.Layers = []vigil.Layer{}
	}
	s.TeamID, s.CreatedAt, s.UpdatedAt = team.Int64, fromMicros(created), fromMicros(updated)
	return &s, nil
}

var errScheduleNameTaken = &vigil.Error{Code: vigil.CodeConflict, Field: "name", Message: "a schedule with this name already exists"}

// checkSchedule validates s and checks that the users and team it names exist.
func checkSchedule(ctx context.Context, q querier, s *vigil.Schedule) (string, error) {
	s.Normalize()
	if err := s.Validate(); err != nil {
		return "", err
	}
	if err := mustExist(ctx, q, "teams", s.TeamID, "team_id", "team"); err != nil {
		return "", err
	}
	for i, l := range s.Layers {
		for _, uid := range l.Members {
			if err := mustExist(ctx, q, "users", uid, fmt.Sprintf("layers[%d].members", i), "user"); err != nil {
				return "", err
			}
		}
		if s.Layers[i].Restrictions == nil {
			s.Layers[i].Restrictions = []vigil.Restriction{}
		}
	}
	if s.Layers == nil {
		s.Layers = []vigil.Layer{}
	}
	b, err := json.Marshal(s.Layers)
	return string(b), err
}

// CreateSchedule validates and stores s. CodeInvalid, CodeConflict (name).
func (db *DB) CreateSchedule(ctx context.Context, s *vigil.Schedule) error {
	return db.write(ctx, func(q querier, now time.Time) error {
		layers, err := checkSchedule(ctx, q, s)
		if err != nil {
			return err
		}
		err = q.queryRow(ctx, `INSERT INTO schedules (name, description, time_zone, team_id, layers, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id`, s.Name, s.Description, s.TimeZone, nullID(s.TeamID), layers, micros(now)).Scan(&s.ID)
		if uniqueViolation(err) {
			return errScheduleNameTaken
		}
		if err != nil {
			return err
		}
		s.CreatedAt, s.UpdatedAt = now, now
		return db.audit(ctx, q, now, "schedule.create", auditSchedule, s.ID, nil, s)
	})
}

// UpdateSchedule replaces the schedule. CodeNotFound, CodeInvalid, CodeConflict.
func (db *DB) UpdateSchedule(ctx context.Context, s *vigil.Schedule) error {
	return db.write(ctx, func(q querier, now time.Time) error {
		layers, err := checkSchedule(ctx, q, s)
		if err != nil {
			return err
		}
		before, err := snapshot(ctx, q, scanSchedule, "SELECT "+scheduleCols+" FROM schedules WHERE id = $1", s.ID)
		if err != nil {
			return err
		}
		n, err := q.exec(ctx, `UPDATE schedules SET name = $1, description = $2, time_zone = $3, team_id = $4, layers = $5, updated_at = $6
			WHERE id = $7`, s.Name, s.Description, s.TimeZone, nullID(s.TeamID), layers, micros(now), s.ID)
		if uniqueViolation(err) {
			return errScheduleNameTaken
		}
		if err != nil {
			return err
		}
		if n == 0 {
			return notFound("schedule", s.ID)
		}
		s.UpdatedAt = now
		if err := q.queryRow(ctx, "SELECT created_at FROM schedules WHERE id = $1", s.ID).Scan(microsInto(&s.CreatedAt)); err != nil {
			return err
		}
		return db.audit(ctx, q, now, "schedule.update", auditSchedule, s.ID, before, s)
	})
}

// FindSchedule returns one schedule; CodeNotFound.
func (db *DB) FindSchedule(ctx context.Context, id int64) (*vigil.Schedule, error) {
	return findOne(ctx, db, "schedule", id, scanSchedule, "SELECT "+scheduleCols+" FROM schedules WHERE id = $1")
}

// ListSchedules lists schedules by name.
func (db *DB) ListSchedules(ctx context.Context) ([]*vigil.Schedule, error) {
	return listAll(ctx, db, scanSchedule, "SELECT "+scheduleCols+" FROM schedules ORDER BY name, id")
}

// DeleteSchedule removes a schedule and its overrides. CodeConflict while
// an escalation policy pages it: edit the policy first, so no step
// silently loses its target.
func (db *DB) DeleteSchedule(ctx context.Context, id int64) error {
	return db.write(ctx, func(q querier, now time.Time) error {
		policies, err := queryAll(ctx, q, scanPolicy, "SELECT "+policyCols+" FROM escalation_policies ORDER BY id")
		if err != nil {
			return err
		}
		for _, p := range policies {
			for _, st := range p.Steps {
				if slices.Contains(st.Targets, vigil.Target{Type: vigil.TargetSchedule, ID: id}) {
					return vigil.Errorf(vigil.CodeConflict, "escalation policy %q pages this schedule: remove it from the policy first", p.Name)
				}
			}
		}
		before, err := scanSchedule(q.queryRow(ctx, "DELETE FROM schedules WHERE id = $1 RETURNING "+scheduleCols, id))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("schedule", id)
		}
		if err != nil {
			return err
		}
		return db.audit(ctx, q, now, "schedule.delete", auditSchedule, id, before, nil)
	})
}

const overrideCols = "id, schedule_id, user_id, start_at, end_at, created_at"

func scanOverride(r row) (*vigil.Override, error) {
	var (
		o                   vigil.Override
		start, end, created int64
	)
	if err := r.Scan(&o.ID, &o.ScheduleID, &o.UserID, &start, &end, &created); err != nil {
		return nil, err
	}
	o.Start, o.End, o.CreatedAt = fromMicros(start), fromMicros(end), fromMicros(created)
	return &o, nil
}

// CreateOverride stores o. CodeInvalid, CodeNotFound (schedule).
func (db *DB) CreateOverride(ctx context.Context, o *vigil.Override) error {
	if err := o.Validate(); err != nil {
		return err
	}
	o.Start, o.End = o.Start.UTC().Truncate(time.Microsecond), o.End.UTC().Truncate(time.Microsecond)
	return db.write(ctx, func(q querier, now time.Time) error {
		if err := exists(ctx, q, "schedules", o.ScheduleID, "schedule"); err != nil {
			return err
		}
		if err := mustExist(ctx, q, "users", o.UserID, "user_id", "user"); err != nil {
			return err
		}
		o.CreatedAt = now
		if err := q.queryRow(ctx, `INSERT INTO schedule_overrides (schedule_id, user_id, start_at, end_at, created_at)
			VALUES ($1, $2, $3, $4, $5) RETURNING id`, o.ScheduleID, o.UserID, micros(o.Start), micros(o.End), micros(now)).Scan(&o.ID); err != nil {
			return err
		}
		return db.audit(ctx, q, now, "override.create", auditOverride, o.ID, nil, o)
	})
}

// ListOverrides returns the overrides overlapping [from, to), oldest first.
func (db *DB) ListOverrides(ctx context.Context, scheduleID int64, from, to time.Time) ([]*vigil.Override, error) {
	return listAll(ctx, db, scanOverride, "SELECT "+overrideCols+` FROM schedule_overrides
		WHERE schedule_id = $1 AND end_at > $2 AND start_at < $3 ORDER BY created_at, id`, scheduleID, micros(from), micros(to))
}

// DeleteOverride removes one override.
func (db *DB) DeleteOverride(ctx context.Context, scheduleID, id int64) error {
	return deleteAudited(ctx, db, "override", auditOverride, id, scanOverride,
		"DELETE FROM schedule_overrides WHERE id = $1 AND schedule_id = $2 RETURNING "+overrideCols, id, scheduleID)
}

// forgetUser removes a deleted user from schedule layers (a layer left
// empty goes) and from policy steps.
func (db *DB) forgetUser(ctx context.Context, q querier, now time.Time, id int64) error {
	schedules, err := queryAll(ctx, q, scanSchedule, "SELECT "+scheduleCols+" FROM schedules ORDER BY id")
	if err != nil {
		return err
	}
	for _, s := range schedules {
		changed := false
		layers := s.Layers[:0]
		for _, l := range s.Layers {
			if slices.Contains(l.Members, id) {
				changed = true
				l.Members = slices.DeleteFunc(l.Members, func(m int64) bool { return m == id })
			}
			if len(l.Members) > 0 {
				layers = append(layers, l)
			}
		}
		if !changed {
			continue
		}
		b, err := json.Marshal(layers)
		if err != nil {
			return err
		}
		if _, err := q.exec(ctx, "UPDATE schedules SET layers = $1, updated_at = $2 WHERE id = $3", string(b), micros(now), s.ID); err != nil {
			return err
		}
	}
	return db.forgetTarget(ctx, q, now, vigil.TargetUser, id)
}

// forgetTarget removes a deleted user or team from every policy step. A
// step left with no target stays: it reaches no one, which the timeline
// then says, rather than silently changing the policy's shape.
func (db *DB) forgetTarget(ctx context.Context, q querier, now time.Time, typ string, id int64) error {
	policies, err := queryAll(ctx, q, scanPolicy, "SELECT "+policyCols+" FROM escalation_policies ORDER BY id")
	if err != nil {
		return err
	}
	gone := vigil.Target{Type: typ, ID: id}
	for _, p := range policies {
		changed := false
		for i := range p.Steps {
			if slices.Contains(p.Steps[i].Targets, gone) {
				changed = true
				p.Steps[i].Targets = slices.DeleteFunc(p.Steps[i].Targets, func(t vigil.Target) bool { return t == gone })
			}
		}
		if !changed {
			continue
		}
		b, err := json.Marshal(p.Steps)
		if err != nil {
			return err
		}
		if _, err := q.exec(ctx, "UPDATE escalation_policies SET steps = $1, updated_at = $2 WHERE id = $3", string(b), micros(now), p.ID); err != nil {
			return err
		}
	}
	return nil
}
