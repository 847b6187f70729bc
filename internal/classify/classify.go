// Package classify runs the global classification and routing rules on
// each new alert: expressions in the expr language
// (github.com/expr-lang/expr) over the alert, each setting the incident's
// level (SEV1–SEV4), priority (P1–P5), type, route, labels, urgency, the
// stakeholder groups to tell, or suppressing it. Rules are compiled once
// (Compile) and evaluated per alert (Classify) without I/O; a rule that
// fails on an alert is skipped and reported, never blocking ingest.
package classify

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// Env is what a rule's expression sees.
type Env struct {
	Summary  string `expr:"summary"`
	Severity string `expr:"severity"` // the alert's: critical, error, warning, info
	Source   string `expr:"source"`
	Service  string `expr:"service"` // the service's name
	// Labels holds strings; its type is map[string]any because the
	// expression machine reads such maps without reflection.
	Labels  map[string]any `expr:"labels"`
	Details map[string]any `expr:"details"`
	// Time facts, in the zone the rules were given (Classify's loc):
	// hour 0–23, weekday "Monday"…, business_hours Mon–Fri 09:00–17:00.
	Hour          int    `expr:"hour"`
	Weekday       string `expr:"weekday"`
	BusinessHours bool   `expr:"business_hours"`
}

// Alert is the input of Classify.
type Alert struct {
	Summary, Severity, Source, Service string
	Labels                             map[string]string
	Details                            map[string]any
	At                                 time.Time
}

// Rules are compiled rules, safe for concurrent use.
type Rules struct {
	list []compiled
	loc  *time.Location
}

type compiled struct {
	rule vigil.ClassificationRule
	when *vm.Program // nil: always
}

// Compile checks and compiles rules; disabled rules are kept but never
// run. loc is the zone of the time facts (nil: UTC). Errors are
// CodeInvalid naming the field ("rules[1].when") with the position of
// the fault in the expression.
func Compile(rules []vigil.ClassificationRule, loc *time.Location) (*Rules, error) {
	rules = slices.Clone(rules)
	if err := vigil.ValidateClassificationRules(rules); err != nil {
		return nil, err
	}
	if loc == nil {
		loc = time.UTC
	}
	rs := &Rules{list: make([]compiled, len(rules)), loc: loc}
	for i, r := range rules {
		c := compiled{rule: r}
		if strings.TrimSpace(r.When) != "" {
			p, err := expr.Compile(r.When, expr.Env(&Env{}), expr.AsBool())
			if err != nil {
				return nil, vigil.FieldError(vigil.RuleField(i, "when"), "%s", compileMessage(err))
			}
			c.when = p
		}
		rs.list[i] = c
	}
	return rs, nil
}

// compileMessage is expr's message with its position, without the source
// snippet it appends on further lines.
func compileMessage(err error) string {
	msg, _, _ := strings.Cut(err.Error(), "\n")
	return msg
}

// Decision is what the rules decided for one alert.
type Decision struct {
	Sev, Priority, Type, Service, Team, Urgency string
	// Pause is the auto-pause a rule chose ("5m", "0"), "" for the service's.
	Pause    string
	Labels   map[string]string
	Suppress bool
	Notify   []string
	Private  bool
	// Effects say which rule set what, in order, for the timeline
	// ("sev SEV1 set by rule 'payments-5xx'").
	Effects []Effect
	// Failed are the rules that could not be evaluated on this alert
	// (skipped).
	Failed []Failure

	privateSet bool // a rule decided Private
}

// Effect is one field a rule set.
type Effect struct {
	Rule  string
	Field string
	Value string
}

// String is the timeline text of the effect.
func (e Effect) String() string {
	return fmt.Sprintf("%s %s set by rule '%s'", e.Field, e.Value, e.Rule)
}

// Failure is a rule that failed on an alert.
type Failure struct {
	Index int
	Rule  string
	Err   string
}

// Len is the number of rules.
func (rs *Rules) Len() int { return len(rs.list) }

