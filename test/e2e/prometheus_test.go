package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const (
	prometheusBin = "/usr/bin/prometheus"
	amtoolBin     = "/usr/bin/amtool"
)

// requireBinary skips (or, when env is set, fails) a test whose real
// sender is not installed.
func requireBinary(t *testing.T, bin, pkg, env string) {
	t.Helper()
	if _, err := os.Stat(bin); err != nil {
		if os.Getenv(env) != "" {
			t.Fatalf("%s is set but %s is missing: %v", env, bin, err)
		}
		t.Skipf("%s not installed (apt-get install %s); set %s to make this a failure", bin, pkg, env)
	}
}

// TestPrometheusToVigil runs a real Prometheus 2.42 whose alerting section
// names Vigil as its Alertmanager (API v2, the integration key as a bearer
// token). A rule fires for a few seconds and then stops: the alert must
// open an incident and, when Prometheus sends it resolved, close it.
func TestPrometheusToVigil(t *testing.T) {
	requireBinary(t, prometheusBin, "prometheus", "VIGIL_REQUIRE_PROMETHEUS")
	p := newProc(t, "--data-dir", t.TempDir())
	p.start()
	base := p.url()
	svc, key := createServiceAndKey(t, base, "prometheus")

	dir := t.TempDir()
	// Fires while the clock is before the deadline, then resolves.
	deadline := time.Now().Add(8 * time.Second).Unix()
	rules := fmt.Sprintf(`groups:
  - name: vigil-e2e
    interval: 1s
    rules:
      - alert: VigilE2EShortLived
        expr: vector(time()) < %d
        labels:
          severity: critical
          team: e2e
        annotations:
          summary: Short-lived alert from a real Prometheus
`, deadline)
	promAddr := strings.TrimPrefix(base, "http://")
	config := fmt.Sprintf(`global:
  evaluation_interval: 1s
rule_files: [%q]
alerting:
  alertmanagers:
    - api_version: v2
      static_configs:
        - targets: [%q]
      authorization:
        credentials: %s
`, filepath.Join(dir, "rules.yml"), promAddr, key)
	if err := os.WriteFile(filepath.Join(dir, "rules.yml"), []byte(rules), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	out := &syncBuffer{}
	cmd := exec.Command(prometheusBin,
		"--config.file="+filepath.Join(dir, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+freeAddr(t),
		"--rules.alert.resend-delay=1s",
	)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("prometheus output:\n%s", out.String())
			t.Logf("vigil output:\n%s", p.out.String())
		}
	})

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	inc := waitIncident(t, ctx, base, svc, "triggered")
	alerts := listAlerts(t, ctx, base, svc)
	if len(alerts) != 1 {
		t.Fatalf("want 1 alert from Prometheus, got %+v", alerts)
	}
	a := alerts[0]
	if a.Summary != "Short-lived alert from a real Prometheus" || a.Severity != "critical" ||
		a.Labels["alertname"] != "VigilE2EShortLived" || a.Labels["team"] != "e2e" || !strings.HasPrefix(a.DedupKey, "am:") {
		t.Errorf("alert from Prometheus = %+v", a)
	}
	// Prometheus re-sends every second while the rule fires: still one
	// alert, and then the resolution closes the incident.
	if got := waitIncident(t, ctx, base, svc, "resolved"); got.ID != inc.ID {
		t.Errorf("resolved incident %d, want %d", got.ID, inc.ID)
	}
	if alerts := listAlerts(t, ctx, base, svc); len(alerts) != 1 || alerts[0].Status != "resolved" {
		t.Errorf("after Prometheus resolved: %+v, want the one alert resolved", alerts)
	}
}

// TestAmtoolAgainstVigil drives Vigil with amtool, Alertmanager's own CLI:
// it adds an alert, queries it back with a matcher, and reads the status.
func TestAmtoolAgainstVigil(t *testing.T) {
	requireBinary(t, amtoolBin, "prometheus-alertmanager", "VIGIL_REQUIRE_ALERTMANAGER")
	p := newProc(t, "--data-dir", t.TempDir())
	p.start()
	base := p.url()
	svc, key := createServiceAndKey(t, base, "amtool")

	amtool := amtoolCLI(t, p, key)
	amtool("alert", "add", "alertname=AmtoolAdded", "severity=warning", "instance=web-7", "--annotation=summary=Added by amtool")
	amtool("alert", "add", "alertname=AmtoolOther", "instance=web-8")

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	waitIncident(t, ctx, base, svc, "triggered")

	var got []struct {
		Labels      map[string]string `json:"labels"`
		Annotations map[string]string `json:"annotations"`
		Fingerprint string            `json:"fingerprint"`
		Status      struct{ State string }
	}
	out := amtool("alert", "query", "-o", "json", `alertname="AmtoolAdded"`)
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("amtool query output is not JSON: %v\n%s", err, out)
	}
	if len(got) != 1 || got[0].Labels["instance"] != "web-7" || got[0].Annotations["summary"] != "Added by amtool" ||
		got[0].Status.State != "active" || got[0].Fingerprint == "" {
		t.Errorf("amtool query = %+v, want the one AmtoolAdded alert", got)
	}
	if out := amtool("alert", "query", `instance=~"web-.*"`); !strings.Contains(out, "AmtoolAdded") || !strings.Contains(out, "AmtoolOther") {
		t.Errorf("regex query misses alerts:\n%s", out)
	}
	if out := amtool("config", "show"); !strings.Contains(out, "amtool") {
		t.Errorf("amtool config show does not list the service as a receiver:\n%s", out)
	}
	// Without credentials amtool is refused.
	cmd := exec.Command(amtoolBin, "--alertmanager.url="+base, "alert", "query")
	if out, err := cmd.CombinedOutput(); err == nil {
		t.Errorf("amtool without credentials succeeded:\n%s", out)
	}
	resp, err := http.Get(base + "/api/v2/status")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("anonymous status: %d, want 401", resp.StatusCode)
	}
}

// amtoolCLI runs amtool against the Vigil process p, authenticated with
// basic auth whose password is the integration key (as many Alertmanager
// readers send it), and returns its stdout (amtool warns on stderr that
// Vigil's version is not its own). A failure shows Vigil's output too.
func amtoolCLI(t *testing.T, p *proc, key string) func(args ...string) string {
	t.Helper()
	httpConfig := filepath.Join(t.TempDir(), "http.yml")
	if err := os.WriteFile(httpConfig, []byte("basic_auth:\n  username: amtool\n  password: "+key+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return func(args ...string) string {
		t.Helper()
		all := append([]string{"--alertmanager.url=" + p.url(), "--http.config.file=" + httpConfig}, args...)
		var stderr strings.Builder
		cmd := exec.Command(amtoolBin, all...)
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("amtool %s: %v\n%s%s\nvigil output:\n%s", strings.Join(args, " "), err, out, stderr.String(), p.out.String())
		}
		return string(out)
	}
}
