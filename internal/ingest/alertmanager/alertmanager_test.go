package alertmanager

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// payload is a webhook with the given alerts (JSON objects).
func payload(alerts ...string) []byte {
	return []byte(`{"version":"4","groupKey":"{}:{alertname=\"HighLatency\"}","truncatedAlerts":0,"status":"firing",
		"receiver":"vigil","groupLabels":{"alertname":"HighLatency"},"commonLabels":{},"commonAnnotations":{},
		"externalURL":"http://am:9093","alerts":[` + strings.Join(alerts, ",") + `]}`)
}

func decodeOne(t *testing.T, alert string) (*vigil.Event, []ItemError) {
	t.Helper()
	_, events, errs, err := DecodeWebhook(payload(alert))
	if err != nil {
		t.Fatalf("whole body refused: %v", err)
	}
	return events[0], errs
}

func TestSeverity(t *testing.T) {
	for in, want := range map[string]vigil.Severity{
		"critical": vigil.SeverityCritical, "CRITICAL": vigil.SeverityCritical, "page": vigil.SeverityCritical,
		"P1": vigil.SeverityCritical, "high": vigil.SeverityCritical,
		"error": vigil.SeverityError, "major": vigil.SeverityError, "p2": vigil.SeverityError,
		"warning": vigil.SeverityWarning, "Warn": vigil.SeverityWarning, "minor": vigil.SeverityWarning, "p3": vigil.SeverityWarning,
		"info": vigil.SeverityInfo, "low": vigil.SeverityInfo, "none": vigil.SeverityInfo, "p4": vigil.SeverityInfo, "p5": vigil.SeverityInfo,
		"": vigil.SeverityError, "bogus": vigil.SeverityError,
	} {
		if got := Severity(in); got != want {
			t.Errorf("Severity(%q) = %s, want %s", in, got, want)
		}
	}
	e, errs := decodeOne(t, `{"status":"firing","labels":{"alertname":"X","severity":"Warning"},"fingerprint":"f1"}`)
	if len(errs) > 0 || e.Severity != vigil.SeverityWarning {
		t.Errorf("severity label: %v %v", e, errs)
	}
}

