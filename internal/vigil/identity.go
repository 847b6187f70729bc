package vigil

import (
	"context"
	"time"
)

// Identity links a user to an account at an OpenID Connect provider: the
// provider's issuer URL and its subject (its stable ID of the person).
type Identity struct {
	ID           int64     `json:"id"`
	UserID       int64     `json:"user_id"`
	Issuer       string    `json:"issuer"`
	Subject      string    `json:"subject"`
	Email        string    `json:"email"` // as the provider last said
	CreatedAt    time.Time `json:"created_at"`
	LastSignInAt time.Time `json:"last_sign_in_at"`
}

// IdentitySignIn is what a provider vouched for, and what Vigil's mapping
// of the person's groups decided, at one single sign-on.
type IdentitySignIn struct {
	Issuer, Subject string
	// Email is the e-mail the provider verified, or "" when it did not
	// vouch for one: only a verified e-mail links an existing user.
	Email string
	// Name is shown for a new user (the e-mail when empty).
	Name string
	// Create allows making a user when neither the identity nor the
	// e-mail is known.
	Create bool
	// Role is the global role the person's groups give; "" leaves the
	// role alone. A user created now gets Role, else NewUserRole, else
	// responder.
	Role        string
	NewUserRole string
	// Teams maps team names to the membership the groups give
	// (one of TeamRoles). Managed lists every team the mapping
	// can give: membership of those follows Teams (leaving a group leaves
	// the team); other teams are left alone. Unknown team names are skipped.
	Teams   map[string]string
	Managed []string
}

// IdentityService keeps single sign-on identities.
type IdentityService interface {
	// SignInIdentity finds the user of an identity: linked before, or the
	// user with the verified e-mail (then linked), or a new user when
	// allowed (CodeNotFound otherwise). In the same transaction it sets the
	// user's role and the memberships of the managed teams; every change
	// is audited. An admin signing in closes first-run setup.
	SignInIdentity(ctx context.Context, in *IdentitySignIn) (*User, error)
	// ListIdentities lists the identities of a user, oldest first.
	ListIdentities(ctx context.Context, userID int64) ([]*Identity, error)
	// UnlinkIdentity removes identity identityID of user userID, audited:
	// its (issuer, subject) no longer signs in as the user, and the next
	// sign-in with it is treated like a first one (linked by verified
	// e-mail, or a new user, or refused). CodeNotFound when the identity is
	// not the user's; CodeConflict when it is the user's last way to sign
	// in (no password, no other identity) and allowLast is false (only an
	// administrator's request sets it).
	UnlinkIdentity(ctx context.Context, userID, identityID int64, allowLast bool) error
}
