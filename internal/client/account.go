package client

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// PasswordResetLink is a one-time link for a user to set a password.
type PasswordResetLink struct {
	UserID    int64     `json:"user_id"`
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"expires_at"`
}

// CreatePasswordReset issues a one-time reset link for a user (admin).
func (c *Client) CreatePasswordReset(ctx context.Context, userID int64) (*PasswordResetLink, error) {
	var out PasswordResetLink
	if err := c.do(ctx, http.MethodPost, userPath(userID)+"/password-reset", nil, c.token, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListSessions lists a user's web sessions (admin).
func (c *Client) ListSessions(ctx context.Context, userID int64) ([]*vigil.Session, error) {
	return getItems[*vigil.Session](ctx, c, userPath(userID)+"/sessions", nil)
}

// DeleteSessions signs a user out everywhere and says how many sessions
// ended (admin).
func (c *Client) DeleteSessions(ctx context.Context, userID int64) (int, error) {
	var out struct {
		Ended int `json:"ended"`
	}
	if err := c.do(ctx, http.MethodDelete, userPath(userID)+"/sessions", nil, c.token, nil, &out); err != nil {
		return 0, err
	}
	return out.Ended, nil
}

// ListIdentities lists a user's single sign-on identities (the user or an
// admin).
func (c *Client) ListIdentities(ctx context.Context, userID int64) ([]*vigil.Identity, error) {
	return getItems[*vigil.Identity](ctx, c, userPath(userID)+"/identities", nil)
}

// UnlinkIdentity unlinks one of a user's single sign-on identities (the
// user, but not their last way to sign in, or an admin).
func (c *Client) UnlinkIdentity(ctx context.Context, userID, identityID int64) error {
	return c.do(ctx, http.MethodDelete, userPath(userID)+"/identities/"+strconv.FormatInt(identityID, 10), nil, c.token, nil, nil)
}
