package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigil-oss/vigil/internal/mapping"
)

const cliRulesYAML = `# route database alerts
- name: database
  when: labels.team == "db"
  set:
    service: database
    severity: critical
    labels:
      routed: '"yes"'
  stop: true
- name: prefix
  set:
    summary: '"[" + format + "] " + summary'
`

const cliRulesJSON = `{"rules":[
	{"name":"database","when":"labels.team == \"db\"","set":{"service":"database","severity":"critical","labels":{"routed":"\"yes\""}},"stop":true},
	{"name":"prefix","set":{"summary":"\"[\" + format + \"] \" + summary"}}]}`

// rules set reads YAML and sends the rules as JSON; rules get prints YAML
// that rules set reads back.
func TestIntegrationKeyRulesSetGet(t *testing.T) {
	f := newAPIFake(t, map[string]answer{
		"PUT /api/v1/integration-keys/7/rules": {200, `{"integration_key_id":7,` + cliRulesJSON[1:]},
	})
	file := filepath.Join(t.TempDir(), "rules.yaml")
	if err := os.WriteFile(file, []byte(cliRulesYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	r := vigilCLI(t, envFor(f), "", "integration-key", "rules", "set", "7", "-f", file)
	wantOK(t, r)
	if !strings.Contains(r.stdout, "Saved 2 mapping rules for integration key 7.") {
		t.Errorf("stdout %q", r.stdout)
	}
	req := f.only()
	wantCLIHeaders(t, req, "vgt_test")
	if req.header.Get("Content-Type") != "application/json" {
		t.Errorf("Content-Type %q", req.header.Get("Content-Type"))
	}
	jsonSame(t, req.body, cliRulesJSON)

	// The same from standard input.
	f2 := newAPIFake(t, map[string]answer{"PUT /api/v1/integration-keys/7/rules": {200, `{"integration_key_id":7,"rules":[]}`}})
	r = vigilCLI(t, envFor(f2), "", "integration-key", "rules", "set", "7", "-f", "-")
	wantOK(t, r)
	jsonSame(t, f2.only().body, `{"rules":[]}`)
	if !strings.Contains(r.stdout, "Removed the mapping rules of integration key 7") {
		t.Errorf("stdout %q", r.stdout)
	}

	f3 := newAPIFake(t, map[string]answer{"GET /api/v1/integration-keys/7/rules": {200, `{"integration_key_id":7,` + cliRulesJSON[1:]}})
	r = vigilCLI(t, envFor(f3), "", "integration-key", "rules", "get", "7")
	wantOK(t, r)
	fromGet, err := mapping.ParseRules([]byte(r.stdout))
	if err != nil {
		t.Fatalf("rules get printed YAML rules set cannot read: %v\n%s", err, r.stdout)
	}
	fromFile, _ := mapping.ParseRules([]byte(cliRulesYAML))
	if d := cmp.Diff(fromFile, fromGet); d != "" {
		t.Errorf("rules get (-file +printed):\n%s", d)
	}
	r = vigilCLI(t, envFor(f3), "", "integration-key", "rules", "get", "7", "-o", "json")
	wantOK(t, r)
	jsonSame(t, r.stdout, `{"integration_key_id":7,`+cliRulesJSON[1:])
}

// A broken file is refused before anything is sent; the server's field
// errors are shown.
func TestIntegrationKeyRulesSetErrors(t *testing.T) {
	f := newAPIFake(t, map[string]answer{
		"PUT /api/v1/integration-keys/7/rules": {400, `{"error":{"code":"invalid","message":"there is no service named \"database\"","field":"rules[0].set.service"}}`},
	})
	r := vigilCLI(t, envFor(f), "- name: a\n  sett: {}\n", "integration-key", "rules", "set", "7", "-f", "-")
	if r.code == 0 || !strings.Contains(r.stderr, `unknown field "sett"`) || !strings.Contains(r.stderr, "[2:3]") {
		t.Errorf("exit %d stderr %q", r.code, r.stderr)
	}
	if n := len(f.requests()); n != 0 {
		t.Fatalf("%d requests sent for a broken file", n)
	}
	r = vigilCLI(t, envFor(f), cliRulesYAML, "integration-key", "rules", "set", "7", "-f", "-")
	if r.code == 0 || !strings.Contains(r.stderr, "rules[0].set.service") || !strings.Contains(r.stderr, `no service named "database"`) {
		t.Errorf("exit %d stderr %q", r.code, r.stderr)
	}
	r = vigilCLI(t, envFor(f), "", "integration-key", "rules", "set", "7")
	if r.code == 0 || !strings.Contains(r.stderr, "--file is required") {
		t.Errorf("without -f: exit %d stderr %q", r.code, r.stderr)
	}
}

// test --key sends the key and shows what each rule did.
func TestIntegrationKeyTestWithKey(t *testing.T) {
	f := newAPIFake(t, map[string]answer{
		"POST /api/v1/integrations/preview": {200, `{"format":"native","events":[{"action":"trigger","dedup_key":"d1",
			"summary":"disk full","severity":"critical","source":"","labels":{"team":"db","routed":"yes"},"service":"database",
			"rules":[{"rule":0,"name":"database","matched":true,"stopped":true,"changes":[{"field":"severity","from":"error","to":"critical"},
			{"field":"labels.routed","to":"yes"},{"field":"service","to":"database"}]}]}],"errors":[]}`},
	})
	r := vigilCLI(t, envFor(f), `{"summary":"disk full","dedup_key":"d1","labels":{"team":"db"}}`,
		"integration-key", "test", "--format", "native", "--key", "7")
	wantOK(t, r)
	jsonSame(t, f.only().body, `{"format":"native","integration_key_id":7,"payload":{"summary":"disk full","dedup_key":"d1","labels":{"team":"db"}}}`)
	for _, want := range []string{"event 0 (d1):", `rule 0 database: matched; severity "error" → "critical", labels.routed "" → "yes", service "" → "database"; later rules skipped`} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
}
