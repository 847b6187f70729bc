package auth

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// Signing people in: passwords, the TOTP step, sessions, first-run setup
// and reset links. The store keeps the state; this file keeps the policy.
// An OpenID Connect sign-in ends the same way as a password: StartSession
// for the user it found.

// DefaultSessionTimes: a day without use signs out, a week at most.
var DefaultSessionTimes = vigil.SessionTimes{Idle: 24 * time.Hour, Absolute: 7 * 24 * time.Hour}

// pendingTimes bound the wait between the password and the TOTP code.
var pendingTimes = vigil.SessionTimes{Idle: 5 * time.Minute, Absolute: 5 * time.Minute}

// ResetLinkTTL is how long an admin-issued reset link works.
const ResetLinkTTL = 24 * time.Hour

// Throttle limits failed sign-ins within Window, per account and per client
// address, counted in the database so every replica sees every failure.
type Throttle struct {
	Window     time.Duration
	PerAccount int
	PerAddress int
}

// DefaultThrottle: 5 failures per account or 20 per address in 15 minutes.
var DefaultThrottle = Throttle{Window: 15 * time.Minute, PerAccount: 5, PerAddress: 20}

// Client is where a sign-in comes from, as recorded on its session.
type Client struct {
	Address   string
	UserAgent string
}

// ErrBadLogin is the one answer to an unknown user, a user without a
// password and a wrong password alike.
var ErrBadLogin = vigil.Errorf(vigil.CodeUnauthorized, "wrong e-mail, name or password")

// ErrBadCode answers a wrong or reused TOTP code.
var ErrBadCode = &vigil.Error{Code: vigil.CodeUnauthorized, Field: "code", Message: "wrong code; enter the current code of your authenticator app"}

// LimitError is the CodeRateLimited answer of the throttle; RetryAfter
// says when to try again (the API sends it as Retry-After).
type LimitError struct{ After time.Duration }

func (e *LimitError) Error() string             { return "too many failed sign-ins" }
func (e *LimitError) RetryAfter() time.Duration { return e.After }
func limited(after time.Duration) error {
	mins := int((after + time.Minute - 1) / time.Minute)
	return &vigil.Error{Code: vigil.CodeRateLimited, Err: &LimitError{After: after},
		Message: "too many failed sign-ins; try again in " + plural(mins, "minute")}
}

func plural(n int, unit string) string {
	s := strconv.Itoa(n) + " " + unit
	if n != 1 {
		s += "s"
	}
	return s
}

func (a *Authenticator) now() time.Time {
	if a.Clock == nil {
		return time.Now()
	}
	return a.Clock.Now()
}

func (a *Authenticator) params() PasswordParams {
	if a.Passwords == (PasswordParams{}) {
		return DefaultPasswordParams
	}
	return a.Passwords
}

func (a *Authenticator) sessionTimes() vigil.SessionTimes {
	t := a.Sessions
	if t.Idle <= 0 {
		t.Idle = DefaultSessionTimes.Idle
	}
	if t.Absolute <= 0 {
		t.Absolute = DefaultSessionTimes.Absolute
	}
	return t
}

func (a *Authenticator) throttle() Throttle {
	t := a.Throttle
	if t.Window <= 0 {
		t.Window = DefaultThrottle.Window
	}
	if t.PerAccount <= 0 {
		t.PerAccount = DefaultThrottle.PerAccount
	}
	if t.PerAddress <= 0 {
		t.PerAddress = DefaultThrottle.PerAddress
	}
	return t
}

// dummyHash is a hash of nothing, made once with the configured costs, so
// an unknown user costs the same argon2id work as a wrong password.
type dummyHash struct {
	once sync.Once
	hash string
}

func (a *Authenticator) dummyHash() string {
	a.dummy.once.Do(func() {
		a.dummy.hash, _ = HashPassword("not a password of anyone", a.params())
	})
	return a.dummy.hash
}

func (a *Authenticator) accounts() (vigil.AccountService, error) {
	if a.Accounts == nil {
		return nil, vigil.Errorf(vigil.CodeUnavailable, "sign-in is not configured")
	}
	return a.Accounts, nil
}

// checkThrottle refuses when account or address failed too often lately.
func (a *Authenticator) checkThrottle(ctx context.Context, account, address string) error {
	t, now := a.throttle(), a.now()
	f, err := a.Accounts.CountLoginFailures(ctx, account, address, now.Add(-t.Window))
	if err != nil {
		return err
	}
	var until time.Time
	if f.Account >= t.PerAccount {
		until = f.AccountOldest.Add(t.Window)
	}
	if f.Address >= t.PerAddress && f.AddressOldest.Add(t.Window).After(until) {
		until = f.AddressOldest.Add(t.Window)
	}
	if until.IsZero() {
		return nil
	}
	return limited(max(until.Sub(now), time.Second))
}

