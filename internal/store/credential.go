package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// Secrets are stored only as vigil.HashSecret(secret), under a unique index.

func checkName(field, name string) (string, error) {
	name = strings.TrimSpace(name)
	return name, vigil.ValidateText(field, name, vigil.MaxNameLen)
}

const keyCols = "id, service_id, name, prefix, created_at, revoked_at, rules, rules_revision"

func scanKey(row row) (*vigil.IntegrationKey, error) {
	var (
		k       vigil.IntegrationKey
		created int64
		revoked sql.NullInt64
		rules   sql.NullString
	)
	if err := row.Scan(&k.ID, &k.ServiceID, &k.Name, &k.Prefix, &created, &revoked, &rules, &k.RulesRevision); err != nil {
		return nil, err
	}
	k.CreatedAt, k.RevokedAt = fromMicros(created), nullMicros(revoked)
	if rules.Valid && rules.String != "" {
		if err := json.Unmarshal([]byte(rules.String), &k.Rules); err != nil {
			return nil, fmt.Errorf("integration key %d: stored rules: %w", k.ID, err)
		}
	}
	return &k, nil
}

// CreateIntegrationKey mints a key for a service and returns it with Secret
// set (the only time it is shown). An empty name becomes "default".
// CodeNotFound when the service does not exist.
func (db *DB) CreateIntegrationKey(ctx context.Context, serviceID int64, name string) (*vigil.IntegrationKey, error) {
	name, err := checkName("name", name)
	if err != nil {
		return nil, err
	}
	if name == "" {
		name = "default"
	}
	secret := vigil.NewSecret(vigil.IntegrationKeyPrefix)
	k := &vigil.IntegrationKey{ServiceID: serviceID, Name: name, Prefix: vigil.SecretDisplayPrefix(secret), Secret: secret}
	err = db.write(ctx, func(q querier, now time.Time) error {
		if err := q.queryRow(ctx, "SELECT id FROM services WHERE id = $1", serviceID).Scan(&serviceID); errors.Is(err, sql.ErrNoRows) {
			return notFound("service", serviceID)
		} else if err != nil {
			return err
		}
		k.CreatedAt = now
		if err := q.queryRow(ctx, `INSERT INTO integration_keys (service_id, name, prefix, secret_hash, created_at)
			VALUES ($1, $2, $3, $4, $5) RETURNING id`,
			serviceID, name, k.Prefix, vigil.HashSecret(secret), micros(now)).Scan(&k.ID); err != nil {
			return err
		}
		return db.audit(ctx, q, now, "integration_key.create", auditIntegrationKey, k.ID, nil, k)
	})
	if err != nil {
		return nil, err
	}
	return k, nil
}

