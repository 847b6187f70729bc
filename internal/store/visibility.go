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

// sqlInvolved is the condition that user ? (four times) takes part in
// incident i: they acted on it, were paged or notified about it, manage
// the team of its service, or are in a security stakeholder group.
const sqlInvolved = `(EXISTS (SELECT 1 FROM incident_responders vr WHERE vr.incident_id = i.id AND vr.user_id = ?)
	OR EXISTS (SELECT 1 FROM notifications vn WHERE vn.incident_id = i.id AND vn.user_id = ?)
	OR EXISTS (SELECT 1 FROM services vs JOIN team_members vt ON vt.team_id = vs.team_id
		WHERE vs.id = i.service_id AND vt.user_id = ? AND vt.role = 'manager')
	OR EXISTS (SELECT 1 FROM stakeholder_members vm JOIN stakeholder_groups vg ON vg.id = vm.group_id
		WHERE vm.user_id = ? AND vg.security))`

// sqlVisible is the condition that incident i is visible to the user: it
// is public or they take part in it.
const sqlVisible = "(NOT i.private OR " + sqlInvolved + ")"

// sqlShared is the condition that incident i is shared with a
// stakeholder group user ? (twice) belongs to: a classification rule
// chose the group for it, or a status update told the group.
const sqlShared = `(EXISTS (SELECT 1 FROM incident_groups sg JOIN stakeholder_members sm ON sm.group_id = sg.group_id
		WHERE sg.incident_id = i.id AND sm.user_id = ?)
	OR EXISTS (SELECT 1 FROM status_update_groups su JOIN stakeholder_members sm ON sm.group_id = su.group_id
		WHERE su.incident_id = i.id AND sm.user_id = ?))`

// visibleCond is the visibility condition of the context's viewer on the
// incident aliased i, with ? placeholders; ok is false for a viewer who
// sees everything.
func visibleCond(ctx context.Context) (cond string, args []any, ok bool) {
	v := vigil.ViewerFromContext(ctx)
	switch {
	case v.All:
		return "", nil, false
	case v.Stakeholder && v.UserID == 0:
		return "1 = 0", nil, true // a stakeholder nobody in particular: nothing
	case v.Stakeholder:
		// Shared with their group, and the private rules on top.
		return "(" + sqlShared + " AND " + sqlVisible + ")", []any{v.UserID, v.UserID, v.UserID, v.UserID, v.UserID, v.UserID}, true
	case v.UserID == 0:
		return "NOT i.private", nil, true
	default:
		return sqlVisible, []any{v.UserID, v.UserID, v.UserID, v.UserID}, true
	}
}

// visible adds the visibility condition of the context's viewer on the
// incident aliased i; nothing for a viewer who sees everything.
func (w *where) visible(ctx context.Context) {
	if cond, args, ok := visibleCond(ctx); ok {
		w.add(cond, args...)
	}
}

// refVisible adds the condition that the row's incident (column col, an
// incident ID or NULL) is none or one the context's viewer may see: an
// alert or a notification of a private incident is as hidden as the
// incident.
func (w *where) refVisible(ctx context.Context, col string) {
	if cond, args, ok := visibleCond(ctx); ok && vigil.ViewerFromContext(ctx).Stakeholder {
		// Nothing without an incident is shared with a stakeholder.
		w.add("EXISTS (SELECT 1 FROM incidents i WHERE i.id = "+col+" AND "+cond+")", args...)
	} else if ok {
		w.add("("+col+" IS NULL OR EXISTS (SELECT 1 FROM incidents i WHERE i.id = "+col+" AND "+cond+"))", args...)
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

// checkMayChangeVisibility answers CodeForbidden unless the context's
// viewer may make incident id private or public: an admin (or Vigil), or
// a person who takes part in it. Making an incident private must not be a
// way for a bystander to hide it from its responders, nor public a way to
// leak it.
func checkMayChangeVisibility(ctx context.Context, q querier, id int64) error {
	v := vigil.ViewerFromContext(ctx)
	if v.All {
		return nil
	}
	if v.UserID > 0 {
		var w where
		w.add("i.id = ?", id)
		w.add(sqlInvolved, v.UserID, v.UserID, v.UserID, v.UserID)
		var one int
		err := q.queryRow(ctx, "SELECT 1 FROM incidents i"+w.sql(), w.args...).Scan(&one)
		if err == nil {
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
	}
	return &vigil.Error{Code: vigil.CodeForbidden, Field: "private",
		Message: "only the incident's responders, its team's managers, the security group and admins may change whether it is private"}
}

// visibleFrom is the visibility condition of the context's viewer on the
// incident aliased i for a query whose own placeholders end at $n: the
// condition's placeholders are numbered from $n+1. "1 = 1" for a viewer
// who sees everything.
func visibleFrom(ctx context.Context, n int) (string, []any) {
	cond, args, ok := visibleCond(ctx)
	if !ok {
		return "1 = 1", nil
	}
	var w where
	w.args = make([]any, n) // placeholders $1..$n are the query's own
	w.add(cond, args...)
	return w.conds[0], w.args[n:]
}
