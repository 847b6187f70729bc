package storetest

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigil-oss/vigil/internal/vigil"
)

func testServices(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	api := e.service("api", func(s *vigil.Service) { s.Description = "the public API" })
	if api.ID == 0 || !api.CreatedAt.Equal(t0) || !api.UpdatedAt.Equal(t0) {
		t.Fatalf("created service = %+v, want ID and times set to now", api)
	}
	want := vigil.GroupingRule{Mode: vigil.GroupByTime, Window: vigil.Duration(vigil.DefaultGroupWindow)}
	if diff := cmp.Diff(want, api.Grouping); diff != "" {
		t.Errorf("normalized grouping (-want +got):\n%s", diff)
	}
	got, err := e.st.FindServiceByID(e.ctx, api.ID)
	must(t, err)
	if diff := cmp.Diff(api, got); diff != "" {
		t.Errorf("FindServiceByID (-want +got):\n%s", diff)
	}

	// AutoResolve is kept as the caller sets it.
	db := e.service("db", func(s *vigil.Service) {
		s.AutoResolve = false
		s.Grouping = vigil.GroupingRule{Mode: vigil.GroupByLabels, Labels: []string{"cluster", "alertname"}}
	})
	got, err = e.st.FindServiceByID(e.ctx, db.ID)
	must(t, err)
	if got.AutoResolve || got.Grouping.Mode != vigil.GroupByLabels || !cmp.Equal(got.Grouping.Labels, []string{"cluster", "alertname"}) {
		t.Errorf("service db = %+v", got)
	}

	// Invalid and conflicting input.
	err = e.st.CreateService(e.ctx, &vigil.Service{Name: "api"})
	wantCode(t, err, vigil.CodeConflict, "name")
	wantCode(t, e.st.CreateService(e.ctx, &vigil.Service{Name: ""}), vigil.CodeInvalid, "name")
	wantCode(t, e.st.CreateService(e.ctx, &vigil.Service{Name: strings.Repeat("x", vigil.MaxNameLen+1)}), vigil.CodeInvalid, "name")
	wantCode(t, e.st.CreateService(e.ctx, &vigil.Service{Name: "x", Grouping: vigil.GroupingRule{Mode: "bogus"}}), vigil.CodeInvalid, "grouping.mode")
	wantCode(t, e.st.CreateService(e.ctx, &vigil.Service{Name: "x", Grouping: vigil.GroupingRule{Mode: vigil.GroupByLabels}}), vigil.CodeInvalid, "grouping.labels")
	_, err = e.st.FindServiceByID(e.ctx, 999999)
	wantCode(t, err, vigil.CodeNotFound)

	// List: by name, with totals and pages.
	e.service("cache", nil)
	list, total, err := e.st.FindServices(e.ctx, vigil.ServiceFilter{})
	must(t, err)
	if total != 3 || len(list) != 3 || list[0].Name != "api" || list[1].Name != "cache" || list[2].Name != "db" {
		t.Errorf("FindServices = %d %v, want api, cache, db", total, names(list))
	}
	list, total, err = e.st.FindServices(e.ctx, vigil.ServiceFilter{Offset: 1, Limit: 1})
	must(t, err)
	if total != 3 || len(list) != 1 || list[0].Name != "cache" {
		t.Errorf("FindServices page 2 = %d %v, want 3 [cache]", total, names(list))
	}
	name := "db"
	list, total, err = e.st.FindServices(e.ctx, vigil.ServiceFilter{Name: &name})
	must(t, err)
	if total != 1 || len(list) != 1 || list[0].ID != db.ID {
		t.Errorf("FindServices(name=db) = %d %v", total, names(list))
	}
	list, total, err = e.st.FindServices(e.ctx, vigil.ServiceFilter{ID: &api.ID})
	must(t, err)
	if total != 1 || len(list) != 1 || list[0].ID != api.ID {
		t.Errorf("FindServices(id=api) = %d %v", total, names(list))
	}

	// Update.
	e.clock.Advance(time.Minute)
	newName, desc, off := "api-gateway", "edge", false
	upd, err := e.st.UpdateService(e.ctx, api.ID, vigil.ServiceUpdate{Name: &newName, Description: &desc, AutoResolve: &off,
		Grouping: &vigil.GroupingRule{Mode: vigil.GroupByTime}})
	must(t, err)
	if upd.Name != newName || upd.Description != desc || upd.AutoResolve || !upd.UpdatedAt.Equal(t0.Add(time.Minute)) ||
		!upd.CreatedAt.Equal(t0) || upd.Grouping.Window != vigil.Duration(vigil.DefaultGroupWindow) {
		t.Errorf("UpdateService = %+v", upd)
	}
	got, err = e.st.FindServiceByID(e.ctx, api.ID)
	must(t, err)
	if diff := cmp.Diff(upd, got); diff != "" {
		t.Errorf("after update (-want +got):\n%s", diff)
	}
	_, err = e.st.UpdateService(e.ctx, api.ID, vigil.ServiceUpdate{Name: &name})
	wantCode(t, err, vigil.CodeConflict, "name")
	empty := ""
	_, err = e.st.UpdateService(e.ctx, api.ID, vigil.ServiceUpdate{Name: &empty})
	wantCode(t, err, vigil.CodeInvalid, "name")
	_, err = e.st.UpdateService(e.ctx, 999999, vigil.ServiceUpdate{Name: &newName})
	wantCode(t, err, vigil.CodeNotFound)
}

