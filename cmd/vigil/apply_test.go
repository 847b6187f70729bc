package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigil-oss/vigil/internal/app"
	"github.com/vigil-oss/vigil/internal/client"
	"github.com/vigil-oss/vigil/internal/manifest"
	"github.com/vigil-oss/vigil/internal/storetest"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// applyServer is a real server (SQLite, or PostgreSQL) for the apply and
// export tests.
type applyServer struct {
	t       *testing.T
	environ map[string]string
	clock   *vigil.ManualClock
	api     *client.Client
}

// eachBackend runs f against SQLite, and against PostgreSQL when
// VIGIL_TEST_DATABASE_URL is set.
func eachBackend(t *testing.T, f func(t *testing.T, s *applyServer)) {
	t.Run("sqlite", func(t *testing.T) { f(t, startApplyServer(t, "")) })
	t.Run("postgres", func(t *testing.T) {
		if os.Getenv(storetest.TestDatabaseEnv) == "" {
			t.Skip(storetest.TestDatabaseEnv + " not set")
		}
		f(t, startApplyServer(t, storetest.NewPostgresURL(t)))
	})
}

func startApplyServer(t *testing.T, databaseURL string) *applyServer {
	t.Helper()
	clock := vigil.NewManualClock(time.Now().Truncate(time.Second))
	token := vigil.NewSecret(vigil.TokenPrefix)
	a := startServer(t, app.Config{DataDir: t.TempDir(), DatabaseURL: databaseURL, AdminToken: token,
		Clock: clock, EngineInterval: -1})
	return &applyServer{t: t, environ: map[string]string{"VIGIL_URL": a.URL(), "VIGIL_TOKEN": token}, clock: clock,
		api: client.New(a.URL(), token)}
}

// cli runs a command line in-process, with apply and export added to the
// root until main.go lists them.
func (s *applyServer) cli(stdin string, args ...string) result {
	s.t.Helper()
	var out, errb bytes.Buffer
	e := &env{getenv: func(k string) string { return s.environ[k] }, stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb}
	root := newRootCmd(e)
	if c, _, err := root.Find([]string{"apply"}); err != nil || c == root {
		root.AddCommand(newApplyCmd(e), newExportCmd(e))
	}
	root.SetArgs(args)
	root.SetIn(e.stdin)
	root.SetOut(&out)
	root.SetErr(&errb)
	code := 0
	if err := root.ExecuteContext(context.Background()); err != nil {
		code = 1
	}
	return result{code, out.String(), errb.String()}
}

func (s *applyServer) ok(stdin string, args ...string) string {
	s.t.Helper()
	r := s.cli(stdin, args...)
	wantOK(s.t, r)
	return r.stdout
}

// state is everything apply may change, as the API shows it (updated_at
// included, so a write that changes nothing still shows).
func (s *applyServer) state() string {
	s.t.Helper()
	snap, err := fetchSnapshot(context.Background(), s.api)
	if err != nil {
		s.t.Fatal(err)
	}
	b, err := json.MarshalIndent(snap, "", " ")
	if err != nil {
		s.t.Fatal(err)
	}
	return string(b)
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "oncall.yaml")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// teamYAML is the configuration of the tests; the layer started an hour
// ago, so Ana has the first day.
func teamYAML(start time.Time, tz, layerMembers string) string {
	return `
users:
  - name: Ana
    email: ana@example.com
    time_zone: ` + tz + `
    contact_methods:
      - {name: mobile, type: sms, address: +4915112345678}
      - {name: hook, type: webhook, address: "https://hooks.example.com/hook/s3cr3t"}
    notification_rules:
      - {contact_method: mobile, delay: 0}
      - {contact_method: hook, delay: 2m}
  - name: Bob
    email: bob@example.com
teams:
  - name: payments
    description: Money in, money out.
    members: [ana@example.com, bob@example.com]
schedules:
  - name: payments-primary
    time_zone: Europe/Berlin
    team: payments
    layers:
      - name: days
        start: ` + start.UTC().Format(time.RFC3339) + `
        turn_unit: day
        turn_count: 1
        members: ` + layerMembers + `
        restrictions:
          - {kind: weekly, weekday: saturday, start: "00:00", duration: 168h}
escalation_policies:
  - name: payments
    repeat: 1
    steps:
      - delay: 10m
        targets: [{schedule: payments-primary}]
      - delay: 15m
        targets: [{user: bob@example.com}, {team: payments}]
        condition: {weekdays: [monday, tuesday, wednesday, thursday, friday], start: "08:00", end: "20:00", time_zone: Europe/Berlin}
services:
  - name: payments-api
    team: payments
    escalation_policy: payments
  - name: batch
    auto_resolve: false
    grouping: {mode: labels, labels: [alertname, job]}
`
}

