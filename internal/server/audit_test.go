package server

import (
	"net/url"
	"strings"
	"testing"

	"github.com/vigil-oss/vigil/internal/api"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// The audit log over HTTP: a change through the API is recorded with the
// token, the source and the caller's address; the filters work; bad
// values are a 400 naming the parameter; and no route can change it.
func TestAuditAPI(t *testing.T) {
	e := newEnv(t)
	e.call("PATCH", "/api/v1/services/{svc}", `{"description":"Public <checkout> API"}`).want(t, 200)
	e.do("POST", "/api/v1/services", strings.NewReader(`{"name":"billing"}`), map[string]string{"X-Vigil-Source": "cli"}).want(t, 201)

	var list api.List[*vigil.AuditEntry]
	e.call("GET", "/api/v1/audit?action=service.update", "").want(t, 200).json(t, &list)
	if list.Total != 1 || len(list.Items) != 1 {
		t.Fatalf("service.update entries: %+v", list)
	}
	a := list.Items[0]
	if a.Actor.Kind != vigil.ActorToken || a.Actor.Name != "admin" || a.Actor.Source != vigil.SourceAPI || a.Address != "127.0.0.1" ||
		a.ObjectType != "service" || a.ObjectID != e.service.ID {
		t.Errorf("entry %+v", a)
	}
	if !strings.Contains(string(a.Before), `"description":""`) || !strings.Contains(string(a.After), `"description":"Public <checkout> API"`) {
		t.Errorf("before %s after %s", a.Before, a.After)
	}
	e.call("GET", "/api/v1/audit?action=service.create&object=service", "").want(t, 200).json(t, &list)
	if list.Total != 2 || list.Items[0].Actor.Source != vigil.SourceCLI || list.Items[1].Actor.Name != "seed" {
		t.Errorf("service.create entries: %+v", list.Items)
	}
	e.call("GET", "/api/v1/audit?object=service:"+itoa(e.service.ID)+"&limit=1", "").want(t, 200).json(t, &list)
	if list.Total != 2 || len(list.Items) != 1 || list.Limit != 1 || list.Items[0].Action != "service.update" {
		t.Errorf("object filter: %+v", list)
	}
	e.call("GET", "/api/v1/audit?search="+url.QueryEscape("<checkout>")+"&actor=admin&since=2026-03-01T00:00:00Z&until=2026-03-02T00:00:00Z", "").
		want(t, 200).json(t, &list)
	if list.Total != 1 {
		t.Errorf("search: %+v", list)
	}

	// The secrets of the harness's key and token are nowhere in the log.
	body := e.call("GET", "/api/v1/audit?limit=500", "").want(t, 200).body
	for _, secret := range []string{e.token, e.key.Secret} {
		if strings.Contains(body, secret) {
			t.Errorf("a secret is in the audit log")
		}
	}

	for _, c := range []struct{ query, field string }{
		{"since=yesterday", "since"},
		{"until=2026-13-01T00:00:00Z", "until"},
		{"since=2026-03-02T00:00:00Z&until=2026-03-01T00:00:00Z", "until"},
		{"object_id=0", "object_id"},
		{"object_id=abc", "object_id"},
		{"object=service:x", "object"},
		{"object=service:1&object_id=2", "object"},
		{"limit=-1", "limit"},
		{"offset=x", "offset"},
		{"search=" + strings.Repeat("a", 300), "search"},
		{"actor=%ff", "actor"},
	} {
		r := e.call("GET", "/api/v1/audit?"+c.query, "").want(t, 400)
		if !strings.Contains(r.body, `"field":"`+c.field+`"`) {
			t.Errorf("%s: %s, want field %s", c.query, r.body, c.field)
		}
	}

	e.do("GET", "/api/v1/audit", nil, map[string]string{"Authorization": ""}).want(t, 401)
	if doc := e.call("GET", "/api/v1/openapi.json", "").want(t, 200).body; !strings.Contains(doc, `"x-vigil-permission": "admin"`) {
		t.Error("the OpenAPI document does not mark the audit log admin-only")
	}
	for _, m := range []string{"POST", "PUT", "PATCH", "DELETE"} {
		e.call(m, "/api/v1/audit", "").want(t, 405)
		e.call(m, "/api/v1/audit/1", "").want(t, 404)
	}
}

// No route of the API writes to the audit log directly, and reading it is
// marked for admins only.
func TestAuditRoutesReadOnly(t *testing.T) {
	a := api.New(api.Deps{})
	found := false
	for _, rt := range a.Routes() {
		if !strings.HasPrefix(rt.Pattern, "/api/v1/audit") {
			continue
		}
		found = true
		if rt.Method != "GET" {
			t.Errorf("%s %s: the audit log must have no writing route", rt.Method, rt.Pattern)
		}
		if rt.Perm != vigil.PermAdmin || rt.Auth != api.AuthToken {
			t.Errorf("%s %s: auth %q permission %q, want a token of an admin", rt.Method, rt.Pattern, rt.Auth, rt.Perm)
		}
	}
	if !found {
		t.Error("GET /api/v1/audit is not in the route table")
	}
}
