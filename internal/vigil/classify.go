package vigil

import (
	"context"
	"strconv"
	"strings"
	"time"
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
	// Pause replaces the service's auto-pause for the alert: a duration
	// like "5m" (1m to 24h), or "0" to page at once.
	Pause string `json:"pause,omitempty"`
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
		if s.Pause != "" {
			d, err := time.ParseDuration(s.Pause)
			if err != nil || d < 0 || (d > 0 && d < time.Minute) || d > MaxAutoPause {
				return FieldError(RuleField(i, "set.pause"), "must be 0 or a duration from 1m to %s, like 5m", Duration(MaxAutoPause))
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

// EntryClassified is the timeline kind of a rule's effect on an incident
// ("sev SEV1 set by rule 'payments-5xx'").
const EntryClassified = "classified"

// ClassificationRuleSet is the ordered rule list with the zone its time
// facts are read in. Version goes up with every save; Broken lists the
// rules that failed on an alert since (skipped, never blocking ingest).
type ClassificationRuleSet struct {
	TimeZone  string               `json:"time_zone,omitempty"`
	Rules     []ClassificationRule `json:"rules"`
	Version   int64                `json:"version"`
	UpdatedAt *time.Time           `json:"updated_at,omitempty"`
	UpdatedBy string               `json:"updated_by,omitempty"`
	Broken    []RuleFailure        `json:"broken,omitempty"`
}

// RuleFailure is a rule that failed on alerts of the current version:
// how often, the last error and when.
type RuleFailure struct {
	Rule   string    `json:"rule"`
	Error  string    `json:"error"`
	Count  int64     `json:"count"`
	LastAt time.Time `json:"last_at"`
}

// ClassificationService keeps the classification and routing rules.
type ClassificationService interface {
	// ClassificationRules returns the rule set (empty rules on a new
	// database).
	ClassificationRules(ctx context.Context) (*ClassificationRuleSet, error)
	// SetClassificationRules replaces the rules and zone after checking
	// them: expressions compile (errors name the rule and position), the
	// services, teams and stakeholder groups they name exist, the zone is
	// known. ifVersion, when not zero, must be the current version
	// (CodeConflict otherwise), so two editors do not overwrite each other.
	SetClassificationRules(ctx context.Context, set ClassificationRuleSet, ifVersion int64) (*ClassificationRuleSet, error)
}

// RuleDecision is what the classification rules decided for one alert.
type RuleDecision struct {
	Level    string            `json:"level,omitempty"`
	Priority string            `json:"priority,omitempty"`
	Type     string            `json:"type,omitempty"`
	Service  string            `json:"service,omitempty"`
	Team     string            `json:"team,omitempty"`
	Urgency  string            `json:"urgency,omitempty"`
	Labels   map[string]string `json:"labels,omitempty"`
	Suppress bool              `json:"suppress,omitempty"`
	Notify   []string          `json:"notify,omitempty"`
	Private  bool              `json:"private,omitempty"`
	// Effects say which rule set what, in order ("sev SEV1 set by rule
	// 'payments-5xx'"); Failed the rules skipped because they failed.
	Effects []string      `json:"effects,omitempty"`
	Failed  []RuleFailure `json:"failed,omitempty"`
}

// BackTestInput asks how a changed rule set would have treated the alerts
// first seen from Since to Until, both included (default: the last 7
// days), at most Limit
// of them (default and maximum 100,000).
type BackTestInput struct {
	TimeZone string               `json:"time_zone,omitempty"`
	Rules    []ClassificationRule `json:"rules"`
	Since    *time.Time           `json:"since,omitempty"`
	Until    *time.Time           `json:"until,omitempty"`
	Limit    int                  `json:"limit,omitempty"`
}

// BackTestResult counts what would have changed and lists the alerts
// treated differently (the first MaxBackTestChanges of them).
type BackTestResult struct {
	Since        time.Time `json:"since"`
	Until        time.Time `json:"until"`
	Alerts       int       `json:"alerts"`
	Truncated    bool      `json:"truncated,omitempty"` // more alerts matched than the limit
	Changed      int       `json:"changed"`
	PagesAdded   int       `json:"pages_added"`
	PagesRemoved int       `json:"pages_removed"`
	// Failures counts rule failures under the changed rules.
	Failures int              `json:"failures"`
	Changes  []BackTestChange `json:"changes"`
}

// MaxBackTestChanges bounds the changes a back-test lists.
const MaxBackTestChanges = 500

// BackTestChange is one alert the changed rules treat differently.
type BackTestChange struct {
	AlertID   int64        `json:"alert_id"`
	ServiceID int64        `json:"service_id"`
	Service   string       `json:"service"`
	DedupKey  string       `json:"dedup_key"`
	Summary   string       `json:"summary"`
	FirstSeen time.Time    `json:"first_seen"`
	Fields    []string     `json:"fields"`
	Before    RuleDecision `json:"before"`
	After     RuleDecision `json:"after"`
}

// DryRun is every decision ingest would take on one event at one time,
// and who would be paged when, with nothing stored.
type DryRun struct {
	At          time.Time    `json:"at"`
	ServiceID   int64        `json:"service_id"`
	ServiceName string       `json:"service"`
	Rules       RuleDecision `json:"rules"`
	Result      EventResult  `json:"result"`
	// Decisions are the steps in words, in order (rules, dedup, holds,
	// grouping, paging).
	Decisions []string `json:"decisions"`
	// Pages are the escalation steps that would run, in time order.
	Pages []DryRunStep `json:"pages"`
}

// DryRunStep is one escalation run in a dry run: when, and its timeline
// lines ("Escalation step 1 of "Payments": paging Ana (sms)").
type DryRunStep struct {
	At    time.Time `json:"at"`
	Lines []string  `json:"lines"`
}

// RuleTestService dry-runs events and back-tests rule changes.
type RuleTestService interface {
	// DryRunEvent applies e as ingest would at at (zero: now), runs the
	// escalation it would start for up to a day, and rolls everything
	// back.
	DryRunEvent(ctx context.Context, e *Event, at time.Time) (*DryRun, error)
	// BackTestRules replays stored alerts through the saved rules and the
	// changed ones (checked as a save would).
	BackTestRules(ctx context.Context, in BackTestInput) (*BackTestResult, error)
}
