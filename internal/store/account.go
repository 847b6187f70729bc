package store

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// Sign-in state: password hashes, TOTP secrets, sessions, reset links and
// failed attempts. Every secret a browser holds is stored as
// vigil.HashSecret(secret); every check reads the database, so a sign-out
// on one replica holds on all of them at once.

// loginFailureHorizon is how long failed sign-ins are kept at all; the
// throttle window is shorter.
const loginFailureHorizon = 24 * time.Hour

// sessionTouchEvery bounds how often using a session writes its last-seen
// time and idle deadline, so reading pages is not a write per request.
const sessionTouchEvery = time.Minute

func (db *DB) scanUserLogin(r row) (*vigil.UserLogin, error) {
	var (
		u                vigil.User
		l                = vigil.UserLogin{User: &u}
		created, updated int64
		step             int64
	)
	if err := r.Scan(&u.ID, &u.Name, &u.Email, &u.TimeZone, &u.Role, &l.PasswordHash, &l.TOTPSecret, &step, &created, &updated); err != nil {
		return nil, err
	}
	var err error
	if l.TOTPSecret, err = db.unseal("TOTP secret of user "+strconv.FormatInt(u.ID, 10), l.TOTPSecret); err != nil {
		return nil, err
	}
	u.HasPassword, u.TOTPEnabled = l.PasswordHash != "", l.TOTPSecret != ""
	l.TOTPLastStep = uint64(step)
	u.CreatedAt, u.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &l, nil
}

const loginCols = "id, name, email, time_zone, role, password_hash, totp_secret, totp_last_step, created_at, updated_at"

// FindUserLogin finds a user by e-mail or else by name, in any case.
// CodeNotFound.
func (db *DB) FindUserLogin(ctx context.Context, login string) (*vigil.UserLogin, error) {
	login = strings.TrimSpace(login)
	var l *vigil.UserLogin
	err := db.read(ctx, func(q querier) error {
		var err error
		l, err = db.scanUserLogin(q.queryRow(ctx, "SELECT "+loginCols+" FROM users WHERE lower(email) = lower($1)", login))
		if errors.Is(err, sql.ErrNoRows) {
			// Names are not unique: only a name that one user has signs in.
			var all []*vigil.UserLogin
			all, err = queryAll(ctx, q, db.scanUserLogin, "SELECT "+loginCols+" FROM users WHERE lower(name) = lower($1) LIMIT 2", login)
			if err == nil && len(all) != 1 {
				return vigil.Errorf(vigil.CodeNotFound, "no such user")
			}
			if err == nil {
				l = all[0]
			}
		}
		return err
	})
	return l, err
}

// FindUserLoginByID is FindUserLogin by ID. CodeNotFound.
func (db *DB) FindUserLoginByID(ctx context.Context, userID int64) (*vigil.UserLogin, error) {
	return findOne(ctx, db, "user", userID, db.scanUserLogin, "SELECT "+loginCols+" FROM users WHERE id = $1")
}

// SetPassword stores a new hash and ends the user's other sessions.
func (db *DB) SetPassword(ctx context.Context, userID int64, hash string, keepSession int64) error {
	return db.write(ctx, func(q querier, now time.Time) error {
		return db.setPassword(ctx, q, now, userID, hash, keepSession)
	})
}

func (db *DB) setPassword(ctx context.Context, q querier, now time.Time, userID int64, hash string, keepSession int64) error {
	n, err := q.exec(ctx, "UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3", hash, micros(now), userID)
	if err != nil {
		return err
	}
	if n == 0 {
		return notFound("user", userID)
	}
	if _, err := q.exec(ctx, "DELETE FROM sessions WHERE user_id = $1 AND id <> $2", userID, keepSession); err != nil {
		return err
	}
	// The hash is never audited, only that the password changed.
	if err := db.audit(ctx, q, now, "user.password", auditUser, userID, nil, map[string]bool{"password_changed": true}); err != nil {
		return err
	}
	// A password anywhere means first-run setup is over.
	return closeSetup(ctx, q, now)
}