func TestApplyAndExport(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *applyServer) {
		start := s.clock.Now().Add(-time.Hour)
		file := writeFile(t, teamYAML(start, "Europe/Berlin", "[ana@example.com]"))
		empty := s.state()

		// A dry run says what it would do and does nothing.
		out := s.ok("", "apply", "-f", file, "--dry-run")
		for _, line := range []string{"+ create user ana@example.com", "+ create user bob@example.com", "+ create team payments",
			"+ create schedule payments-primary", "+ create escalation policy payments", "+ create service payments-api",
			"+ create service batch", "Plan: 7 to create, 0 to update, 0 unchanged.", "Dry run: nothing was changed."} {
			if !strings.Contains(out, line+"\n") {
				t.Errorf("dry run output lacks %q:\n%s", line, out)
			}
		}
		if got := s.state(); got != empty {
			t.Fatalf("--dry-run changed the server:\n%s", got)
		}

		out = s.ok("", "apply", "-f", file)
		if !strings.HasSuffix(out, "Plan: 7 to create, 0 to update, 0 unchanged.\nApplied: 7 created, 0 updated.\n") {
			t.Errorf("apply output:\n%s", out)
		}
		if strings.Contains(out, "s3cr3t") {
			t.Errorf("the plan shows a webhook URL:\n%s", out)
		}

		// What was made: who is on call, and what the API holds.
		oncall := s.ok("", "oncall")
		if !regexp.MustCompile(`(?m)^payments-primary \(\d+\)\s+Ana \(\d+\)`).MatchString(oncall) {
			t.Errorf("oncall:\n%s", oncall)
		}
		if !regexp.MustCompile(`(?m)^payments \(\d+\)\s+Ana$`).MatchString(oncall) {
			t.Errorf("oncall policies:\n%s", oncall)
		}
		ctx := context.Background()
		users, _ := s.api.ListUsers(ctx)
		if len(users) != 2 || users[0].Name != "Ana" || users[0].TimeZone != "Europe/Berlin" || users[1].TimeZone != "UTC" {
			t.Fatalf("users %+v", users)
		}
		ana := users[0]
		methods, _ := s.api.ListContactMethodsRevealed(ctx, ana.ID)
		if len(methods) != 2 || methods[0].Address != "+4915112345678" || methods[1].Address != "https://hooks.example.com/hook/s3cr3t" {
			t.Errorf("contact methods %+v", methods)
		}
		rules, _ := s.api.ListNotificationRules(ctx, ana.ID)
		if len(rules) != 2 || rules[0].ContactMethodID != methods[0].ID || time.Duration(rules[1].Delay) != 2*time.Minute {
			t.Errorf("rules %+v", rules)
		}
		services, _, _ := s.api.ListServices(ctx, client.ServiceQuery{})
		policies, _ := s.api.ListEscalationPolicies(ctx)
		teams, _ := s.api.ListTeams(ctx)
		if len(services) != 2 || len(policies) != 1 || len(teams) != 1 {
			t.Fatalf("services %+v policies %+v teams %+v", services, policies, teams)
		}
		api, batch := services[1], services[0]
		if api.TeamID != teams[0].ID || api.EscalationPolicyID != policies[0].ID || !api.AutoResolve {
			t.Errorf("service %+v", api)
		}
		if batch.AutoResolve || batch.Grouping.Mode != vigil.GroupByLabels || batch.TeamID != 0 {
			t.Errorf("service %+v", batch)
		}
		if c := policies[0].Steps[1].Condition; c == nil || len(c.Weekdays) != 5 || c.Start.String() != "08:00" {
			t.Errorf("policy %+v", policies[0])
		}

		// The same file again: no changes, no writes (the clock moved, so
		// any write would show in an updated_at).
		s.clock.Advance(time.Minute)
		applied := s.state()
		if out := s.ok("", "apply", "-f", file); out != "No changes: 7 objects up to date.\n" {
			t.Errorf("second apply:\n%s", out)
		}
		if got := s.state(); got != applied {
			t.Errorf("applying the same file changed the server:\n%s", cmp.Diff(applied, got))
		}
		out = s.ok("", "apply", "-f", file, "-v")
		if !strings.Contains(out, "= unchanged schedule payments-primary\n") {
			t.Errorf("apply -v:\n%s", out)
		}

		// A changed file updates what changed, and only that.
		changedYAML := strings.Replace(teamYAML(start, "Europe/Lisbon", "[ana@example.com, bob@example.com]"),
			"+4915112345678", "+4915112345679", 1)
		changed := writeFile(t, changedYAML)
		want := "~ update user ana@example.com: time_zone, contact_methods[mobile]\n" +
			"    time_zone: Europe/Berlin -> Europe/Lisbon\n" +
			"    contact_methods[mobile]: sms ••••••••••5678 -> sms ••••••••••5679\n" +
			"~ update schedule payments-primary: layers[0].members\n" +
			"    layers[0].members: [ana@example.com] -> [ana@example.com, bob@example.com]\n" +
			"Plan: 0 to create, 2 to update, 5 unchanged.\n"
		if out := s.ok("", "apply", "-f", changed, "--dry-run"); out != want+"Dry run: nothing was changed.\n" {
			t.Errorf("dry run of the changed file:\n%s\nwant:\n%s", out, want)
		}
		if got := s.state(); got != applied {
			t.Errorf("--dry-run changed the server")
		}
		s.clock.Advance(time.Minute)
		if out := s.ok("", "apply", "-f", changed); out != want+"Applied: 0 created, 2 updated.\n" {
			t.Errorf("apply of the changed file:\n%s\nwant:\n%s", out, want)
		}
		sched, _ := s.api.ListSchedules(ctx)
		if len(sched[0].Layers[0].Members) != 2 || !sched[0].UpdatedAt.Equal(s.clock.Now()) {
			t.Errorf("schedule %+v", sched[0])
		}
		teams2, _ := s.api.ListTeams(ctx)
		policies2, _ := s.api.ListEscalationPolicies(ctx)
		if !teams2[0].UpdatedAt.Equal(teams[0].UpdatedAt) || !policies2[0].UpdatedAt.Equal(policies[0].UpdatedAt) {
			t.Errorf("the team or policy was written though unchanged")
		}
		// The number changed in place: same methods, same rules.
		methods[0].Address = "+4915112345679"
		methods2, _ := s.api.ListContactMethodsRevealed(ctx, ana.ID)
		if d := cmp.Diff(methods, methods2); d != "" {
			t.Errorf("contact methods (-want +got):\n%s", d)
		}
		if rules2, _ := s.api.ListNotificationRules(ctx, ana.ID); cmp.Diff(rules, rules2) != "" {
			t.Errorf("rules changed: %s", cmp.Diff(rules, rules2))
		}

		// Bob's file entry lists no contact methods: his own stay.
		s.ok("", "user", "contact", "add", "bob@example.com", "--type", "email", "--address", "bob@example.com")
		if out := s.ok("", "apply", "-f", changed); out != "No changes: 7 objects up to date.\n" {
			t.Errorf("apply after Bob added a contact method:\n%s", out)
		}

		// export -> apply is a no-op, and the export is the input.
		exported := s.ok("", "export")
		if !strings.Contains(exported, "https://hooks.example.com/hook/s3cr3t") || !strings.HasPrefix(exported, "# Vigil configuration") {
			t.Errorf("export:\n%s", exported)
		}
		if out := s.ok(exported, "apply", "-f", "-"); out != "No changes: 7 objects up to date.\n" {
			t.Errorf("export | apply:\n%s\nexport:\n%s", out, exported)
		}
		input := canonicalByKey(t, changedYAML)
		bob := input["user bob@example.com"].(manifest.User)
		bob.ContactMethods = &[]manifest.ContactMethod{{Name: "email", Type: "email", Address: "bob@example.com"}}
		input["user bob@example.com"] = bob
		if d := cmp.Diff(input, canonicalByKey(t, exported)); d != "" {
			t.Errorf("export differs from the applied file (-applied +exported):\n%s", d)
		}

		// apply -> export -> apply round-trips onto an empty server too.
		other := startApplyServer(t, "")
		other.ok(exported, "apply", "-f", "-")
		if d := cmp.Diff(exported[strings.Index(exported, "\nusers:"):], func() string {
			e := other.ok("", "export")
			return e[strings.Index(e, "\nusers:"):]
		}()); d != "" {
			t.Errorf("export of the copy differs:\n%s", d)
		}
	})
}

