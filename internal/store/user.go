package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

const userCols = "id, name, email, time_zone, role, password_hash <> '', totp_secret <> '', created_at, updated_at"

func scanUser(r row) (*vigil.User, error) {
	var (
		u                vigil.User
		created, updated int64
	)
	if err := r.Scan(&u.ID, &u.Name, &u.Email, &u.TimeZone, &u.Role, &u.HasPassword, &u.TOTPEnabled, &created, &updated); err != nil {
		return nil, err
	}
	u.CreatedAt, u.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &u, nil
}

var errEmailTaken = &vigil.Error{Code: vigil.CodeConflict, Field: "email", Message: "a user with this e-mail already exists"}

// CreateUser stores u. CodeInvalid, CodeConflict (e-mail taken).
func (db *DB) CreateUser(ctx context.Context, u *vigil.User) error {
	if err := u.Validate(); err != nil {
		return err
	}
	return db.write(ctx, func(q querier, now time.Time) error {
		err := q.queryRow(ctx, `INSERT INTO users (name, email, time_zone, role, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5) RETURNING id`,
			u.Name, u.Email, u.TimeZone, u.Role, micros(now)).Scan(&u.ID)
		if uniqueViolation(err) {
			return errEmailTaken
		}
		if err != nil {
			return err
		}
		u.CreatedAt, u.UpdatedAt = now, now
		return db.audit(ctx, q, now, "user.create", auditUser, u.ID, nil, u)
	})
}

// UpdateUser replaces the user's name, e-mail and time zone; the role and
// sign-in fields are read back, not written (SetUserRole, SetPassword).
func (db *DB) UpdateUser(ctx context.Context, u *vigil.User) error {
	if err := u.Validate(); err != nil {
		return err
	}
	return db.write(ctx, func(q querier, now time.Time) error {
		before, err := snapshot(ctx, q, scanUser, "SELECT "+userCols+" FROM users WHERE id = $1", u.ID)
		if err != nil {
			return err
		}
		n, err := q.exec(ctx, `UPDATE users SET name = $1, email = $2, time_zone = $3, updated_at = $4 WHERE id = $5`,
			u.Name, u.Email, u.TimeZone, micros(now), u.ID)
		if uniqueViolation(err) {
			return errEmailTaken
		}
		if err != nil {
			return err
		}
		if n == 0 {
			return notFound("user", u.ID)
		}
		got, err := scanUser(q.queryRow(ctx, "SELECT "+userCols+" FROM users WHERE id = $1", u.ID))
		if err != nil {
			return err
		}
		*u = *got
		return db.audit(ctx, q, now, "user.update", auditUser, u.ID, before, u)
	})
}

// FindUser returns one user; CodeNotFound.
func (db *DB) FindUser(ctx context.Context, id int64) (*vigil.User, error) {
	return findOne(ctx, db, "user", id, scanUser, "SELECT "+userCols+" FROM users WHERE id = $1")
}

// ListUsers lists every user by name.
func (db *DB) ListUsers(ctx context.Context) ([]*vigil.User, error) {
	return listAll(ctx, db, scanUser, "SELECT "+userCols+" FROM users ORDER BY name, id")
}

// DeleteUser removes a user. Their contact methods, rules, team memberships
// and overrides go with them (foreign keys); schedule layers and policy
// steps naming them are rewritten without them.
func (db *DB) DeleteUser(ctx context.Context, id int64) error {
	return db.write(ctx, func(q querier, now time.Time) error {
		before, err := scanUser(q.queryRow(ctx, "DELETE FROM users WHERE id = $1 RETURNING "+userCols, id))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("user", id)
		}
		if err != nil {
			return err
		}
		if err := db.audit(ctx, q, now, "user.delete", auditUser, id, before, nil); err != nil {
			return err
		}
		return db.forgetUser(ctx, q, now, id)
	})
}

const contactCols = "id, user_id, name, type, address, disabled, created_at"

