package server

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/PagerDuty/go-pagerduty"

	"github.com/vigil-oss/vigil/internal/api"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// pdPost posts a PagerDuty event: no Authorization header, the key is in
// the body ({key} expands to the integration key's secret).
func (e *env) pdPost(path, body string, headers ...string) response {
	e.t.Helper()
	h := map[string]string{"Authorization": ""}
	for i := 0; i+1 < len(headers); i += 2 {
		h[headers[i]] = headers[i+1]
	}
	body = strings.ReplaceAll(body, "{key}", e.key.Secret)
	return e.do("POST", path, strings.NewReader(body), h)
}

func (e *env) pdEnqueue(body string) response { e.t.Helper(); return e.pdPost("/v2/enqueue", body) }

func pdAnswer(t *testing.T, r response, status int) api.PagerDutyResponse {
	t.Helper()
	var p api.PagerDutyResponse
	r.want(t, status).json(t, &p)
	return p
}

func (e *env) pdAlerts(dedupKey string) []vigil.Alert {
	e.t.Helper()
	var l api.List[vigil.Alert]
	e.call("GET", "/api/v1/alerts?dedup_key="+dedupKey, "").want(e.t, 200).json(e.t, &l)
	return l.Items
}

func (e *env) pdIncident(id int64) *vigil.Incident {
	e.t.Helper()
	var inc vigil.Incident
	e.call("GET", "/api/v1/incidents/"+itoa(id), "").want(e.t, 200).json(e.t, &inc)
	return &inc
}

const pdTrigger = `{"routing_key":"{key}","event_action":"trigger","dedup_key":"srv01/mysql",
	"payload":{"summary":"DISK at 99% on db1","source":"db1.example","severity":"critical","component":"mysql","group":"prod","class":"disk",
	"custom_details":{"free space":"1%"}},"links":[{"href":"https://runbook.example/disk","text":"runbook"},{"href":"javascript:alert(1)"}],
	"client":"Mon","client_url":"https://mon.example"}`

// A trigger opens an alert and an incident; the same trigger again is the
// same alert; acknowledge and resolve reach the incident and its timeline,
// recorded as the integration.
func TestPagerDutyLifecycle(t *testing.T) {
	e := newEnv(t)
	p := pdAnswer(t, e.pdEnqueue(pdTrigger), 202)
	if p.Status != "success" || p.Message != "Event processed" || p.DedupKey != "srv01/mysql" || p.Errors != nil {
		t.Fatalf("answer %+v", p)
	}
	pdAnswer(t, e.pdEnqueue(pdTrigger), 202)
	alerts := e.pdAlerts("srv01/mysql")
	if len(alerts) != 1 || alerts[0].Occurrences != 2 {
		t.Fatalf("alerts %+v", alerts)
	}
	a := alerts[0]
	if a.Summary != "DISK at 99% on db1" || a.Severity != vigil.SeverityCritical || a.Source != "db1.example" ||
		a.Labels["component"] != "mysql" || a.Labels["class"] != "disk" || len(a.Links) != 2 ||
		a.Links[0].Href != "https://runbook.example/disk" || a.Links[1].Href != "https://mon.example" ||
		!strings.Contains(string(a.Details), `"custom_details":{"free space":"1%"}`) {
		t.Errorf("alert %+v details %s", a, a.Details)
	}

	pdAnswer(t, e.pdEnqueue(`{"routing_key":"{key}","event_action":"acknowledge","dedup_key":"srv01/mysql"}`), 202)
	if s := e.pdIncident(a.IncidentID).Status; s != vigil.IncidentAcknowledged {
		t.Errorf("after acknowledge: incident %s", s)
	}
	p = pdAnswer(t, e.pdEnqueue(`{"routing_key":"{key}","event_action":"resolve","dedup_key":"srv01/mysql"}`), 202)
	if p.DedupKey != "srv01/mysql" {
		t.Errorf("resolve answer %+v", p)
	}
	if s := e.pdIncident(a.IncidentID).Status; s != vigil.IncidentResolved {
		t.Errorf("after resolve: incident %s", s)
	}
	var tl api.Timeline
	e.call("GET", "/api/v1/incidents/"+itoa(a.IncidentID)+"/timeline", "").want(t, 200).json(t, &tl)
	kinds := map[string]*vigil.TimelineEntry{}
	for _, en := range tl.Items {
		kinds[en.Kind] = en
	}
	for _, k := range []string{vigil.EntryCreated, vigil.EntryAcknowledged} {
		en := kinds[k]
		if en == nil || en.Source != vigil.SourceIntegration || en.ActorKind != vigil.ActorIntegration || en.Actor != e.key.Name {
			t.Errorf("timeline entry %s: %+v", k, en)
		}
	}
	if kinds[vigil.EntryResolved] == nil && kinds[vigil.EntryAlertResolved] == nil {
		t.Errorf("no resolve on the timeline: %+v", tl.Items)
	}

	// After resolve, the same key opens a new alert (PagerDuty's semantics).
	pdAnswer(t, e.pdEnqueue(pdTrigger), 202)
	if n := len(e.pdAlerts("srv01/mysql")); n != 2 {
		t.Errorf("re-trigger after resolve: %d alerts, want 2", n)
	}
}

