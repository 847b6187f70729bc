package mapping

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// services is the resolver of the tests: two known services.
func services(name string) (int64, bool) {
	id, ok := map[string]int64{"database": 7, "payments": 8}[name]
	return id, ok
}

func event() *vigil.Event {
	return &vigil.Event{ServiceID: 1, Action: vigil.ActionTrigger, DedupKey: "k1", Summary: "disk full on db1",
		Severity: vigil.SeverityError, Source: "prometheus",
		Labels:  map[string]string{"team": "db", "env": "prod"},
		Details: json.RawMessage(`{"host":{"name":"db1"},"code":503}`)}
}

func mustCompile(t *testing.T, rules ...vigil.MappingRule) *Rules {
	t.Helper()
	rs, err := Compile(rules)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return rs
}

func TestApply(t *testing.T) {
	tests := []struct {
		name    string
		rules   []vigil.MappingRule
		format  string
		want    func(e *vigil.Event) // changes to event() expected
		wantErr string               // field of the RuleError
	}{
		{name: "severity", rules: []vigil.MappingRule{{Name: "r", Set: vigil.MappingSet{Severity: "critical"}}},
			want: func(e *vigil.Event) { e.Severity = vigil.SeverityCritical }},
		{name: "severity expression, any case", rules: []vigil.MappingRule{{Name: "r",
			Set: vigil.MappingSet{Severity: `labels.env == "prod" ? "WARNING" : info`}}},
			want: func(e *vigil.Event) { e.Severity = vigil.SeverityWarning }},
		{name: "summary", rules: []vigil.MappingRule{{Name: "r", Set: vigil.MappingSet{Summary: `"[" + upper(labels.team) + "] " + summary`}}},
			want: func(e *vigil.Event) { e.Summary = "[DB] disk full on db1" }},
		{name: "labels, from details and format", format: "alertmanager", rules: []vigil.MappingRule{{Name: "r",
			Set: vigil.MappingSet{Labels: map[string]string{"host": "details.host.name", "code": "details.code", "via": "format", "env": `"staging"`}}}},
			want: func(e *vigil.Event) {
				e.Labels = map[string]string{"team": "db", "env": "staging", "host": "db1", "code": "503", "via": "alertmanager"}
			}},
		{name: "service", rules: []vigil.MappingRule{{Name: "r", Set: vigil.MappingSet{Service: "database"}}},
			want: func(e *vigil.Event) { e.ServiceID = 7 }},
		{name: "when false", rules: []vigil.MappingRule{{Name: "r", When: `labels.team == "web"`, Set: vigil.MappingSet{Severity: "info"}}}},
		{name: "when true", rules: []vigil.MappingRule{{Name: "r", When: `labels.team == "db" && source == "prometheus" && action == "trigger"`,
			Set: vigil.MappingSet{Severity: "info"}}},
			want: func(e *vigil.Event) { e.Severity = vigil.SeverityInfo }},
		{name: "missing label is empty", rules: []vigil.MappingRule{{Name: "r", When: `labels.nope == "" && !("nope" in labels)`,
			Set: vigil.MappingSet{Severity: "info"}}},
			want: func(e *vigil.Event) { e.Severity = vigil.SeverityInfo }},
		{name: "later rules see earlier changes", rules: []vigil.MappingRule{
			{Name: "a", Set: vigil.MappingSet{Severity: "critical"}},
			{Name: "b", When: `severity == "critical"`, Set: vigil.MappingSet{Labels: map[string]string{"page": `"yes"`}}}},
			want: func(e *vigil.Event) {
				e.Severity = vigil.SeverityCritical
				e.Labels = map[string]string{"team": "db", "env": "prod", "page": "yes"}
			}},
		{name: "one rule sees the event before its own changes", rules: []vigil.MappingRule{{Name: "a",
			Set: vigil.MappingSet{Severity: "critical", Labels: map[string]string{"was": "severity"}}}}},
		{name: "stop", rules: []vigil.MappingRule{
			{Name: "a", Set: vigil.MappingSet{Severity: "warning"}, Stop: true},
			{Name: "b", Set: vigil.MappingSet{Severity: "info"}}},
			want: func(e *vigil.Event) { e.Severity = vigil.SeverityWarning }},
		{name: "stop only when matched", rules: []vigil.MappingRule{
			{Name: "a", When: "false", Stop: true},
			{Name: "b", Set: vigil.MappingSet{Severity: "info"}}},
			want: func(e *vigil.Event) { e.Severity = vigil.SeverityInfo }},
		{name: "runtime error in when keeps the event", wantErr: "when", rules: []vigil.MappingRule{
			{Name: "a", Set: vigil.MappingSet{Severity: "critical"}},
			{Name: "b", When: `details.host.name.first == "x"`, Set: vigil.MappingSet{Severity: "info"}}}},
		{name: "unknown severity keeps the event", wantErr: "set.severity", rules: []vigil.MappingRule{
			{Name: "a", Set: vigil.MappingSet{Summary: `"changed"`}},
			{Name: "b", Set: vigil.MappingSet{Severity: `labels.team`}}}},
		{name: "nil label value keeps the event", wantErr: "set.labels.x", rules: []vigil.MappingRule{
			{Name: "a", Set: vigil.MappingSet{Labels: map[string]string{"x": "details.nope"}}}}},
		{name: "empty summary keeps the event", wantErr: "set.summary", rules: []vigil.MappingRule{
			{Name: "a", Set: vigil.MappingSet{Summary: `""`}}}},
		{name: "too many labels keeps the event", wantErr: "set", rules: func() []vigil.MappingRule {
			var rules []vigil.MappingRule
			for i := range 3 {
				l := map[string]string{}
				for j := range 30 {
					l[string(rune('a'+i))+strings.Repeat("x", j)] = `"v"`
				}
				rules = append(rules, vigil.MappingRule{Name: "many", Set: vigil.MappingSet{Labels: l}})
			}
			return rules
		}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs := mustCompile(t, tt.rules...)
			e := event()
			original := e.Labels
			err := rs.Apply(e, tt.format, services, nil)
			want := event()
			if tt.name == "one rule sees the event before its own changes" {
				want.Severity = vigil.SeverityCritical
				want.Labels = map[string]string{"team": "db", "env": "prod", "was": "error"}
			}
			if tt.want != nil {
				tt.want(want)
			}
			if tt.wantErr != "" {
				var re *RuleError
				if !errors.As(err, &re) || re.Field != tt.wantErr || re.Partial {
					t.Fatalf("err = %v, want a RuleError on %s", err, tt.wantErr)
				}
				want = event() // left as decoded
			} else if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			if d := cmp.Diff(want, e); d != "" {
				t.Errorf("event (-want +got):\n%s", d)
			}
			if d := cmp.Diff(event().Labels, original); d != "" {
				t.Errorf("the decoded labels map was changed in place:\n%s", d)
			}
		})
	}
}

