// Package mapping runs an integration key's mapping rules: expressions in
// the expr language (github.com/expr-lang/expr) that set an event's
// service, severity, summary or labels after it is decoded and before it
// is stored. It also reads rules from YAML and previews what a sender's
// payload would become (preview.go).
//
// Rules are compiled once (Compile) and then applied to many events; the
// caller caches the compiled Rules per key and revision.
package mapping

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/vm"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// Env is what a rule's expressions see: the event as decoded and as the
// rules before changed it, and the format its sender used (native,
// alertmanager, pagerduty, pagerduty-v1, opsgenie).
type Env struct {
	Summary  string            `expr:"summary"`
	Severity string            `expr:"severity"`
	Source   string            `expr:"source"`
	DedupKey string            `expr:"dedup_key"`
	Action   string            `expr:"action"`
	Labels   map[string]string `expr:"labels"`
	// Details is the event's details object decoded from JSON (numbers
	// are float64); nil when the event has none.
	Details map[string]any `expr:"details"`
	Format  string         `expr:"format"`

	// The four severities as names, so "severity: critical" works
	// without quotes.
	Critical string `expr:"critical"`
	Error    string `expr:"error"`
	Warning  string `expr:"warning"`
	Info     string `expr:"info"`
}

// Rules are compiled mapping rules, safe for concurrent use.
type Rules struct {
	list []rule
	// needsDetails is set when an expression reads details, which are
	// decoded from JSON only then.
	needsDetails bool
}

type rule struct {
	name     string
	when     *vm.Program // nil: always
	service  string
	severity *vm.Program
	summary  *vm.Program
	labels   []labelProgram // by name, so changes come in a stable order
	stop     bool
}

type labelProgram struct {
	name string
	prog *vm.Program
}

// Compile checks and compiles rules. Errors are CodeInvalid naming the
// field ("rules[1].set.severity"). It does not check that services exist
// (see Check).
func Compile(rules []vigil.MappingRule) (*Rules, error) {
	if err := vigil.ValidateMappingRules(rules); err != nil {
		return nil, err
	}
	rs := &Rules{list: make([]rule, len(rules))}
	for i, in := range rules {
		r := rule{name: in.Name, service: in.Set.Service, stop: in.Stop}
		var err error
		if r.when, err = rs.compile(i, "when", in.When, expr.AsBool()); err != nil {
			return nil, err
		}
		if r.severity, err = rs.compile(i, "set.severity", in.Set.Severity, expr.AsKind(reflect.String)); err != nil {
			return nil, err
		}
		if r.summary, err = rs.compile(i, "set.summary", in.Set.Summary, expr.AsAny()); err != nil {
			return nil, err
		}
		for _, name := range slices.Sorted(maps.Keys(in.Set.Labels)) {
			p, err := rs.compile(i, "set.labels."+name, in.Set.Labels[name], expr.AsAny())
			if err != nil {
				return nil, err
			}
			r.labels = append(r.labels, labelProgram{name, p})
		}
		rs.list[i] = r
	}
	return rs, nil
}

// compile compiles one expression; an empty one is nil.
func (rs *Rules) compile(i int, field, src string, want expr.Option) (*vm.Program, error) {
	if strings.TrimSpace(src) == "" {
		return nil, nil
	}
	p, err := expr.Compile(src, expr.Env(&Env{}), want)
	if err != nil {
		msg := firstLine(err)
		if isBareWord(src) && strings.Contains(msg, "unknown name") {
			msg += fmt.Sprintf("; a fixed text needs quotes: '%q'", strings.TrimSpace(src))
		}
		return nil, vigil.FieldError(vigil.RuleField(i, field), "%s", msg)
	}
	if !rs.needsDetails {
		node := p.Node()
		v := &detailsFinder{}
		ast.Walk(&node, v)
		rs.needsDetails = v.found
	}
	return p, nil
}

type detailsFinder struct{ found bool }

func (f *detailsFinder) Visit(n *ast.Node) {
	if id, ok := (*n).(*ast.IdentifierNode); ok && id.Value == "details" {
		f.found = true
	}
}

func isBareWord(s string) bool {
	s = strings.TrimSpace(s)
	return s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r == '_' || r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	}) < 0
}

