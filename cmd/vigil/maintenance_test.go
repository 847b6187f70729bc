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

const (
	window3 = `{"id":3,"name":"checkout weekly sun 01:00 Europe/Berlin","service_ids":[4],"start":"2026-01-01T00:00:00Z",
		"recurrence":{"weekdays":[0],"at":"01:00","duration":"4h0m0s"},"time_zone":"Europe/Berlin","created_by":"ops",
		"created_at":"2026-01-01T00:00:00Z","state":"scheduled"}`
	window4 = `{"id":4,"name":"db failover","service_ids":[4],"matchers":["env=\"prod\""],"start":"2026-05-02T22:00:00Z",
		"end":"2026-05-03T02:00:00Z","time_zone":"UTC","created_by":"ops","state":"ended"}`
	services4 = `{"items":[{"id":4,"name":"checkout"}],"total":1}`
)

func TestMaintenanceAddWeekly(t *testing.T) {
	f := newAPIFake(t, map[string]answer{
		"POST /api/v1/maintenance-windows": {201, window3},
		"GET /api/v1/services":             {200, services4},
	})
	r := vigilCLI(t, envFor(f), "", "maintenance", "add", "--service", "checkout", "--weekly", "sun", "--at", "01:00",
		"--duration", "4h", "--tz", "Europe/Berlin")
	wantOK(t, r)
	if !strings.Contains(r.stdout, `Maintenance window 3 "checkout weekly sun 01:00 Europe/Berlin" created: every sun at 01:00 for 4h (Europe/Berlin); scheduled.`) {
		t.Errorf("stdout %q", r.stdout)
	}
	reqs := f.requests()
	wantCLIHeaders(t, reqs[len(reqs)-1], "vgt_test")
	jsonSame(t, reqs[len(reqs)-1].body, `{"name":"checkout weekly sun 01:00 Europe/Berlin","service_ids":[4],
		"recurrence":{"weekdays":[0],"at":"01:00","duration":"4h0m0s"},"time_zone":"Europe/Berlin"}`)
}

func TestMaintenanceAddOnce(t *testing.T) {
	f := newAPIFake(t, map[string]answer{"POST /api/v1/maintenance-windows": {201, window4}})
	r := vigilCLI(t, envFor(f), "", "maintenance", "add", "--service", "4", "--matcher", "env=prod", "--name", "db failover",
		"--start", "2026-05-02T22:00:00Z", "--end", "2026-05-03T02:00:00Z", "-o", "json")
	wantOK(t, r)
	if !strings.Contains(r.stdout, `"name": "db failover"`) {
		t.Errorf("stdout %q", r.stdout)
	}
	jsonSame(t, f.only().body, `{"name":"db failover","service_ids":[4],"matchers":["env=\"prod\""],
		"start":"2026-05-02T22:00:00Z","end":"2026-05-03T02:00:00Z"}`)

	f = newAPIFake(t, map[string]answer{"POST /api/v1/maintenance-windows": {201, window4}})
	r = vigilCLI(t, envFor(f), "", "maintenance", "add", "-s", "4", "--duration", "2h", "--name", "now")
	wantOK(t, r)
	jsonSame(t, f.only().body, `{"name":"now","service_ids":[4],"duration":"2h0m0s"}`)
}

func TestMaintenanceAddRefusesBeforeSending(t *testing.T) {
	f := newAPIFake(t, map[string]answer{})
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"maintenance", "add", "--duration", "1h"}, "say what the window covers"},
		{[]string{"maintenance", "add", "-s", "4"}, "needs --end or --duration"},
		{[]string{"maintenance", "add", "-s", "4", "--duration", "1h", "--end", "2030-01-01T00:00:00Z"}, "not both"},
		{[]string{"maintenance", "add", "-s", "4", "--duration", "soon"}, "invalid --duration"},
		{[]string{"maintenance", "add", "-s", "4", "--end", "tomorrow"}, "invalid --end"},
		{[]string{"maintenance", "add", "-m", "env", "--duration", "1h"}, `invalid --matcher "env"`},
		{[]string{"maintenance", "add", "-s", "4", "--weekly", "sun", "--duration", "4h"}, "needs --at"},
		{[]string{"maintenance", "add", "-s", "4", "--weekly", "funday", "--at", "01:00", "--duration", "4h"}, `invalid --weekly day "funday"`},
		{[]string{"maintenance", "add", "-s", "4", "--at", "01:00", "--duration", "4h"}, "--at is for weekly windows"},
		{[]string{"maintenance", "delete"}, "at least one maintenance window"},
		{[]string{"maintenance", "delete", "x"}, `invalid maintenance window ID "x"`},
		{[]string{"maintenance", "show", "1", "2"}, "expects one maintenance window ID"},
	} {
		r := vigilCLI(t, envFor(f), "", c.args...)
		if r.code == 0 || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", c.args, r.code, r.stderr, c.want)
		}
	}
	if n := len(f.requests()); n != 0 {
		t.Errorf("%d requests sent for refused commands", n)
	}
}

