package mapping

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/vigil-oss/vigil/internal/vigil"
)

const ruleSetYAML = `time_zone: Europe/Berlin
rules:
- name: payments-5xx
  when: service == "payments"
  set:
    sev: SEV1
    priority: P1
    labels:
      team: pay
- name: quiet dev
  when: labels.env == "dev"
  set:
    suppress: true
  stop: true
`

func TestRuleSetRoundTrip(t *testing.T) {
	doc, err := ParseRuleSet([]byte(ruleSetYAML))
	if err != nil {
		t.Fatal(err)
	}
	if doc.TimeZone != "Europe/Berlin" || len(doc.Rules) != 2 || doc.Rules[0].Set.Labels["team"] != "pay" || !doc.Rules[1].Stop || !doc.Rules[1].Set.Suppress {
		t.Fatalf("parsed %+v", doc)
	}
	out, err := FormatRuleSet(doc.TimeZone, doc.Rules)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseRuleSet(out)
	if err != nil {
		t.Fatalf("the written document does not read back: %v\n%s", err, out)
	}
	if !reflect.DeepEqual(back, doc) {
		t.Errorf("round trip changed the rules:\n%+v\n%+v", back, doc)
	}
	// JSON is YAML too.
	js, _ := json.Marshal(doc)
	if fromJSON, err := ParseRuleSet(js); err != nil || !reflect.DeepEqual(fromJSON, doc) {
		t.Errorf("JSON: %v %+v", err, fromJSON)
	}
	if empty, err := FormatRuleSet("", nil); err != nil || !strings.Contains(string(empty), "rules: []") {
		t.Errorf("no rules: %q %v", empty, err)
	}
}

func TestRuleSetRefused(t *testing.T) {
	for name, c := range map[string]struct{ doc, want string }{
		"unknown key":    {"rulez: []\n", "rulez"},
		"unknown in set": {"rules:\n- name: a\n  set: {sevv: SEV1}\n", "sevv"},
		"a list":         {"- name: a\n", "line 1"},
		"alias":          {"rules:\n- &a {name: a}\n- *a\n", "anchors"},
		"two documents":  {"rules: []\n---\nrules: []\n", "one YAML document"},
		"bad yaml":       {"rules: [\n", "rules"},
	} {
		_, err := ParseRuleSet([]byte(c.doc))
		if vigil.ErrorCode(err) != vigil.CodeInvalid || vigil.ErrorField(err) != "rules" || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want CodeInvalid on rules mentioning %q", name, err, c.want)
		}
	}
	if doc, err := ParseRuleSet([]byte("  \n# nothing\n")); err != nil || len(doc.Rules) != 0 {
		t.Errorf("empty document: %+v %v", doc, err)
	}
}

func TestRuleSetLine(t *testing.T) {
	for field, want := range map[string]int{
		"time_zone":                  1,
		"rules[0].when":              4,
		"rules[0].set.priority":      7,
		"rules[0].set.labels.team":   9,
		"rules[0].set.notify[0]":     6, // not in the document: the nearest part, set
		"rules[1].name":              10,
		"rules[1]":                   10,
		"rules[7].when":              0,
		"rules":                      0,
		"something else entirely[1]": 0,
	} {
		if got := RuleSetLine([]byte(ruleSetYAML), field); got != want {
			t.Errorf("RuleSetLine(%q) = %d, want %d", field, got, want)
		}
	}
	if got := RuleSetLine([]byte("rules: [\n"), "rules[0].when"); got != 0 {
		t.Errorf("broken document: line %d", got)
	}
}

// FuzzParseRuleSet: any text either reads or is refused as bad input on
// "rules", and what reads is written and read back the same.
func FuzzParseRuleSet(f *testing.F) {
	f.Add([]byte(ruleSetYAML))
	f.Add([]byte(`{"rules":[{"name":"a","set":{"sev":"SEV2"}}]}`))
	f.Add([]byte("rules:\n- &a {name: a}\n- *a\n"))
	f.Add([]byte("time_zone: UTC\nrules: ~\n"))
	f.Fuzz(func(t *testing.T, doc []byte) {
		got, err := ParseRuleSet(doc)
		_ = RuleSetLine(doc, "rules[0].set.labels.x")
		if err != nil {
			if vigil.ErrorCode(err) != vigil.CodeInvalid || vigil.ErrorField(err) != "rules" {
				t.Fatalf("error %v is not bad input on rules", err)
			}
			return
		}
		out, err := FormatRuleSet(got.TimeZone, got.Rules)
		if err != nil {
			t.Fatalf("a document that reads does not write: %v", err)
		}
		back, err := ParseRuleSet(out)
		if err != nil && len(out) <= MaxRuleSetDoc {
			t.Fatalf("written document does not read back: %v\n%s", err, out)
		}
		a, _ := json.Marshal(got)
		b, _ := json.Marshal(back)
		if err == nil && string(a) != string(b) {
			t.Fatalf("round trip changed the rules:\n%s\n%s", a, b)
		}
	})
}
