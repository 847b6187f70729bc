package vigil

import (
	"context"
	"time"
)

// Global user roles, weakest first; what each may do is RoleAllows
// (permission.go). Team managers get more on their own team's objects.
const (
	// RoleStakeholder reads only the incidents shared with a stakeholder
	// group they belong to (PermReadIncidents), and nothing else.
	RoleStakeholder = "stakeholder"
	RoleViewer      = "viewer"
	RoleResponder   = "responder"
	RoleManager     = "manager"
	// RoleAdmin is shared with API tokens (see credential.go).
)

// A team member's role on the team (team_members.role): a plain member
// acts with their global role; a responder also responds on the team's
// incidents; a manager also manages the team's objects (and responds).
const (
	TeamMember    = "member"
	TeamResponder = "responder"
	TeamManager   = "manager"
)

// TeamRoles lists the roles on a team, weakest first.
var TeamRoles = []string{TeamMember, TeamResponder, TeamManager}

// UserRoles lists the global roles, weakest first.
var UserRoles = []string{RoleStakeholder, RoleViewer, RoleResponder, RoleManager, RoleAdmin}

// SessionPrefix and ResetPrefix mark the secrets of web sessions and of
// password reset links.
const (
	SessionPrefix = "vgs_"
	ResetPrefix   = "vgr_"
)

// UserLogin is what signing in needs to know about a user: kept apart from
// User so that the hash and the TOTP secret never reach a page or the API.
type UserLogin struct {
	User         *User
	PasswordHash string // "" when the user has no password
	TOTPSecret   string // "" when no second factor is set up
	TOTPLastStep uint64 // the time step of the last accepted code
}

// Session is a signed-in browser. Its secret (the cookie value) is only
// known when it is created; the store keeps a hash.
type Session struct {
	ID     int64  `json:"id"`
	UserID int64  `json:"user_id"`
	Secret string `json:"-"`
	// Pending sessions passed the password and wait for a TOTP code; they
	// authenticate nothing else.
	Pending    bool      `json:"pending"`
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	// IdleUntil moves forward as the session is used; ExpiresAt never does.
	IdleUntil time.Time `json:"idle_until"`
	ExpiresAt time.Time `json:"expires_at"`
	UserAgent string    `json:"user_agent"`
	Address   string    `json:"address"`
}

// SessionTimes are how long a session lives without use (Idle) and at
// most (Absolute).
type SessionTimes struct {
	Idle     time.Duration
	Absolute time.Duration
}

// PasswordReset is a one-time link an admin issued; Secret is set only on
// creation.
type PasswordReset struct {
	UserID    int64     `json:"user_id"`
	Secret    string    `json:"-"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

// LoginFailures counts the failed sign-ins since a time, for one account
// and for one address, with the oldest of each (when the count drops).
type LoginFailures struct {
	Account, Address             int
	AccountOldest, AddressOldest time.Time
}

// AccountService keeps what signing in needs: passwords, second factors,
// sessions, reset links and the failure counts that throttle guessing.
// Policy (hashing, limits, TOTP checks) lives in internal/auth.
type AccountService interface {
	// FindUserLogin finds a user by e-mail or, when just one user has it,
	// by name; case does not matter.
	// CodeNotFound.
	FindUserLogin(ctx context.Context, login string) (*UserLogin, error)
	// FindUserLoginByID is FindUserLogin by ID. CodeNotFound.
	FindUserLoginByID(ctx context.Context, userID int64) (*UserLogin, error)
	// SetPassword stores a new password hash and ends every session of the
	// user except keepSession (0: all). CodeNotFound.
	SetPassword(ctx context.Context, userID int64, hash string, keepSession int64) error
	// SetUserRole changes a user's global role. CodeInvalid, CodeNotFound.
	SetUserRole(ctx context.Context, userID int64, role string) error
	// SetTOTP turns the second factor on with secret (whose code at step was
	// just shown to be known) or off with "". CodeNotFound.
	SetTOTP(ctx context.Context, userID int64, secret string, step uint64) error
	// UseTOTPStep records that the code of step was accepted; CodeConflict
	// when that step (or a later one) was used before, so a code works once.
	UseTOTPStep(ctx context.Context, userID int64, step uint64) error

	// CreateFirstAdmin creates u as an admin with a password while first-run
	// setup is open, and closes it. CodeConflict once it is closed.
	CreateFirstAdmin(ctx context.Context, u *User, hash string) error
	// CloseSetup closes first-run setup (an admin was made another way).
	CloseSetup(ctx context.Context) error
	// SetupOpen reports whether first-run setup is still open.
	SetupOpen(ctx context.Context) (bool, error)

	// CreateSession stores s for s.UserID with a fresh secret (set on s)
	// and its times from now and t. CodeNotFound for an unknown user.
	CreateSession(ctx context.Context, s *Session, t SessionTimes) error
	// AuthenticateSession returns the live session of secret and its user,
	// moving its idle deadline forward by idle. CodeUnauthorized when
	// unknown, expired or deleted.
	AuthenticateSession(ctx context.Context, secret string, idle time.Duration) (*Session, *User, error)
	// ActivateSession turns a pending session into a full one. CodeUnauthorized.
	ActivateSession(ctx context.Context, id int64) error
	// ListSessions lists a user's live sessions, newest first.
	ListSessions(ctx context.Context, userID int64) ([]*Session, error)
	// DeleteSession ends the session of secret; unknown secrets are fine.
	DeleteSession(ctx context.Context, secret string) error
	// DeleteUserSessions ends every session of a user and says how many.
	// CodeNotFound for an unknown user.
	DeleteUserSessions(ctx context.Context, userID int64) (int, error)

	// CreatePasswordReset issues a one-time link secret for a user, valid
	// for ttl; earlier unused links of the user stop working. CodeNotFound.
	CreatePasswordReset(ctx context.Context, userID int64, ttl time.Duration) (*PasswordReset, error)
	// FindPasswordReset returns the user a live link belongs to, without
	// using it. CodeNotFound when unknown, used or expired.
	FindPasswordReset(ctx context.Context, secret string) (*User, error)
	// UsePasswordReset spends a live link: sets the password hash and ends
	// every session of the user. CodeNotFound when unknown, used or expired.
	UsePasswordReset(ctx context.Context, secret, hash string) (*User, error)

	// RecordLoginFailure notes a failed sign-in for account and address
	// (either may be ""), and forgets failures older than a day.
	RecordLoginFailure(ctx context.Context, account, address string) error
	// CountLoginFailures counts the failures since since.
	CountLoginFailures(ctx context.Context, account, address string, since time.Time) (LoginFailures, error)
	// ClearLoginFailures forgets the failures of account (after a success).
	ClearLoginFailures(ctx context.Context, account string) error
}
