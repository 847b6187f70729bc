package pagerduty

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// The fuzz targets check that a decoder never panics, that an accepted
// event is valid, and that encoding it back to the wire format and decoding
// again gives the same event (decode-encode-decode is stable).

func FuzzDecodeV2(f *testing.F) {
	for _, s := range []string{trigger,
		`{"routing_key":"k","event_action":"resolve","dedup_key":"d"}`,
		`{"routing_key":"k","event_action":"trigger","payload":{"summary":"s","source":"h","severity":"info","custom_details":[1,"<&>",{"a":null}]}}`,
		`{}`, `[`, `null`, `{"routing_key":"k","event_action":"trigger","payload":{"summary":"\ud800","source":"h","severity":"info"}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := DecodeV2(body)
		if !check(t, req, err) {
			return
		}
		again, err := DecodeV2(encodeV2(t, req.Key, req.Event))
		if err != nil || again.Event == nil {
			t.Fatalf("re-decode: %v %v", err, again.Errors)
		}
		if d := cmp.Diff(req.Event, again.Event); d != "" {
			t.Fatalf("decode→encode→decode changed the event (-first +second):\n%s", d)
		}
	})
}

func FuzzDecodeV1(f *testing.F) {
	for _, s := range []string{
		`{"service_key":"k","event_type":"trigger","incident_key":"i","description":"down","details":{"a":1},"client":"Mon","client_url":"http://mon.example"}`,
		`{"service_key":"k","event_type":"acknowledge","incident_key":"i"}`,
		`{"service_key":"k","event_type":"trigger","description":"d","details":"x"}`, `{}`, `{"a":`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := DecodeV1(body)
		if !check(t, req, err) {
			return
		}
		again, err := DecodeV1(encodeV1(t, req.Key, req.Event))
		if err != nil || again.Event == nil {
			t.Fatalf("re-decode: %v %v", err, again.Errors)
		}
		if d := cmp.Diff(req.Event, again.Event); d != "" {
			t.Fatalf("decode→encode→decode changed the event (-first +second):\n%s", d)
		}
	})
}

// check reports whether req holds an accepted event, failing on broken
// invariants.
func check(t *testing.T, req *Request, err error) bool {
	t.Helper()
	if err != nil {
		if err != ErrUnrecognized || req != nil {
			t.Fatalf("unexpected error %v (request %+v)", err, req)
		}
		return false
	}
	if (req.Event == nil) == (len(req.Errors) == 0) {
		t.Fatalf("event %+v with errors %q", req.Event, req.Errors)
	}
	if req.Event == nil {
		return false
	}
	if req.Key == "" || req.Event.DedupKey == "" || req.Event.Validate() != nil {
		t.Fatalf("accepted an invalid event: %+v (%v)", req.Event, req.Event.Validate())
	}
	return true
}

// wireDetails reads back what the decoders put in details.
func wireDetails(t *testing.T, e *vigil.Event) map[string]json.RawMessage {
	t.Helper()
	d := map[string]json.RawMessage{}
	if e.Details != nil {
		if err := json.Unmarshal(e.Details, &d); err != nil {
			t.Fatalf("details %s: %v", e.Details, err)
		}
	}
	return d
}

func str(raw json.RawMessage) string {
	var s string
	_ = json.Unmarshal(raw, &s)
	return s
}

// links drops the link the decoder made of client_url.
func links(e *vigil.Event, d map[string]json.RawMessage) []vigil.Link {
	if ValidLink(str(d["client_url"])) {
		return e.Links[:len(e.Links)-1]
	}
	return e.Links
}

func encodeV2(t *testing.T, key string, e *vigil.Event) []byte {
	d := wireDetails(t, e)
	m := map[string]any{"routing_key": key, "event_action": e.Action, "dedup_key": e.DedupKey}
	if e.Action == vigil.ActionTrigger {
		p := map[string]any{"summary": e.Summary, "source": e.Source, "severity": e.Severity}
		for _, f := range []string{"component", "group", "class"} {
			if v, ok := e.Labels[f]; ok {
				p[f] = v
			}
		}
		for _, f := range []string{"timestamp", "custom_details"} {
			if v, ok := d[f]; ok {
				p[f] = v
			}
		}
		m["payload"] = p
		for _, f := range []string{"client", "client_url", "images"} {
			if v, ok := d[f]; ok {
				m[f] = v
			}
		}
		m["links"] = links(e, d)
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func encodeV1(t *testing.T, key string, e *vigil.Event) []byte {
	d := wireDetails(t, e)
	m := map[string]any{"service_key": key, "event_type": e.Action, "incident_key": e.DedupKey}
	if e.Action == vigil.ActionTrigger {
		m["description"] = e.Summary
		for _, f := range []string{"details", "client", "client_url"} {
			if v, ok := d[f]; ok {
				m[f] = v
			}
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
