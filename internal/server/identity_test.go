package server

import (
	"context"
	"strings"
	"testing"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// Single sign-on identities through the API: the person lists and unlinks
// their own, but not their last way in; an admin may unlink any; another
// user's identity is not found; every unlink is audited.
func TestIdentityAPI(t *testing.T) {
	e := newEnv(t)
	ctx := vigil.WithActor(context.Background(), vigil.Actor{Kind: vigil.ActorToken, Name: "seed", Source: vigil.SourceAPI})
	const iss = "https://idp.example.com"
	person := func(name string, subjects ...string) (userID int64, identityIDs []int64, token string) {
		t.Helper()
		u := &vigil.User{Name: name, Email: strings.ToLower(name) + "@example.com"}
		if err := e.store.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		for _, s := range subjects {
			if _, err := e.store.SignInIdentity(ctx, &vigil.IdentitySignIn{Issuer: iss, Subject: s, Email: u.Email}); err != nil {
				t.Fatal(err)
			}
		}
		ids, err := e.store.ListIdentities(ctx, u.ID)
		if err != nil || len(ids) != len(subjects) {
			t.Fatalf("identities of %s = %v, %v", name, ids, err)
		}
		for _, i := range ids {
			identityIDs = append(identityIDs, i.ID)
		}
		tok, err := e.store.CreateToken(ctx, vigil.TokenSpec{Name: name + "-cli", UserID: u.ID, Scopes: vigil.Scopes})
		if err != nil {
			t.Fatal(err)
		}
		return u.ID, identityIDs, tok.Secret
	}
	ana, anaIDs, anaToken := person("Ana", "okta|ana-1", "okta|ana-2")
	bo, boIDs, _ := person("Bo", "okta|bo")
	e.vars["ana"], e.vars["bo"] = itoa(ana), itoa(bo)
	e.vars["ana1"], e.vars["ana2"], e.vars["bo1"] = itoa(anaIDs[0]), itoa(anaIDs[1]), itoa(boIDs[0])
	asAna := map[string]string{"Authorization": "Bearer " + anaToken}

	list := e.do("GET", "/api/v1/users/{ana}/identities", nil, asAna).want(t, 200)
	var got struct{ Items []vigil.Identity }
	list.json(t, &got)
	if len(got.Items) != 2 || got.Items[0].Subject != "okta|ana-1" || got.Items[0].Issuer != iss || got.Items[0].UserID != ana {
		t.Errorf("Ana's identities = %s", list.body)
	}
	// Another person's identities are not Ana's to see or unlink.
	e.do("GET", "/api/v1/users/{bo}/identities", nil, asAna).want(t, 403)
	e.do("DELETE", "/api/v1/users/{bo}/identities/{bo1}", nil, asAna).want(t, 403)
	// Bo's identity under Ana's path is not found, even for an admin.
	e.do("DELETE", "/api/v1/users/{ana}/identities/{bo1}", nil, asAna).want(t, 404)
	e.call("DELETE", "/api/v1/users/{ana}/identities/{bo1}", "").want(t, 404)
	e.call("DELETE", "/api/v1/users/{ana}/identities/x", "").want(t, 400)
	e.call("GET", "/api/v1/users/999999/identities", "").want(t, 404)
	if doc := e.call("GET", "/api/v1/openapi.json", "").want(t, 200).body; !strings.Contains(doc, `"/api/v1/users/{id}/identities/{identity_id}"`) {
		t.Error("the OpenAPI document lacks the unlink route")
	}

	// Ana unlinks one of two, then not the last one (no password): 409.
	e.do("DELETE", "/api/v1/users/{ana}/identities/{ana2}", nil, asAna).want(t, 204)
	refused := e.do("DELETE", "/api/v1/users/{ana}/identities/{ana1}", nil, asAna).want(t, 409)
	if !strings.Contains(refused.body, "last way to sign in") {
		t.Errorf("409 body = %s, want it to say why", refused.body)
	}
	// An admin may.
	e.call("DELETE", "/api/v1/users/{ana}/identities/{ana1}", "").want(t, 204)
	if b := e.call("GET", "/api/v1/users/{ana}/identities", "").want(t, 200).body; !strings.Contains(b, `"items":[]`) {
		t.Errorf("identities after unlinking all = %s", b)
	}
	e.call("DELETE", "/api/v1/users/{ana}/identities/{ana1}", "").want(t, 404)

	// Both unlinks are audited, by who did them, with what went.
	entries, _, err := e.store.FindAuditEntries(context.Background(), vigil.AuditFilter{Action: "user.identity-unlink"})
	if err != nil || len(entries) != 2 {
		t.Fatalf("unlink audit entries = %v, %v; want 2", entries, err)
	}
	actors := map[string]bool{}
	for _, a := range entries {
		actors[a.Actor.Name] = true
		if a.ObjectID != ana || a.Actor.Source != vigil.SourceAPI || !strings.Contains(string(a.Before), "okta|ana-") {
			t.Errorf("audit entry = %+v (before %s)", a, a.Before)
		}
	}
	if !actors["Ana"] || !actors["admin"] || len(actors) != 2 {
		t.Errorf("unlink actors = %v, want Ana and the admin", actors)
	}
}