// A service that does not exist keeps the event in its own and the rest
// of the mapping applies.
func TestApplyUnknownService(t *testing.T) {
	rs := mustCompile(t, vigil.MappingRule{Name: "move", Set: vigil.MappingSet{Service: "gone", Severity: "critical"}})
	e := event()
	err := rs.Apply(e, "native", services, nil)
	var re *RuleError
	if !errors.As(err, &re) || !re.Partial || re.Field != "set.service" || !strings.Contains(re.Error(), `"gone"`) {
		t.Fatalf("err = %v, want a partial RuleError on set.service", err)
	}
	if e.ServiceID != 1 || e.Severity != vigil.SeverityCritical {
		t.Errorf("event %+v: want service 1 and severity critical", e)
	}
}

func TestApplyTrace(t *testing.T) {
	rs := mustCompile(t,
		vigil.MappingRule{Name: "skip", When: `labels.team == "web"`, Set: vigil.MappingSet{Severity: "info"}},
		vigil.MappingRule{Name: "route", When: `labels.team == "db"`, Stop: true,
			Set: vigil.MappingSet{Service: "database", Severity: "critical", Labels: map[string]string{"team": `"dba"`, "routed": `"yes"`}}},
		vigil.MappingRule{Name: "never", Set: vigil.MappingSet{Severity: "info"}},
	)
	var tr Trace
	e := event()
	if err := rs.Apply(e, "native", services, &tr); err != nil {
		t.Fatal(err)
	}
	want := []Step{
		{Rule: 0, Name: "skip"},
		{Rule: 1, Name: "route", Matched: true, Stopped: true, Changes: []Change{
			{Field: "severity", From: "error", To: "critical"},
			{Field: "labels.routed", To: "yes"},
			{Field: "labels.team", From: "db", To: "dba"},
			{Field: "service", To: "database"},
		}},
	}
	if d := cmp.Diff(want, tr.Steps); d != "" {
		t.Errorf("trace (-want +got):\n%s", d)
	}
}

