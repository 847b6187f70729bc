package opsgenie

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/vigil-oss/vigil/internal/triage"
	"github.com/vigil-oss/vigil/internal/vigil"
)

const create = `{"message":"DB down","alias":"db1/down","description":"db1 is not answering","priority":"p1",
	"tags":["prod","db"],"details":{"host":"db1"},"entity":"db1","source":"nagios","user":"ops","note":"paged",
	"responders":[{"type":"team","name":"dba"}],"visibleTo":[{"id":1}],"actions":["restart"],"unknown":{"x":1}}`

func TestDecodeCreate(t *testing.T) {
	_, e, err := DecodeCreate([]byte(create))
	if err != nil {
		t.Fatal(err)
	}
	if e.Action != vigil.ActionTrigger || e.DedupKey != "db1/down" || e.Summary != "DB down" || e.Severity != vigil.SeverityCritical ||
		e.Source != "nagios" || e.Labels["priority"] != "P1" || e.Labels["tag:prod"] != "true" || e.Labels["tag:db"] != "true" {
		t.Fatalf("event %+v", e)
	}
	var d map[string]any
	if err := json.Unmarshal(e.Details, &d); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"description", "details", "entity", "user", "note", "responders", "visibleTo", "actions", "alias"} {
		if d[k] == nil {
			t.Errorf("details lack %s: %s", k, e.Details)
		}
	}
	if d["unknown"] != nil {
		t.Errorf("unknown field kept: %s", e.Details)
	}
}

func TestSeverity(t *testing.T) {
	for p, want := range map[string]vigil.Severity{"": vigil.SeverityWarning, "P1": vigil.SeverityCritical, "P2": vigil.SeverityError,
		"P3": vigil.SeverityWarning, "p4": vigil.SeverityInfo, "P5": vigil.SeverityInfo} {
		got, _, err := Severity(p)
		if err != nil || got != want {
			t.Errorf("Severity(%q) = %q, %v; want %q", p, got, err, want)
		}
	}
	if _, _, err := Severity("P6"); vigil.ErrorField(err) != "priority" {
		t.Errorf("P6: %v", err)
	}
}

func TestDedupKey(t *testing.T) {
	long := strings.Repeat("a", 300)
	k := DedupKey(long)
	if !strings.HasPrefix(k, "og:") || len(k) != 67 || DedupKey(long) != k || DedupKey(long+"b") == k {
		t.Errorf("DedupKey(long) = %q", k)
	}
	if DedupKey(" x ") != "x" || DedupKey(strings.Repeat("é", 127)) != strings.Repeat("é", 127) {
		t.Error("short aliases must be kept")
	}
	// An alias of 512 characters is accepted and hashed.
	_, e, err := DecodeCreate([]byte(`{"message":"m","alias":"` + strings.Repeat("ü", 512) + `"}`))
	if err != nil || !strings.HasPrefix(e.DedupKey, "og:") {
		t.Fatalf("512-char alias: %v %+v", err, e)
	}
	// Without alias the key derives from source and message.
	_, e, err = DecodeCreate([]byte(`{"message":"m","source":"s"}`))
	if err != nil || e.DedupKey != triage.DedupKey(&vigil.Event{Source: "s", Summary: "m"}) {
		t.Fatalf("derived key: %v %+v", err, e)
	}
}

func TestDecodeCreateInvalid(t *testing.T) {
	for body, field := range map[string]string{
		`{}`:               "message",
		`{"message":"  "}`: "message",
		`{"message":1}`:    "message",
		`{"message":"` + strings.Repeat("x", 131) + `"}`:              "message",
		`{"message":"m","alias":"` + strings.Repeat("x", 513) + `"}`:  "alias",
		`{"message":"m","priority":"urgent"}`:                         "priority",
		`{"message":"m","tags":"prod"}`:                               "tags",
		`{"message":"m","details":{"a":1}}`:                           "details",
		`{"message":"m","details":{"a":"\u0000"}}`:                    "details",
		`{"message":"m\u0000"}`:                                       "message",
		`{"message":"m","responders":["\u0000"]}`:                     "responders",
		`{"message":"m","source":"` + strings.Repeat("x", 101) + `"}`: "source",
	} {
		_, _, err := DecodeCreate([]byte(body))
		if vigil.ErrorCode(err) != vigil.CodeInvalid || vigil.ErrorField(err) != field {
			t.Errorf("%.60s: error %v (field %q), want field %q", body, err, vigil.ErrorField(err), field)
		}
	}
	for body, want := range map[string]error{``: ErrInvalidJSON, `{"message":"m"`: ErrInvalidJSON, `{"message":"m"} x`: ErrInvalidJSON,
		`[]`: ErrUnprocessable, `null`: ErrUnprocessable, `"m"`: ErrUnprocessable} {
		if _, _, err := DecodeCreate([]byte(body)); err != want {
			t.Errorf("%q: %v, want %v", body, err, want)
		}
	}
}

func TestDecodeAction(t *testing.T) {
	a, err := DecodeAction(nil)
	if err != nil || *a != (Action{}) {
		t.Fatalf("empty: %+v %v", a, err)
	}
	a, err = DecodeAction([]byte(`{"user":"u","source":"s","note":"n","x":1}`))
	if err != nil || *a != (Action{User: "u", Source: "s", Note: "n"}) {
		t.Fatalf("%+v %v", a, err)
	}
	if _, err := DecodeAction([]byte(`{"note":5}`)); vigil.ErrorField(err) != "note" {
		t.Errorf("note 5: %v", err)
	}
}
