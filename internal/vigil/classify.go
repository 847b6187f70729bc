package vigil

import (
	"strconv"
	"strings"
)

// Incident types a classification rule can set. Security incidents come
// first: they get the highest priority and are private unless a rule says
// otherwise.
const (
	TypeOutage      = "outage"
	TypeDegradation = "degradation"
	TypeSecurity    = "security"
	TypeData        = "data"
	TypeOther       = "other"
)

// IncidentTypes lists the types.
var IncidentTypes = []string{TypeOutage, TypeDegradation, TypeSecurity, TypeData, TypeOther}

// Incident levels: SEV1 (worst) to SEV4, and priorities P1 (first) to P5.
var (
	SevLevels  = []string{"SEV1", "SEV2", "SEV3", "SEV4"}
	Priorities = []string{"P1", "P2", "P3", "P4", "P5"}
)

// Urgencies: high pages now, low waits for the team's business hours.
const (
	UrgencyHigh = "high"
	UrgencyLow  = "low"
)

// ClassificationRule is one of the ordered, global rules that classify and
// route every new alert. When is an expression over the alert (see
// internal/classify's Env); empty applies always. Every rule that applies
// runs in order, a later one overriding what an earlier one set, and Stop
// ends the list.
type ClassificationRule struct {
	ID       int64             `json:"id,omitempty"`
	Name     string            `json:"name"`
	When     string            `json:"when,omitempty"`
	Set      ClassificationSet `json:"set"`
	Stop     bool              `json:"stop,omitempty"`
	Disabled bool              `json:"disabled,omitempty"`
}

// ClassificationSet is what a rule decides. Empty fields decide nothing.
type ClassificationSet struct {
	Sev      string `json:"sev,omitempty"`      // SEV1 … SEV4
	Priority string `json:"priority,omitempty"` // P1 … P5
	Type     string `json:"type,omitempty"`     // outage, degradation, security, data, other
	// Service and Team route the alert, by name.
	Service string `json:"service,omitempty"`
	Team    string `json:"team,omitempty"`
	// Labels are added to the alert (fixed values).
	Labels map[string]string `json:"labels,omitempty"`
	// Suppress records the alert without opening an incident or paging.
	Suppress bool   `json:"suppress,omitempty"`
	Urgency  string `json:"urgency,omitempty"` // high or low
	// Notify names stakeholder groups that hear about the incident.
	Notify []string `json:"notify,omitempty"`
	// Private, when set, overrides the default (private for security).
	Private *bool `json:"private,omitempty"`
}

// MaxClassificationRules bounds the rule list.
const MaxClassificationRules = 1000

// ValidateClassificationRules checks the rules' shape (not their
// expressions, which internal/classify compiles, nor that services, teams
// and groups exist). Errors name the field ("rules[2].set.priority").
func ValidateClassificationRules(rules []ClassificationRule) error {
	if len(rules) > MaxClassificationRules {
		return FieldError("rules", "at most %d rules", MaxClassificationRules)
	}
	oneOf := func(i int, field, v string, allowed []string) error {
		for _, a := range allowed {
			if v == a {
				return nil
			}
		}
		return FieldError(RuleField(i, field), "must be one of %s", strings.Join(allowed, ", "))
	}
	names := map[string]bool{}
	for i := range rules {
		r := &rules[i]
		r.Name = strings.TrimSpace(r.Name)
		if r.Name == "" {
			return FieldError(RuleField(i, "name"), "is required")
		}
		if err := checkText(RuleField(i, "name"), r.Name, 200); err != nil {
			return err
		}
		if names[r.Name] {
			return FieldError(RuleField(i, "name"), "%q is used by an earlier rule", r.Name)
		}
		names[r.Name] = true
		if err := checkText(RuleField(i, "when"), r.When, 4096); err != nil {
			return err
		}
		s := r.Set
		checks := []struct {
			field, v string
			allowed  []string
		}{
			{"set.sev", s.Sev, SevLevels},
			{"set.priority", s.Priority, Priorities},
			{"set.type", s.Type, IncidentTypes},
			{"set.urgency", s.Urgency, []string{UrgencyHigh, UrgencyLow}},
		}
		for _, c := range checks {
			if c.v != "" {
				if err := oneOf(i, c.field, c.v, c.allowed); err != nil {
					return err
				}
			}
		}
		for name, v := range s.Labels {
			if strings.TrimSpace(name) == "" {
				return FieldError(RuleField(i, "set.labels"), "label names must not be empty")
			}
			if err := checkText(RuleField(i, "set.labels."+name), v, 1024); err != nil {
				return err
			}
		}
		for j, g := range s.Notify {
			if strings.TrimSpace(g) == "" {
				return FieldError(RuleField(i, "set.notify")+"["+strconv.Itoa(j)+"]", "must name a group")
			}
		}
	}
	return nil
}
