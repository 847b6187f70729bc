package storetest

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// Private incidents (catalog H8): a private incident is seen only by its
// responders (who acted on it or were paged about it), the managers of its
// service's team, members of a security stakeholder group and admins.
// Everyone else gets "not found" from every read path, as if it did not
// exist; a context that names no viewer sees public incidents only.

// privateScene is one private incident and one public incident of a
// service with a team, and a context for each kind of reader.
type privateScene struct {
	e        *env
	inc, pub *vigil.Incident
	alertID  int64
	// may see the private incident, and may not.
	allowed, denied map[string]context.Context
}

// as is a context of user u reading as themselves.
func (e *env) as(u *vigil.User) context.Context {
	ctx := vigil.WithActor(context.Background(), vigil.Actor{Kind: vigil.ActorUser, ID: u.ID, Name: u.Name, Source: vigil.SourceWeb})
	return vigil.WithViewer(ctx, vigil.Viewer{UserID: u.ID})
}

func newPrivateScene(t *testing.T, open OpenFunc) *privateScene {
	e := setup(t, open)
	st := e.st
	responder, paged, manager := e.user("Rita", "rita@example.com"), e.user("Paul", "paul@example.com"), e.user("Mona", "mona@example.com")
	sec, stranger, otherMgr := e.user("Sam", "sam@example.com"), e.user("Stan", "stan@example.com"), e.user("Olga", "olga@example.com")
	support := e.user("Sue", "sue@example.com")

	team := &vigil.Team{Name: "payments", Members: []int64{manager.ID, stranger.ID}, Managers: []int64{manager.ID}}
	must(t, st.CreateTeam(e.ctx, team))
	other := &vigil.Team{Name: "search", Members: []int64{otherMgr.ID}, Managers: []int64{otherMgr.ID}}
	must(t, st.CreateTeam(e.ctx, other))
	svc := e.service("payments", func(s *vigil.Service) {
		s.TeamID = team.ID
		s.Grouping = vigil.GroupingRule{Mode: vigil.GroupNone}
	})

	secGroup := e.group("Security", "", mailCh("sec@example.com"))
	secGroup.Security, secGroup.Members = true, []int64{sec.ID}
	must(t, st.UpdateStakeholderGroup(e.ctx, secGroup))
	plainGroup := e.group("Support", vigil.SeverityInfo, mailCh("support@example.com"))
	plainGroup.Members = []int64{support.ID}
	must(t, st.UpdateStakeholderGroup(e.ctx, plainGroup))

	r := e.send1(trigger(svc.ID, "breach", "credential breach on login", vigil.SeverityCritical))
	pub := e.send1(trigger(svc.ID, "disk", "disk filling", vigil.SeverityWarning))
	// Rita acknowledges while it is still public; Paul is paged about it.
	if _, err := st.AcknowledgeIncident(e.as(responder), r.IncidentID); err != nil {
		t.Fatal(err)
	}
	must(t, st.CreateNotifications(e.ctx, &vigil.Notification{Kind: vigil.MessageManual, IncidentID: r.IncidentID, UserID: paged.ID,
		Title: "credential breach on login", DestType: vigil.ContactWebhook, DestAddress: "https://hooks.example/paul"}))
	private := true
	inc, err := st.UpdateIncident(e.ctx, r.IncidentID, vigil.IncidentUpdate{Private: &private})
	if err != nil || !inc.Private {
		t.Fatalf("making it private: %+v %v", inc, err)
	}
	return &privateScene{e: e, inc: inc, pub: e.incident(pub.IncidentID), alertID: r.AlertID,
		allowed: map[string]context.Context{
			"responder": e.as(responder), "paged": e.as(paged), "team manager": e.as(manager),
			"security member": e.as(sec), "admin": vigil.WithViewer(context.Background(), vigil.Viewer{All: true}),
		},
		denied: map[string]context.Context{
			"stranger (team member)": e.as(stranger), "manager of another team": e.as(otherMgr),
			"member of a plain group": e.as(support), "no viewer": context.Background(),
		},
	}
}

// each runs check for every reader, with whether it may see the incident.
func (s *privateScene) each(t *testing.T, check func(t *testing.T, ctx context.Context, may bool)) {
	for name, ctx := range s.allowed {
		t.Run(name, func(t *testing.T) { check(t, ctx, true) })
	}
	for name, ctx := range s.denied {
		t.Run(name, func(t *testing.T) { check(t, ctx, false) })
	}
}

