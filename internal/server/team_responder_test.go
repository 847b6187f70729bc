package server

import (
	"context"
	"strings"
	"testing"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// Roles per team through the API: a viewer who responds for team A (and
// a viewer who manages it) acknowledges, notes, takes roles on and
// declares incidents of A's services, and none of team B's; manage
// routes stay closed to the responder; a read-only token of the same
// person cannot respond; a private incident of A is not found; leaving
// the team's responders takes effect on the next request.
func TestTeamRespondersOverTheAPI(t *testing.T) {
	e := newEnv(t)
	ctx := vigil.WithActor(context.Background(), vigil.Actor{Kind: vigil.ActorSystem, Name: "test"})
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	person := func(name string, scopes ...string) (int64, string) {
		u := &vigil.User{Name: name, Email: name + "@example.com"}
		must(e.store.CreateUser(ctx, u))
		must(e.store.SetUserRole(ctx, u.ID, vigil.RoleViewer))
		tok, err := e.store.CreateToken(ctx, vigil.TokenSpec{Name: name, UserID: u.ID, Scopes: scopes})
		must(err)
		return u.ID, tok.Secret
	}
	cy, cyTok := person("cy", vigil.PermRead, vigil.PermRespond)
	readTok, err := e.store.CreateToken(ctx, vigil.TokenSpec{Name: "cy-read", UserID: cy, Scopes: []string{vigil.PermRead}})
	must(err)
	cyRead := readTok.Secret
	mo, moTok := person("mo", vigil.PermRead, vigil.PermRespond, vigil.PermManage)
	a := &vigil.Team{Name: "a", Responders: []int64{cy}, Managers: []int64{mo}}
	must(e.store.CreateTeam(ctx, a))
	b := &vigil.Team{Name: "b"}
	must(e.store.CreateTeam(ctx, b))
	_, err = e.store.UpdateService(ctx, e.service.ID, vigil.ServiceUpdate{TeamID: &a.ID})
	must(err)
	billing := &vigil.Service{Name: "billing", TeamID: b.ID}
	billing.Normalize()
	must(e.store.CreateService(ctx, billing))
	billingKey, err := e.store.CreateIntegrationKey(ctx, billing.ID, "prom")
	must(err)

	ours := eventResult(t, e.ingest(`{"summary":"disk full","dedup_key":"disk"}`)).IncidentID
	theirs := eventResult(t, e.do("POST", "/api/v1/events", strings.NewReader(`{"summary":"queue stuck"}`),
		map[string]string{"Authorization": "Bearer " + billingKey.Secret})).IncidentID
	as := func(secret, method, path, body string) response {
		t.Helper()
		var r *strings.Reader
		if body != "" {
			r = strings.NewReader(body)
		}
		if r == nil {
			return e.do(method, path, nil, map[string]string{"Authorization": "Bearer " + secret})
		}
		return e.do(method, path, r, map[string]string{"Authorization": "Bearer " + secret})
	}
	inc := func(id int64, rest string) string { return "/api/v1/incidents/" + itoa(id) + rest }

	for _, tok := range []string{cyTok, moTok} {
		as(tok, "POST", inc(ours, "/notes"), `{"body":"looking"}`).want(t, 201)
		as(tok, "POST", inc(theirs, "/notes"), `{"body":"looking"}`).want(t, 403)
		as(tok, "POST", inc(theirs, "/acknowledge"), "").want(t, 403)
	}
	as(cyTok, "POST", inc(ours, "/acknowledge"), "").want(t, 200)
	as(cyTok, "PUT", inc(ours, "/roles/tech_lead"), `{"user_id":`+itoa(cy)+`}`).want(t, 200)
	as(cyTok, "PUT", inc(theirs, "/roles/tech_lead"), `{"user_id":`+itoa(cy)+`}`).want(t, 403)
	as(cyRead, "POST", inc(ours, "/resolve"), "").want(t, 403)
	as(cyTok, "POST", "/api/v1/incidents", `{"service_id":`+itoa(e.service.ID)+`,"title":"by hand"}`).want(t, 201)
	as(cyTok, "POST", "/api/v1/incidents", `{"service_id":`+itoa(billing.ID)+`,"title":"by hand"}`).want(t, 403)
	as(cyTok, "POST", "/api/v1/incidents", `{"title":"no service"}`).want(t, 403)
	// Responding is not managing: the responder changes none of A's objects.
	as(cyTok, "PATCH", "/api/v1/services/"+itoa(e.service.ID), `{"description":"x"}`).want(t, 403)
	as(moTok, "PATCH", "/api/v1/services/"+itoa(e.service.ID), `{"description":"x"}`).want(t, 200)

	// A private incident of team A: its responders and A's managers see it;
	// a team responder who is not one of its responders does not.
	private := eventResult(t, e.ingest(`{"summary":"odd logins","dedup_key":"sec"}`)).IncidentID
	e.call("PATCH", inc(private, ""), `{"private":true}`).want(t, 200)
	as(cyTok, "POST", inc(private, "/acknowledge"), "").want(t, 404)
	as(moTok, "POST", inc(private, "/acknowledge"), "").want(t, 200)

	a.Responders, a.Managers = nil, []int64{mo}
	must(e.store.UpdateTeam(ctx, a))
	as(cyTok, "POST", inc(ours, "/resolve"), "").want(t, 403)
	as(moTok, "POST", inc(ours, "/resolve"), "").want(t, 200)
}

// The OpenAPI document says which routes a team grant opens: respond
// routes on an incident to the team's responders, manage routes to its
// managers.
func TestOpenAPINamesTeamGrants(t *testing.T) {
	e := newEnv(t)
	var doc struct {
		Paths map[string]map[string]map[string]any `json:"paths"`
	}
	e.call("GET", "/api/v1/openapi.json", "").want(t, 200).json(t, &doc)
	ack := doc.Paths["/api/v1/incidents/{id}/acknowledge"]["post"]
	if ack["x-vigil-permission"] != "respond" || ack["x-vigil-team-responders"] != true || ack["x-vigil-team-managers"] != nil {
		t.Errorf("acknowledge: %v", ack)
	}
	svc := doc.Paths["/api/v1/services/{id}"]["patch"]
	if svc["x-vigil-permission"] != "manage" || svc["x-vigil-team-managers"] != true || svc["x-vigil-team-responders"] != nil {
		t.Errorf("patch service: %v", svc)
	}
	if page := doc.Paths["/api/v1/page"]["post"]; page["x-vigil-team-responders"] != nil {
		t.Errorf("an ad-hoc page is for global responders only: %v", page)
	}
}
