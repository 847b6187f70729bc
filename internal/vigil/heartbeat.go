package vigil

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Heartbeat interval units (Opsgenie's words).
const (
	IntervalMinutes = "minutes"
	IntervalHours   = "hours"
	IntervalDays    = "days"
)

// Limits of a heartbeat. Name and description follow Opsgenie's limits, in
// characters; the alert fields follow the alert limits.
const (
	MaxHeartbeatNameLen        = 200
	MaxHeartbeatDescriptionLen = 10000
	MaxHeartbeatTags           = 20
	MaxHeartbeatTagLen         = 50
	// MaxHeartbeatPeriod bounds interval × unit: a yearly job with a day
	// of slack still fits.
	MaxHeartbeatPeriod = 366 * 24 * time.Hour
)

// HeartbeatSource is the source of the alerts that expired heartbeats raise.
const HeartbeatSource = "heartbeat"

// Heartbeat is a periodic check-in a job promises to send (Opsgenie's
// heartbeats): when an enabled heartbeat is not pinged for its interval it
// expires, and its expiry raises an alert on its service; the next ping
// resolves that alert. Names are unique per service.
type Heartbeat struct {
	ID          int64  `json:"id"`
	ServiceID   int64  `json:"service_id"`
	ServiceName string `json:"service_name"`
	Name        string `json:"name"`
	Description string `json:"description"`
	// Interval and IntervalUnit (minutes, hours, days) give the period
	// within which a ping is expected.
	Interval     int    `json:"interval"`
	IntervalUnit string `json:"interval_unit"`
	Enabled      bool   `json:"enabled"`
	// Expired is true from the expiry until the next ping (or until the
	// heartbeat is disabled, renamed or rescheduled).
	Expired bool `json:"expired"`
	// AlertMessage is the summary of the expiry alert; "<name> is
	// expired" when empty.
	AlertMessage string `json:"alert_message"`
	// AlertTags become labels "tag:<tag>" of the expiry alert.
	AlertTags []string `json:"alert_tags"`
	// AlertPriority (P1..P5, default P3) sets the alert's severity as an
	// Opsgenie alert's priority does.
	AlertPriority string     `json:"alert_priority"`
	LastPingAt    *time.Time `json:"last_ping_at,omitempty"`
	// DueAt is when an enabled heartbeat expires unless pinged first. The
	// countdown restarts at creation, at each ping, and when the name,
	// interval or enabled state changes.
	DueAt     time.Time  `json:"due_at"`
	ExpiredAt *time.Time `json:"expired_at,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
}

// Period is how long the heartbeat may go without a ping: Interval in
// IntervalUnit (0 for an unknown unit).
func (h *Heartbeat) Period() time.Duration {
	return HeartbeatPeriod(h.Interval, h.IntervalUnit)
}

// HeartbeatPeriod is interval in unit, or 0 for an unknown unit or a
// period beyond MaxHeartbeatPeriod (which would overflow).
func HeartbeatPeriod(interval int, unit string) time.Duration {
	var u time.Duration
	switch unit {
	case IntervalMinutes:
		u = time.Minute
	case IntervalHours:
		u = time.Hour
	case IntervalDays:
		u = 24 * time.Hour
	default:
		return 0
	}
	if interval <= 0 || int64(interval) > int64(MaxHeartbeatPeriod/u) {
		return 0
	}
	return time.Duration(interval) * u
}

// Normalize fills defaults and tidies what senders send: trimmed name,
// lower-case unit, upper-case priority (P3 when empty), tags trimmed with
// empty and repeated ones dropped.
func (h *Heartbeat) Normalize() {
	h.Name = strings.TrimSpace(h.Name)
	h.IntervalUnit = strings.ToLower(strings.TrimSpace(h.IntervalUnit))
	h.AlertPriority = strings.ToUpper(strings.TrimSpace(h.AlertPriority))
	if h.AlertPriority == "" {
		h.AlertPriority = "P3"
	}
	h.AlertTags = NormalizeTags(h.AlertTags)
}

// NormalizeTags trims tags and drops empty and repeated ones; never nil.
func NormalizeTags(tags []string) []string {
	out := make([]string, 0, len(tags))
	seen := map[string]bool{}
	for _, t := range tags {
		t = strings.TrimSpace(t)
		if t == "" || seen[t] {
			continue
		}
		seen[t] = true
		out = append(out, t)
	}
	return out
}

// Validate checks a normalized heartbeat. Errors name the field in the
// API's words (interval_unit, alert_tags, ...).
func (h *Heartbeat) Validate() error {
	if h.ServiceID <= 0 {
		return FieldError("service_id", "is required")
	}
	if err := ValidateHeartbeatName(h.Name); err != nil {
		return err
	}
	if err := checkChars("description", h.Description, MaxHeartbeatDescriptionLen); err != nil {
		return err
	}
	switch h.IntervalUnit {
	case IntervalMinutes, IntervalHours, IntervalDays:
	default:
		return FieldError("interval_unit", "must be one of minutes, hours, days")
	}
	if h.Interval < 1 {
		return FieldError("interval", "must be at least 1")
	}
	if h.Period() == 0 {
		return FieldError("interval", "must be at most %d days in all", int(MaxHeartbeatPeriod/(24*time.Hour)))
	}
	if err := checkText("alert_message", h.AlertMessage, MaxSummaryLen); err != nil {
		return err
	}
	if len(h.AlertTags) > MaxHeartbeatTags {
		return FieldError("alert_tags", "at most %d tags", MaxHeartbeatTags)
	}
	for _, t := range h.AlertTags {
		if strings.TrimSpace(t) == "" {
			return FieldError("alert_tags", "tags must not be empty")
		}
		if err := checkChars("alert_tags", t, MaxHeartbeatTagLen); err != nil {
			return err
		}
	}
	if _, ok := PrioritySeverity(h.AlertPriority); !ok {
		return FieldError("alert_priority", "must be one of P1, P2, P3, P4, P5")
	}
	return nil
}

// ValidateHeartbeatName checks a trimmed heartbeat name: 1 to 200
// characters, no control characters.
func ValidateHeartbeatName(name string) error {
	if name == "" {
		return FieldError("name", "is required")
	}
	if err := checkChars("name", name, MaxHeartbeatNameLen); err != nil {
		return err
	}
	if strings.IndexFunc(name, unicode.IsControl) >= 0 {
		return FieldError("name", "must not contain control characters")
	}
	return nil
}

// checkChars is checkText with the limit in characters.
func checkChars(field, s string, max int) error {
	if err := checkText(field, s, 4*max); err != nil {
		return err
	}
	if utf8.RuneCountInString(s) > max {
		return FieldError(field, "must be at most %d characters", max)
	}
	return nil
}

// PrioritySeverity maps an Opsgenie priority to a severity: P1 critical,
// P2 error, P3 warning, P4 and P5 info (the mapping of Opsgenie alerts).
func PrioritySeverity(priority string) (Severity, bool) {
	switch priority {
	case "P1":
		return SeverityCritical, true
	case "P2":
		return SeverityError, true
	case "P3":
		return SeverityWarning, true
	case "P4", "P5":
		return SeverityInfo, true
	}
	return "", false
}

// HeartbeatDedupKey is the dedup key of a heartbeat's expiry alert:
// "heartbeat:<name>", or "heartbeat:" + the sha256 hex of the name when
// that would not fit MaxDedupKeyLen.
func HeartbeatDedupKey(name string) string {
	key := "heartbeat:" + name
	if len(key) <= MaxDedupKeyLen {
		return key
	}
	sum := sha256.Sum256([]byte(name))
	return "heartbeat:" + hex.EncodeToString(sum[:])
}

// ExpiryEvent is the trigger the heartbeat's expiry sends, normalized and
// valid for a valid heartbeat.
func (h *Heartbeat) ExpiryEvent() *Event {
	summary := strings.TrimSpace(h.AlertMessage)
	if summary == "" {
		summary = h.Name + " is expired" // at most 811 bytes: fits MaxSummaryLen
	}
	sev, ok := PrioritySeverity(h.AlertPriority)
	if !ok {
		sev = SeverityWarning
	}
	labels := map[string]string{"heartbeat": h.Name, "priority": h.AlertPriority}
	for _, t := range h.AlertTags {
		labels["tag:"+t] = "true"
	}
	details := map[string]any{
		"heartbeat":    h.Name,
		"interval":     h.Interval,
		"intervalUnit": h.IntervalUnit,
		"dueAt":        h.DueAt.UTC().Format(time.RFC3339Nano),
	}
	if h.Description != "" {
		details["description"] = h.Description
	}
	if h.LastPingAt != nil {
		details["lastPingTime"] = h.LastPingAt.UTC().Format(time.RFC3339Nano)
	}
	raw, _ := json.Marshal(details) // plain strings and numbers: cannot fail
	e := &Event{ServiceID: h.ServiceID, Action: ActionTrigger, DedupKey: HeartbeatDedupKey(h.Name),
		Summary: summary, Severity: sev, Source: HeartbeatSource, Labels: labels, Details: raw}
	e.Normalize()
	return e
}

// ResolveEvent is the resolve of the heartbeat's expiry alert.
func (h *Heartbeat) ResolveEvent() *Event {
	e := &Event{ServiceID: h.ServiceID, Action: ActionResolve, DedupKey: HeartbeatDedupKey(h.Name), Source: HeartbeatSource}
	e.Normalize()
	return e
}

// HeartbeatUpdate is a partial update; nil fields stay as they are.
type HeartbeatUpdate struct {
	Name          *string   `json:"name,omitempty"`
	Description   *string   `json:"description,omitempty"`
	Interval      *int      `json:"interval,omitempty"`
	IntervalUnit  *string   `json:"interval_unit,omitempty"`
	Enabled       *bool     `json:"enabled,omitempty"`
	AlertMessage  *string   `json:"alert_message,omitempty"`
	AlertTags     *[]string `json:"alert_tags,omitempty"`
	AlertPriority *string   `json:"alert_priority,omitempty"`
}

// Apply sets the fields of u on h and normalizes it. It reports whether
// the heartbeat's countdown restarts: when its name (and so its alert),
// period or enabled state changed.
func (u HeartbeatUpdate) Apply(h *Heartbeat) (restart bool) {
	old := *h
	if u.Name != nil {
		h.Name = *u.Name
	}
	if u.Description != nil {
		h.Description = *u.Description
	}
	if u.Interval != nil {
		h.Interval = *u.Interval
	}
	if u.IntervalUnit != nil {
		h.IntervalUnit = *u.IntervalUnit
	}
	if u.Enabled != nil {
		h.Enabled = *u.Enabled
	}
	if u.AlertMessage != nil {
		h.AlertMessage = *u.AlertMessage
	}
	if u.AlertTags != nil {
		h.AlertTags = *u.AlertTags
	}
	if u.AlertPriority != nil {
		h.AlertPriority = *u.AlertPriority
	}
	h.Normalize()
	return h.Name != old.Name || h.Period() != old.Period() || h.Enabled != old.Enabled
}

// HeartbeatFilter selects heartbeats. Zero fields do not filter.
type HeartbeatFilter struct {
	ServiceID *int64
	Offset    int
	Limit     int // 0 means DefaultPageSize; capped at MaxPageSize
}

// HeartbeatService keeps heartbeats and turns missed ones into alerts.
// Every method that raises or resolves an expiry alert does it in the same
// transaction as the heartbeat's change, through the event path (dedup,
// grouping, timeline), with the actor from the context.
type HeartbeatService interface {
	// CreateHeartbeat normalizes, validates and stores h, filling its ID,
	// times and DueAt (now + period: no alert before the first interval
	// has passed). CodeInvalid, CodeNotFound (service), CodeConflict
	// (the service has a heartbeat of that name).
	CreateHeartbeat(ctx context.Context, h *Heartbeat) error
	// FindHeartbeatByID returns CodeNotFound when there is none.
	FindHeartbeatByID(ctx context.Context, id int64) (*Heartbeat, error)
	// FindHeartbeatByName returns the service's heartbeat of that name;
	// CodeNotFound when there is none.
	FindHeartbeatByName(ctx context.Context, serviceID int64, name string) (*Heartbeat, error)
	// FindHeartbeats lists heartbeats by service and name with the total
	// matching count (capped: see MaxCountedTotal).
	FindHeartbeats(ctx context.Context, f HeartbeatFilter) ([]*Heartbeat, int, error)
	// UpdateHeartbeat applies u. When the countdown restarts (see
	// HeartbeatUpdate.Apply) an expired heartbeat is no longer expired and
	// its alert is resolved. CodeNotFound, CodeInvalid, CodeConflict (name).
	UpdateHeartbeat(ctx context.Context, id int64, u HeartbeatUpdate) (*Heartbeat, error)
	// DeleteHeartbeat removes a heartbeat, resolving its alert when it had
	// expired. CodeNotFound.
	DeleteHeartbeat(ctx context.Context, id int64) error
	// PingHeartbeat records a ping: LastPingAt and the countdown restart at
	// now, and an expired heartbeat is no longer expired and its alert is
	// resolved. Disabled heartbeats take pings too. CodeNotFound.
	PingHeartbeat(ctx context.Context, id int64) (*Heartbeat, error)
	// ExpireHeartbeats expires every enabled heartbeat whose DueAt has
	// passed and raises its alert, each in one transaction whose
	// conditional update lets only one caller (of any replica) expire a
	// heartbeat once. It returns how many this call expired.
	ExpireHeartbeats(ctx context.Context) (int, error)
}