// canonicalByKey reads a document into its canonical objects by kind and
// key, so two documents compare regardless of order and spelling.
func canonicalByKey(t *testing.T, doc string) map[string]any {
	t.Helper()
	m, err := manifest.Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	c, err := m.Check()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]any{}
	for _, u := range c.Users {
		out["user "+strings.ToLower(u.Email)] = u
	}
	for _, x := range c.Teams {
		out["team "+x.Name] = x
	}
	for _, x := range c.Schedules {
		out["schedule "+x.Name] = x
	}
	for _, x := range c.EscalationPolicies {
		out["policy "+x.Name] = x
	}
	for _, x := range c.Services {
		out["service "+x.Name] = x
	}
	return out
}

func TestApplyRejectsBadFiles(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *applyServer) {
		start := s.clock.Now().Add(-time.Hour)
		good := teamYAML(start, "Europe/Berlin", "[ana@example.com]")
		s.ok("", "apply", "-f", writeFile(t, good))
		before := s.state()
		// Each bad file also adds a user and changes the team, so a partial
		// apply would show.
		extra := strings.Replace(good, "users:\n", "users:\n  - {name: Carol, email: carol@example.com}\n", 1)
		extra = strings.Replace(extra, "Money in, money out.", "Changed.", 1)
		for _, tc := range []struct {
			name, old, new, want string
		}{
			{"unknown reference", "members: [ana@example.com]\n        restrictions",
				"members: [ana@example.com, zed@example.com]\n        restrictions",
				`schedules[0].layers[0].members[1]: no user with e-mail address "zed@example.com" in the file or on the server (line 28)`},
			{"unknown policy", "escalation_policy: payments", "escalation_policy: paymnets",
				`services[0].escalation_policy: no escalation policy named "paymnets" in the file or on the server`},
			{"unknown contact method", "{contact_method: hook, delay: 2m}", "{contact_method: pager, delay: 2m}",
				`users[1].notification_rules[1].contact_method: no contact method named "pager" in the user's contact_methods`},
			{"bad field", "turn_unit: day", "turn_unit: month", `schedules[0].layers[0].turn_unit: must be one of hour, day, week (line 26)`},
			{"bad duration", "delay: 10m", "delay: 10 minutes", `escalation_policies[0].steps[0].delay: invalid duration "10 minutes"`},
			{"bad address", "address: +4915112345678", "address: 12345",
				"users[1].contact_methods[0].address: must be a phone number in E.164 form"},
			{"unknown field", "turn_count: 1", "turn_count: 1\n        rotation: weekly", "schedules[0].layers[0].rotation: unknown field (line 28)"},
			{"wrong type", "repeat: 1", "repeat: once", "escalation_policies[0].repeat: want a whole number, got text"},
			{"duplicate name", "schedules:", "  - name: payments\nschedules:", `teams[1].name: duplicate name "payments": teams[0] has it too`},
			{"duplicate user", "  - name: Bob\n    email: bob@example.com\n", "  - name: Bob\n    email: bob@example.com\n  - {name: Bobby, email: BOB@example.com}\n",
				`users[3].email: duplicate e-mail address "bob@example.com": users[2] has it too`},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if !strings.Contains(extra, tc.old) {
					t.Fatalf("the file lacks %q", tc.old)
				}
				doc := strings.Replace(extra, tc.old, tc.new, 1)
				r := s.cli(doc, "apply", "-f", "-")
				if r.code == 0 || !strings.Contains(r.stderr, tc.want) || !strings.Contains(r.stderr, "nothing was changed") {
					t.Errorf("exit %d, stderr:\n%s\nwant an error with %q", r.code, r.stderr, tc.want)
				}
				if r.stdout != "" {
					t.Errorf("stdout %q, want nothing (no plan before the file is valid)", r.stdout)
				}
				if got := s.state(); got != before {
					t.Errorf("a bad file changed the server:\n%s", cmp.Diff(before, got))
				}
			})
		}

		r := s.cli("", "apply")
		if r.code == 0 || !strings.Contains(r.stderr, "--file is required") {
			t.Errorf("apply without -f: %+v", r)
		}
		r = s.cli("", "apply", "-f", filepath.Join(t.TempDir(), "missing.yaml"))
		if r.code == 0 || !strings.Contains(r.stderr, "missing.yaml") {
			t.Errorf("apply of a missing file: %+v", r)
		}
	})
}

