package vigil

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"unicode"
)

// MappingRule rewrites events of one integration key after decoding and
// before storing. Expressions are written in the expr language
// (github.com/expr-lang/expr); internal/mapping compiles and runs them.
type MappingRule struct {
	Name string `json:"name"`
	// When is a boolean expression; empty means the rule always applies.
	When string     `json:"when,omitempty"`
	Set  MappingSet `json:"set"`
	// Stop skips the rules after this one when this one applied.
	Stop bool `json:"stop,omitempty"`
}

// MappingSet is what a rule changes. Empty fields change nothing.
type MappingSet struct {
	// Service is the name of the service the event moves to (not an
	// expression).
	Service string `json:"service,omitempty"`
	// Severity is an expression yielding critical, error, warning or info.
	Severity string `json:"severity,omitempty"`
	// Summary is an expression yielding the new summary.
	Summary string `json:"summary,omitempty"`
	// Labels maps label names to expressions yielding their new values.
	Labels map[string]string `json:"labels,omitempty"`
}

// Limits of a key's mapping rules.
const (
	MaxMappingRules   = 50
	MaxRuleNameLen    = 100
	MaxRuleExprLen    = 1024
	MaxRuleLabels     = 32
	MaxMappingRuleDoc = 64 * 1024 // bytes of a rules document (YAML or JSON)
)

// RuleField names a field of the i-th rule the way errors do:
// "rules[1].set.severity".
func RuleField(i int, field string) string {
	return fmt.Sprintf("rules[%d].%s", i, field)
}

// ValidateMappingRules checks the shape of rules: count, names, lengths
// and label names. It cannot tell whether an expression compiles or a
// service exists; internal/mapping checks those. Errors name the field
// ("rules[1].set.labels").
func ValidateMappingRules(rules []MappingRule) error {
	if len(rules) > MaxMappingRules {
		return FieldError("rules", "at most %d rules", MaxMappingRules)
	}
	for i, r := range rules {
		if strings.TrimSpace(r.Name) == "" {
			return FieldError(RuleField(i, "name"), "is required")
		}
		if err := checkText(RuleField(i, "name"), r.Name, MaxRuleNameLen); err != nil {
			return err
		}
		exprs := []struct{ field, v string }{
			{"when", r.When}, {"set.severity", r.Set.Severity}, {"set.summary", r.Set.Summary},
		}
		for _, x := range exprs {
			if err := checkText(RuleField(i, x.field), x.v, MaxRuleExprLen); err != nil {
				return err
			}
		}
		if err := checkText(RuleField(i, "set.service"), r.Set.Service, MaxNameLen); err != nil {
			return err
		}
		if len(r.Set.Labels) > MaxRuleLabels {
			return FieldError(RuleField(i, "set.labels"), "at most %d labels", MaxRuleLabels)
		}
		names := make([]string, 0, len(r.Set.Labels))
		for name := range r.Set.Labels {
			names = append(names, name)
		}
		sort.Strings(names) // the first bad one in a stable order
		for _, name := range names {
			if !ValidRuleLabelName(name) {
				return FieldError(RuleField(i, "set.labels"), "label name %q must be 1 to %d printable characters without spaces", name, MaxLabelNameLen)
			}
			if err := checkText(RuleField(i, "set.labels."+name), r.Set.Labels[name], MaxRuleExprLen); err != nil {
				return err
			}
			if strings.TrimSpace(r.Set.Labels[name]) == "" {
				return FieldError(RuleField(i, "set.labels."+name), "needs an expression (a quoted string for a fixed value)")
			}
		}
		if r.Set.Service == "" && r.Set.Severity == "" && r.Set.Summary == "" && len(r.Set.Labels) == 0 && !r.Stop {
			return FieldError(RuleField(i, "set"), "sets nothing; give service, severity, summary or labels (or stop)")
		}
	}
	return nil
}

// ValidRuleLabelName reports whether a rule may set a label of this name:
// 1 to MaxLabelNameLen bytes of valid UTF-8, printable, without spaces.
// Wider than Prometheus' names (Opsgenie tags become "tag:<name>").
func ValidRuleLabelName(name string) bool {
	if name == "" || len(name) > MaxLabelNameLen || checkText("", name, MaxLabelNameLen) != nil {
		return false
	}
	for _, r := range name {
		if !unicode.IsPrint(r) || unicode.IsSpace(r) {
			return false
		}
	}
	return true
}

// MappingRuleService keeps the mapping rules of integration keys.
type MappingRuleService interface {
	// FindIntegrationKeyByID returns a key (revoked ones too) with its
	// rules, without secret. CodeNotFound.
	FindIntegrationKeyByID(ctx context.Context, id int64) (*IntegrationKey, error)
	// SetMappingRules replaces a key's rules (none removes them) and bumps
	// its RulesRevision. It checks their shape (ValidateMappingRules), not
	// their expressions. CodeNotFound, CodeInvalid.
	SetMappingRules(ctx context.Context, keyID int64, rules []MappingRule) (*IntegrationKey, error)
}