// SetUserRole changes a user's global role. CodeInvalid, CodeNotFound.
func (db *DB) SetUserRole(ctx context.Context, userID int64, role string) error {
	if !slices.Contains(vigil.UserRoles, role) {
		return vigil.FieldError("role", "must be one of %s", strings.Join(vigil.UserRoles, ", "))
	}
	return db.write(ctx, func(q querier, now time.Time) error {
		var before string
		err := q.queryRow(ctx, "SELECT role FROM users WHERE id = $1", userID).Scan(&before)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("user", userID)
		}
		if err != nil || before == role {
			return err
		}
		if _, err := q.exec(ctx, "UPDATE users SET role = $1, updated_at = $2 WHERE id = $3", role, micros(now), userID); err != nil {
			return err
		}
		return db.audit(ctx, q, now, "user.role", auditUser, userID, map[string]string{"role": before}, map[string]string{"role": role})
	})
}

// SetTOTP turns the second factor on (secret, with the step just used) or
// off ("").
func (db *DB) SetTOTP(ctx context.Context, userID int64, secret string, step uint64) error {
	return db.write(ctx, func(q querier, now time.Time) error {
		n, err := q.exec(ctx, "UPDATE users SET totp_secret = $1, totp_last_step = $2, updated_at = $3 WHERE id = $4",
			db.seal(secret), int64(step), micros(now), userID)
		if err == nil && n == 0 {
			return notFound("user", userID)
		}
		if err != nil {
			return err
		}
		// Whether the second factor is on, never its secret.
		return db.audit(ctx, q, now, "user.totp", auditUser, userID, nil, map[string]bool{"totp": secret != ""})
	})
}

// UseTOTPStep advances the user's last accepted step, refusing a step that
// is not newer (a replayed code), atomically on every replica.
func (db *DB) UseTOTPStep(ctx context.Context, userID int64, step uint64) error {
	return db.write(ctx, func(q querier, now time.Time) error {
		n, err := q.exec(ctx, "UPDATE users SET totp_last_step = $1 WHERE id = $2 AND totp_last_step < $1", int64(step), userID)
		if err == nil && n == 0 {
			return vigil.Errorf(vigil.CodeConflict, "this code was used already; wait for the next one")
		}
		return err
	})
}

var errSetupClosed = vigil.Errorf(vigil.CodeConflict, "setup is finished: an administrator exists already")

// CreateFirstAdmin creates the first admin while setup is open.
func (db *DB) CreateFirstAdmin(ctx context.Context, u *vigil.User, hash string) error {
	u.Role = vigil.RoleAdmin
	if err := u.Validate(); err != nil {
		return err
	}
	return db.write(ctx, func(q querier, now time.Time) error {
		if open, err := setupOpen(ctx, q); err != nil {
			return err
		} else if !open {
			return errSetupClosed
		}
		// The primary key of setup_done lets one of two racing setups win.
		if _, err := q.exec(ctx, "INSERT INTO setup_done (id, done_at) VALUES (1, $1)", micros(now)); err != nil {
			if uniqueViolation(err) {
				return errSetupClosed
			}
			return err
		}
		err := q.queryRow(ctx, `INSERT INTO users (name, email, time_zone, role, password_hash, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id`,
			u.Name, u.Email, u.TimeZone, u.Role, hash, micros(now)).Scan(&u.ID)
		if uniqueViolation(err) {
			return errEmailTaken
		}
		if err != nil {
			return err
		}
		u.CreatedAt, u.UpdatedAt, u.HasPassword = now, now, true
		return db.audit(ctx, q, now, "user.create", auditUser, u.ID, nil, u)
	})
}

// CloseSetup closes first-run setup.
func (db *DB) CloseSetup(ctx context.Context) error {
	return db.write(ctx, func(q querier, now time.Time) error { return closeSetup(ctx, q, now) })
}

func closeSetup(ctx context.Context, q querier, now time.Time) error {
	_, err := q.exec(ctx, "INSERT INTO setup_done (id, done_at) VALUES (1, $1) ON CONFLICT (id) DO NOTHING", micros(now))
	return err
}

