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

// A stakeholder reads only the incidents a status update (or a rule) shared
// with their group: the list shows those alone, the page shows the
// incident and its status updates without alerts or buttons, everything
// else is 403 and an unshared incident is 404.
func TestStakeholderPages(t *testing.T) {
	h := newHarness(t)
	ctx := vigil.WithActor(context.Background(), vigil.Actor{Name: "alice", Kind: vigil.ActorToken, Source: vigil.SourceWeb})
	svc := h.service("checkout")
	shared := h.trigger(svc, vigil.Event{Summary: "checkout down", Severity: vigil.SeverityWarning})
	other := h.trigger(h.service("storage"), vigil.Event{Summary: "disk filling", Severity: vigil.SeverityWarning})
	stake, su := h.signedInAs("sten", vigil.RoleStakeholder)
	g := h.group(&vigil.StakeholderGroup{Name: "Executives", MinSeverity: vigil.SeverityCritical,
		Channels: []vigil.StakeholderChannel{{Type: "email", Address: "exec@example.com"}}})
	g.Members = []int64{su.ID}
	if err := h.db.UpdateStakeholderGroup(vigil.WithViewer(ctx, vigil.SystemViewer), g); err != nil {
		t.Fatal(err)
	}
	if _, err := h.db.PostStatusUpdate(ctx, shared.ID, vigil.StatusUpdateInput{Message: "Payments are back.", Groups: []string{"Executives"}}); err != nil {
		t.Fatal(err)
	}

	list := stake.get("/incidents")
	wantStatus(t, list, http.StatusOK)
	body := list.Body.String()
	if !strings.Contains(body, "checkout down") || strings.Contains(body, "disk filling") {
		t.Errorf("the list should show the shared incident only:\n%s", body)
	}
	for _, hidden := range []string{`href="/services"`, `href="/schedules"`, `href="/users"`, `href="/reports/noise"`, `id="declare"`, `name="service"`} {
		if strings.Contains(body, hidden) {
			t.Errorf("a stakeholder's incident list has %s", hidden)
		}
	}

	page := fmt.Sprintf("/incidents/%d", shared.ID)
	rec := stake.get(page)
	wantStatus(t, rec, http.StatusOK)
	body = rec.Body.String()
	if !strings.Contains(body, "Payments are back.") {
		t.Error("the incident page misses the status update")
	}
	for _, hidden := range []string{`id="acknowledge"`, `id="resolve"`, `id="make-private"`, `id="status-update"`, `id="notifications"`,
		`id="recent-changes"`, `id="feedback-noise"`, `action="` + page + `/notes"`, `href="/services/`} {
		if strings.Contains(body, hidden) {
			t.Errorf("a stakeholder's incident page has %s", hidden)
		}
	}
	wantStatus(t, stake.get(fmt.Sprintf("/incidents/%d", other.ID)), http.StatusNotFound)
	wantStatus(t, stake.get("/account"), http.StatusOK)
	for _, path := range []string{"/services", "/schedules", "/users", "/teams", "/groups", "/silences", "/reports/noise", "/rules",
		"/audit", page + "/notifications", fmt.Sprintf("/services/%d", svc.ID)} {
		if rec := stake.get(path); rec.Code != http.StatusForbidden {
			t.Errorf("stakeholder GET %s: %d, want 403", path, rec.Code)
		}
	}
	for _, path := range []string{page + "/acknowledge", page + "/notes", page + "/status-updates", "/incidents", "/route-test"} {
		if rec := stake.post(path, url.Values{"body": {"x"}, "message": {"x"}}); rec.Code != http.StatusForbidden {
			t.Errorf("stakeholder POST %s: %d, want 403", path, rec.Code)
		}
	}
	// They may make themselves a read token for the API, nothing stronger.
	if rec := stake.post("/account/tokens", url.Values{"name": {"laptop"}, "scopes": {"read"}, "expires_days": {"30"}}); rec.Code != http.StatusOK ||
		!strings.Contains(rec.Body.String(), vigil.TokenPrefix) {
		t.Errorf("stakeholder read token: %d", rec.Code)
	}
	if rec := stake.post("/account/tokens", url.Values{"name": {"x"}, "scopes": {"respond"}, "expires_days": {"30"}}); rec.Code != http.StatusForbidden {
		t.Errorf("stakeholder respond token: %d, want 403", rec.Code)
	}
	// A viewer still reads everything.
	viewer, _ := h.signedInAs("vera", vigil.RoleViewer)
	body = viewer.get("/incidents").Body.String()
	if !strings.Contains(body, "disk filling") || !strings.Contains(body, `href="/services"`) {
		t.Error("a viewer lost the full incident list or the nav")
	}
}
