package alertmanager

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"

	"github.com/vigil-oss/vigil/internal/vigil"
)

var apiNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func TestFingerprintIsAlertmanagers(t *testing.T) {
	for _, ls := range []map[string]string{
		{"alertname": "HighLatency"},
		{"alertname": "DiskFull", "instance": "db-1:9100", "severity": "critical"},
		{"b": "2", "a": "1", "ü": "ñ"},
	} {
		set := model.LabelSet{}
		for k, v := range ls {
			set[model.LabelName(k)] = model.LabelValue(v)
		}
		if got, want := Fingerprint(ls), set.Fingerprint().String(); got != want {
			t.Errorf("Fingerprint(%v) = %s, Alertmanager says %s", ls, got, want)
		}
	}
}

func TestDecodePostableAlerts(t *testing.T) {
	future := apiNow.Add(3 * time.Minute).Format(time.RFC3339)
	past := apiNow.Add(-time.Second).Format(time.RFC3339)
	body := `[
	 {"labels":{"alertname":"A","severity":"critical","env":""},"annotations":{"summary":"A is down"},"startsAt":"2026-03-01T11:00:00Z","endsAt":"` + future + `","generatorURL":"http://prom/graph?g0.expr=up"},
	 {"labels":{"alertname":"B"},"fingerprint":"chosen-by-sender"},
	 {"labels":{"alertname":"C"},"endsAt":"` + past + `"},
	 {"labels":{"alertname":"D"},"endsAt":"` + apiNow.Format(time.RFC3339) + `"}
	]`
	events, errs, err := DecodePostableAlerts([]byte(body), apiNow, 0)
	if err != nil || len(errs) > 0 {
		t.Fatalf("refused: %v %v", err, errs)
	}
	if len(events) != 4 {
		t.Fatalf("%d events, want 4", len(events))
	}
	a := events[0]
	if a.Action != vigil.ActionTrigger || a.Severity != vigil.SeverityCritical || a.Summary != "A is down" || a.Source != APISource {
		t.Errorf("first alert: %+v", a)
	}
	if !reflect.DeepEqual(a.Labels, map[string]string{"alertname": "A", "severity": "critical"}) {
		t.Errorf("labels %v: empty values mean absent", a.Labels)
	}
	if a.DedupKey != "am:"+Fingerprint(a.Labels) {
		t.Errorf("dedup key %s, want the Alertmanager fingerprint of the labels", a.DedupKey)
	}
	if a.EndsAt == nil || !a.EndsAt.Equal(apiNow.Add(3*time.Minute)) {
		t.Errorf("endsAt in the future should be the expiry, got %v", a.EndsAt)
	}
	if len(a.Links) != 1 || a.Links[0].Href != "http://prom/graph?g0.expr=up" {
		t.Errorf("generatorURL should be a link: %v", a.Links)
	}
	if a.GroupKey != "" {
		t.Errorf("API alerts are grouped by the service's rule, got group key %q", a.GroupKey)
	}
	b := events[1]
	if b.DedupKey != "am:"+Fingerprint(map[string]string{"alertname": "B"}) {
		t.Errorf("a sender's fingerprint must be ignored, got %s", b.DedupKey)
	}
	if b.EndsAt == nil || !b.EndsAt.Equal(apiNow.Add(DefaultResolveTimeout)) {
		t.Errorf("no endsAt: expiry should be now + resolve timeout, got %v", b.EndsAt)
	}
	for _, e := range events[2:] {
		if e.Action != vigil.ActionResolve || e.EndsAt != nil {
			t.Errorf("endsAt not after now means resolved: %+v", e)
		}
	}

	events, _, _ = DecodePostableAlerts([]byte(`[{"labels":{"a":"1"}}]`), apiNow, time.Hour)
	if got := events[0].EndsAt; got == nil || !got.Equal(apiNow.Add(time.Hour)) {
		t.Errorf("resolve timeout of one hour gave expiry %v", got)
	}
}

