package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// Stakeholder groups and status updates. A group's channels are a JSON
// list in stakeholder_groups.channels. A status update is not a table of
// its own: it is a timeline entry (vigil.EntryStatusUpdate, whose data
// names the notification of each channel) and the notifications, written
// in one transaction, which the engine delivers like any other.

const stakeholderCols = "id, name, description, channels, min_severity, security, created_at, updated_at"

// statusUpdatePriority queues status updates after every page
// (priorityOf gives pages 0 to 4): telling stakeholders must never delay
// waking a responder.
const statusUpdatePriority = 5

func (db *DB) scanStakeholderGroup(r row) (*vigil.StakeholderGroup, error) {
	var (
		g                vigil.StakeholderGroup
		channels, sev    string
		created, updated int64
	)
	if err := r.Scan(&g.ID, &g.Name, &g.Description, &channels, &sev, &g.Security, &created, &updated); err != nil {
		return nil, err
	}
	channels, err := db.unseal(fmt.Sprintf("channels of stakeholder group %d", g.ID), channels)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(channels), &g.Channels); err != nil {
		return nil, err
	}
	if g.Channels == nil {
		g.Channels = []vigil.StakeholderChannel{}
	}
	g.MinSeverity, g.CreatedAt, g.UpdatedAt = vigil.Severity(sev), fromMicros(created), fromMicros(updated)
	g.Members = []int64{}
	return &g, nil
}

// loadGroupMembers fills the Members of groups from stakeholder_members.
func loadGroupMembers(ctx context.Context, q querier, groups ...*vigil.StakeholderGroup) error {
	byID := make(map[int64]*vigil.StakeholderGroup, len(groups))
	for _, g := range groups {
		byID[g.ID] = g
	}
	type pair struct{ group, user int64 }
	pairs, err := queryAll(ctx, q, func(r row) (pair, error) {
		var p pair
		return p, r.Scan(&p.group, &p.user)
	}, "SELECT group_id, user_id FROM stakeholder_members ORDER BY group_id, user_id")
	if err != nil {
		return err
	}
	for _, p := range pairs {
		if g := byID[p.group]; g != nil {
			g.Members = append(g.Members, p.user)
		}
	}
	return nil
}

// checkMayChangeSecurity answers CodeForbidden when g's security mark or
// members differ from before's (nil: a new group) and the context's viewer
// is not an admin: membership of the security group shows every private
// incident.
func checkMayChangeSecurity(ctx context.Context, before, g *vigil.StakeholderGroup) error {
	if vigil.ViewerFromContext(ctx).All {
		return nil
	}
	old := &vigil.StakeholderGroup{Members: []int64{}}
	if before != nil {
		old = before
	}
	if g.Security != old.Security {
		return &vigil.Error{Code: vigil.CodeForbidden, Field: "security", Message: "only an administrator may mark the security group"}
	}
	if !slices.Equal(g.Members, old.Members) {
		return &vigil.Error{Code: vigil.CodeForbidden, Field: "members", Message: "only an administrator may change a group's members"}
	}
	return nil
}

// setGroupMembers replaces the members of group id; CodeNotFound (field
// members[i]) for a user that does not exist.
func setGroupMembers(ctx context.Context, q querier, id int64, members []int64) error {
	if _, err := q.exec(ctx, "DELETE FROM stakeholder_members WHERE group_id = $1", id); err != nil {
		return err
	}
	for i, uid := range members {
		if err := exists(ctx, q, "users", uid, "user"); err != nil {
			return &vigil.Error{Code: vigil.CodeNotFound, Field: fmt.Sprintf("members[%d]", i), Message: fmt.Sprintf("user %d not found", uid)}
		}
		if _, err := q.exec(ctx, "INSERT INTO stakeholder_members (group_id, user_id) VALUES ($1, $2)", id, uid); err != nil {
			return err
		}
	}
	return nil
}

var errGroupNameTaken = &vigil.Error{Code: vigil.CodeConflict, Field: "name", Message: "a stakeholder group with this name already exists"}

// groupRow validates g and returns its channels' JSON.
func groupRow(g *vigil.StakeholderGroup) (string, error) {
	if g == nil {
		return "", vigil.Errorf(vigil.CodeInvalid, "stakeholder group is empty")
	}
	if err := g.Validate(); err != nil {
		return "", err
	}
	b, err := json.Marshal(g.Channels)
	return string(b), err
}

