package opsgenie

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigil-oss/vigil/internal/vigil"
)

func TestDecodeHeartbeatCreate(t *testing.T) {
	h, err := DecodeHeartbeatCreate([]byte(`{"name":" nightly ","description":"pg_dump","interval":2,"intervalUnit":"Hours",
		"enabled":true,"ownerTeam":{"name":"dba"},"alertMessage":"backup missed","alertTags":["db"," db","backup",""],
		"alertPriority":"p2","unknown":[1]}`))
	if err != nil {
		t.Fatal(err)
	}
	want := &vigil.Heartbeat{Name: "nightly", Description: "pg_dump", Interval: 2, IntervalUnit: "hours", Enabled: true,
		AlertMessage: "backup missed", AlertTags: []string{"db", "backup"}, AlertPriority: "P2"}
	if diff := cmp.Diff(want, h); diff != "" {
		t.Errorf("decoded (-want +got):\n%s", diff)
	}

	// Opsgenie's defaults, and what SDKs send: no enabled (false), the
	// interval as a string, the tags as one string.
	h, err = DecodeHeartbeatCreate([]byte(`{"name":"n","interval":"15","intervalUnit":"minutes","alertTags":"a, b,a","enabled":null}`))
	if err != nil {
		t.Fatal(err)
	}
	if h.Enabled || h.Interval != 15 || h.AlertPriority != "P3" || !cmp.Equal(h.AlertTags, []string{"a", "b"}) {
		t.Errorf("defaults: %+v", h)
	}

	for _, tc := range []struct{ body, field string }{
		{`{"interval":1,"intervalUnit":"hours"}`, "name"},
		{`{"name":"  ","interval":1,"intervalUnit":"hours"}`, "name"},
		{`{"name":1,"interval":1,"intervalUnit":"hours"}`, "name"},
		{`{"name":"a\u0007b","interval":1,"intervalUnit":"hours"}`, "name"},
		{`{"name":"n","intervalUnit":"hours"}`, "interval"},
		{`{"name":"n","interval":0,"intervalUnit":"hours"}`, "interval"},
		{`{"name":"n","interval":1.5,"intervalUnit":"hours"}`, "interval"},
		{`{"name":"n","interval":"x","intervalUnit":"hours"}`, "interval"},
		{`{"name":"n","interval":1e30,"intervalUnit":"hours"}`, "interval"},
		{`{"name":"n","interval":9000,"intervalUnit":"hours"}`, "interval"},
		{`{"name":"n","interval":1}`, "intervalUnit"},
		{`{"name":"n","interval":1,"intervalUnit":"weeks"}`, "intervalUnit"},
		{`{"name":"n","interval":1,"intervalUnit":"hours","enabled":1}`, "enabled"},
		{`{"name":"n","interval":1,"intervalUnit":"hours","alertTags":{"a":1}}`, "alertTags"},
		{`{"name":"n","interval":1,"intervalUnit":"hours","alertTags":["` + strings.Repeat("t", 51) + `"]}`, "alertTags"},
		{`{"name":"n","interval":1,"intervalUnit":"hours","alertPriority":"P0"}`, "alertPriority"},
		{`{"name":"n","interval":1,"intervalUnit":"hours","alertMessage":"\u0000"}`, "alertMessage"},
		{`{"name":"n","interval":1,"intervalUnit":"hours","description":"` + strings.Repeat("d", 10001) + `"}`, "description"},
	} {
		h, err := DecodeHeartbeatCreate([]byte(tc.body))
		if h != nil || vigil.ErrorCode(err) != vigil.CodeInvalid || vigil.ErrorField(err) != tc.field {
			t.Errorf("%.60s: %+v, %v (field %q); want field %q", tc.body, h, err, vigil.ErrorField(err), tc.field)
		}
	}
	for body, want := range map[string]error{`{"name":`: ErrInvalidJSON, `["name"]`: ErrUnprocessable, `"x"`: ErrUnprocessable} {
		if _, err := DecodeHeartbeatCreate([]byte(body)); err != want {
			t.Errorf("%s: %v, want %v", body, err, want)
		}
	}
}

