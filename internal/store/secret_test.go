package store

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/vigil-oss/vigil/internal/seal"
	"github.com/vigil-oss/vigil/internal/storetest"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// testKeys seals the secrets of every store the tests open, so the whole
// conformance suite runs with encryption on. A fixed key lets a test
// reopen a database.
var testKeys = mustKeys("dGVzdC1rZXktb2YtdmlnaWwtc3RvcmUtdGVzdHMtMzI=")

func mustKeys(text ...string) *seal.Keys {
	k, err := seal.Parse(strings.Join(text, "\n"))
	if err != nil {
		panic(err)
	}
	return k
}

// Plaintext secrets of the fixture; none may appear in a raw column.
const (
	hookURL   = "https://hooks.example.com/services/T0/B0/hook-key-4f1d"
	teamsURL  = "https://example.webhook.office.com/workflows/teams-key-9a2c"
	groupURL  = "https://status.example.com/hook/group-key-77e1"
	totpPlain = "JBSWY3DPEHPK3PXPTOTPKEY"
)

type secretFixture struct {
	userID, hookID, teamsID, groupID, noteID int64
}

// secretDBs runs f against a fresh database of each dialect; open opens
// (again) that database with the given ring.
func secretDBs(t *testing.T, f func(t *testing.T, open func(*seal.Keys) (*DB, error))) {
	t.Run("sqlite", func(t *testing.T) {
		dir := t.TempDir()
		f(t, func(k *seal.Keys) (*DB, error) { return openClosed(t, Config{DataDir: dir, Secrets: k}) })
	})
	t.Run("postgres", func(t *testing.T) {
		url := storetest.NewPostgresURL(t)
		f(t, func(k *seal.Keys) (*DB, error) { return openClosed(t, Config{URL: url, Secrets: k}) })
	})
}

func openClosed(t *testing.T, cfg Config) (*DB, error) {
	db, err := Open(context.Background(), cfg)
	if err == nil {
		t.Cleanup(func() { db.Close() })
	}
	return db, err
}