// CreateStakeholderGroup validates and stores g.
func (db *DB) CreateStakeholderGroup(ctx context.Context, g *vigil.StakeholderGroup) error {
	channels, err := groupRow(g)
	if err != nil {
		return err
	}
	return db.write(ctx, func(q querier, now time.Time) error {
		err := q.queryRow(ctx, `INSERT INTO stakeholder_groups (name, name_key, description, channels, min_severity, security, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id`,
			g.Name, vigil.StakeholderGroupKey(g.Name), g.Description, db.seal(channels), string(g.MinSeverity), g.Security, micros(now)).Scan(&g.ID)
		if uniqueViolation(err) {
			return errGroupNameTaken
		}
		if err != nil {
			return err
		}
		if err := checkMayChangeSecurity(ctx, nil, g); err != nil {
			return err
		}
		if err := setGroupMembers(ctx, q, g.ID, g.Members); err != nil {
			return err
		}
		g.CreatedAt, g.UpdatedAt = now, now
		return db.audit(ctx, q, now, "stakeholder_group.create", auditStakeholderGroup, g.ID, nil, g)
	})
}

// UpdateStakeholderGroup replaces group g.ID.
func (db *DB) UpdateStakeholderGroup(ctx context.Context, g *vigil.StakeholderGroup) error {
	channels, err := groupRow(g)
	if err != nil {
		return err
	}
	return db.write(ctx, func(q querier, now time.Time) error {
		before, err := db.scanStakeholderGroup(q.queryRow(ctx, "SELECT "+stakeholderCols+" FROM stakeholder_groups WHERE id = $1", g.ID))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("stakeholder group", g.ID)
		}
		if err != nil {
			return err
		}
		if err := loadGroupMembers(ctx, q, before); err != nil {
			return err
		}
		if err := checkMayChangeSecurity(ctx, before, g); err != nil {
			return err
		}
		n, err := q.exec(ctx, `UPDATE stakeholder_groups SET name = $1, name_key = $2, description = $3, channels = $4, min_severity = $5,
			security = $6, updated_at = $7 WHERE id = $8`,
			g.Name, vigil.StakeholderGroupKey(g.Name), g.Description, db.seal(channels), string(g.MinSeverity), g.Security, micros(now), g.ID)
		if uniqueViolation(err) {
			return errGroupNameTaken
		}
		if err != nil {
			return err
		}
		if n == 0 {
			return notFound("stakeholder group", g.ID)
		}
		if err := setGroupMembers(ctx, q, g.ID, g.Members); err != nil {
			return err
		}
		g.UpdatedAt = now
		if err := q.queryRow(ctx, "SELECT created_at FROM stakeholder_groups WHERE id = $1", g.ID).Scan(microsInto(&g.CreatedAt)); err != nil {
			return err
		}
		return db.audit(ctx, q, now, "stakeholder_group.update", auditStakeholderGroup, g.ID, before, g)
	})
}

// FindStakeholderGroup returns one group; CodeNotFound.
func (db *DB) FindStakeholderGroup(ctx context.Context, id int64) (*vigil.StakeholderGroup, error) {
	g, err := findOne(ctx, db, "stakeholder group", id, db.scanStakeholderGroup,
		"SELECT "+stakeholderCols+" FROM stakeholder_groups WHERE id = $1")
	if err != nil {
		return nil, err
	}
	return g, db.read(ctx, func(q querier) error { return loadGroupMembers(ctx, q, g) })
}

const sqlListGroups = "SELECT " + stakeholderCols + " FROM stakeholder_groups ORDER BY name_key, id"

// ListStakeholderGroups lists every group by name (regardless of case).
func (db *DB) ListStakeholderGroups(ctx context.Context) ([]*vigil.StakeholderGroup, error) {
	var out []*vigil.StakeholderGroup
	err := db.read(ctx, func(q querier) error {
		var err error
		if out, err = queryAll(ctx, q, db.scanStakeholderGroup, sqlListGroups); err != nil {
			return err
		}
		return loadGroupMembers(ctx, q, out...)
	})
	if out == nil {
		out = []*vigil.StakeholderGroup{}
	}
	return out, err
}