// A trigger without dedup_key gets a generated one in the answer, which
// then resolves the alert; two such triggers are two alerts.
func TestPagerDutyGeneratedDedupKey(t *testing.T) {
	e := newEnv(t)
	body := `{"routing_key":"{key}","event_action":"trigger","payload":{"summary":"s","source":"h","severity":"warning"}}`
	first := pdAnswer(t, e.pdEnqueue(body), 202)
	second := pdAnswer(t, e.pdEnqueue(body), 202)
	if len(first.DedupKey) != 32 || first.DedupKey == second.DedupKey {
		t.Fatalf("generated keys %q and %q", first.DedupKey, second.DedupKey)
	}
	pdAnswer(t, e.pdEnqueue(`{"routing_key":"{key}","event_action":"resolve","dedup_key":"`+first.DedupKey+`"}`), 202)
	if a := e.pdAlerts(first.DedupKey); len(a) != 1 || a[0].Status != vigil.AlertResolved {
		t.Errorf("alert of the generated key: %+v", a)
	}
	if a := e.pdAlerts(second.DedupKey); len(a) != 1 || a[0].Status != vigil.AlertFiring {
		t.Errorf("other alert: %+v", a)
	}
}

// Acknowledge or resolve with nothing open: 202, nothing changes.
func TestPagerDutyNothingOpen(t *testing.T) {
	e := newEnv(t)
	for _, action := range []string{"acknowledge", "resolve"} {
		p := pdAnswer(t, e.pdEnqueue(`{"routing_key":"{key}","event_action":"`+action+`","dedup_key":"never"}`), 202)
		if p.DedupKey != "never" {
			t.Errorf("%s: %+v", action, p)
		}
	}
	var incs api.List[vigil.Incident]
	e.call("GET", "/api/v1/incidents", "").want(t, 200).json(t, &incs)
	if incs.Total != 0 || len(e.pdAlerts("never")) != 0 {
		t.Errorf("something was created: %+v", incs.Items)
	}
}