func writeSecrets(t *testing.T, db *DB) secretFixture {
	t.Helper()
	ctx := context.Background()
	var f secretFixture
	u := &vigil.User{Name: "Ada", Email: "ada@example.com", TimeZone: "UTC"}
	must(t, db.CreateUser(ctx, u))
	f.userID = u.ID
	must(t, db.SetTOTP(ctx, u.ID, totpPlain, 1))
	hook := &vigil.ContactMethod{UserID: u.ID, Name: "hook", Type: vigil.ContactWebhook, Address: hookURL}
	must(t, db.CreateContactMethod(ctx, hook))
	teams := &vigil.ContactMethod{UserID: u.ID, Name: "teams", Type: vigil.ContactTeams, Address: teamsURL}
	must(t, db.CreateContactMethod(ctx, teams))
	f.hookID, f.teamsID = hook.ID, teams.ID
	g := &vigil.StakeholderGroup{Name: "Support", Channels: []vigil.StakeholderChannel{{Type: vigil.ContactWebhook, Address: groupURL}}}
	must(t, db.CreateStakeholderGroup(ctx, g))
	f.groupID = g.ID
	n := &vigil.Notification{Kind: vigil.MessageTest, UserID: u.ID, ContactMethodID: hook.ID, DestType: vigil.ContactWebhook, DestAddress: hookURL, Title: "test"}
	must(t, db.CreateNotifications(ctx, n))
	f.noteID = n.ID
	_, err := db.SigningKey(ctx, "actions")
	must(t, err)
	return f
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// raw returns the stored text of every secret column, as SQL sees it.
func raw(t *testing.T, db *DB) []string {
	t.Helper()
	var out []string
	for _, c := range secretColumns {
		vals, err := queryAllRead(db, "SELECT "+c.col+" FROM "+c.table)
		must(t, err)
		out = append(out, vals...)
	}
	return out
}

func queryAllRead(db *DB, query string) ([]string, error) {
	var vals []string
	err := db.read(context.Background(), func(q querier) error {
		var err error
		vals, err = queryAll(context.Background(), q, func(r row) (string, error) {
			var s string
			return s, r.Scan(&s)
		}, query)
		return err
	})
	return vals, err
}

// readBack checks that every secret reads back as written.
func readBack(t *testing.T, db *DB, f secretFixture) {
	t.Helper()
	ctx := context.Background()
	l, err := db.FindUserLoginByID(ctx, f.userID)
	must(t, err)
	if l.TOTPSecret != totpPlain {
		t.Errorf("TOTP secret reads %q", l.TOTPSecret)
	}
	for id, want := range map[int64]string{f.hookID: hookURL, f.teamsID: teamsURL} {
		m, err := db.FindContactMethod(ctx, id)
		must(t, err)
		if m.Address != want {
			t.Errorf("contact %d reads %q", id, m.Address)
		}
	}
	g, err := db.FindStakeholderGroup(ctx, f.groupID)
	must(t, err)
	if len(g.Channels) != 1 || g.Channels[0].Address != groupURL {
		t.Errorf("group channels read %+v", g.Channels)
	}
	n, err := db.FindNotification(ctx, f.noteID)
	must(t, err)
	if n.DestAddress != hookURL {
		t.Errorf("notification destination reads %q", n.DestAddress)
	}
	key, err := db.SigningKey(ctx, "actions")
	if err != nil || len(key) != vigil.SigningKeyLen {
		t.Errorf("signing key: %d bytes, %v", len(key), err)
	}
}

func TestSecretsSealedAtRest(t *testing.T) {
	secretDBs(t, func(t *testing.T, open func(*seal.Keys) (*DB, error)) {
		db, err := open(testKeys)
		must(t, err)
		f := writeSecrets(t, db)
		readBack(t, db, f)
		sealed := 0
		for _, v := range raw(t, db) {
			for _, p := range []string{"hook-key", "teams-key", "group-key", totpPlain, "hooks.example.com"} {
				if strings.Contains(v, p) {
					t.Errorf("raw column holds %q in plaintext: %q", p, v)
				}
			}
			if seal.IsSealed(v) {
				sealed++
				if seal.KeyOf(v) != testKeys.Current() {
					t.Errorf("sealed under %s, want %s", seal.KeyOf(v), testKeys.Current())
				}
			}
		}
		// TOTP, two contact methods, the group, the notification, the key.
		if sealed != 6 {
			t.Errorf("%d sealed values, want 6", sealed)
		}
	})
}

func TestSecretsRotation(t *testing.T) {
	secretDBs(t, func(t *testing.T, open func(*seal.Keys) (*DB, error)) {
		oldText, newText := seal.NewKeyText(), seal.NewKeyText()
		oldKeys, newKeys := mustKeys(oldText), mustKeys(newText)
		db, err := open(oldKeys)
		must(t, err)
		f := writeSecrets(t, db)
		db.Close()

		// The new key alone cannot read what the old one sealed: Open
		// says so, naming the key id, instead of returning garbage.
		_, err = open(newKeys)
		if err == nil || !errors.Is(err, seal.ErrKeyUnknown) || !strings.Contains(err.Error(), oldKeys.Current()) {
			t.Fatalf("open with only the new key: %v", err)
		}
		for _, secret := range []string{hookURL, teamsURL, totpPlain, groupURL} {
			if strings.Contains(err.Error(), secret) {
				t.Fatalf("the error shows a secret: %v", err)
			}
		}

		// New key first, old kept: old rows keep working before rotation.
		both := mustKeys(newText, oldText)
		db, err = open(both)
		must(t, err)
		readBack(t, db, f)
		reports, err := db.ResealSecrets(context.Background(), true)
		must(t, err)
		total := 0
		for _, r := range reports {
			total += r.Sealed
		}
		if total != 6 {
			t.Errorf("rotation re-sealed %d values, want 6: %+v", total, reports)
		}
		for _, v := range raw(t, db) {
			if v != "" && seal.IsSealed(v) && seal.KeyOf(v) != newKeys.Current() {
				t.Errorf("after rotation a value is under %s", seal.KeyOf(v))
			}
		}
		seals, err := queryAllRead(db, "SELECT key_id FROM secret_seals")
		must(t, err)
		if len(seals) != len(secretColumns) {
			t.Errorf("secret_seals has %d rows, want %d", len(seals), len(secretColumns))
		}
		db.Close()

		// The old key can go now.
		db, err = open(newKeys)
		must(t, err)
		readBack(t, db, f)
	})
}

// A database from before 0024 holds plaintext: the next Open with a key
// seals it, and without a key a sealed database is refused.
func TestSecretsPlaintextConverted(t *testing.T) {
	secretDBs(t, func(t *testing.T, open func(*seal.Keys) (*DB, error)) {
		db, err := open(nil)
		must(t, err)
		f := writeSecrets(t, db)
		plain := 0
		for _, v := range raw(t, db) {
			if strings.Contains(v, "hook-key") || v == totpPlain {
				plain++
			}
		}
		if plain == 0 {
			t.Fatal("without a key the fixture should be plaintext")
		}
		db.Close()

		db, err = open(testKeys)
		must(t, err)
		for _, v := range raw(t, db) {
			if strings.Contains(v, "hook-key") || strings.Contains(v, totpPlain) {
				t.Errorf("still plaintext after Open with a key: %q", v)
			}
		}
		readBack(t, db, f)
		db.Close()

		_, err = open(nil)
		if err == nil || !strings.Contains(err.Error(), "no secret key is configured") {
			t.Fatalf("open of a sealed database without a key: %v", err)
		}
	})
}
