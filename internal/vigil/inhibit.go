package vigil

import (
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
	for i, l := range r.Equal {
		if strings.TrimSpace(l) == "" {
			return FieldError("equal["+strconv.Itoa(i)+"]", "must be a label name")
		}
	}
	return nil
}
