package triage

import (
	"regexp"
	"slices"
	"strconv"

	"github.com/vigil-oss/vigil/internal/matcher"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// Inhibitor holds compiled inhibition rules, indexed so that an alert is
// tested only against the rules that can match it.
type Inhibitor struct {
	rules            []inhibitRule
	targets, sources ruleIndex
}

// ruleIndex files each rule under one matcher of a side that needs a
// label to be present: an equality with a non-empty value (under that
// value), else a regular expression with a literal prefix that does not
// match the empty value (under the prefix), else in a list tested against
// every alert. An alert then reaches only the rules its labels can match.
type ruleIndex struct {
	byValue  map[string]map[string][]int // label name, value: rule indexes
	byPrefix map[string]*prefixRules     // label name: rules by prefix
	scan     []int
}

type prefixRules struct {
	lens []int // the distinct prefix lengths, ascending
	by   map[string][]int
}

func (x *ruleIndex) add(i int, set matcher.Set) {
	for _, m := range set {
		if m.Type() == matcher.Equal && m.Value() != "" {
			if x.byValue == nil {
				x.byValue = map[string]map[string][]int{}
			}
			if x.byValue[m.Name()] == nil {
				x.byValue[m.Name()] = map[string][]int{}
			}
			x.byValue[m.Name()][m.Value()] = append(x.byValue[m.Name()][m.Value()], i)
			return
		}
	}
	for _, m := range set {
		if m.Type() != matcher.Regexp || m.Matches(map[string]string{}) {
			continue
		}
		re, err := regexp.Compile("^(?:" + m.Value() + ")$")
		if err != nil {
			continue
		}
		if prefix, _ := re.LiteralPrefix(); prefix != "" {
			if x.byPrefix == nil {
				x.byPrefix = map[string]*prefixRules{}
			}
			p := x.byPrefix[m.Name()]
			if p == nil {
				p = &prefixRules{by: map[string][]int{}}
				x.byPrefix[m.Name()] = p
			}
			if _, ok := p.by[prefix]; !ok && !slices.Contains(p.lens, len(prefix)) {
				p.lens = append(p.lens, len(prefix))
				slices.Sort(p.lens)
			}
			p.by[prefix] = append(p.by[prefix], i)
			return
		}
	}
	x.scan = append(x.scan, i)
}

// each calls fn with the index of every rule filed where labels can
// reach it (a superset of the rules whose side matches), until fn returns
// true, and reports whether it did.
func (x *ruleIndex) each(labels map[string]string, fn func(i int) bool) bool {
	for _, i := range x.scan {
		if fn(i) {
			return true
		}
	}
	if len(x.byValue) == 0 && len(x.byPrefix) == 0 {
		return false
	}
	for name, value := range labels {
		for _, i := range x.byValue[name][value] {
			if fn(i) {
				return true
			}
		}
		p := x.byPrefix[name]
		if p == nil {
			continue
		}
		for _, n := range p.lens {
			if n > len(value) {
				break
			}
			for _, i := range p.by[value[:n]] {
				if fn(i) {
					return true
				}
			}
		}
	}
	return false
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
		// Beyond Alertmanager: a source must need some label's value, or
		// nearly every alert (those without the labels it names) would be
		// a source that could mute others.
		if !needsValue(src) {
			return nil, vigil.FieldError(prefix+"source_matchers", "at least one matcher must not match the empty string (an absent label)")
		}
		tgt, err := parseMatchers(prefix+"target_matchers", r.Target)
		if err != nil {
			return nil, err
		}
		in.rules[i] = inhibitRule{rule: r, source: src, target: tgt}
		in.targets.add(i, tgt)
		in.sources.add(i, src)
	}
	return in, nil
}

func needsValue(set matcher.Set) bool {
	for _, m := range set {
		if !m.Matches(map[string]string{}) {
			return true
		}
	}
	return false
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
	if in == nil || len(firing) == 0 {
		return Inhibition{}, false
	}
	// The rules whose target matches, in their order: the first that has
	// a source wins.
	var buf [8]int
	cand := buf[:0]
	in.targets.each(labels, func(i int) bool {
		if in.rules[i].target.Matches(labels) {
			cand = append(cand, i)
		}
		return false
	})
	slices.Sort(cand)
	for _, i := range cand {
		r := in.rules[i]
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

// Len is the number of rules.
func (in *Inhibitor) Len() int {
	if in == nil {
		return 0
	}
	return len(in.rules)
}

// Targets reports whether some rule's target matchers match labels: only
// such an alert can be muted, so only for it are the firing alerts worth
// loading.
func (in *Inhibitor) Targets(labels map[string]string) bool {
	if in == nil {
		return false
	}
	return in.targets.each(labels, func(i int) bool { return in.rules[i].target.Matches(labels) })
}

// Sources reports whether some rule's source matchers match labels: only
// such an alert can mute others.
func (in *Inhibitor) Sources(labels map[string]string) bool {
	if in == nil {
		return false
	}
	return in.sources.each(labels, func(i int) bool { return in.rules[i].source.Matches(labels) })
}
