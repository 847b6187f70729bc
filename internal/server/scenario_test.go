package server

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/vigil-oss/vigil/internal/api"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// scenario is one request against a fresh server (PocketBase's ApiScenario).
// Paths, bodies and headers may use {svc}, {keyid}, {inc}, {alert}, {key}.
type scenario struct {
	name            string
	setup           func(e *env)
	method, path    string
	headers         map[string]string
	body            string
	rawBody         func() io.Reader // overrides body; sent chunked when its length is unknown
	wantStatus      int
	wantContains    []string
	wantNotContains []string
}

func (sc scenario) run(t *testing.T) { sc.runOn(t, "") }

// runOn runs the scenario on SQLite, or on PostgreSQL when pgURL is set.
func (sc scenario) runOn(t *testing.T, pgURL string) {
	e := newEnvOn(t, pgURL)
	e.vars["key"] = e.key.Secret
	if sc.setup != nil {
		sc.setup(e)
	}
	var body io.Reader
	switch {
	case sc.rawBody != nil:
		body = sc.rawBody()
	case sc.body != "":
		body = strings.NewReader(e.expand(sc.body))
	}
	res := e.do(sc.method, sc.path, body, sc.headers)
	if res.status != sc.wantStatus {
		t.Errorf("status %d, want %d; body: %.600s", res.status, sc.wantStatus, res.body)
	}
	for _, s := range sc.wantContains {
		if !strings.Contains(res.body, e.expand(s)) {
			t.Errorf("body lacks %q: %.600s", e.expand(s), res.body)
		}
	}
	for _, s := range sc.wantNotContains {
		if strings.Contains(res.body, e.expand(s)) {
			t.Errorf("body contains %q: %.600s", e.expand(s), res.body)
		}
	}
	for _, secret := range []string{e.token, e.key.Secret} {
		if strings.Contains(res.body, secret) && !strings.Contains(sc.path, "integration-keys") {
			t.Errorf("a secret leaked into the answer")
		}
	}
	if res.status >= 400 && !strings.Contains(res.body, `"error":{"code":`) {
		t.Errorf("error answer not in the error shape: %.300s", res.body)
	}
	for h, v := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"} {
		if res.header.Get(h) != v {
			t.Errorf("header %s = %q, want %q", h, res.header.Get(h), v)
		}
	}
}

// withIncident declares an incident ({inc}).
func withIncident(e *env) {
	r := e.call("POST", "/api/v1/incidents", `{"service_id":{svc},"title":"Checkout is slow","severity":"warning"}`).want(e.t, 201)
	var inc vigil.Incident
	r.json(e.t, &inc)
	e.vars["inc"] = itoa(inc.ID)
}

// withAlert ingests a trigger ({alert}, {inc}).
func withAlert(e *env) {
	r := e.ingest(`{"summary":"CPU high on db1","dedup_key":"cpu-db1","severity":"critical","labels":{"host":"db1"}}`).want(e.t, 202)
	var res vigil.EventResult
	r.json(e.t, &res)
	e.vars["alert"], e.vars["inc"] = itoa(res.AlertID), itoa(res.IncidentID)
}

func withResolvedIncident(e *env) {
	withIncident(e)
	e.call("POST", "/api/v1/incidents/{inc}/resolve", "").want(e.t, 200)
}

var keyAuth = map[string]string{"Authorization": "Bearer {key}"}

func TestScenarios(t *testing.T) {
	for _, sc := range apiScenarios() {
		t.Run(sc.name, sc.run)
	}
}

// TestScenariosPostgres runs the same table on PostgreSQL, which refuses
// some text SQLite takes (NUL, invalid UTF-8): a 5xx there would be a bug.
func TestScenariosPostgres(t *testing.T) {
	migratedPostgresURL(t) // skips when PostgreSQL is not configured
	for _, sc := range apiScenarios() {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			sc.runOn(t, migratedPostgresURL(t))
		})
	}
}

