package classify

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

func mustCompile(t testing.TB, rules []vigil.ClassificationRule) *Rules {
	t.Helper()
	rs, err := Compile(rules, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

var monday10 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

// TestRuleOrdering: every applying rule runs in order, later ones
// overriding earlier settings; stop ends the list; disabled rules never
// run; effects record who set what.
func TestRuleOrdering(t *testing.T) {
	no := false
	rules := []vigil.ClassificationRule{
		{Name: "default", Set: vigil.ClassificationSet{Sev: "SEV4", Priority: "P4", Type: "other"}},
		{Name: "payments-5xx", When: `labels.service == "payments" && labels.code startsWith "5"`,
			Set: vigil.ClassificationSet{Sev: "SEV1", Priority: "P1", Type: "outage", Notify: []string{"customer-support", "executives"}}},
		{Name: "off-hours-low", When: `!business_hours && severity != "critical"`, Set: vigil.ClassificationSet{Urgency: "low"}},
		{Name: "auth-failures", When: `summary contains "brute force"`, Set: vigil.ClassificationSet{Type: "security", Team: "security", Notify: []string{"security"}}, Stop: true},
		{Name: "after-stop", Set: vigil.ClassificationSet{Sev: "SEV3"}},
		{Name: "disabled", Set: vigil.ClassificationSet{Suppress: true}, Disabled: true},
		{Name: "test-env", When: `labels.env == "test"`, Set: vigil.ClassificationSet{Suppress: true, Labels: map[string]string{"noise": "yes"}, Private: &no}},
	}
	rs := mustCompile(t, rules)
	tests := []struct {
		name    string
		alert   Alert
		want    string // the decision's fields, compactly
		effects []string
	}{
		{"nothing special: the default, then after-stop", Alert{Summary: "disk", Severity: "warning", At: monday10},
			"sev=SEV3 priority=P4 type=other urgency= suppress=false private=false notify=[]",
			[]string{"sev SEV4 set by rule 'default'", "priority P4 set by rule 'default'", "type other set by rule 'default'", "sev SEV3 set by rule 'after-stop'"}},
		{"payments 503 at night: later rules override", Alert{Summary: "5xx", Severity: "error",
			Labels: map[string]string{"service": "payments", "code": "503"}, At: monday10.Add(14 * time.Hour)},
			"sev=SEV3 priority=P1 type=outage urgency=low suppress=false private=false notify=[customer-support executives]", nil},
		{"security: stop, P1 and private by default", Alert{Summary: "brute force on sshd", Severity: "warning", At: monday10},
			"sev=SEV4 priority=P4 type=security urgency= suppress=false private=true notify=[security]", nil},
		{"test env suppressed, not private", Alert{Summary: "x", Severity: "critical", Labels: map[string]string{"env": "test"}, At: monday10},
			"sev=SEV3 priority=P4 type=other urgency= suppress=true private=false notify=[]", nil},
	}
	for _, tt := range tests {
		d := rs.Classify(tt.alert)
		got := fmt.Sprintf("sev=%s priority=%s type=%s urgency=%s suppress=%v private=%v notify=%v",
			d.Sev, d.Priority, d.Type, d.Urgency, d.Suppress, d.Private, d.Notify)
		if got != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, got, tt.want)
		}
		if len(d.Failed) != 0 {
			t.Errorf("%s: failed rules %v", tt.name, d.Failed)
		}
		if tt.effects != nil {
			var effects []string
			for _, e := range d.Effects {
				effects = append(effects, e.String())
			}
			if strings.Join(effects, "|") != strings.Join(tt.effects, "|") {
				t.Errorf("%s: effects\n got %v\nwant %v", tt.name, effects, tt.effects)
			}
		}
	}
}

// A security incident whose priority a rule set keeps it; no rules decide
// nothing.
func TestSecurityDefaults(t *testing.T) {
	rs := mustCompile(t, []vigil.ClassificationRule{{Name: "sec", Set: vigil.ClassificationSet{Type: "security", Priority: "P2"}}})
	if d := rs.Classify(Alert{At: monday10}); d.Priority != "P2" || !d.Private {
		t.Errorf("decision %+v", d)
	}
	var none *Rules
	if d := none.Classify(Alert{At: monday10}); d.Sev != "" || d.Suppress || len(d.Effects) != 0 {
		t.Errorf("no rules decided %+v", d)
	}
}

