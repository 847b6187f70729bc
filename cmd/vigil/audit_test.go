package main

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/app"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// TestAuditAgainstRealServer: changes made with the CLI show in `vigil
// audit` with the token, source cli and what changed; filters reach the
// server; bad input is refused naming the flag or parameter.
func TestAuditAgainstRealServer(t *testing.T) {
	token := vigil.NewSecret(vigil.TokenPrefix)
	a := startServer(t, app.Config{DataDir: t.TempDir(), AdminToken: token})
	environ := map[string]string{"VIGIL_URL": a.URL(), "VIGIL_TOKEN": token}
	cli := func(args ...string) result {
		t.Helper()
		r := vigilCLI(t, environ, "", args...)
		wantOK(t, r)
		return r
	}
	cli("service", "create", "--name", "checkout", "--description", "Public checkout")
	keyOut := cli("integration-key", "create", "--service", "checkout", "--name", "prometheus").stdout
	key := regexp.MustCompile(`vgi_[a-z0-9]+`).FindString(keyOut)
	cli("alert", "send", "--key", key, "--summary", "p99 above 2s", "--severity", "critical")
	cli("incident", "ack", "1")
	cli("incident", "resolve", "1")

	out := cli("audit").stdout
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if !regexp.MustCompile(`^AT\s+ACTOR\s+SOURCE\s+ACTION\s+OBJECT\s+CHANGES$`).MatchString(lines[0]) {
		t.Fatalf("table:\n%s", out)
	}
	for i, want := range []string{
		`^\S+Z\s+admin\s+cli\s+incident\.resolve\s+incident:1\s+status: "acknowledged" → "resolved"$`,
		`^\S+Z\s+admin\s+cli\s+incident\.acknowledge\s+incident:1\s+status: "triggered" → "acknowledged"$`,
		`^\S+Z\s+admin\s+cli\s+integration_key\.create\s+integration_key:1\s+created$`,
		`^\S+Z\s+admin\s+cli\s+service\.create\s+service:1\s+created$`,
	} {
		if i+1 >= len(lines) || !regexp.MustCompile(want).MatchString(lines[i+1]) {
			t.Errorf("line %d does not match %s:\n%s", i+1, want, out)
		}
	}
	if strings.Contains(out, key) || strings.Contains(out, token) {
		t.Error("a secret is in the audit output")
	}

	var entries []*vigil.AuditEntry
	if err := json.Unmarshal([]byte(cli("audit", "--action", "incident", "--object", "incident:1", "--actor", "admin",
		"--since", "1h", "--limit", "1", "-o", "json").stdout), &entries); err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Action != "incident.resolve" || entries[0].Actor.Source != vigil.SourceCLI ||
		time.Since(entries[0].At) > time.Minute {
		t.Errorf("json entries %+v", entries)
	}
	r := cli("audit", "--search", "Public checkout", "--limit", "1")
	if !strings.Contains(r.stdout, "service.create") || r.stderr != "" {
		t.Errorf("search: %q / %q", r.stdout, r.stderr)
	}
	r = cli("audit", "--action", "incident", "--limit", "1")
	if !strings.Contains(r.stderr, "Showing 1-1 of 2 audit records") {
		t.Errorf("paging hint: %q", r.stderr)
	}
	r = cli("audit", "--actor", "nobody")
	if r.stdout != "" || !strings.Contains(r.stderr, "No audit entries found") {
		t.Errorf("nothing found: %q / %q", r.stdout, r.stderr)
	}

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--since", "yesterday"}, `invalid --since "yesterday"`},
		{[]string{"--object", "service:x"}, "object"},
		{[]string{"extra"}, "unknown command"},
	} {
		r := vigilCLI(t, environ, "", append([]string{"audit"}, c.args...)...)
		if r.code == 0 || !strings.Contains(r.stderr, c.want) {
			t.Errorf("audit %v: exit %d, stderr %q, want %q", c.args, r.code, r.stderr, c.want)
		}
	}
}