// accountKey names the account a sign-in is for: the user's e-mail when
// the login found one, so e-mail and name count together.
func accountKey(login string, l *vigil.UserLogin) string {
	if l != nil {
		return strings.ToLower(l.User.Email)
	}
	return strings.ToLower(strings.TrimSpace(login))
}

// SignIn checks a login (e-mail or name) and password and starts a
// session: a full one, or a pending one when the user has TOTP on (finish
// it with VerifyCode). Unknown user and wrong password get the same error
// after the same argon2id work. CodeRateLimited (with LimitError) when the
// account or the address failed too often.
func (a *Authenticator) SignIn(ctx context.Context, login, password string, c Client) (*vigil.Session, error) {
	acc, err := a.accounts()
	if err != nil {
		return nil, err
	}
	l, err := acc.FindUserLogin(ctx, login)
	if err != nil && vigil.ErrorCode(err) != vigil.CodeNotFound {
		return nil, err
	}
	if l != nil && l.PasswordHash == "" {
		l = nil
	}
	account := accountKey(login, l)
	if err := a.checkThrottle(ctx, account, c.Address); err != nil {
		return nil, err
	}
	hash := a.dummyHash()
	if l != nil {
		hash = l.PasswordHash
	}
	if err := VerifyPassword(password, hash); err != nil || l == nil {
		if rerr := acc.RecordLoginFailure(ctx, account, c.Address); rerr != nil {
			return nil, rerr
		}
		return nil, ErrBadLogin
	}
	if err := acc.ClearLoginFailures(ctx, account); err != nil {
		return nil, err
	}
	s := &vigil.Session{UserID: l.User.ID, Pending: l.TOTPSecret != "", UserAgent: c.UserAgent, Address: c.Address}
	times := a.sessionTimes()
	if s.Pending {
		times = pendingTimes
	}
	if err := acc.CreateSession(ctx, s, times); err != nil {
		return nil, err
	}
	return s, nil
}

// StartSession signs a user in without a password (the user was checked
// another way, e.g. by an identity provider).
func (a *Authenticator) StartSession(ctx context.Context, userID int64, c Client) (*vigil.Session, error) {
	acc, err := a.accounts()
	if err != nil {
		return nil, err
	}
	s := &vigil.Session{UserID: userID, UserAgent: c.UserAgent, Address: c.Address}
	if err := acc.CreateSession(ctx, s, a.sessionTimes()); err != nil {
		return nil, err
	}
	return s, nil
}

// PendingSession returns the pending session of secret, waiting for its
// TOTP code. CodeUnauthorized when there is none.
func (a *Authenticator) PendingSession(ctx context.Context, secret string) (*vigil.Session, error) {
	acc, err := a.accounts()
	if err != nil {
		return nil, err
	}
	s, _, err := acc.AuthenticateSession(ctx, secret, pendingTimes.Idle)
	if err != nil {
		return nil, err
	}
	if !s.Pending {
		return nil, errSignInFirst
	}
	return s, nil
}

// VerifyCode finishes a pending sign-in with a TOTP code: the pending
// session ends and a full one (a new secret) starts. A wrong code counts
// as a failed sign-in of the account.
func (a *Authenticator) VerifyCode(ctx context.Context, pendingSecret, code string, c Client) (*vigil.Session, error) {
	p, err := a.PendingSession(ctx, pendingSecret)
	if err != nil {
		return nil, err
	}
	l, err := a.Accounts.FindUserLoginByID(ctx, p.UserID)
	if err != nil {
		return nil, err
	}
	account := accountKey("", l)
	if err := a.checkThrottle(ctx, account, c.Address); err != nil {
		return nil, err
	}
	step, ok := VerifyTOTP(l.TOTPSecret, code, a.now(), l.TOTPLastStep)
	if ok {
		ok = a.Accounts.UseTOTPStep(ctx, l.User.ID, step) == nil
	}
	if !ok {
		if err := a.Accounts.RecordLoginFailure(ctx, account, c.Address); err != nil {
			return nil, err
		}
		return nil, ErrBadCode
	}
	if err := a.Accounts.DeleteSession(ctx, pendingSecret); err != nil {
		return nil, err
	}
	if err := a.Accounts.ClearLoginFailures(ctx, account); err != nil {
		return nil, err
	}
	return a.StartSession(ctx, l.User.ID, c)
}

// SignOut ends one session (unknown secrets are fine).
func (a *Authenticator) SignOut(ctx context.Context, secret string) error {
	acc, err := a.accounts()
	if err != nil || secret == "" {
		return err
	}
	return acc.DeleteSession(ctx, secret)
}

