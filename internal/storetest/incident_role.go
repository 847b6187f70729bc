package storetest

import (
	"strings"
	"testing"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// RunIncidentRoles checks incident roles: one holder per role, the
// timeline and audit lines, clearing, bad input, and that a holder sees
// the incident when it is private.
func RunIncidentRoles(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	st := e.st
	ana, bo := e.user("Ana", "ana@example.com"), e.user("Bo", "bo@example.com")
	svc := e.service("checkout", func(s *vigil.Service) { s.Grouping = vigil.GroupingRule{Mode: vigil.GroupNone} })
	r := e.send1(trigger(svc.ID, "breach", "credential breach", vigil.SeverityCritical))
	id := r.IncidentID

	roles, err := st.AssignIncidentRole(e.ctx, id, vigil.TechLead, bo.ID)
	must(t, err)
	// Ana takes incident manager herself; it is listed first.
	roles, err = st.AssignIncidentRole(e.as(ana), id, vigil.IncidentManager, ana.ID)
	must(t, err)
	if len(roles) != 2 || roles[0].Role != vigil.IncidentManager || roles[0].UserName != "Ana" ||
		roles[1].Role != vigil.TechLead || roles[1].UserID != bo.ID || roles[1].AssignedBy != cliActor.Name || !roles[1].AssignedAt.Equal(t0) {
		t.Fatalf("roles = %+v %+v", roles[0], roles[len(roles)-1])
	}
	// The same holder again writes nothing; a new holder replaces the old.
	before := len(e.timeline(id))
	_, err = st.AssignIncidentRole(e.ctx, id, vigil.TechLead, bo.ID)
	must(t, err)
	if n := len(e.timeline(id)); n != before {
		t.Errorf("assigning the same holder again wrote %d timeline lines", n-before)
	}
	roles, err = st.AssignIncidentRole(e.ctx, id, vigil.TechLead, ana.ID)
	must(t, err)
	if len(roles) != 2 || roles[1].UserID != ana.ID {
		t.Errorf("after replacing the tech lead: %+v", roles[1])
	}
	roles, err = st.AssignIncidentRole(e.ctx, id, vigil.IncidentManager, 0)
	must(t, err)
	if len(roles) != 1 || roles[0].Role != vigil.TechLead {
		t.Errorf("after clearing the incident manager: %d roles", len(roles))
	}
	var lines []string
	for _, en := range e.timeline(id) {
		if en.Kind == vigil.EntryRoleAssigned {
			lines = append(lines, en.Message)
		}
	}
	want := []string{
		"Bo is tech lead (assigned by " + cliActor.Name + " via " + cliActor.Source + ")",
		"Ana took the incident manager role via web",
		"Ana is tech lead (assigned by " + cliActor.Name + " via " + cliActor.Source + ")",
		"Ana is no longer incident manager (" + cliActor.Name + " via " + cliActor.Source + ")",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("timeline:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	audit, _, err := st.FindAuditEntries(e.ctx, vigil.AuditFilter{Action: "incident.role"})
	must(t, err)
	if len(audit) != 4 {
		t.Errorf("%d incident.role audit entries, want 4", len(audit))
	}

	_, err = st.AssignIncidentRole(e.ctx, id, "scribe", ana.ID)
	fieldIs(t, "unknown role", err, vigil.CodeInvalid, "role")
	_, err = st.AssignIncidentRole(e.ctx, id, vigil.TechLead, 999)
	fieldIs(t, "unknown user", err, vigil.CodeInvalid, "user_id")
	if _, err := st.AssignIncidentRole(e.ctx, 999, vigil.TechLead, ana.ID); vigil.ErrorCode(err) != vigil.CodeNotFound {
		t.Errorf("unknown incident: %v", err)
	}

	// Bo held a role: he sees the incident once it is private; Cy, who
	// never took part, does not, and cannot assign himself a role on it.
	cy := e.user("Cy", "cy@example.com")
	private := true
	_, err = st.UpdateIncident(e.ctx, id, vigil.IncidentUpdate{Private: &private})
	must(t, err)
	if _, err := st.ListIncidentRoles(e.as(bo), id); err != nil {
		t.Errorf("a former role holder reading roles of the private incident: %v", err)
	}
	if _, err := st.ListIncidentRoles(e.as(cy), id); vigil.ErrorCode(err) != vigil.CodeNotFound {
		t.Errorf("a bystander reading roles of the private incident: %v", err)
	}
	if _, err := st.AssignIncidentRole(e.as(cy), id, vigil.CommunicationsLead, cy.ID); vigil.ErrorCode(err) != vigil.CodeNotFound {
		t.Errorf("a bystander taking a role on the private incident: %v", err)
	}
}
