package mapping

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// The classification rule set as a document: what `vigil rules get`
// prints and `vigil rules set` reads, and what the /rules page edits.
// It lives here, next to the mapping rules' document, so the CLI and the
// UI read it with one parser.

// RuleSetDoc is a classification rule set document (YAML or JSON).
type RuleSetDoc struct {
	TimeZone string                     `json:"time_zone,omitempty" yaml:"time_zone,omitempty"`
	Rules    []vigil.ClassificationRule `json:"rules" yaml:"rules"`
}

// MaxRuleSetDoc bounds a rule set document.
const MaxRuleSetDoc = 4 << 20

// ParseRuleSet reads a rule set document. An empty document is no rules
// and no zone. Unknown fields, several documents, anchors and aliases are
// refused. Errors are CodeInvalid on the field "rules" and say the line.
// It checks the YAML only; saving checks the rules.
func ParseRuleSet(doc []byte) (RuleSetDoc, error) {
	out := RuleSetDoc{Rules: []vigil.ClassificationRule{}}
	if len(doc) > MaxRuleSetDoc {
		return out, vigil.FieldError("rules", "the document must be at most %d bytes", MaxRuleSetDoc)
	}
	if len(bytes.TrimSpace(doc)) == 0 {
		return out, nil
	}
	body, err := oneBody(doc)
	if err != nil || body == nil {
		return out, err
	}
	switch body.(type) {
	case *ast.NullNode:
		return out, nil
	case *ast.MappingNode, *ast.MappingValueNode:
	default:
		return out, vigil.FieldError("rules", "line %d: expected time_zone and rules", body.GetToken().Position.Line)
	}
	if err := nodeToValue(body, &out); err != nil {
		return out, err
	}
	if out.Rules == nil {
		out.Rules = []vigil.ClassificationRule{}
	}
	if len(out.Rules) > vigil.MaxClassificationRules {
		return out, vigil.FieldError("rules", "at most %d rules", vigil.MaxClassificationRules)
	}
	return out, nil
}

// oneBody parses doc and returns the body of its one document (nil when
// there is none), refusing several documents, anchors and aliases, which
// let a small text expand into a huge one.
func oneBody(doc []byte) (ast.Node, error) {
	f, err := parser.ParseBytes(doc, 0)
	if err != nil {
		return nil, yamlError(err)
	}
	var body ast.Node
	for _, d := range f.Docs {
		if d == nil || d.Body == nil {
			continue
		}
		if body != nil {
			return nil, vigil.FieldError("rules", "one YAML document is expected, not several")
		}
		body = d.Body
	}
	if body == nil {
		return nil, nil
	}
	var alias aliasFinder
	ast.Walk(&alias, body)
	if alias.found != nil {
		return nil, vigil.FieldError("rules", "line %d: anchors and aliases are not supported", alias.found.GetToken().Position.Line)
	}
	return body, nil
}

// FormatRuleSet writes a rule set as the document ParseRuleSet reads.
func FormatRuleSet(zone string, rules []vigil.ClassificationRule) ([]byte, error) {
	if rules == nil {
		rules = []vigil.ClassificationRule{}
	}
	return formatReadable(RuleSetDoc{TimeZone: zone, Rules: rules}, ParseRuleSet)
}

// ruleFieldPath reads a field name such as "rules[2].set.labels.team".
var ruleFieldPath = regexp.MustCompile(`^rules\[(\d+)\]((?:\.[A-Za-z_]+)*)`)

// RuleSetLine finds the line of doc that holds field, a field name the
// rule checks give ("rules[2].when", "rules[0].set.priority", "time_zone"),
// or the line of the nearest enclosing part of it; 0 when doc does not
// parse or holds none of it.
func RuleSetLine(doc []byte, field string) int {
	body, err := oneBody(doc)
	if err != nil || body == nil {
		return 0
	}
	var steps []string
	switch {
	case field == "time_zone":
		steps = []string{"$.time_zone"}
	default:
		m := ruleFieldPath.FindStringSubmatch(field)
		if m == nil {
			return 0
		}
		base := fmt.Sprintf("$.rules[%s]", m[1])
		steps = []string{base}
		for _, p := range strings.Split(strings.TrimPrefix(m[2], "."), ".") {
			if p == "" {
				break
			}
			base += "." + p
			steps = append(steps, base)
		}
	}
	line := 0
	for _, s := range steps {
		p, err := yaml.PathString(s)
		if err != nil {
			break
		}
		n, err := p.FilterNode(body)
		if err != nil || n == nil {
			break
		}
		line = n.GetToken().Position.Line
	}
	return line
}

// nodeToValue decodes n into v. The YAML library panics on a few odd
// inputs (an empty tag where a list is expected: "rules: ! "); that is bad
// input, not a crash.
func nodeToValue(n ast.Node, v any) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = vigil.FieldError("rules", "line %d: this YAML does not read", n.GetToken().Position.Line)
		}
	}()
	if err := yaml.NodeToValue(n, v, yaml.Strict()); err != nil {
		return yamlError(err)
	}
	return nil
}
