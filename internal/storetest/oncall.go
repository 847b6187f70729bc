package storetest

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// fieldIs fails unless err is CodeInvalid (or code) naming field.
func fieldIs(t *testing.T, what string, err error, code, field string) {
	t.Helper()
	var ve *vigil.Error
	if !errors.As(err, &ve) || ve.Code != code || ve.Field != field {
		t.Errorf("%s: got %v, want %s on field %q", what, err, code, field)
	}
}

// The on-call configuration: users, contact methods, rules, teams,
// schedules, overrides and policies are stored as given, refuse bad input
// by field and dangling references, and deleting a person takes them out
// of rotations and policies without breaking either.
func testOnCallConfig(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	ctx, st := e.ctx, e.st

	ana := &vigil.User{Name: "Ana", Email: "ana@example.com", TimeZone: "Europe/Berlin"}
	if err := st.CreateUser(ctx, ana); err != nil {
		t.Fatal(err)
	}
	bo := &vigil.User{Name: "Bo", Email: "bo@example.com"}
	if err := st.CreateUser(ctx, bo); err != nil {
		t.Fatal(err)
	}
	if bo.TimeZone != "UTC" || !bo.CreatedAt.Equal(t0) {
		t.Errorf("defaults: %+v", bo)
	}
	fieldIs(t, "same e-mail in other case", st.CreateUser(ctx, &vigil.User{Name: "X", Email: "ANA@example.com"}), vigil.CodeConflict, "email")
	fieldIs(t, "bad e-mail", st.CreateUser(ctx, &vigil.User{Name: "X", Email: "nope"}), vigil.CodeInvalid, "email")
	fieldIs(t, "bad zone", st.CreateUser(ctx, &vigil.User{Name: "X", Email: "x@example.com", TimeZone: "Mars/Base"}), vigil.CodeInvalid, "time_zone")

	sms := &vigil.ContactMethod{UserID: ana.ID, Type: vigil.ContactSMS, Address: "+4915112345678"}
	if err := st.CreateContactMethod(ctx, sms); err != nil {
		t.Fatal(err)
	}
	fieldIs(t, "bad number", st.CreateContactMethod(ctx, &vigil.ContactMethod{UserID: ana.ID, Type: vigil.ContactSMS, Address: "0151"}), vigil.CodeInvalid, "address")
	fieldIs(t, "bad type", st.CreateContactMethod(ctx, &vigil.ContactMethod{UserID: ana.ID, Type: "pager", Address: "x"}), vigil.CodeInvalid, "type")
	if err := st.CreateContactMethod(ctx, &vigil.ContactMethod{UserID: 999, Type: vigil.ContactEmail, Address: "a@b.example"}); vigil.ErrorCode(err) != vigil.CodeNotFound {
		t.Errorf("contact method for a missing user: %v", err)
	}
	fieldIs(t, "rule on another user's method", st.CreateNotificationRule(ctx, &vigil.NotificationRule{UserID: bo.ID, ContactMethodID: sms.ID}),
		vigil.CodeInvalid, "contact_method_id")
	rule := &vigil.NotificationRule{UserID: ana.ID, ContactMethodID: sms.ID, Delay: vigil.Duration(2 * time.Minute)}
	if err := st.CreateNotificationRule(ctx, rule); err != nil {
		t.Fatal(err)
	}
	if rules, _ := st.ListNotificationRules(ctx, ana.ID); len(rules) != 1 || time.Duration(rules[0].Delay) != 2*time.Minute {
		t.Errorf("rules %+v", rules)
	}

	team := &vigil.Team{Name: "payments", Members: []int64{ana.ID, bo.ID, ana.ID}}
	if err := st.CreateTeam(ctx, team); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.FindTeam(ctx, team.ID); !slices.Equal(got.Members, []int64{ana.ID, bo.ID}) {
		t.Errorf("members %v", got.Members)
	}
	fieldIs(t, "unknown member", st.CreateTeam(ctx, &vigil.Team{Name: "x", Members: []int64{999}}), vigil.CodeInvalid, "members")
	fieldIs(t, "unknown manager", st.CreateTeam(ctx, &vigil.Team{Name: "x", Managers: []int64{999}}), vigil.CodeInvalid, "members")
	// A manager is a member too; the roles survive an update and a re-read.
	ops := &vigil.Team{Name: "ops", Members: []int64{bo.ID}, Managers: []int64{ana.ID}}
	if err := st.CreateTeam(ctx, ops); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.FindTeam(ctx, ops.ID); !slices.Equal(got.Members, []int64{ana.ID, bo.ID}) || !slices.Equal(got.Managers, []int64{ana.ID}) {
		t.Errorf("ops members %v managers %v", got.Members, got.Managers)
	}
	ops.Managers = []int64{bo.ID}
	if err := st.UpdateTeam(ctx, ops); err != nil {
		t.Fatal(err)
	}
	if teams, _ := st.ListTeams(ctx); len(teams) != 2 || !slices.Equal(teams[0].Managers, []int64{bo.ID}) || len(teams[1].Managers) != 0 {
		t.Errorf("teams after making Bo the manager: %+v %+v", teams[0], teams[1])
	}
	// Responders per team: Ana responds (made a member if she was not);
	// listed as manager and responder, Bo is a manager (the stronger
	// role), which responds too.
	ops.Members, ops.Managers, ops.Responders = []int64{bo.ID}, []int64{bo.ID}, []int64{ana.ID, bo.ID}
	if err := st.UpdateTeam(ctx, ops); err != nil {
		t.Fatal(err)
	}
	gotOps, err := st.FindTeam(ctx, ops.ID)
	if err != nil || !slices.Equal(gotOps.Members, []int64{ana.ID, bo.ID}) || !slices.Equal(gotOps.Managers, []int64{bo.ID}) ||
		!slices.Equal(gotOps.Responders, []int64{ana.ID}) {
		t.Errorf("ops with a responder: %+v, %v", gotOps, err)
	} else if !gotOps.Grants(ana.ID, vigil.PermRespond) || gotOps.Grants(ana.ID, vigil.PermManage) || !gotOps.Grants(bo.ID, vigil.PermRespond) {
		t.Errorf("Grants: Ana responds only, Bo manages and responds: %+v", gotOps)
	}
	if teams, _ := st.ListTeams(ctx); len(teams) != 2 || !slices.Equal(teams[0].Responders, []int64{ana.ID}) || teams[1].Responders == nil {
		t.Errorf("listed teams' responders: %+v", teams)
	}
	fieldIs(t, "unknown responder", st.CreateTeam(ctx, &vigil.Team{Name: "x", Responders: []int64{999}}), vigil.CodeInvalid, "members")
	fieldIs(t, "bad responder id", st.CreateTeam(ctx, &vigil.Team{Name: "x", Responders: []int64{-1}}), vigil.CodeInvalid, "responders")
	if err := st.DeleteTeam(ctx, ops.ID); err != nil {
		t.Fatal(err)
	}

	sched := &vigil.Schedule{Name: "primary", TimeZone: "Europe/Berlin", TeamID: team.ID, Layers: []vigil.Layer{{Name: "week",
		Start: t0, TurnUnit: vigil.UnitWeek, TurnCount: 1, Members: []int64{ana.ID, bo.ID},
		Restrictions: []vigil.Restriction{{Kind: vigil.RestrictDaily, Start: 9 * 60, Duration: vigil.Duration(8 * time.Hour)}}}}}
	if err := st.CreateSchedule(ctx, sched); err != nil {
		t.Fatal(err)
	}
	got, err := st.FindSchedule(ctx, sched.ID)
	if err != nil || got.Name != "primary" || len(got.Layers) != 1 || !got.Layers[0].Start.Equal(t0) || got.Layers[0].Restrictions[0].Start != 9*60 {
		t.Errorf("schedule round trip: %+v %v", got, err)
	}
	bad := *sched
	bad.ID, bad.Name = 0, "other"
	bad.Layers = []vigil.Layer{{Start: t0, TurnUnit: vigil.UnitDay, TurnCount: 1, Members: []int64{999}}}
	fieldIs(t, "unknown layer member", st.CreateSchedule(ctx, &bad), vigil.CodeInvalid, "layers[0].members")
	bad.Layers[0].TurnUnit = "fortnight"
	fieldIs(t, "bad unit", st.CreateSchedule(ctx, &bad), vigil.CodeInvalid, "layers[0].turn_unit")
	dup := *sched
	dup.ID = 0
	fieldIs(t, "taken name", st.CreateSchedule(ctx, &dup), vigil.CodeConflict, "name")

	o1 := &vigil.Override{ScheduleID: sched.ID, UserID: bo.ID, Start: t0.Add(time.Hour), End: t0.Add(3 * time.Hour)}
	if err := st.CreateOverride(ctx, o1); err != nil {
		t.Fatal(err)
	}
	fieldIs(t, "override ends first", st.CreateOverride(ctx, &vigil.Override{ScheduleID: sched.ID, UserID: bo.ID, Start: t0, End: t0}), vigil.CodeInvalid, "end")
	if list, _ := st.ListOverrides(ctx, sched.ID, t0.Add(3*time.Hour), t0.Add(4*time.Hour)); len(list) != 0 {
		t.Errorf("an override ending at the window's start overlaps it: %v", list)
	}
	if list, _ := st.ListOverrides(ctx, sched.ID, t0, t0.Add(2*time.Hour)); len(list) != 1 || list[0].UserID != bo.ID {
		t.Errorf("overrides in window: %v", list)
	}

	pol := &vigil.EscalationPolicy{Name: "pay", Repeat: 1, Steps: []vigil.EscalationStep{
		{Delay: vigil.Duration(5 * time.Minute), Targets: []vigil.Target{{Type: vigil.TargetSchedule, ID: sched.ID}}},
		{Delay: vigil.Duration(5 * time.Minute), Targets: []vigil.Target{{Type: vigil.TargetUser, ID: bo.ID}, {Type: vigil.TargetTeam, ID: team.ID}}}}}
	if err := st.CreateEscalationPolicy(ctx, pol); err != nil {
		t.Fatal(err)
	}
	badPol := &vigil.EscalationPolicy{Name: "bad", Steps: []vigil.EscalationStep{{Targets: []vigil.Target{{Type: vigil.TargetUser, ID: 999}}}}}
	fieldIs(t, "unknown target", st.CreateEscalationPolicy(ctx, badPol), vigil.CodeInvalid, "steps[0].targets[0].id")

	fieldIs(t, "service with unknown policy", st.CreateService(ctx, &vigil.Service{Name: "x", EscalationPolicyID: 999}), vigil.CodeInvalid, "escalation_policy_id")
	svc := e.service("checkout", func(s *vigil.Service) { s.EscalationPolicyID, s.TeamID = pol.ID, team.ID })
	if s, _ := st.FindServiceByID(ctx, svc.ID); s.EscalationPolicyID != pol.ID || s.TeamID != team.ID {
		t.Errorf("service refs %+v", s)
	}
	if err := st.DeleteEscalationPolicy(ctx, pol.ID); vigil.ErrorCode(err) != vigil.CodeConflict {
		t.Errorf("deleting a policy a service uses: %v", err)
	}
	if err := st.DeleteSchedule(ctx, sched.ID); vigil.ErrorCode(err) != vigil.CodeConflict {
		t.Errorf("deleting a schedule a policy pages: %v", err)
	}

	// Bo leaves: out of the rotation, the policy step and the team; his
	// override goes with him.
	if err := st.DeleteUser(ctx, bo.ID); err != nil {
		t.Fatal(err)
	}
	if s, _ := st.FindSchedule(ctx, sched.ID); !slices.Equal(s.Layers[0].Members, []int64{ana.ID}) {
		t.Errorf("layer members after deleting Bo: %v", s.Layers[0].Members)
	}
	if p, _ := st.FindEscalationPolicy(ctx, pol.ID); len(p.Steps[1].Targets) != 1 || p.Steps[1].Targets[0].Type != vigil.TargetTeam {
		t.Errorf("step 2 after deleting Bo: %+v", p.Steps[1].Targets)
	}
	if tm, _ := st.FindTeam(ctx, team.ID); !slices.Equal(tm.Members, []int64{ana.ID}) {
		t.Errorf("team after deleting Bo: %v", tm.Members)
	}
	if list, _ := st.ListOverrides(ctx, sched.ID, t0, t0.Add(24*time.Hour)); len(list) != 0 {
		t.Errorf("Bo's override survived him: %v", list)
	}
	// Deleting the team leaves the policy with an empty step rather than
	// a silently shorter policy.
	if err := st.DeleteTeam(ctx, team.ID); err != nil {
		t.Fatal(err)
	}
	if p, _ := st.FindEscalationPolicy(ctx, pol.ID); len(p.Steps) != 2 || len(p.Steps[1].Targets) != 0 {
		t.Errorf("policy after deleting the team: %+v", p.Steps)
	}
	if s, _ := st.FindServiceByID(ctx, svc.ID); s.TeamID != 0 {
		t.Errorf("service keeps a deleted team: %d", s.TeamID)
	}
}

