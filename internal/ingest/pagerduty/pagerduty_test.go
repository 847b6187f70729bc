package pagerduty

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigil-oss/vigil/internal/vigil"
)

const trigger = `{"routing_key":"k","event_action":"trigger","dedup_key":"srv01/mysql",
	"payload":{"summary":"DISK at 99%","source":"db1","severity":"critical","timestamp":"2015-07-17T08:42:58.315+0000",
	"component":"mysql","group":"prod","class":"disk","custom_details":{"free space":"1%","load avg":0.75}},
	"links":[{"href":"https://runbook.example/disk","text":"runbook"},{"href":"javascript:alert(1)","text":"x"},{"text":"no href"},"str"],
	"images":[{"src":"https://img.example/a.png","href":"https://img.example","alt":"chart"},{"src":"data:x"}],
	"client":"Mon","client_url":"https://mon.example","unknown":{"x":1}}`

func TestDecodeV2(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		key    string
		errs   []string
		check  func(t *testing.T, e *vigil.Event)
		badErr bool // ErrUnrecognized
	}{
		{name: "full trigger", body: trigger, key: "k", check: func(t *testing.T, e *vigil.Event) {
			want := &vigil.Event{Action: "trigger", DedupKey: "srv01/mysql", Summary: "DISK at 99%", Severity: "critical", Source: "db1",
				Labels: map[string]string{"component": "mysql", "group": "prod", "class": "disk"},
				Links:  []vigil.Link{{Href: "https://runbook.example/disk", Text: "runbook"}, {Href: "https://mon.example", Text: "Mon"}},
				Details: json.RawMessage(`{"class":"disk","client":"Mon","client_url":"https://mon.example","component":"mysql",` +
					`"custom_details":{"free space":"1%","load avg":0.75},"group":"prod",` +
					`"images":[{"alt":"chart","href":"https://img.example","src":"https://img.example/a.png"}],"timestamp":"2015-07-17T08:42:58.315+0000"}`)}
			if d := cmp.Diff(want, e); d != "" {
				t.Error(d)
			}
		}},
		{name: "trigger without dedup key gets a random one", body: `{"routing_key":"k","event_action":"trigger","payload":{"summary":"s","source":"h","severity":"INFO"}}`, key: "k",
			check: func(t *testing.T, e *vigil.Event) {
				if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(e.DedupKey) || e.Severity != vigil.SeverityInfo || e.Details != nil || e.Labels != nil {
					t.Errorf("%+v", e)
				}
			}},
		{name: "acknowledge", body: `{"routing_key":"k","event_action":"acknowledge","dedup_key":"d"}`, key: "k", check: func(t *testing.T, e *vigil.Event) {
			if e.Action != "acknowledge" || e.DedupKey != "d" {
				t.Errorf("%+v", e)
			}
		}},
		{name: "resolve ignores payload", body: `{"routing_key":"k","event_action":"resolve","dedup_key":"d","payload":{"severity":"bogus"}}`, key: "k"},
		{name: "resolve without dedup key", body: `{"routing_key":"k","event_action":"resolve"}`, key: "k", errs: []string{"'dedup_key' is missing or blank"}},
		{name: "missing everything", body: `{}`, errs: []string{"'routing_key' is missing", "'event_action' is missing or blank"}},
		{name: "bad action", body: `{"routing_key":"k","event_action":"page"}`, key: "k", errs: []string{"'event_action' must be one of trigger, acknowledge, resolve"}},
		{name: "trigger without payload", body: `{"routing_key":"k","event_action":"trigger"}`, key: "k",
			errs: []string{"'payload.summary' is missing or blank", "'payload.source' is missing or blank", "'payload.severity' is missing or blank"}},
		{name: "bad severity and blank summary", body: `{"routing_key":"k","event_action":"trigger","payload":{"summary":" ","source":"h","severity":"fatal"}}`, key: "k",
			errs: []string{"'payload.summary' is missing or blank", "'payload.severity' must be one of critical, error, warning, info"}},
		{name: "wrong types", body: `{"routing_key":"k","event_action":"trigger","payload":{"summary":1,"source":"h","severity":"info","component":[]}}`, key: "k",
			errs: []string{"'payload.summary' must be a string", "'payload.component' must be a string"}},
		{name: "payload not an object", body: `{"routing_key":"k","event_action":"trigger","payload":"x"}`, key: "k",
			errs: []string{"'payload' must be an object", "'payload.summary' is missing or blank", "'payload.source' is missing or blank", "'payload.severity' is missing or blank"}},
		{name: "summary too long", body: `{"routing_key":"k","event_action":"trigger","payload":{"summary":"` + strings.Repeat("x", 1025) + `","source":"h","severity":"info"}}`, key: "k",
			errs: []string{"'payload.summary' must be at most 1024 bytes"}},
		{name: "dedup key too long", body: `{"routing_key":"k","event_action":"resolve","dedup_key":"` + strings.Repeat("x", 256) + `"}`, key: "k",
			errs: []string{"'dedup_key' must be at most 255 bytes"}},
		{name: "NUL", body: `{"routing_key":"k","event_action":"trigger","payload":{"summary":"a\u0000","source":"h","severity":"info"}}`, key: "k",
			errs: []string{"'payload.summary' must not contain NUL characters"}},
		{name: "details too deep", body: `{"routing_key":"k","event_action":"trigger","payload":{"summary":"s","source":"h","severity":"info","custom_details":` +
			strings.Repeat("[", 40) + strings.Repeat("]", 40) + `}}`, key: "k", errs: []string{"'payload.custom_details' must not nest deeper than 32 levels"}},
		{name: "details huge number", body: `{"routing_key":"k","event_action":"trigger","payload":{"summary":"s","source":"h","severity":"info","custom_details":{"n":1e400}}}`, key: "k",
			errs: []string{"'payload.custom_details' has a number out of range"}},
		{name: "custom_details not an object is kept", body: `{"routing_key":"k","event_action":"trigger","payload":{"summary":"s","source":"h","severity":"info","custom_details":"text"}}`, key: "k",
			check: func(t *testing.T, e *vigil.Event) {
				if string(e.Details) != `{"custom_details":"text"}` {
					t.Errorf("details %s", e.Details)
				}
			}},
		{name: "not JSON", body: `{"routing_key":`, badErr: true},
		{name: "array", body: `[]`, badErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := DecodeV2([]byte(tt.body))
			if tt.badErr {
				if err != ErrUnrecognized {
					t.Fatalf("err %v, want ErrUnrecognized", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if req.Key != tt.key {
				t.Errorf("key %q, want %q", req.Key, tt.key)
			}
			if d := cmp.Diff(tt.errs, req.Errors); d != "" {
				t.Fatalf("errors (-want +got):\n%s", d)
			}
			if (req.Event == nil) != (len(tt.errs) > 0) {
				t.Fatalf("event %+v with errors %v", req.Event, req.Errors)
			}
			if req.Event != nil {
				if err := req.Event.Validate(); err != nil {
					t.Errorf("accepted event is invalid: %v", err)
				}
				if tt.check != nil {
					tt.check(t, req.Event)
				}
			}
		})
	}
}

func TestDecodeV2GeneratesFreshKeys(t *testing.T) {
	body := []byte(`{"routing_key":"k","event_action":"trigger","payload":{"summary":"s","source":"h","severity":"info"}}`)
	a, _ := DecodeV2(body)
	b, _ := DecodeV2(body)
	if a.Event.DedupKey == b.Event.DedupKey {
		t.Error("two triggers without dedup_key got the same key; PagerDuty opens a new alert for each")
	}
}

func TestDecodeV1(t *testing.T) {
	tests := []struct {
		name  string
		body  string
		errs  []string
		check func(t *testing.T, e *vigil.Event)
	}{
		{name: "trigger", body: `{"service_key":"k","event_type":"trigger","incident_key":"i","description":"down","details":{"a":1},"client":"Mon","client_url":"http://mon.example","contexts":[]}`,
			check: func(t *testing.T, e *vigil.Event) {
				want := &vigil.Event{Action: "trigger", DedupKey: "i", Summary: "down", Severity: vigil.SeverityError,
					Links:   []vigil.Link{{Href: "http://mon.example", Text: "Mon"}},
					Details: json.RawMessage(`{"client":"Mon","client_url":"http://mon.example","details":{"a":1}}`)}
				if d := cmp.Diff(want, e); d != "" {
					t.Error(d)
				}
			}},
		{name: "trigger without key", body: `{"service_key":"k","event_type":"trigger","description":"down","client_url":"ftp://x"}`,
			check: func(t *testing.T, e *vigil.Event) {
				if len(e.DedupKey) != 32 || e.Links != nil {
					t.Errorf("%+v", e)
				}
			}},
		{name: "resolve", body: `{"service_key":"k","event_type":"resolve","incident_key":"i"}`},
		{name: "resolve without key", body: `{"service_key":"k","event_type":"resolve"}`, errs: []string{"'incident_key' is missing or blank"}},
		{name: "missing", body: `{"event_type":"trigger"}`, errs: []string{"'service_key' is missing", "'description' is missing or blank"}},
		{name: "bad type", body: `{"service_key":"k","event_type":"open"}`, errs: []string{"'event_type' must be one of trigger, acknowledge, resolve"}},
		{name: "description too long", body: `{"service_key":"k","event_type":"trigger","description":"` + strings.Repeat("é", 600) + `"}`,
			errs: []string{"'description' must be at most 1024 bytes"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := DecodeV1([]byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.errs, req.Errors); d != "" {
				t.Fatalf("errors (-want +got):\n%s", d)
			}
			if req.Event != nil && tt.check != nil {
				tt.check(t, req.Event)
			}
		})
	}
}
