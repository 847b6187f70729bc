package main

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/vigil-oss/vigil/internal/app"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// TestNoiseAgainstRealServer: verdicts from the CLI and the noise report
// as a table and as JSON, through the real server.
func TestNoiseAgainstRealServer(t *testing.T) {
	token := vigil.NewSecret(vigil.TokenPrefix)
	a := startServer(t, app.Config{DataDir: t.TempDir(), AdminToken: token, EngineInterval: -1})
	environ := map[string]string{"VIGIL_URL": a.URL(), "VIGIL_TOKEN": token}
	cli := func(args ...string) string {
		t.Helper()
		r := vigilCLI(t, environ, "", args...)
		wantOK(t, r)
		return r.stdout
	}
	must := func(out, pattern string) {
		t.Helper()
		if !regexp.MustCompile(pattern).MatchString(out) {
			t.Errorf("output does not match %s:\n%s", pattern, out)
		}
	}
	cli("service", "create", "--name", "checkout", "--grouping", "none")
	var key vigil.IntegrationKey
	if err := json.Unmarshal([]byte(cli("integration-key", "create", "--service", "checkout", "--name", "prom", "-o", "json")), &key); err != nil || key.Secret == "" {
		t.Fatalf("integration key: %v %+v", err, key)
	}
	cli("alert", "send", "--key", key.Secret, "--summary", "disk full", "--label", "alertname=DiskFull", "--dedup-key", "d1")
	cli("alert", "send", "--key", key.Secret, "--summary", "disk full", "--label", "alertname=DiskFull", "--dedup-key", "d2")

	must(cli("incident", "noise", "1"), `^Incident #1 marked noise\.\n$`)
	must(cli("incident", "actionable", "#2"), `^Incident #2 marked actionable\.\n$`)
	must(cli("incident", "noise", "2"), `^Incident #2 marked noise\.\n$`)
	must(cli("incident", "unmark", "2"), `^Incident #2 has no verdict now\.\n$`)
	out := cli("incident", "show", "1")
	must(out, `Marked noise by`)

	out = cli("report", "noise", "--tz", "Europe/Berlin")
	must(out, `night: 22:00-07:00 Europe/Berlin`)
	must(out, `(?m)^SERVICE\s+ALERTS\s+INCIDENTS\s+PAGES\s+PAGED\s+ACK<5M\s+NIGHT\s+NOISE\s+ACTIONABLE$`)
	must(out, `(?m)^checkout\s+2\s+2\s+0\s+0\s+0\s+0\s+1\s+0$`)
	must(out, `(?m)^checkout/prom\s+2\s+2\s+0\s+0\s+0\s+0\s+1\s+0$`)
	must(out, `(?m)^RULE: none in this range\.$`)
	must(out, `No suggestions`)

	var rep vigil.NoiseReport
	if err := json.Unmarshal([]byte(cli("report", "noise", "--since", "1d", "-o", "json")), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Totals.Alerts != 2 || rep.Totals.Noise != 1 || rep.TimeZone != "UTC" || len(rep.IntegrationKeys) != 1 {
		t.Errorf("JSON report: %+v", rep)
	}
	// A range that ends before anything happened.
	must(cli("report", "noise", "--since", "3d", "--until", "2d"), `SERVICE: none in this range`)

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"report", "noise", "--tz", "Mars/Olympus"}, "tz"},
		{[]string{"report", "noise", "--since", "soon"}, "invalid --since"},
		{[]string{"report", "noise", "--since", "1d", "--until", "2d"}, "until"},
		{[]string{"incident", "noise", "99"}, "not found"},
		{[]string{"incident", "noise"}, "one incident ID"},
	} {
		r := vigilCLI(t, environ, "", c.args...)
		if r.code == 0 || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q, want an error with %q", c.args, r.code, r.stderr, c.want)
		}
	}
}