// hidden fails unless err is what may calls for: nil when the reader may
// see the incident, CodeNotFound when not.
func hidden(t *testing.T, what string, err error, may bool) {
	t.Helper()
	switch {
	case may && err != nil:
		t.Errorf("%s: %v, want it visible", what, err)
	case !may && vigil.ErrorCode(err) != vigil.CodeNotFound:
		t.Errorf("%s: error %v, want not found", what, err)
	}
}

func testPrivateReadPaths(t *testing.T, open OpenFunc) {
	s := newPrivateScene(t, open)
	st, id := s.e.st, s.inc.ID
	s.each(t, func(t *testing.T, ctx context.Context, may bool) {
		_, err := st.FindIncidentByID(ctx, id)
		hidden(t, "FindIncidentByID", err, may)
		_, err = st.FindTimeline(ctx, id)
		hidden(t, "FindTimeline", err, may)
		_, err = st.FindAlertByID(ctx, s.alertID)
		hidden(t, "FindAlertByID", err, may)
		_, err = st.FindStatusUpdates(ctx, id)
		hidden(t, "FindStatusUpdates", err, may)
		_, err = st.FindIncidentFeedback(ctx, id)
		hidden(t, "FindIncidentFeedback", err, may)

		for _, f := range []vigil.IncidentFilter{{}, {Query: "breach"}, {Query: "bre"}, {Statuses: []string{vigil.IncidentAcknowledged}}} {
			list, total, err := st.FindIncidents(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			ids := incidentIDs(list)
			if slices.Contains(ids, id) != may || total != len(ids) {
				t.Errorf("FindIncidents(%+v) = %v (total %d); private #%d listed should be %v", f, ids, total, id, may)
			}
			if f.Query == "" && len(f.Statuses) == 0 && !slices.Contains(ids, s.pub.ID) {
				t.Errorf("FindIncidents: the public incident #%d is missing from %v", s.pub.ID, ids)
			}
		}
		alerts, total, err := st.FindAlerts(ctx, vigil.AlertFilter{IncidentID: &id})
		if err != nil || (len(alerts) == 1) != may || total != len(alerts) {
			t.Errorf("FindAlerts of the incident: %d alerts (total %d), %v; want visible %v", len(alerts), total, err, may)
		}
		all, _, err := st.FindAlerts(ctx, vigil.AlertFilter{})
		if err != nil || slices.ContainsFunc(all, func(a *vigil.Alert) bool { return a.ID == s.alertID }) != may || len(all) == 0 {
			t.Errorf("FindAlerts: %d alerts, %v; private alert listed should be %v", len(all), err, may)
		}
		firing, err := st.FindFiringAlerts(ctx, 0, 100)
		if err != nil || slices.ContainsFunc(firing, func(a *vigil.Alert) bool { return a.ID == s.alertID }) != may {
			t.Errorf("FindFiringAlerts: %d alerts, %v; private alert listed should be %v", len(firing), err, may)
		}
		ns, err := st.FindNotifications(ctx, vigil.NotificationFilter{IncidentID: &id})
		if err != nil || (len(ns) > 0) != may {
			t.Errorf("FindNotifications of the incident: %d, %v; want visible %v", len(ns), err, may)
		}
		if len(ns) > 0 {
			_, err = st.FindNotification(ctx, ns[0].ID)
			hidden(t, "FindNotification", err, may)
		}
		if !may {
			// Nor can they act on it: the same not found.
			_, err = st.AddNote(ctx, id, "peek")
			hidden(t, "AddNote", err, false)
			_, err = st.AcknowledgeIncident(ctx, id)
			hidden(t, "AcknowledgeIncident", err, false)
			title := "renamed"
			_, err = st.UpdateIncident(ctx, id, vigil.IncidentUpdate{Title: &title})
			hidden(t, "UpdateIncident", err, false)
			_, err = st.SetIncidentFeedback(ctx, id, vigil.VerdictNoise)
			hidden(t, "SetIncidentFeedback", err, false)
			_, err = st.PostStatusUpdate(ctx, id, vigil.StatusUpdateInput{Message: "x"})
			hidden(t, "PostStatusUpdate", err, false)
		}
	})
}

func incidentIDs(list []*vigil.Incident) []int64 {
	ids := make([]int64, len(list))
	for i, inc := range list {
		ids[i] = inc.ID
	}
	return ids
}

// Making an incident private or public: only those who take part in it
// and admins; audited, and on the timeline.
func testPrivateToggle(t *testing.T, open OpenFunc) {
	s := newPrivateScene(t, open)
	e, st := s.e, s.e.st
	yes, no := true, false

	// A bystander may not hide a public incident from its responders, nor
	// publish a private one (which they cannot even see).
	stranger := s.denied["stranger (team member)"]
	_, err := st.UpdateIncident(stranger, s.pub.ID, vigil.IncidentUpdate{Private: &yes})
	wantCode(t, err, vigil.CodeForbidden, "private")
	_, err = st.UpdateIncident(stranger, s.inc.ID, vigil.IncidentUpdate{Private: &no})
	wantCode(t, err, vigil.CodeNotFound)

	// The team manager publishes it; the stranger sees it again.
	inc, err := st.UpdateIncident(s.allowed["team manager"], s.inc.ID, vigil.IncidentUpdate{Private: &no})
	if err != nil || inc.Private {
		t.Fatalf("making it public: %+v %v", inc, err)
	}
	if _, err := st.FindIncidentByID(stranger, s.inc.ID); err != nil {
		t.Errorf("public again, the stranger still cannot see it: %v", err)
	}
	// The same value again changes nothing.
	if _, err := st.UpdateIncident(s.allowed["team manager"], s.inc.ID, vigil.IncidentUpdate{Private: &no}); err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, en := range e.timeline(s.inc.ID) {
		if en.Kind == vigil.EntryVisibility {
			lines = append(lines, en.Message)
		}
	}
	if want := []string{"Made private by ops-token via cli", "Made public by Mona via web"}; !slices.Equal(lines, want) {
		t.Errorf("timeline: %q, want %q", lines, want)
	}
	entries, _, err := st.FindAuditEntries(e.ctx, vigil.AuditFilter{Action: "incident.p"})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, a := range entries {
		actions = append(actions, a.Action+" by "+a.Actor.Name)
	}
	if want := []string{"incident.public by Mona", "incident.private by ops-token"}; !slices.Equal(actions, want) {
		t.Errorf("audit: %q, want %q", actions, want)
	}

	// A person who acts on an incident becomes its responder: after a
	// note, the stranger keeps seeing it when it is made private again.
	if _, err := st.AddNote(stranger, s.inc.ID, "looking"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.UpdateIncident(stranger, s.inc.ID, vigil.IncidentUpdate{Private: &yes}); err != nil {
		t.Fatalf("a responder makes it private: %v", err)
	}
	if _, err := st.FindIncidentByID(stranger, s.inc.ID); err != nil {
		t.Errorf("the responder lost sight of it: %v", err)
	}
	if _, err := st.FindIncidentByID(s.denied["manager of another team"], s.inc.ID); vigil.ErrorCode(err) != vigil.CodeNotFound {
		t.Errorf("private again, an outsider sees it: %v", err)
	}
}

// Status updates about a private incident go to security groups only.
func testPrivateStatusUpdates(t *testing.T, open OpenFunc) {
	s := newPrivateScene(t, open)
	e, st := s.e, s.e.st
	_, err := st.PostStatusUpdate(e.ctx, s.inc.ID, vigil.StatusUpdateInput{Message: "contained", Groups: []string{"security", "support"}})
	wantCode(t, err, vigil.CodeInvalid, "groups[1]")
	// Support hears about every severity, but not about this one.
	u, err := st.PostStatusUpdate(e.ctx, s.inc.ID, vigil.StatusUpdateInput{Message: "contained"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(u.Groups, []string{"Security"}) {
		t.Errorf("told %v, want only Security", u.Groups)
	}
	for _, n := range e.statusNotifications(s.inc.ID) {
		if n.DestAddress != "sec@example.com" {
			t.Errorf("a status message went to %s", n.DestAddress)
		}
	}
	// A public incident still tells Support.
	u, err = st.PostStatusUpdate(e.ctx, s.pub.ID, vigil.StatusUpdateInput{Message: "cleaning up"})
	if err != nil || !slices.Contains(u.Groups, "Support") {
		t.Errorf("public incident told %v, %v", u, err)
	}
	// Without a security group nobody may be told.
	sec, _ := findGroupByName(t, e, "Security")
	sec.Security = false
	must(t, st.UpdateStakeholderGroup(e.ctx, sec))
	_, err = st.PostStatusUpdate(e.ctx, s.inc.ID, vigil.StatusUpdateInput{Message: "contained"})
	wantCode(t, err, vigil.CodeConflict)
}

func findGroupByName(t *testing.T, e *env, name string) (*vigil.StakeholderGroup, error) {
	t.Helper()
	all, err := e.st.ListStakeholderGroups(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range all {
		if g.Name == name {
			return g, nil
		}
	}
	t.Fatalf("no group %q", name)
	return nil, nil
}

// Stakeholder groups keep their members and security mark.
func testStakeholderMembers(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	st := e.st
	ana, bo := e.user("Ana", "ana@example.com"), e.user("Bo", "bo@example.com")
	g := &vigil.StakeholderGroup{Name: "Security", Security: true, Members: []int64{bo.ID, ana.ID, bo.ID}, Channels: []vigil.StakeholderChannel{mailCh("sec@example.com")}}
	must(t, st.CreateStakeholderGroup(e.ctx, g))
	got, err := st.FindStakeholderGroup(e.ctx, g.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Security || !slices.Equal(got.Members, []int64{ana.ID, bo.ID}) {
		t.Errorf("read back security %v members %v", got.Security, got.Members)
	}
	got.Members = []int64{bo.ID, 999}
	wantCode(t, st.UpdateStakeholderGroup(e.ctx, got), vigil.CodeNotFound, "members[1]")
	got.Members = []int64{-1}
	wantCode(t, st.UpdateStakeholderGroup(e.ctx, got), vigil.CodeInvalid, "members[0]")
	got.Members = []int64{bo.ID}
	must(t, st.UpdateStakeholderGroup(e.ctx, got))
	list, err := st.ListStakeholderGroups(e.ctx)
	if err != nil || len(list) != 1 || !slices.Equal(list[0].Members, []int64{bo.ID}) {
		t.Errorf("listed %+v %v", list, err)
	}
	// Deleting a user takes them out of the group.
	must(t, st.DeleteUser(e.ctx, bo.ID))
	if got, _ := st.FindStakeholderGroup(e.ctx, g.ID); len(got.Members) != 0 {
		t.Errorf("members after deleting Bo: %v", got.Members)
	}
}

// The noise report counts private incidents but names their alerts only
// to those who may see them.
func testPrivateNoiseReport(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	st := e.st
	stranger := e.user("Stan", "stan@example.com")
	svc := e.service("auth", func(s *vigil.Service) { s.Grouping = vigil.GroupingRule{Mode: vigil.GroupNone} })
	yes := true
	for i := range 6 {
		ev := trigger(svc.ID, "bf-"+string(rune('a'+i)), "brute force", vigil.SeverityCritical)
		ev.Labels = map[string]string{"alertname": "BruteForceOnAdmin"}
		r := e.send1(ev)
		if _, err := st.UpdateIncident(e.ctx, r.IncidentID, vigil.IncidentUpdate{Private: &yes}); err != nil {
			t.Fatal(err)
		}
	}
	q := vigil.NoiseQuery{Since: t0.Add(-time.Hour), Until: t0.Add(time.Hour)}
	named := func(rep *vigil.NoiseReport) bool {
		for _, g := range rep.AlertGroups {
			if g.AlertName == "BruteForceOnAdmin" {
				return true
			}
		}
		return false
	}
	for _, tc := range []struct {
		name string
		ctx  context.Context
		may  bool
	}{{"admin", e.ctx, true}, {"stranger", e.as(stranger), false}, {"no viewer", context.Background(), false}} {
		rep, err := st.NoiseReport(tc.ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if named(rep) != tc.may {
			t.Errorf("%s: alert group named %v, want %v (%+v)", tc.name, named(rep), tc.may, rep.AlertGroups)
		}
		if rep.Totals.Incidents != 6 {
			t.Errorf("%s: %d incidents counted, want 6", tc.name, rep.Totals.Incidents)
		}
		if !tc.may {
			for _, s := range rep.Suggestions {
				if strings.Contains(s.Title+s.Reason+s.Command, "BruteForce") {
					t.Errorf("%s: a suggestion names the private alert: %+v", tc.name, s)
				}
			}
		}
	}
}
