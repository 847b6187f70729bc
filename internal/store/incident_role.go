package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

const sqlIncidentRoles = `SELECT r.role, r.user_id, u.name, r.assigned_by, r.assigned_at
	FROM incident_roles r JOIN users u ON u.id = r.user_id WHERE r.incident_id = $1`

func scanRoleHolder(r row) (*vigil.IncidentRoleHolder, error) {
	var (
		h  vigil.IncidentRoleHolder
		at int64
	)
	if err := r.Scan(&h.Role, &h.UserID, &h.UserName, &h.AssignedBy, &at); err != nil {
		return nil, err
	}
	h.AssignedAt = fromMicros(at)
	return &h, nil
}

// incidentRoles lists the roles of an incident in vigil.IncidentRoles order.
func incidentRoles(ctx context.Context, q querier, id int64) ([]*vigil.IncidentRoleHolder, error) {
	list, err := queryAll(ctx, q, scanRoleHolder, sqlIncidentRoles, id)
	if err != nil {
		return nil, err
	}
	out := make([]*vigil.IncidentRoleHolder, 0, len(list))
	for _, role := range vigil.IncidentRoles {
		for _, h := range list {
			if h.Role == role {
				out = append(out, h)
			}
		}
	}
	return out, nil
}

// ListIncidentRoles lists the roles held on an incident the caller may
// see. CodeNotFound.
func (db *DB) ListIncidentRoles(ctx context.Context, id int64) ([]*vigil.IncidentRoleHolder, error) {
	var out []*vigil.IncidentRoleHolder
	err := db.read(ctx, func(q querier) error {
		if err := checkVisible(ctx, q, id); err != nil {
			return err
		}
		var err error
		out, err = incidentRoles(ctx, q, id)
		return err
	})
	return out, err
}

// AssignIncidentRole gives a role to a person (userID 0 clears it), on the
// timeline and in the audit log. The holder becomes a responder of the
// incident. CodeInvalid (role, user_id), CodeNotFound.
func (db *DB) AssignIncidentRole(ctx context.Context, id int64, role string, userID int64) ([]*vigil.IncidentRoleHolder, error) {
	if !vigil.ValidIncidentRole(role) {
		return nil, vigil.FieldError("role", "must be one of incident_manager, communications_lead, tech_lead, engineering_manager")
	}
	if userID < 0 {
		return nil, vigil.FieldError("user_id", "must be a user ID, or 0 to clear the role")
	}
	var out []*vigil.IncidentRoleHolder
	_, err := db.changeIncident(ctx, id, func(q querier, now time.Time, inc *vigil.Incident, actor vigil.Actor) error {
		var cur struct {
			user int64
			name string
		}
		err := q.queryRow(ctx, `SELECT r.user_id, u.name FROM incident_roles r JOIN users u ON u.id = r.user_id
			WHERE r.incident_id = $1 AND r.role = $2`, id, role).Scan(&cur.user, &cur.name)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		label := vigil.IncidentRoleLabel(role)
		var msg string
		switch {
		case cur.user == userID:
			out, err = incidentRoles(ctx, q, id)
			return err
		case userID == 0:
			if _, err := q.exec(ctx, "DELETE FROM incident_roles WHERE incident_id = $1 AND role = $2", id, role); err != nil {
				return err
			}
			msg = cur.name + " is no longer " + label + " (" + by(actor) + ")"
		default:
			var name string
			err := q.queryRow(ctx, "SELECT name FROM users WHERE id = $1", userID).Scan(&name)
			if errors.Is(err, sql.ErrNoRows) {
				return vigil.FieldError("user_id", "no user has ID %d", userID)
			}
			if err != nil {
				return err
			}
			if _, err := q.exec(ctx, `INSERT INTO incident_roles (incident_id, role, user_id, assigned_by, assigned_at)
				VALUES ($1, $2, $3, $4, $5)
				ON CONFLICT (incident_id, role) DO UPDATE SET user_id = excluded.user_id, assigned_by = excluded.assigned_by, assigned_at = excluded.assigned_at`,
				id, role, userID, actor.Name, micros(now)); err != nil {
				return err
			}
			if err := noteResponder(ctx, q, id, vigil.Actor{Kind: vigil.ActorUser, ID: userID}); err != nil {
				return err
			}
			if userID == actor.ID && actor.Kind == vigil.ActorUser {
				msg = name + " took the " + label + " role"
				if actor.Source != "" {
					msg += " via " + actor.Source
				}
			} else {
				msg = name + " is " + label + " (assigned by " + by(actor) + ")"
			}
		}
		if err := db.addEntry(ctx, q, id, now, actor, vigil.EntryRoleAssigned, msg, nil); err != nil {
			return err
		}
		if _, err := q.exec(ctx, "UPDATE incidents SET updated_at = $1 WHERE id = $2", micros(now), id); err != nil {
			return err
		}
		if err := db.audit(ctx, q, now, "incident.role", auditIncident, id,
			map[string]any{"role": role, "user_id": cur.user}, map[string]any{"role": role, "user_id": userID}); err != nil {
			return err
		}
		out, err = incidentRoles(ctx, q, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