func TestMapping(t *testing.T) {
	long := strings.Repeat("é", vigil.MaxSummaryLen) // 2 bytes each
	tests := []struct {
		name, alert string
		check       func(t *testing.T, e *vigil.Event)
	}{
		{"summary annotation", `{"status":"firing","labels":{"alertname":"A"},"annotations":{"summary":"S","description":"D"},"fingerprint":"f"}`,
			func(t *testing.T, e *vigil.Event) { wantEq(t, e.Summary, "S") }},
		{"description fallback", `{"status":"firing","labels":{"alertname":"A"},"annotations":{"summary":"  ","description":"D"},"fingerprint":"f"}`,
			func(t *testing.T, e *vigil.Event) { wantEq(t, e.Summary, "D") }},
		{"alertname fallback", `{"status":"firing","labels":{"alertname":"A"},"fingerprint":"f"}`,
			func(t *testing.T, e *vigil.Event) { wantEq(t, e.Summary, "A") }},
		{"fixed fallback", `{"status":"firing","labels":{"job":"x"},"fingerprint":"f"}`,
			func(t *testing.T, e *vigil.Event) { wantEq(t, e.Summary, "Alertmanager alert") }},
		{"long summary cut at a rune boundary", `{"status":"firing","labels":{"job":"x"},"annotations":{"summary":"` + long + `"},"fingerprint":"f"}`,
			func(t *testing.T, e *vigil.Event) {
				if len(e.Summary) > vigil.MaxSummaryLen || len(e.Summary) < vigil.MaxSummaryLen-1 || !strings.HasPrefix(long, e.Summary) {
					t.Errorf("summary of %d bytes", len(e.Summary))
				}
			}},
		{"firing", `{"status":"firing","labels":{"job":"x"},"fingerprint":"abc"}`,
			func(t *testing.T, e *vigil.Event) {
				wantEq(t, e.Action, vigil.ActionTrigger)
				wantEq(t, e.DedupKey, "am:abc")
				wantEq(t, e.GroupKey, `{}:{alertname="HighLatency"}`)
				wantEq(t, e.Source, "alertmanager/vigil")
			}},
		{"resolved", `{"status":"resolved","labels":{"job":"x"},"fingerprint":"abc"}`,
			func(t *testing.T, e *vigil.Event) { wantEq(t, e.Action, vigil.ActionResolve) }},
		{"status from the payload", `{"labels":{"job":"x"},"fingerprint":"abc"}`,
			func(t *testing.T, e *vigil.Event) { wantEq(t, e.Action, vigil.ActionTrigger) }},
		{"fingerprint from labels", `{"status":"firing","labels":{"b":"2","a":"1"}}`,
			func(t *testing.T, e *vigil.Event) {
				wantEq(t, e.DedupKey, "am:"+Fingerprint(map[string]string{"a": "1", "b": "2"}))
				if len(e.DedupKey) != len("am:")+16 {
					t.Errorf("dedup key %s: want am: and 16 hex digits", e.DedupKey)
				}
			}},
		{"empty label values are absent", `{"status":"firing","labels":{"job":"x","env":""},"fingerprint":"f"}`,
			func(t *testing.T, e *vigil.Event) {
				if !reflect.DeepEqual(e.Labels, map[string]string{"job": "x"}) {
					t.Errorf("labels %v", e.Labels)
				}
			}},
		{"http generatorURL kept", `{"status":"firing","labels":{"job":"x"},"generatorURL":"http://prom:9090/graph?g0.expr=up","fingerprint":"f"}`,
			func(t *testing.T, e *vigil.Event) {
				if len(e.Links) != 1 || e.Links[0].Href != "http://prom:9090/graph?g0.expr=up" {
					t.Errorf("links %v", e.Links)
				}
			}},
		{"javascript generatorURL dropped", `{"status":"firing","labels":{"job":"x"},"generatorURL":"javascript:alert(1)","fingerprint":"f"}`,
			func(t *testing.T, e *vigil.Event) {
				if len(e.Links) != 0 {
					t.Errorf("links %v", e.Links)
				}
			}},
		{"relative generatorURL dropped", `{"status":"firing","labels":{"job":"x"},"generatorURL":"/graph","fingerprint":"f"}`,
			func(t *testing.T, e *vigil.Event) {
				if len(e.Links) != 0 {
					t.Errorf("links %v", e.Links)
				}
			}},
		{"details", `{"status":"firing","labels":{"job":"x"},"annotations":{"runbook":"r"},"startsAt":"2026-03-01T12:00:00Z","endsAt":"0001-01-01T00:00:00Z","fingerprint":"f"}`,
			func(t *testing.T, e *vigil.Event) {
				var d map[string]any
				if err := json.Unmarshal(e.Details, &d); err != nil {
					t.Fatal(err)
				}
				for _, k := range []string{"annotations", "startsAt", "endsAt", "receiver", "groupKey", "externalURL"} {
					if d[k] == nil {
						t.Errorf("details lack %s: %s", k, e.Details)
					}
				}
			}},
		{"unknown fields ignored", `{"status":"firing","labels":{"job":"x"},"fingerprint":"f","silencedBy":[],"extra":{"a":[1,2]}}`,
			func(t *testing.T, e *vigil.Event) { wantEq(t, e.DedupKey, "am:f") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, errs := decodeOne(t, tt.alert)
			if len(errs) > 0 || e == nil {
				t.Fatalf("refused: %v", errs)
			}
			if err := e.Validate(); err != nil {
				t.Errorf("event invalid: %v", err)
			}
			tt.check(t, e)
		})
	}
}