func (db *DB) scanContact(r row) (*vigil.ContactMethod, error) {
	var (
		m       vigil.ContactMethod
		created int64
	)
	if err := r.Scan(&m.ID, &m.UserID, &m.Name, &m.Type, &m.Address, &m.Disabled, &created); err != nil {
		return nil, err
	}
	var err error
	if m.Address, err = db.unseal(fmt.Sprintf("address of contact method %d", m.ID), m.Address); err != nil {
		return nil, err
	}
	m.CreatedAt = fromMicros(created)
	return &m, nil
}

// CreateContactMethod stores m for its user. CodeInvalid, CodeNotFound (user).
func (db *DB) CreateContactMethod(ctx context.Context, m *vigil.ContactMethod) error {
	if err := m.Validate(); err != nil {
		return err
	}
	return db.write(ctx, func(q querier, now time.Time) error {
		if err := exists(ctx, q, "users", m.UserID, "user"); err != nil {
			return err
		}
		m.CreatedAt = now
		if err := q.queryRow(ctx, `INSERT INTO contact_methods (user_id, name, type, address, disabled, created_at)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, m.UserID, m.Name, m.Type, db.sealDest(m.Type, m.Address), m.Disabled, micros(now)).Scan(&m.ID); err != nil {
			return err
		}
		return db.audit(ctx, q, now, "contact_method.create", auditContactMethod, m.ID, nil, m)
	})
}

// UpdateContactMethod replaces name, address and the disabled flag (the
// type stays).
func (db *DB) UpdateContactMethod(ctx context.Context, m *vigil.ContactMethod) error {
	return db.write(ctx, func(q querier, now time.Time) error {
		old, err := db.scanContact(q.queryRow(ctx, "SELECT "+contactCols+" FROM contact_methods WHERE id = $1 AND user_id = $2", m.ID, m.UserID))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("contact method", m.ID)
		}
		if err != nil {
			return err
		}
		m.Type, m.CreatedAt = old.Type, old.CreatedAt
		if err := m.Validate(); err != nil {
			return err
		}
		if _, err = q.exec(ctx, "UPDATE contact_methods SET name = $1, address = $2, disabled = $3 WHERE id = $4",
			m.Name, db.sealDest(m.Type, m.Address), m.Disabled, m.ID); err != nil {
			return err
		}
		return db.audit(ctx, q, now, "contact_method.update", auditContactMethod, m.ID, old, m)
	})
}

// FindContactMethod returns one contact method; CodeNotFound.
func (db *DB) FindContactMethod(ctx context.Context, id int64) (*vigil.ContactMethod, error) {
	return findOne(ctx, db, "contact method", id, db.scanContact, "SELECT "+contactCols+" FROM contact_methods WHERE id = $1")
}

// ListContactMethods lists a user's contact methods in creation order.
func (db *DB) ListContactMethods(ctx context.Context, userID int64) ([]*vigil.ContactMethod, error) {
	return listAll(ctx, db, db.scanContact, "SELECT "+contactCols+" FROM contact_methods WHERE user_id = $1 ORDER BY id", userID)
}

// FindContactMethodsByAddress lists enabled contact methods of the given
// types with exactly this address, oldest first. Teams and webhook addresses
// are sealed (secret.go) and never match: inbound replies come by SMS,
// voice and Slack, whose addresses are stored as they are.
func (db *DB) FindContactMethodsByAddress(ctx context.Context, address string, types ...string) ([]*vigil.ContactMethod, error) {
	if len(types) == 0 {
		types = vigil.ContactTypes
	}
	args := []any{address}
	in := ""
	for i, t := range types {
		if i > 0 {
			in += ", "
		}
		args = append(args, t)
		in += fmt.Sprintf("$%d", len(args))
	}
	return listAll(ctx, db, db.scanContact, "SELECT "+contactCols+" FROM contact_methods WHERE address = $1 AND NOT disabled AND type IN ("+
		in+") ORDER BY id", args...)
}

// DeleteContactMethod removes it with the rules that use it.
func (db *DB) DeleteContactMethod(ctx context.Context, userID, id int64) error {
	return deleteAudited(ctx, db, "contact method", auditContactMethod, id, db.scanContact,
		"DELETE FROM contact_methods WHERE id = $1 AND user_id = $2 RETURNING "+contactCols, id, userID)
}

const ruleCols = "id, user_id, contact_method_id, delay_micros, created_at"

func scanRule(r row) (*vigil.NotificationRule, error) {
	var (
		n              vigil.NotificationRule
		delay, created int64
	)
	if err := r.Scan(&n.ID, &n.UserID, &n.ContactMethodID, &delay, &created); err != nil {
		return nil, err
	}
	n.Delay, n.CreatedAt = vigil.Duration(time.Duration(delay)*time.Microsecond), fromMicros(created)
	return &n, nil
}

// CreateNotificationRule stores r; the contact method must be the user's.
func (db *DB) CreateNotificationRule(ctx context.Context, r *vigil.NotificationRule) error {
	if err := r.Validate(); err != nil {
		return err
	}
	return db.write(ctx, func(q querier, now time.Time) error {
		var owner int64
		err := q.queryRow(ctx, "SELECT user_id FROM contact_methods WHERE id = $1", r.ContactMethodID).Scan(&owner)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && owner != r.UserID) {
			return vigil.FieldError("contact_method_id", "user %d has no contact method %d", r.UserID, r.ContactMethodID)
		}
		if err != nil {
			return err
		}
		r.CreatedAt = now
		if err := q.queryRow(ctx, `INSERT INTO notification_rules (user_id, contact_method_id, delay_micros, created_at)
			VALUES ($1, $2, $3, $4) RETURNING id`, r.UserID, r.ContactMethodID, time.Duration(r.Delay).Microseconds(), micros(now)).Scan(&r.ID); err != nil {
			return err
		}
		return db.audit(ctx, q, now, "notification_rule.create", auditNotificationRule, r.ID, nil, r)
	})
}

// ListNotificationRules lists a user's rules by delay.
func (db *DB) ListNotificationRules(ctx context.Context, userID int64) ([]*vigil.NotificationRule, error) {
	return listAll(ctx, db, scanRule, "SELECT "+ruleCols+" FROM notification_rules WHERE user_id = $1 ORDER BY delay_micros, id", userID)
}

// DeleteNotificationRule removes one rule.
func (db *DB) DeleteNotificationRule(ctx context.Context, userID, id int64) error {
	return deleteAudited(ctx, db, "notification rule", auditNotificationRule, id, scanRule,
		"DELETE FROM notification_rules WHERE id = $1 AND user_id = $2 RETURNING "+ruleCols, id, userID)
}

// Helpers shared by the on-call stores.

func findOne[T any](ctx context.Context, db *DB, what string, id int64, scan func(row) (T, error), query string) (T, error) {
	var out T
	err := db.read(ctx, func(q querier) error {
		var err error
		out, err = scan(q.queryRow(ctx, query, id))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound(what, id)
		}
		return err
	})
	return out, err
}

func listAll[T any](ctx context.Context, db *DB, scan func(row) (T, error), query string, args ...any) ([]T, error) {
	var out []T
	err := db.read(ctx, func(q querier) error {
		var err error
		out, err = queryAll(ctx, q, scan, query, args...)
		return err
	})
	if out == nil {
		out = []T{}
	}
	return out, err
}

// exists returns CodeNotFound unless table has a row with id.
func exists(ctx context.Context, q querier, table string, id int64, what string) error {
	var one int
	err := q.queryRow(ctx, "SELECT 1 FROM "+table+" WHERE id = $1", id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return notFound(what, id)
	}
	return err
}

// microsInto scans unix micros into a time.
type microsScanner struct{ t *time.Time }

func microsInto(t *time.Time) *microsScanner { return &microsScanner{t} }

func (m *microsScanner) Scan(v any) error {
	var n sql.NullInt64
	if err := n.Scan(v); err != nil {
		return err
	}
	*m.t = fromMicros(n.Int64)
	return nil
}