func apiScenarios() []scenario {
	big := strings.Repeat("a", 1<<20)
	scenarios := []scenario{
		// Services.
		{name: "list services", method: "GET", path: "/api/v1/services", wantStatus: 200,
			wantContains: []string{`"name":"checkout"`, `"total":1`, `"offset":0`, `"limit":50`}},
		{name: "list services by name", method: "GET", path: "/api/v1/services?name=nope", wantStatus: 200,
			wantContains: []string{`"items":[]`, `"total":0`}},
		{name: "list services bad limit", method: "GET", path: "/api/v1/services?limit=x", wantStatus: 400,
			wantContains: []string{`"field":"limit"`}},
		{name: "create service defaults", method: "POST", path: "/api/v1/services", body: `{"name":"payments"}`, wantStatus: 201,
			wantContains: []string{`"name":"payments"`, `"auto_resolve":true`, `"mode":"time"`, `"window":"5m0s"`}},
		{name: "create service auto_resolve false", method: "POST", path: "/api/v1/services",
			body: `{"name":"batch","description":"nightly","grouping":{"mode":"labels","labels":["host"]},"auto_resolve":false}`, wantStatus: 201,
			wantContains: []string{`"auto_resolve":false`, `"mode":"labels"`, `"description":"nightly"`}},
		{name: "create service unknown field", method: "POST", path: "/api/v1/services", body: `{"name":"x","colour":"red"}`, wantStatus: 400,
			wantContains: []string{`"field":"colour"`}},
		{name: "create service no name", method: "POST", path: "/api/v1/services", body: `{}`, wantStatus: 400,
			wantContains: []string{`"field":"name"`}},
		{name: "create service bad grouping", method: "POST", path: "/api/v1/services", body: `{"name":"x","grouping":{"mode":"labels"}}`, wantStatus: 400,
			wantContains: []string{`"field":"grouping.labels"`}},
		{name: "create service wrong type", method: "POST", path: "/api/v1/services", body: `{"name":5}`, wantStatus: 400,
			wantContains: []string{`"field":"name"`}},
		{name: "create service NUL in name", method: "POST", path: "/api/v1/services", body: `{"name":"a\u0000b"}`, wantStatus: 400,
			wantContains: []string{`"field":"name"`}},
		{name: "create service NUL in description", method: "POST", path: "/api/v1/services", body: `{"name":"ok","description":"a\u0000b"}`, wantStatus: 400,
			wantContains: []string{`"field":"description"`}},
		{name: "create key NUL in name", method: "POST", path: "/api/v1/services/{svc}/integration-keys", body: `{"name":"a\u0000b"}`, wantStatus: 400,
			wantContains: []string{`"field":"name"`}},
		{name: "list incidents NUL in q", method: "GET", path: "/api/v1/incidents?q=%00x", wantStatus: 400, wantContains: []string{`"field":"q"`}},
		{name: "list alerts invalid UTF-8 key", method: "GET", path: "/api/v1/alerts?dedup_key=%ff", wantStatus: 400, wantContains: []string{`"field":"dedup_key"`}},
		{name: "list services NUL in name", method: "GET", path: "/api/v1/services?name=%00", wantStatus: 400, wantContains: []string{`"field":"name"`}},
		{name: "create service duplicate", method: "POST", path: "/api/v1/services", body: `{"name":"checkout"}`, wantStatus: 409},
		{name: "create service not an object", method: "POST", path: "/api/v1/services", body: `["x"]`, wantStatus: 400},
		{name: "create service trailing garbage", method: "POST", path: "/api/v1/services", body: `{"name":"x"}{}`, wantStatus: 400},
		{name: "create service form", method: "POST", path: "/api/v1/services", body: `name=x`,
			headers: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, wantStatus: 415},
		{name: "create service charset ok", method: "POST", path: "/api/v1/services", body: `{"name":"utf"}`,
			headers: map[string]string{"Content-Type": "application/json; charset=utf-8"}, wantStatus: 201},
		{name: "get service", method: "GET", path: "/api/v1/services/{svc}", wantStatus: 200, wantContains: []string{`"id":{svc}`}},
		{name: "get service 404", method: "GET", path: "/api/v1/services/9999", wantStatus: 404, wantContains: []string{`"code":"not_found"`}},
		{name: "get service bad id", method: "GET", path: "/api/v1/services/abc", wantStatus: 400, wantContains: []string{`"field":"id"`}},
		{name: "patch service", method: "PATCH", path: "/api/v1/services/{svc}", body: `{"description":"the shop","auto_resolve":false}`, wantStatus: 200,
			wantContains: []string{`"description":"the shop"`, `"auto_resolve":false`, `"name":"checkout"`}},
		{name: "patch service unknown field", method: "PATCH", path: "/api/v1/services/{svc}", body: `{"nmae":"x"}`, wantStatus: 400,
			wantContains: []string{`"field":"nmae"`}},
		{name: "patch service 404", method: "PATCH", path: "/api/v1/services/9999", body: `{"description":"x"}`, wantStatus: 404},
		{name: "delete service with incident", setup: withIncident, method: "DELETE", path: "/api/v1/services/{svc}", wantStatus: 409},
		{name: "delete service", setup: func(e *env) {
			r := e.call("POST", "/api/v1/services", `{"name":"tmp"}`).want(e.t, 201)
			var s vigil.Service
			r.json(e.t, &s)
			e.vars["svc"] = itoa(s.ID)
		}, method: "DELETE", path: "/api/v1/services/{svc}", wantStatus: 204},

		// Integration keys.
		{name: "create key shows secret once", method: "POST", path: "/api/v1/services/{svc}/integration-keys", body: `{"name":"grafana"}`,
			wantStatus: 201, wantContains: []string{`"name":"grafana"`, `"secret":"vgi_`}},
		{name: "create key no name", method: "POST", path: "/api/v1/services/{svc}/integration-keys", body: `{"name":" "}`,
			wantStatus: 400, wantContains: []string{`"field":"name"`}},
		{name: "create key unknown service", method: "POST", path: "/api/v1/services/9999/integration-keys", body: `{"name":"x"}`, wantStatus: 404},
		{name: "list keys without secrets", method: "GET", path: "/api/v1/services/{svc}/integration-keys", wantStatus: 200,
			wantContains: []string{`"name":"prometheus"`, `"prefix":"vgi_`}, wantNotContains: []string{`"secret"`, "{key}"}},
		{name: "list keys unknown service", method: "GET", path: "/api/v1/services/9999/integration-keys", wantStatus: 404},
		{name: "revoke key", method: "DELETE", path: "/api/v1/services/{svc}/integration-keys/{keyid}", wantStatus: 204},
		{name: "revoke unknown key", method: "DELETE", path: "/api/v1/services/{svc}/integration-keys/9999", wantStatus: 404},

		// Incidents.
		{name: "declare incident", method: "POST", path: "/api/v1/incidents", body: `{"service_id":{svc},"title":"Checkout down","severity":"critical"}`,
			wantStatus: 201, wantContains: []string{`"title":"Checkout down"`, `"status":"triggered"`, `"severity":"critical"`, `"created_by":"admin"`}},
		{name: "declare incident default severity", method: "POST", path: "/api/v1/incidents", body: `{"service_id":{svc},"title":"x"}`,
			wantStatus: 201, wantContains: []string{`"severity":"error"`}},
		{name: "declare incident no title", method: "POST", path: "/api/v1/incidents", body: `{"service_id":{svc}}`,
			wantStatus: 400, wantContains: []string{`"field":"title"`}},
		{name: "declare incident bad severity", method: "POST", path: "/api/v1/incidents", body: `{"service_id":{svc},"title":"x","severity":"huge"}`,
			wantStatus: 400, wantContains: []string{`"field":"severity"`}},
		{name: "declare incident unknown service", method: "POST", path: "/api/v1/incidents", body: `{"service_id":9999,"title":"x"}`, wantStatus: 404},
		{name: "declare incident huge number", method: "POST", path: "/api/v1/incidents", body: `{"service_id":1e999,"title":"x"}`,
			wantStatus: 400, wantContains: []string{`"field":"service_id"`}},
		{name: "get incident with alerts", setup: withAlert, method: "GET", path: "/api/v1/incidents/{inc}", wantStatus: 200,
			wantContains: []string{`"id":{inc}`, `"alerts":[{`, `"dedup_key":"cpu-db1"`, `"service_name":"checkout"`}},
		{name: "get declared incident has empty alerts", setup: withIncident, method: "GET", path: "/api/v1/incidents/{inc}", wantStatus: 200,
			wantContains: []string{`"alerts":[]`}},
		{name: "get incident 404", method: "GET", path: "/api/v1/incidents/9999", wantStatus: 404},
		{name: "patch incident", setup: withIncident, method: "PATCH", path: "/api/v1/incidents/{inc}", body: `{"title":"Checkout very slow","severity":"critical"}`,
			wantStatus: 200, wantContains: []string{`"title":"Checkout very slow"`, `"severity":"critical"`}},
		{name: "patch incident empty title", setup: withIncident, method: "PATCH", path: "/api/v1/incidents/{inc}", body: `{"title":""}`,
			wantStatus: 400, wantContains: []string{`"field":"title"`}},
		{name: "patch incident unknown field", setup: withIncident, method: "PATCH", path: "/api/v1/incidents/{inc}", body: `{"status":"resolved"}`,
			wantStatus: 400, wantContains: []string{`"field":"status"`}},
		{name: "acknowledge without body", setup: withIncident, method: "POST", path: "/api/v1/incidents/{inc}/acknowledge", wantStatus: 200,
			wantContains: []string{`"status":"acknowledged"`, `"acknowledged_by":"admin"`}},
		{name: "acknowledge with {}", setup: withIncident, method: "POST", path: "/api/v1/incidents/{inc}/acknowledge", body: `{}`, wantStatus: 200},
		{name: "acknowledge with unknown field", setup: withIncident, method: "POST", path: "/api/v1/incidents/{inc}/acknowledge", body: `{"x":1}`, wantStatus: 400},
		{name: "acknowledge resolved is 409", setup: withResolvedIncident, method: "POST", path: "/api/v1/incidents/{inc}/acknowledge", wantStatus: 409,
			wantContains: []string{`"code":"conflict"`}},
		{name: "acknowledge 404", method: "POST", path: "/api/v1/incidents/9999/acknowledge", wantStatus: 404},
		{name: "resolve", setup: withIncident, method: "POST", path: "/api/v1/incidents/{inc}/resolve", wantStatus: 200,
			wantContains: []string{`"status":"resolved"`, `"resolved_by":"admin"`}},
		{name: "reopen", setup: withResolvedIncident, method: "POST", path: "/api/v1/incidents/{inc}/reopen", wantStatus: 200,
			wantContains: []string{`"status":"triggered"`}},
		{name: "reopen open is 409", setup: withIncident, method: "POST", path: "/api/v1/incidents/{inc}/reopen", wantStatus: 409},
		{name: "add note", setup: withIncident, method: "POST", path: "/api/v1/incidents/{inc}/notes", body: `{"body":"rolled back <b>v2</b>"}`,
			wantStatus: 201, wantContains: []string{`"kind":"note"`, `"message":"rolled back <b>v2</b>"`, `"actor":"admin"`, `"source":"api"`}},
		{name: "add empty note", setup: withIncident, method: "POST", path: "/api/v1/incidents/{inc}/notes", body: `{"body":"  "}`,
			wantStatus: 400, wantContains: []string{`"field":"body"`}},
		{name: "add note 404", method: "POST", path: "/api/v1/incidents/9999/notes", body: `{"body":"x"}`, wantStatus: 404},
		{name: "timeline", setup: withIncident, method: "GET", path: "/api/v1/incidents/{inc}/timeline", wantStatus: 200,
			wantContains: []string{`"kind":"created"`, `"total":1`}},
		{name: "timeline 404", method: "GET", path: "/api/v1/incidents/9999/timeline", wantStatus: 404},
		{name: "list incidents", setup: withIncident, method: "GET", path: "/api/v1/incidents", wantStatus: 200,
			wantContains: []string{`"total":1`, `"title":"Checkout is slow"`}},
		{name: "list incidents bad status", method: "GET", path: "/api/v1/incidents?status=open", wantStatus: 400,
			wantContains: []string{`"field":"status"`}},
		{name: "list incidents bad since", method: "GET", path: "/api/v1/incidents?since=yesterday", wantStatus: 400,
			wantContains: []string{`"field":"since"`}},
		{name: "list incidents bad until", method: "GET", path: "/api/v1/incidents?until=2026-13-01", wantStatus: 400,
			wantContains: []string{`"field":"until"`}},
		{name: "list incidents bad service", method: "GET", path: "/api/v1/incidents?service_id=-1", wantStatus: 400,
			wantContains: []string{`"field":"service_id"`}},
		{name: "list incidents bad severity", method: "GET", path: "/api/v1/incidents?severity=bad", wantStatus: 400,
			wantContains: []string{`"field":"severity"`}},
		{name: "list incidents bad offset", method: "GET", path: "/api/v1/incidents?offset=-3", wantStatus: 400,
			wantContains: []string{`"field":"offset"`}},

		// Alerts.
		{name: "list alerts", setup: withAlert, method: "GET", path: "/api/v1/alerts?service_id={svc}&status=firing&dedup_key=cpu-db1", wantStatus: 200,
			wantContains: []string{`"total":1`, `"dedup_key":"cpu-db1"`, `"labels":{"host":"db1"}`}},
		{name: "list alerts by incident", setup: withAlert, method: "GET", path: "/api/v1/alerts?incident_id={inc}", wantStatus: 200,
			wantContains: []string{`"total":1`}},
		{name: "list alerts bad status", method: "GET", path: "/api/v1/alerts?status=open", wantStatus: 400,
			wantContains: []string{`"field":"status"`}},
		{name: "get alert", setup: withAlert, method: "GET", path: "/api/v1/alerts/{alert}", wantStatus: 200,
			wantContains: []string{`"id":{alert}`, `"summary":"CPU high on db1"`, `"occurrences":1`}},
		{name: "get alert 404", method: "GET", path: "/api/v1/alerts/9999", wantStatus: 404},

		// Ingest status-code contract (A7, I1, I2, I4).
		{name: "ingest ok", method: "POST", path: "/api/v1/events", headers: keyAuth, body: `{"summary":"disk full","source":"db1"}`, wantStatus: 202,
			wantContains: []string{`"alert_new":true`, `"incident_new":true`, `"changed":true`, `"action":"trigger"`, `"dedup_key":"auto-`}},
		{name: "ingest malformed", method: "POST", path: "/api/v1/events", headers: keyAuth, body: `{"summary":`, wantStatus: 400,
			wantContains: []string{`malformed JSON`}},
		{name: "ingest trailing garbage", method: "POST", path: "/api/v1/events", headers: keyAuth, body: `{"summary":"a"}}`, wantStatus: 400},
		{name: "ingest wrong content type", method: "POST", path: "/api/v1/events",
			headers: map[string]string{"Authorization": "Bearer {key}", "Content-Type": "text/plain"}, body: `{"summary":"a"}`, wantStatus: 415},
		{name: "ingest no content type", method: "POST", path: "/api/v1/events",
			headers: map[string]string{"Authorization": "Bearer {key}", "Content-Type": ""}, body: `{"summary":"a"}`, wantStatus: 415},
		{name: "ingest over 1 MiB", method: "POST", path: "/api/v1/events", headers: keyAuth,
			body: `{"summary":"a","source":"` + big + `"}`, wantStatus: 413, wantContains: []string{"1 MiB"}},
		{name: "ingest chunked over 1 MiB", method: "POST", path: "/api/v1/events", headers: keyAuth,
			rawBody: func() io.Reader {
				return io.MultiReader(strings.NewReader(`{"summary":"a","source":"`), strings.NewReader(big), strings.NewReader(`"}`))
			}, wantStatus: 413, wantContains: []string{"1 MiB"}},
		{name: "ingest chunked small", method: "POST", path: "/api/v1/events", headers: keyAuth,
			rawBody: func() io.Reader {
				return io.MultiReader(strings.NewReader(`{"summary":`), strings.NewReader(`"chunked"}`))
			}, wantStatus: 202},
		{name: "ingest unknown key", method: "POST", path: "/api/v1/events", headers: map[string]string{"Authorization": "Bearer vgi_nosuchkey"},
			body: `{"summary":"a"}`, wantStatus: 401, wantNotContains: []string{"vgi_nosuchkey"}},
		{name: "ingest no key", method: "POST", path: "/api/v1/events", headers: map[string]string{"Authorization": ""},
			body: `{"summary":"a"}`, wantStatus: 401},
		{name: "ingest with API token", method: "POST", path: "/api/v1/events", body: `{"summary":"a"}`, wantStatus: 401},
		{name: "ingest revoked key", setup: func(e *env) {
			e.call("DELETE", "/api/v1/services/{svc}/integration-keys/{keyid}", "").want(e.t, 204)
		}, method: "POST", path: "/api/v1/events", headers: keyAuth, body: `{"summary":"a"}`, wantStatus: 401},
		{name: "ingest summary 1025", method: "POST", path: "/api/v1/events", headers: keyAuth,
			body: `{"summary":"` + strings.Repeat("s", 1025) + `"}`, wantStatus: 400, wantContains: []string{`"field":"summary"`}},
		{name: "ingest dedup_key 256", method: "POST", path: "/api/v1/events", headers: keyAuth,
			body: `{"summary":"a","dedup_key":"` + strings.Repeat("k", 256) + `"}`, wantStatus: 400, wantContains: []string{`"field":"dedup_key"`}},
		{name: "ingest 65 labels", method: "POST", path: "/api/v1/events", headers: keyAuth,
			body: `{"summary":"a","labels":{` + manyLabels(65) + `}}`, wantStatus: 400, wantContains: []string{`"field":"labels"`}},
		{name: "ingest label value 4097", method: "POST", path: "/api/v1/events", headers: keyAuth,
			body: `{"summary":"a","labels":{"team":"` + strings.Repeat("v", 4097) + `"}}`, wantStatus: 400, wantContains: []string{`"field":"labels.team"`}},
		{name: "ingest bad severity", method: "POST", path: "/api/v1/events", headers: keyAuth,
			body: `{"summary":"a","severity":"apocalyptic"}`, wantStatus: 400, wantContains: []string{`"field":"severity"`}},
		{name: "ingest bad action", method: "POST", path: "/api/v1/events", headers: keyAuth,
			body: `{"summary":"a","action":"close"}`, wantStatus: 400, wantContains: []string{`"field":"action"`}},
		{name: "ingest javascript link", method: "POST", path: "/api/v1/events", headers: keyAuth,
			body: `{"summary":"a","links":["javascript:alert(1)"]}`, wantStatus: 400, wantContains: []string{`"field":"links.href"`}},
		{name: "ingest string", method: "POST", path: "/api/v1/events", headers: keyAuth, body: `"summary"`, wantStatus: 400},
		{name: "ingest number", method: "POST", path: "/api/v1/events", headers: keyAuth, body: `12345678901234567890e99999`, wantStatus: 400},
		{name: "ingest null", method: "POST", path: "/api/v1/events", headers: keyAuth, body: `null`, wantStatus: 400},
		{name: "ingest empty", method: "POST", path: "/api/v1/events", headers: keyAuth, body: ` `, wantStatus: 400},
		{name: "ingest 10000 nested arrays", method: "POST", path: "/api/v1/events", headers: keyAuth,
			body: strings.Repeat("[", 10000) + strings.Repeat("]", 10000), wantStatus: 400},
		{name: "ingest 10001 nested arrays", method: "POST", path: "/api/v1/events", headers: keyAuth,
			body: strings.Repeat("[", 10001) + strings.Repeat("]", 10001), wantStatus: 400},
		{name: "ingest huge number in details", method: "POST", path: "/api/v1/events", headers: keyAuth,
			body: `{"summary":"a","details":{"n":1e999}}`, wantStatus: 400, wantContains: []string{`"field":"details"`}},
		{name: "ingest unknown fields ignored", method: "POST", path: "/api/v1/events", headers: keyAuth,
			body: `{"summary":"a","future_field":{"x":1}}`, wantStatus: 202},
		{name: "ingest batch too big", method: "POST", path: "/api/v1/events", headers: keyAuth,
			body: "[" + strings.Repeat(`{"summary":"a"},`, 1000) + `{"summary":"a"}]`, wantStatus: 400, wantContains: []string{"at most 1000"}},
		{name: "ingest batch all invalid", method: "POST", path: "/api/v1/events", headers: keyAuth,
			body: `[{"summary":""},{"severity":"x","summary":"y"}]`, wantStatus: 400,
			wantContains: []string{`"results":[{"index":0,"error":{"code":"invalid"`, `"field":"severity"`}},

		// Routing, health, metadata.
		{name: "unknown api path", method: "GET", path: "/api/v1/nope", wantStatus: 404, wantContains: []string{`"code":"not_found"`}},
		{name: "wrong method", method: "PUT", path: "/api/v1/incidents", body: `{}`, wantStatus: 405,
			wantContains: []string{`"code":"method_not_allowed"`}},
		{name: "healthz", method: "GET", path: "/healthz", headers: map[string]string{"Authorization": ""}, wantStatus: 200, wantContains: []string{"ok"}},
		{name: "readyz", method: "GET", path: "/readyz", headers: map[string]string{"Authorization": ""}, wantStatus: 200},
		{name: "openapi", method: "GET", path: "/api/v1/openapi.json", wantStatus: 200,
			wantContains: []string{`"openapi": "3.1.0"`, `"/api/v1/incidents/{id}"`, `"bearer"`}},
		{name: "metrics", setup: withAlert, method: "GET", path: "/metrics", wantStatus: 200,
			wantContains: []string{`vigil_ingest_events_total{format="native",result="accepted"} 1`, `vigil_open_incidents 1`,
				`vigil_ingest_alerts_total{result="new"} 1`, `vigil_http_request_duration_seconds_count{code="202",method="POST",route="/api/v1/events"} 1`}},
		{name: "the web session cookie does not open the API", method: "POST", path: "/api/v1/incidents/{inc}/acknowledge", setup: withAlert,
			headers:    map[string]string{"Authorization": "", "Cookie": "vigil_session={token}", "Origin": "http://evil.example.com", "Sec-Fetch-Site": "same-site"},
			wantStatus: 401},
		{name: "metrics need a token", method: "GET", path: "/metrics", headers: map[string]string{"Authorization": ""}, wantStatus: 401},
	}
	return scenarios
}

