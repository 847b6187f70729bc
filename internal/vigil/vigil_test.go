package vigil

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func validTrigger() Event {
	return Event{Action: ActionTrigger, Summary: "disk full", DedupKey: "k", Severity: SeverityError}
}

func TestEventValidate(t *testing.T) {
	manyLabels := map[string]string{}
	for i := 0; i <= MaxLabels; i++ {
		manyLabels[fmt.Sprintf("l%d", i)] = "v"
	}
	cases := []struct {
		name      string
		mutate    func(*Event)
		wantField string // "" means valid
	}{
		{"valid", func(*Event) {}, ""},
		{"summary at limit", func(e *Event) { e.Summary = strings.Repeat("a", MaxSummaryLen) }, ""},
		{"summary over limit", func(e *Event) { e.Summary = strings.Repeat("a", MaxSummaryLen+1) }, "summary"},
		{"summary missing on trigger", func(e *Event) { e.Summary = "  " }, "summary"},
		{"resolve needs no summary", func(e *Event) { e.Action = ActionResolve; e.Summary = "" }, ""},
		{"resolve needs a key", func(e *Event) { e.Action = ActionResolve; e.Summary = ""; e.DedupKey = "" }, "dedup_key"},
		{"dedup key over limit", func(e *Event) { e.DedupKey = strings.Repeat("k", MaxDedupKeyLen+1) }, "dedup_key"},
		{"bad action", func(e *Event) { e.Action = "explode" }, "action"},
		{"bad severity", func(e *Event) { e.Severity = "sev0" }, "severity"},
		{"invalid utf-8", func(e *Event) { e.Summary = "bad \xff" }, "summary"},
		{"NUL", func(e *Event) { e.Source = "a\x00b" }, "source"},
		{"too many labels", func(e *Event) { e.Labels = manyLabels }, "labels"},
		{"label value over limit", func(e *Event) { e.Labels = map[string]string{"big": strings.Repeat("v", MaxLabelValueLen+1)} }, "labels.big"},
		{"empty label name", func(e *Event) { e.Labels = map[string]string{"": "v"} }, "labels"},
		{"details not an object", func(e *Event) { e.Details = json.RawMessage(`[1,2]`) }, "details"},
		{"details object", func(e *Event) { e.Details = json.RawMessage(` {"a":1}`) }, ""},
		{"javascript link", func(e *Event) { e.Links = []Link{{Href: "javascript:alert(1)"}} }, "links.href"},
		{"relative link", func(e *Event) { e.Links = []Link{{Href: "/x"}} }, "links.href"},
		{"https link", func(e *Event) { e.Links = []Link{{Href: "https://grafana.example.com/d/1", Text: "dash"}} }, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := validTrigger()
			c.mutate(&e)
			err := e.Validate()
			if c.wantField == "" {
				if err != nil {
					t.Fatalf("want valid, got %v", err)
				}
				return
			}
			if ErrorCode(err) != CodeInvalid || ErrorField(err) != c.wantField {
				t.Fatalf("want invalid %q, got code %q field %q (%v)", c.wantField, ErrorCode(err), ErrorField(err), err)
			}
		})
	}
}

func TestEventNormalize(t *testing.T) {
	e := Event{Severity: "CRITICAL"}
	e.Normalize()
	if e.Action != ActionTrigger || e.Severity != SeverityCritical {
		t.Fatalf("got action %q severity %q", e.Action, e.Severity)
	}
	e = Event{}
	e.Normalize()
	if e.Severity != SeverityError {
		t.Fatalf("default severity %q", e.Severity)
	}
}