func names(list []*vigil.Service) []string {
	var n []string
	for _, s := range list {
		n = append(n, s.Name)
	}
	return n
}

func testServiceDelete(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	s := e.service("api", nil)
	k, err := e.st.CreateIntegrationKey(e.ctx, s.ID, "prometheus")
	must(t, err)
	_, err = e.st.AuthenticateIntegrationKey(e.ctx, k.Secret) // a store may remember it
	must(t, err)
	must(t, e.st.DeleteService(e.ctx, s.ID))
	_, err = e.st.FindServiceByID(e.ctx, s.ID)
	wantCode(t, err, vigil.CodeNotFound)
	_, err = e.st.AuthenticateIntegrationKey(e.ctx, k.Secret)
	wantCode(t, err, vigil.CodeUnauthorized)
	wantCode(t, e.st.DeleteService(e.ctx, s.ID), vigil.CodeNotFound)

	// A service with incidents keeps them: deleting it conflicts.
	s2 := e.service("db", nil)
	e.send1(trigger(s2.ID, "k", "disk full", vigil.SeverityError))
	wantCode(t, e.st.DeleteService(e.ctx, s2.ID), vigil.CodeConflict)
	if _, err := e.st.FindServiceByID(e.ctx, s2.ID); err != nil {
		t.Fatalf("service gone after refused delete: %v", err)
	}
}

func testIntegrationKeys(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	s := e.service("api", nil)
	other := e.service("db", nil)

	k, err := e.st.CreateIntegrationKey(e.ctx, s.ID, "prometheus")
	must(t, err)
	if !strings.HasPrefix(k.Secret, vigil.IntegrationKeyPrefix) || k.Prefix != vigil.SecretDisplayPrefix(k.Secret) ||
		k.ID == 0 || k.ServiceID != s.ID || k.Name != "prometheus" || !k.CreatedAt.Equal(t0) || k.RevokedAt != nil {
		t.Fatalf("CreateIntegrationKey = %+v", k)
	}
	k2, err := e.st.CreateIntegrationKey(e.ctx, s.ID, "grafana")
	must(t, err)
	if k2.Secret == k.Secret {
		t.Fatal("two keys share a secret")
	}
	_, err = e.st.CreateIntegrationKey(e.ctx, 999999, "x")
	wantCode(t, err, vigil.CodeNotFound)

	got, err := e.st.AuthenticateIntegrationKey(e.ctx, k.Secret)
	must(t, err)
	if got.ID != k.ID || got.ServiceID != s.ID || got.Secret != "" {
		t.Errorf("AuthenticateIntegrationKey = %+v, want key %d without secret", got, k.ID)
	}
	for _, bad := range []string{"", "vgi_unknown", k.Secret + "x", vigil.HashSecret(k.Secret)} {
		_, err := e.st.AuthenticateIntegrationKey(e.ctx, bad)
		wantCode(t, err, vigil.CodeUnauthorized)
	}

	keys, err := e.st.FindIntegrationKeys(e.ctx, s.ID)
	must(t, err)
	if len(keys) != 2 || keys[0].ID != k.ID || keys[1].ID != k2.ID {
		t.Fatalf("FindIntegrationKeys = %+v", keys)
	}
	for _, key := range keys {
		if key.Secret != "" {
			t.Errorf("FindIntegrationKeys returned a secret for key %d", key.ID)
		}
	}
	if keys, err := e.st.FindIntegrationKeys(e.ctx, other.ID); err != nil || len(keys) != 0 {
		t.Errorf("FindIntegrationKeys(other) = %v, %v; want none", keys, err)
	}

	// Revoke: only through the key's own service; twice is fine.
	wantCode(t, e.st.RevokeIntegrationKey(e.ctx, other.ID, k.ID), vigil.CodeNotFound)
	wantCode(t, e.st.RevokeIntegrationKey(e.ctx, s.ID, 999999), vigil.CodeNotFound)
	e.clock.Advance(time.Hour)
	must(t, e.st.RevokeIntegrationKey(e.ctx, s.ID, k.ID))
	e.clock.Advance(time.Hour)
	must(t, e.st.RevokeIntegrationKey(e.ctx, s.ID, k.ID))
	_, err = e.st.AuthenticateIntegrationKey(e.ctx, k.Secret)
	wantCode(t, err, vigil.CodeUnauthorized)
	if _, err := e.st.AuthenticateIntegrationKey(e.ctx, k2.Secret); err != nil {
		t.Errorf("the other key stopped working: %v", err)
	}
	keys, err = e.st.FindIntegrationKeys(e.ctx, s.ID)
	must(t, err)
	if keys[0].RevokedAt == nil || !keys[0].RevokedAt.Equal(t0.Add(time.Hour)) || keys[1].RevokedAt != nil {
		t.Errorf("after revoke: %+v %+v, want first revoked at first revocation", keys[0], keys[1])
	}
}

