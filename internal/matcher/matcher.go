// Package matcher is Alertmanager's label matching, shared by everything in
// Vigil that selects alerts by labels: the `filter` of the Alertmanager API
// (GET /api/v2/alerts), and later silences, inhibition and routing.
//
// Parsing is Alertmanager's own (github.com/prometheus/alertmanager's
// matcher/parse), so a filter that amtool or Grafana accepts means the same
// here. Semantics follow Alertmanager: a label that is absent has the empty
// value (so `team!="db"` matches alerts without a team, and `team=""`
// matches exactly those), and regular expressions are anchored at both
// ends.
package matcher

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/prometheus/alertmanager/matcher/parse"
	"github.com/prometheus/alertmanager/pkg/labels"
)

// Type is a matcher's operator.
type Type string

// The four operators of Alertmanager.
const (
	Equal     Type = "="
	NotEqual  Type = "!="
	Regexp    Type = "=~"
	NotRegexp Type = "!~"
)

// Matcher tests one label.
type Matcher struct {
	m *labels.Matcher
}

// New builds a matcher from its parts, as silences carry them in JSON
// (name, value, isRegex, isEqual). An invalid regular expression is an
// error.
func New(name, value string, isRegex, isEqual bool) (Matcher, error) {
	if name == "" {
		return Matcher{}, fmt.Errorf("label name must not be empty")
	}
	if !utf8.ValidString(name) || !utf8.ValidString(value) {
		return Matcher{}, fmt.Errorf("matcher is not valid UTF-8")
	}
	t := labels.MatchEqual
	switch {
	case isRegex && isEqual:
		t = labels.MatchRegexp
	case isRegex:
		t = labels.MatchNotRegexp
	case !isEqual:
		t = labels.MatchNotEqual
	}
	m, err := labels.NewMatcher(t, name, value)
	if err != nil {
		return Matcher{}, fmt.Errorf("invalid regular expression %q: %w", value, err)
	}
	return Matcher{m: m}, nil
}

// Parse reads one matcher such as `alertname="Disk full"`, `env!=dev` or
// `instance=~"web-.*"` (braces around it are allowed).
func Parse(s string) (Matcher, error) {
	if !utf8.ValidString(s) {
		return Matcher{}, fmt.Errorf("matcher is not valid UTF-8")
	}
	m, err := parse.Matcher(s)
	if err != nil {
		return Matcher{}, err
	}
	if m.Name == "" { // `""=x` parses, but no label has an empty name
		return Matcher{}, fmt.Errorf("label name must not be empty")
	}
	return Matcher{m: m}, nil
}

// Name is the label the matcher tests.
func (m Matcher) Name() string { return m.m.Name }

// Value is the value or regular expression it compares with.
func (m Matcher) Value() string { return m.m.Value }

// Type is the operator.
func (m Matcher) Type() Type { return Type(m.m.Type.String()) }

// IsRegex reports whether Value is a regular expression.
func (m Matcher) IsRegex() bool {
	return m.m.Type == labels.MatchRegexp || m.m.Type == labels.MatchNotRegexp
}

// IsEqual reports whether the matcher is positive (= or =~).
func (m Matcher) IsEqual() bool {
	return m.m.Type == labels.MatchEqual || m.m.Type == labels.MatchRegexp
}

// Matches reports whether the label set satisfies the matcher; an absent
// label has the empty value.
func (m Matcher) Matches(set map[string]string) bool { return m.m.Matches(set[m.m.Name]) }

// String is the matcher in Alertmanager's syntax, quoted so Parse reads it
// back unchanged.
func (m Matcher) String() string { return m.m.String() }

// Set is a conjunction of matchers: all must match.
type Set []Matcher

// ParseSet reads matchers written together, `{env="prod",team=~"db|web"}`
// or without braces.
func ParseSet(s string) (Set, error) {
	if !utf8.ValidString(s) {
		return nil, fmt.Errorf("matchers are not valid UTF-8")
	}
	ms, err := parse.Matchers(s)
	if err != nil {
		return nil, err
	}
	out := make(Set, len(ms))
	for i, m := range ms {
		if m.Name == "" {
			return nil, fmt.Errorf("label name must not be empty")
		}
		out[i] = Matcher{m: m}
	}
	return out, nil
}

// ParseEach reads one matcher per string, as the repeatable `filter` query
// parameter carries them. The error names the first bad one.
func ParseEach(list []string) (Set, error) {
	out := make(Set, 0, len(list))
	for _, s := range list {
		m, err := Parse(s)
		if err != nil {
			return nil, fmt.Errorf("bad matcher %q: %w", s, err)
		}
		out = append(out, m)
	}
	return out, nil
}

// Matches reports whether every matcher of the set matches (an empty set
// matches everything).
func (s Set) Matches(set map[string]string) bool {
	for _, m := range s {
		if !m.Matches(set) {
			return false
		}
	}
	return true
}

// String is the set in braces, sorted, in Alertmanager's syntax.
func (s Set) String() string {
	parts := make([]string, len(s))
	for i, m := range s {
		parts[i] = m.String()
	}
	sort.Strings(parts)
	return "{" + strings.Join(parts, ",") + "}"
}
