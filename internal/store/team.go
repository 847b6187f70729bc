package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

const teamCols = "id, name, description, created_at, updated_at"

func scanTeam(r row) (*vigil.Team, error) {
	var (
		t                vigil.Team
		created, updated int64
	)
	if err := r.Scan(&t.ID, &t.Name, &t.Description, &created, &updated); err != nil {
		return nil, err
	}
	t.CreatedAt, t.UpdatedAt, t.Members = fromMicros(created), fromMicros(updated), []int64{}
	return &t, nil
}

var errTeamNameTaken = &vigil.Error{Code: vigil.CodeConflict, Field: "name", Message: "a team with this name already exists"}

// CreateTeam stores t with its members. CodeInvalid (an unknown member
// included), CodeConflict (name taken).
func (db *DB) CreateTeam(ctx context.Context, t *vigil.Team) error {
	if err := t.Validate(); err != nil {
		return err
	}
	return db.write(ctx, func(q querier, now time.Time) error {
		err := q.queryRow(ctx, "INSERT INTO teams (name, description, created_at, updated_at) VALUES ($1, $2, $3, $3) RETURNING id",
			t.Name, t.Description, micros(now)).Scan(&t.ID)
		if uniqueViolation(err) {
			return errTeamNameTaken
		}
		if err != nil {
			return err
		}
		t.CreatedAt, t.UpdatedAt = now, now
		if err := setMembers(ctx, q, t); err != nil {
			return err
		}
		return db.audit(ctx, q, now, "team.create", auditTeam, t.ID, nil, t)
	})
}

// UpdateTeam replaces name, description and members.
func (db *DB) UpdateTeam(ctx context.Context, t *vigil.Team) error {
	if err := t.Validate(); err != nil {
		return err
	}
	return db.write(ctx, func(q querier, now time.Time) error {
		before, err := teamSnapshot(ctx, q, t.ID)
		if err != nil {
			return err
		}
		n, err := q.exec(ctx, "UPDATE teams SET name = $1, description = $2, updated_at = $3 WHERE id = $4", t.Name, t.Description, micros(now), t.ID)
		if uniqueViolation(err) {
			return errTeamNameTaken
		}
		if err != nil {
			return err
		}
		if n == 0 {
			return notFound("team", t.ID)
		}
		if _, err := q.exec(ctx, "DELETE FROM team_members WHERE team_id = $1", t.ID); err != nil {
			return err
		}
		t.UpdatedAt = now
		if err := q.queryRow(ctx, "SELECT created_at FROM teams WHERE id = $1", t.ID).Scan(microsInto(&t.CreatedAt)); err != nil {
			return err
		}
		if err := setMembers(ctx, q, t); err != nil {
			return err
		}
		return db.audit(ctx, q, now, "team.update", auditTeam, t.ID, before, t)
	})
}

func setMembers(ctx context.Context, q querier, t *vigil.Team) error {
	role := map[int64]string{}
	for _, uid := range t.Responders {
		role[uid] = vigil.TeamResponder
	}
	for _, uid := range t.Managers {
		role[uid] = vigil.TeamManager // the stronger role wins
	}
	seen := map[int64]bool{}
	members, managers, responders := []int64{}, []int64{}, []int64{}
	add := func(uid int64, field string) error {
		if seen[uid] {
			return nil
		}
		seen[uid] = true
		if err := mustExist(ctx, q, "users", uid, "members", field+": user"); err != nil {
			return err
		}
		r := role[uid]
		switch r {
		case vigil.TeamManager:
			managers = append(managers, uid)
		case vigil.TeamResponder:
			responders = append(responders, uid)
		default:
			r = vigil.TeamMember
		}
		if _, err := q.exec(ctx, "INSERT INTO team_members (team_id, user_id, role) VALUES ($1, $2, $3)", t.ID, uid, r); err != nil {
			return err
		}
		members = append(members, uid)
		return nil
	}
	for i, uid := range t.Members {
		if err := add(uid, fmt.Sprintf("members[%d]", i)); err != nil {
			return err
		}
	}
	// A manager or responder who was not listed as a member becomes one.
	for i, uid := range t.Managers {
		if err := add(uid, fmt.Sprintf("managers[%d]", i)); err != nil {
			return err
		}
	}
	for i, uid := range t.Responders {
		if err := add(uid, fmt.Sprintf("responders[%d]", i)); err != nil {
			return err
		}
	}
	t.Members, t.Managers, t.Responders = members, managers, responders
	return nil
}

// FindTeam returns a team with its members; CodeNotFound.
func (db *DB) FindTeam(ctx context.Context, id int64) (*vigil.Team, error) {
	var t *vigil.Team
	err := db.read(ctx, func(q querier) error {
		var err error
		t, err = scanTeam(q.queryRow(ctx, "SELECT "+teamCols+" FROM teams WHERE id = $1", id))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("team", id)
		}
		if err != nil {
			return err
		}
		return loadMembers(ctx, q, []*vigil.Team{t})
	})
	return t, err
}

// ListTeams lists teams by name with their members.
func (db *DB) ListTeams(ctx context.Context) ([]*vigil.Team, error) {
	var list []*vigil.Team
	err := db.read(ctx, func(q querier) error {
		var err error
		if list, err = queryAll(ctx, q, scanTeam, "SELECT "+teamCols+" FROM teams ORDER BY name, id"); err != nil {
			return err
		}
		return loadMembers(ctx, q, list)
	})
	if list == nil {
		list = []*vigil.Team{}
	}
	return list, err
}

func loadMembers(ctx context.Context, q querier, teams []*vigil.Team) error {
	byID := map[int64]*vigil.Team{}
	for _, t := range teams {
		byID[t.ID] = t
	}
	query, args := "SELECT team_id, user_id, role FROM team_members ORDER BY team_id, user_id", []any(nil)
	if len(teams) == 1 {
		query, args = "SELECT team_id, user_id, role FROM team_members WHERE team_id = $1 ORDER BY user_id", []any{teams[0].ID}
	}
	type pair struct {
		team, user int64
		role       string
	}
	pairs, err := queryAll(ctx, q, func(r row) (pair, error) {
		var p pair
		err := r.Scan(&p.team, &p.user, &p.role)
		return p, err
	}, query, args...)
	if err != nil {
		return err
	}
	for _, t := range teams {
		t.Members, t.Managers, t.Responders = []int64{}, []int64{}, []int64{}
	}
	for _, p := range pairs {
		if t := byID[p.team]; t != nil {
			t.Members = append(t.Members, p.user)
			switch p.role {
			case vigil.TeamManager:
				t.Managers = append(t.Managers, p.user)
			case vigil.TeamResponder:
				t.Responders = append(t.Responders, p.user)
			}
		}
	}
	return nil
}

// DeleteTeam removes a team; services, schedules and policies it owned
// keep working without an owner.
func (db *DB) DeleteTeam(ctx context.Context, id int64) error {
	return db.write(ctx, func(q querier, now time.Time) error {
		before, err := teamSnapshot(ctx, q, id)
		if err != nil {
			return err
		}
		n, err := q.exec(ctx, "DELETE FROM teams WHERE id = $1", id)
		if err == nil && n == 0 {
			return notFound("team", id)
		}
		if err != nil {
			return err
		}
		if err := db.audit(ctx, q, now, "team.delete", auditTeam, id, before, nil); err != nil {
			return err
		}
		return db.forgetTarget(ctx, q, now, vigil.TargetTeam, id)
	})
}