func manyLabels(n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"label_` + itoa(int64(i)) + `":"v"`)
	}
	return b.String()
}

// TestUnauthorized is generated from the route table: every token route
// refuses a missing and a wrong token with 401, without echoing it.
func TestUnauthorized(t *testing.T) {
	e := newEnv(t)
	e.vars["id"], e.vars["key_id"] = "1", "1"
	for _, rt := range api.New(api.Deps{}).Routes() {
		if rt.Auth != api.AuthToken {
			continue
		}
		for _, auth := range []string{"", "Bearer vgt_wrongwrongwrong", "Bearer " + e.key.Secret, "Basic YWRtaW46YWRtaW4="} {
			res := e.do(rt.Method, rt.Pattern, strings.NewReader(`{}`), map[string]string{"Authorization": auth})
			if res.status != http.StatusUnauthorized {
				t.Errorf("%s %s with %.12q: status %d, want 401", rt.Method, rt.Pattern, auth, res.status)
			}
			if !strings.Contains(res.body, `"code":"unauthorized"`) || strings.Contains(res.body, "wrongwrong") || strings.Contains(res.body, e.key.Secret) {
				t.Errorf("%s %s: body %s", rt.Method, rt.Pattern, res.body)
			}
			if res.header.Get("WWW-Authenticate") == "" {
				t.Errorf("%s %s: no WWW-Authenticate", rt.Method, rt.Pattern)
			}
		}
	}
}
