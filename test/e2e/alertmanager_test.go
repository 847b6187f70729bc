package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

const alertmanagerBin = "/usr/bin/prometheus-alertmanager"

// amProc is one real Prometheus Alertmanager process.
type amProc struct {
	addr string
	cmd  *exec.Cmd
	out  *syncBuffer
}

func (a *amProc) url() string { return "http://" + a.addr }

// startAlertmanager writes config to a temp dir, starts Alertmanager on a
// free port with clustering off and waits until /-/ready answers 200.
func startAlertmanager(t *testing.T, config string) *amProc {
	t.Helper()
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "alertmanager.yml")
	if err := os.WriteFile(cfgPath, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	storage := filepath.Join(dir, "data")
	if err := os.Mkdir(storage, 0o700); err != nil {
		t.Fatal(err)
	}
	a := &amProc{addr: freeAddr(t), out: &syncBuffer{}}
	a.cmd = exec.Command(alertmanagerBin,
		"--config.file="+cfgPath,
		"--storage.path="+storage,
		"--web.listen-address="+a.addr,
		"--cluster.listen-address=", // no gossip
	)
	a.cmd.Stdout, a.cmd.Stderr = a.out, a.out
	if err := a.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if a.cmd.ProcessState == nil {
			a.cmd.Process.Kill()
			a.cmd.Wait()
		}
	})
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(a.url() + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return a
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("alertmanager did not become ready; output:\n%s", a.out.String())
	return nil
}

type amTestAlert struct {
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations,omitempty"`
	StartsAt    time.Time         `json:"startsAt"`
	EndsAt      *time.Time        `json:"endsAt,omitempty"`
}

type e2eIncident struct {
	ID         int64  `json:"id"`
	ServiceID  int64  `json:"service_id"`
	Status     string `json:"status"`
	AlertCount int    `json:"alert_count"`
}

type e2eAlert struct {
	ID         int64             `json:"id"`
	IncidentID int64             `json:"incident_id"`
	DedupKey   string            `json:"dedup_key"`
	Summary    string            `json:"summary"`
	Severity   string            `json:"severity"`
	Status     string            `json:"status"`
	Labels     map[string]string `json:"labels"`
}

