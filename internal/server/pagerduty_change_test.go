package server

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/api"
	"github.com/vigil-oss/vigil/internal/vigil"
)

func (e *env) pdChange(body string) response {
	e.t.Helper()
	return e.pdPost("/v2/change/enqueue", body)
}

func (e *env) changeEvents() []*vigil.ChangeEvent {
	e.t.Helper()
	list, err := e.store.FindChangeEvents(context.Background(), vigil.ChangeEventFilter{ServiceID: &e.service.ID})
	if err != nil {
		e.t.Fatal(err)
	}
	return list
}

// A change event is answered 202 and stored on the key's service with its
// summary, source, sender's timestamp, custom details and http(s) links;
// without a timestamp it takes the received time. It opens no incident.
func TestPagerDutyChangeEvent(t *testing.T) {
	e := newEnv(t)
	p := pdAnswer(t, e.pdChange(`{"routing_key":"{key}","payload":{"summary":"Build Success: deploy v1.2.3","source":"ci.example",
		"timestamp":"2026-03-01T11:40:00.123+0000","custom_details":{"build_state":"passed","build_number":"220"}},
		"links":[{"href":"https://ci.example/builds/220","text":"build"},{"href":"javascript:alert(1)","text":"x"}]}`), 202)
	if p.Status != "success" || p.Message != "Change event processed" || p.Errors != nil || p.DedupKey != "" {
		t.Fatalf("answer %+v", p)
	}
	e.clock.Advance(time.Minute)
	pdAnswer(t, e.pdChange(`{"routing_key":"{key}","payload":{"summary":"config push"}}`), 202)

	list := e.changeEvents()
	if len(list) != 2 {
		t.Fatalf("stored %d change events, want 2", len(list))
	}
	now := e.clock.Now().UTC()
	if c := list[0]; c.Summary != "config push" || !c.Timestamp.Equal(now) || !c.ReceivedAt.Equal(now) {
		t.Errorf("newest %+v, want timestamp %v", c, now)
	}
	c := list[1]
	want := time.Date(2026, 3, 1, 11, 40, 0, 123000000, time.UTC)
	if c.Summary != "Build Success: deploy v1.2.3" || c.Source != "ci.example" || !c.Timestamp.Equal(want) ||
		c.IntegrationKeyID == nil || *c.IntegrationKeyID != e.key.ID ||
		len(c.Links) != 1 || c.Links[0].Href != "https://ci.example/builds/220" ||
		string(c.Details) != `{"build_state":"passed","build_number":"220"}` {
		t.Errorf("stored %+v details %s", c, c.Details)
	}
	var incs api.List[vigil.Incident]
	e.call("GET", "/api/v1/incidents", "").want(t, 200).json(t, &incs)
	if incs.Total != 0 {
		t.Errorf("a change event opened incidents: %+v", incs.Items)
	}
	if m := e.call("GET", "/metrics", "").want(t, 200).body; !strings.Contains(m, `vigil_ingest_events_total{format="pagerduty",result="accepted"} 2`) {
		t.Error("change events are not counted as pagerduty ingest")
	}
}

// Every refusal, in PagerDuty's envelope; nothing is stored.
func TestPagerDutyChangeRefusals(t *testing.T) {
	e := newEnv(t)
	invalid := func(errs ...string) api.PagerDutyResponse {
		return api.PagerDutyResponse{Status: "invalid event", Message: "Event object is invalid", Errors: errs}
	}
	tests := []struct {
		name   string
		body   string
		status int
		want   api.PagerDutyResponse
	}{
		{"missing summary", `{"routing_key":"{key}","payload":{"source":"ci"}}`, 400, invalid("'payload.summary' is missing or blank")},
		{"blank summary", `{"routing_key":"{key}","payload":{"summary":"  "}}`, 400, invalid("'payload.summary' is missing or blank")},
		{"no payload", `{"routing_key":"{key}"}`, 400, invalid("'payload.summary' is missing or blank")},
		{"long summary", `{"routing_key":"{key}","payload":{"summary":"` + strings.Repeat("s", 1025) + `"}}`, 400,
			invalid("'payload.summary' must be at most 1024 bytes")},
		{"bad timestamp", `{"routing_key":"{key}","payload":{"summary":"s","timestamp":"yesterday"}}`, 400,
			invalid("'payload.timestamp' must be an ISO 8601 time")},
		{"unknown routing key", `{"routing_key":"vgi_nosuchkey","payload":{"summary":"s"}}`, 400, invalid("Invalid routing key")},
		{"missing routing key", `{"payload":{"summary":"s"}}`, 400, invalid("'routing_key' is missing")},
		{"malformed JSON", `{"routing_key":`, 400,
			api.PagerDutyResponse{Status: "Unrecognized object", Message: "Event object format is unrecognized", Errors: []string{"JSON parse error"}}},
		{"over 512 KB", `{"routing_key":"{key}","payload":{"summary":"s","custom_details":{"x":"` + strings.Repeat("x", 512<<10) + `"}}}`, 413,
			api.PagerDutyResponse{Status: "invalid event", Message: "Event object is too large; the limit is 512 KB", Errors: []string{"Event object exceeds the 512 KB limit"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := pdAnswer(t, e.pdChange(tt.body), tt.status)
			if got.Status != tt.want.Status || got.Message != tt.want.Message || strings.Join(got.Errors, "|") != strings.Join(tt.want.Errors, "|") {
				t.Errorf("answer %+v, want %+v", got, tt.want)
			}
		})
	}
	if n := len(e.changeEvents()); n != 0 {
		t.Errorf("refused change events were stored: %d", n)
	}
}

// Change events share the key's rate limit: 429 with Retry-After.
func TestPagerDutyChangeRateLimit(t *testing.T) {
	e := newEnvConfig(t, "", 1) // 1 request/s, bursts of 2
	body := `{"routing_key":"{key}","payload":{"summary":"deploy"}}`
	pdAnswer(t, e.pdChange(body), 202)
	pdAnswer(t, e.pdChange(body), 202)
	r := e.pdChange(body)
	p := pdAnswer(t, r, 429)
	if r.header.Get("Retry-After") != "1" || p.Status != "throttle event" {
		t.Errorf("429: Retry-After %q, body %+v", r.header.Get("Retry-After"), p)
	}
	e.clock.Advance(time.Second)
	pdAnswer(t, e.pdChange(body), 202)
	if n := len(e.changeEvents()); n != 3 {
		t.Errorf("stored %d change events, want 3", n)
	}
}

// With the database down, senders get a 503, which they retry.
func TestPagerDutyChangeDatabaseDown(t *testing.T) {
	e := newEnv(t)
	e.allowErrorLogs = true
	e.store.Close()
	if p := pdAnswer(t, e.pdChange(`{"routing_key":"{key}","payload":{"summary":"deploy"}}`), 503); p.Status != "unavailable" {
		t.Errorf("503 body %+v", p)
	}
}