func testAPITokens(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	n, err := e.st.CountAPITokens(e.ctx)
	must(t, err)
	if n != 0 {
		t.Fatalf("CountAPITokens on a new database = %d", n)
	}
	secret := vigil.NewSecret(vigil.TokenPrefix)
	tok, err := e.st.CreateAPIToken(e.ctx, "ops-token", vigil.RoleAdmin, secret)
	must(t, err)
	if tok.ID == 0 || tok.Name != "ops-token" || !slices.Equal(tok.Scopes, []string{vigil.PermAdmin}) || tok.Prefix != vigil.SecretDisplayPrefix(secret) ||
		!tok.CreatedAt.Equal(t0) || tok.LastUsedAt != nil {
		t.Fatalf("CreateAPIToken = %+v", tok)
	}
	_, err = e.st.CreateAPIToken(e.ctx, "again", vigil.RoleAdmin, secret)
	wantCode(t, err, vigil.CodeConflict)
	_, err = e.st.CreateAPIToken(e.ctx, "", vigil.RoleAdmin, vigil.NewSecret(vigil.TokenPrefix))
	wantCode(t, err, vigil.CodeInvalid, "name")
	_, err = e.st.CreateAPIToken(e.ctx, "x", "superuser", vigil.NewSecret(vigil.TokenPrefix))
	wantCode(t, err, vigil.CodeInvalid, "role")
	_, err = e.st.CreateAPIToken(e.ctx, "x", vigil.RoleAdmin, "")
	wantCode(t, err, vigil.CodeInvalid, "secret")

	got, err := e.st.AuthenticateAPIToken(e.ctx, secret, "192.0.2.1")
	must(t, err)
	if got.ID != tok.ID || got.LastUsedAt == nil || !got.LastUsedAt.Equal(t0) {
		t.Fatalf("AuthenticateAPIToken = %+v, want last use now", got)
	}
	// Use is recorded at most once a minute.
	e.clock.Advance(30 * time.Second)
	got, err = e.st.AuthenticateAPIToken(e.ctx, secret, "192.0.2.1")
	must(t, err)
	if !got.LastUsedAt.Equal(t0) {
		t.Errorf("last use after 30s = %v, want unchanged %v", got.LastUsedAt, t0)
	}
	e.clock.Advance(time.Minute)
	if _, err := e.st.AuthenticateAPIToken(e.ctx, secret, "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	got, err = e.st.AuthenticateAPIToken(e.ctx, secret, "192.0.2.1")
	must(t, err)
	if want := t0.Add(90 * time.Second); !got.LastUsedAt.Equal(want) {
		t.Errorf("last use after 90s = %v, want %v", got.LastUsedAt, want)
	}

	for _, bad := range []string{"", "vgt_nope", secret + "x"} {
		_, err := e.st.AuthenticateAPIToken(e.ctx, bad, "192.0.2.1")
		wantCode(t, err, vigil.CodeUnauthorized)
	}
	n, err = e.st.CountAPITokens(e.ctx)
	must(t, err)
	if n != 1 {
		t.Errorf("CountAPITokens = %d, want 1", n)
	}
}
