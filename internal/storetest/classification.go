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
