package main

import (
	"context"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/app"
	"github.com/vigil-oss/vigil/internal/vigil"
)

var hb3 = `{"id":3,"service_id":3,"service_name":"payments","name":"nightly backup","description":"","interval":1,"interval_unit":"days",
	"enabled":true,"expired":false,"alert_message":"","alert_tags":["db"],"alert_priority":"P2","due_at":"2026-11-22T10:00:00Z",
	"created_at":"` + created + `","updated_at":"` + created + `"}`

func TestHeartbeatCreate(t *testing.T) {
	f := newAPIFake(t, map[string]answer{"POST /api/v1/services/3/heartbeats": {201, hb3}})
	r := vigilCLI(t, envFor(f), "", "heartbeat", "create", "--service", "3", "--name", "nightly backup", "--interval", "1d",
		"--alert-tag", "db", "--alert-tag", "backup", "--priority", "P2", "--alert-message", "no backup", "--disabled")
	wantOK(t, r)
	req := f.only()
	wantCLIHeaders(t, req, "vgt_test")
	jsonSame(t, req.body, `{"name":"nightly backup","interval":1,"interval_unit":"days","enabled":false,
		"alert_message":"no backup","alert_tags":["db","backup"],"alert_priority":"P2"}`)
	for _, want := range []string{
		"Created heartbeat 3 (nightly backup) on service payments (3): it expects a ping every 24h.",
		"curl -X POST '" + f.srv.URL + "/v2/heartbeats/nightly%20backup/ping' -H \"Authorization: GenieKey $KEY\"",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	for _, args := range [][]string{
		{"--service", "3", "--interval", "1d"},
		{"--service", "3", "--name", "x"},
		{"--service", "3", "--name", "x", "--interval", "90s"},
	} {
		r = vigilCLI(t, envFor(f), "", append([]string{"heartbeat", "create"}, args...)...)
		if r.code == 0 || !strings.Contains(r.stderr, "error:") {
			t.Errorf("%v: exit %d stderr %q", args, r.code, r.stderr)
		}
	}
	if n := len(f.requests()); n != 1 {
		t.Errorf("%d requests, want only the first", n)
	}
}

func TestParseInterval(t *testing.T) {
	for in, want := range map[string]struct {
		n    int
		unit string
	}{
		"10m": {10, "minutes"}, "90m": {90, "minutes"}, "2h": {2, "hours"}, "36h": {36, "hours"},
		"1d": {1, "days"}, "1d12h": {36, "hours"}, "48h": {2, "days"}, "1h30m": {90, "minutes"},
	} {
		n, unit, err := parseInterval(in)
		if err != nil || n != want.n || unit != want.unit {
			t.Errorf("%s: %d %s %v, want %d %s", in, n, unit, err, want.n, want.unit)
		}
	}
	for _, in := range []string{"", "30s", "0m", "-5m", "90s", "367d", "soon"} {
		if _, _, err := parseInterval(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}

func TestHeartbeatListPingDelete(t *testing.T) {
	expired := strings.Replace(strings.Replace(hb3, `"expired":false`, `"expired":true,"expired_at":"`+created+`"`, 1),
		`"id":3,`, `"id":4,`, 1)
	expired = strings.Replace(expired, `"nightly backup"`, `"etl"`, 1)
	f := newAPIFake(t, map[string]answer{
		"GET /api/v1/services/3/heartbeats":       {200, `{"items":[` + hb3 + `,` + expired + `],"total":2}`},
		"POST /api/v1/heartbeats/3/ping":          {200, hb3},
		"DELETE /api/v1/heartbeats/3":             {204, ``},
		"POST /v2/heartbeats/nightly backup/ping": {202, `{"result":"PONG - Heartbeat received","took":0,"requestId":"x"}`},
		"POST /v2/heartbeats/gone/ping":           {404, `{"message":"Heartbeat with name [gone] does not exist.","took":0,"requestId":"y"}`},
	})
	r := vigilCLI(t, envFor(f), "", "heartbeat", "list", "--service", "3")
	wantOK(t, r)
	if !regexp.MustCompile(`(?m)^ID\s+NAME\s+STATE\s+EVERY\s+LAST PING\s+EXPIRES\s+PRIORITY$`).MatchString(r.stdout) ||
		!regexp.MustCompile(`(?m)^3\s+nightly backup\s+waiting\s+24h\s+never\s+2026-11-22T10:00:00Z\s+P2$`).MatchString(r.stdout) ||
		!regexp.MustCompile(`(?m)^4\s+etl\s+expired\s+24h\s+never\s+expired \d+m ago\s+P2$`).MatchString(r.stdout) {
		t.Errorf("list:\n%s", r.stdout)
	}
	r = vigilCLI(t, envFor(f), "", "heartbeat", "list")
	if r.code == 0 || !strings.Contains(r.stderr, "--service is required") {
		t.Errorf("list without --service: %q", r.stderr)
	}

	r = vigilCLI(t, envFor(f), "", "heartbeat", "ping", "3")
	wantOK(t, r)
	if !strings.Contains(r.stdout, "Pinged heartbeat 3 (nightly backup); next ping due by 2026-11-22T10:00:00Z.") {
		t.Errorf("ping: %q", r.stdout)
	}

	// By name, with the integration key, as a job would.
	env := envFor(f)
	env["VIGIL_INTEGRATION_KEY"] = "vgi_job"
	r = vigilCLI(t, env, "", "heartbeat", "ping", "--name", "nightly backup")
	wantOK(t, r)
	reqs := f.requests()
	last := reqs[len(reqs)-1]
	if last.method != "POST" || last.path != "/v2/heartbeats/nightly backup/ping" || last.header.Get("Authorization") != "GenieKey vgi_job" {
		t.Errorf("ping by name: %s %s %q", last.method, last.path, last.header.Get("Authorization"))
	}
	r = vigilCLI(t, env, "", "heartbeat", "ping", "--name", "gone")
	if r.code == 0 || !strings.Contains(r.stderr, "error: Heartbeat with name [gone] does not exist.") {
		t.Errorf("unknown name: exit %d stderr %q", r.code, r.stderr)
	}
	r = vigilCLI(t, envFor(f), "", "heartbeat", "ping", "--name", "x")
	if r.code == 0 || !strings.Contains(r.stderr, "no integration key") {
		t.Errorf("no key: %q", r.stderr)
	}
	for _, args := range [][]string{{}, {"3", "--name", "x"}, {"3", "4"}} {
		r = vigilCLI(t, envFor(f), "", append([]string{"heartbeat", "ping"}, args...)...)
		if r.code == 0 || !strings.Contains(r.stderr, "expects either one heartbeat ID or --name") {
			t.Errorf("%v: exit %d stderr %q", args, r.code, r.stderr)
		}
	}

	r = vigilCLI(t, envFor(f), "", "heartbeat", "delete", "3")
	wantOK(t, r)
	if r.stdout != "Deleted heartbeat 3.\n" {
		t.Errorf("delete: %q", r.stdout)
	}
}

// TestHeartbeatAndChangesAgainstRealServer runs the heartbeat and change
// commands against the real server with a manual clock, so the client and
// the handlers cannot drift apart unnoticed.
func TestHeartbeatAndChangesAgainstRealServer(t *testing.T) {
	ctx := context.Background()
	clock := vigil.NewManualClock(time.Now().Add(-time.Hour))
	token := vigil.NewSecret(vigil.TokenPrefix)
	a := startServer(t, app.Config{DataDir: t.TempDir(), AdminToken: token, Clock: clock})
	environ := map[string]string{"VIGIL_URL": a.URL(), "VIGIL_TOKEN": token}
	cli := func(args ...string) string {
		t.Helper()
		r := vigilCLI(t, environ, "", args...)
		wantOK(t, r)
		return r.stdout
	}
	cli("service", "create", "--name", "batch")
	key := regexp.MustCompile(`vgi_[a-z0-9]+`).FindString(cli("integration-key", "create", "--service", "batch", "--name", "cron"))
	environ["VIGIL_INTEGRATION_KEY"] = key
	cli("heartbeat", "create", "--service", "batch", "--name", "nightly", "--interval", "10m", "--priority", "P1")
	a.Sweep(ctx)
	if out := cli("heartbeat", "list", "--service", "batch"); !regexp.MustCompile(`(?m)^1\s+nightly\s+waiting\s+10m\s+never\s`).MatchString(out) {
		t.Errorf("list before any ping:\n%s", out)
	}
	cli("heartbeat", "ping", "--name", "nightly")
	clock.Advance(10 * time.Minute)
	a.Sweep(ctx)
	if out := cli("heartbeat", "list", "--service", "batch"); !regexp.MustCompile(`(?m)^1\s+nightly\s+expired\s`).MatchString(out) {
		t.Errorf("list after a missed interval:\n%s", out)
	}
	var incidents []vigil.Incident
	if err := json.Unmarshal([]byte(cli("incident", "list", "-o", "json")), &incidents); err != nil {
		t.Fatal(err)
	}
	if len(incidents) != 1 || incidents[0].Title != "nightly is expired" || incidents[0].Severity != vigil.SeverityCritical {
		t.Fatalf("incidents %+v", incidents)
	}

	// A deploy shortly before the incident is one of its changes.
	deploy := &vigil.ChangeEvent{ServiceID: incidents[0].ServiceID, Summary: "deploy v7", Timestamp: incidents[0].CreatedAt.Add(-5 * time.Minute)}
	if err := a.Store().CreateChangeEvent(ctx, deploy); err != nil {
		t.Fatal(err)
	}
	if out := cli("incident", "changes", strconv.FormatInt(incidents[0].ID, 10)); !strings.Contains(out, "deploy v7") {
		t.Errorf("incident changes:\n%s", out)
	}
	if out := cli("change", "list", "--service", "batch"); !strings.Contains(out, "deploy v7") {
		t.Errorf("change list:\n%s", out)
	}

	cli("heartbeat", "ping", "1")
	if out := cli("incident", "show", strconv.FormatInt(incidents[0].ID, 10)); !regexp.MustCompile(`(?m)^Status:\s+resolved$`).MatchString(out) {
		t.Errorf("the ping did not resolve the incident:\n%s", out)
	}
	cli("heartbeat", "delete", "1")
	r := vigilCLI(t, environ, "", "heartbeat", "ping", "--name", "nightly")
	if r.code == 0 || !strings.Contains(r.stderr, "does not exist") {
		t.Errorf("ping of a deleted heartbeat: %q", r.stderr)
	}
}
