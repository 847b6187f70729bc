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

// The incident page's roles: take one, give one to someone else, clear
// it; names are escaped; cross-site and signed-out posts change nothing.
func TestIncidentRolesOnThePage(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	evilName := `<img src=x onerror=alert(1)>`
	bo := &vigil.User{Name: evilName, Email: "bo@example.com"}
	if err := h.db.CreateUser(ctx, bo); err != nil {
		t.Fatal(err)
	}
	inc := h.trigger(h.service("db"), vigil.Event{Summary: "replication lag"})
	page := fmt.Sprintf("/incidents/%d", inc.ID)

	body := h.get(page).Body.String()
	for _, want := range []string{`id="role-incident_manager"`, `id="role-tech_lead-take"`, `<option value="` + fmt.Sprint(bo.ID) + `">&lt;img`} {
		if !strings.Contains(body, want) {
			t.Errorf("incident page lacks %s:\n%s", want, excerpt(body))
		}
	}
	if strings.Contains(body, evilName) {
		t.Errorf("a user's name is not escaped")
	}

	rec := h.post(page+"/roles", url.Values{"role": {"incident_manager"}, "user_id": {"me"}})
	wantRedirect(t, rec, page+"#roles")
	rec = h.do(req{path: page, signed: true, cookies: []*http.Cookie{findCookie(rec, "vigil_flash")}})
	if body = rec.Body.String(); !strings.Contains(body, "alice is incident manager.") || !strings.Contains(body, `id="role-incident_manager-clear"`) {
		t.Errorf("after taking the role:\n%s", excerpt(body))
	}
	if e := lastEntry(t, h, inc.ID, vigil.EntryRoleAssigned); e.Message != "alice took the incident manager role via web" {
		t.Errorf("timeline: %q", e.Message)
	}
	wantRedirect(t, h.post(page+"/roles", url.Values{"role": {"tech_lead"}, "user_id": {fmt.Sprint(bo.ID)}}), page+"#roles")
	roles, err := h.db.ListIncidentRoles(ctx, inc.ID)
	if err != nil || len(roles) != 2 || roles[1].UserID != bo.ID {
		t.Fatalf("roles after giving tech lead to Bo: %+v %v", roles, err)
	}
	wantRedirect(t, h.post(page+"/roles", url.Values{"role": {"incident_manager"}, "clear": {"1"}}), page+"#roles")

	for _, c := range []struct {
		name string
		form url.Values
		msg  string
	}{
		{"unknown role", url.Values{"role": {"scribe"}, "user_id": {"me"}}, "role"},
		{"garbled person", url.Values{"role": {"tech_lead"}, "user_id": {"x"}}, "Choose a person from the list."},
	} {
		rec := h.post(page+"/roles", c.form)
		rec = h.do(req{path: page, signed: true, cookies: []*http.Cookie{findCookie(rec, "vigil_flash")}})
		if b := rec.Body.String(); !strings.Contains(b, "flash-error") || !strings.Contains(b, c.msg) {
			t.Errorf("%s: no error naming %q:\n%s", c.name, c.msg, excerpt(b))
		}
	}

	evil := map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}
	form := url.Values{"role": {"communications_lead"}, "user_id": {"me"}}
	wantStatus(t, h.do(req{method: http.MethodPost, path: page + "/roles", form: form, signed: true, headers: evil}), http.StatusForbidden)
	if rec := h.do(req{method: http.MethodPost, path: page + "/roles", form: form}); rec.Code != http.StatusUnauthorized {
		t.Errorf("without a session: %d, want 401", rec.Code)
	}
	if roles, _ := h.db.ListIncidentRoles(ctx, inc.ID); len(roles) != 1 || roles[0].Role != vigil.TechLead {
		t.Errorf("roles after the refused posts: %+v", roles)
	}
	wantStatus(t, h.post("/incidents/999/roles", form), http.StatusNotFound)
}
