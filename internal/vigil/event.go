package vigil

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

// Event actions.
const (
	ActionTrigger     = "trigger"
	ActionAcknowledge = "acknowledge"
	ActionResolve     = "resolve"
)

// Field limits of an event. A field over its limit is refused with a 400
// naming it, never truncated silently.
const (
	MaxSummaryLen    = 1024
	MaxDedupKeyLen   = 255
	MaxSourceLen     = 255
	MaxLabels        = 64
	MaxLabelNameLen  = 255
	MaxLabelValueLen = 4096
	MaxLinks         = 32
	MaxLinkLen       = 2048
	MaxDetailsLen    = 512 * 1024
)

// Event is one thing a sender says about an alert, already decoded from its
// wire format and bound to a service by its integration key.
type Event struct {
	ServiceID        int64             `json:"-"`
	IntegrationKeyID *int64            `json:"-"`
	Action           string            `json:"action"`
	DedupKey         string            `json:"dedup_key"`
	Summary          string            `json:"summary"`
	Severity         Severity          `json:"severity"`
	Source           string            `json:"source"`
	Details          json.RawMessage   `json:"details,omitempty"`
	Labels           map[string]string `json:"labels,omitempty"`
	Links            []Link            `json:"links,omitempty"`
	// EndsAt, on a trigger, is when the alert resolves on its own unless
	// it is triggered again first (Alertmanager's endsAt and resolve
	// timeout). Nil: it fires until resolved. A later trigger without it
	// clears the expiry.
	EndsAt *time.Time `json:"ends_at,omitempty"`
	// Expiry marks a resolve Vigil sends itself because the alert's EndsAt
	// passed: it resolves the alert only if EndsAt is still past when the
	// transaction runs (a re-send in between wins).
	Expiry bool `json:"-"`
	// GroupKey, when set by a wire adapter (Alertmanager's groupKey), is the
	// incident grouping key and overrides the service's grouping rule.
	GroupKey string `json:"-"`
}

// EventResult says what one event did.
type EventResult struct {
	Action     string `json:"action"`
	DedupKey   string `json:"dedup_key"`
	AlertID    int64  `json:"alert_id,omitempty"`
	AlertNew   bool   `json:"alert_new"`
	IncidentID int64  `json:"incident_id,omitempty"`
	// IncidentNew is true when this event opened the incident.
	IncidentNew bool `json:"incident_new"`
	// Changed is false when the event changed nothing (an acknowledge or
	// resolve for a key with no firing alert, or an alert already resolved).
	Changed bool `json:"changed"`
	// SilencedBy is the silence holding the alert: it is stored but opened
	// or joined no incident.
	SilencedBy int64 `json:"silenced_by,omitempty"`
	// HeldByWindow is the open maintenance window holding the alert, when
	// no silence does.
	HeldByWindow int64 `json:"held_by_window,omitempty"`
	// InhibitedByRule and InhibitedByAlert say which inhibition rule and
	// which firing alert mute the alert, when nothing above holds it.
	InhibitedByRule  int64 `json:"inhibited_by_rule,omitempty"`
	InhibitedByAlert int64 `json:"inhibited_by_alert,omitempty"`
	// SuppressedBy names the classification rule that suppressed the
	// alert (stored, no incident, no page).
	SuppressedBy string `json:"suppressed_by,omitempty"`
	// PausedUntil is when the service's auto-pause lets the alert page,
	// when nothing above holds it.
	PausedUntil *time.Time `json:"paused_until,omitempty"`
	// RoutedTo is the service the alert went to, when a classification
	// rule routed it away from the one it was sent to.
	RoutedTo int64 `json:"routed_to_service_id,omitempty"`
}

// Held reports whether the alert of the result is kept off incidents.
func (r *EventResult) Held() bool {
	return r.SuppressedBy != "" || r.SilencedBy != 0 || r.HeldByWindow != 0 || r.InhibitedByRule != 0 || r.PausedUntil != nil
}

