package server

import (
	"fmt"
	"strings"
	"testing"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// Tokens through the API: people make personal tokens for themselves and
// cannot grant more than they hold; a demotion, a revocation or an expiry
// counts from the very next request; a team manager cannot move their
// service to another team.
func TestTokensThroughTheAPI(t *testing.T) {
	f := newMatrixFixture(t)
	e := f.e
	as := func(caller, method, path, body string) response {
		t.Helper()
		var r *strings.Reader
		if body != "" {
			r = strings.NewReader(body)
			return e.do(method, path, r, map[string]string{"Authorization": "Bearer " + f.tokens[caller]})
		}
		return e.do(method, path, nil, map[string]string{"Authorization": "Bearer " + f.tokens[caller]})
	}

	// A viewer makes a read token for themselves, not an admin one, not
	// one for someone else, not a service token.
	var mine vigil.APIToken
	as("viewer", "POST", "/api/v1/tokens", `{"name":"laptop","scopes":["read"],"expires_at":"2026-04-01T00:00:00Z"}`).want(t, 201).json(t, &mine)
	if !strings.HasPrefix(mine.Secret, vigil.TokenPrefix) || mine.UserID != f.userIDs["viewer"] || mine.ExpiresAt == nil {
		t.Fatalf("created %+v", mine)
	}
	as("viewer", "POST", "/api/v1/tokens", `{"name":"x","scopes":["admin"]}`).want(t, 403)
	as("viewer", "POST", "/api/v1/tokens", `{"name":"x","scopes":["read"],"service":true}`).want(t, 403)
	as("viewer", "POST", "/api/v1/tokens", fmt.Sprintf(`{"name":"x","scopes":["read"],"user_id":%d}`, f.userIDs["admin"])).want(t, 403)
	as("viewer", "POST", "/api/v1/tokens", `{"name":"x","scopes":["root"]}`).want(t, 400)
	as("viewer", "POST", "/api/v1/tokens", `{"name":"x","scopes":["read"],"expires_at":"yesterday"}`).want(t, 400)
	// Any reader may ask for manage (it counts on the teams they manage);
	// a responder's manage token still cannot manage what the responder
	// cannot.
	as("manager-of-team", "POST", "/api/v1/tokens", `{"name":"m","scopes":["manage"]}`).want(t, 201)
	var rm vigil.APIToken
	as("responder", "POST", "/api/v1/tokens", `{"name":"m","scopes":["manage"]}`).want(t, 201).json(t, &rm)
	f.tokens["responder-manage"] = rm.Secret
	as("responder-manage", "DELETE", "/api/v1/services/"+f.path["/api/v1/services/"], "").want(t, 403)
	as("responder-manage", "POST", "/api/v1/incidents/"+f.path["/api/v1/incidents/"]+"/acknowledge", "").want(t, 200)

	// The new token works, and its list shows only the viewer's tokens.
	f.tokens["laptop"] = mine.Secret
	var list struct{ Items []vigil.APIToken }
	as("laptop", "GET", "/api/v1/tokens", "").want(t, 200).json(t, &list)
	for _, tk := range list.Items {
		if tk.UserID != f.userIDs["viewer"] || tk.Secret != "" {
			t.Errorf("the viewer's list shows %+v", tk)
		}
	}
	if len(list.Items) != 2 {
		t.Errorf("the viewer sees %d tokens, want 2 (the fixture's and the laptop's)", len(list.Items))
	}
	as("token:admin", "GET", "/api/v1/tokens", "").want(t, 200).json(t, &list)
	if len(list.Items) < 10 {
		t.Errorf("an admin sees %d tokens, want all of them", len(list.Items))
	}
	as("viewer", "GET", fmt.Sprintf("/api/v1/tokens?user_id=%d", f.userIDs["admin"]), "").want(t, 403)

	// Revocation: someone else's is refused; one's own counts at once.
	as("viewer", "DELETE", "/api/v1/tokens/"+f.path["/api/v1/tokens/"], "").want(t, 403)
	as("viewer", "DELETE", fmt.Sprintf("/api/v1/tokens/%d", mine.ID), "").want(t, 204)
	as("laptop", "GET", "/api/v1/services", "").want(t, 401)

	// Demotion counts at once for the person's tokens.
	as("responder", "POST", "/api/v1/incidents/"+f.path["/api/v1/incidents/"]+"/notes", `{"body":"looking"}`).want(t, 201)
	if err := e.store.SetUserRole(t.Context(), f.userIDs["responder"], vigil.RoleViewer); err != nil {
		t.Fatal(err)
	}
	as("responder", "POST", "/api/v1/incidents/"+f.path["/api/v1/incidents/"]+"/notes", `{"body":"again"}`).want(t, 403)
	// A deleted person's token stops working.
	if err := e.store.DeleteUser(t.Context(), f.userIDs["viewer"]); err != nil {
		t.Fatal(err)
	}
	as("viewer", "GET", "/api/v1/services", "").want(t, 401)

	// A team manager edits their service but cannot give it to team B or
	// take it out of every team.
	svc := "/api/v1/services/" + f.path["/api/v1/services/"]
	as("manager-of-team", "PATCH", svc, `{"description":"payments"}`).want(t, 200)
	var teams struct{ Items []vigil.Team }
	as("token:read", "GET", "/api/v1/teams", "").want(t, 200).json(t, &teams)
	var b int64
	for _, tm := range teams.Items {
		if tm.Name == "b" {
			b = tm.ID
		}
	}
	as("manager-of-team", "PATCH", svc, fmt.Sprintf(`{"team_id":%d}`, b)).want(t, 403)
	as("manager-of-team", "PATCH", svc, `{"team_id":0}`).want(t, 403)
	as("manager-of-other-team", "PATCH", svc, `{"description":"mine now"}`).want(t, 403)

	// Every token create and revoke is in the audit log.
	var audit struct {
		Items []vigil.AuditEntry
	}
	as("token:admin", "GET", "/api/v1/audit?object_type=api_token&limit=100", "").want(t, 200).json(t, &audit)
	var creates, revokes int
	for _, a := range audit.Items {
		switch a.Action {
		case "api_token.create":
			creates++
		case "api_token.revoke":
			revokes++
		}
		if strings.Contains(string(a.After), mine.Secret) {
			t.Error("the audit log holds a token secret")
		}
	}
	if creates < 3 || revokes != 1 {
		t.Errorf("audit: %d creates, %d revokes", creates, revokes)
	}
}
