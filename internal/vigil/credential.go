package vigil

import (
	"context"
	"time"
)

// IntegrationKey is the credential a sender (a monitoring tool) uses to post
// alerts to one service. The secret is shown once, at creation; only its
// hash is stored.
type IntegrationKey struct {
	ID        int64      `json:"id"`
	ServiceID int64      `json:"service_id"`
	Name      string     `json:"name"`
	Prefix    string     `json:"prefix"` // the first characters of the secret, to tell keys apart
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
	// Secret is set only in the answer to CreateIntegrationKey.
	Secret string `json:"secret,omitempty"`
	// Rules rewrite the key's events before they are stored (mapping.go).
	Rules []MappingRule `json:"rules,omitempty"`
	// RulesRevision changes whenever Rules do, so compiled rules can be
	// cached by (ID, RulesRevision).
	RulesRevision int64 `json:"-"`
}

// IntegrationKeyService manages integration keys.
type IntegrationKeyService interface {
	// CreateIntegrationKey mints a key for a service and returns it with
	// Secret set. CodeNotFound when the service does not exist.
	CreateIntegrationKey(ctx context.Context, serviceID int64, name string) (*IntegrationKey, error)
	// FindIntegrationKeys lists a service's keys, revoked ones included,
	// without secrets.
	FindIntegrationKeys(ctx context.Context, serviceID int64) ([]*IntegrationKey, error)
	// RevokeIntegrationKey revokes a key of a service; revoking twice is
	// fine. CodeNotFound.
	RevokeIntegrationKey(ctx context.Context, serviceID, keyID int64) error
	// AuthenticateIntegrationKey returns the live key whose secret this is.
	// CodeUnauthorized when unknown or revoked.
	AuthenticateIntegrationKey(ctx context.Context, secret string) (*IntegrationKey, error)
}

// RoleAdmin is the strongest global role, and the role of the API
// tokens made before scopes existed.
const (
	RoleAdmin = "admin"
)

// APIToken is a bearer credential for the management API. A personal
// token has an owner (UserID) and may do what both its scopes and its
// owner's current role allow; a service token (UserID 0) has only its
// scopes.
type APIToken struct {
	ID     int64    `json:"id"`
	Name   string   `json:"name"`
	Prefix string   `json:"prefix"`
	Scopes []string `json:"scopes"`
	// UserID is the owner of a personal token; 0 for a service token.
	UserID int64 `json:"user_id,omitempty"`
	// UserRole is the owner's current global role (not stored with the
	// token: read from the user on every request).
	UserRole string `json:"-"`
	// UserName is the owner's name, for the actor of the token's requests.
	UserName        string     `json:"-"`
	CreatedAt       time.Time  `json:"created_at"`
	ExpiresAt       *time.Time `json:"expires_at,omitempty"`
	LastUsedAt      *time.Time `json:"last_used_at,omitempty"`
	LastUsedAddress string     `json:"last_used_address,omitempty"`
	RevokedAt       *time.Time `json:"revoked_at,omitempty"`
	// Secret is set only in the answer to CreateToken.
	Secret string `json:"secret,omitempty"`
}

// TokenSpec is what a new token is made from.
type TokenSpec struct {
	Name      string
	Scopes    []string
	UserID    int64      // 0: a service token
	ExpiresAt *time.Time // nil: never
}

// TokenService manages API tokens. Secrets are stored hashed.
type TokenService interface {
	// CreateAPIToken stores an admin-scoped service token for secret
	// (mint one with NewSecret); role must be RoleAdmin or "".
	CreateAPIToken(ctx context.Context, name, role, secret string) (*APIToken, error)
	// CreateToken mints a token and returns it with Secret set, the only
	// time it is shown. CodeInvalid names the field; CodeNotFound when
	// the owner does not exist.
	CreateToken(ctx context.Context, spec TokenSpec) (*APIToken, error)
	// ListTokens lists tokens, revoked ones included, newest first; only
	// userID's personal tokens when userID is not 0.
	ListTokens(ctx context.Context, userID int64) ([]*APIToken, error)
	// FindToken returns one token. CodeNotFound.
	FindToken(ctx context.Context, id int64) (*APIToken, error)
	// RevokeToken revokes a token; revoking twice is fine. CodeNotFound.
	RevokeToken(ctx context.Context, id int64) error
	// AuthenticateAPIToken returns the live token whose secret this is,
	// recording the time and the address of its use. Every call asks the
	// database, so a revocation counts on every replica at once.
	// CodeUnauthorized when unknown, revoked, expired or when the owner
	// is gone.
	AuthenticateAPIToken(ctx context.Context, secret, address string) (*APIToken, error)
	// CountAPITokens counts tokens, revoked ones included (0 on first start).
	CountAPITokens(ctx context.Context) (int, error)
}
