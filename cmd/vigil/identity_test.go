package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/vigil-oss/vigil/internal/app"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// TestUserIdentities: vigil user identities and unlink against a real
// server, as an admin and as the person themself.
func TestUserIdentities(t *testing.T) {
	token := vigil.NewSecret(vigil.TokenPrefix)
	a := startServer(t, app.Config{DataDir: t.TempDir(), AdminToken: token, EngineInterval: -1})
	admin := cliSession{t, map[string]string{"VIGIL_URL": a.URL(), "VIGIL_TOKEN": token}}
	admin.run("user", "create", "--name", "Ana", "--email", "ana@example.com")

	ctx := vigil.WithActor(context.Background(), vigil.Actor{Kind: vigil.ActorSystem, Name: "seed", Source: vigil.SourceSystem})
	st := a.Store()
	var ana *vigil.User
	for _, sub := range []string{"okta|ana-1", "okta|ana-2"} {
		u, err := st.SignInIdentity(ctx, &vigil.IdentitySignIn{Issuer: "https://idp.example.com", Subject: sub, Email: "ana@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		ana = u
	}
	tok, err := st.CreateToken(ctx, vigil.TokenSpec{Name: "ana-cli", UserID: ana.ID, Scopes: vigil.Scopes})
	if err != nil {
		t.Fatal(err)
	}
	self := cliSession{t, map[string]string{"VIGIL_URL": a.URL(), "VIGIL_TOKEN": tok.Secret}}

	table := self.run("user", "identities", "ana@example.com")
	if !strings.HasPrefix(table, "ID") || !strings.Contains(table, "ISSUER") || !strings.Contains(table, "okta|ana-2") ||
		!strings.Contains(table, "https://idp.example.com") {
		t.Errorf("identities table:\n%s", table)
	}
	var list []vigil.Identity
	if err := json.Unmarshal([]byte(admin.run("-o", "json", "user", "identities", "Ana")), &list); err != nil || len(list) != 2 {
		t.Fatalf("identities JSON = %v, %v", list, err)
	}
	first, second := fmt.Sprint(list[0].ID), fmt.Sprint(list[1].ID)

	if out := self.run("user", "unlink", "Ana", second); !strings.Contains(out, "Unlinked identity "+second) {
		t.Errorf("unlink printed %q", out)
	}
	// Ana's last way in (no password): refused for her, fine for an admin.
	self.fails("last way to sign in", "user", "unlink", "Ana", first)
	self.fails("invalid identity ID", "user", "unlink", "Ana", "abc")
	self.fails("has no single sign-on identity 999999", "user", "unlink", "Ana", "999999")
	self.fails("one user and IDENTITY-ID", "user", "unlink", "Ana")
	if out := admin.run("-o", "json", "user", "unlink", "Ana", first); !strings.Contains(out, `"unlinked": true`) {
		t.Errorf("unlink JSON = %q", out)
	}
	r := vigilCLI(t, admin.environ, "", "user", "identities", "Ana")
	wantOK(t, r)
	if r.stdout != "" || !strings.Contains(r.stderr, "No single sign-on identities") {
		t.Errorf("identities after unlinking: stdout %q, stderr %q", r.stdout, r.stderr)
	}
	if entries, _, err := st.FindAuditEntries(context.Background(), vigil.AuditFilter{Action: "user.identity-unlink"}); err != nil || len(entries) != 2 {
		t.Errorf("unlink audit entries = %d, %v; want 2", len(entries), err)
	}
}
