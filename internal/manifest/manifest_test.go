package manifest

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/vigil-oss/vigil/internal/vigil"
)

func check(t *testing.T, doc string) *Manifest {
	t.Helper()
	m, err := Parse([]byte(doc))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	c, err := m.Check()
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	return c
}

// problems runs Parse, Check and NewPlan (against snap) and returns the
// first error.
func problems(doc string, snap *Snapshot) error {
	m, err := Parse([]byte(doc))
	if err != nil {
		return err
	}
	c, err := m.Check()
	if err != nil {
		return err
	}
	_, err = NewPlan(c, snap)
	return err
}

func TestErrorsNamePathAndLine(t *testing.T) {
	snap := &Snapshot{Users: []*vigil.User{{ID: 1, Name: "Ana", Email: "Ana@example.com", TimeZone: "UTC"}}}
	for _, tc := range []struct{ name, doc, want string }{
		{"unknown top-level field", "user: []\n", `user: unknown field (line 1)`},
		{"unknown nested field", "schedules:\n  - name: a\n    layers:\n      - name: x\n        rotation: 3\n",
			`schedules[0].layers[0].rotation: unknown field (line 5)`},
		{"number for text list", "teams:\n  - name: a\n    members: ana@example.com\n", `teams[0].members: want a list, got text (line 3)`},
		{"text for number", "escalation_policies:\n  - name: a\n    repeat: twice\n", `escalation_policies[0].repeat: want a whole number, got text (line 3)`},
		{"list for text", "teams:\n  - name: [a]\n", `teams[0].name: want text, got a list (line 2)`},
		{"not a mapping", "- a\n", `the document must be a mapping`},
		{"two documents", "users: []\n---\nteams: []\n", `one YAML document is expected`},
		{"duplicate key", "teams:\n  - name: a\n    name: b\n", `mapping key "name" already defined`},
		{"syntax", "teams: [\n", `(line 1)`},
		{"alias", "x: &a 1\n", `anchors and aliases are not supported`},
		{"bare tag (a YAML library panic)", "teams:\n  ! #0\n", `the document could not be read`},
		{"required", "users:\n  - email: a@example.com\n", `users[0].name: is required (line 2)`},
		{"bad time zone", "schedules:\n  - name: s\n    time_zone: Mars/Base\n", `schedules[0].time_zone: unknown time zone "Mars/Base" (line 3)`},
		{"bad start", "schedules:\n  - name: s\n    layers:\n      - {start: soon, turn_unit: day, turn_count: 1, members: [ana@example.com]}\n",
			`schedules[0].layers[0].start: invalid time "soon"`},
		{"bad restriction", "schedules:\n  - name: s\n    layers:\n      - start: 2026-01-01\n        turn_unit: day\n        turn_count: 1\n        members: [ana@example.com]\n        restrictions:\n          - {kind: weekly, weekday: someday, start: \"25:00\", duration: 1h}\n",
			"schedules[0].layers[0].restrictions[0].weekday: unknown weekday \"someday\" (want monday ... sunday) (line 9)\n" +
				"schedules[0].layers[0].restrictions[0].start: invalid time of day \"25:00\", want HH:MM from 00:00 to 23:59 (line 9)"},
		{"daily with weekday", "schedules:\n  - name: s\n    layers:\n      - {start: 2026-01-01, turn_unit: day, turn_count: 1, members: [a@b.co], restrictions: [{kind: daily, weekday: monday, start: \"09:00\", duration: 1h}]}\n",
			`restrictions[0].weekday: is only for weekly restrictions`},
		{"two targets in one", "escalation_policies:\n  - name: p\n    steps: [{targets: [{user: ana@example.com, team: t}]}]\n",
			`escalation_policies[0].steps[0].targets[0]: give exactly one of user (an e-mail address), schedule or team (line 3)`},
		{"short delay", "escalation_policies:\n  - name: p\n    steps:\n      - {delay: 10s, targets: [{user: ana@example.com}]}\n      - {targets: [{user: ana@example.com}]}\n",
			`escalation_policies[0].steps[0].delay: must be at least 1m when another step follows`},
		{"bad grouping", "services:\n  - name: s\n    grouping: {mode: labels}\n", `services[0].grouping.labels: at least one label name is required`},
		{"bad contact address", "users:\n  - name: A\n    email: a@example.com\n    contact_methods:\n      - {type: slack, address: nobody}\n",
			`users[0].contact_methods[0].address: must be a Slack member or channel ID`},
		{"duplicate contact method", "users:\n  - name: A\n    email: a@example.com\n    contact_methods:\n      - {type: email, address: a@example.com}\n      - {type: email, address: b@example.com}\n",
			`users[0].contact_methods[1].name: duplicate contact method name "email": contact_methods[0] has it too (line 6)`},
		{"duplicate rule", "users:\n  - name: A\n    email: a@example.com\n    contact_methods: [{type: email, address: a@example.com}]\n    notification_rules: [{contact_method: email, delay: 60s}, {contact_method: email, delay: 1m}]\n",
			`users[0].notification_rules[1]: duplicate rule: notification_rules[0] reaches "email" after 1m too`},
		{"duplicate member", "teams:\n  - name: t\n    members: [ana@example.com, ANA@example.com]\n", `teams[0].members[1]: ana@example.com is listed twice (also members[0])`},
		{"duplicate service", "services:\n  - name: s\n  - name: s\n", `services[1].name: duplicate name "s": services[0] has it too (line 3)`},
		{"unknown user", "teams:\n  - name: t\n    members: [ana@example.com, bob@example.com]\n",
			`teams[0].members[1]: no user with e-mail address "bob@example.com" in the file or on the server (line 3)`},
		{"unknown schedule and team", "escalation_policies:\n  - name: p\n    team: ops\n    steps:\n      - targets: [{schedule: primary}]\n",
			"escalation_policies[0].team: no team named \"ops\" in the file or on the server (line 3)\n" +
				"escalation_policies[0].steps[0].targets[0].schedule: no schedule named \"primary\" in the file or on the server (line 5)"},
		{"negative storm limit", "services:\n  - name: s\n    storm: {incidents: -1}\n",
			`services[0].storm.incidents: must be between 0 (off) and 10000 (line 3)`},
		{"short storm window", "services:\n  - name: s\n    storm:\n      incidents: 5\n      window: 30s\n",
			`services[0].storm.window: must be between 1m and 24h (line 5)`},
		{"bad flap quiet", "services:\n  - name: s\n    flap:\n      changes: 3\n      quiet: soon\n",
			`services[0].flap.quiet: invalid duration "soon" (want something like 90s, 5m or 1h30m) (line 5)`},
		{"long flap window", "services:\n  - name: s\n    flap: {changes: 3, window: 25h}\n",
			`services[0].flap.window: must be between 1m and 24h (line 3)`},
		{"short auto-pause", "services:\n  - name: s\n    auto_pause: 20s\n",
			`services[0].auto_pause: must be 0 (off) or between 1m and 24h (line 3)`},
		{"storm as text", "services:\n  - name: s\n    storm: lots\n", `services[0].storm: want a mapping (key: value), got text (line 3)`},
		{"duplicate manager", "teams:\n  - name: t\n    managers: [ana@example.com, ANA@example.com]\n", `teams[0].managers[1]: ana@example.com is listed twice (line 3)`},
		{"empty manager", "teams:\n  - name: t\n    managers: [\"\"]\n", `teams[0].managers[0]: is empty (want a user's e-mail address) (line 3)`},
		{"unknown manager", "teams:\n  - name: t\n    managers: [bob@example.com]\n",
			`teams[0].managers[0]: no user with e-mail address "bob@example.com" in the file or on the server (line 3)`},
		{"rule on a method the server lacks", "users:\n  - name: Ana\n    email: ana@example.com\n    notification_rules: [{contact_method: pager}]\n",
			`users[0].notification_rules[0].contact_method: no contact method named "pager" on the server (the file does not list the user's contact_methods)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := problems(tc.doc, snap)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v\nwant %q", err, tc.want)
			}
		})
	}
}

func TestParseReadsTextAsWritten(t *testing.T) {
	m := check(t, `
users:
  - name: 12345
    email: a@example.com
    contact_methods:
      - {name: mobile, type: sms, address: +4915112345678}
schedules:
  - name: yes
    time_zone: Europe/Berlin
    layers:
      - start: 2026-03-02 09:00
        turn_unit: week
        turn_count: 1
        members: [A@Example.com]
        restrictions: [{kind: weekly, weekday: Sat, start: 9:30, duration: 90m}]
`)
	u := m.Users[0]
	if u.Name != "12345" || (*u.ContactMethods)[0].Address != "+4915112345678" || u.TimeZone != "UTC" {
		t.Errorf("user %+v %+v", u, *u.ContactMethods)
	}
	s := m.Schedules[0]
	l := s.Layers[0]
	if s.Name != "yes" || l.Start != "2026-03-02T08:00:00Z" || l.Members[0] != "a@example.com" {
		t.Errorf("schedule %+v", s)
	}
	if r := l.Restrictions[0]; r.Weekday != "saturday" || r.Start != "09:30" || r.Duration != "1h30m" {
		t.Errorf("restriction %+v", r)
	}
}

func TestCheckFillsDefaults(t *testing.T) {
	m := check(t, `
users:
  - {name: A, email: a@example.com, contact_methods: [{type: email, address: a@example.com}], notification_rules: [{contact_method: email}]}
  - {name: B, email: b@example.com}
escalation_policies:
  - name: p
    steps: [{targets: [{user: A@EXAMPLE.COM}], condition: {weekdays: [fri, 1, Monday]}}]
services:
  - name: s
`)
	a, b := m.Users[0], m.Users[1]
	if (*a.ContactMethods)[0].Name != "email" || (*a.NotificationRules)[0].Delay != "0s" {
		t.Errorf("user %+v", a)
	}
	if b.ContactMethods != nil || b.NotificationRules != nil {
		t.Errorf("absent contact methods should stay unmanaged: %+v", b)
	}
	st := m.EscalationPolicies[0].Steps[0]
	if st.Delay != "0s" || st.Targets[0].User != "a@example.com" ||
		!cmp.Equal(st.Condition, &Condition{Weekdays: []string{"monday", "friday"}, Start: "00:00", End: "00:00"}) {
		t.Errorf("step %+v %+v", st, st.Condition)
	}
	s := m.Services[0]
	if !*s.AutoResolve || !cmp.Equal(s.Grouping, &Grouping{Mode: "time", Window: "5m"}) {
		t.Errorf("service %+v %+v", s, s.Grouping)
	}
	if s.Storm != nil || s.Flap != nil || s.AutoPause != "" {
		t.Errorf("noise settings left out should be the server's defaults: %+v %+v %q", s.Storm, s.Flap, s.AutoPause)
	}
}

func TestCheckNoiseSettingsAndManagers(t *testing.T) {
	m := check(t, `
teams:
  - {name: t, members: [b@example.com], managers: [A@Example.com]}
  - {name: r, members: [b@example.com], managers: [a@example.com], responders: [c@example.com, A@example.com]}
services:
  - {name: defaults written out, storm: {incidents: 20, window: 600s}, flap: {changes: 4}, auto_pause: "0"}
  - {name: own, storm: {incidents: 50}, flap: {changes: 6, quiet: 1800s}, auto_pause: 300s}
  - {name: off, storm: {incidents: 0, window: 5m}, flap: {changes: 0, window: 1m, quiet: 1m}}
`)
	if tm := m.Teams[0]; !cmp.Equal(tm.Members, []string{"a@example.com", "b@example.com"}) || !cmp.Equal(tm.Managers, []string{"a@example.com"}) {
		t.Errorf("a manager should be a member too: %+v", tm)
	}
	if tm := m.Teams[1]; !cmp.Equal(tm.Members, []string{"a@example.com", "b@example.com", "c@example.com"}) ||
		!cmp.Equal(tm.Responders, []string{"c@example.com"}) {
		t.Errorf("a responder is a member too, and a manager listed as responder is a manager: %+v", tm)
	}
	def, own, off := m.Services[0], m.Services[1], m.Services[2]
	if def.Storm != nil || def.Flap != nil || def.AutoPause != "" {
		t.Errorf("the defaults written out should read as no setting: %+v %+v %q", def.Storm, def.Flap, def.AutoPause)
	}
	if !cmp.Equal(own.Storm, &Storm{Incidents: 50, Window: "10m"}) || !cmp.Equal(own.Flap, &Flap{Changes: 6, Window: "10m", Quiet: "30m"}) ||
		own.AutoPause != "5m" {
		t.Errorf("own settings with default windows: %+v %+v %q", own.Storm, own.Flap, own.AutoPause)
	}
	if !cmp.Equal(off.Storm, &Storm{}) || !cmp.Equal(off.Flap, &Flap{}) {
		t.Errorf("off keeps no window: %+v %+v", off.Storm, off.Flap)
	}
}

// ids resolves the keys of the snapshot's objects to their IDs.
type ids struct{ s *Snapshot }

func (r ids) UserID(email string) int64 {
	if u := r.s.User(email); u != nil {
		return u.ID
	}
	return 0
}
func (r ids) TeamID(name string) int64     { return r.s.Team(name).ID }
func (r ids) ScheduleID(name string) int64 { return r.s.Schedule(name).ID }
func (r ids) PolicyID(name string) int64   { return r.s.Policy(name).ID }
func (r ids) ServiceID(name string) int64  { return r.s.Service(name).ID }

// TestDomainRoundTrip exports the snapshot, checks the document and turns
// its teams and services back into domain objects: the settings survive.
func TestDomainRoundTrip(t *testing.T) {
	snap := snapshot()
	out, err := Format(snap.Export())
	if err != nil {
		t.Fatal(err)
	}
	m := check(t, string(out))
	for i := range m.Teams {
		got, want := m.Teams[i].Domain(ids{snap}), snap.Teams[i]
		if !cmp.Equal(got.Members, want.Members) || !cmp.Equal(got.Managers, want.Managers) || !cmp.Equal(got.Responders, want.Responders) {
			t.Errorf("team %s: members %v managers %v, want %v %v", want.Name, got.Members, got.Managers, want.Members, want.Managers)
		}
	}
	for i := range m.Services {
		got, want := m.Services[i].Domain(ids{snap}), snap.Services[i]
		want.Normalize()
		if d := cmp.Diff(want, got, cmpopts.IgnoreFields(vigil.Service{}, "ID")); d != "" {
			t.Errorf("service %s (-server +file):\n%s", want.Name, d)
		}
	}
}

// snapshot is a server with one of everything.
func snapshot() *Snapshot {
	start := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	return &Snapshot{
		Users: []*vigil.User{
			{ID: 1, Name: "Ana", Email: "Ana@example.com", TimeZone: "Europe/Berlin"},
			{ID: 2, Name: "Bob", Email: "bob@example.com", TimeZone: "UTC"},
		},
		ContactMethods: map[int64][]*vigil.ContactMethod{1: {
			{ID: 10, UserID: 1, Name: "mobile", Type: "sms", Address: "+4915112345678"},
			{ID: 11, UserID: 1, Name: "hook", Type: "webhook", Address: "https://hooks.example.com/secret-1", Disabled: true},
		}},
		NotificationRules: map[int64][]*vigil.NotificationRule{1: {
			{ID: 20, UserID: 1, ContactMethodID: 10, Delay: 0},
			{ID: 21, UserID: 1, ContactMethodID: 11, Delay: vigil.Duration(5 * time.Minute)},
		}},
		Teams: []*vigil.Team{{ID: 1, Name: "payments", Description: "Money: in & out\n\"quoted\"\n", Members: []int64{1, 2}, Managers: []int64{1}, Responders: []int64{2}}},
		Schedules: []*vigil.Schedule{{ID: 1, Name: "primary", TimeZone: "Europe/Berlin", TeamID: 1, Layers: []vigil.Layer{{
			Name: "weekly", Start: start, TurnUnit: "week", TurnCount: 1, Members: []int64{1, 2, 1},
			Restrictions: []vigil.Restriction{{Kind: "daily", Start: 9 * 60, Duration: vigil.Duration(8 * time.Hour)},
				{Kind: "weekly", Weekday: time.Sunday, Start: 0, Duration: vigil.Duration(24 * time.Hour)}},
		}}}},
		Policies: []*vigil.EscalationPolicy{{ID: 1, Name: "payments", Repeat: 2, TeamID: 1, Steps: []vigil.EscalationStep{
			{Delay: vigil.Duration(10 * time.Minute), Targets: []vigil.Target{{Type: "schedule", ID: 1}},
				Condition: &vigil.StepCondition{TimeZone: "Europe/Berlin", Weekdays: []time.Weekday{time.Monday}, Start: 8 * 60, End: 18 * 60}},
			{Delay: vigil.Duration(15 * time.Minute), Targets: []vigil.Target{{Type: "user", ID: 2}, {Type: "team", ID: 1}}},
		}}},
		Services: []*vigil.Service{
			{ID: 1, Name: "api: yes", Grouping: vigil.GroupingRule{Mode: "time", Window: vigil.Duration(5 * time.Minute),
				Storm: &vigil.StormLimit{Incidents: 50, Window: vigil.Duration(5 * time.Minute)}}, AutoResolve: true,
				TeamID: 1, EscalationPolicyID: 1, Flap: &vigil.FlapSettings{Changes: 6, Window: vigil.Duration(10 * time.Minute), Quiet: vigil.Duration(30 * time.Minute)},
				AutoPause: vigil.Duration(5 * time.Minute)},
			{ID: 2, Name: "123", Description: "  spaced  ", Grouping: vigil.GroupingRule{Mode: "labels", Labels: []string{"job"}, Storm: &vigil.StormLimit{}},
				Flap: &vigil.FlapSettings{}},
		},
	}
}

func TestExportAppliesAsNoChange(t *testing.T) {
	snap := snapshot()
	out, err := Format(snap.Export())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`start: "2026-03-02T09:00:00+01:00"`, `address: "+4915112345678"`, "- name: \"123\"", "weekday: sunday",
		"managers:\n      - Ana@example.com", "responders:\n      - bob@example.com", "storm:\n      incidents: 50\n      window: 5m", "flap:\n      changes: 6\n      window: 10m\n      quiet: 30m",
		"auto_pause: 5m", "storm:\n      incidents: 0\n", "flap:\n      changes: 0\n"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("export lacks %q:\n%s", want, out)
		}
	}
	p, err := NewPlan(check(t, string(out)), snap)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Empty() || len(p.Changes) != 7 {
		t.Errorf("export then plan: %+v\n%s", p.Changes, out)
	}
}

func TestPlanLists(t *testing.T) {
	snap := snapshot()
	base, err := Format(snap.Export())
	if err != nil {
		t.Fatal(err)
	}
	edit := func(pairs ...string) string {
		s := string(base)
		for i := 0; i < len(pairs); i += 2 {
			if !strings.Contains(s, pairs[i]) {
				t.Fatalf("the export lacks %q:\n%s", pairs[i], s)
			}
			s = strings.Replace(s, pairs[i], pairs[i+1], 1)
		}
		return s
	}
	for _, tc := range []struct {
		name string
		doc  string
		want []Change
	}{
		{"e-mail matched ignoring case, secret address change masked",
			edit("email: Ana@example.com", "email: ana@example.com", "secret-1", "secret-2", "members:\n          - Ana@example.com\n          - bob@example.com\n          - Ana@example.com",
				"members:\n          - ana@example.com\n          - bob@example.com"),
			[]Change{
				{Action: Update, Kind: KindUser, Key: "ana@example.com", Fields: []FieldChange{
					{"email", "Ana@example.com", "ana@example.com"},
					{"contact_methods[hook]", "webhook https://hooks.example.com/… (disabled)", "webhook https://hooks.example.com/… (disabled) (changed)"},
				}},
				{Action: Unchanged, Kind: KindUser, Key: "bob@example.com"},
				{Action: Unchanged, Kind: KindTeam, Key: "payments"},
				{Action: Update, Kind: KindSchedule, Key: "primary", Fields: []FieldChange{
					{"layers[0].members", "[ana@example.com, bob@example.com, ana@example.com]", "[ana@example.com, bob@example.com]"}}},
				{Action: Unchanged, Kind: KindPolicy, Key: "payments"},
				{Action: Unchanged, Kind: KindService, Key: "api: yes"},
				{Action: Unchanged, Kind: KindService, Key: "123"},
			}},
		{"contact methods left out are not compared; a new layer and service",
			"users:\n  - {name: Ana, email: Ana@example.com, time_zone: Europe/Berlin}\n" +
				"schedules:\n  - name: primary\n    time_zone: Europe/Berlin\n    team: payments\n    layers:\n" +
				"      - {name: weekly, start: 2026-03-02 09:00, turn_unit: week, turn_count: 1, members: [ana@example.com, bob@example.com, ana@example.com]," +
				" restrictions: [{kind: daily, start: \"09:00\", duration: 8h}, {kind: weekly, weekday: 0, start: \"00:00\", duration: 24h}]}\n" +
				"      - {start: 2026-03-07, turn_unit: day, turn_count: 2, members: [bob@example.com]}\n" +
				"services:\n  - {name: new, team: payments}\n",
			[]Change{
				{Action: Unchanged, Kind: KindUser, Key: "Ana@example.com"},
				{Action: Update, Kind: KindSchedule, Key: "primary", Fields: []FieldChange{
					{"layers[1].name", "(none)", `""`},
					{"layers[1].start", "(none)", "2026-03-06T23:00:00Z"},
					{"layers[1].turn_unit", "(none)", "day"},
					{"layers[1].turn_count", "(none)", "2"},
					{"layers[1].members", "(none)", "[bob@example.com]"},
					{"layers[1].restrictions", "(none)", "[]"},
				}},
				{Action: Create, Kind: KindService, Key: "new"},
			}},
		{"fields left out take their defaults",
			"services:\n  - {name: \"api: yes\"}\nescalation_policies:\n  - name: payments\n    steps: [{targets: [{user: bob@example.com}]}]\n",
			[]Change{
				{Action: Update, Kind: KindPolicy, Key: "payments", Fields: []FieldChange{
					{"team", "payments", "(none)"},
					{"repeat", "2", "0"},
					{"steps[0].delay", "10m", "0s"},
					{"steps[0].targets", "[schedule primary]", "[user bob@example.com]"},
					{"steps[0].condition", "monday 08:00-18:00 Europe/Berlin", "(none)"},
					{"steps[1].delay", "15m", "(none)"},
					{"steps[1].targets", "[user bob@example.com, team payments]", "(none)"},
					{"steps[1].condition", "(none)", "(none)"},
				}},
				{Action: Update, Kind: KindService, Key: "api: yes", Fields: []FieldChange{
					{"team", "payments", "(none)"},
					{"escalation_policy", "payments", "(none)"},
					{"storm", "50 in 5m", "default (20 in 10m)"},
					{"flap", "more than 6 in 10m, quiet 30m", "default (more than 4 in 10m, quiet 15m)"},
					{"auto_pause", "5m", "off"},
				}},
			}},
		{"noise settings and managers changed",
			edit("incidents: 50", "incidents: 40", "auto_pause: 5m", "auto_pause: 1h", "flap:\n      changes: 0", "flap:\n      changes: 3\n      quiet: 1h",
				"managers:\n      - Ana@example.com", "managers:\n      - bob@example.com", "responders:\n      - bob@example.com", "responders:\n      - Ana@example.com"),
			[]Change{
				{Action: Unchanged, Kind: KindUser, Key: "Ana@example.com"},
				{Action: Unchanged, Kind: KindUser, Key: "bob@example.com"},
				{Action: Update, Kind: KindTeam, Key: "payments", Fields: []FieldChange{{"managers", "[ana@example.com]", "[bob@example.com]"},
					{"responders", "[bob@example.com]", "[ana@example.com]"}}},
				{Action: Unchanged, Kind: KindSchedule, Key: "primary"},
				{Action: Unchanged, Kind: KindPolicy, Key: "payments"},
				{Action: Update, Kind: KindService, Key: "api: yes", Fields: []FieldChange{
					{"storm", "50 in 5m", "40 in 5m"},
					{"auto_pause", "5m", "1h"},
				}},
				{Action: Update, Kind: KindService, Key: "123", Fields: []FieldChange{
					{"flap", "off", "more than 3 in 10m, quiet 1h"},
				}},
			}},
		{"rules compared as a set",
			"users:\n  - name: Ana\n    email: Ana@example.com\n    time_zone: Europe/Berlin\n    notification_rules: [{contact_method: hook, delay: 300s}, {contact_method: mobile, delay: 1m}]\n",
			[]Change{{Action: Update, Kind: KindUser, Key: "Ana@example.com", Fields: []FieldChange{
				{"notification_rules", "[mobile after 0s, hook after 5m]", "[mobile after 1m, hook after 5m]"}}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := NewPlan(check(t, tc.doc), snap)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, p.Changes, cmpopts.IgnoreFields(Change{}, "Desired")); d != "" {
				t.Errorf("plan (-want +got):\n%s", d)
			}
		})
	}
}

func TestParseWeekday(t *testing.T) {
	for in, want := range map[string]time.Weekday{"sunday": 0, "Sun": 0, "0": 0, "MONDAY": 1, "sat": 6, "6": 6} {
		if got, ok := parseWeekday(in); !ok || got != want {
			t.Errorf("%s: %v %v", in, got, ok)
		}
	}
	for _, in := range []string{"", "7", "-1", "mo", "someday"} {
		if _, ok := parseWeekday(in); ok {
			t.Errorf("%q parsed", in)
		}
	}
}

func TestEmptyDocument(t *testing.T) {
	for _, doc := range []string{"", "  \n", "# nothing\n", "{}\n", "~\n"} {
		p, err := NewPlan(check(t, doc), snapshot())
		if err != nil || len(p.Changes) != 0 {
			t.Errorf("%q: %v %+v", doc, err, p)
		}
	}
}