// DeleteStakeholderGroup removes a group; CodeNotFound.
func (db *DB) DeleteStakeholderGroup(ctx context.Context, id int64) error {
	return deleteAudited(ctx, db, "stakeholder group", auditStakeholderGroup, id, db.scanStakeholderGroup,
		"DELETE FROM stakeholder_groups WHERE id = $1 RETURNING "+stakeholderCols, id)
}

// statusUpdateData is the data of a status update's timeline entry.
type statusUpdateData struct {
	Message  string             `json:"message"`
	Groups   []string           `json:"groups"`
	Messages []statusMessageRef `json:"messages"`
}

type statusMessageRef struct {
	Group          string `json:"group"`
	Channel        string `json:"channel"`
	NotificationID int64  `json:"notification_id"`
}

// PostStatusUpdate queues one message per channel of the chosen groups and
// writes the timeline entry, in one transaction: the update is either
// recorded and on its way everywhere, or not at all (a retry after an
// error never tells anyone twice).
func (db *DB) PostStatusUpdate(ctx context.Context, incidentID int64, in vigil.StatusUpdateInput) (*vigil.StatusUpdate, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	actor := vigil.ActorFromContext(ctx)
	var u *vigil.StatusUpdate
	err := db.write(ctx, func(q querier, now time.Time) error {
		var err error
		u, err = db.statusUpdate(ctx, q, now, actor, incidentID, in)
		return err
	})
	if err != nil {
		return nil, err
	}
	db.wake()
	return u, nil
}

// statusUpdate does PostStatusUpdate's work inside the caller's
// transaction, so that a write which decides an update itself (a
// classification rule naming groups when an incident opens) can send it
// with its own changes.
func (db *DB) statusUpdate(ctx context.Context, q querier, now time.Time, actor vigil.Actor, incidentID int64,
	in vigil.StatusUpdateInput) (*vigil.StatusUpdate, error) {
	// Touch the incident first: it must exist (and be visible to the
	// caller), its row lock orders concurrent updates to it, and lists see
	// it changed (as a note does).
	if err := checkVisible(ctx, q, incidentID); err != nil {
		return nil, err
	}
	n, err := q.exec(ctx, "UPDATE incidents SET updated_at = $1 WHERE id = $2", micros(now), incidentID)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, notFound("incident", incidentID)
	}
	var (
		title   string
		sev     vigil.Severity
		private bool
	)
	if err := q.queryRow(ctx, "SELECT title, severity, private FROM incidents WHERE id = $1", incidentID).Scan(&title, &sev, &private); err != nil {
		return nil, err
	}
	all, err := queryAll(ctx, q, db.scanStakeholderGroup, sqlListGroups)
	if err != nil {
		return nil, err
	}
	if private {
		// Only the security groups hear about a private incident (all of
		// them unless the update names some): the others may not see it.
		if err := onlySecurityGroups(all, in.Groups); err != nil {
			return nil, err
		}
		all = slices.DeleteFunc(all, func(g *vigil.StakeholderGroup) bool { return !g.Security })
		if len(all) == 0 {
			return nil, vigil.Errorf(vigil.CodeConflict, "the incident is private and no stakeholder group is marked security: mark one to tell")
		}
	}
	chosen, err := queryAll(ctx, q, func(r row) (int64, error) {
		var id int64
		return id, r.Scan(&id)
	}, "SELECT group_id FROM incident_groups WHERE incident_id = $1", incidentID)
	if err != nil {
		return nil, err
	}
	if private {
		for _, g := range all {
			chosen = append(chosen, g.ID)
		}
	}
	groups, err := vigil.SelectStakeholderGroups(all, in.Groups, sev, chosen...)
	if err != nil {
		return nil, err
	}

	u := &vigil.StatusUpdate{IncidentID: incidentID, At: now, Actor: actor.Name, Message: in.Message, Groups: []string{}, Messages: []*vigil.StatusMessage{}}
	data := statusUpdateData{Message: in.Message, Groups: []string{}, Messages: []statusMessageRef{}}
	for _, g := range groups {
		// The group's stakeholders may read the incident from now on.
		if _, err := q.exec(ctx, `INSERT INTO status_update_groups (incident_id, group_id) VALUES ($1, $2)
			ON CONFLICT DO NOTHING`, incidentID, g.ID); err != nil {
			return nil, err
		}
		u.Groups = append(u.Groups, g.Name)
		for _, c := range g.Channels {
			m := &vigil.StatusMessage{Group: g.Name, Channel: c.Name, Notification: vigil.Notification{
				IncidentID: incidentID, Kind: vigil.MessageStatus, DestType: c.Type, DestAddress: c.Address,
				Priority: statusUpdatePriority, Title: title, Body: in.Message,
			}}
			if err := db.queueNotification(ctx, q, now, &m.Notification); err != nil {
				return nil, err
			}
			u.Messages = append(u.Messages, m)
			data.Messages = append(data.Messages, statusMessageRef{Group: g.Name, Channel: c.Name, NotificationID: m.ID})
		}
	}
	data.Groups = u.Groups
	raw, err := json.Marshal(data)
	if err != nil {
		return nil, err
	}
	e := &vigil.TimelineEntry{IncidentID: incidentID, At: now, Kind: vigil.EntryStatusUpdate, Actor: actor.Name, ActorKind: actor.Kind,
		Source: actor.Source, Message: "Status update to " + strings.Join(u.Groups, ", ") + ": " + in.Message, Data: raw}
	if err := db.insertEntry(ctx, q, e); err != nil {
		return nil, err
	}
	u.ID = e.ID
	return u, nil
}

