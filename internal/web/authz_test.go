package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// signedInAs returns the harness signed in as a new person with role.
func (h *harness) signedInAs(name, role string) (*harness, *vigil.User) {
	h.t.Helper()
	ctx := context.Background()
	u := &vigil.User{Name: name, Email: name + "@example.com"}
	if err := h.db.CreateUser(ctx, u); err != nil {
		h.t.Fatal(err)
	}
	if err := h.db.SetUserRole(ctx, u.ID, role); err != nil {
		h.t.Fatal(err)
	}
	return h.asFresh(u.ID), u
}

// The roles in the UI: a viewer reads but every change is a 403 and the
// incident's buttons are gone; a team manager changes their team's
// schedule, not another team's; only admins see the audit log and the
// token page.
func TestRolesInTheUI(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	svc := h.service("checkout")
	inc := h.trigger(svc, vigil.Event{Summary: "disk full"})
	viewer, _ := h.signedInAs("vera", vigil.RoleViewer)
	responder, _ := h.signedInAs("rob", vigil.RoleResponder)
	manager, mu := h.signedInAs("mia", vigil.RoleResponder)

	incPath := fmt.Sprintf("/incidents/%d", inc.ID)
	body := viewer.get(incPath).Body.String()
	for _, hidden := range []string{`id="acknowledge"`, `id="resolve"`, `action="` + incPath + `/notes"`, `id="status-update"`, `href="/audit"`, `href="/tokens"`} {
		if strings.Contains(body, hidden) {
			t.Errorf("a viewer sees %s", hidden)
		}
	}
	for _, path := range []string{incPath + "/acknowledge", incPath + "/resolve", incPath + "/notes", "/services", "/silences", "/teams", "/tokens"} {
		if rec := viewer.post(path, url.Values{"body": {"x"}, "name": {"x"}}); rec.Code != http.StatusForbidden {
			t.Errorf("viewer POST %s: %d, want 403", path, rec.Code)
		}
	}
	for _, path := range []string{"/audit", "/tokens"} {
		if rec := responder.get(path); rec.Code != http.StatusForbidden {
			t.Errorf("responder GET %s: %d, want 403", path, rec.Code)
		}
	}
	if body := responder.get(incPath).Body.String(); !strings.Contains(body, `id="acknowledge"`) {
		t.Error("a responder does not see Acknowledge")
	}
	if rec := responder.post(incPath+"/acknowledge", nil); rec.Code != http.StatusSeeOther {
		t.Errorf("responder acknowledge: %d", rec.Code)
	}
	if body := h.get("/incidents").Body.String(); !strings.Contains(body, `href="/tokens"`) {
		t.Error("an admin does not see the token page in the menu")
	}

	// Team A is Mia's; team B is not.
	a := &vigil.Team{Name: "a", Members: []int64{mu.ID}, Managers: []int64{mu.ID}}
	b := &vigil.Team{Name: "b"}
	for _, tm := range []*vigil.Team{a, b} {
		if err := h.db.CreateTeam(ctx, tm); err != nil {
			t.Fatal(err)
		}
	}
	sched := func(team int64) *vigil.Schedule {
		s := &vigil.Schedule{Name: fmt.Sprintf("s%d", team), TimeZone: "UTC", TeamID: team, Layers: []vigil.Layer{{Name: "w",
			Start: h.clock.Now(), TurnUnit: vigil.UnitWeek, TurnCount: 1, Members: []int64{mu.ID}}}}
		if err := h.db.CreateSchedule(ctx, s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	mine, theirs := sched(a.ID), sched(b.ID)
	override := url.Values{"user_id": {fmt.Sprint(mu.ID)}, "start": {"2026-03-20T09:00"}, "end": {"2026-03-20T17:00"}}
	if rec := manager.post(fmt.Sprintf("/schedules/%d/overrides", theirs.ID), override); rec.Code != http.StatusForbidden {
		t.Errorf("manager of another team adds an override: %d, want 403", rec.Code)
	}
	if rec := responder.post(fmt.Sprintf("/schedules/%d/overrides", mine.ID), override); rec.Code != http.StatusForbidden {
		t.Errorf("a responder adds an override: %d, want 403", rec.Code)
	}
	if rec := manager.post(fmt.Sprintf("/schedules/%d/overrides", mine.ID), override); rec.Code == http.StatusForbidden || rec.Code == http.StatusUnauthorized {
		t.Errorf("the team's manager adds an override: %d %s", rec.Code, rec.Body)
	}
	if rec := manager.post(fmt.Sprintf("/schedules/%d/delete", theirs.ID), nil); rec.Code != http.StatusForbidden {
		t.Errorf("manager of another team deletes its schedule: %d, want 403", rec.Code)
	}
	if rec := manager.post("/schedules", url.Values{"name": {"new"}, "team_id": {fmt.Sprint(b.ID)}}); rec.Code != http.StatusForbidden {
		t.Errorf("a team manager creates a schedule for another team: %d, want 403", rec.Code)
	}

	// The buttons follow: the override form only for who may use it.
	for _, c := range []struct {
		who   *harness
		name  string
		sched *vigil.Schedule
		shown bool
	}{
		{manager, "the team's manager", mine, true},
		{manager, "another team's manager", theirs, false},
		{viewer, "a viewer", mine, false},
		{h, "an admin", theirs, true},
	} {
		body := c.who.get(fmt.Sprintf("/schedules/%d", c.sched.ID)).Body.String()
		if strings.Contains(body, `id="override-form"`) != c.shown {
			t.Errorf("%s sees the override form: %v, want %v", c.name, !c.shown, c.shown)
		}
	}
	if strings.Contains(responder.get("/services").Body.String(), `id="new-service"`) {
		t.Error("a responder sees the new service form")
	}
	if !strings.Contains(h.get("/services").Body.String(), `id="new-service"`) {
		t.Error("an admin does not see the new service form")
	}
}

// Tokens in the UI: a person makes a personal token on /account and sees
// its secret once; it works at once against the store and stops when
// revoked; an admin makes service tokens on /tokens.
func TestTokensInTheUI(t *testing.T) {
	h := newHarness(t)
	viewer, vu := h.signedInAs("vera", vigil.RoleViewer)
	rec := viewer.post("/account/tokens", url.Values{"name": {"laptop"}, "scopes": {"read"}, "expires_days": {"30"}})
	if rec.Code != http.StatusOK {
		t.Fatalf("create: %d %s", rec.Code, rec.Body)
	}
	secret := regexp.MustCompile(`<code id="new-token-secret">(vgt_\w+)</code>`).FindStringSubmatch(rec.Body.String())
	if secret == nil {
		t.Fatalf("no secret on the page:\n%s", rec.Body)
	}
	tok, err := h.db.AuthenticateAPIToken(context.Background(), secret[1], "")
	if err != nil || tok.UserID != vu.ID || tok.ExpiresAt == nil || !tok.ExpiresAt.Equal(h.clock.Now().Add(30*24*time.Hour)) {
		t.Fatalf("the token: %+v, %v", tok, err)
	}
	body := viewer.get("/account").Body.String()
	if strings.Contains(body, secret[1]) || !strings.Contains(body, "laptop") {
		t.Errorf("the account page shows the secret again or lacks the token:\n%s", body)
	}
	// A viewer cannot grant admin, and bad input names the field.
	for _, c := range []struct {
		form   url.Values
		status int
		want   string
	}{
		{url.Values{"name": {"x"}, "scopes": {"admin"}}, http.StatusForbidden, "admin scope"},
		{url.Values{"name": {"x"}}, http.StatusUnprocessableEntity, "at least one scope"},
		{url.Values{"name": {"x"}, "scopes": {"read"}, "expires_days": {"soon"}}, http.StatusUnprocessableEntity, "number of days"},
	} {
		rec := viewer.post("/account/tokens", c.form)
		if rec.Code != c.status || !strings.Contains(rec.Body.String(), c.want) {
			t.Errorf("%v: %d, want %d with %q", c.form, rec.Code, c.status, c.want)
		}
	}
	// Another person cannot revoke it; its owner can.
	other, _ := h.signedInAs("otto", vigil.RoleResponder)
	path := fmt.Sprintf("/account/tokens/%d/revoke", tok.ID)
	if rec := other.post(path, nil); rec.Code != http.StatusForbidden {
		t.Errorf("someone else revokes: %d", rec.Code)
	}
	if rec := viewer.post(path, nil); rec.Code != http.StatusSeeOther {
		t.Errorf("owner revokes: %d %s", rec.Code, rec.Body)
	}
	if _, err := h.db.AuthenticateAPIToken(context.Background(), secret[1], ""); vigil.ErrorCode(err) != vigil.CodeUnauthorized {
		t.Errorf("a revoked token authenticates: %v", err)
	}

	// The admin page: every token, service tokens made here.
	rec = h.post("/tokens", url.Values{"name": {"prometheus"}, "scopes": {"ingest"}})
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `id="new-token-secret"`) {
		t.Fatalf("admin creates a service token: %d %s", rec.Code, rec.Body)
	}
	body = h.get("/tokens").Body.String()
	for _, want := range []string{"laptop", "vera", "revoked", "prometheus", "service token"} {
		if !strings.Contains(body, want) {
			t.Errorf("the token page lacks %q", want)
		}
	}
}

// The team form sets managers, who become members, and the page shows them.
func TestTeamFormManagers(t *testing.T) {
	h := newHarness(t)
	_, mia := h.signedInAs("mia", vigil.RoleResponder)
	rec := h.post("/teams", url.Values{"name": {"payments"}, "managers": {fmt.Sprint(mia.ID)}})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("create: %d %s", rec.Code, rec.Body)
	}
	teams, err := h.db.ListTeams(context.Background())
	if err != nil || len(teams) != 1 || len(teams[0].Managers) != 1 || teams[0].Managers[0] != mia.ID || len(teams[0].Members) != 1 {
		t.Fatalf("teams: %+v %v", teams, err)
	}
	body := h.get(fmt.Sprintf("/teams/%d", teams[0].ID)).Body.String()
	if !regexp.MustCompile(`id="team-manager-list"><a href="/users/\d+">mia</a>`).MatchString(body) ||
		!strings.Contains(body, fmt.Sprintf(`<option value="%d" selected>mia</option>`, mia.ID)) {
		t.Errorf("the team page does not show mia as manager:\n%s", body)
	}
	if rec := h.post("/teams", url.Values{"name": {"x"}, "managers": {"bob"}}); rec.Code != http.StatusUnprocessableEntity ||
		!strings.Contains(rec.Body.String(), "is not a person") {
		t.Errorf("a bad manager: %d", rec.Code)
	}
}
