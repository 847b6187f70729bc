package app

import (
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

// allowed lists, per internal package, which internal packages its
// non-test code may import. Everything points at the domain (vigil); the
// adapters never import each other; only app (and cmd) wire concrete types.
var allowed = map[string][]string{
	"vigil":      {},
	"triage":     {"vigil", "matcher"}, // label matchers (Alertmanager syntax) in windows and inhibition
	"auth":       {"vigil"},
	"store":      {"vigil", "triage", "escalation", "oncall", "matcher", "classify", "seal"}, // the pure decisions run inside its transactions
	"ingest":     {"vigil", "triage"},
	"mapping":    {"vigil", "ingest"}, // rules (expr) and the payload preview; no I/O
	"classify":   {"vigil"},           // global classification and routing rules (expr); no I/O
	"matcher":    {},
	"sweep":      {"vigil"},
	"oncall":     {"vigil"},           // who is on call: pure
	"escalation": {"vigil"},           // which step is due: pure
	"notify":     {"vigil", "notify"}, // the Sender contract and one package per channel
	"engine":     {"vigil", "notify"},
	"signed":     {"vigil"},                                    // capability tokens in URLs (action links, feeds): pure
	"netguard":   {},                                           // outbound address guard (SSRF): standard library only
	"seal":       {},                                           // AES-GCM for secrets at rest: standard library only
	"manifest":   {"vigil", "escalation", "triage", "matcher"}, // configuration as code: YAML model, checks (as the server's), plan; no I/O
	// api reads vendor callbacks with the channels' own verifiers and
	// parsers (internal/notify/slack, .../twilio).
	"api":       {"vigil", "triage", "auth", "ingest", "matcher", "mapping", "oncall", "notify", "signed"},
	"server":    {"vigil", "api", "auth"},
	"web":       {"vigil", "auth", "mapping", "oncall", "signed", "matcher"},
	"client":    {"vigil", "auth"},
	"app":       {"vigil", "store", "server", "web", "auth", "api", "sweep", "engine", "notify", "signed", "netguard", "seal", "oidc"},
	"storetest": {"vigil", "triage"},
	"oidc":      {"vigil"}, // OpenID Connect sign-in: protocol and group mapping; oidctest is its test provider
}

// pure packages use only the standard library (and the domain).
var pure = map[string]bool{"vigil": true, "triage": true, "ingest": true, "oncall": true, "escalation": true, "signed": true, "netguard": true, "seal": true}

func TestDependencyDirection(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	out, err := exec.Command("go", "list", "-json", "github.com/vigil-oss/vigil/internal/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	const prefix = "github.com/vigil-oss/vigil/internal/"
	dec := json.NewDecoder(strings.NewReader(string(out)))
	seen := 0
	for {
		var p struct {
			ImportPath string
			Imports    []string
		}
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		name := strings.SplitN(strings.TrimPrefix(p.ImportPath, prefix), "/", 2)[0]
		ok, known := allowed[name]
		if !known {
			t.Errorf("package %s has no entry in the allowed-imports table; add one", p.ImportPath)
			continue
		}
		seen++
		for _, imp := range p.Imports {
			if pure[name] && strings.Contains(strings.SplitN(imp, "/", 2)[0], ".") && !strings.HasPrefix(imp, prefix) {
				t.Errorf("%s imports %s: this package may use only the standard library", p.ImportPath, imp)
			}
			if !strings.HasPrefix(imp, prefix) {
				continue
			}
			dep := strings.SplitN(strings.TrimPrefix(imp, prefix), "/", 2)[0]
			if dep == name {
				continue
			}
			if !contains(ok, dep) {
				t.Errorf("%s imports %s: not an allowed arrow", p.ImportPath, imp)
			}
		}
	}
	if seen < 5 {
		t.Fatalf("only %d internal packages listed; go list output unexpected", seen)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
