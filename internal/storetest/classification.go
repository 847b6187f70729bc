package storetest

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// RunClassification runs the conformance tests of the classification and
// routing rules applied at ingest.
func RunClassification(t *testing.T, open OpenFunc) {
	tests := []struct {
		name string
		fn   func(t *testing.T, open OpenFunc)
	}{
		{"RulesSaveChecks", testRulesSaveChecks},
		{"RulesClassifyIncident", testRulesClassifyIncident},
		{"RulesLabelsAndRoute", testRulesLabelsAndRoute},
		{"RulesSuppress", testRulesSuppress},
		{"RulesLowUrgencyWaits", testRulesLowUrgency},
		{"RulesBrokenRuleSkipped", testRulesBroken},
		{"DryRunStoresNothing", testDryRun},
		{"BackTestFixture", testBackTest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, open)
		})
	}
}

// rules saves rules (in UTC unless zone says otherwise).
func (e *env) rules(zone string, rules ...vigil.ClassificationRule) *vigil.ClassificationRuleSet {
	e.t.Helper()
	set, err := e.st.SetClassificationRules(e.ctx, vigil.ClassificationRuleSet{TimeZone: zone, Rules: rules}, 0)
	if err != nil {
		e.t.Fatalf("SetClassificationRules: %v", err)
	}
	return set
}

// classifiedLines are the classification lines of an incident's timeline.
func (e *env) classifiedLines(id int64) []string {
	var out []string
	for _, en := range e.timeline(id) {
		if en.Kind == vigil.EntryClassified {
			out = append(out, en.Message)
		}
	}
	return out
}

func testRulesSaveChecks(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	set, err := e.st.ClassificationRules(e.ctx)
	if err != nil || set.Version != 0 || len(set.Rules) != 0 || set.TimeZone != "UTC" {
		t.Fatalf("new database: %+v %v", set, err)
	}
	save := func(zone string, rules ...vigil.ClassificationRule) error {
		_, err := e.st.SetClassificationRules(e.ctx, vigil.ClassificationRuleSet{TimeZone: zone, Rules: rules}, 0)
		return err
	}
	err = save("", vigil.ClassificationRule{Name: "x", When: `labels.env == "prod" &&`})
	fieldIs(t, "bad expression", err, vigil.CodeInvalid, "rules[0].when")
	if err == nil || !strings.Contains(err.Error(), "(1:") {
		t.Errorf("the error should give the position: %v", err)
	}
	fieldIs(t, "not a boolean", save("", vigil.ClassificationRule{Name: "x", When: `summary`}), vigil.CodeInvalid, "rules[0].when")
	fieldIs(t, "unknown service", save("", vigil.ClassificationRule{Name: "x", Set: vigil.ClassificationSet{Service: "nope"}}), vigil.CodeInvalid, "rules[0].set.service")
	fieldIs(t, "unknown team", save("", vigil.ClassificationRule{Name: "x", Set: vigil.ClassificationSet{Team: "nope"}}), vigil.CodeInvalid, "rules[0].set.team")
	fieldIs(t, "unknown group", save("", vigil.ClassificationRule{Name: "a"}, vigil.ClassificationRule{Name: "x", Set: vigil.ClassificationSet{Notify: []string{"Nobody"}}}),
		vigil.CodeInvalid, "rules[1].set.notify[0]")
	fieldIs(t, "bad zone", save("Mars/Base"), vigil.CodeInvalid, "time_zone")
	fieldIs(t, "bad level", save("", vigil.ClassificationRule{Name: "x", Set: vigil.ClassificationSet{Sev: "SEV9"}}), vigil.CodeInvalid, "rules[0].set.sev")

	e.group("Executives", "", mailCh("exec@example.com"))
	e.service("payments", nil)
	saved := e.rules("Europe/Berlin", vigil.ClassificationRule{Name: " pay ", When: `service == "payments"`,
		Set: vigil.ClassificationSet{Sev: "SEV2", Notify: []string{"executives"}}})
	if saved.Version != 1 || saved.TimeZone != "Europe/Berlin" || len(saved.Rules) != 1 || saved.Rules[0].Name != "pay" || saved.UpdatedBy != cliActor.Name {
		t.Errorf("saved: %+v", saved)
	}
	_, err = e.st.SetClassificationRules(e.ctx, vigil.ClassificationRuleSet{}, 7)
	if vigil.ErrorCode(err) != vigil.CodeConflict {
		t.Errorf("stale version: %v, want conflict", err)
	}
	if got, _ := e.st.ClassificationRules(e.ctx); got.Version != 1 || len(got.Rules) != 1 {
		t.Errorf("a refused save changed the rules: %+v", got)
	}
	if got, err := e.st.SetClassificationRules(e.ctx, vigil.ClassificationRuleSet{}, 1); err != nil || got.Version != 2 || len(got.Rules) != 0 {
		t.Errorf("clearing at the current version: %+v %v", got, err)
	}
}