// hashNew checks a new password against the policy and hashes it.
func (a *Authenticator) hashNew(field, pw string) (string, error) {
	if err := CheckPasswordPolicy(pw); err != nil {
		return "", vigil.FieldError(field, "%v", err)
	}
	return HashPassword(pw, a.params())
}

// ChangePassword sets a new password after checking the current one, and
// ends every other session of the user (keep: the one asking).
func (a *Authenticator) ChangePassword(ctx context.Context, userID, keep int64, current, next string) error {
	acc, err := a.accounts()
	if err != nil {
		return err
	}
	if err := checkCurrent(ctx, acc, userID, current); err != nil {
		return err
	}
	hash, err := a.hashNew("password", next)
	if err != nil {
		return err
	}
	return acc.SetPassword(ctx, userID, hash, keep)
}

// SetPassword sets a password with no questions asked (the offline CLI).
func (a *Authenticator) SetPassword(ctx context.Context, userID int64, pw string) error {
	acc, err := a.accounts()
	if err != nil {
		return err
	}
	hash, err := a.hashNew("password", pw)
	if err != nil {
		return err
	}
	return acc.SetPassword(ctx, userID, hash, 0)
}

// CreateFirstAdmin creates the first admin with a password while first-run
// setup is open; CodeConflict after.
func (a *Authenticator) CreateFirstAdmin(ctx context.Context, u *vigil.User, pw string) error {
	acc, err := a.accounts()
	if err != nil {
		return err
	}
	if err := u.Validate(); err != nil {
		return err
	}
	hash, err := a.hashNew("password", pw)
	if err != nil {
		return err
	}
	return acc.CreateFirstAdmin(ctx, u, hash)
}

// IssueReset makes a one-time reset link secret for a user; admins only.
func (a *Authenticator) IssueReset(ctx context.Context, userID int64) (*vigil.PasswordReset, error) {
	if err := RequireAdmin(ctx); err != nil {
		return nil, err
	}
	acc, err := a.accounts()
	if err != nil {
		return nil, err
	}
	return acc.CreatePasswordReset(ctx, userID, ResetLinkTTL)
}

// SignOutEverywhere ends every session of a user: the user themself, or
// an admin for anyone.
func (a *Authenticator) SignOutEverywhere(ctx context.Context, userID int64) (int, error) {
	if me := vigil.ActorFromContext(ctx); me.Kind != vigil.ActorUser || me.ID != userID {
		if err := RequireAdmin(ctx); err != nil {
			return 0, err
		}
	}
	acc, err := a.accounts()
	if err != nil {
		return 0, err
	}
	return acc.DeleteUserSessions(ctx, userID)
}

// UseReset spends a reset link: sets the new password and ends every
// session of the user.
func (a *Authenticator) UseReset(ctx context.Context, secret, pw string) (*vigil.User, error) {
	acc, err := a.accounts()
	if err != nil {
		return nil, err
	}
	if _, err := acc.FindPasswordReset(ctx, secret); err != nil {
		return nil, err
	}
	hash, err := a.hashNew("password", pw)
	if err != nil {
		return nil, err
	}
	return acc.UsePasswordReset(ctx, secret, hash)
}

// EnableTOTP turns the second factor on once code shows the user's app has
// secret.
func (a *Authenticator) EnableTOTP(ctx context.Context, userID int64, secret, code string) error {
	acc, err := a.accounts()
	if err != nil {
		return err
	}
	if _, err := TOTPCode(secret, 0); err != nil || len(secret) < 16 {
		return vigil.FieldError("secret", "is not a TOTP secret; start again")
	}
	step, ok := VerifyTOTP(secret, code, a.now(), 0)
	if !ok {
		return ErrBadCode
	}
	return acc.SetTOTP(ctx, userID, secret, step)
}

// DisableTOTP turns the second factor off after checking the password.
func (a *Authenticator) DisableTOTP(ctx context.Context, userID int64, password string) error {
	acc, err := a.accounts()
	if err != nil {
		return err
	}
	if err := checkCurrent(ctx, acc, userID, password); err != nil {
		return err
	}
	return acc.SetTOTP(ctx, userID, "", 0)
}

// checkCurrent confirms a signed-in person's password before a change
// that must not be made from a browser left open.
func checkCurrent(ctx context.Context, acc vigil.AccountService, userID int64, pw string) error {
	l, err := acc.FindUserLoginByID(ctx, userID)
	if err != nil {
		return err
	}
	if l.PasswordHash == "" || VerifyPassword(pw, l.PasswordHash) != nil {
		return &vigil.Error{Code: vigil.CodeInvalid, Field: "current", Message: "is not your current password"}
	}
	return nil
}