// Every refusal, with PagerDuty's status and body.
func TestPagerDutyRefusals(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	revoked, err := e.store.CreateIntegrationKey(ctx, e.service.ID, "old")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.store.RevokeIntegrationKey(ctx, e.service.ID, revoked.ID); err != nil {
		t.Fatal(err)
	}
	invalid := func(errs ...string) api.PagerDutyResponse {
		return api.PagerDutyResponse{Status: "invalid event", Message: "Event object is invalid", Errors: errs}
	}
	tests := []struct {
		name    string
		path    string
		body    string
		headers []string
		status  int
		want    api.PagerDutyResponse
	}{
		{name: "unknown routing key", body: `{"routing_key":"vgi_nosuchkey","event_action":"trigger","payload":{"summary":"s","source":"h","severity":"info"}}`,
			status: 400, want: invalid("Invalid routing key")},
		{name: "revoked routing key", body: `{"routing_key":"` + revoked.Secret + `","event_action":"resolve","dedup_key":"x"}`,
			status: 400, want: invalid("Invalid routing key")},
		{name: "missing routing key", body: `{"event_action":"trigger","payload":{"summary":"s","source":"h","severity":"info"}}`,
			status: 400, want: invalid("'routing_key' is missing")},
		{name: "missing fields", body: `{"routing_key":"{key}","event_action":"trigger","payload":{}}`,
			status: 400, want: invalid("'payload.summary' is missing or blank", "'payload.source' is missing or blank", "'payload.severity' is missing or blank")},
		{name: "bad severity", body: `{"routing_key":"{key}","event_action":"trigger","payload":{"summary":"s","source":"h","severity":"fatal"}}`,
			status: 400, want: invalid("'payload.severity' must be one of critical, error, warning, info")},
		{name: "bad action", body: `{"routing_key":"{key}","event_action":"escalate"}`,
			status: 400, want: invalid("'event_action' must be one of trigger, acknowledge, resolve")},
		{name: "resolve without dedup_key", body: `{"routing_key":"{key}","event_action":"resolve"}`,
			status: 400, want: invalid("'dedup_key' is missing or blank")},
		{name: "malformed JSON", body: `{"routing_key":`, status: 400,
			want: api.PagerDutyResponse{Status: "Unrecognized object", Message: "Event object format is unrecognized", Errors: []string{"JSON parse error"}}},
		{name: "over 512 KB", body: `{"routing_key":"{key}","event_action":"trigger","payload":{"summary":"s","source":"h","severity":"info","custom_details":{"x":"` +
			strings.Repeat("x", 512<<10) + `"}}}`, status: 413,
			want: api.PagerDutyResponse{Status: "invalid event", Message: "Event object is too large; the limit is 512 KB", Errors: []string{"Event object exceeds the 512 KB limit"}}},
		{name: "not JSON content type", body: `routing_key=x`, headers: []string{"Content-Type", "application/x-www-form-urlencoded"}, status: 415,
			want: api.PagerDutyResponse{Status: "invalid event", Message: "Content-Type must be application/json"}},
		{name: "v1 unknown service key", path: "/generic/2010-04-15/create_event.json", body: `{"service_key":"nope","event_type":"trigger","description":"d"}`,
			status: 400, want: invalid("Invalid routing key")},
		{name: "v1 missing description", path: "/generic/2010-04-15/create_event.json", body: `{"service_key":"{key}","event_type":"trigger"}`,
			status: 400, want: invalid("'description' is missing or blank")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := tt.path
			if path == "" {
				path = "/v2/enqueue"
			}
			got := pdAnswer(t, e.pdPost(path, tt.body, tt.headers...), tt.status)
			if got.Status != tt.want.Status || got.Message != tt.want.Message || strings.Join(got.Errors, "|") != strings.Join(tt.want.Errors, "|") || got.DedupKey != "" {
				t.Errorf("answer %+v, want %+v", got, tt.want)
			}
		})
	}
	var incs api.List[vigil.Incident]
	e.call("GET", "/api/v1/incidents", "").want(t, 200).json(t, &incs)
	if incs.Total != 0 {
		t.Errorf("a refused event created incidents: %+v", incs.Items)
	}
}

// PagerDuty senders often send no Content-Type charset, or none at all.
func TestPagerDutyLenientContentType(t *testing.T) {
	e := newEnv(t)
	body := `{"routing_key":"{key}","event_action":"trigger","dedup_key":"ct","payload":{"summary":"s","source":"h","severity":"info"}}`
	pdAnswer(t, e.pdPost("/v2/enqueue", body, "Content-Type", ""), 202)
	pdAnswer(t, e.pdPost("/v2/enqueue", body, "Content-Type", "application/json; charset=utf-8"), 202)
}

func TestPagerDutyRateLimit(t *testing.T) {
	e := newEnvConfig(t, "", 1) // 1 request/s, bursts of 2
	body := `{"routing_key":"{key}","event_action":"resolve","dedup_key":"x"}`
	pdAnswer(t, e.pdEnqueue(body), 202)
	pdAnswer(t, e.pdEnqueue(body), 202)
	r := e.pdEnqueue(body)
	p := pdAnswer(t, r, 429)
	if r.header.Get("Retry-After") != "1" || p.Status != "throttle event" || p.Message == "" {
		t.Errorf("429: Retry-After %q, body %+v", r.header.Get("Retry-After"), p)
	}
	e.clock.Advance(time.Second)
	pdAnswer(t, e.pdEnqueue(body), 202)
	if m := e.call("GET", "/metrics", "").want(t, 200).body; !strings.Contains(m, `vigil_ingest_events_total{format="pagerduty",result="rate_limited"} 1`) ||
		!strings.Contains(m, `vigil_ingest_events_total{format="pagerduty",result="accepted"} 3`) {
		t.Error("pagerduty ingest is not counted by result")
	}
}

