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

// Token roles. The security issue adds finer roles and scopes.
const (
	RoleAdmin = "admin"
)

// APIToken is a bearer credential for the management API.
type APIToken struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	Role       string     `json:"role"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
}

// TokenService manages API tokens. Secrets are stored hashed.
type TokenService interface {
	// CreateAPIToken stores a token for secret (mint one with NewSecret).
	CreateAPIToken(ctx context.Context, name, role, secret string) (*APIToken, error)
	// AuthenticateAPIToken returns the live token whose secret this is.
	// CodeUnauthorized when unknown or revoked.
	AuthenticateAPIToken(ctx context.Context, secret string) (*APIToken, error)
	// CountAPITokens counts tokens, revoked ones included (0 on first start).
	CountAPITokens(ctx context.Context) (int, error)
}