func wantEq(t *testing.T, got, want string) {
	t.Helper()
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestRefusedAlerts(t *testing.T) {
	many := make([]string, vigil.MaxLabels+1)
	for i := range many {
		many[i] = `"l` + strings.Repeat("x", i) + `":"v"`
	}
	tests := []struct{ name, alert, field string }{
		{"no labels", `{"status":"firing","labels":{},"fingerprint":"f"}`, "alerts[1].labels"},
		{"labels missing", `{"status":"firing","fingerprint":"f"}`, "alerts[1].labels"},
		{"only empty values", `{"status":"firing","labels":{"a":""},"fingerprint":"f"}`, "alerts[1].labels"},
		{"label name with a dash", `{"status":"firing","labels":{"bad-name":"x"},"fingerprint":"f"}`, "alerts[1].labels"},
		{"label name starting with a digit", `{"status":"firing","labels":{"1x":"x"},"fingerprint":"f"}`, "alerts[1].labels"},
		{"too many labels", `{"status":"firing","labels":{` + strings.Join(many, ",") + `},"fingerprint":"f"}`, "alerts[1].labels"},
		{"invalid UTF-8 in a label", "{\"status\":\"firing\",\"labels\":{\"a\":\"\xff\"},\"fingerprint\":\"f\"}", "alerts[1].labels"},
		{"invalid UTF-8 in an annotation", "{\"status\":\"firing\",\"labels\":{\"a\":\"x\"},\"annotations\":{\"summary\":\"\xc3\"},\"fingerprint\":\"f\"}", "alerts[1].annotations"},
		{"NUL in a label", `{"status":"firing","labels":{"a":"x\u0000"},"fingerprint":"f"}`, "alerts[1].labels.a"},
		{"NUL in an annotation", `{"status":"firing","labels":{"a":"x"},"annotations":{"d":"\u0000"},"fingerprint":"f"}`, "alerts[1].annotations.d"},
		{"end before start", `{"status":"resolved","labels":{"a":"x"},"startsAt":"2026-03-01T12:00:00Z","endsAt":"2026-03-01T11:00:00Z","fingerprint":"f"}`, "alerts[1].endsAt"},
		{"bad startsAt", `{"status":"firing","labels":{"a":"x"},"startsAt":"yesterday","fingerprint":"f"}`, "alerts[1].startsAt"},
		{"bad status", `{"status":"pending","labels":{"a":"x"},"fingerprint":"f"}`, "alerts[1].status"},
		{"labels of the wrong type", `{"status":"firing","labels":{"a":5},"fingerprint":"f"}`, "alerts[1].labels"},
		{"not an object", `"alert"`, "alerts[1]"},
		{"long fingerprint", `{"status":"firing","labels":{"a":"x"},"fingerprint":"` + strings.Repeat("f", 300) + `"}`, "alerts[1].fingerprint"},
	}
	good := `{"status":"firing","labels":{"alertname":"Good"},"fingerprint":"good"}`
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, events, errs, err := DecodeWebhook(payload(good, tt.alert))
			if err != nil {
				t.Fatalf("whole body refused: %v", err)
			}
			if events[0] == nil || events[1] != nil {
				t.Fatalf("events %v", events)
			}
			if len(errs) != 1 || errs[0].Index != 1 || errs[0].Field != tt.field || errs[0].Message == "" {
				t.Errorf("errors %+v, want one naming %s", errs, tt.field)
			}
		})
	}
}

func TestRefusedBodies(t *testing.T) {
	tests := []struct{ name, body, field string }{
		{"malformed", `{"alerts":[`, ""},
		{"not an object", `[1,2]`, ""},
		{"alerts not an array", `{"alerts":{}}`, "alerts"},
		{"alerts missing", `{"version":"4"}`, "alerts"},
		{"alerts empty", `{"alerts":[]}`, "alerts"},
		{"groupKey of the wrong type", `{"groupKey":5,"alerts":[{"labels":{"a":"b"},"status":"firing"}]}`, "groupKey"},
		{"invalid UTF-8 in groupKey", "{\"groupKey\":\"\xff\",\"alerts\":[{\"labels\":{\"a\":\"b\"},\"status\":\"firing\"}]}", "groupKey"},
		{"NUL in receiver", `{"receiver":"\u0000","alerts":[{"labels":{"a":"b"},"status":"firing"}]}`, "receiver"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, _, err := DecodeWebhook([]byte(tt.body))
			if vigil.ErrorCode(err) != vigil.CodeInvalid || vigil.ErrorField(err) != tt.field {
				t.Errorf("err %v (field %q), want invalid naming %q", err, vigil.ErrorField(err), tt.field)
			}
		})
	}
}

func TestUnknownTopLevelFields(t *testing.T) {
	body := `{"version":"4","status":"firing","notification_reason":"x","routeLabels":{"a":"b"},"future":[1,{"x":null}],
		"alerts":[{"status":"firing","labels":{"a":"b"}}]}`
	_, events, errs, err := DecodeWebhook([]byte(body))
	if err != nil || len(errs) != 0 || events[0] == nil {
		t.Fatalf("refused: %v %v", err, errs)
	}
}

func TestLongGroupKeyIsHashed(t *testing.T) {
	gk := strings.Repeat("k", 300)
	_, events, _, err := DecodeWebhook([]byte(`{"groupKey":"` + gk + `","alerts":[{"status":"firing","labels":{"a":"b"}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if g := events[0].GroupKey; len(g) > vigil.MaxDedupKeyLen || !strings.HasPrefix(g, "sha256:") {
		t.Errorf("group key %q", g)
	}
}