// With the database down, PagerDuty senders get a 5xx, which they retry.
func TestPagerDutyDatabaseDown(t *testing.T) {
	e := newEnv(t)
	e.allowErrorLogs = true
	e.store.Close()
	p := pdAnswer(t, e.pdEnqueue(`{"routing_key":"{key}","event_action":"resolve","dedup_key":"x"}`), 503)
	if p.Status != "unavailable" {
		t.Errorf("503 body %+v", p)
	}
}

func TestPagerDutyV1(t *testing.T) {
	e := newEnv(t)
	const path = "/generic/2010-04-15/create_event.json"
	p := pdAnswer(t, e.pdPost(path, `{"service_key":"{key}","event_type":"trigger","incident_key":"web/5xx","description":"5xx rate high",
		"details":{"rate":0.2},"client":"Nagios","client_url":"https://nagios.example"}`), 200)
	if p.Status != "success" || p.Message != "Event processed" || p.IncidentKey != "web/5xx" || p.DedupKey != "" {
		t.Fatalf("answer %+v", p)
	}
	a := e.pdAlerts("web/5xx")
	if len(a) != 1 || a[0].Summary != "5xx rate high" || a[0].Status != vigil.AlertFiring || len(a[0].Links) != 1 {
		t.Fatalf("alert %+v", a)
	}
	gen := pdAnswer(t, e.pdPost(path, `{"service_key":"{key}","event_type":"trigger","description":"no key"}`), 200)
	if len(gen.IncidentKey) != 32 {
		t.Errorf("generated incident_key %q", gen.IncidentKey)
	}
	pdAnswer(t, e.pdPost(path, `{"service_key":"{key}","event_type":"resolve","incident_key":"web/5xx"}`), 200)
	if a := e.pdAlerts("web/5xx"); a[0].Status != vigil.AlertResolved {
		t.Errorf("after resolve: %+v", a[0])
	}
}

// The real PagerDuty Go client against /v2/enqueue.
func TestPagerDutyGoClient(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := pagerduty.NewClient("unused", pagerduty.WithV2EventsAPIEndpoint(e.srv.URL))
	c.HTTPClient = e.srv.Client()
	res, err := c.ManageEventWithContext(ctx, &pagerduty.V2Event{
		RoutingKey: e.key.Secret, Action: "trigger",
		Payload: &pagerduty.V2Payload{Summary: "queue backlog", Source: "worker-3", Severity: "warning",
			Component: "queue", Details: map[string]any{"depth": 12000}},
		Links: []any{map[string]string{"href": "https://grafana.example/d/q", "text": "dashboard"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != "success" || res.DedupKey == "" {
		t.Fatalf("answer %+v", res)
	}
	a := e.pdAlerts(res.DedupKey)
	if len(a) != 1 || a[0].Summary != "queue backlog" || a[0].Severity != vigil.SeverityWarning || a[0].Labels["component"] != "queue" {
		t.Fatalf("alert %+v", a)
	}
	for _, action := range []string{"acknowledge", "resolve"} {
		if _, err := c.ManageEventWithContext(ctx, &pagerduty.V2Event{RoutingKey: e.key.Secret, Action: action, DedupKey: res.DedupKey}); err != nil {
			t.Fatalf("%s: %v", action, err)
		}
	}
	if inc := e.pdIncident(a[0].IncidentID); inc.Status != vigil.IncidentResolved {
		t.Errorf("incident %s after resolve", inc.Status)
	}

	_, err = c.ManageEventWithContext(ctx, &pagerduty.V2Event{RoutingKey: "vgi_wrong", Action: "trigger",
		Payload: &pagerduty.V2Payload{Summary: "s", Source: "h", Severity: "info"}})
	var apiErr pagerduty.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusBadRequest {
		t.Errorf("unknown routing key: %v", err)
	}
}