func TestServiceDefaultsAndValidation(t *testing.T) {
	s := Service{Name: "api"}
	s.Normalize()
	if s.Grouping.Mode != GroupByTime || time.Duration(s.Grouping.Window) != DefaultGroupWindow {
		t.Fatalf("defaults: %+v", s.Grouping)
	}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	bad := []struct {
		s     Service
		field string
	}{
		{Service{}, "name"},
		{Service{Name: strings.Repeat("n", MaxNameLen+1), Grouping: GroupingRule{Mode: GroupNone}}, "name"},
		{Service{Name: "x", Grouping: GroupingRule{Mode: "weird"}}, "grouping.mode"},
		{Service{Name: "x", Grouping: GroupingRule{Mode: GroupByLabels}}, "grouping.labels"},
		{Service{Name: "x", Grouping: GroupingRule{Mode: GroupByTime, Window: Duration(-time.Second)}}, "grouping.window"},
	}
	for _, b := range bad {
		if err := b.s.Validate(); ErrorField(err) != b.field {
			t.Errorf("%+v: want field %q, got %v", b.s, b.field, err)
		}
	}
}

func TestDurationJSON(t *testing.T) {
	var d Duration
	for in, want := range map[string]time.Duration{`"5m"`: 5 * time.Minute, `90`: 90 * time.Second, `"1h30m"`: 90 * time.Minute} {
		if err := json.Unmarshal([]byte(in), &d); err != nil || time.Duration(d) != want {
			t.Errorf("%s: got %v, %v", in, time.Duration(d), err)
		}
	}
	for _, in := range []string{`"soon"`, `true`, `{}`} {
		if err := json.Unmarshal([]byte(in), &d); err == nil {
			t.Errorf("%s: want error", in)
		}
	}
	b, _ := json.Marshal(Duration(5 * time.Minute))
	if string(b) != `"5m0s"` {
		t.Errorf("marshal: %s", b)
	}
}

func TestErrorHelpers(t *testing.T) {
	err := fmt.Errorf("wrapped: %w", &Error{Code: CodeInternal, Message: "db exploded with password=hunter2"})
	if ErrorCode(err) != CodeInternal || ErrorMessage(err) != "internal error" {
		t.Fatalf("internal errors must hide their message: %q", ErrorMessage(err))
	}
	if ErrorCode(errors.New("plain")) != CodeInternal || ErrorCode(nil) != "" {
		t.Fatal("plain errors are internal; nil has no code")
	}
	fe := FieldError("summary", "too long")
	if ErrorCode(fe) != CodeInvalid || ErrorField(fe) != "summary" || ErrorMessage(fe) != "too long" {
		t.Fatalf("field error: %v", fe)
	}
}

func TestSecrets(t *testing.T) {
	a, b := NewSecret(TokenPrefix), NewSecret(TokenPrefix)
	if a == b || !strings.HasPrefix(a, TokenPrefix) || len(a) < 30 {
		t.Fatalf("secrets %q %q", a, b)
	}
	if HashSecret(a) == HashSecret(b) || HashSecret(a) != HashSecret(a) || strings.Contains(HashSecret(a), a) {
		t.Fatal("hash must be stable, distinct and not contain the secret")
	}
	if p := SecretDisplayPrefix(a); len(p) != 10 || !strings.HasPrefix(a, p) {
		t.Fatalf("display prefix %q", p)
	}
}

func TestManualClock(t *testing.T) {
	start := time.Date(2026, 3, 29, 0, 59, 0, 0, time.UTC)
	c := NewManualClock(start)
	c.Advance(2 * time.Minute)
	if got := c.Now(); !got.Equal(start.Add(2 * time.Minute)) {
		t.Fatalf("got %v", got)
	}
}

func TestDurationString(t *testing.T) {
	for d, want := range map[time.Duration]string{
		2 * time.Minute: "2m", 90 * time.Minute: "1h30m", 3 * time.Hour: "3h", 45 * time.Second: "45s", 0: "0s", 61 * time.Second: "1m1s",
	} {
		if got := Duration(d).String(); got != want {
			t.Errorf("Duration(%v).String() = %q, want %q", d, got, want)
		}
	}
}