// Rules run in order, a later one overriding an earlier one, and stop
// ends the list; the incident carries the decision and its timeline says
// which rule set what. Security incidents are P1 and private by default.
func testRulesClassifyIncident(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	svc := e.service("payments", func(s *vigil.Service) { s.Grouping = vigil.GroupingRule{Mode: vigil.GroupNone} })
	sec := e.group("Security", "", mailCh("sec@example.com"))
	sec.Security = true // a private incident tells only the security group
	must(t, e.st.UpdateStakeholderGroup(e.ctx, sec))
	e.group("Support", vigil.SeverityCritical, mailCh("support@example.com"))
	e.rules("",
		vigil.ClassificationRule{Name: "base", Set: vigil.ClassificationSet{Sev: "SEV4", Priority: "P4", Type: vigil.TypeOther}},
		vigil.ClassificationRule{Name: "payments-5xx", When: `labels.status == "5xx"`, Set: vigil.ClassificationSet{Sev: "SEV1", Type: vigil.TypeOutage}},
		vigil.ClassificationRule{Name: "auth", When: `summary contains "login"`, Stop: true,
			Set: vigil.ClassificationSet{Type: vigil.TypeSecurity, Priority: "", Notify: []string{"Security"}}},
		vigil.ClassificationRule{Name: "never", Set: vigil.ClassificationSet{Sev: "SEV3"}},
	)

	// base, payments-5xx, auth run; never does not (auth stops the list).
	ev := trigger(svc.ID, "a", "odd login spikes", vigil.SeverityError)
	ev.Labels = map[string]string{"status": "5xx"}
	r := e.send1(ev)
	inc := e.incident(r.IncidentID)
	if inc.Level != "SEV1" || inc.Type != vigil.TypeSecurity || inc.Priority != "P4" || !inc.Private {
		t.Errorf("incident = level %q type %q priority %q private %v", inc.Level, inc.Type, inc.Priority, inc.Private)
	}
	lines := e.classifiedLines(inc.ID)
	want := []string{"sev SEV4 set by rule 'base'", "priority P4 set by rule 'base'", "type other set by rule 'base'",
		"sev SEV1 set by rule 'payments-5xx'", "type outage set by rule 'payments-5xx'",
		"type security set by rule 'auth'", "notify Security set by rule 'auth'", "private by default for security incidents"}
	if !slices.Equal(lines, want) {
		t.Errorf("timeline:\n got %q\nwant %q", lines, want)
	}

	// Without a priority from a rule, a security incident is P1.
	r = e.send1(trigger(svc.ID, "b", "login storm", vigil.SeverityWarning))
	if inc := e.incident(r.IncidentID); r.IncidentID == 0 {
		t.Fatal("no incident")
	} else if inc.ID == 0 || inc.Priority != "P4" {
		// base set P4 first; a rule's priority stands even for security.
		t.Errorf("priority %q, want base's P4", inc.Priority)
	}
	e.rules("", vigil.ClassificationRule{Name: "auth", When: `summary contains "login"`, Set: vigil.ClassificationSet{Type: vigil.TypeSecurity}})
	r = e.send1(trigger(svc.ID, "c", "login storm", vigil.SeverityWarning))
	if r.IncidentID == 0 || r.IncidentNew != true {
		t.Fatalf("result %+v", r)
	}
	if inc := e.incident(r.IncidentID); inc.Priority != "P1" || !inc.Private {
		t.Errorf("security default: priority %q private %v", inc.Priority, inc.Private)
	}
	if lines := e.classifiedLines(r.IncidentID); !slices.Contains(lines, "priority P1 set by default for security incidents") {
		t.Errorf("timeline %q", lines)
	}

	// The group a rule chose hears status updates with the groups that
	// hear about the severity; a plain incident only those.
	u, err := e.st.PostStatusUpdate(e.ctx, inc.ID, vigil.StatusUpdateInput{Message: "looking"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(u.Groups, []string{sec.Name}) {
		t.Errorf("groups told: %v, want the rule's Security (Support hears only critical)", u.Groups)
	}
	plain := e.declared("plain", vigil.SeverityError)
	if _, err := e.st.PostStatusUpdate(e.ctx, plain.ID, vigil.StatusUpdateInput{Message: "x"}); vigil.ErrorCode(err) != vigil.CodeConflict {
		t.Errorf("a plain error incident has nobody to tell: %v", err)
	}
	if plain.Level != "" || plain.Private {
		t.Errorf("declared incidents are not classified: %+v", plain)
	}
}

// A rule's labels count for silences and are stored on the alert; a route
// sends the alert to another service (a team route to the team's first
// service unless it is the team's already).
func testRulesLabelsAndRoute(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	edge := e.service("edge", nil)
	db := e.service("database", nil)
	team := &vigil.Team{Name: "storage"}
	if err := e.st.CreateTeam(e.ctx, team); err != nil {
		t.Fatal(err)
	}
	disk := e.service("disk", func(s *vigil.Service) { s.TeamID = team.ID })
	disk2 := e.service("disk-2", func(s *vigil.Service) { s.TeamID = team.ID })
	e.rules("",
		vigil.ClassificationRule{Name: "tag", Set: vigil.ClassificationSet{Labels: map[string]string{"tier": "gold"}}},
		vigil.ClassificationRule{Name: "db", When: `labels.component == "postgres"`, Set: vigil.ClassificationSet{Service: "database"}},
		vigil.ClassificationRule{Name: "storage", When: `labels.component == "ceph"`, Set: vigil.ClassificationSet{Team: "storage"}},
	)
	ev := trigger(edge.ID, "pg", "replication lag", vigil.SeverityError)
	ev.Labels = map[string]string{"component": "postgres"}
	r := e.send1(ev)
	a := e.alert(r.AlertID)
	if r.RoutedTo != db.ID || a.ServiceID != db.ID || e.incident(r.IncidentID).ServiceID != db.ID {
		t.Errorf("routed to %d, alert on %d, want database %d", r.RoutedTo, a.ServiceID, db.ID)
	}
	if a.Labels["tier"] != "gold" || a.Labels["component"] != "postgres" {
		t.Errorf("labels %v", a.Labels)
	}
	if ev.Labels["tier"] != "" || ev.ServiceID != edge.ID {
		t.Errorf("the caller's event was changed: %+v", ev)
	}
	if lines := e.classifiedLines(r.IncidentID); !slices.Contains(lines, "service database set by rule 'db'") ||
		!slices.Contains(lines, "Routed here from service "+strconv.FormatInt(edge.ID, 10)) {
		t.Errorf("timeline %q", lines)
	}
	// The repeat finds the same alert (dedup happens where it was routed).
	if r2 := e.send1(ev); r2.AlertID != r.AlertID || r2.AlertNew {
		t.Errorf("repeat %+v, first %+v", r2, r)
	}

	ceph := func(svc int64, key string) vigil.EventResult {
		ev := trigger(svc, key, "osd down", vigil.SeverityWarning)
		ev.Labels = map[string]string{"component": "ceph"}
		return e.send1(ev)
	}
	if r := ceph(edge.ID, "c1"); e.alert(r.AlertID).ServiceID != disk.ID {
		t.Errorf("team route from another team's service went to %d, want %d", e.alert(r.AlertID).ServiceID, disk.ID)
	}
	if r := ceph(disk2.ID, "c2"); e.alert(r.AlertID).ServiceID != disk2.ID || r.RoutedTo != 0 {
		t.Errorf("team route kept its own service? %+v", r)
	}

	// A silence on the label a rule adds holds the alert.
	e.silence(time.Hour, nil, eq("tier", "gold"))
	r = e.send1(trigger(edge.ID, "x", "anything", vigil.SeverityCritical))
	if r.SilencedBy == 0 || r.IncidentID != 0 {
		t.Errorf("silenced by the rule's label: %+v", r)
	}
}

// A suppressed alert is stored without an incident, stays suppressed when
// it repeats, and is not released by the sweep; when the rules stop
// suppressing it, its next repeat opens an incident.
func testRulesSuppress(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	svc := e.service("batch", nil)
	e.rules("", vigil.ClassificationRule{Name: "quiet-dev", When: `labels.env == "dev"`, Set: vigil.ClassificationSet{Suppress: true, Sev: "SEV1"}})
	ev := trigger(svc.ID, "dev1", "disk full on dev", vigil.SeverityCritical)
	ev.Labels = map[string]string{"env": "dev"}
	r := e.send1(ev)
	if r.SuppressedBy != "quiet-dev" || r.IncidentID != 0 || !r.AlertNew || !r.Held() {
		t.Fatalf("result %+v", r)
	}
	a := e.alert(r.AlertID)
	if kind, held := a.Held(); !held || kind != "suppressed" || a.SuppressedBy != "quiet-dev" {
		t.Errorf("alert %+v held=%v kind=%q", a, held, kind)
	}
	e.clock.Advance(time.Minute)
	if r2 := e.send1(ev); r2.SuppressedBy != "quiet-dev" || r2.IncidentID != 0 || r2.AlertID != r.AlertID {
		t.Errorf("repeat %+v", r2)
	}
	if n, err := e.st.ReleaseHeldAlerts(e.ctx, 100); err != nil || n != 0 {
		t.Errorf("ReleaseHeldAlerts = %d, %v; a suppressed alert is not released", n, err)
	}
	if list, _ := e.incidents(vigil.IncidentFilter{}); len(list) != 0 {
		t.Fatalf("incidents %v", list)
	}
	e.rules("")
	r3 := e.send1(ev)
	if r3.AlertID != r.AlertID || r3.IncidentID == 0 || !r3.IncidentNew || r3.SuppressedBy != "" {
		t.Errorf("after the rule went: %+v", r3)
	}
	if a := e.alert(r.AlertID); a.SuppressedBy != "" || a.IncidentID != r3.IncidentID {
		t.Errorf("released alert %+v", a)
	}
}

// A low-urgency incident of a service with a policy is not due before the
// next business hours in the rules' zone (t0 is a Saturday).
func testRulesLowUrgency(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	u := &vigil.User{Name: "Ana", Email: "ana@example.com"}
	if err := e.st.CreateUser(e.ctx, u); err != nil {
		t.Fatal(err)
	}
	pol := &vigil.EscalationPolicy{Name: "p", Steps: []vigil.EscalationStep{{Targets: []vigil.Target{{Type: vigil.TargetUser, ID: u.ID}}}}}
	if err := e.st.CreateEscalationPolicy(e.ctx, pol); err != nil {
		t.Fatal(err)
	}
	svc := e.service("reports", func(s *vigil.Service) {
		s.EscalationPolicyID, s.Grouping = pol.ID, vigil.GroupingRule{Mode: vigil.GroupNone}
	})
	e.rules("America/New_York", vigil.ClassificationRule{Name: "later", When: `severity == "warning"`, Set: vigil.ClassificationSet{Urgency: vigil.UrgencyLow}})
	r := e.send1(trigger(svc.ID, "w", "slow report", vigil.SeverityWarning))
	if inc := e.incident(r.IncidentID); inc.Urgency != vigil.UrgencyLow {
		t.Errorf("urgency %q", inc.Urgency)
	}
	monday := time.Date(2026, 3, 16, 9, 0, 0, 0, mustZone(t, "America/New_York"))
	next, err := e.st.NextWakeup(e.ctx)
	if err != nil || next == nil || !next.Equal(monday) {
		t.Errorf("next wakeup %v (%v), want %v", next, err, monday)
	}
	if n, err := e.st.EscalateDue(e.ctx, 10); err != nil || n != 0 {
		t.Errorf("EscalateDue on Saturday = %d, %v", n, err)
	}
	// A high-urgency alert pages at once.
	r = e.send1(trigger(svc.ID, "c", "down", vigil.SeverityCritical))
	if n, err := e.st.EscalateDue(e.ctx, 10); err != nil || n != 1 {
		t.Errorf("EscalateDue for the critical one = %d, %v", n, err)
	}
	e.clock.Set(monday)
	if n, err := e.st.EscalateDue(e.ctx, 10); err != nil || n != 1 {
		t.Errorf("EscalateDue on Monday 09:00 = %d, %v", n, err)
	}
}

// A rule that fails on an alert is skipped (the others still run), and the
// rule set shows it broken with a count until the rules are saved again.
func testRulesBroken(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	svc := e.service("api", func(s *vigil.Service) { s.Grouping = vigil.GroupingRule{Mode: vigil.GroupNone} })
	e.rules("",
		vigil.ClassificationRule{Name: "math", When: `int(labels.code) > 499`, Set: vigil.ClassificationSet{Sev: "SEV1"}},
		vigil.ClassificationRule{Name: "fine", Set: vigil.ClassificationSet{Priority: "P3"}},
	)
	for i, code := range []string{"oops", "nope", "503"} {
		ev := trigger(svc.ID, "k"+strconv.Itoa(i), "x", vigil.SeverityError)
		ev.Labels = map[string]string{"code": code}
		r := e.send1(ev)
		inc := e.incident(r.IncidentID)
		if inc.Priority != "P3" {
			t.Errorf("alert %d: the working rule did not run: %+v", i, inc)
		}
		if wantSev := map[bool]string{true: "SEV1", false: ""}[code == "503"]; inc.Level != wantSev {
			t.Errorf("alert %d: level %q, want %q", i, inc.Level, wantSev)
		}
	}
	set, err := e.st.ClassificationRules(e.ctx)
	if err != nil || len(set.Broken) != 1 || set.Broken[0].Rule != "math" || set.Broken[0].Count != 2 || set.Broken[0].Error == "" {
		t.Fatalf("broken %+v %v", set.Broken, err)
	}
	e.rules("", vigil.ClassificationRule{Name: "fine"})
	if set, _ := e.st.ClassificationRules(e.ctx); len(set.Broken) != 0 {
		t.Errorf("a new version starts clean: %+v", set.Broken)
	}
}

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// A dry run shows the rules, dedup, holds, grouping and the escalation
// steps with whom they page and when, and stores nothing.
func testDryRun(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	var ids []int64
	for _, n := range []string{"Ana", "Bo"} {
		u := &vigil.User{Name: n, Email: strings.ToLower(n) + "@example.com"}
		if err := e.st.CreateUser(e.ctx, u); err != nil {
			t.Fatal(err)
		}
		if err := e.st.CreateContactMethod(e.ctx, &vigil.ContactMethod{UserID: u.ID, Type: vigil.ContactEmail, Address: u.Email}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, u.ID)
	}
	pol := &vigil.EscalationPolicy{Name: "Payments", Steps: []vigil.EscalationStep{
		{Delay: vigil.Duration(10 * time.Minute), Targets: []vigil.Target{{Type: vigil.TargetUser, ID: ids[0]}}},
		{Targets: []vigil.Target{{Type: vigil.TargetUser, ID: ids[1]}}}}}
	if err := e.st.CreateEscalationPolicy(e.ctx, pol); err != nil {
		t.Fatal(err)
	}
	svc := e.service("payments", func(s *vigil.Service) { s.EscalationPolicyID = pol.ID })
	e.rules("", vigil.ClassificationRule{Name: "pay", When: `labels.code == "500"`, Set: vigil.ClassificationSet{Sev: "SEV1"}})

	ev := trigger(svc.ID, "p1", "5xx rate", vigil.SeverityCritical)
	ev.Labels = map[string]string{"code": "500"}
	at := t0.Add(2 * time.Hour)
	d, err := e.st.DryRunEvent(e.ctx, ev, at)
	if err != nil {
		t.Fatal(err)
	}
	if !d.At.Equal(at) || d.ServiceName != "payments" || d.Rules.Level != "SEV1" || !d.Result.IncidentNew {
		t.Errorf("dry run %+v", d)
	}
	want := []string{"Rules: sev SEV1 set by rule 'pay'", `Dedup: a new alert (no alert with key "p1" is firing)`, "Opens a new incident"}
	if !slices.Equal(d.Decisions, want) {
		t.Errorf("decisions\n got %q\nwant %q", d.Decisions, want)
	}
	if len(d.Pages) != 2 || !d.Pages[0].At.Equal(at) || !d.Pages[1].At.Equal(at.Add(10*time.Minute)) ||
		!strings.Contains(strings.Join(d.Pages[0].Lines, "|"), "paging Ana (email)") ||
		!strings.Contains(strings.Join(d.Pages[1].Lines, "|"), "paging Bo (email)") {
		t.Errorf("pages %+v", d.Pages)
	}
	if list, _ := e.incidents(vigil.IncidentFilter{}); len(list) != 0 {
		t.Errorf("a dry run stored incidents: %v", list)
	}
	if list, _ := e.alerts(vigil.AlertFilter{}); len(list) != 0 {
		t.Errorf("a dry run stored alerts: %v", list)
	}

	// Against what is stored: a repeat, and a silenced alert.
	r := e.send1(ev)
	d, err = e.st.DryRunEvent(e.ctx, ev, time.Time{})
	if err != nil || d.Result.IncidentNew || len(d.Pages) != 0 ||
		!slices.Contains(d.Decisions, `Dedup: repeats firing alert `+strconv.FormatInt(r.AlertID, 10)+` (key "p1") of incident #`+strconv.FormatInt(r.IncidentID, 10)+`: no new page`) {
		t.Errorf("repeat dry run %+v %v", d, err)
	}
	sil := e.silence(time.Hour, nil, eq("team", "db"))
	other := trigger(svc.ID, "db", "slow", vigil.SeverityError)
	other.Labels = map[string]string{"team": "db"}
	d, err = e.st.DryRunEvent(e.ctx, other, time.Time{})
	if err != nil || d.Result.SilencedBy != sil.ID || !slices.Contains(d.Decisions, "Silence "+strconv.FormatInt(sil.ID, 10)+" holds it: stored, no incident, no page") {
		t.Errorf("silenced dry run %+v %v", d, err)
	}
	if _, err := e.st.DryRunEvent(e.ctx, &vigil.Event{ServiceID: svc.ID}, time.Time{}); vigil.ErrorCode(err) != vigil.CodeInvalid {
		t.Errorf("an event without a key: %v", err)
	}
}

// The back-test replays stored alerts of the range through the saved and
// the changed rules: a fixture of 6 alerts, 3 from dev (suppressed by the
// saved rules) and 3 from prod, one of them outside the range.
func testBackTest(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	svc := e.service("web", nil)
	e.rules("", vigil.ClassificationRule{Name: "quiet-dev", When: `labels.env == "dev"`, Set: vigil.ClassificationSet{Suppress: true}})
	send := func(key, env string) {
		ev := trigger(svc.ID, key, "cpu high", vigil.SeverityWarning)
		ev.Labels = map[string]string{"env": env}
		e.send1(ev)
		e.clock.Advance(time.Hour)
	}
	send("old", "prod") // before the range
	since := e.clock.Now()
	send("d1", "dev")
	send("d2", "dev")
	send("d3", "dev")
	send("p1", "prod")
	send("p2", "prod")
	until := e.clock.Now()

	// The change: dev alerts page again (as SEV3) and prod warnings are
	// suppressed instead.
	changed := []vigil.ClassificationRule{
		{Name: "dev-sev", When: `labels.env == "dev"`, Set: vigil.ClassificationSet{Sev: "SEV3"}},
		{Name: "quiet-prod-warn", When: `labels.env == "prod" && severity == "warning"`, Set: vigil.ClassificationSet{Suppress: true}},
	}
	res, err := e.st.BackTestRules(e.ctx, vigil.BackTestInput{Rules: changed, Since: &since, Until: &until})
	if err != nil {
		t.Fatal(err)
	}
	if res.Alerts != 5 || res.Changed != 5 || res.PagesAdded != 3 || res.PagesRemoved != 2 || res.Truncated {
		t.Errorf("summary %+v", res)
	}
	if len(res.Changes) != 5 || res.Changes[0].DedupKey != "d1" || !slices.Equal(res.Changes[0].Fields, []string{"paged", "sev"}) ||
		!res.Changes[0].Before.Suppress || res.Changes[0].After.Level != "SEV3" || res.Changes[0].Service != "web" {
		t.Errorf("first change %+v", res.Changes[0])
	}
	if c := res.Changes[3]; c.DedupKey != "p1" || !slices.Equal(c.Fields, []string{"paged"}) || !c.After.Suppress {
		t.Errorf("p1 change %+v", c)
	}
	// The same rules change nothing; a limit truncates.
	same, err := e.st.BackTestRules(e.ctx, vigil.BackTestInput{Rules: []vigil.ClassificationRule{
		{Name: "quiet-dev", When: `labels.env == "dev"`, Set: vigil.ClassificationSet{Suppress: true}}}, Since: &since, Until: &until, Limit: 2})
	if err != nil || same.Changed != 0 || same.Alerts != 2 || !same.Truncated {
		t.Errorf("same rules %+v %v", same, err)
	}
	_, err = e.st.BackTestRules(e.ctx, vigil.BackTestInput{Rules: []vigil.ClassificationRule{{Name: "x", When: "1 +"}}})
	fieldIs(t, "bad rule", err, vigil.CodeInvalid, "rules[0].when")
	_, err = e.st.BackTestRules(e.ctx, vigil.BackTestInput{Since: &until, Until: &since})
	fieldIs(t, "empty range", err, vigil.CodeInvalid, "since")
}
