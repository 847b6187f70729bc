package storetest

import (
	"context"
	"slices"
	"testing"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// Stakeholders (vigil.RoleStakeholder) read only the incidents shared
// with a stakeholder group they belong to: one a classification rule chose
// the group for, or one a status update told the group about. A private
// incident stays under the private rules on top. Everything else is "not
// found", like an incident that does not exist.

// asStakeholder is a context of user u reading as a stakeholder.
func (e *env) asStakeholder(u *vigil.User) context.Context {
	return vigil.WithViewer(e.as(u), vigil.Viewer{UserID: u.ID, Stakeholder: true})
}

func testStakeholderVisibility(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	st := e.st
	exe, sup, sec, lone := e.user("Eve", "eve@example.com"), e.user("Sue", "sue@example.com"),
		e.user("Sam", "sam@example.com"), e.user("Lou", "lou@example.com")
	svc := e.service("checkout", func(s *vigil.Service) { s.Grouping = vigil.GroupingRule{Mode: vigil.GroupNone} })

	execs := e.group("Executives", vigil.SeverityCritical, mailCh("exec@example.com"))
	execs.Members = []int64{exe.ID}
	must(t, st.UpdateStakeholderGroup(e.ctx, execs))
	support := e.group("Support", vigil.SeverityCritical, mailCh("support@example.com"))
	support.Members = []int64{sup.ID}
	must(t, st.UpdateStakeholderGroup(e.ctx, support))
	secGroup := e.group("Security", vigil.SeverityCritical, mailCh("sec@example.com"))
	secGroup.Security, secGroup.Members = true, []int64{sec.ID}
	must(t, st.UpdateStakeholderGroup(e.ctx, secGroup))
	e.rules("", vigil.ClassificationRule{Name: "checkout", When: `summary contains "checkout"`,
		Set: vigil.ClassificationSet{Notify: []string{"Executives"}}})

	// ruled: the rule shares it with Executives. told: a status update
	// tells Support. quiet: shared with nobody. secret: told to Executives
	// while public, then private, then told to Security.
	ruled := e.send1(trigger(svc.ID, "a", "checkout down", vigil.SeverityWarning)).IncidentID
	told := e.send1(trigger(svc.ID, "b", "db slow", vigil.SeverityWarning)).IncidentID
	quiet := e.send1(trigger(svc.ID, "c", "disk filling", vigil.SeverityWarning)).IncidentID
	secret := e.send1(trigger(svc.ID, "d", "odd logins", vigil.SeverityWarning)).IncidentID
	post := func(id int64, groups ...string) {
		t.Helper()
		u, err := st.PostStatusUpdate(e.ctx, id, vigil.StatusUpdateInput{Message: "update", Groups: groups})
		if err != nil || !slices.Equal(u.Groups, groups) {
			t.Fatalf("status update to %v: %+v, %v", groups, u, err)
		}
	}
	post(told, "Support")
	post(secret, "Executives")
	private := true
	if _, err := st.UpdateIncident(e.ctx, secret, vigil.IncidentUpdate{Private: &private}); err != nil {
		t.Fatal(err)
	}
	post(secret, "Security")

	all := []int64{ruled, told, quiet, secret}
	check := func(name string, ctx context.Context, want ...int64) {
		t.Run(name, func(t *testing.T) {
			list, total, err := st.FindIncidents(ctx, vigil.IncidentFilter{})
			if err != nil {
				t.Fatal(err)
			}
			got := incidentIDs(list)
			slices.Sort(got)
			if !slices.Equal(got, want) || total != len(want) {
				t.Errorf("FindIncidents = %v (total %d), want %v", got, total, want)
			}
			for _, id := range all {
				may := slices.Contains(want, id)
				_, err := st.FindIncidentByID(ctx, id)
				hidden(t, "FindIncidentByID", err, may)
				_, err = st.FindTimeline(ctx, id)
				hidden(t, "FindTimeline", err, may)
				ups, err := st.FindStatusUpdates(ctx, id)
				hidden(t, "FindStatusUpdates", err, may)
				if may && (id == told || id == secret) && len(ups) == 0 {
					t.Errorf("incident %d: no status updates", id)
				}
				alerts, _, err := st.FindAlerts(ctx, vigil.AlertFilter{IncidentID: &id})
				if err != nil || (len(alerts) > 0) != may {
					t.Errorf("FindAlerts of %d: %d, %v; want visible %v", id, len(alerts), err, may)
				}
			}
		})
	}
	check("executive", e.asStakeholder(exe), ruled)
	check("support", e.asStakeholder(sup), told)
	check("security member", e.asStakeholder(sec), secret)
	check("in no group", e.asStakeholder(lone))
	check("stakeholder nobody in particular", vigil.WithViewer(context.Background(), vigil.Viewer{Stakeholder: true}))
	// The same people as viewers see every public incident.
	check("executive as viewer", e.as(exe), ruled, told, quiet)

	// Leaving the group ends the sharing.
	execs.Members = nil
	must(t, st.UpdateStakeholderGroup(e.ctx, execs))
	check("former executive", e.asStakeholder(exe))
}
