package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/app"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// TestOnCallAgainstRealServer runs the on-call commands against the real
// server: people, a team, a schedule from a file, who is on call, and an
// override that changes the answer.
func TestOnCallAgainstRealServer(t *testing.T) {
	clock := vigil.NewManualClock(time.Now())
	token := vigil.NewSecret(vigil.TokenPrefix)
	a := startServer(t, app.Config{DataDir: t.TempDir(), AdminToken: token, Clock: clock, EngineInterval: -1})
	environ := map[string]string{"VIGIL_URL": a.URL(), "VIGIL_TOKEN": token}
	c := cliSession{t, environ}
	cli, fails, must := c.run, c.fails, c.must

	must(cli("user", "create", "--name", "Ana", "--email", "ana@example.com", "--tz", "Europe/Berlin"),
		`^Created user 1: Ana <ana@example.com> \(Europe/Berlin\)\.`)
	cli("user", "create", "--name", "Bob", "--email", "bob@example.com")
	fails("field: email", "user", "create", "--name", "Eve", "--email", "not-an-address")
	must(cli("user", "list"), `(?m)^1\s+Ana\s+ana@example.com\s+Europe/Berlin$`)

	must(cli("user", "contact", "add", "ana@example.com", "--type", "sms", "--address", "+4915112345678", "--name", "mobile"),
		`^Added contact method 1 \(mobile, sms •+5678\) to user 1\.`)
	out := cli("user", "contact", "add", "Ana", "--type", "webhook", "--address", "https://hooks.example.com/hook/s3cr3t")
	must(out, `Added contact method 2 \(webhook, webhook https://hooks.example.com/…\)`)
	fails("field: address", "user", "contact", "add", "Ana", "--type", "sms", "--address", "12345")
	out = cli("user", "contact", "list", "Ana")
	must(out, `(?m)^2\s+webhook\s+webhook\s+https://hooks.example.com/…\s+enabled$`)
	if strings.Contains(out, "s3cr3t") || strings.Contains(out, "+4915112345678") {
		t.Errorf("contact list shows a secret or the full number:\n%s", out)
	}
	must(cli("user", "contact", "test", "Ana", "1"), `^Queued test notification \d+ to sms •+5678\.`)
	must(cli("user", "rule", "add", "Ana", "--method", "1", "--delay", "2m"), `^Added rule 1: user 1 is notified on contact method 1 2m after a page\.`)
	must(cli("user", "rule", "list", "1"), `(?m)^1\s+2m\s+1$`)

	must(cli("team", "create", "--name", "Payments", "--member", "Ana", "--member", "bob@example.com"), `^Created team 1: Payments with 2 members\.`)
	must(cli("team", "list"), `(?m)^1\s+Payments\s+Ana, Bob\s+-\s+-$`)
	fails("no user", "team", "create", "--name", "X", "--member", "nobody@example.com")

	dir := t.TempDir()
	sched := filepath.Join(dir, "schedule.json")
	writeSpecFile(t, sched, `{"name": "Primary", "time_zone": "Europe/Berlin", "layers": [
		{"name": "days", "start": "`+clock.Now().Add(-36*time.Hour).UTC().Format(time.RFC3339)+`",
		 "turn_unit": "day", "turn_count": 1, "members": [1]}]}`)
	must(cli("schedule", "create", "-f", sched), `^Created schedule 1: Primary \(Europe/Berlin, 1 layer\)\.`)
	bad := filepath.Join(dir, "bad.json")
	writeSpecFile(t, bad, `{"name": "X", "layers": [{"start": "2026-01-01T00:00:00Z", "turn_unit": "month", "turn_count": 1, "members": [1]}]}`)
	fails("field: layers[0].turn_unit", "schedule", "create", "-f", bad)
	writeSpecFile(t, bad, `{"name": "X", "layer": []}`)
	fails("unknown field", "schedule", "create", "-f", bad)
	must(cli("schedule", "list"), `(?m)^1\s+Primary\s+Europe/Berlin\s+1$`)

	must(cli("oncall"), `(?m)^Primary \(1\)\s+Ana \(1\)\s`)
	// A rotation of one never ends: no "until".
	must(cli("schedule", "show", "1"), `(?m)^On call:\s+Ana \(1\)$`)

	must(cli("schedule", "override", "1", "--user", "Bob", "--start", "-5m", "--end", "+2h"),
		`^Created override 1: Bob \(2\) is on call on schedule 1 from `)
	fails("--end must be after --start", "schedule", "override", "1", "--user", "Bob", "--start", "+2h", "--end", "+1h")
	fails("invalid --start", "schedule", "override", "1", "--user", "Bob", "--start", "2h", "--end", "+3h")
	out = cli("oncall")
	must(out, `(?m)^Primary \(1\)\s+Bob \(2\) \[override\]\s+\S+\s+Ana at `)
	must(cli("oncall", "--at", "+3h"), `(?m)^Primary \(1\)\s+Ana \(1\)\s`)
	shifts := cli("schedule", "shifts", "1", "--to", "+1d")
	must(shifts, `(?m)^\S+\s+\S+\s+Bob \(2\)\s+yes$`)
	must(shifts, `(?m)^\S+\s+\S+\s+Ana \(1\)\s+-$`)

	// Calendar feeds, and a secret address a calendar app can read
	// without a token until the addresses are rotated.
	must(cli("ical", "schedule", "1"), `(?m)^SUMMARY:On call: Bob \(Primary\)\r$`)
	must(cli("ical", "user", "bob@example.com"), `(?m)^X-WR-CALNAME:On call: Bob\r$`)
	address := strings.TrimSpace(cli("ical", "user", "Bob", "--url"))
	must(address, `^`+regexp.QuoteMeta(a.URL())+`/api/v1/feeds/user/2/[A-Za-z0-9_-]+\.ics$`)
	fetch := func() (int, string) {
		res, err := http.Get(address)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if code, body := fetch(); code != 200 || !strings.Contains(body, "SUMMARY:On call: Bob (Primary)") {
		t.Errorf("feed address without a token: %d %.300s", code, body)
	}
	must(cli("ical", "rotate"), `^Every calendar feed address is revoked`)
	if code, _ := fetch(); code != 404 {
		t.Errorf("feed address after rotation: %d, want 404", code)
	}
	fails("invalid schedule ID", "ical", "schedule", "Primary")

	policy := filepath.Join(dir, "policy.json")
	writeSpecFile(t, policy, `{"name": "Payments", "repeat": 0, "steps": [{"delay": "10m", "targets": [{"type": "schedule", "id": 1}]},
		{"delay": "10m", "targets": [{"type": "user", "id": 1}]}]}`)
	must(cli("policy", "create", "-f", policy), `^Created escalation policy 1: Payments \(2 steps\)\.`)
	writeSpecFile(t, bad, `{"name": "X", "steps": [{"delay": "10m", "targets": [{"type": "user", "id": 99}]}]}`)
	fails("field: steps[0].targets[0].id", "policy", "create", "-f", bad)
	must(cli("policy", "list"), `(?m)^1\s+Payments\s+2\s+0$`)
	must(cli("policy", "show", "1"), `(?m)^2\s+user Ana \(1\)\s+10m`)
	must(cli("oncall"), `(?m)^Payments \(1\)\s+Bob$`)
	fails("pages this schedule", "schedule", "delete", "1")

	var oc struct {
		Schedules []struct {
			ScheduleName string `json:"schedule_name"`
			User         *struct {
				Name string `json:"name"`
			} `json:"user"`
			Override bool `json:"override"`
		} `json:"schedules"`
	}
	if err := json.Unmarshal([]byte(cli("oncall", "-o", "json")), &oc); err != nil {
		t.Fatal(err)
	}
	if len(oc.Schedules) != 1 || oc.Schedules[0].User == nil || oc.Schedules[0].User.Name != "Bob" || !oc.Schedules[0].Override {
		t.Errorf("oncall -o json: %+v", oc)
	}

	must(cli("page", "--user", "Ana", "Checkout", "is", "down"), `^Queued 2 notifications:`)
	fails("no enabled contact method", "page", "--user", "Bob", "hello")
	fails("exactly one of --user and --team", "page", "hello")
	must(cli("page", "--team", "Payments", "All hands"), `(?m)^\d+\s+Ana\s+webhook\s+https://hooks.example.com/…$`)

	cli("policy", "delete", "1")
	must(cli("schedule", "delete", "1"), `^Deleted schedule 1\.`)
	cli("team", "delete", "1")
	cli("user", "delete", "2")
	fails("not found", "user", "contact", "list", "2")
}

func writeSpecFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestParseOnCallTime(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"now":                       now,
		"+2h":                       now.Add(2 * time.Hour),
		"-30m":                      now.Add(-30 * time.Minute),
		"+1d12h":                    now.Add(36 * time.Hour),
		"2026-03-07T18:00:00Z":      time.Date(2026, 3, 7, 18, 0, 0, 0, time.UTC),
		"2026-03-07T18:00:00+01:00": time.Date(2026, 3, 7, 17, 0, 0, 0, time.UTC),
		"2026-03-07":                time.Date(2026, 3, 7, 0, 0, 0, 0, time.UTC),
	} {
		got, err := parseOnCallTime("--at", in, now)
		if err != nil || !got.Equal(want) {
			t.Errorf("%s: %v %v, want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "2h", "tomorrow", "+", "+-2h", "+2x"} {
		if _, err := parseOnCallTime("--at", in, now); err == nil || !strings.Contains(err.Error(), "--at") {
			t.Errorf("%q: %v", in, err)
		}
	}
}