// SetupOpen reports whether first-run setup is open: nobody closed it and
// no user has a password.
func (db *DB) SetupOpen(ctx context.Context) (bool, error) {
	var open bool
	err := db.read(ctx, func(q querier) error {
		var err error
		open, err = setupOpen(ctx, q)
		return err
	})
	return open, err
}

func setupOpen(ctx context.Context, q querier) (bool, error) {
	var n int
	err := q.queryRow(ctx, `SELECT (SELECT COUNT(*) FROM setup_done) + (SELECT COUNT(*) FROM users WHERE password_hash <> '')`).Scan(&n)
	return n == 0, err
}

const sessionCols = "id, user_id, pending, created_at, last_seen_at, idle_until, expires_at, user_agent, address"

func scanSession(r row) (*vigil.Session, error) {
	var (
		s                            vigil.Session
		created, seen, idle, expires int64
	)
	if err := r.Scan(&s.ID, &s.UserID, &s.Pending, &created, &seen, &idle, &expires, &s.UserAgent, &s.Address); err != nil {
		return nil, err
	}
	s.CreatedAt, s.LastSeenAt, s.IdleUntil, s.ExpiresAt = fromMicros(created), fromMicros(seen), fromMicros(idle), fromMicros(expires)
	return &s, nil
}

// maxUserAgentLen keeps what a client claims to be short in the table.
const maxUserAgentLen = 256

// CreateSession stores a session with a fresh secret. Expired sessions of
// the user are dropped on the way.
func (db *DB) CreateSession(ctx context.Context, s *vigil.Session, t vigil.SessionTimes) error {
	secret := vigil.NewSecret(vigil.SessionPrefix)
	s.UserAgent = clip(s.UserAgent, maxUserAgentLen)
	s.Address = clip(s.Address, maxUserAgentLen)
	err := db.write(ctx, func(q querier, now time.Time) error {
		if err := exists(ctx, q, "users", s.UserID, "user"); err != nil {
			return err
		}
		if _, err := q.exec(ctx, "DELETE FROM sessions WHERE user_id = $1 AND (expires_at <= $2 OR idle_until <= $2)", s.UserID, micros(now)); err != nil {
			return err
		}
		s.CreatedAt, s.LastSeenAt = now, now
		s.ExpiresAt = now.Add(t.Absolute)
		s.IdleUntil = earliest(now.Add(t.Idle), s.ExpiresAt)
		return q.queryRow(ctx, `INSERT INTO sessions (user_id, secret_hash, pending, created_at, last_seen_at, idle_until, expires_at, user_agent, address)
			VALUES ($1, $2, $3, $4, $4, $5, $6, $7, $8) RETURNING id`,
			s.UserID, vigil.HashSecret(secret), s.Pending, micros(now), micros(s.IdleUntil), micros(s.ExpiresAt), s.UserAgent, s.Address).Scan(&s.ID)
	})
	if err != nil {
		return err
	}
	s.Secret = secret
	return nil
}

var errNoSession = vigil.Errorf(vigil.CodeUnauthorized, "sign in first")

