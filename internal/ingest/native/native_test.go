package native

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigil-oss/vigil/internal/vigil"
)

func TestDecodeEvents(t *testing.T) {
	labels := func(n int) string {
		var b strings.Builder
		b.WriteString("{")
		for i := range n {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString(`"l` + strings.Repeat("x", i%3) + string(rune('a'+i%26)) + string(rune('a'+i/26)) + `":"v"`)
		}
		b.WriteString("}")
		return b.String()
	}
	tests := []struct {
		name      string
		body      string
		wantErr   string // whole-body error code
		wantItem  string // first item's error field ("-" for an error without field)
		wantBatch bool
		check     func(t *testing.T, e *vigil.Event)
	}{
		{name: "minimal trigger", body: `{"summary":"disk full"}`, check: func(t *testing.T, e *vigil.Event) {
			if e.Action != vigil.ActionTrigger || e.Severity != vigil.SeverityError || !strings.HasPrefix(e.DedupKey, "auto-") {
				t.Errorf("defaults not applied: %+v", e)
			}
		}},
		{name: "full event", body: `{"summary":"s","dedup_key":"k","action":"RESOLVE","severity":"Critical","source":"db1",
			"details":{ "a" : [1, 2.5, "x"] },"labels":{"env":"prod"},"links":["https://a.example/x",{"href":"http://b.example","text":"B"}],"unknown":true}`,
			check: func(t *testing.T, e *vigil.Event) {
				want := &vigil.Event{Action: "resolve", DedupKey: "k", Summary: "s", Severity: "critical", Source: "db1",
					Details: json.RawMessage(`{"a":[1,2.5,"x"]}`), Labels: map[string]string{"env": "prod"},
					Links: []vigil.Link{{Href: "https://a.example/x"}, {Href: "http://b.example", Text: "B"}}}
				if d := cmp.Diff(want, e); d != "" {
					t.Errorf("event (-want +got):\n%s", d)
				}
			}},
		{name: "batch", body: `[{"summary":"a"},{"summary":""},{"summary":"c"}]`, wantBatch: true},
		{name: "empty", body: ` `, wantErr: vigil.CodeInvalid},
		{name: "malformed", body: `{"summary":`, wantErr: vigil.CodeInvalid},
		{name: "trailing garbage", body: `{"summary":"a"} x`, wantErr: vigil.CodeInvalid},
		{name: "string", body: `"hello"`, wantErr: vigil.CodeInvalid},
		{name: "number", body: `42`, wantErr: vigil.CodeInvalid},
		{name: "null", body: `null`, wantErr: vigil.CodeInvalid},
		{name: "empty batch", body: `[]`, wantErr: vigil.CodeInvalid, wantBatch: true},
		{name: "batch too big", body: "[" + strings.Repeat(`{"summary":"a"},`, MaxBatchEvents) + `{"summary":"a"}]`, wantErr: vigil.CodeInvalid, wantBatch: true},
		{name: "nesting 10000", body: strings.Repeat("[", 10000) + strings.Repeat("]", 10000), wantBatch: true, wantItem: "-"},
		{name: "nesting 10001", body: strings.Repeat("[", 10001) + strings.Repeat("]", 10001), wantErr: vigil.CodeInvalid},
		{name: "object nesting 10000", body: strings.Repeat(`{"a":`, 10000) + "1" + strings.Repeat("}", 10000), wantItem: "summary"},
		{name: "object nesting 10001", body: strings.Repeat(`{"a":`, 10001) + "1" + strings.Repeat("}", 10001), wantErr: vigil.CodeInvalid},
		{name: "summary wrong type", body: `{"summary":42}`, wantItem: "summary"},
		{name: "summary huge number", body: `{"summary":1e999999}`, wantItem: "summary"},
		{name: "summary missing", body: `{"source":"x"}`, wantItem: "summary"},
		{name: "summary too long", body: `{"summary":"` + strings.Repeat("a", 1025) + `"}`, wantItem: "summary"},
		{name: "summary at limit", body: `{"summary":"` + strings.Repeat("a", 1024) + `"}`},
		{name: "dedup key too long", body: `{"summary":"a","dedup_key":"` + strings.Repeat("k", 256) + `"}`, wantItem: "dedup_key"},
		{name: "bad action", body: `{"summary":"a","action":"explode"}`, wantItem: "action"},
		{name: "bad severity", body: `{"summary":"a","severity":"meh"}`, wantItem: "severity"},
		{name: "too many labels", body: `{"summary":"a","labels":` + labels(65) + `}`, wantItem: "labels"},
		{name: "64 labels", body: `{"summary":"a","labels":` + labels(64) + `}`},
		{name: "label value too long", body: `{"summary":"a","labels":{"big":"` + strings.Repeat("v", 4097) + `"}}`, wantItem: "labels.big"},
		{name: "label value wrong type", body: `{"summary":"a","labels":{"n":1}}`, wantItem: "labels"},
		{name: "javascript link", body: `{"summary":"a","links":["javascript:alert(1)"]}`, wantItem: "links.href"},
		{name: "link number", body: `{"summary":"a","links":[5]}`, wantItem: "links"},
		{name: "details not object", body: `{"summary":"a","details":[1]}`, wantItem: "details"},
		{name: "details null", body: `{"summary":"a","details":null}`},
		{name: "details huge number", body: `{"summary":"a","details":{"n":1e400}}`, wantItem: "details"},
		{name: "details long number", body: `{"summary":"a","details":{"n":` + strings.Repeat("1", 100) + `}}`, wantItem: "details"},
		{name: "details deep", body: `{"summary":"a","details":{"a":` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `}}`, wantItem: "details"},
		{name: "details NUL", body: `{"summary":"a","details":{"a":"\u0000"}}`, wantItem: "details"},
		{name: "summary NUL", body: `{"summary":"a\u0000b"}`, wantItem: "summary"},
		{name: "resolve without key", body: `{"action":"resolve"}`, wantItem: "dedup_key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events, errs, batch, err := DecodeEvents([]byte(tt.body))
			if batch != tt.wantBatch {
				t.Errorf("isBatch = %v, want %v", batch, tt.wantBatch)
			}
			if tt.wantErr != "" {
				if vigil.ErrorCode(err) != tt.wantErr {
					t.Fatalf("err = %v, want code %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected body error: %v", err)
			}
			if len(events) != len(errs) || len(events) == 0 {
				t.Fatalf("got %d events and %d errors", len(events), len(errs))
			}
			switch {
			case tt.wantItem == "" && errs[0] != nil:
				t.Fatalf("item error: %v", errs[0])
			case tt.wantItem == "-" && (errs[0] == nil || vigil.ErrorField(errs[0]) != ""):
				t.Fatalf("item error = %v, want one without field", errs[0])
			case tt.wantItem != "" && tt.wantItem != "-" && vigil.ErrorField(errs[0]) != tt.wantItem:
				t.Fatalf("item error = %v (field %q), want field %q", errs[0], vigil.ErrorField(errs[0]), tt.wantItem)
			}
			if errs[0] != nil {
				if vigil.ErrorCode(errs[0]) != vigil.CodeInvalid || events[0] != nil {
					t.Errorf("item error code %s, event %v", vigil.ErrorCode(errs[0]), events[0])
				}
				return
			}
			if tt.check != nil {
				tt.check(t, events[0])
			}
		})
	}
}

