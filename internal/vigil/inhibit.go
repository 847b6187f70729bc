package vigil

import (
	"context"
	"strconv"
	"strings"
)

// InhibitRule mutes alerts while another fires, like Alertmanager's
// inhibit_rules: when an alert matching Source fires, alerts matching
// Target that have the same values of the Equal labels (absent counts as
// the same empty value) are recorded but do not page. The muted alert
// shows which rule and which alert muted it.
type InhibitRule struct {
	ID     int64    `json:"id"`
	Name   string   `json:"name"`
	Source []string `json:"source_matchers"`
	Target []string `json:"target_matchers"`
	Equal  []string `json:"equal,omitempty"`
}

// Validate checks the rule's own fields; the matchers' syntax is checked
// by the triage package, which parses them.
func (r *InhibitRule) Validate() error {
	r.Name = strings.TrimSpace(r.Name)
	if r.Name == "" {
		return FieldError("name", "is required")
	}
	if err := checkText("name", r.Name, 200); err != nil {
		return err
	}
	if len(r.Source) == 0 {
		return FieldError("source_matchers", "give at least one matcher")
	}
	if len(r.Target) == 0 {
		return FieldError("target_matchers", "give at least one matcher")
	}
	if len(r.Source) > MaxInhibitMatchers {
		return FieldError("source_matchers", "at most %d matchers", MaxInhibitMatchers)
	}
	if len(r.Target) > MaxInhibitMatchers {
		return FieldError("target_matchers", "at most %d matchers", MaxInhibitMatchers)
	}
	if len(r.Equal) > MaxInhibitEqual {
		return FieldError("equal", "at most %d labels", MaxInhibitEqual)
	}
	for i, l := range r.Equal {
		if strings.TrimSpace(l) == "" {
			return FieldError("equal["+strconv.Itoa(i)+"]", "must be a label name")
		}
		if err := checkText("equal["+strconv.Itoa(i)+"]", l, MaxLabelNameLen); err != nil {
			return err
		}
	}
	return nil
}

// Limits of an inhibition rule.
const (
	MaxInhibitMatchers = 64
	MaxInhibitEqual    = 64
)

// InhibitRuleService keeps inhibition rules. Rules apply across every
// service: a new alert that a rule's target matchers match, while a firing
// alert matching its source matchers (and sharing the Equal labels) exists,
// is stored with InhibitedByRule and InhibitedByAlert set and no incident.
// When that source alert stops firing (or the rule is changed or deleted
// so that nothing mutes it), the alert opens or joins its incident and
// pages, if it still fires.
type InhibitRuleService interface {
	// CreateInhibitRule validates and stores r, filling ID. CodeInvalid
	// naming the field (source_matchers[0]), CodeConflict (name taken).
	CreateInhibitRule(ctx context.Context, r *InhibitRule) error
	// UpdateInhibitRule replaces rule r.ID; the alerts it mutes are
	// checked again at once. CodeNotFound, CodeInvalid, CodeConflict.
	UpdateInhibitRule(ctx context.Context, r *InhibitRule) error
	// FindInhibitRule returns one rule; CodeNotFound.
	FindInhibitRule(ctx context.Context, id int64) (*InhibitRule, error)
	// ListInhibitRules lists every rule by name.
	ListInhibitRules(ctx context.Context) ([]*InhibitRule, error)
	// DeleteInhibitRule removes it; the alerts it muted page (unless
	// something else holds them). CodeNotFound.
	DeleteInhibitRule(ctx context.Context, id int64) error
}
