package mapping

import (
	"strings"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

var previewNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// Every format decodes as at ingest, and the rules see which one it was.
func TestPreviewPayload(t *testing.T) {
	rs := mustCompile(t,
		vigil.MappingRule{Name: "tag", Set: vigil.MappingSet{Labels: map[string]string{"via": "format"}}},
		vigil.MappingRule{Name: "route", When: `summary contains "db"`, Set: vigil.MappingSet{Service: "database", Severity: "critical"}},
	)
	tests := []struct {
		format, payload string
		events, errors  int
	}{
		{FormatNative, `[{"summary":"db down"},{"summary":""}]`, 1, 1},
		{FormatAlertmanager, `{"version":"4","groupKey":"g","status":"firing","alerts":[
			{"status":"firing","labels":{"alertname":"DB"},"annotations":{"summary":"db down"},"fingerprint":"f1"},{"labels":{}}]}`, 1, 1},
		{FormatPagerDuty, `{"routing_key":"x","event_action":"trigger","payload":{"summary":"db down","source":"s","severity":"info"}}`, 1, 0},
		{FormatPagerDutyV1, `{"service_key":"x","event_type":"trigger","description":"db down"}`, 1, 0},
		{FormatOpsgenie, `{"message":"db down"}`, 1, 0},
		{FormatAlertmanagerAPI, `[{"labels":{"alertname":"DB"},"annotations":{"summary":"db down"}},{"labels":{"bad-name":"x"}}]`, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			p, err := PreviewPayload(tt.format, []byte(tt.payload), previewNow, rs, services)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Events) != tt.events || len(p.Errors) != tt.errors {
				t.Fatalf("%d events and %d errors, want %d and %d: %+v", len(p.Events), len(p.Errors), tt.events, tt.errors, p)
			}
			e := p.Events[0]
			if e.Labels["via"] != tt.format || e.Severity != vigil.SeverityCritical || e.Service != "database" || e.ServiceID != 7 {
				t.Errorf("event %+v (labels %v), want it tagged, critical and moved", e.Event, e.Labels)
			}
			if len(e.Rules) != 2 || !e.Rules[1].Matched || e.MappingError != "" {
				t.Errorf("rules trace %+v, error %q", e.Rules, e.MappingError)
			}
		})
	}
}

func TestPreviewPayloadMappingError(t *testing.T) {
	rs := mustCompile(t, vigil.MappingRule{Name: "bad", Set: vigil.MappingSet{Severity: "labels.team"}})
	p, err := PreviewPayload(FormatNative, []byte(`{"summary":"x","labels":{"team":"db"}}`), previewNow, rs, services)
	if err != nil {
		t.Fatal(err)
	}
	e := p.Events[0]
	if !strings.Contains(e.MappingError, "set.severity") || e.Severity != vigil.SeverityError || e.Rules[0].Error == "" {
		t.Errorf("event %+v, mapping error %q, trace %+v", e.Event, e.MappingError, e.Rules)
	}
	if _, err := PreviewPayload("smoke-signals", []byte(`{}`), previewNow, nil, services); vigil.ErrorField(err) != "format" {
		t.Errorf("unknown format: %v", err)
	}
	p, err = PreviewPayload(FormatNative, []byte(`{"summary":`), previewNow, nil, services)
	if err != nil || len(p.Errors) != 1 || len(p.Events) != 0 {
		t.Errorf("malformed payload: %+v %v", p, err)
	}
}
