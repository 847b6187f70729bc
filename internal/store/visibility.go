package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// Private incidents (catalog H8) are filtered here, in the incident
// queries every read path shares, by the viewer in the context
// (vigil.ViewerFromContext). A context without a viewer sees public
// incidents only: a caller that forgets to say who reads is denied rather
// than shown too much. A private incident someone may not see is "not
// found", exactly like one that does not exist.

// sqlVisible is the condition that incident i is visible to user $U: it is
// public, or the user acted on it, was paged or notified about it,
// manages the team of its service, or is in a security stakeholder group.
const sqlVisible = `(NOT i.private
	OR EXISTS (SELECT 1 FROM incident_responders vr WHERE vr.incident_id = i.id AND vr.user_id = ?)
	OR EXISTS (SELECT 1 FROM notifications vn WHERE vn.incident_id = i.id AND vn.user_id = ?)
	OR EXISTS (SELECT 1 FROM services vs JOIN team_members vt ON vt.team_id = vs.team_id
		WHERE vs.id = i.service_id AND vt.user_id = ? AND vt.role = 'manager')
	OR EXISTS (SELECT 1 FROM stakeholder_members vm JOIN stakeholder_groups vg ON vg.id = vm.group_id
		WHERE vm.user_id = ? AND vg.security))`

// visible adds the visibility condition of the context's viewer on the
// incident aliased i; nothing for a viewer who sees everything.
func (w *where) visible(ctx context.Context) {
	v := vigil.ViewerFromContext(ctx)
	switch {
	case v.All:
	case v.UserID == 0:
		w.add("NOT i.private")
	default:
		w.add(sqlVisible, v.UserID, v.UserID, v.UserID, v.UserID)
	}
}

// visibleIncident is the WHERE clause selecting incident id if the
// context's viewer may see it.
func visibleIncident(ctx context.Context, id int64) where {
	var w where
	w.add("i.id = ?", id)
	w.visible(ctx)
	return w
}

// checkVisible answers CodeNotFound unless incident id exists and the
// context's viewer may see it.
func checkVisible(ctx context.Context, q querier, id int64) error {
	w := visibleIncident(ctx, id)
	var one int
	err := q.queryRow(ctx, "SELECT 1 FROM incidents i"+w.sql(), w.args...).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return notFound("incident", id)
	}
	return err
}

// noteResponder records that user actor a acted on the incident, which
// makes them one of its responders (who see it when it is private).
func noteResponder(ctx context.Context, q querier, incidentID int64, a vigil.Actor) error {
	if a.Kind != vigil.ActorUser || a.ID <= 0 {
		return nil
	}
	_, err := q.exec(ctx, `INSERT INTO incident_responders (incident_id, user_id)
		SELECT $1, id FROM users WHERE id = $2 ON CONFLICT DO NOTHING`, incidentID, a.ID)
	return err
}