// TestAlertmanagerToVigil runs a real Alertmanager with a webhook receiver,
// a pagerduty_configs and an opsgenie_configs receiver, all pointed at one
// Vigil, and checks that firing alerts become incidents through each path
// and that resolving them in Alertmanager resolves the incidents.
func TestAlertmanagerToVigil(t *testing.T) {
	if _, err := os.Stat(alertmanagerBin); err != nil {
		if os.Getenv("VIGIL_REQUIRE_ALERTMANAGER") != "" {
			t.Fatalf("VIGIL_REQUIRE_ALERTMANAGER is set but %s is missing: %v", alertmanagerBin, err)
		}
		t.Skipf("%s not installed (apt-get install prometheus-alertmanager); set VIGIL_REQUIRE_ALERTMANAGER to make this a failure", alertmanagerBin)
	}

	p := newProc(t, "--data-dir", t.TempDir())
	p.start()
	base := p.url()
	whSvc, whKey := createServiceAndKey(t, base, "am-webhook")
	pdSvc, pdKey := createServiceAndKey(t, base, "am-pagerduty")
	ogSvc, ogKey := createServiceAndKey(t, base, "am-opsgenie")

	config := fmt.Sprintf(`global:
  resolve_timeout: 1m
route:
  receiver: blackhole
  group_by: ['alertname', 'instance']
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
  routes:
    - matchers: ['path="webhook"']
      receiver: vigil-webhook
      continue: false
    - matchers: ['path="pagerduty"']
      receiver: vigil-pagerduty
      continue: false
    - matchers: ['path="opsgenie"']
      receiver: vigil-opsgenie
      continue: false
receivers:
  - name: blackhole
  - name: vigil-webhook
    webhook_configs:
      - url: %[1]s/api/v1/integrations/alertmanager
        send_resolved: true
        http_config:
          authorization:
            credentials: %[2]s
  - name: vigil-pagerduty
    pagerduty_configs:
      - routing_key: %[3]s
        url: %[1]s/v2/enqueue
        send_resolved: true
  - name: vigil-opsgenie
    opsgenie_configs:
      - api_key: %[4]s
        api_url: %[1]s/
        send_resolved: true
`, base, whKey, pdKey, ogKey)
	am := startAlertmanager(t, config)

	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("alertmanager output:\n%s", am.out.String())
			t.Logf("vigil output:\n%s", p.out.String())
		}
	})

	start := time.Now().UTC().Add(-time.Second).Truncate(time.Millisecond)
	alerts := []amTestAlert{
		{
			Labels:      map[string]string{"alertname": "DiskFull", "path": "webhook", "instance": "db1", "severity": "critical"},
			Annotations: map[string]string{"summary": "disk full on db1"},
			StartsAt:    start,
		},
		{
			Labels:      map[string]string{"alertname": "DiskFull", "path": "pagerduty", "instance": "db2", "severity": "critical"},
			Annotations: map[string]string{"summary": "disk full on db2"},
			StartsAt:    start,
		},
		{
			Labels:      map[string]string{"alertname": "DiskFull", "path": "opsgenie", "instance": "db3", "severity": "critical"},
			Annotations: map[string]string{"summary": "disk full on db3"},
			StartsAt:    start,
		},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if _, err := apiCall(ctx, "POST", am.url()+"/api/v2/alerts", "", alerts, nil); err != nil {
		t.Fatalf("posting alerts to alertmanager: %v", err)
	}

	// Both paths open one triggered incident on their own service.
	whInc := waitIncident(t, ctx, base, whSvc, "triggered")
	pdInc := waitIncident(t, ctx, base, pdSvc, "triggered")
	ogInc := waitIncident(t, ctx, base, ogSvc, "triggered")

	whAlerts := listAlerts(t, ctx, base, whSvc)
	if len(whAlerts) != 1 {
		t.Fatalf("webhook path: want 1 alert, got %d: %+v", len(whAlerts), whAlerts)
	}
	wa := whAlerts[0]
	if wa.Summary != "disk full on db1" || wa.Severity != "critical" || wa.Status != "firing" ||
		wa.Labels["instance"] != "db1" || wa.Labels["alertname"] != "DiskFull" || wa.IncidentID != whInc.ID {
		t.Errorf("webhook path alert = %+v; want summary %q, severity critical, firing, labels instance=db1 alertname=DiskFull, incident %d",
			wa, "disk full on db1", whInc.ID)
	}
	pdAlerts := listAlerts(t, ctx, base, pdSvc)
	if len(pdAlerts) != 1 {
		t.Fatalf("pagerduty path: want 1 alert, got %d: %+v", len(pdAlerts), pdAlerts)
	}
	if pa := pdAlerts[0]; pa.Status != "firing" || pa.IncidentID != pdInc.ID || pa.DedupKey == "" || pa.Summary == "" {
		t.Errorf("pagerduty path alert = %+v; want firing on incident %d with a dedup key and a summary", pa, pdInc.ID)
	}

	ogAlerts := listAlerts(t, ctx, base, ogSvc)
	if len(ogAlerts) != 1 {
		t.Fatalf("opsgenie path: want 1 alert, got %d: %+v", len(ogAlerts), ogAlerts)
	}
	if oa := ogAlerts[0]; oa.Status != "firing" || oa.IncidentID != ogInc.ID || oa.DedupKey == "" || oa.Summary == "" {
		t.Errorf("opsgenie path alert = %+v; want firing on incident %d with a dedup key and a summary", oa, ogInc.ID)
	}

	// Resolve them all in Alertmanager: the same alerts, ended a second ago.
	end := time.Now().UTC().Add(-time.Second).Truncate(time.Millisecond)
	if !end.After(start) {
		end = start.Add(time.Millisecond)
	}
	for i := range alerts {
		alerts[i].EndsAt = &end
	}
	if _, err := apiCall(ctx, "POST", am.url()+"/api/v2/alerts", "", alerts, nil); err != nil {
		t.Fatalf("resolving alerts in alertmanager: %v", err)
	}

	if inc := waitIncident(t, ctx, base, whSvc, "resolved"); inc.ID != whInc.ID {
		t.Errorf("webhook path: resolved incident %d, want %d", inc.ID, whInc.ID)
	}
	if inc := waitIncident(t, ctx, base, pdSvc, "resolved"); inc.ID != pdInc.ID {
		t.Errorf("pagerduty path: resolved incident %d, want %d", inc.ID, pdInc.ID)
	}
	if inc := waitIncident(t, ctx, base, ogSvc, "resolved"); inc.ID != ogInc.ID {
		t.Errorf("opsgenie path: resolved incident %d, want %d", inc.ID, ogInc.ID)
	}
	for _, svc := range []int64{whSvc, pdSvc, ogSvc} {
		for _, a := range listAlerts(t, ctx, base, svc) {
			if a.Status != "resolved" {
				t.Errorf("service %d: alert %d status %q after resolve, want resolved", svc, a.ID, a.Status)
			}
		}
	}
}

// waitIncident polls until the service has exactly one incident and it is
// in the wanted status (up to 30 s).
func waitIncident(t *testing.T, ctx context.Context, base string, serviceID int64, status string) e2eIncident {
	t.Helper()
	var last []e2eIncident
	var lastErr error
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		var list struct{ Items []e2eIncident }
		_, lastErr = apiCall(ctx, "GET", fmt.Sprintf("%s/api/v1/incidents?service_id=%d", base, serviceID), adminToken, nil, &list)
		if lastErr == nil {
			last = list.Items
			if len(list.Items) == 1 && list.Items[0].Status == status {
				return list.Items[0]
			}
			if len(list.Items) > 1 {
				t.Fatalf("service %d: want one incident, got %d: %+v", serviceID, len(list.Items), list.Items)
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("service %d: no single %s incident within 30s; last incidents %+v, last error %v", serviceID, status, last, lastErr)
	return e2eIncident{}
}

func listAlerts(t *testing.T, ctx context.Context, base string, serviceID int64) []e2eAlert {
	t.Helper()
	var list struct{ Items []e2eAlert }
	if _, err := apiCall(ctx, "GET", fmt.Sprintf("%s/api/v1/alerts?service_id=%d", base, serviceID), adminToken, nil, &list); err != nil {
		t.Fatal(err)
	}
	return list.Items
}