// FindIntegrationKeys lists a service's keys, revoked ones included,
// without secrets. CodeNotFound when the service does not exist.
func (db *DB) FindIntegrationKeys(ctx context.Context, serviceID int64) ([]*vigil.IntegrationKey, error) {
	if _, err := db.FindServiceByID(ctx, serviceID); err != nil {
		return nil, err
	}
	keys := []*vigil.IntegrationKey{}
	err := db.read(ctx, func(q querier) error {
		var err error
		keys, err = queryAll(ctx, q, scanKey, "SELECT "+keyCols+" FROM integration_keys WHERE service_id = $1 ORDER BY id", serviceID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return keys, nil
}

// RevokeIntegrationKey revokes a key of a service; revoking twice keeps the
// first revocation time. CodeNotFound.
func (db *DB) RevokeIntegrationKey(ctx context.Context, serviceID, keyID int64) error {
	err := db.write(ctx, func(q querier, now time.Time) error {
		before, err := scanKey(q.queryRow(ctx, "SELECT "+keyCols+" FROM integration_keys WHERE id = $1 AND service_id = $2", keyID, serviceID))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("integration key", keyID)
		}
		if err != nil || before.RevokedAt != nil {
			return err // revoking again changes nothing
		}
		after, err := scanKey(q.queryRow(ctx, `UPDATE integration_keys SET revoked_at = $1
			WHERE id = $2 RETURNING `+keyCols, micros(now), keyID))
		if err != nil {
			return err
		}
		return db.audit(ctx, q, now, "integration_key.revoke", auditIntegrationKey, keyID, before, after)
	})
	if err == nil {
		db.keys.forget(func(k *vigil.IntegrationKey) bool { return k.ID == keyID })
	}
	return err
}

// FindIntegrationKeyByID returns a key, revoked or not, with its rules
// and without secret. CodeNotFound.
func (db *DB) FindIntegrationKeyByID(ctx context.Context, id int64) (*vigil.IntegrationKey, error) {
	var k *vigil.IntegrationKey
	err := db.read(ctx, func(q querier) error {
		var err error
		k, err = scanKey(q.queryRow(ctx, "SELECT "+keyCols+" FROM integration_keys WHERE id = $1", id))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("integration key", id)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return k, nil
}

// SetMappingRules replaces a key's mapping rules and bumps its revision.
// The shape is checked here; expressions and service names are the
// caller's to check (internal/mapping). CodeNotFound, CodeInvalid.
//
// This process forgets the key from its authentication cache at once, so
// its next event sees the new rules; other replicas within keyCacheTTL.
func (db *DB) SetMappingRules(ctx context.Context, keyID int64, rules []vigil.MappingRule) (*vigil.IntegrationKey, error) {
	if err := vigil.ValidateMappingRules(rules); err != nil {
		return nil, err
	}
	var doc sql.NullString
	if len(rules) > 0 {
		b, err := json.Marshal(rules)
		if err != nil {
			return nil, err
		}
		if len(b) > vigil.MaxMappingRuleDoc {
			return nil, vigil.FieldError("rules", "must be at most %d bytes as JSON", vigil.MaxMappingRuleDoc)
		}
		doc = sql.NullString{String: string(b), Valid: true}
	}
	var k *vigil.IntegrationKey
	err := db.write(ctx, func(q querier, now time.Time) error {
		before, err := scanKey(q.queryRow(ctx, "SELECT "+keyCols+" FROM integration_keys WHERE id = $1", keyID))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("integration key", keyID)
		}
		if err != nil {
			return err
		}
		k, err = scanKey(q.queryRow(ctx, `UPDATE integration_keys SET rules = $1, rules_revision = rules_revision + 1
			WHERE id = $2 RETURNING `+keyCols, doc, keyID))
		if err != nil {
			return err
		}
		return db.audit(ctx, q, now, "integration_key.rules_update", auditIntegrationKey, keyID, before, k)
	})
	if err != nil {
		return nil, err
	}
	db.keys.forget(func(c *vigil.IntegrationKey) bool { return c.ID == keyID })
	return k, nil
}

// keyCacheTTL bounds how long a revoked integration key may still be
// accepted by another replica (this one forgets it at once).
const keyCacheTTL = time.Second

// keyCache remembers authenticated integration keys by secret hash. It uses
// the wall clock, not the injected one: it is a performance cache, not
// domain time.
type keyCache struct {
	mu  sync.Mutex
	m   map[string]keyCacheEntry
	gen uint64 // bumped by every forget: a lookup that overlapped one is not cached
}

type keyCacheEntry struct {
	key     vigil.IntegrationKey
	expires time.Time
}

// get returns the cached key, or the generation to pass to put after a
// lookup.
func (c *keyCache) get(hash string, now time.Time) (*vigil.IntegrationKey, uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[hash]
	if !ok || now.After(e.expires) {
		return nil, c.gen, false
	}
	k := e.key
	return &k, c.gen, true
}

// put caches k unless a forget happened since the lookup began (gen): the
// lookup may have read the key just before it was revoked.
func (c *keyCache) put(hash string, k *vigil.IntegrationKey, now time.Time, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if c.m == nil || len(c.m) > 10000 {
		c.m = map[string]keyCacheEntry{}
	}
	c.m[hash] = keyCacheEntry{key: *k, expires: now.Add(keyCacheTTL)}
}

// forget drops the keys matching drop (a revoked key, a deleted service's).
func (c *keyCache) forget(drop func(*vigil.IntegrationKey) bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for h, e := range c.m {
		if drop(&e.key) {
			delete(c.m, h)
		}
	}
}

var errBadCredential = vigil.Errorf(vigil.CodeUnauthorized, "invalid or revoked credential")

// The credential checks run on every request: SQLite prepares them once per
// read connection (see readStatements) instead of parsing them each time.
const (
	sqlAuthKey   = "SELECT " + keyCols + " FROM integration_keys WHERE secret_hash = $1 AND revoked_at IS NULL"
	sqlAuthToken = "SELECT " + tokenCols + `, u.role, u.name FROM api_tokens t LEFT JOIN users u ON u.id = t.user_id
			WHERE t.secret_hash = $1 AND t.revoked_at IS NULL`
)

// readStatements are prepared on SQLite's read pool at open.
func readStatements() []string { return []string{sqlAuthKey, sqlAuthToken} }

// AuthenticateIntegrationKey returns the live key whose secret this is.
// CodeUnauthorized when unknown or revoked.
//
// Ingest calls it on every request, so a found key is remembered for
// keyCacheTTL. Revoking on this process forgets it at once; another replica
// sharing the database stops accepting it within keyCacheTTL.
func (db *DB) AuthenticateIntegrationKey(ctx context.Context, secret string) (*vigil.IntegrationKey, error) {
	if secret == "" {
		return nil, errBadCredential
	}
	hash := vigil.HashSecret(secret)
	now := time.Now()
	k, gen, ok := db.keys.get(hash, now)
	if ok {
		return k, nil
	}
	k, err := db.lookupIntegrationKey(ctx, hash)
	if err != nil {
		return nil, err
	}
	db.keys.put(hash, k, now, gen)
	c := *k
	return &c, nil
}

func (db *DB) lookupIntegrationKey(ctx context.Context, hash string) (*vigil.IntegrationKey, error) {
	var k *vigil.IntegrationKey
	err := db.read(ctx, func(q querier) error {
		var err error
		k, err = scanKey(q.queryRow(ctx, sqlAuthKey, hash))
		if errors.Is(err, sql.ErrNoRows) {
			return errBadCredential
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return k, nil
}

// CreateAPIToken stores an admin-scoped service token for secret. An
// empty role means admin. CodeInvalid (name, role, secret), CodeConflict
// when the secret is taken.
func (db *DB) CreateAPIToken(ctx context.Context, name, role, secret string) (*vigil.APIToken, error) {
	if role != "" && role != vigil.RoleAdmin {
		return nil, vigil.FieldError("role", "must be %q", vigil.RoleAdmin)
	}
	if len(secret) < 16 {
		return nil, vigil.FieldError("secret", "must be at least 16 characters")
	}
	return db.createToken(ctx, vigil.TokenSpec{Name: name, Scopes: []string{vigil.PermAdmin}}, secret)
}

// CreateToken mints a token; its secret is in the answer only.
// CodeInvalid (name, scopes, expires_at), CodeNotFound (the owner).
func (db *DB) CreateToken(ctx context.Context, spec vigil.TokenSpec) (*vigil.APIToken, error) {
	return db.createToken(ctx, spec, vigil.NewSecret(vigil.TokenPrefix))
}

func (db *DB) createToken(ctx context.Context, spec vigil.TokenSpec, secret string) (*vigil.APIToken, error) {
	name, err := checkName("name", spec.Name)
	if err != nil {
		return nil, err
	}
	if name == "" {
		return nil, vigil.FieldError("name", "is required")
	}
	scopes, err := vigil.NormalizeScopes(spec.Scopes)
	if err != nil {
		return nil, err
	}
	t := &vigil.APIToken{Name: name, Scopes: scopes, UserID: spec.UserID, Prefix: vigil.SecretDisplayPrefix(secret)}
	var owner sql.NullInt64
	if spec.UserID != 0 {
		owner = sql.NullInt64{Int64: spec.UserID, Valid: true}
	}
	var expires sql.NullInt64
	err = db.write(ctx, func(q querier, now time.Time) error {
		if spec.ExpiresAt != nil {
			if !spec.ExpiresAt.After(now) {
				return vigil.FieldError("expires_at", "must be in the future")
			}
			e := spec.ExpiresAt.UTC().Truncate(time.Microsecond)
			t.ExpiresAt, expires = &e, sql.NullInt64{Int64: micros(e), Valid: true}
		}
		if owner.Valid {
			var id int64
			if err := q.queryRow(ctx, "SELECT id FROM users WHERE id = $1", owner.Int64).Scan(&id); errors.Is(err, sql.ErrNoRows) {
				return notFound("user", owner.Int64)
			} else if err != nil {
				return err
			}
		}
		t.CreatedAt = now
		err := q.queryRow(ctx, `INSERT INTO api_tokens (name, prefix, role, secret_hash, created_at, scopes, user_id, expires_at)
			VALUES ($1, $2, '', $3, $4, $5, $6, $7) RETURNING id`,
			name, t.Prefix, vigil.HashSecret(secret), micros(now), strings.Join(scopes, " "), owner, expires).Scan(&t.ID)
		if uniqueViolation(err) {
			return vigil.Errorf(vigil.CodeConflict, "this token secret is already in use")
		}
		if err != nil {
			return err
		}
		return db.audit(ctx, q, now, "api_token.create", auditAPIToken, t.ID, nil, t)
	})
	if err != nil {
		return nil, err
	}
	t.Secret = secret
	return t, nil
}

const tokenCols = `t.id, t.name, t.prefix, t.scopes, t.user_id, t.created_at, t.expires_at,
	t.last_used_at, t.last_used_address, t.revoked_at`

func scanToken(r row, extra ...any) (*vigil.APIToken, error) {
	var (
		t                          vigil.APIToken
		scopes                     string
		owner                      sql.NullInt64
		created                    int64
		expires, lastUsed, revoked sql.NullInt64
	)
	dest := append([]any{&t.ID, &t.Name, &t.Prefix, &scopes, &owner, &created, &expires, &lastUsed, &t.LastUsedAddress, &revoked}, extra...)
	if err := r.Scan(dest...); err != nil {
		return nil, err
	}
	t.Scopes = strings.Fields(scopes)
	t.UserID = owner.Int64
	t.CreatedAt, t.ExpiresAt, t.LastUsedAt, t.RevokedAt = fromMicros(created), nullMicros(expires), nullMicros(lastUsed), nullMicros(revoked)
	return &t, nil
}

// ListTokens lists tokens newest first, all of them or one user's.
func (db *DB) ListTokens(ctx context.Context, userID int64) ([]*vigil.APIToken, error) {
	var out []*vigil.APIToken
	err := db.read(ctx, func(q querier) error {
		var err error
		scan := func(r row) (*vigil.APIToken, error) { return scanToken(r) }
		if userID != 0 {
			out, err = queryAll(ctx, q, scan, "SELECT "+tokenCols+" FROM api_tokens t WHERE t.user_id = $1 ORDER BY t.id DESC", userID)
		} else {
			out, err = queryAll(ctx, q, scan, "SELECT "+tokenCols+" FROM api_tokens t ORDER BY t.id DESC")
		}
		return err
	})
	if out == nil {
		out = []*vigil.APIToken{}
	}
	return out, err
}

// FindToken returns one token. CodeNotFound.
func (db *DB) FindToken(ctx context.Context, id int64) (*vigil.APIToken, error) {
	var t *vigil.APIToken
	err := db.read(ctx, func(q querier) error {
		var err error
		t, err = scanToken(q.queryRow(ctx, "SELECT "+tokenCols+" FROM api_tokens t WHERE t.id = $1", id))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("API token", id)
		}
		return err
	})
	return t, err
}

// RevokeToken revokes a token; the next request with it fails on every
// replica, since AuthenticateAPIToken reads the database each time.
// Revoking twice keeps the first time. CodeNotFound.
func (db *DB) RevokeToken(ctx context.Context, id int64) error {
	return db.write(ctx, func(q querier, now time.Time) error {
		before, err := scanToken(q.queryRow(ctx, "SELECT "+tokenCols+" FROM api_tokens t WHERE t.id = $1", id))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("API token", id)
		}
		if err != nil || before.RevokedAt != nil {
			return err
		}
		if _, err := q.exec(ctx, "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2", micros(now), id); err != nil {
			return err
		}
		after := *before
		after.RevokedAt = &now
		return db.audit(ctx, q, now, "api_token.revoke", auditAPIToken, id, before, &after)
	})
}

// lastUsedResolution: AuthenticateAPIToken records use at most this often per
// token (or sooner when the address changes), so authenticating does not
// cost a write on every request.
const lastUsedResolution = time.Minute

// AuthenticateAPIToken returns the live token whose secret this is, with
// its owner's current role. CodeUnauthorized when unknown, revoked,
// expired, or when its owner was deleted. There is no cache: revocation
// and demotion count at once on every replica.
func (db *DB) AuthenticateAPIToken(ctx context.Context, secret, address string) (*vigil.APIToken, error) {
	if secret == "" {
		return nil, errBadCredential
	}
	var (
		t          *vigil.APIToken
		role, user sql.NullString
	)
	err := db.read(ctx, func(q querier) error {
		var err error
		t, err = scanToken(q.queryRow(ctx, sqlAuthToken, vigil.HashSecret(secret)), &role, &user)
		if errors.Is(err, sql.ErrNoRows) {
			return errBadCredential
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	now := db.now()
	if t.ExpiresAt != nil && !now.Before(*t.ExpiresAt) {
		return nil, errBadCredential
	}
	if t.UserID != 0 {
		if !role.Valid {
			return nil, errBadCredential // the owner was deleted
		}
		t.UserRole, t.UserName = role.String, user.String
	}
	if len(address) > 100 {
		address = address[:100]
	}
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) >= lastUsedResolution || t.LastUsedAddress != address {
		err := db.write(ctx, func(q querier, _ time.Time) error {
			_, err := q.exec(ctx, `UPDATE api_tokens SET last_used_at = $1, last_used_address = $2
				WHERE id = $3 AND (last_used_at IS NULL OR last_used_at <= $4 OR last_used_address <> $2)`,
				micros(now), address, t.ID, micros(now.Add(-lastUsedResolution)))
			return err
		})
		if err != nil {
			// Recording use is bookkeeping; the credential is still good.
			db.log.WarnContext(ctx, "record API token use", "token_id", t.ID, "err", err)
		} else {
			t.LastUsedAt, t.LastUsedAddress = &now, address
		}
	}
	return t, nil
}

// CountAPITokens counts tokens, revoked ones included.
func (db *DB) CountAPITokens(ctx context.Context) (int, error) {
	var n int
	err := db.read(ctx, func(q querier) error { return q.queryRow(ctx, "SELECT count(*) FROM api_tokens").Scan(&n) })
	return n, err
}