// firstLine drops the source snippet expr appends to its messages.
func firstLine(err error) string {
	msg, _, _ := strings.Cut(err.Error(), "\n")
	return msg
}

// Len is the number of rules.
func (rs *Rules) Len() int { return len(rs.list) }

// Services lists the service names the rules move events to.
func (rs *Rules) Services() []string {
	var names []string
	for _, r := range rs.list {
		if r.service != "" && !slices.Contains(names, r.service) {
			names = append(names, r.service)
		}
	}
	return names
}

// Check validates rules before they are saved: their shape, their
// expressions and that every service they name exists (exists answers
// that; its error is returned as it is).
func Check(rules []vigil.MappingRule, exists func(name string) (bool, error)) error {
	if _, err := Compile(rules); err != nil {
		return err
	}
	for i, r := range rules {
		if r.Set.Service == "" {
			continue
		}
		ok, err := exists(r.Set.Service)
		if err != nil {
			return err
		}
		if !ok {
			return vigil.FieldError(vigil.RuleField(i, "set.service"), "there is no service named %q", r.Set.Service)
		}
	}
	return nil
}

// Resolver returns the ID of the service named name, ok false when there
// is none.
type Resolver func(name string) (id int64, ok bool)

// RuleError is a rule that failed on one event.
type RuleError struct {
	Rule  int    // index in the key's rules
	Name  string // the rule's name
	Field string // "when", "set.severity", "set.labels.team", "set.service"
	Msg   string
	// Partial is true when the rest of the mapping still applied: a rule
	// named a service that does not exist, and the event stayed in its
	// own. Otherwise the event was left exactly as decoded.
	Partial bool
}

func (e *RuleError) Error() string {
	return fmt.Sprintf("rule %d (%s) %s: %s", e.Rule, e.Name, e.Field, e.Msg)
}

// Trace records what the rules did to one event, for the preview.
type Trace struct {
	Steps []Step
}

// Step is what one rule did.
type Step struct {
	Rule    int      `json:"rule"`
	Name    string   `json:"name"`
	Matched bool     `json:"matched"`
	Stopped bool     `json:"stopped,omitempty"` // the later rules were skipped
	Changes []Change `json:"changes,omitempty"`
	Error   string   `json:"error,omitempty"`
}

// Change is one field a rule changed. Field is service, severity,
// summary or labels.<name>; From is empty for a new label and for a
// service (the key's own).
type Change struct {
	Field string `json:"field"`
	From  string `json:"from,omitempty"`
	To    string `json:"to"`
}

func (t *Trace) step(i int, name string) *Step {
	if t == nil {
		return nil
	}
	t.Steps = append(t.Steps, Step{Rule: i, Name: name})
	return &t.Steps[len(t.Steps)-1]
}

func (s *Step) change(field, from, to string) {
	if s != nil {
		s.Changes = append(s.Changes, Change{Field: field, From: from, To: to})
	}
}

