package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// TokenCreate asks for a new API token.
type TokenCreate struct {
	Name      string     `json:"name"`
	Scopes    []string   `json:"scopes"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	// UserID owns a personal token (default: the caller); admins only
	// name someone else.
	UserID int64 `json:"user_id,omitempty"`
	// Service makes a token without an owner (admins).
	Service bool `json:"service,omitempty"`
}

// CreateToken creates an API token; its Secret is set only here.
func (c *Client) CreateToken(ctx context.Context, in TokenCreate) (*vigil.APIToken, error) {
	return send[vigil.APIToken](ctx, c, http.MethodPost, "/api/v1/tokens", in)
}

// ListTokens lists the caller's tokens, or every token for an admin (only
// userID's when not 0).
func (c *Client) ListTokens(ctx context.Context, userID int64) ([]*vigil.APIToken, error) {
	var q url.Values
	if userID != 0 {
		q = url.Values{"user_id": {strconv.FormatInt(userID, 10)}}
	}
	return getItems[*vigil.APIToken](ctx, c, "/api/v1/tokens", q)
}

// RevokeToken revokes a token. CodeNotFound, CodeForbidden.
func (c *Client) RevokeToken(ctx context.Context, tokenID int64) error {
	return c.do(ctx, http.MethodDelete, "/api/v1/tokens/"+id(tokenID), nil, c.token, nil, nil)
}
