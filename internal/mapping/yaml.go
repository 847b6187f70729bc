package mapping

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// ParseRules reads a rules document: a YAML (or JSON) list of rules, or a
// mapping whose only key is "rules" holding that list (what the API
// answers). An empty document is no rules. Unknown fields, anchors and
// aliases, and documents over vigil.MaxMappingRuleDoc are refused. The
// error is CodeInvalid on the field "rules" with the line it found.
//
// It checks the YAML only; Compile checks the rules.
func ParseRules(doc []byte) ([]vigil.MappingRule, error) {
	if len(doc) > vigil.MaxMappingRuleDoc {
		return nil, vigil.FieldError("rules", "the document must be at most %d bytes", vigil.MaxMappingRuleDoc)
	}
	if len(bytes.TrimSpace(doc)) == 0 {
		return []vigil.MappingRule{}, nil
	}
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
		return []vigil.MappingRule{}, nil
	}
	// Aliases let a small document expand into a huge one; rules have no
	// use for them.
	var alias aliasFinder
	ast.Walk(&alias, body)
	if alias.found != nil {
		return nil, vigil.FieldError("rules", "line %d: anchors and aliases are not supported", alias.found.GetToken().Position.Line)
	}
	switch n := body.(type) {
	case *ast.NullNode:
		return []vigil.MappingRule{}, nil
	case *ast.SequenceNode:
		if len(n.Values) > vigil.MaxMappingRules {
			return nil, vigil.FieldError("rules", "at most %d rules", vigil.MaxMappingRules)
		}
		var rules []vigil.MappingRule
		if err := nodeToValue(n, &rules); err != nil {
			return nil, err
		}
		return nonNil(rules), nil
	case *ast.MappingNode, *ast.MappingValueNode:
		var wrapped struct {
			Rules []vigil.MappingRule `json:"rules"`
		}
		if err := nodeToValue(n, &wrapped); err != nil {
			return nil, err
		}
		return nonNil(wrapped.Rules), nil
	}
	return nil, vigil.FieldError("rules", "line %d: expected a list of rules", body.GetToken().Position.Line)
}

func nonNil(rules []vigil.MappingRule) []vigil.MappingRule {
	if rules == nil {
		return []vigil.MappingRule{}
	}
	return rules
}

type aliasFinder struct{ found ast.Node }

func (a *aliasFinder) Visit(n ast.Node) ast.Visitor {
	if a.found != nil {
		return nil
	}
	switch n.(type) {
	case *ast.AliasNode, *ast.AnchorNode:
		a.found = n
		return nil
	}
	return a
}

// yamlError is a CodeInvalid error on "rules" with the position and
// message of a YAML error, without the source snippet.
func yamlError(err error) error {
	var ye yaml.Error
	msg := err.Error()
	if errors.As(err, &ye) {
		msg = ye.FormatError(false, false)
	}
	msg, _, _ = strings.Cut(msg, "\n")
	return vigil.FieldError("rules", "%s", strings.TrimSpace(msg))
}

// FormatRules writes rules as the YAML list ParseRules reads; no rules
// is an empty document.
func FormatRules(rules []vigil.MappingRule) ([]byte, error) {
	if len(rules) == 0 {
		return []byte{}, nil
	}
	return formatReadable(rules, ParseRules)
}

// formatReadable writes v as YAML when the YAML reads back (through
// parse) to the same value, else as indented JSON, which is YAML too: the
// YAML writer and reader disagree on a few characters (a tab in a plain
// scalar is lost).
func formatReadable[T any](v T, parse func([]byte) (T, error)) ([]byte, error) {
	want, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	if out, err := yaml.MarshalWithOptions(v, yaml.UseSingleQuote(true)); err == nil {
		if back, perr := parse(out); perr == nil {
			if got, _ := json.Marshal(back); bytes.Equal(got, want) {
				return out, nil
			}
		}
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, want, "", "  "); err != nil {
		return nil, err
	}
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}