// testManualNotifications: messages queued by hand (a team page) are
// stored all together or not at all.
func testManualNotifications(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	ctx, st := e.ctx, e.st
	ana := &vigil.User{Name: "Ana", Email: "ana@example.com"}
	if err := st.CreateUser(ctx, ana); err != nil {
		t.Fatal(err)
	}
	page := func(address string) *vigil.Notification {
		return &vigil.Notification{Kind: vigil.MessageManual, Title: "db down", UserID: ana.ID,
			DestType: vigil.ContactWebhook, DestAddress: address}
	}
	one, two := page("https://a.example/hook"), page("https://b.example/hook")
	if err := st.CreateNotifications(ctx, one, two); err != nil {
		t.Fatal(err)
	}
	if one.ID == 0 || two.ID == 0 || one.ID == two.ID || one.Status != vigil.NotificationPending || !one.DueAt.Equal(t0) {
		t.Fatalf("created %+v and %+v", one, two)
	}
	fieldIs(t, "one of three without an address", st.CreateNotifications(ctx, page("https://c.example/hook"), page(""), page("https://d.example/hook")),
		vigil.CodeInvalid, "contact_method_id")
	got, err := st.FindNotifications(ctx, vigil.NotificationFilter{UserID: &ana.ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("after a refused batch %d notifications are stored, want the first 2", len(got))
	}
	if err := st.CreateNotifications(ctx); err != nil {
		t.Errorf("an empty batch: %v", err)
	}
}