func TestCompileErrors(t *testing.T) {
	ok := vigil.MappingRule{Name: "ok", Set: vigil.MappingSet{Severity: "info"}}
	tests := []struct {
		name  string
		rules []vigil.MappingRule
		field string
		msg   string
	}{
		{"when syntax", []vigil.MappingRule{{Name: "a", When: `labels.env ==`, Set: ok.Set}}, "rules[0].when", ""},
		{"when not boolean", []vigil.MappingRule{{Name: "a", When: `summary`, Set: ok.Set}}, "rules[0].when", "expected bool"},
		{"unknown variable", []vigil.MappingRule{ok, {Name: "b", When: `lables.env == "x"`, Set: ok.Set}}, "rules[1].when", "unknown name"},
		{"severity not a string", []vigil.MappingRule{ok, {Name: "b", Set: vigil.MappingSet{Severity: "1 + 2"}}}, "rules[1].set.severity", ""},
		{"summary syntax", []vigil.MappingRule{{Name: "a", Set: vigil.MappingSet{Summary: `"a" +`}}}, "rules[0].set.summary", ""},
		{"bare word gets a hint", []vigil.MappingRule{{Name: "a", Set: vigil.MappingSet{Labels: map[string]string{"team": "payments"}}}},
			"rules[0].set.labels.team", `needs quotes: '"payments"'`},
		{"bad label name", []vigil.MappingRule{{Name: "a", Set: vigil.MappingSet{Labels: map[string]string{"two words": `"x"`}}}}, "rules[0].set.labels", ""},
		{"empty label expression", []vigil.MappingRule{{Name: "a", Set: vigil.MappingSet{Labels: map[string]string{"x": " "}}}}, "rules[0].set.labels.x", ""},
		{"no name", []vigil.MappingRule{{Set: ok.Set}}, "rules[0].name", ""},
		{"sets nothing", []vigil.MappingRule{{Name: "a", When: "true"}}, "rules[0].set", ""},
		{"expression too long", []vigil.MappingRule{{Name: "a", When: strings.Repeat(" ", vigil.MaxRuleExprLen) + "true", Set: ok.Set}}, "rules[0].when", "at most"},
		{"too many rules", make([]vigil.MappingRule, vigil.MaxMappingRules+1), "rules", "at most"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Compile(tt.rules)
			if vigil.ErrorCode(err) != vigil.CodeInvalid || vigil.ErrorField(err) != tt.field || !strings.Contains(vigil.ErrorMessage(err), tt.msg) {
				t.Fatalf("err = %v (field %q), want field %q with %q", err, vigil.ErrorField(err), tt.field, tt.msg)
			}
			if strings.Contains(vigil.ErrorMessage(err), "\n") {
				t.Errorf("message spans lines: %q", vigil.ErrorMessage(err))
			}
		})
	}
}

func TestCheckServices(t *testing.T) {
	exists := func(name string) (bool, error) { _, ok := services(name); return ok, nil }
	rules := []vigil.MappingRule{
		{Name: "a", Set: vigil.MappingSet{Service: "database"}},
		{Name: "b", Set: vigil.MappingSet{Service: "nowhere"}},
	}
	if err := Check(rules, exists); vigil.ErrorField(err) != "rules[1].set.service" {
		t.Fatalf("err = %v, want rules[1].set.service", err)
	}
	if err := Check(rules[:1], exists); err != nil {
		t.Fatalf("Check: %v", err)
	}
	boom := errors.New("database down")
	if err := Check(rules[:1], func(string) (bool, error) { return false, boom }); !errors.Is(err, boom) {
		t.Fatalf("err = %v, want the lookup's", err)
	}
}

// Details are decoded only for rules that read them.
func TestNeedsDetails(t *testing.T) {
	if mustCompile(t, vigil.MappingRule{Name: "a", When: `summary != ""`, Set: vigil.MappingSet{Severity: "info"}}).needsDetails {
		t.Error("needsDetails set for rules that do not read details")
	}
	if !mustCompile(t, vigil.MappingRule{Name: "a", Set: vigil.MappingSet{Labels: map[string]string{"x": `details?.host?.name ?? "?"`}}}).needsDetails {
		t.Error("needsDetails not set")
	}
}

func BenchmarkApply(b *testing.B) {
	rs, err := Compile([]vigil.MappingRule{
		{Name: "db", When: `labels.team == "db"`, Set: vigil.MappingSet{Severity: "critical", Labels: map[string]string{"routed": `"yes"`}}},
		{Name: "web", When: `labels.team == "web"`, Set: vigil.MappingSet{Service: "payments"}},
	})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := rs.Apply(event(), "native", services, nil); err != nil {
			b.Fatal(err)
		}
	}
}