// Contact methods are matched by name: an address changes in place, a new
// type replaces the method (keeping its rules when the file does not list
// rules), and [] removes them all.
func TestApplyContactMethods(t *testing.T) {
	s := startApplyServer(t, "")
	ctx := context.Background()
	s.ok("", "apply", "-f", writeFile(t, `
users:
  - name: Dan
    email: dan@example.com
    contact_methods: [{name: alert, type: webhook, address: "https://a.example.com/x"}]
    notification_rules: [{contact_method: alert, delay: 1m}]
`))
	users, _ := s.api.ListUsers(ctx)
	before, _ := s.api.ListContactMethods(ctx, users[0].ID)

	next := writeFile(t, `
users:
  - name: Dan
    email: dan@example.com
    contact_methods:
      - {name: alert, type: slack, address: U024BE7LH}
      - {type: email, address: dan@example.com}
`)
	want := "~ update user dan@example.com: contact_methods[alert], contact_methods[email]\n" +
		"    contact_methods[alert]: webhook https://a.example.com/… -> slack U024BE7LH\n" +
		"    contact_methods[email]: (none) -> email dan@example.com\n" +
		"Plan: 0 to create, 1 to update, 0 unchanged.\n" +
		"Applied: 0 created, 1 updated.\n"
	if out := s.ok("", "apply", "-f", next); out != want {
		t.Errorf("apply:\n%s\nwant:\n%s", out, want)
	}
	methods, _ := s.api.ListContactMethods(ctx, users[0].ID)
	if len(before) != 1 || len(methods) != 2 || methods[0].Type != "slack" || methods[1].Name != "email" {
		t.Fatalf("methods before %+v, after %+v", before, methods)
	}
	rules, _ := s.api.ListNotificationRules(ctx, users[0].ID)
	if len(rules) != 1 || rules[0].ContactMethodID != methods[0].ID || time.Duration(rules[0].Delay) != time.Minute {
		t.Errorf("the rule did not move to the new method: %+v", rules)
	}
	if out := s.ok("", "apply", "-f", next); out != "No changes: 1 object up to date.\n" {
		t.Errorf("again:\n%s", out)
	}

	none := writeFile(t, "users: [{name: Dan, email: DAN@example.com, contact_methods: [], notification_rules: []}]\n")
	out := s.ok("", "apply", "-f", none)
	for _, line := range []string{"    email: dan@example.com -> DAN@example.com\n", "    notification_rules: [alert after 1m] -> []\n",
		"    contact_methods[alert]: slack U024BE7LH -> (none)\n"} {
		if !strings.Contains(out, line) {
			t.Errorf("apply output lacks %q:\n%s", line, out)
		}
	}
	if methods, _ := s.api.ListContactMethods(ctx, users[0].ID); len(methods) != 0 {
		t.Errorf("methods left: %+v", methods)
	}
	if out := s.ok("", "apply", "-f", none); out != "No changes: 1 object up to date.\n" {
		t.Errorf("again:\n%s", out)
	}
}

// The example in vigil apply --help is a valid document.
func TestApplyHelpExampleIsValid(t *testing.T) {
	_, rest, ok := strings.Cut(applyHelp, "The document (JSON works too):\n\n")
	doc, _, ok2 := strings.Cut(rest, "\n\nObjects are matched")
	if !ok || !ok2 {
		t.Fatal("the help text has no example document")
	}
	doc = regexp.MustCompile(`(?m)^  `).ReplaceAllString(doc, "")
	m, err := manifest.Parse([]byte(doc))
	if err != nil {
		t.Fatalf("%v\n%s", err, doc)
	}
	c, err := m.Check()
	if err != nil {
		t.Fatal(err)
	}
	p, err := manifest.NewPlan(c, &manifest.Snapshot{})
	if err != nil || p.Count(manifest.Create) != 7 {
		t.Errorf("plan %+v, %v", p, err)
	}
}
