package main

import (
	"regexp"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/app"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// TestTokensAndTeamManagersAgainstRealServer: `vigil token` creates,
// lists and revokes tokens with scopes, and `vigil team` sets managers.
func TestTokensAndTeamManagersAgainstRealServer(t *testing.T) {
	clock := vigil.NewManualClock(time.Now())
	token := vigil.NewSecret(vigil.TokenPrefix)
	a := startServer(t, app.Config{DataDir: t.TempDir(), AdminToken: token, Clock: clock, EngineInterval: -1})
	environ := map[string]string{"VIGIL_URL": a.URL(), "VIGIL_TOKEN": token}
	c := cliSession{t, environ}
	cli, fails, must := c.run, c.fails, c.must

	cli("user", "create", "--name", "Ana", "--email", "ana@example.com")
	cli("user", "create", "--name", "Bob", "--email", "bob@example.com")
	must(cli("team", "create", "--name", "Payments", "--member", "Bob", "--manager", "Ana"),
		`^Created team 1: Payments with 2 members\. 1 manager\.`)
	must(cli("team", "list"), `(?m)^1\s+Payments\s+Ana, Bob\s+Ana\s+-\s*$`)
	must(cli("team", "update", "1", "--manager", "bob@example.com", "--responder", "Ana"),
		`^Updated team 1: Payments with 2 members\. 1 manager\. 1 responder\.`)
	must(cli("team", "update", "1", "--description", "money"), `1 manager\. 1 responder\.`) // team roles stay
	must(cli("team", "list"), `(?m)^1\s+Payments\s+Ana, Bob\s+Bob\s+Ana\s*$`)
	must(cli("team", "update", "1", "--responder", ""), `with 2 members\. 1 manager\.\n`)

	out := cli("token", "create", "--name", "ana-laptop", "--user", "Ana", "--scope", "read", "--scope", "respond", "--expires", "30d")
	must(out, `^Created token 2 \(ana-laptop, scopes read, respond\)\. Its secret is shown only now:`)
	secret := regexp.MustCompile(`vgt_\w+`).FindString(out)
	if secret == "" {
		t.Fatalf("no secret in %q", out)
	}
	must(cli("token", "create", "--name", "prom", "--service", "--scope", "ingest"), `^Created token 3 \(prom, scopes ingest\)`)
	fails("field: scopes", "token", "create", "--name", "x", "--scope", "root", "--service")
	fails("--expires", "token", "create", "--name", "x", "--scope", "read", "--expires", "soon")

	// Ana's token reads but cannot manage tokens of others.
	ana := cliSession{t, map[string]string{"VIGIL_URL": a.URL(), "VIGIL_TOKEN": secret}}
	ana.must(ana.run("token", "list"), `(?m)^2\s+ana-laptop\s+user 1\s+read,respond\s+vgt_\w+\s+\d{4}-\d\d-\d\d \d\d:\d\d\s+\S+ ago\s+\S+\s+active\s*$`)
	ana.fails("only your own tokens", "token", "revoke", "3")
	ana.fails("admin", "token", "create", "--name", "x", "--scope", "admin")

	must(cli("token", "list"), `(?m)^3\s+prom\s+service\s+ingest\s`)
	must(cli("token", "revoke", "2"), `^Revoked token 2\.`)
	ana.fails("invalid or revoked", "token", "list")
	must(cli("token", "list", "--user", "Ana"), `(?m)^2\s+ana-laptop\s.*revoked\s*$`)
}