// onlySecurityGroups answers CodeInvalid naming the first of names that
// is not a security group.
func onlySecurityGroups(all []*vigil.StakeholderGroup, names []string) error {
	for i, name := range names {
		for _, g := range all {
			if vigil.StakeholderGroupKey(g.Name) == vigil.StakeholderGroupKey(name) && !g.Security {
				return vigil.FieldError(fmt.Sprintf("groups[%d]", i), "the incident is private: only a security group may be told, not %q", g.Name)
			}
		}
	}
	return nil
}

// FindStatusUpdates lists an incident's status updates, newest first, each
// with its messages as they are now (pending, sent, failed...).
func (db *DB) FindStatusUpdates(ctx context.Context, incidentID int64) ([]*vigil.StatusUpdate, error) {
	out := []*vigil.StatusUpdate{}
	err := db.read(ctx, func(q querier) error {
		out = out[:0]
		if err := checkVisible(ctx, q, incidentID); err != nil {
			return err
		}
		type entry struct {
			u    *vigil.StatusUpdate
			data statusUpdateData
		}
		// The literal kind matches timeline_status_updates' predicate.
		entries, err := queryAll(ctx, q, func(r row) (entry, error) {
			var (
				e    entry
				at   int64
				data sql.NullString
			)
			e.u = &vigil.StatusUpdate{IncidentID: incidentID}
			if err := r.Scan(&e.u.ID, &at, &e.u.Actor, &data); err != nil {
				return e, err
			}
			e.u.At = fromMicros(at)
			if data.Valid {
				if err := json.Unmarshal([]byte(data.String), &e.data); err != nil {
					return e, err
				}
			}
			return e, nil
		}, `SELECT id, at, actor, data FROM timeline WHERE incident_id = $1 AND kind = 'status_update' ORDER BY id DESC`, incidentID)
		if err != nil || len(entries) == 0 {
			return err
		}
		sent, err := queryAll(ctx, q, func(r row) (*vigil.Notification, error) { return db.scanNotification(r) },
			"SELECT "+notificationCols+notificationFrom+" WHERE n.incident_id = $1 AND n.kind = $2", incidentID, vigil.MessageStatus)
		if err != nil {
			return err
		}
		byID := make(map[int64]*vigil.Notification, len(sent))
		for _, n := range sent {
			byID[n.ID] = n
		}
		for _, e := range entries {
			u := e.u
			u.Message, u.Groups, u.Messages = e.data.Message, e.data.Groups, []*vigil.StatusMessage{}
			if u.Groups == nil {
				u.Groups = []string{}
			}
			for _, ref := range e.data.Messages {
				n := byID[ref.NotificationID]
				if n == nil {
					continue // pruned from the outbox
				}
				u.Messages = append(u.Messages, &vigil.StatusMessage{Group: ref.Group, Channel: ref.Channel, Notification: *n})
			}
			out = append(out, u)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
