package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// A viewer made a responder of team A works the incidents of A's services
// in the UI (buttons shown, posts allowed, incidents declared on A's
// services only) and none of team B's; the declare form offers only A's
// services.
func TestTeamResponderInTheUI(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	ours, theirs := h.service("checkout"), h.service("billing")
	cy, cu := h.signedInAs("cy", vigil.RoleViewer)
	a := &vigil.Team{Name: "a", Responders: []int64{cu.ID}}
	b := &vigil.Team{Name: "b"}
	for _, tm := range []*vigil.Team{a, b} {
		if err := h.db.CreateTeam(ctx, tm); err != nil {
			t.Fatal(err)
		}
	}
	for svc, team := range map[*vigil.Service]int64{ours: a.ID, theirs: b.ID} {
		if _, err := h.db.UpdateService(ctx, svc.ID, vigil.ServiceUpdate{TeamID: &team}); err != nil {
			t.Fatal(err)
		}
	}
	mine := fmt.Sprintf("/incidents/%d", h.trigger(ours, vigil.Event{Summary: "disk full"}).ID)
	other := fmt.Sprintf("/incidents/%d", h.trigger(theirs, vigil.Event{Summary: "queue stuck"}).ID)

	if body := cy.get(mine).Body.String(); !strings.Contains(body, `id="acknowledge"`) || !strings.Contains(body, `action="`+mine+`/notes"`) {
		t.Error("a team responder does not see Acknowledge and the note form on the team's incident")
	}
	if body := cy.get(other).Body.String(); strings.Contains(body, `id="acknowledge"`) || strings.Contains(body, `action="`+other+`/notes"`) {
		t.Error("a team responder sees the buttons on another team's incident")
	}
	if rec := cy.post(mine+"/acknowledge", nil); rec.Code != http.StatusSeeOther {
		t.Errorf("acknowledge the team's incident: %d", rec.Code)
	}
	if rec := cy.post(mine+"/notes", url.Values{"body": {"on it"}}); rec.Code != http.StatusSeeOther {
		t.Errorf("note on the team's incident: %d", rec.Code)
	}
	for _, path := range []string{other + "/acknowledge", other + "/notes", other + "/resolve"} {
		if rec := cy.post(path, url.Values{"body": {"x"}}); rec.Code != http.StatusForbidden {
			t.Errorf("POST %s on another team's incident: %d, want 403", path, rec.Code)
		}
	}

	list := cy.get("/incidents").Body.String()
	i := strings.Index(list, `id="declare"`)
	if i < 0 {
		t.Fatal("a team responder does not see the declare form")
	}
	if form := list[i:]; !strings.Contains(form, ">checkout<") || strings.Contains(form, ">billing<") {
		t.Errorf("declare form: want checkout offered, billing not:\n%s", form)
	}
	declare := func(svc *vigil.Service) int {
		return cy.post("/incidents", url.Values{"service_id": {fmt.Sprint(svc.ID)}, "title": {"by hand"}, "severity": {"error"}}).Code
	}
	if code := declare(ours); code != http.StatusSeeOther {
		t.Errorf("declare on the team's service: %d", code)
	}
	if code := declare(theirs); code != http.StatusForbidden {
		t.Errorf("declare on another team's service: %d, want 403", code)
	}

	// Taken off the team's responders, Cy is a viewer again at once.
	a.Responders = nil
	if err := h.db.UpdateTeam(ctx, a); err != nil {
		t.Fatal(err)
	}
	if rec := cy.post(mine+"/resolve", nil); rec.Code != http.StatusForbidden {
		t.Errorf("resolve after leaving the responders: %d, want 403", rec.Code)
	}
	if list := cy.get("/incidents").Body.String(); strings.Contains(list, `id="declare"`) {
		t.Error("a viewer sees the declare form")
	}
}