// Apply runs the rules in order on e, an event of a sender using format.
// Each rule whose when holds sets what it names (its expressions all see
// the event as it was before that rule); stop ends the run.
//
// A failing expression, or a result the event cannot take (an unknown
// severity, an empty summary, an oversized label), leaves e exactly as
// decoded and returns a *RuleError: the alert is never lost to a rule.
// A service that resolve does not know keeps e in its service, applies
// the rest, and returns a *RuleError with Partial set. t, when not nil,
// records each rule's outcome.
func (rs *Rules) Apply(e *vigil.Event, format string, resolve Resolver, t *Trace) error {
	env := Env{
		Summary: e.Summary, Severity: string(e.Severity), Source: e.Source, DedupKey: e.DedupKey,
		Action: e.Action, Labels: e.Labels, Format: format,
		Critical: string(vigil.SeverityCritical), Error: string(vigil.SeverityError),
		Warning: string(vigil.SeverityWarning), Info: string(vigil.SeverityInfo),
	}
	if rs.needsDetails && len(e.Details) > 0 {
		// Stored details are always an object; anything else reads as none.
		_ = json.Unmarshal(e.Details, &env.Details)
	}
	out := *e
	ownLabels := false
	var (
		m       vm.VM
		partial *RuleError
		last    = -1 // the last rule that matched
	)
	fail := func(i int, field string, s *Step, msg string) error {
		if s != nil {
			s.Error = msg
		}
		return &RuleError{Rule: i, Name: rs.list[i].name, Field: field, Msg: msg}
	}
	for i := range rs.list {
		r := &rs.list[i]
		s := t.step(i, r.name)
		if r.when != nil {
			v, err := m.Run(r.when, &env)
			if err != nil {
				return fail(i, "when", s, firstLine(err))
			}
			if ok, _ := v.(bool); !ok {
				continue
			}
		}
		if s != nil {
			s.Matched = true
		}
		last = i

		var sev, summary string
		if r.severity != nil {
			v, err := evalString(&m, r.severity, &env)
			if err == nil {
				v = strings.ToLower(strings.TrimSpace(v))
				if !vigil.Severity(v).Valid() {
					err = fmt.Errorf("yields %q, not one of critical, error, warning, info", v)
				}
			}
			if err != nil {
				return fail(i, "set.severity", s, err.Error())
			}
			sev = v
		}
		if r.summary != nil {
			v, err := evalString(&m, r.summary, &env)
			if err == nil {
				err = checkValue("summary", v, vigil.MaxSummaryLen)
			}
			if err == nil && strings.TrimSpace(v) == "" {
				err = fmt.Errorf("yields an empty summary")
			}
			if err != nil {
				return fail(i, "set.summary", s, err.Error())
			}
			summary = v
		}
		var values []string
		if len(r.labels) > 0 {
			values = make([]string, len(r.labels))
		}
		for j, l := range r.labels {
			v, err := evalString(&m, l.prog, &env)
			if err == nil {
				err = checkValue("the value", v, vigil.MaxLabelValueLen)
			}
			if err != nil {
				return fail(i, "set.labels."+l.name, s, err.Error())
			}
			values[j] = v
		}

		if sev != "" && sev != string(out.Severity) {
			s.change("severity", string(out.Severity), sev)
			out.Severity, env.Severity = vigil.Severity(sev), sev
		}
		if r.summary != nil && summary != out.Summary {
			s.change("summary", out.Summary, summary)
			out.Summary, env.Summary = summary, summary
		}
		for j, l := range r.labels {
			old, had := out.Labels[l.name]
			if had && old == values[j] {
				continue
			}
			if !ownLabels {
				// The decoded map may be shared; change a copy.
				out.Labels = make(map[string]string, len(out.Labels)+len(r.labels))
				maps.Copy(out.Labels, env.Labels)
				env.Labels, ownLabels = out.Labels, true
			}
			s.change("labels."+l.name, old, values[j])
			out.Labels[l.name] = values[j]
		}
		if r.service != "" {
			if id, ok := resolve(r.service); ok {
				s.change("service", "", r.service)
				out.ServiceID = id
			} else {
				msg := fmt.Sprintf("there is no service named %q; the event stays in its own", r.service)
				if s != nil {
					s.Error = msg
				}
				partial = &RuleError{Rule: i, Name: r.name, Field: "set.service", Msg: msg, Partial: true}
			}
		}
		if r.stop {
			if s != nil {
				s.Stopped = true
			}
			break
		}
	}
	if last < 0 {
		return nil
	}
	if err := out.Validate(); err != nil {
		return &RuleError{Rule: last, Name: rs.list[last].name, Field: "set",
			Msg: "the mapped event is invalid: " + vigil.ErrorField(err) + " " + vigil.ErrorMessage(err)}
	}
	*e = out
	if partial != nil {
		return partial
	}
	return nil
}

// evalString runs p and turns its result into text: a string as it is,
// numbers and booleans written out; anything else is an error.
func evalString(m *vm.VM, p *vm.Program, env *Env) (string, error) {
	v, err := m.Run(p, env)
	if err != nil {
		return "", fmt.Errorf("%s", firstLine(err))
	}
	switch x := v.(type) {
	case string:
		return x, nil
	case bool:
		return strconv.FormatBool(x), nil
	case int:
		return strconv.Itoa(x), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	case nil:
		return "", fmt.Errorf("yields nothing (nil); use ?? to give a default")
	}
	return "", fmt.Errorf("yields %T, not a string", v)
}

func checkValue(what, v string, max int) error {
	if err := vigil.ValidateText("", v, max); err != nil {
		return fmt.Errorf("%s %s", what, vigil.ErrorMessage(err))
	}
	return nil
}
