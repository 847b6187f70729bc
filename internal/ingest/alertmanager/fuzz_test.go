package alertmanager

import (
	"encoding/json"
	"reflect"
	"testing"
)

// FuzzDecodeWebhook: the decoder never panics, every event it accepts is
// valid, and a payload it accepts entirely decodes to the same events after
// an encode round trip.
func FuzzDecodeWebhook(f *testing.F) {
	f.Add(payload(`{"status":"firing","labels":{"alertname":"X","severity":"page"},"annotations":{"summary":"s"},"startsAt":"2026-03-01T12:00:00Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://p/g","fingerprint":"f"}`))
	f.Add([]byte(`{"alerts":[{"labels":{"a":""}}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		w, events, errs, err := DecodeWebhook(body)
		if err != nil {
			return
		}
		if len(events) != len(w.Alerts) || len(events) == 0 {
			t.Fatalf("%d events for %d alerts", len(events), len(w.Alerts))
		}
		for i, e := range events {
			if e == nil {
				continue
			}
			if verr := e.Validate(); verr != nil {
				t.Fatalf("alert %d accepted but invalid: %v", i, verr)
			}
		}
		if len(errs) > 0 {
			return
		}
		again, err := json.Marshal(w)
		if err != nil {
			t.Fatal(err)
		}
		w2, events2, errs2, err := DecodeWebhook(again)
		if err != nil || len(errs2) > 0 {
			t.Fatalf("re-encoded payload refused: %v %v\n%s", err, errs2, again)
		}
		if !reflect.DeepEqual(events, events2) || !reflect.DeepEqual(w, w2) {
			t.Fatalf("round trip changed the result:\n%s", again)
		}
	})
}