func TestMaintenanceAddServerError(t *testing.T) {
	f := newAPIFake(t, map[string]answer{"POST /api/v1/maintenance-windows": {400,
		`{"error":{"code":"invalid","message":"service 9 does not exist","field":"service_ids[0]"}}`}})
	r := vigilCLI(t, envFor(f), "", "maintenance", "add", "-s", "9", "--duration", "1h")
	if r.code != 1 || !strings.Contains(r.stderr, "error: service 9 does not exist (field: service_ids[0])") {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestWeekdayRanges(t *testing.T) {
	for in, want := range map[string]string{"sun": "sun", "mon-fri": "mon,tue,wed,thu,fri", "fri-mon": "fri,sat,sun,mon",
		"Saturday,0": "sat,sun", "6": "sat"} {
		days, err := parseWeekdays(in)
		if err != nil || dayNames(days) != want {
			t.Errorf("parseWeekdays(%q) = %v (%s), %v; want %s", in, days, dayNames(days), err, want)
		}
	}
}

func TestMaintenanceListShowDelete(t *testing.T) {
	f := newAPIFake(t, map[string]answer{
		"GET /api/v1/maintenance-windows":      {200, `{"items":[` + window3 + `,` + window4 + `]}`},
		"GET /api/v1/maintenance-windows/3":    {200, window3},
		"DELETE /api/v1/maintenance-windows/3": {204, ""},
		"DELETE /api/v1/maintenance-windows/4": {204, ""},
	})
	r := vigilCLI(t, envFor(f), "", "maintenance", "list")
	wantOK(t, r)
	lines := strings.Split(strings.TrimRight(r.stdout, "\n"), "\n")
	if len(lines) != 2 || !regexp.MustCompile(`^ID\s+NAME\s+STATE\s+COVERS\s+WHEN$`).MatchString(lines[0]) ||
		!regexp.MustCompile(`^3\s+checkout weekly sun 01:00 Europe/Berlin\s+scheduled\s+services 4\s+every sun at 01:00 for 4h \(Europe/Berlin\)$`).MatchString(lines[1]) {
		t.Errorf("list without ended windows:\n%s", r.stdout)
	}
	r = vigilCLI(t, envFor(f), "", "maintenance", "list", "--all")
	wantOK(t, r)
	if !regexp.MustCompile(`(?m)^4\s+db failover\s+ended\s+services 4, env="prod"\s+2026-05-02T22:00:00Z to 2026-05-03T02:00:00Z$`).MatchString(r.stdout) {
		t.Errorf("list --all:\n%s", r.stdout)
	}
	r = vigilCLI(t, envFor(f), "", "maintenance", "show", "#3")
	wantOK(t, r)
	for _, s := range []string{`Maintenance window 3 "checkout weekly sun 01:00 Europe/Berlin": scheduled`, "Covers:", "services 4", "Created by:"} {
		if !strings.Contains(r.stdout, s) {
			t.Errorf("show lacks %q:\n%s", s, r.stdout)
		}
	}
	r = vigilCLI(t, envFor(f), "", "maintenance", "delete", "3", "#4")
	wantOK(t, r)
	if !strings.Contains(r.stdout, "Maintenance window 3 deleted.\nMaintenance window 4 deleted.") {
		t.Errorf("stdout %q", r.stdout)
	}
}

func TestInhibitAdd(t *testing.T) {
	rule := `{"id":7,"name":"alertname=\"ClusterDown\" mutes alertname=~\"Node.*\"","source_matchers":["alertname=\"ClusterDown\""],
		"target_matchers":["alertname=~\"Node.*\""],"equal":["cluster"]}`
	f := newAPIFake(t, map[string]answer{"POST /api/v1/inhibit-rules": {201, rule}})
	r := vigilCLI(t, envFor(f), "", "inhibit", "add", "--source", `alertname="ClusterDown"`, "--target", `alertname=~"Node.*"`, "--equal", "cluster")
	wantOK(t, r)
	if !strings.Contains(r.stdout, `Inhibit rule 7 "alertname=\"ClusterDown\" mutes alertname=~\"Node.*\"" created.`) {
		t.Errorf("stdout %q", r.stdout)
	}
	jsonSame(t, f.only().body, `{"name":"alertname=\"ClusterDown\" mutes alertname=~\"Node.*\"","source_matchers":["alertname=\"ClusterDown\""],
		"target_matchers":["alertname=~\"Node.*\""],"equal":["cluster"]}`)

	f = newAPIFake(t, map[string]answer{"POST /api/v1/inhibit-rules": {201, rule}})
	r = vigilCLI(t, envFor(f), "", "inhibit", "add", "--name", "crit", "--source", "severity=critical", "--target", "severity=warning",
		"--equal", "alertname,instance")
	wantOK(t, r)
	jsonSame(t, f.only().body, `{"name":"crit","source_matchers":["severity=\"critical\""],"target_matchers":["severity=\"warning\""],
		"equal":["alertname","instance"]}`)
}

func TestInhibitRefusesAndLists(t *testing.T) {
	f := newAPIFake(t, map[string]answer{
		"GET /api/v1/inhibit-rules":      {200, `{"items":[{"id":7,"name":"cluster","source_matchers":["alertname=\"ClusterDown\""],"target_matchers":["alertname=~\"Node.*\""],"equal":["cluster"]}]}`},
		"DELETE /api/v1/inhibit-rules/7": {204, ""},
	})
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"inhibit", "add", "--target", "a=b"}, "give --source and --target"},
		{[]string{"inhibit", "add", "--source", "a", "--target", "a=b"}, `invalid --source "a"`},
		{[]string{"inhibit", "add", "--source", "a=b", "--target", `c=~"("`}, `invalid --target`},
		{[]string{"inhibit", "delete"}, "at least one inhibit rule"},
	} {
		r := vigilCLI(t, envFor(f), "", c.args...)
		if r.code == 0 || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", c.args, r.code, r.stderr, c.want)
		}
	}
	if n := len(f.requests()); n != 0 {
		t.Errorf("%d requests sent for refused commands", n)
	}
	r := vigilCLI(t, envFor(f), "", "inhibit", "list")
	wantOK(t, r)
	if !regexp.MustCompile(`(?m)^7\s+cluster\s+alertname="ClusterDown"\s+alertname=~"Node\.\*"\s+cluster$`).MatchString(r.stdout) {
		t.Errorf("list:\n%s", r.stdout)
	}
	r = vigilCLI(t, envFor(f), "", "inhibit", "delete", "7")
	wantOK(t, r)
	if !strings.Contains(r.stdout, "Inhibit rule 7 deleted.") {
		t.Errorf("stdout %q", r.stdout)
	}
}

