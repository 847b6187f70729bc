package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// Single sign-on identities (migration 0023): which provider account is
// which user, and the sync of role and team memberships from the groups
// the provider sends, in one transaction per sign-in.

const identityCols = "id, user_id, issuer, subject, email, created_at, last_sign_in_at"

func scanIdentity(r row) (*vigil.Identity, error) {
	var (
		i           vigil.Identity
		created, at int64
	)
	if err := r.Scan(&i.ID, &i.UserID, &i.Issuer, &i.Subject, &i.Email, &created, &at); err != nil {
		return nil, err
	}
	i.CreatedAt, i.LastSignInAt = fromMicros(created), fromMicros(at)
	return &i, nil
}

// SignInIdentity finds (or links, or creates) the user of an identity and
// syncs role and managed team memberships. CodeNotFound when nobody
// matches and creating is not allowed; CodeInvalid for a bad role or a
// new user without a usable e-mail.
func (db *DB) SignInIdentity(ctx context.Context, in *vigil.IdentitySignIn) (*vigil.User, error) {
	if in.Issuer == "" || in.Subject == "" {
		return nil, vigil.FieldError("sub", "the provider sent no subject")
	}
	for _, r := range []string{in.Role, in.NewUserRole} {
		if r != "" && !slices.Contains(vigil.UserRoles, r) {
			return nil, vigil.FieldError("role", "must be one of %s", strings.Join(vigil.UserRoles, ", "))
		}
	}
	for name, role := range in.Teams {
		if !slices.Contains(vigil.TeamRoles, role) {
			return nil, vigil.FieldError("teams", "team %q: role must be one of %s", name, strings.Join(vigil.TeamRoles, ", "))
		}
	}
	var user *vigil.User
	err := db.write(ctx, func(q querier, now time.Time) error {
		u, err := db.identityUser(ctx, q, now, in)
		if err != nil {
			return err
		}
		if err := db.syncRole(ctx, q, now, u, in.Role); err != nil {
			return err
		}
		if err := db.syncTeams(ctx, q, now, u.ID, in); err != nil {
			return err
		}
		// An administrator who signs in this way ends first-run setup, so
		// an SSO-only installation does not leave /setup open to anyone.
		if u.Role == vigil.RoleAdmin {
			if err := closeSetup(ctx, q, now); err != nil {
				return err
			}
		}
		user = u
		return nil
	})
	return user, err
}

// identityUser returns the user the identity belongs to, linking or
// creating as SignInIdentity says, and notes the sign-in on the identity.
func (db *DB) identityUser(ctx context.Context, q querier, now time.Time, in *vigil.IdentitySignIn) (*vigil.User, error) {
	id, err := scanIdentity(q.queryRow(ctx, "SELECT "+identityCols+" FROM user_identities WHERE issuer = $1 AND subject = $2", in.Issuer, in.Subject))
	switch {
	case err == nil:
		if _, err := q.exec(ctx, "UPDATE user_identities SET email = $1, last_sign_in_at = $2 WHERE id = $3", in.Email, micros(now), id.ID); err != nil {
			return nil, err
		}
		return scanUser(q.queryRow(ctx, "SELECT "+userCols+" FROM users WHERE id = $1", id.UserID))
	case !errors.Is(err, sql.ErrNoRows):
		return nil, err
	}
	var u *vigil.User
	if in.Email != "" {
		u, err = scanUser(q.queryRow(ctx, "SELECT "+userCols+" FROM users WHERE lower(email) = lower($1)", in.Email))
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
	}
	if u == nil {
		if !in.Create {
			return nil, vigil.Errorf(vigil.CodeNotFound, "there is no Vigil account for this person; ask an administrator to create one")
		}
		if u, err = db.createIdentityUser(ctx, q, now, in); err != nil {
			return nil, err
		}
	}
	link := &vigil.Identity{UserID: u.ID, Issuer: in.Issuer, Subject: in.Subject, Email: in.Email, CreatedAt: now, LastSignInAt: now}
	if err := q.queryRow(ctx, "INSERT INTO user_identities (user_id, issuer, subject, email, created_at, last_sign_in_at) VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
		u.ID, in.Issuer, in.Subject, in.Email, micros(now)).Scan(&link.ID); err != nil {
		return nil, err
	}
	return u, db.audit(ctx, q, now, "user.identity-link", auditUser, u.ID, nil, link)
}

func (db *DB) createIdentityUser(ctx context.Context, q querier, now time.Time, in *vigil.IdentitySignIn) (*vigil.User, error) {
	if in.Email == "" {
		return nil, vigil.FieldError("email", "the provider did not vouch for an e-mail address, which a new account needs")
	}
	name := strings.TrimSpace(in.Name)
	if name == "" {
		name, _, _ = strings.Cut(in.Email, "@")
	}
	if len(name) > vigil.MaxNameLen {
		name = name[:vigil.MaxNameLen]
	}
	u := &vigil.User{Name: name, Email: in.Email, Role: cmp.Or(in.Role, in.NewUserRole, vigil.RoleResponder)}
	if err := u.Validate(); err != nil {
		return nil, err
	}
	err := q.queryRow(ctx, `INSERT INTO users (name, email, time_zone, role, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5) RETURNING id`,
		u.Name, u.Email, u.TimeZone, u.Role, micros(now)).Scan(&u.ID)
	if uniqueViolation(err) {
		return nil, errEmailTaken
	}
	if err != nil {
		return nil, err
	}
	u.CreatedAt, u.UpdatedAt = now, now
	return u, db.audit(ctx, q, now, "user.create", auditUser, u.ID, nil, u)
}

