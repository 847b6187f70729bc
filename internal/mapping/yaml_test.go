package mapping

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigil-oss/vigil/internal/vigil"
)

const exampleRules = `# route database alerts
- name: database team
  when: labels.team == "db"
  set:
    service: database
    severity: critical
    labels:
      routed: '"yes"'
  stop: true
- name: prefix
  set:
    summary: '"[" + format + "] " + summary'
`

func TestParseRules(t *testing.T) {
	want := []vigil.MappingRule{
		{Name: "database team", When: `labels.team == "db"`, Stop: true,
			Set: vigil.MappingSet{Service: "database", Severity: "critical", Labels: map[string]string{"routed": `"yes"`}}},
		{Name: "prefix", Set: vigil.MappingSet{Summary: `"[" + format + "] " + summary`}},
	}
	got, err := ParseRules([]byte(exampleRules))
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("ParseRules (-want +got):\n%s", d)
	}
	// What FormatRules writes reads back the same; so does the API's JSON.
	out, err := FormatRules(got)
	if err != nil {
		t.Fatal(err)
	}
	again, err := ParseRules(out)
	if err != nil || !cmp.Equal(want, again) {
		t.Fatalf("round trip: %v\n%s", err, out)
	}
	wrapped, err := ParseRules([]byte(`{"rules":[{"name":"prefix","set":{"summary":"\"[\" + format + \"] \" + summary"}}]}`))
	if err != nil || !cmp.Equal(want[1:], wrapped) {
		t.Fatalf("JSON with rules key: %v %+v", err, wrapped)
	}
}

func TestParseRulesRefuses(t *testing.T) {
	tests := []struct{ name, doc, msg string }{
		{"unknown field", "- name: a\n  sett: {}\n", `[2:3] unknown field "sett"`},
		{"unknown top key", "rules: []\nextra: 1\n", "unknown field"},
		{"alias", "- &r {name: a, set: {severity: info}}\n- *r\n", "aliases"},
		{"merge key", "base: &b {severity: info}\nrules:\n  - name: a\n    set: {<<: *b}\n", "aliases"},
		{"scalar", "hello", "expected a list"},
		{"syntax", "- name: [\n", "not found"},
		{"two documents", "- name: a\n---\n- name: b\n", "one YAML document"},
		{"wrong type", "- name: a\n  stop: maybe\n", "cannot unmarshal"},
		{"too many", strings.Repeat("- {name: a}\n", vigil.MaxMappingRules+1), "at most"},
		{"too big", "# " + strings.Repeat("x", vigil.MaxMappingRuleDoc), "at most"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseRules([]byte(tt.doc))
			if vigil.ErrorCode(err) != vigil.CodeInvalid || vigil.ErrorField(err) != "rules" || !strings.Contains(vigil.ErrorMessage(err), tt.msg) {
				t.Fatalf("err = %v, want an error on rules with %q", err, tt.msg)
			}
		})
	}
	for _, empty := range []string{"", "  \n", "# nothing yet\n", "[]", "rules: []", "null"} {
		if rules, err := ParseRules([]byte(empty)); err != nil || rules == nil || len(rules) != 0 {
			t.Errorf("ParseRules(%q) = %v, %v; want no rules", empty, rules, err)
		}
	}
}

// FuzzParseRules: the reader never panics, refuses only with CodeInvalid on
// "rules", and rules it accepts are written and read back unchanged.
func FuzzParseRules(f *testing.F) {
	for _, s := range []string{exampleRules, "[]", "rules:\n  - name: a\n    set: {severity: info}\n", "- &a {name: x}\n- *a\n",
		`{"rules":[{"name":"x","when":"true","set":{"labels":{"a":"\"b\""}},"stop":true}]}`, "- name: [\n", "- name: 'a\x00'\n",
		"rules: ! ", "- ! "} { // an empty tag made the YAML library panic
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		rules, err := ParseRules(doc)
		if err != nil {
			if vigil.ErrorCode(err) != vigil.CodeInvalid || vigil.ErrorField(err) != "rules" {
				t.Fatalf("error %v (code %s, field %q)", err, vigil.ErrorCode(err), vigil.ErrorField(err))
			}
			return
		}
		if rules == nil {
			t.Fatal("nil rules without error")
		}
		if vigil.ValidateMappingRules(rules) != nil {
			return // well-formed YAML, rules Compile would refuse
		}
		out, err := FormatRules(rules)
		if err != nil {
			t.Fatalf("FormatRules: %v", err)
		}
		again, err := ParseRules(out)
		if err != nil {
			t.Fatalf("re-read of\n%s: %v", out, err)
		}
		if d := cmp.Diff(rules, again, cmpEmptyMaps); d != "" {
			t.Fatalf("write and read back changed the rules (-first +second):\n%s\n%s", d, out)
		}
	})
}

// cmpEmptyMaps treats a nil and an empty label map alike.
var cmpEmptyMaps = cmp.FilterValues(func(a, b map[string]string) bool { return len(a) == 0 && len(b) == 0 },
	cmp.Comparer(func(a, b map[string]string) bool { return true }))

// Awkward text survives FormatRules and ParseRules.
func TestFormatRulesRoundTrip(t *testing.T) {
	for _, s := range []string{`a: b`, `# not a comment`, `'single' "double"`, "two\nlines", "tab\there", ` leading`, `trailing `,
		`back\slash`, `ünïcødé ✓`, `- dash`, `@at`, `*star`, `&amp`, `!bang`, `%pct`, `{braces}`, `[brackets]`, `yes`, `null`, `1.5`, `~`, "", `'`} {
		rules := []vigil.MappingRule{{Name: "n" + s, When: s, Set: vigil.MappingSet{Summary: s, Labels: map[string]string{"l": s}}}}
		if s == "" {
			rules[0].Set.Labels = nil
			rules[0].Set.Severity = "info"
		}
		out, err := FormatRules(rules)
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		back, err := ParseRules(out)
		if err != nil || !cmp.Equal(rules, back, cmpEmptyMaps) {
			t.Errorf("%q: read back %+v, %v from\n%s", s, back, err, out)
		}
	}
}