// TestHoldsAgainstRealServer runs the maintenance and inhibit commands
// against the real server: a window holds an alert (listed with it, no
// incident) until it is deleted, and a rule mutes a node alert while its
// cluster alert fires.
func TestHoldsAgainstRealServer(t *testing.T) {
	ctx := context.Background()
	token := vigil.NewSecret(vigil.TokenPrefix)
	a := startServer(t, app.Config{DataDir: t.TempDir(), AdminToken: token})
	env := getenvFrom(map[string]string{"VIGIL_URL": a.URL(), "VIGIL_TOKEN": token})
	cli := func(args ...string) string {
		t.Helper()
		var out, errOut bytes.Buffer
		if code := run(ctx, args, env, strings.NewReader(""), &out, &errOut); code != 0 {
			t.Fatalf("vigil %s: exit %d: %s", strings.Join(args, " "), code, errOut.String())
		}
		return out.String()
	}
	cli("service", "create", "--name", "checkout")
	key := regexp.MustCompile(`vgi_[a-z0-9]+`).FindString(cli("integration-key", "create", "--service", "checkout", "--name", "prom"))
	if out := cli("maintenance", "add", "--service", "checkout", "--duration", "1h", "--name", "deploy"); !strings.Contains(out, `Maintenance window 1 "deploy" created`) || !strings.Contains(out, "open, closes in") {
		t.Errorf("maintenance add: %q", out)
	}
	cli("maintenance", "add", "--service", "checkout", "--weekly", "sun", "--at", "01:00", "--duration", "4h", "--tz", "Europe/Berlin")
	if out := cli("maintenance", "list"); !strings.Contains(out, "deploy") || !strings.Contains(out, "checkout weekly sun 01:00 Europe/Berlin") {
		t.Errorf("maintenance list:\n%s", out)
	}
	cli("alert", "send", "--key", key, "--summary", "p99 above 2s", "--dedup-key", "latency", "--label", "alertname=Latency")
	if out := cli("alert", "list"); !strings.Contains(out, "maintenance window 1") {
		t.Errorf("alert list does not show the hold:\n%s", out)
	}
	var incs []vigil.Incident
	if err := json.Unmarshal([]byte(cli("incident", "list", "-o", "json")), &incs); err != nil || len(incs) != 0 {
		t.Fatalf("incidents during the window: %+v, %v", incs, err)
	}
	cli("maintenance", "delete", "1")
	if err := json.Unmarshal([]byte(cli("incident", "list", "-o", "json")), &incs); err != nil || len(incs) != 1 {
		t.Fatalf("incidents after the window was deleted: %+v, %v", incs, err)
	}

	cli("inhibit", "add", "--source", `alertname="ClusterDown"`, "--target", `alertname=~"Node.*"`, "--equal", "cluster")
	cli("alert", "send", "--key", key, "--summary", "cluster eu down", "--label", "alertname=ClusterDown", "--label", "cluster=eu")
	cli("alert", "send", "--key", key, "--summary", "node 1 down", "--label", "alertname=NodeDown", "--label", "cluster=eu")
	if out := cli("alert", "list"); !regexp.MustCompile(`inhibited by rule 1 \(alert \d+\)`).MatchString(out) {
		t.Errorf("alert list does not show the inhibition:\n%s", out)
	}
	if out := cli("inhibit", "list"); !regexp.MustCompile(`(?m)^1\s+alertname="ClusterDown" mutes.*alertname=~"Node\.\*"\s+cluster$`).MatchString(out) {
		t.Errorf("inhibit list:\n%s", out)
	}
}
