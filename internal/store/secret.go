package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/vigil-oss/vigil/internal/seal"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// Secrets at rest. The columns below hold credentials; with a key ring
// configured (Config.Secrets) the store seals them (internal/seal) on the
// way in and opens them on the way out, so nothing above the store sees
// the difference. Rows written before sealing are plaintext, still read
// as they are, and sealed at the next Open (sealColumns).
//
//   - signing_keys.secret           the action-link and feed signing keys
//   - users.totp_secret             second-factor secrets
//   - contact_methods.address       of Teams and webhook methods (URLs with keys)
//   - notifications.dest_address    the same, copied into the outbox
//   - stakeholder_groups.channels   the whole JSON list (it holds such URLs)
//
// Phone numbers, e-mail addresses and Slack IDs stay plaintext: inbound
// replies look people up by them, and they are not credentials.

// secretDest says whether an address of this contact type is a credential.
func secretDest(typ string) bool {
	return typ == vigil.ContactTeams || typ == vigil.ContactWebhook
}

// seal encrypts s under the current key (unchanged without a key ring).
func (db *DB) seal(s string) string {
	if db.secrets == nil {
		return s
	}
	return db.secrets.Seal(s)
}

// sealDest seals addr when typ makes it a credential.
func (db *DB) sealDest(typ, addr string) string {
	if secretDest(typ) {
		return db.seal(addr)
	}
	return addr
}

// unseal opens a value read from a secret column; what names it in the
// error, which never includes the value.
func (db *DB) unseal(what, s string) (string, error) {
	if !seal.IsSealed(s) {
		return s, nil
	}
	if db.secrets == nil {
		return "", fmt.Errorf("store: %s is encrypted (key id %s) but no secret key is configured (--secret-key-file or VIGIL_SECRET_KEY)", what, seal.KeyOf(s))
	}
	v, err := db.secrets.Open(s)
	if err != nil {
		return "", fmt.Errorf("store: %s: %w; configure the key it was sealed with (--secret-key-file or VIGIL_SECRET_KEY)", what, err)
	}
	return v, nil
}

// secretColumn is one place a secret lives: the table, its key column and
// the secret column, and (for addresses) the column holding the type that
// makes it secret.
type secretColumn struct {
	table, id, col, typeCol string
}

var secretColumns = []secretColumn{
	{"signing_keys", "name", "secret", ""},
	{"users", "id", "totp_secret", ""},
	{"contact_methods", "id", "address", "type"},
	{"notifications", "id", "dest_address", "dest_type"},
	{"stakeholder_groups", "id", "channels", ""},
}

// SecretReport counts, per table and column, the values a reseal looked at.
type SecretReport struct {
	Column string // table.column
	Total  int    // secret values present
	Sealed int    // values (re)written under the current key
}

// where is the filter of a column's secret values: non-empty, and of a
// secret type where the column holds addresses of every type.
func (c secretColumn) where() string {
	w := " WHERE " + c.col + " <> ''"
	if c.typeCol != "" {
		w += " AND " + c.typeCol + " IN ('" + vigil.ContactTeams + "', '" + vigil.ContactWebhook + "')"
	}
	return w
}

// ResealSecrets seals every secret that is plaintext or, with all true,
// under a key other than the current one ("vigil admin secrets rotate").
// Only those rows are read and written, so a start with nothing to do
// costs one indexed-or-not scan per column, not a decryption per row. A
// value under a key that is not configured stops it with an error naming
// the column and key id (seal.ErrKeyUnknown). Each column is one
// transaction.
func (db *DB) ResealSecrets(ctx context.Context, all bool) ([]SecretReport, error) {
	if db.secrets == nil {
		return nil, vigil.Errorf(vigil.CodeInvalid, "no secret key is configured")
	}
	skip := "vgs1:%" // sealed under any key
	if all {
		skip = "vgs1:" + db.secrets.Current() + ":%"
	}
	var out []SecretReport
	for _, c := range secretColumns {
		r := SecretReport{Column: c.table + "." + c.col}
		err := db.write(ctx, func(q querier, now time.Time) error {
			r.Sealed = 0
			if err := q.queryRow(ctx, "SELECT count(*) FROM "+c.table+c.where()).Scan(&r.Total); err != nil {
				return err
			}
			type item struct {
				id  any
				val string
			}
			items, err := queryAll(ctx, q, func(r row) (item, error) {
				var it item
				return it, r.Scan(&it.id, &it.val)
			}, "SELECT "+c.id+", "+c.col+" FROM "+c.table+c.where()+" AND "+c.col+" NOT LIKE $1", skip)
			if err != nil {
				return err
			}
			for _, it := range items {
				plain, err := db.unseal(r.Column, it.val)
				if err != nil {
					return err
				}
				if _, err := q.exec(ctx, "UPDATE "+c.table+" SET "+c.col+" = $1 WHERE "+c.id+" = $2",
					db.secrets.Seal(plain), it.id); err != nil {
					return err
				}
				r.Sealed++
			}
			// Which key last sealed the column whole (0024_secrets_at_rest).
			_, err = q.exec(ctx, `INSERT INTO secret_seals (column_name, key_id, sealed_at) VALUES ($1, $2, $3)
				ON CONFLICT (column_name) DO UPDATE SET key_id = excluded.key_id, sealed_at = excluded.sealed_at`,
				r.Column, db.secrets.Current(), micros(now))
			return err
		})
		if err != nil {
			return out, err
		}
		out = append(out, r)
	}
	return out, nil
}

// keyIDsInUse lists the key ids the sealed values of c name.
func (db *DB) keyIDsInUse(ctx context.Context, c secretColumn) ([]string, error) {
	var ids []string
	err := db.read(ctx, func(q querier) error {
		var err error
		ids, err = queryAll(ctx, q, func(r row) (string, error) {
			var id string
			return id, r.Scan(&id)
		}, "SELECT DISTINCT substr("+c.col+", 6, 16) FROM "+c.table+" WHERE "+c.col+" LIKE 'vgs1:%'")
		return err
	})
	return ids, err
}

// sealOnOpen runs at Open. With a key ring it checks that every key id the
// stored values name is configured (a clear refusal naming the id, not
// garbage later) and seals what is still plaintext: the rows of a release
// before 0024_secrets_at_rest, or written by a process without a key.
// Without a ring it refuses a database that holds sealed values, rather
// than failing later on the first page to a webhook.
func (db *DB) sealOnOpen(ctx context.Context) error {
	for _, c := range secretColumns {
		ids, err := db.keyIDsInUse(ctx, c)
		if err != nil {
			return err
		}
		if len(ids) == 0 {
			continue
		}
		if db.secrets == nil {
			return errors.New("store: the database holds encrypted secrets (" + c.table + "." + c.col +
				") but no secret key is configured: pass --secret-key-file or set VIGIL_SECRET_KEY")
		}
		for _, id := range ids {
			if !slices.Contains(db.secrets.IDs(), id) {
				return fmt.Errorf("store: %s.%s holds secrets under key id %s: %w; configure that key (--secret-key-file or VIGIL_SECRET_KEY)",
					c.table, c.col, id, seal.ErrKeyUnknown)
			}
		}
	}
	if db.secrets == nil {
		return nil
	}
	reports, err := db.ResealSecrets(ctx, false)
	if err != nil {
		return err
	}
	for _, r := range reports {
		if r.Sealed > 0 {
			db.log.InfoContext(ctx, "encrypted secrets stored in plaintext", "column", r.Column, "count", r.Sealed, "key_id", db.secrets.Current())
		}
	}
	return nil
}
