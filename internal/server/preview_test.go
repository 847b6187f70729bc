package server

import (
	"strings"
	"testing"

	"github.com/vigil-oss/vigil/internal/api"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// The preview shows what each format's payload would become, refusals
// included, and stores nothing.
func TestPreviewEvents(t *testing.T) {
	e := newEnv(t)
	cases := []struct {
		name, body   string
		wantEvents   int
		wantErrors   int
		wantContains string
	}{
		{"native batch with one bad item", `{"format":"native","payload":[{"summary":"disk full","dedup_key":"d1"},{"summary":""}]}`, 1, 1, `"field":"summary"`},
		{"alertmanager", `{"format":"alertmanager","payload":{"version":"4","groupKey":"g1","status":"firing","alerts":[
			{"status":"firing","labels":{"alertname":"Down","severity":"critical"},"annotations":{"summary":"api down"},"fingerprint":"f1"},
			{"status":"firing","labels":{},"fingerprint":"f2"}]}}`, 1, 1, `"group_key":"g1"`},
		{"pagerduty", `{"format":"pagerduty","payload":{"routing_key":"x","event_action":"trigger","dedup_key":"k",
			"payload":{"summary":"cpu hot","source":"db1","severity":"warning"}}}`, 1, 0, `"summary":"cpu hot"`},
		{"pagerduty missing fields", `{"format":"pagerduty","payload":{"event_action":"trigger","payload":{}}}`, 0, 4, `'payload.summary' is missing or blank`},
		{"pagerduty v1", `{"format":"pagerduty-v1","payload":{"service_key":"x","event_type":"trigger","incident_key":"i1","description":"disk"}}`, 1, 0, `"dedup_key":"i1"`},
		{"opsgenie", `{"format":"opsgenie","payload":{"message":"queue stuck","alias":"q1","priority":"P1"}}`, 1, 0, `"severity":"critical"`},
		{"opsgenie without message", `{"format":"opsgenie","payload":{"alias":"q1"}}`, 0, 1, `"field":"message"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.call("POST", "/api/v1/integrations/preview", c.body).want(t, 200)
			var out api.PreviewResponse
			r.json(t, &out)
			if len(out.Events) != c.wantEvents || len(out.Errors) != c.wantErrors {
				t.Errorf("%d events and %d errors, want %d and %d: %s", len(out.Events), len(out.Errors), c.wantEvents, c.wantErrors, r.body)
			}
			if !strings.Contains(r.body, c.wantContains) {
				t.Errorf("answer lacks %s: %s", c.wantContains, r.body)
			}
		})
	}
	e.call("POST", "/api/v1/integrations/preview", `{"format":"smoke-signals","payload":{}}`).want(t, 400)
	e.call("POST", "/api/v1/integrations/preview", `{"format":"native"}`).want(t, 400)

	var alerts api.List[vigil.Alert]
	e.call("GET", "/api/v1/alerts", "").want(t, 200).json(t, &alerts)
	if alerts.Total != 0 {
		t.Errorf("a preview stored %d alerts", alerts.Total)
	}
}