// A rule that fails on one alert is skipped and reported; the others
// still run.
func TestFailingRuleIsSkipped(t *testing.T) {
	rs := mustCompile(t, []vigil.ClassificationRule{
		{Name: "divides", When: `int(labels.n) / int(labels.d) > 1`, Set: vigil.ClassificationSet{Sev: "SEV1"}},
		{Name: "details", When: `details.x.y == 1`, Set: vigil.ClassificationSet{Sev: "SEV2"}},
		{Name: "after", Set: vigil.ClassificationSet{Priority: "P3"}},
	})
	d := rs.Classify(Alert{Labels: map[string]string{"n": "x"}, At: monday10})
	if d.Priority != "P3" || d.Sev != "" || len(d.Failed) != 2 || d.Failed[0].Rule != "divides" || d.Failed[1].Index != 1 {
		t.Errorf("decision %+v", d)
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		rules []vigil.ClassificationRule
		field string
		msg   string
	}{
		{[]vigil.ClassificationRule{{Name: "a", When: `labels.x ==`}}, "rules[0].when", "(1:"},
		{[]vigil.ClassificationRule{{Name: "a"}, {Name: "b", When: `summary + 1`}}, "rules[1].when", ""},
		{[]vigil.ClassificationRule{{Name: "a", When: `nosuchname == "x"`}}, "rules[0].when", "unknown name nosuchname"},
		{[]vigil.ClassificationRule{{Name: "a", When: `"x"`}}, "rules[0].when", ""},
		{[]vigil.ClassificationRule{{Name: "a", Set: vigil.ClassificationSet{Sev: "SEV5"}}}, "rules[0].set.sev", "SEV1"},
		{[]vigil.ClassificationRule{{Name: "a", Set: vigil.ClassificationSet{Priority: "high"}}}, "rules[0].set.priority", "P1"},
		{[]vigil.ClassificationRule{{Name: "a", Set: vigil.ClassificationSet{Type: "incident"}}}, "rules[0].set.type", "security"},
		{[]vigil.ClassificationRule{{Name: "a", Set: vigil.ClassificationSet{Urgency: "now"}}}, "rules[0].set.urgency", "high"},
		{[]vigil.ClassificationRule{{Name: "a"}, {Name: " a "}}, "rules[1].name", "earlier rule"},
		{[]vigil.ClassificationRule{{Name: ""}}, "rules[0].name", "required"},
		{[]vigil.ClassificationRule{{Name: "a", Set: vigil.ClassificationSet{Notify: []string{"x", " "}}}}, "rules[0].set.notify[1]", ""},
	}
	for _, tt := range tests {
		_, err := Compile(tt.rules, nil)
		if vigil.ErrorCode(err) != vigil.CodeInvalid || vigil.ErrorField(err) != tt.field || !strings.Contains(vigil.ErrorMessage(err), tt.msg) {
			t.Errorf("%+v: error %v, want on %s containing %q", tt.rules, err, tt.field, tt.msg)
		}
	}
}

// The time facts follow the zone the rules are compiled with.
func TestTimeFacts(t *testing.T) {
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	rs, err := Compile([]vigil.ClassificationRule{{Name: "bh", When: `business_hours && weekday == "Tuesday" && hour == 1 + 8`,
		Set: vigil.ClassificationSet{Urgency: "high"}}}, tokyo)
	if err != nil {
		t.Fatal(err)
	}
	// Monday 2026-11-23 24:00 UTC is Tuesday 09:00 in Tokyo.
	if d := rs.Classify(Alert{At: time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)}); d.Urgency != "high" {
		t.Errorf("Tuesday 09:00 Tokyo: %+v", d)
	}
	if d := rs.Classify(Alert{At: time.Date(2026, 11, 23, 23, 59, 0, 0, time.UTC)}); d.Urgency != "" {
		t.Errorf("Tuesday 08:59 Tokyo: %+v", d)
	}
}

// BenchmarkClassify evaluates 200 rules, one in forty matching, against
// one alert (the budget is 100 µs), and 1 rule as the baseline of
// the same run.
func BenchmarkClassify(b *testing.B) {
	for _, n := range []int{1, 200} {
		b.Run(fmt.Sprintf("rules=%d", n), func(b *testing.B) {
			var rules []vigil.ClassificationRule
			for i := range n {
				r := vigil.ClassificationRule{Name: fmt.Sprintf("rule-%d", i),
					When: fmt.Sprintf(`labels.team == "team-%d" && (severity == "critical" || summary contains "error %d")`, (i+7)%40, i),
					Set:  vigil.ClassificationSet{Sev: vigil.SevLevels[i%4], Priority: vigil.Priorities[i%5]}}
				if i%10 == 0 {
					r.Set.Labels = map[string]string{"routed": "yes"}
				}
				rules = append(rules, r)
			}
			rs := mustCompile(b, rules)
			a := Alert{Summary: "error 7 in checkout", Severity: "critical", Source: "prometheus", Service: "checkout",
				Labels: map[string]string{"team": "team-7", "env": "prod", "instance": "web-1"}, At: monday10}
			b.ReportAllocs()
			for b.Loop() {
				if d := rs.Classify(a); d.Sev == "" {
					b.Fatal("no rule applied")
				}
			}
		})
	}
}