func TestDecodeBatchItems(t *testing.T) {
	events, errs, _, err := DecodeEvents([]byte(`[{"summary":"a"},{"summary":"b","severity":"nope"},7]`))
	if err != nil {
		t.Fatal(err)
	}
	if errs[0] != nil || events[0] == nil || events[0].Summary != "a" {
		t.Errorf("item 0: %v %v", events[0], errs[0])
	}
	if vigil.ErrorField(errs[1]) != "severity" || events[1] != nil {
		t.Errorf("item 1: %v %v", events[1], errs[1])
	}
	if errs[2] == nil || events[2] != nil {
		t.Errorf("item 2: %v %v", events[2], errs[2])
	}
}

// FuzzDecodeNative: the decoder never panics, refuses with CodeInvalid
// only, and an accepted body encodes to one that decodes to the same events.
func FuzzDecodeNative(f *testing.F) {
	for _, s := range []string{
		`{"summary":"disk full"}`,
		`{"summary":"s","dedup_key":"k","action":"acknowledge","severity":"warning","source":"x","details":{"a":{"b":[1,"<&>"]}},"labels":{"a":"b"},"links":["https://x.example",{"href":"http://y.example","text":"y"}]}`,
		`[{"summary":"a"},{"action":"resolve","dedup_key":"a"},"x"]`,
		`{"summary":1}`, `[`, `null`, `{"summary":"\ud800"}`, `{"summary":"a","details":{"n":1e400}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		events, errs, _, err := DecodeEvents(body)
		if err != nil {
			if vigil.ErrorCode(err) != vigil.CodeInvalid {
				t.Fatalf("body error with code %s: %v", vigil.ErrorCode(err), err)
			}
			return
		}
		var accepted []*vigil.Event
		for i, e := range events {
			if errs[i] != nil {
				if vigil.ErrorCode(errs[i]) != vigil.CodeInvalid || e != nil {
					t.Fatalf("item %d: error %v with event %v", i, errs[i], e)
				}
				continue
			}
			if e == nil || e.Validate() != nil || e.DedupKey == "" {
				t.Fatalf("item %d accepted but not valid: %+v", i, e)
			}
			accepted = append(accepted, e)
		}
		if len(accepted) == 0 {
			return
		}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(accepted); err != nil {
			t.Fatalf("encode: %v", err)
		}
		again, errs2, _, err := DecodeEvents(buf.Bytes())
		if err != nil {
			t.Fatalf("re-decode of %s: %v", buf.Bytes(), err)
		}
		for i, e := range errs2 {
			if e != nil {
				t.Fatalf("re-decode item %d of %s: %v", i, buf.Bytes(), e)
			}
		}
		if d := cmp.Diff(accepted, again); d != "" {
			t.Fatalf("decode→encode→decode changed the events (-first +second):\n%s", d)
		}
	})
}
