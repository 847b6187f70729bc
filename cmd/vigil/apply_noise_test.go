package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigil-oss/vigil/internal/client"
	"github.com/vigil-oss/vigil/internal/vigil"
)

const noiseYAML = `
users:
  - {name: Ana, email: ana@example.com}
  - {name: Bob, email: bob@example.com}
teams:
  - name: payments
    members: [bob@example.com]
    managers: [ana@example.com]
services:
  - name: payments-api
    team: payments
    storm: {incidents: 50, window: 5m}
    flap: {changes: 6, window: 20m, quiet: 30m}
    auto_pause: 5m
  - name: batch
    storm: {incidents: 0}
    flap: {changes: 0}
`

// serviceByName reads a service back through the API.
func serviceByName(t *testing.T, s *applyServer, name string) *vigil.Service {
	t.Helper()
	list, _, err := s.api.ListServices(context.Background(), client.ServiceQuery{Name: name})
	if err != nil || len(list) != 1 {
		t.Fatalf("service %s: %+v, %v", name, list, err)
	}
	return list[0]
}

// Team managers and a service's storm limit, flap control and auto-pause
// as code: applied, read back through the API, unchanged after export,
// and back to the defaults when the file leaves them out.
func TestApplyNoiseSettingsAndManagers(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *applyServer) {
		ctx := context.Background()
		out := s.ok(noiseYAML, "apply", "-f", "-")
		if !strings.Contains(out, "Applied: 5 created, 0 updated.\n") {
			t.Fatalf("apply:\n%s", out)
		}
		api := serviceByName(t, s, "payments-api")
		m := vigil.Duration(time.Minute)
		if !cmp.Equal(api.Grouping.Storm, &vigil.StormLimit{Incidents: 50, Window: 5 * m}) ||
			!cmp.Equal(api.Flap, &vigil.FlapSettings{Changes: 6, Window: 20 * m, Quiet: 30 * m}) || api.AutoPause != 5*m {
			t.Errorf("payments-api: storm %+v flap %+v auto-pause %s", api.Grouping.Storm, api.Flap, api.AutoPause)
		}
		batch := serviceByName(t, s, "batch")
		if batch.Grouping.Storm == nil || batch.Grouping.Storm.Incidents != 0 || batch.Flap == nil || batch.Flap.Changes != 0 || batch.AutoPause != 0 {
			t.Errorf("batch should have storm and flap off: storm %+v flap %+v", batch.Grouping.Storm, batch.Flap)
		}
		teams, err := s.api.ListTeams(ctx)
		if err != nil || len(teams) != 1 {
			t.Fatalf("teams %+v, %v", teams, err)
		}
		ana, bob := s.userID("ana@example.com"), s.userID("bob@example.com")
		if tm := teams[0]; !cmp.Equal(tm.Managers, []int64{ana}) || len(tm.Members) != 2 {
			t.Errorf("team: members %v managers %v, want ana (%d) managing and a member", tm.Members, tm.Managers, ana)
		}

		// The export holds the settings; applying it changes nothing.
		s.clock.Advance(time.Minute)
		applied := s.state()
		exported := s.ok("", "export")
		for _, want := range []string{"managers:\n      - ana@example.com", "storm:\n      incidents: 50\n      window: 5m",
			"flap:\n      changes: 6\n      window: 20m\n      quiet: 30m", "auto_pause: 5m", "storm:\n      incidents: 0\n", "flap:\n      changes: 0\n"} {
			if !strings.Contains(exported, want) {
				t.Errorf("export lacks %q:\n%s", want, exported)
			}
		}
		if out := s.ok(exported, "apply", "-f", "-"); out != "No changes: 5 objects up to date.\n" {
			t.Errorf("apply of the export:\n%s\nexport:\n%s", out, exported)
		}
		if out := s.ok(noiseYAML, "apply", "-f", "-"); out != "No changes: 5 objects up to date.\n" {
			t.Errorf("second apply:\n%s", out)
		}
		if got := s.state(); got != applied {
			t.Errorf("applying the same objects changed the server:\n%s", cmp.Diff(applied, got))
		}

		// Changed: the plan names each field.
		changed := strings.NewReplacer("incidents: 50", "incidents: 40", "auto_pause: 5m", "auto_pause: 1h",
			"managers: [ana@example.com]", "managers: [bob@example.com]").Replace(noiseYAML)
		out = s.ok(changed, "apply", "-f", "-")
		for _, line := range []string{"~ update team payments: members, managers\n", "    managers: [ana@example.com] -> [bob@example.com]\n",
			"~ update service payments-api: storm, auto_pause\n", "    storm: 50 in 5m -> 40 in 5m\n", "    auto_pause: 5m -> 1h\n",
			"Applied: 0 created, 2 updated.\n"} {
			if !strings.Contains(out, line) {
				t.Errorf("apply of a change lacks %q:\n%s", line, out)
			}
		}
		if tm, _ := s.api.GetTeam(ctx, teams[0].ID); !cmp.Equal(tm.Managers, []int64{bob}) || !cmp.Equal(tm.Members, []int64{bob}) {
			t.Errorf("team after the change: members %v managers %v, want only bob (%d)", tm.Members, tm.Managers, bob)
		}

		// Left out: back to the server's defaults, and then no change.
		bare := "teams:\n  - {name: payments, members: [bob@example.com]}\nservices:\n  - {name: payments-api, team: payments}\n  - {name: batch}\n"
		out = s.ok(bare, "apply", "-f", "-")
		for _, line := range []string{"    managers: [bob@example.com] -> []\n", "    storm: 40 in 5m -> default (20 in 10m)\n",
			"    flap: more than 6 in 20m, quiet 30m -> default (more than 4 in 10m, quiet 15m)\n", "    auto_pause: 1h -> off\n",
			"~ update service batch: storm, flap\n", "Applied: 0 created, 3 updated.\n"} {
			if !strings.Contains(out, line) {
				t.Errorf("apply of the bare file lacks %q:\n%s", line, out)
			}
		}
		for _, name := range []string{"payments-api", "batch"} {
			svc := serviceByName(t, s, name)
			if svc.Grouping.StormOrDefault() != vigil.DefaultStorm || (svc.Flap != nil && *svc.Flap != vigil.DefaultFlap) || svc.AutoPause != 0 {
				t.Errorf("%s not back to the defaults: storm %+v flap %+v auto-pause %s", name, svc.Grouping.Storm, svc.Flap, svc.AutoPause)
			}
		}
		if tm, _ := s.api.GetTeam(ctx, teams[0].ID); len(tm.Managers) != 0 || !cmp.Equal(tm.Members, []int64{bob}) {
			t.Errorf("team after the bare file: members %v managers %v", tm.Members, tm.Managers)
		}
		if out := s.ok(bare, "apply", "-f", "-"); out != "No changes: 3 objects up to date.\n" {
			t.Errorf("the bare file again:\n%s", out)
		}

		// Bad settings are refused with their path and line, nothing changed.
		for _, tc := range []struct{ old, new, want string }{
			{"auto_pause: 5m", "auto_pause: 25h", "services[0].auto_pause: must be 0 (off) or between 1m and 24h (line 14)"},
			{"storm: {incidents: 50, window: 5m}", "storm: {incidents: 50, window: 10s}", "services[0].storm.window: must be between 1m and 24h (line 12)"},
			{"flap: {changes: 6, window: 20m, quiet: 30m}", "flap: {changes: 6, quiet: later}", `services[0].flap.quiet: invalid duration "later"`},
			{"managers: [ana@example.com]", "managers: [cy@example.com]", `teams[0].managers[0]: no user with e-mail address "cy@example.com"`},
		} {
			r := s.cli(strings.Replace(noiseYAML, tc.old, tc.new, 1), "apply", "-f", "-")
			if r.code == 0 || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("%s: exit %d, stderr:\n%s\nwant %q", tc.new, r.code, r.stderr, tc.want)
			}
		}
	})
}

// userID is the ID of the user with the e-mail address.
func (s *applyServer) userID(email string) int64 {
	s.t.Helper()
	users, err := s.api.ListUsers(context.Background())
	if err != nil {
		s.t.Fatal(err)
	}
	for _, u := range users {
		if u.Email == email {
			return u.ID
		}
	}
	s.t.Fatalf("no user %s", email)
	return 0
}
