package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/seal"
	"github.com/vigil-oss/vigil/internal/store"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// The zero-setup key file, then a rotation through the CLI.
func TestAdminSecretsRotate(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"VIGIL_DATA_DIR": dir}
	r := vigilCLI(t, env, "", "admin", "user", "create", "--email", "root@example.com", "--name", "Root", "--admin")
	wantOK(t, r)
	keyFile := filepath.Join(dir, secretKeyFileName)
	fi, err := os.Stat(keyFile)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, %v", fi, err)
	}
	if !strings.Contains(r.stderr, keyFile) {
		t.Errorf("making the key file is not said: %q", r.stderr)
	}
	oldText, _ := os.ReadFile(keyFile)
	oldKeys, err := seal.Parse(string(oldText))
	if err != nil {
		t.Fatal(err)
	}

	const hook = "https://hooks.example.com/rotate-secret-3b7"
	db, err := store.Open(context.Background(), store.Config{DataDir: dir, Secrets: oldKeys})
	if err != nil {
		t.Fatal(err)
	}
	l, err := db.FindUserLogin(context.Background(), "root@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if err := db.CreateContactMethod(context.Background(), &vigil.ContactMethod{UserID: l.User.ID, Name: "hook", Type: vigil.ContactWebhook, Address: hook}); err != nil {
		t.Fatal(err)
	}
	db.Close()

	newKey := seal.NewKeyText()
	if err := os.WriteFile(keyFile, []byte(newKey+"\n"+string(oldText)), 0o600); err != nil {
		t.Fatal(err)
	}
	r = vigilCLI(t, env, "", "admin", "secrets", "rotate")
	wantOK(t, r)
	newKeys, _ := seal.Parse(newKey)
	if !strings.Contains(r.stdout, "contact_methods.address") || !strings.Contains(r.stdout, newKeys.Current()) || strings.Contains(r.stdout, hook) {
		t.Errorf("rotate printed %q", r.stdout)
	}

	// Only the new key now: everything opens.
	db, err = store.Open(context.Background(), store.Config{DataDir: dir, Secrets: newKeys})
	if err != nil {
		t.Fatalf("open with only the new key after rotation: %v", err)
	}
	ms, err := db.ListContactMethods(context.Background(), l.User.ID)
	db.Close()
	if err != nil || len(ms) != 1 || ms[0].Address != hook {
		t.Fatalf("contact methods %+v, %v", ms, err)
	}

	// The old key alone cannot open the rotated database: a clear refusal.
	if err := os.WriteFile(keyFile, oldText, 0o600); err != nil {
		t.Fatal(err)
	}
	r = vigilCLI(t, env, "", "admin", "secrets", "rotate")
	if r.code == 0 || !strings.Contains(r.stderr, newKeys.Current()) || !strings.Contains(r.stderr, "not configured") {
		t.Errorf("rotate with the wrong key: exit %d, %q", r.code, r.stderr)
	}
}

func TestServeNeedsKeyForPostgres(t *testing.T) {
	r := vigilCLI(t, map[string]string{}, "", "serve", "--database-url", "postgres://127.0.0.1:1/vigil")
	if r.code == 0 || !strings.Contains(r.stderr, "--secret-key-file") {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
	r = vigilCLI(t, map[string]string{"VIGIL_SECRET_KEY": "short"}, "", "serve", "--data-dir", t.TempDir())
	if r.code == 0 || !strings.Contains(r.stderr, "VIGIL_SECRET_KEY") || strings.Contains(r.stderr, "short") {
		t.Errorf("bad key: exit %d, stderr %q", r.code, r.stderr)
	}
}

// vigil serve on SQLite with no key configured makes one next to the
// database (0600), says so in its log, and finds it again on restart.
func TestServeMakesKeyFile(t *testing.T) {
	dir := t.TempDir()
	serveOnce := func() string {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		out := &lockedBuffer{}
		exit := make(chan int, 1)
		env := getenvFrom(map[string]string{"VIGIL_DATA_DIR": dir, "VIGIL_ADDR": "127.0.0.1:0"})
		go func() { exit <- run(ctx, []string{"serve"}, env, nil, out, out) }()
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline) && !strings.Contains(out.String(), "Web UI:"); time.Sleep(10 * time.Millisecond) {
		}
		cancel()
		if code := <-exit; code != 0 {
			t.Fatalf("serve exited %d:\n%s", code, out.String())
		}
		return out.String()
	}
	first := serveOnce()
	path := filepath.Join(dir, secretKeyFileName)
	if !strings.Contains(first, "made a new key for secrets at rest") || !strings.Contains(first, path) {
		t.Errorf("making the key is not logged:\n%s", first)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file %v, %v", fi, err)
	}
	if again := serveOnce(); strings.Contains(again, "made a new key") {
		t.Errorf("a second key was made:\n%s", again)
	}
}