func TestDecodeHeartbeatUpdate(t *testing.T) {
	u, err := DecodeHeartbeatUpdate([]byte(`{"name":"renamed","description":"","interval":3,"intervalUnit":"days","enabled":false,
		"alertTags":[],"alertPriority":"P5"}`))
	if err != nil {
		t.Fatal(err)
	}
	if u.Name != nil || u.Description == nil || *u.Description != "" || *u.Interval != 3 || *u.IntervalUnit != "days" ||
		*u.Enabled || u.AlertTags == nil || len(*u.AlertTags) != 0 || *u.AlertPriority != "P5" || u.AlertMessage != nil {
		t.Errorf("update %+v", u)
	}
	for _, body := range []string{"", "  ", "{}", `{"interval":null}`} {
		if u, err := DecodeHeartbeatUpdate([]byte(body)); err != nil || u != (vigil.HeartbeatUpdate{}) {
			t.Errorf("%q: %+v, %v; want an empty update", body, u, err)
		}
	}
	for body, field := range map[string]string{`{"interval":0}`: "interval", `{"enabled":"no"}`: "enabled", `{"alertMessage":[]}`: "alertMessage"} {
		if _, err := DecodeHeartbeatUpdate([]byte(body)); vigil.ErrorField(err) != field {
			t.Errorf("%s: %v, want field %s", body, err, field)
		}
	}
}

// The heartbeat's priority maps to the severity an Opsgenie alert of that
// priority gets.
func TestHeartbeatPriorityMatchesAlerts(t *testing.T) {
	for _, p := range []string{"P1", "P2", "P3", "P4", "P5"} {
		want, _, err := Severity(p)
		got, ok := vigil.PrioritySeverity(p)
		if err != nil || !ok || got != want {
			t.Errorf("%s: heartbeat %s, alert %s", p, got, want)
		}
	}
}

func TestHeartbeatError(t *testing.T) {
	err := HeartbeatError(vigil.FieldError("interval_unit", "must be one of minutes, hours, days"))
	if vigil.ErrorField(err) != "intervalUnit" || vigil.ErrorMessage(err) != "intervalUnit must be one of minutes, hours, days" {
		t.Errorf("%v (field %q)", err, vigil.ErrorField(err))
	}
	other := vigil.Errorf(vigil.CodeConflict, "taken")
	if HeartbeatError(other) != other {
		t.Error("a non-validation error was changed")
	}
}

// FuzzDecodeHeartbeat checks that the heartbeat decoders never panic, that
// an accepted create is a valid heartbeat once it has a service, that
// encoding it in Opsgenie's words and decoding again gives it back, and
// that an accepted update applied to a valid heartbeat either validates
// or fails as bad input.
func FuzzDecodeHeartbeat(f *testing.F) {
	for _, s := range []string{
		`{"name":"n","interval":1,"intervalUnit":"minutes"}`,
		`{"name":" a ","description":"d","interval":"7","intervalUnit":"DAYS","enabled":true,"alertTags":"x,,y","alertPriority":"p1"}`,
		`{"name":"n","interval":366,"intervalUnit":"days","alertTags":["é","é "],"alertMessage":"<&>"}`,
		`{"interval":-1}`, `{"enabled":null,"alertTags":null}`, `[`, `null`, `{}`, `{"name":"\ud800"}`,
	} {
		f.Add([]byte(s))
	}
	base := vigil.Heartbeat{ServiceID: 1, Name: "base", Interval: 5, IntervalUnit: vigil.IntervalMinutes, AlertPriority: "P3", AlertTags: []string{}}
	f.Fuzz(func(t *testing.T, body []byte) {
		if u, err := DecodeHeartbeatUpdate(body); err == nil {
			h := base
			u.Apply(&h)
			if err := h.Validate(); err != nil && vigil.ErrorCode(err) != vigil.CodeInvalid {
				t.Fatalf("an update made a heartbeat fail with %v", err)
			}
		} else if vigil.ErrorCode(err) != vigil.CodeInvalid {
			t.Fatalf("update: error %v is not CodeInvalid", err)
		}

		h, err := DecodeHeartbeatCreate(body)
		if err != nil {
			if h != nil || vigil.ErrorCode(err) != vigil.CodeInvalid {
				t.Fatalf("create: %+v, %v", h, err)
			}
			return
		}
		h.ServiceID = 1
		if err := h.Validate(); err != nil {
			t.Fatalf("accepted an invalid heartbeat: %v", err)
		}
		if e := h.ExpiryEvent(); e.Validate() != nil {
			t.Fatalf("its expiry alert is invalid: %v", e.Validate())
		}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(HeartbeatCreate{Name: h.Name, Description: h.Description, Interval: h.Interval, IntervalUnit: h.IntervalUnit,
			Enabled: h.Enabled, AlertMessage: h.AlertMessage, AlertTags: h.AlertTags, AlertPriority: h.AlertPriority}); err != nil {
			t.Fatal(err)
		}
		h2, err := DecodeHeartbeatCreate(buf.Bytes())
		if err != nil {
			t.Fatalf("re-decode of %s: %v", buf.Bytes(), err)
		}
		h2.ServiceID = 1
		if diff := cmp.Diff(h, h2); diff != "" {
			t.Fatalf("decode→encode→decode changed the heartbeat (-first +second):\n%s", diff)
		}
	})
}
