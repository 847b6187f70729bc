package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

const serviceCols = "id, name, description, grouping_rule, auto_resolve, created_at, updated_at, team_id, escalation_policy_id, flap_policy, auto_pause"

func scanService(row row) (*vigil.Service, error) {
	var (
		s                vigil.Service
		rule             string
		created, updated int64
		team, policy     sql.NullInt64
		flap             sql.NullString
		pause            int64
	)
	if err := row.Scan(&s.ID, &s.Name, &s.Description, &rule, &s.AutoResolve, &created, &updated, &team, &policy, &flap, &pause); err != nil {
		return nil, err
	}
	if flap.Valid {
		s.Flap = &vigil.FlapSettings{}
		if err := json.Unmarshal([]byte(flap.String), s.Flap); err != nil {
			return nil, err
		}
	}
	s.AutoPause = vigil.Duration(time.Duration(pause) * time.Microsecond)
	s.TeamID, s.EscalationPolicyID = team.Int64, policy.Int64
	if err := json.Unmarshal([]byte(rule), &s.Grouping); err != nil {
		return nil, err
	}
	s.CreatedAt, s.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &s, nil
}

func checkService(s *vigil.Service) error {
	s.Name = strings.TrimSpace(s.Name)
	s.Normalize()
	return s.Validate()
}

var errNameTaken = &vigil.Error{Code: vigil.CodeConflict, Field: "name", Message: "a service with this name already exists"}

// CreateService stores s, filling its ID and times. CodeInvalid,
// CodeConflict (name taken).
func (db *DB) CreateService(ctx context.Context, s *vigil.Service) error {
	if err := checkService(s); err != nil {
		return err
	}
	rule, err := json.Marshal(s.Grouping)
	if err != nil {
		return db.mapErr(err)
	}
	flap, err := flapPolicyText(s)
	if err != nil {
		return db.mapErr(err)
	}
	return db.write(ctx, func(q querier, now time.Time) error {
		if err := checkServiceRefs(ctx, q, s); err != nil {
			return err
		}
		err := q.queryRow(ctx, `INSERT INTO services (name, description, grouping_rule, auto_resolve, created_at, updated_at, team_id, escalation_policy_id,
			flap_policy, auto_pause)
			VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8, $9) RETURNING id`,
			s.Name, s.Description, string(rule), s.AutoResolve, micros(now), nullID(s.TeamID), nullID(s.EscalationPolicyID),
			flap, autoPauseMicros(s)).Scan(&s.ID)
		if uniqueViolation(err) {
			return errNameTaken
		}
		if err != nil {
			return err
		}
		s.CreatedAt, s.UpdatedAt = now, now
		return db.audit(ctx, q, now, "service.create", auditService, s.ID, nil, s)
	})
}