func TestDecodePostableAlertsRefusals(t *testing.T) {
	whole := map[string]string{
		"empty body":  ``,
		"an object":   `{"labels":{"a":"b"}}`,
		"not JSON":    `[{"labels":`,
		"empty array": `[]`,
		"a string":    `"x"`,
	}
	for name, body := range whole {
		if _, _, err := DecodePostableAlerts([]byte(body), apiNow, 0); err == nil {
			t.Errorf("%s: accepted", name)
		} else if vigil.ErrorCode(err) != vigil.CodeInvalid || vigil.ErrorField(err) == "" {
			t.Errorf("%s: %v, want invalid naming a field", name, err)
		}
	}
	items := []struct{ alert, field string }{
		{`{}`, "[1].labels"},
		{`{"labels":{}}`, "[1].labels"},
		{`{"labels":{"a":""}}`, "[1].labels"},
		{`{"labels":{"0bad":"x"}}`, "[1].labels"},
		{`{"labels":{"a-b":"x"}}`, "[1].labels"},
		{`{"labels":{"a":"` + "\xff" + `"}}`, "[1]"},
		{`{"labels":{"a":"x"},"startsAt":"yesterday"}`, "[1].startsAt"},
		{`{"labels":{"a":"x"},"endsAt":"soon"}`, "[1].endsAt"},
		{`{"labels":{"a":"x"},"startsAt":"2026-03-01T12:10:00Z","endsAt":"2026-03-01T12:05:00Z"}`, "[1].endsAt"},
		{`{"labels":"a"}`, "[1].labels"},
		{`7`, "[1]"},
	}
	for _, c := range items {
		body := `[{"labels":{"ok":"1"}},` + c.alert + `]`
		events, errs, err := DecodePostableAlerts([]byte(body), apiNow, 0)
		if err != nil {
			t.Errorf("%s: whole body refused: %v", c.alert, err)
			continue
		}
		if events[0] == nil {
			t.Errorf("%s: the valid alert was refused too", c.alert)
		}
		if events[1] != nil || len(errs) != 1 {
			t.Errorf("%s: accepted (%d errors)", c.alert, len(errs))
			continue
		}
		if errs[0].Index != 1 || !strings.HasPrefix(errs[0].Field, c.field) {
			t.Errorf("%s: error %+v, want field %s", c.alert, errs[0], c.field)
		}
	}
}

// FuzzDecodePostableAlerts: never panics; accepted events are valid and
// carry an expiry exactly when they trigger; a fully accepted body decodes
// to the same events after an encode round trip.
func FuzzDecodePostableAlerts(f *testing.F) {
	f.Add([]byte(`[{"labels":{"alertname":"X","severity":"warning"},"annotations":{"summary":"s"},"startsAt":"2026-03-01T11:00:00Z","endsAt":"2026-03-01T12:04:00Z","generatorURL":"https://p/g"}]`))
	f.Add([]byte(`[{"labels":{"a":"1"}},{"labels":{"b":""}},{"labels":{"c":"3"},"endsAt":"2020-01-01T00:00:00Z"}]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		events, errs, err := DecodePostableAlerts(body, apiNow, 0)
		if err != nil {
			return
		}
		alerts := make([]PostableAlert, 0, len(events))
		for i, e := range events {
			if e == nil {
				continue
			}
			if verr := e.Validate(); verr != nil {
				t.Fatalf("alert %d accepted but invalid: %v", i, verr)
			}
			if (e.Action == vigil.ActionTrigger) != (e.EndsAt != nil) {
				t.Fatalf("alert %d: action %s with expiry %v", i, e.Action, e.EndsAt)
			}
		}
		if len(errs) > 0 {
			return
		}
		if err := json.Unmarshal(body, &alerts); err != nil {
			t.Fatalf("accepted body does not decode into PostableAlert: %v", err)
		}
		again, err := json.Marshal(alerts)
		if err != nil {
			t.Fatal(err)
		}
		events2, errs2, err := DecodePostableAlerts(again, apiNow, 0)
		if err != nil || len(errs2) > 0 {
			t.Fatalf("re-encoded body refused: %v %v\n%s", err, errs2, again)
		}
		if !reflect.DeepEqual(events, events2) {
			t.Fatalf("round trip changed the events:\n%s", again)
		}
	})
}
