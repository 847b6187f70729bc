package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigil-oss/vigil/internal/vigil"
)

const holdsYAML = `
services:
  - name: payments-api
maintenance_windows:
  - name: patch night
    services: [payments-api]
    start: 2026-03-01 00:00
    time_zone: Europe/Berlin
    weekly: {weekdays: [sun, saturday], at: "01:00", duration: 4h}
  - name: staging evenings
    matchers: ['env="staging"']
    start: 2026-03-01T18:00:00Z
    end: 2036-03-01T00:00:00Z
    weekly: {weekdays: [monday], at: "18:00", duration: 14h}
  - name: db failover
    services: [payments-api]
    start: 2036-05-02T22:00:00+02:00
    end: 2036-05-03 02:00
    time_zone: Europe/Berlin
inhibit_rules:
  - name: cluster down mutes its nodes
    source_matchers: ['alertname="ClusterDown"']
    target_matchers: ['alertname=~"Node.*"']
    equal: [cluster]
`

// Maintenance windows and inhibit rules as code: created, unchanged on a
// second apply and after export, updated field by field, bad ones refused
// with their path.
func TestApplyMaintenanceAndInhibit(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *applyServer) {
		file := writeFile(t, holdsYAML)
		out := s.ok("", "apply", "-f", file)
		for _, line := range []string{"+ create maintenance window patch night", "+ create maintenance window staging evenings",
			"+ create maintenance window db failover", "+ create inhibit rule cluster down mutes its nodes", "Applied: 5 created, 0 updated."} {
			if !strings.Contains(out, line+"\n") {
				t.Errorf("apply output lacks %q:\n%s", line, out)
			}
		}
		ctx := context.Background()
		windows, err := s.api.ListMaintenanceWindows(ctx)
		if err != nil || len(windows) != 3 {
			t.Fatalf("windows %+v, %v", windows, err)
		}
		byName := map[string]*vigil.MaintenanceWindow{}
		for _, w := range windows {
			byName[w.Name] = w
		}
		patch, staging, failover := byName["patch night"], byName["staging evenings"], byName["db failover"]
		if patch == nil || len(patch.ServiceIDs) != 1 || patch.TimeZone != "Europe/Berlin" || patch.Recurrence == nil ||
			len(patch.Recurrence.Weekdays) != 2 || patch.Recurrence.Weekdays[0] != time.Sunday || patch.Recurrence.At != "01:00" ||
			!patch.Start.Equal(time.Date(2026, 2, 28, 23, 0, 0, 0, time.UTC)) {
			t.Errorf("patch night = %+v", patch)
		}
		if staging == nil || len(staging.ServiceIDs) != 0 || len(staging.Matchers) != 1 || staging.Matchers[0] != `env="staging"` {
			t.Errorf("staging evenings = %+v", staging)
		}
		if failover == nil || failover.Recurrence != nil || !failover.Start.Equal(time.Date(2036, 5, 2, 20, 0, 0, 0, time.UTC)) ||
			!failover.End.Equal(time.Date(2036, 5, 3, 0, 0, 0, 0, time.UTC)) {
			t.Errorf("db failover = %+v", failover)
		}
		rules, err := s.api.ListInhibitRules(ctx)
		if err != nil || len(rules) != 1 || rules[0].Equal[0] != "cluster" {
			t.Fatalf("rules %+v, %v", rules, err)
		}

		// Again, and the export of the server: nothing to do.
		s.clock.Advance(time.Minute)
		applied := s.state()
		if out := s.ok("", "apply", "-f", file); out != "No changes: 5 objects up to date.\n" {
			t.Errorf("second apply:\n%s", out)
		}
		exported := s.ok("", "export")
		if !strings.Contains(exported, "maintenance_windows:") || !strings.Contains(exported, "inhibit_rules:") {
			t.Errorf("export:\n%s", exported)
		}
		if out := s.ok(exported, "apply", "-f", "-"); out != "No changes: 5 objects up to date.\n" {
			t.Errorf("apply of the export:\n%s\nexport:\n%s", out, exported)
		}
		if got := s.state(); got != applied {
			t.Errorf("applying the same objects changed the server:\n%s", cmp.Diff(applied, got))
		}

		// A change shows field by field.
		changed := strings.Replace(strings.Replace(holdsYAML, `at: "01:00", duration: 4h`, `at: "02:00", duration: 3h`, 1),
			"equal: [cluster]", "equal: [cluster, region]", 1)
		want := "~ update maintenance window patch night: weekly\n" +
			"    weekly: sunday,saturday at 01:00 for 4h -> sunday,saturday at 02:00 for 3h\n" +
			"~ update inhibit rule cluster down mutes its nodes: equal\n" +
			"    equal: [cluster] -> [cluster, region]\n" +
			"Plan: 0 to create, 2 to update, 3 unchanged.\n"
		if out := s.ok(changed, "apply", "-f", "-"); out != want+"Applied: 0 created, 2 updated.\n" {
			t.Errorf("apply of a change:\n%s\nwant:\n%s", out, want)
		}
		if w, _ := s.api.GetMaintenanceWindow(ctx, patch.ID); w.Recurrence.At != "02:00" {
			t.Errorf("after the change: %+v", w)
		}

		for _, tc := range []struct{ old, new, want string }{
			{`at: "01:00"`, `at: "1am"`, "maintenance_windows[0].weekly.at: must be a time of day like 22:00"},
			{"services: [payments-api]\n    start: 2026", "services: [payment-api]\n    start: 2026",
				`maintenance_windows[0].services[0]: no service named "payment-api" in the file or on the server`},
			{"weekdays: [sun, saturday]", "weekdays: [sun, caturday]", `maintenance_windows[0].weekly.weekdays[1]: unknown weekday "caturday"`},
			{"time_zone: Europe/Berlin\n    weekly", "time_zone: Europe/Bärlin\n    weekly", "maintenance_windows[0].time_zone: unknown time zone"},
			{"end: 2036-05-03 02:00", "end: 2036-05-02 21:00", "maintenance_windows[2].end: must be after start"},
			{`source_matchers: ['alertname="ClusterDown"']`, `source_matchers: ['alertname']`, "inhibit_rules[0].source_matchers[0]:"},
			{`source_matchers: ['alertname="ClusterDown"']`, `source_matchers: ['team!="db"']`, "inhibit_rules[0].source_matchers: at least one matcher must not match"},
			{"  - name: staging evenings", "  - name: patch night", `maintenance_windows[1].name: duplicate name "patch night"`},
		} {
			if !strings.Contains(holdsYAML, tc.old) {
				t.Fatalf("the file lacks %q", tc.old)
			}
			r := s.cli(strings.Replace(holdsYAML, tc.old, tc.new, 1), "apply", "-f", "-")
			if r.code == 0 || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("%s: exit %d, stderr:\n%s\nwant %q", tc.new, r.code, r.stderr, tc.want)
			}
		}
	})
}