// Normalize fills defaults: action trigger, severity error.
func (e *Event) Normalize() {
	if e.Action == "" {
		e.Action = ActionTrigger
	}
	if e.Severity == "" {
		e.Severity = SeverityError
	}
	e.Action = strings.ToLower(e.Action)
	e.Severity = Severity(strings.ToLower(string(e.Severity)))
}

// Validate checks an event's fields against their limits. It expects
// Normalize to have run and DedupKey to be set (or derivable: a trigger
// without one needs a summary).
func (e *Event) Validate() error {
	switch e.Action {
	case ActionTrigger, ActionAcknowledge, ActionResolve:
	default:
		return FieldError("action", "must be one of trigger, acknowledge, resolve")
	}
	if e.Action == ActionTrigger && strings.TrimSpace(e.Summary) == "" {
		return FieldError("summary", "is required for a trigger")
	}
	if e.Action != ActionTrigger && e.DedupKey == "" && e.Summary == "" {
		return FieldError("dedup_key", "is required for %s", e.Action)
	}
	if err := checkText("summary", e.Summary, MaxSummaryLen); err != nil {
		return err
	}
	if err := checkText("dedup_key", e.DedupKey, MaxDedupKeyLen); err != nil {
		return err
	}
	if err := checkText("source", e.Source, MaxSourceLen); err != nil {
		return err
	}
	if !e.Severity.Valid() {
		return FieldError("severity", "must be one of critical, error, warning, info")
	}
	if len(e.Details) > 0 {
		if len(e.Details) > MaxDetailsLen {
			return FieldError("details", "must be at most %d bytes", MaxDetailsLen)
		}
		if d := strings.TrimLeft(string(e.Details), " \t\r\n"); d != "null" && !strings.HasPrefix(d, "{") {
			return FieldError("details", "must be an object")
		}
	}
	if len(e.Labels) > MaxLabels {
		return FieldError("labels", "at most %d labels", MaxLabels)
	}
	for k, v := range e.Labels {
		if k == "" {
			return FieldError("labels", "label names must not be empty")
		}
		if err := checkText("labels", k, MaxLabelNameLen); err != nil {
			return err
		}
		if err := checkText("labels."+k, v, MaxLabelValueLen); err != nil {
			return err
		}
	}
	if len(e.Links) > MaxLinks {
		return FieldError("links", "at most %d links", MaxLinks)
	}
	for _, l := range e.Links {
		if err := ValidateLink(l.Href); err != nil {
			return err
		}
		if err := checkText("links.text", l.Text, MaxSummaryLen); err != nil {
			return err
		}
	}
	return nil
}

// ValidateLink accepts only absolute http and https URLs, so a link can
// never run script in a browser (javascript:, data:).
func ValidateLink(href string) error {
	if len(href) > MaxLinkLen {
		return FieldError("links.href", "must be at most %d bytes", MaxLinkLen)
	}
	u, err := url.Parse(href)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return FieldError("links.href", "must be an absolute http or https URL")
	}
	return nil
}

// ValidateText checks free text from outside: at most max bytes, valid
// UTF-8, no NUL (which PostgreSQL cannot store). The error names field.
func ValidateText(field, s string, max int) error { return checkText(field, s, max) }

func checkText(field, s string, max int) error {
	if len(s) > max {
		return FieldError(field, "must be at most %d bytes", max)
	}
	if !utf8.ValidString(s) {
		return FieldError(field, "must be valid UTF-8")
	}
	if strings.IndexByte(s, 0) >= 0 {
		// PostgreSQL text cannot hold NUL; refuse it on both backends alike.
		return FieldError(field, "must not contain NUL characters")
	}
	return nil
}

// EventService applies events. It is the only writer of alerts.
type EventService interface {
	// ProcessEvents applies events in order, atomically: when it returns
	// without error every result is committed to disk. Events must already
	// be normalized and valid, with DedupKey set. CodeUnavailable when the
	// database cannot be reached.
	ProcessEvents(ctx context.Context, events []*Event) ([]EventResult, error)
}