// FindServiceByID returns CodeNotFound when there is no such service.
func (db *DB) FindServiceByID(ctx context.Context, id int64) (*vigil.Service, error) {
	var s *vigil.Service
	err := db.read(ctx, func(q querier) error {
		var err error
		s, err = scanService(q.queryRow(ctx, "SELECT "+serviceCols+" FROM services WHERE id = $1", id))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("service", id)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// FindServices lists services by name with the total matching count.
func (db *DB) FindServices(ctx context.Context, f vigil.ServiceFilter) ([]*vigil.Service, int, error) {
	var w where
	if f.ID != nil {
		w.add("id = ?", *f.ID)
	}
	if f.Name != nil {
		w.add("name = ?", *f.Name)
	}
	var (
		total int
		list  = []*vigil.Service{}
	)
	err := db.read(ctx, func(q querier) error {
		if err := q.queryRow(ctx, "SELECT count(*) FROM services"+w.sql(), w.args...).Scan(&total); err != nil {
			return err
		}
		var err error
		list, err = queryAll(ctx, q, scanService, "SELECT "+serviceCols+" FROM services"+w.sql()+" ORDER BY name, id"+w.page(f.Offset, f.Limit), w.args...)
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	return list, total, nil
}

// UpdateService applies upd. CodeNotFound, CodeInvalid, CodeConflict.
func (db *DB) UpdateService(ctx context.Context, id int64, upd vigil.ServiceUpdate) (*vigil.Service, error) {
	var out *vigil.Service
	err := db.write(ctx, func(q querier, now time.Time) error {
		s, err := scanService(q.queryRow(ctx, "SELECT "+serviceCols+" FROM services WHERE id = $1"+db.dialect.forUpdate(), id))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("service", id)
		}
		if err != nil {
			return err
		}
		before := *s
		if upd.Name != nil {
			s.Name = *upd.Name
		}
		if upd.Description != nil {
			s.Description = *upd.Description
		}
		if upd.Grouping != nil {
			s.Grouping = *upd.Grouping
		}
		if upd.AutoResolve != nil {
			s.AutoResolve = *upd.AutoResolve
		}
		if upd.TeamID != nil {
			s.TeamID = *upd.TeamID
		}
		if upd.EscalationPolicyID != nil {
			s.EscalationPolicyID = *upd.EscalationPolicyID
		}
		if upd.Flap != nil {
			f := *upd.Flap
			s.Flap = &f
		}
		if upd.AutoPause != nil {
			s.AutoPause = *upd.AutoPause
		}
		if err := checkService(s); err != nil {
			return err
		}
		if err := checkServiceRefs(ctx, q, s); err != nil {
			return err
		}
		rule, err := json.Marshal(s.Grouping)
		if err != nil {
			return err
		}
		flap, err := flapPolicyText(s)
		if err != nil {
			return err
		}
		_, err = q.exec(ctx, `UPDATE services SET name = $1, description = $2, grouping_rule = $3, auto_resolve = $4, updated_at = $5,
			team_id = $7, escalation_policy_id = $8, flap_policy = $9, auto_pause = $10 WHERE id = $6`, s.Name, s.Description, string(rule), s.AutoResolve, micros(now), id,
			nullID(s.TeamID), nullID(s.EscalationPolicyID), flap, autoPauseMicros(s))
		if uniqueViolation(err) {
			return errNameTaken
		}
		if err != nil {
			return err
		}
		s.UpdatedAt = now
		out = s
		return db.audit(ctx, q, now, "service.update", auditService, id, &before, s)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteService removes a service and its integration keys. CodeNotFound;
// CodeConflict while it has incidents.
func (db *DB) DeleteService(ctx context.Context, id int64) error {
	err := db.write(ctx, func(q querier, now time.Time) error {
		// The lock keeps a concurrent first alert from opening an incident
		// meanwhile (it locks the service row too).
		before, err := scanService(q.queryRow(ctx, "SELECT "+serviceCols+" FROM services WHERE id = $1"+db.dialect.forUpdate(), id))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("service", id)
		}
		if err != nil {
			return err
		}
		var has bool
		if err := q.queryRow(ctx, "SELECT EXISTS (SELECT 1 FROM incidents WHERE service_id = $1)", id).Scan(&has); err != nil {
			return err
		}
		if has {
			return vigil.Errorf(vigil.CodeConflict, "service %d has incidents; it cannot be deleted", id)
		}
		if _, err := q.exec(ctx, "DELETE FROM integration_keys WHERE service_id = $1", id); err != nil {
			return err
		}
		if _, err := q.exec(ctx, "DELETE FROM services WHERE id = $1", id); err != nil {
			return err
		}
		if err := db.audit(ctx, q, now, "service.delete", auditService, id, before, nil); err != nil {
			return err
		}
		return forgetWindowService(ctx, q, now, id)
	})
	if err == nil {
		db.keys.forget(func(k *vigil.IntegrationKey) bool { return k.ServiceID == id })
	}
	return err
}

// checkServiceRefs checks that the team and policy a service names exist.
func checkServiceRefs(ctx context.Context, q querier, s *vigil.Service) error {
	if s.TeamID < 0 || s.EscalationPolicyID < 0 {
		return vigil.FieldError("team_id", "ids are positive (0 clears)")
	}
	if err := mustExist(ctx, q, "teams", s.TeamID, "team_id", "team"); err != nil {
		return err
	}
	return mustExist(ctx, q, "escalation_policies", s.EscalationPolicyID, "escalation_policy_id", "escalation policy")
}

// mustExist returns a field error unless id is 0 or names a row of table.
func mustExist(ctx context.Context, q querier, table string, id int64, field, what string) error {
	if id == 0 {
		return nil
	}
	err := exists(ctx, q, table, id, what)
	if vigil.ErrorCode(err) == vigil.CodeNotFound {
		return vigil.FieldError(field, "%s %d does not exist", what, id)
	}
	return err
}

// flapPolicyText is the flap_policy column of s: NULL for the default.
func flapPolicyText(s *vigil.Service) (any, error) {
	if s.Flap == nil {
		return nil, nil
	}
	b, err := json.Marshal(s.Flap)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

// autoPauseMicros is the auto_pause column of s.
func autoPauseMicros(s *vigil.Service) int64 {
	return time.Duration(s.AutoPause).Microseconds()
}

// nullID stores 0 as NULL.
func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}
