package main

import (
	"bytes"
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/vigil-oss/vigil/internal/app"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// TestQuickStartAgainstRealServer runs the README's quick start through the
// CLI against the real server (not a fake of the API), so the client and
// the handlers cannot drift apart unnoticed.
func TestQuickStartAgainstRealServer(t *testing.T) {
	ctx := context.Background()
	token := vigil.NewSecret(vigil.TokenPrefix)
	a := startServer(t, app.Config{DataDir: t.TempDir(), AdminToken: token})
	env := getenvFrom(map[string]string{"VIGIL_URL": a.URL(), "VIGIL_TOKEN": token})
	stdin := ""
	cli := func(args ...string) string {
		t.Helper()
		var out, errOut bytes.Buffer
		if code := run(ctx, args, env, strings.NewReader(stdin), &out, &errOut); code != 0 {
			t.Fatalf("vigil %s: exit %d: %s", strings.Join(args, " "), code, errOut.String())
		}
		return out.String()
	}

	cli("service", "create", "--name", "checkout-api", "--description", "Public checkout API")

	// Preview a pasted Alertmanager payload: shown, refusals named, nothing stored.
	stdin = `{"version":"4","groupKey":"g","status":"firing","alerts":[
		{"status":"firing","labels":{"alertname":"Down","severity":"critical"},"annotations":{"summary":"api down"},"fingerprint":"f1"},
		{"status":"firing","labels":{"bad-name":"x"},"fingerprint":"f2"}]}`
	preview := cli("integration-key", "test", "--format", "alertmanager")
	stdin = ""
	if !strings.Contains(preview, "api down") || !strings.Contains(preview, "critical") || !strings.Contains(preview, "refused: item 1") {
		t.Errorf("integration-key test output:\n%s", preview)
	}
	keyOut := cli("integration-key", "create", "--service", "checkout-api", "--name", "prometheus")
	key := regexp.MustCompile(`vgi_[a-z0-9]+`).FindString(keyOut)
	if key == "" {
		t.Fatalf("no key in %q", keyOut)
	}
	cli("alert", "send", "--key", key, "--summary", "checkout p99 latency above 2s", "--dedup-key", "checkout-latency",
		"--severity", "critical", "--label", "env=prod", "--link", "https://grafana.example.com/d/checkout")
	cli("alert", "send", "--key", key, "--summary", "disk 95% full on db-1", "--severity", "warning", "--label", "host=db-1")

	var list []vigil.Incident
	if err := json.Unmarshal([]byte(cli("incident", "list", "-o", "json")), &list); err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].AlertCount != 2 || list[0].Severity != vigil.SeverityCritical || list[0].Status != vigil.IncidentTriggered {
		t.Fatalf("incident list: %+v", list)
	}
	cli("incident", "ack", "#1")
	cli("incident", "note", "1", "rolled back deploy 2026-11-21.3")
	cli("incident", "resolve", "1")

	var show struct {
		vigil.Incident
		Alerts   []vigil.Alert         `json:"alerts"`
		Timeline []vigil.TimelineEntry `json:"timeline"`
	}
	if err := json.Unmarshal([]byte(cli("incident", "show", "1", "-o", "json")), &show); err != nil {
		t.Fatal(err)
	}
	if show.Status != vigil.IncidentResolved || len(show.Alerts) != 2 {
		t.Fatalf("incident after resolve: status %s, %d alerts", show.Status, len(show.Alerts))
	}
	for _, al := range show.Alerts {
		if al.Status != vigil.AlertResolved {
			t.Errorf("alert %s still %s after the incident resolved", al.DedupKey, al.Status)
		}
	}
	var got []string
	for _, en := range show.Timeline {
		got = append(got, en.Kind+"/"+en.Source)
	}
	want := []string{"created/integration", "alert_joined/integration", "alert_joined/integration",
		"acknowledged/cli", "note/cli", "resolved/cli"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("timeline kinds/sources:\n got %v\nwant %v", got, want)
	}
}