// Classify runs the rules on a. A nil *Rules decides nothing.
func (rs *Rules) Classify(a Alert) Decision {
	var d Decision
	if rs != nil && len(rs.list) > 0 {
		env := rs.env(a)
		machine := vmPool.Get().(*vm.VM)
		defer vmPool.Put(machine)
		for i, c := range rs.list {
			if c.rule.Disabled {
				continue
			}
			if c.when != nil {
				out, err := runBool(machine, c.when, env)
				if err != nil {
					d.Failed = append(d.Failed, Failure{Index: i, Rule: c.rule.Name, Err: compileMessage(err)})
					continue
				}
				if !out {
					continue
				}
			}
			d.apply(c.rule)
			if c.rule.Stop {
				break
			}
		}
	}
	d.defaults()
	return d
}

// vmPool reuses expression machines (their stacks) across alerts.
var vmPool = sync.Pool{New: func() any { return &vm.VM{} }}

func runBool(machine *vm.VM, p *vm.Program, env *Env) (ok bool, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("rule panicked: %v", r)
		}
	}()
	out, err := machine.Run(p, env)
	if err != nil {
		return false, err
	}
	b, _ := out.(bool)
	return b, nil
}

func (rs *Rules) env(a Alert) *Env {
	t := a.At.In(rs.loc)
	wd := t.Weekday()
	labels := make(map[string]any, len(a.Labels))
	for k, v := range a.Labels {
		labels[k] = v
	}
	return &Env{
		Summary: a.Summary, Severity: a.Severity, Source: a.Source, Service: a.Service,
		Labels: labels, Details: a.Details,
		Hour: t.Hour(), Weekday: wd.String(),
		BusinessHours: wd >= time.Monday && wd <= time.Friday && t.Hour() >= 9 && t.Hour() < 17,
	}
}

// apply records what one applying rule sets.
func (d *Decision) apply(r vigil.ClassificationRule) {
	s := r.Set
	set := func(field string, dst *string, v string) {
		if v != "" {
			*dst = v
			d.Effects = append(d.Effects, Effect{Rule: r.Name, Field: field, Value: v})
		}
	}
	set("sev", &d.Sev, s.Sev)
	set("priority", &d.Priority, s.Priority)
	set("type", &d.Type, s.Type)
	set("service", &d.Service, s.Service)
	set("team", &d.Team, s.Team)
	set("urgency", &d.Urgency, s.Urgency)
	set("pause", &d.Pause, s.Pause)
	for _, k := range slices.Sorted(maps.Keys(s.Labels)) {
		if d.Labels == nil {
			d.Labels = map[string]string{}
		}
		d.Labels[k] = s.Labels[k]
		d.Effects = append(d.Effects, Effect{Rule: r.Name, Field: "label " + k, Value: s.Labels[k]})
	}
	if s.Suppress {
		d.Suppress = true
		d.Effects = append(d.Effects, Effect{Rule: r.Name, Field: "suppress", Value: "true"})
	}
	for _, g := range s.Notify {
		if !slices.Contains(d.Notify, g) {
			d.Notify = append(d.Notify, g)
			d.Effects = append(d.Effects, Effect{Rule: r.Name, Field: "notify", Value: g})
		}
	}
	if s.Private != nil {
		d.Private = *s.Private
		d.privateSet = true
		d.Effects = append(d.Effects, Effect{Rule: r.Name, Field: "private", Value: fmt.Sprint(*s.Private)})
	}
}

// defaults: security incidents come first and stay private unless a rule
// decided otherwise.
func (d *Decision) defaults() {
	if d.Type != vigil.TypeSecurity {
		return
	}
	if d.Priority == "" {
		d.Priority = vigil.Priorities[0]
	}
	if !d.privateSet {
		d.Private = true
	}
}

// NextBusinessHours is t when it falls in business hours (Monday to
// Friday, 09:00–17:00 in loc), else when they next begin.
func NextBusinessHours(t time.Time, loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	l := t.In(loc)
	for i := 0; i < 8; i++ {
		day := time.Date(l.Year(), l.Month(), l.Day()+i, 0, 0, 0, 0, loc)
		if wd := day.Weekday(); wd == time.Saturday || wd == time.Sunday {
			continue
		}
		start := time.Date(day.Year(), day.Month(), day.Day(), 9, 0, 0, 0, loc)
		end := time.Date(day.Year(), day.Month(), day.Day(), 17, 0, 0, 0, loc)
		if t.Before(start) {
			return start
		}
		if t.Before(end) {
			return t
		}
	}
	return t // unreachable: a week always has a weekday
}
