package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/vigil-oss/vigil/internal/app"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// TestRulesAndRouteTestAgainstRealServer: rules set/get/backtest and a
// route test, through the real server.
func TestRulesAndRouteTestAgainstRealServer(t *testing.T) {
	token := vigil.NewSecret(vigil.TokenPrefix)
	a := startServer(t, app.Config{DataDir: t.TempDir(), AdminToken: token, EngineInterval: -1})
	environ := map[string]string{"VIGIL_URL": a.URL(), "VIGIL_TOKEN": token}
	c := cliSession{t, environ}
	cli, fails, must := c.in, c.fails, c.must
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}

	cli("", "service", "create", "--name", "payments")
	rules := write("rules.yaml", `time_zone: Europe/Berlin
rules:
  - name: payments-5xx
    when: service == "payments" && labels.code startsWith "5"
    set: {sev: SEV1, priority: P1, type: outage}
  - name: dev
    when: labels.env == "dev"
    set: {suppress: true}
`)
	must(cli("", "rules", "set", "-f", rules), `^Saved 2 classification rules \(version 1, times in Europe/Berlin\)\.`)
	out := cli("", "rules", "get")
	must(out, `(?m)^# version 1$`)
	must(out, `(?m)^- name: payments-5xx$`)
	fails("rules[0].when", "rules", "set", "-f", write("bad.yaml", "rules:\n  - name: x\n    when: 'labels.code =='\n"))
	fails("does not read", "rules", "set", "-f", write("typo.yaml", "rulez: []\n"))
	fails("rules changed since version 9", "rules", "set", "-f", rules, "--version", "9")

	// The route test of a payload on the service: the rule, a new
	// incident, and nothing stored.
	payload := write("alert.json", `{"dedup_key":"pay-5xx","summary":"5xx up","severity":"critical","labels":{"code":"503"}}`)
	out = cli("", "route", "test", "--service", "1", "-f", payload)
	must(out, `(?m)^  Rules: sev SEV1 set by rule 'payments-5xx'$`)
	must(out, `(?m)^  Opens a new incident$`)
	if r := vigilCLI(t, environ, "", "incident", "list"); r.stdout != "" || !strings.Contains(r.stderr, "No incidents found") {
		t.Errorf("the route test stored an incident: %q %q", r.stdout, r.stderr)
	}
	fails("give a payload", "route", "test")

	// Back-test a change against what was stored: a suppressed dev alert
	// would page.
	key := regexp.MustCompile(`vgi_[a-z0-9]+`).FindString(cli("", "integration-key", "create", "--service", "payments", "--name", "prom"))
	cli("", "alert", "send", "--key", key, "--summary", "dev box", "--dedup-key", "dev-1", "--label", "env=dev")
	out = cli("", "rules", "backtest", "-f", write("new.yaml", "rules: []\n"))
	must(out, `(?m)^1 alert from .* 1 treated differently; pages added 1, removed 0; rule failures 0\.$`)
	must(out, `(?m)^\d+\s+payments\s+dev-1\s+paged\s+suppressed\s+-$`)
}
