package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// SigningKey returns the key for purpose, inserting a random one the first
// time. Replicas racing to create it all end up reading the one row that
// won (ON CONFLICT DO NOTHING, then SELECT).
func (db *DB) SigningKey(ctx context.Context, purpose string) ([]byte, error) {
	if key, err := db.readSigningKey(ctx, purpose); err == nil || !errors.Is(err, sql.ErrNoRows) {
		return key, err
	}
	fresh := newSigningKey()
	err := db.write(ctx, func(q querier, now time.Time) error {
		_, err := q.exec(ctx, `INSERT INTO signing_keys (name, secret, created_at) VALUES ($1, $2, $3)
			ON CONFLICT (name) DO NOTHING`, purpose, db.seal(fresh), micros(now))
		return err
	})
	if err != nil {
		return nil, err
	}
	return db.readSigningKey(ctx, purpose)
}

// RotateSigningKey replaces (or creates) the key for purpose.
func (db *DB) RotateSigningKey(ctx context.Context, purpose string) error {
	fresh := newSigningKey()
	return db.write(ctx, func(q querier, now time.Time) error {
		var before any
		var created int64
		err := q.queryRow(ctx, "SELECT created_at FROM signing_keys WHERE name = $1", purpose).Scan(&created)
		if err == nil {
			before = signingKeyState{Purpose: purpose, CreatedAt: fromMicros(created)}
		} else if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if _, err := q.exec(ctx, `INSERT INTO signing_keys (name, secret, created_at) VALUES ($1, $2, $3)
			ON CONFLICT (name) DO UPDATE SET secret = excluded.secret, created_at = excluded.created_at`,
			purpose, db.seal(fresh), micros(now)); err != nil {
			return err
		}
		// The key itself never reaches the log: only which one and when.
		return db.audit(ctx, q, now, "signing_key.rotate", auditSigningKey, 0, before, signingKeyState{Purpose: purpose, CreatedAt: now})
	})
}

type signingKeyState struct {
	Purpose   string    `json:"purpose"`
	CreatedAt time.Time `json:"created_at"`
}

func (db *DB) readSigningKey(ctx context.Context, purpose string) ([]byte, error) {
	var text string
	err := db.read(ctx, func(q querier) error {
		return q.queryRow(ctx, "SELECT secret FROM signing_keys WHERE name = $1", purpose).Scan(&text)
	})
	if err != nil {
		return nil, err
	}
	if text, err = db.unseal("signing key "+purpose, text); err != nil {
		return nil, err
	}
	key, err := base64.StdEncoding.DecodeString(text)
	if err != nil || len(key) != vigil.SigningKeyLen {
		return nil, fmt.Errorf("signing key %q is damaged in the database", purpose)
	}
	return key, nil
}

func newSigningKey() string {
	b := make([]byte, vigil.SigningKeyLen)
	rand.Read(b) // never fails (crypto/rand since Go 1.24)
	return base64.StdEncoding.EncodeToString(b)
}