// AuthenticateSession reads the session of secret on every call (no
// cache: revocation wins at once) and touches it at most once a minute.
func (db *DB) AuthenticateSession(ctx context.Context, secret string, idle time.Duration) (*vigil.Session, *vigil.User, error) {
	if !strings.HasPrefix(secret, vigil.SessionPrefix) {
		return nil, nil, errNoSession
	}
	var (
		s   *vigil.Session
		u   *vigil.User
		now = db.now()
	)
	err := db.read(ctx, func(q querier) error {
		var err error
		s, err = scanSession(q.queryRow(ctx, "SELECT "+sessionCols+" FROM sessions WHERE secret_hash = $1", vigil.HashSecret(secret)))
		if errors.Is(err, sql.ErrNoRows) {
			return errNoSession
		}
		if err != nil {
			return err
		}
		if !now.Before(s.ExpiresAt) || !now.Before(s.IdleUntil) {
			return errNoSession
		}
		u, err = scanUser(q.queryRow(ctx, "SELECT "+userCols+" FROM users WHERE id = $1", s.UserID))
		if errors.Is(err, sql.ErrNoRows) {
			return errNoSession
		}
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	if now.Sub(s.LastSeenAt) >= sessionTouchEvery {
		s.LastSeenAt, s.IdleUntil = now, earliest(now.Add(idle), s.ExpiresAt)
		err = db.write(ctx, func(q querier, _ time.Time) error {
			_, err := q.exec(ctx, "UPDATE sessions SET last_seen_at = $1, idle_until = $2 WHERE id = $3",
				micros(s.LastSeenAt), micros(s.IdleUntil), s.ID)
			return err
		})
		if err != nil {
			return nil, nil, err
		}
	}
	return s, u, nil
}

// ActivateSession clears the pending mark of a session.
func (db *DB) ActivateSession(ctx context.Context, id int64) error {
	return db.write(ctx, func(q querier, now time.Time) error {
		n, err := q.exec(ctx, "UPDATE sessions SET pending = $1, last_seen_at = $2 WHERE id = $3", false, micros(now), id)
		if err == nil && n == 0 {
			return errNoSession
		}
		return err
	})
}

// ListSessions lists a user's live sessions, newest first.
func (db *DB) ListSessions(ctx context.Context, userID int64) ([]*vigil.Session, error) {
	now := micros(db.now())
	return listAll(ctx, db, scanSession, "SELECT "+sessionCols+
		" FROM sessions WHERE user_id = $1 AND expires_at > $2 AND idle_until > $2 ORDER BY created_at DESC, id DESC", userID, now)
}

// DeleteSession ends the session of secret.
func (db *DB) DeleteSession(ctx context.Context, secret string) error {
	return db.write(ctx, func(q querier, _ time.Time) error {
		_, err := q.exec(ctx, "DELETE FROM sessions WHERE secret_hash = $1", vigil.HashSecret(secret))
		return err
	})
}

// DeleteUserSessions ends every session of a user.
func (db *DB) DeleteUserSessions(ctx context.Context, userID int64) (int, error) {
	var n int64
	err := db.write(ctx, func(q querier, now time.Time) error {
		if err := exists(ctx, q, "users", userID, "user"); err != nil {
			return err
		}
		var err error
		if n, err = q.exec(ctx, "DELETE FROM sessions WHERE user_id = $1", userID); err != nil {
			return err
		}
		return db.audit(ctx, q, now, "user.sign-out", auditUser, userID, nil, map[string]int64{"sessions_ended": n})
	})
	return int(n), err
}

var errNoReset = vigil.Errorf(vigil.CodeNotFound, "this reset link is unknown, used or expired; ask an administrator for a new one")

// CreatePasswordReset issues a reset link; older unused links of the user
// are spent so only the newest works.
func (db *DB) CreatePasswordReset(ctx context.Context, userID int64, ttl time.Duration) (*vigil.PasswordReset, error) {
	r := &vigil.PasswordReset{UserID: userID, Secret: vigil.NewSecret(vigil.ResetPrefix)}
	err := db.write(ctx, func(q querier, now time.Time) error {
		if err := exists(ctx, q, "users", userID, "user"); err != nil {
			return err
		}
		if _, err := q.exec(ctx, "UPDATE password_resets SET used_at = $1 WHERE user_id = $2 AND used_at IS NULL", micros(now), userID); err != nil {
			return err
		}
		r.CreatedAt, r.ExpiresAt = now, now.Add(ttl)
		if _, err := q.exec(ctx, "INSERT INTO password_resets (user_id, secret_hash, created_at, expires_at) VALUES ($1, $2, $3, $4)",
			userID, vigil.HashSecret(r.Secret), micros(now), micros(r.ExpiresAt)); err != nil {
			return err
		}
		return db.audit(ctx, q, now, "user.password-reset-link", auditUser, userID, nil, map[string]time.Time{"expires_at": r.ExpiresAt})
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

func liveReset(ctx context.Context, q querier, secret string, now time.Time) (resetID int64, u *vigil.User, err error) {
	if !strings.HasPrefix(secret, vigil.ResetPrefix) {
		return 0, nil, errNoReset
	}
	var userID int64
	err = q.queryRow(ctx, "SELECT id, user_id FROM password_resets WHERE secret_hash = $1 AND used_at IS NULL AND expires_at > $2",
		vigil.HashSecret(secret), micros(now)).Scan(&resetID, &userID)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil, errNoReset
	}
	if err != nil {
		return 0, nil, err
	}
	u, err = scanUser(q.queryRow(ctx, "SELECT "+userCols+" FROM users WHERE id = $1", userID))
	return resetID, u, err
}

// FindPasswordReset returns the user of a live link without spending it.
func (db *DB) FindPasswordReset(ctx context.Context, secret string) (*vigil.User, error) {
	var u *vigil.User
	now := db.now()
	err := db.read(ctx, func(q querier) error {
		var err error
		_, u, err = liveReset(ctx, q, secret, now)
		return err
	})
	return u, err
}

// UsePasswordReset spends a live link, sets the password and ends every
// session of the user, in one transaction.
func (db *DB) UsePasswordReset(ctx context.Context, secret, hash string) (*vigil.User, error) {
	var u *vigil.User
	err := db.write(ctx, func(q querier, now time.Time) error {
		id, user, err := liveReset(ctx, q, secret, now)
		if err != nil {
			return err
		}
		n, err := q.exec(ctx, "UPDATE password_resets SET used_at = $1 WHERE id = $2 AND used_at IS NULL", micros(now), id)
		if err != nil {
			return err
		}
		if n == 0 {
			return errNoReset
		}
		u = user
		u.HasPassword = true
		return db.setPassword(ctx, q, now, user.ID, hash, 0)
	})
	return u, err
}

// RecordLoginFailure notes one failed sign-in.
func (db *DB) RecordLoginFailure(ctx context.Context, account, address string) error {
	account = clip(strings.ToLower(account), maxUserAgentLen)
	return db.write(ctx, func(q querier, now time.Time) error {
		if _, err := q.exec(ctx, "DELETE FROM login_failures WHERE at < $1", micros(now.Add(-loginFailureHorizon))); err != nil {
			return err
		}
		_, err := q.exec(ctx, "INSERT INTO login_failures (account, address, at) VALUES ($1, $2, $3)", account, address, micros(now))
		return err
	})
}

// CountLoginFailures counts failures since since, per account and per
// address; an empty account or address counts nothing.
func (db *DB) CountLoginFailures(ctx context.Context, account, address string, since time.Time) (vigil.LoginFailures, error) {
	account = clip(strings.ToLower(account), maxUserAgentLen)
	var f vigil.LoginFailures
	err := db.read(ctx, func(q querier) error {
		count := func(col, key string, n *int, oldest *time.Time) error {
			if key == "" {
				return nil
			}
			var first sql.NullInt64
			if err := q.queryRow(ctx, "SELECT COUNT(*), MIN(at) FROM login_failures WHERE "+col+" = $1 AND at >= $2",
				key, micros(since)).Scan(n, &first); err != nil {
				return err
			}
			if first.Valid {
				*oldest = fromMicros(first.Int64)
			}
			return nil
		}
		if err := count("account", account, &f.Account, &f.AccountOldest); err != nil {
			return err
		}
		return count("address", address, &f.Address, &f.AddressOldest)
	})
	return f, err
}

// ClearLoginFailures forgets an account's failures; they still count
// against their addresses, so one good password does not reset a spray.
func (db *DB) ClearLoginFailures(ctx context.Context, account string) error {
	account = clip(strings.ToLower(account), maxUserAgentLen)
	if account == "" {
		return nil
	}
	return db.write(ctx, func(q querier, _ time.Time) error {
		_, err := q.exec(ctx, "UPDATE login_failures SET account = '' WHERE account = $1", account)
		return err
	})
}

// clip makes client-supplied text (a user agent, a typed login) safe to
// store in both databases: valid UTF-8, no NUL, at most n bytes.
func clip(s string, n int) string {
	s = strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "")
	for len(s) > n {
		s = strings.ToValidUTF8(s[:n], "")
	}
	return s
}

func earliest(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
