package triage

import (
	"strconv"

	"github.com/vigil-oss/vigil/internal/matcher"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// Inhibitor holds compiled inhibition rules.
type Inhibitor struct {
	rules []inhibitRule
}

type inhibitRule struct {
	rule           vigil.InhibitRule
	source, target matcher.Set
}

// CompileInhibitRules checks and parses rules; errors name the field
// ("rules[2].source_matchers[0]").
func CompileInhibitRules(rules []vigil.InhibitRule) (*Inhibitor, error) {
	in := &Inhibitor{rules: make([]inhibitRule, len(rules))}
	for i := range rules {
		r := rules[i]
		prefix := "rules[" + strconv.Itoa(i) + "]."
		if err := r.Validate(); err != nil {
			return nil, vigil.FieldError(prefix+vigil.ErrorField(err), "%s", vigil.ErrorMessage(err))
		}
		src, err := parseMatchers(prefix+"source_matchers", r.Source)
		if err != nil {
			return nil, err
		}
		tgt, err := parseMatchers(prefix+"target_matchers", r.Target)
		if err != nil {
			return nil, err
		}
		in.rules[i] = inhibitRule{rule: r, source: src, target: tgt}
	}
	return in, nil
}

func parseMatchers(field string, list []string) (matcher.Set, error) {
	out := make(matcher.Set, len(list))
	for i, s := range list {
		m, err := matcher.Parse(s)
		if err != nil {
			return nil, vigil.FieldError(field+"["+strconv.Itoa(i)+"]", "%v", err)
		}
		out[i] = m
	}
	return out, nil
}

// Inhibition says which rule muted an alert, and by which firing alert
// (an index into the firing list given to Muted).
type Inhibition struct {
	Rule   vigil.InhibitRule
	Source int
}

// Muted reports whether an alert with labels is muted by one of the
// firing alerts. As in Alertmanager, an alert that matches both a rule's
// source and target is muted only by sources that do not also match the
// target, so two such alerts never mute each other; an alert never mutes
// itself (the caller leaves it out of firing).
func (in *Inhibitor) Muted(labels map[string]string, firing []map[string]string) (Inhibition, bool) {
	if in == nil {
		return Inhibition{}, false
	}
	for _, r := range in.rules {
		if !r.target.Matches(labels) {
			continue
		}
		twoSided := r.source.Matches(labels)
		for j, src := range firing {
			if !r.source.Matches(src) || (twoSided && r.target.Matches(src)) {
				continue
			}
			if equalLabels(r.rule.Equal, labels, src) {
				return Inhibition{Rule: r.rule, Source: j}, true
			}
		}
	}
	return Inhibition{}, false
}

func equalLabels(names []string, a, b map[string]string) bool {
	for _, n := range names {
		if a[n] != b[n] {
			return false
		}
	}
	return true
}