// syncRole sets the user's global role when the groups give another one.
func (db *DB) syncRole(ctx context.Context, q querier, now time.Time, u *vigil.User, role string) error {
	if role == "" || role == u.Role {
		return nil
	}
	before := u.Role
	if _, err := q.exec(ctx, "UPDATE users SET role = $1, updated_at = $2 WHERE id = $3", role, micros(now), u.ID); err != nil {
		return err
	}
	u.Role, u.UpdatedAt = role, now
	// The same record SetUserRole writes.
	return db.audit(ctx, q, now, "user.role", auditUser, u.ID, map[string]string{"role": before}, map[string]string{"role": role})
}

// syncTeams makes the user's membership of each managed team what the
// groups say; teams outside the mapping are not touched.
func (db *DB) syncTeams(ctx context.Context, q querier, now time.Time, userID int64, in *vigil.IdentitySignIn) error {
	for _, name := range in.Managed {
		var teamID int64
		err := q.queryRow(ctx, "SELECT id FROM teams WHERE name = $1", name).Scan(&teamID)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return err
		}
		var have string
		err = q.queryRow(ctx, "SELECT role FROM team_members WHERE team_id = $1 AND user_id = $2", teamID, userID).Scan(&have)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		want := in.Teams[name]
		if have == want {
			continue
		}
		before, err := teamSnapshot(ctx, q, teamID)
		if err != nil {
			return err
		}
		switch {
		case want == "":
			_, err = q.exec(ctx, "DELETE FROM team_members WHERE team_id = $1 AND user_id = $2", teamID, userID)
		case have == "":
			_, err = q.exec(ctx, "INSERT INTO team_members (team_id, user_id, role) VALUES ($1, $2, $3)", teamID, userID, want)
		default:
			_, err = q.exec(ctx, "UPDATE team_members SET role = $1 WHERE team_id = $2 AND user_id = $3", want, teamID, userID)
		}
		if err != nil {
			return err
		}
		if _, err := q.exec(ctx, "UPDATE teams SET updated_at = $1 WHERE id = $2", micros(now), teamID); err != nil {
			return err
		}
		after, err := teamSnapshot(ctx, q, teamID)
		if err != nil {
			return err
		}
		if err := db.audit(ctx, q, now, "team.update", auditTeam, teamID, before, after); err != nil {
			return err
		}
	}
	return nil
}

// ListIdentities lists a user's identities, oldest first.
func (db *DB) ListIdentities(ctx context.Context, userID int64) ([]*vigil.Identity, error) {
	var list []*vigil.Identity
	err := db.read(ctx, func(q querier) error {
		var err error
		list, err = queryAll(ctx, q, scanIdentity, "SELECT "+identityCols+" FROM user_identities WHERE user_id = $1 ORDER BY id", userID)
		return err
	})
	if list == nil {
		list = []*vigil.Identity{}
	}
	return list, err
}

// errLastSignIn refuses unlinking the identity a person needs to sign in.
var errLastSignIn = vigil.Errorf(vigil.CodeConflict,
	"this is the person's last way to sign in (no password and no other single sign-on identity): set a password first, or ask an administrator to unlink it")

// UnlinkIdentity removes one identity of a user; see vigil.IdentityService.
func (db *DB) UnlinkIdentity(ctx context.Context, userID, identityID int64, allowLast bool) error {
	return db.write(ctx, func(q querier, now time.Time) error {
		// Locking the user first keeps two unlinks at once from each
		// seeing the other identity as the one left (PostgreSQL).
		var hash string
		err := q.queryRow(ctx, "SELECT password_hash FROM users WHERE id = $1"+db.dialect.forUpdate(), userID).Scan(&hash)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("user", userID)
		}
		if err != nil {
			return err
		}
		id, err := scanIdentity(q.queryRow(ctx, "SELECT "+identityCols+" FROM user_identities WHERE id = $1 AND user_id = $2", identityID, userID))
		if errors.Is(err, sql.ErrNoRows) {
			return vigil.Errorf(vigil.CodeNotFound, "user %d has no single sign-on identity %d", userID, identityID)
		}
		if err != nil {
			return err
		}
		if !allowLast && hash == "" {
			var others int64
			if err := q.queryRow(ctx, "SELECT count(*) FROM user_identities WHERE user_id = $1 AND id <> $2", userID, identityID).Scan(&others); err != nil {
				return err
			}
			if others == 0 {
				return errLastSignIn
			}
		}
		if _, err := q.exec(ctx, "DELETE FROM user_identities WHERE id = $1", identityID); err != nil {
			return err
		}
		return db.audit(ctx, q, now, "user.identity-unlink", auditUser, userID, id, nil)
	})
}
