package api_test

import (
	"context"
	"strings"
	"testing"

	"github.com/vigil-oss/vigil/internal/api"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// Incident roles through the API: give, replace, read, clear, and bad
// input answered with the field at fault.
func TestIncidentRolesAPI(t *testing.T) {
	e := newSilEnv(t)
	ana := &vigil.User{Name: "Ana", Email: "ana@example.com"}
	if err := e.db.CreateUser(context.Background(), ana); err != nil {
		t.Fatal(err)
	}
	var res vigil.EventResult
	e.mustDo("POST", "/api/v1/events", e.key, `{"summary":"checkout down","dedup_key":"down"}`, 202, &res)
	base := "/api/v1/incidents/" + itoa(res.IncidentID) + "/roles"

	var roles api.IncidentRoles
	e.mustDo("GET", base, e.token, "", 200, &roles)
	if roles.Items == nil || len(roles.Items) != 0 {
		t.Fatalf("roles of a new incident = %+v", roles)
	}
	e.mustDo("PUT", base+"/incident_manager", e.token, `{"user_id":`+itoa(ana.ID)+`}`, 200, &roles)
	if len(roles.Items) != 1 || roles.Items[0].Role != vigil.IncidentManager || roles.Items[0].UserName != "Ana" || roles.Items[0].AssignedBy != "ops" {
		t.Fatalf("after PUT: %+v", roles.Items)
	}
	e.mustDo("GET", base, e.token, "", 200, &roles)
	if len(roles.Items) != 1 || roles.Items[0].UserID != ana.ID {
		t.Errorf("GET after PUT: %+v", roles.Items)
	}
	e.mustDo("DELETE", base+"/incident_manager", e.token, "", 200, &roles)
	if len(roles.Items) != 0 {
		t.Errorf("after DELETE: %+v", roles.Items)
	}

	for _, c := range []struct {
		name, method, path, body string
		status                   int
		contains                 string
	}{
		{"unknown role", "PUT", base + "/scribe", `{"user_id":` + itoa(ana.ID) + `}`, 400, `"field":"role"`},
		{"no user", "PUT", base + "/tech_lead", `{}`, 400, `"field":"user_id"`},
		{"unknown user", "PUT", base + "/tech_lead", `{"user_id":999}`, 400, `"field":"user_id"`},
		{"unknown field", "PUT", base + "/tech_lead", `{"user":1}`, 400, `user`},
		{"unknown incident", "PUT", "/api/v1/incidents/999/roles/tech_lead", `{"user_id":` + itoa(ana.ID) + `}`, 404, `not_found`},
		{"no token", "GET", base, "", 401, `unauthorized`},
	} {
		token := e.token
		if c.name == "no token" {
			token = ""
		}
		status, body := e.do(c.method, c.path, token, c.body)
		if status != c.status || !strings.Contains(body, c.contains) {
			t.Errorf("%s: %d %s, want %d with %s", c.name, status, body, c.status, c.contains)
		}
	}
}
