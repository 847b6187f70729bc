package vigil

import (
	"context"
	"encoding/json"
	"time"
)

// Alert statuses.
const (
	AlertFiring   = "firing"
	AlertResolved = "resolved"
)

// Link is a URL attached to an alert. Only http and https are accepted.
type Link struct {
	Href string `json:"href"`
	Text string `json:"text,omitempty"`
}

// Alert is one signal from a sender, deduplicated by (service, dedup key):
// at most one firing alert per pair.
type Alert struct {
	ID               int64             `json:"id"`
	ServiceID        int64             `json:"service_id"`
	IncidentID       int64             `json:"incident_id,omitempty"` // zero (absent) while the alert is held (see Held)
	IntegrationKeyID *int64            `json:"integration_key_id,omitempty"`
	DedupKey         string            `json:"dedup_key"`
	Summary          string            `json:"summary"`
	Details          json.RawMessage   `json:"details,omitempty"` // a JSON object
	Labels           map[string]string `json:"labels"`
	Links            []Link            `json:"links"`
	Severity         Severity          `json:"severity"`
	Source           string            `json:"source"`
	Status           string            `json:"status"`
	FirstSeen        time.Time         `json:"first_seen"`
	LastSeen         time.Time         `json:"last_seen"`
	ResolvedAt       *time.Time        `json:"resolved_at,omitempty"`
	// EndsAt is when a firing alert resolves on its own unless triggered
	// again (see Event.EndsAt).
	EndsAt      *time.Time `json:"ends_at,omitempty"`
	Occurrences int64      `json:"occurrences"`
	// SilencedBy is the silence that held the alert when it started firing
	// (it opened no incident); nil when none did. It stays set after the
	// alert resolves, and is cleared when the alert is released to an
	// incident because its silence ended.
	SilencedBy *int64 `json:"silenced_by,omitempty"`
	// HeldByWindow is the open maintenance window that held the alert
	// when it started firing (no incident until the window closes).
	HeldByWindow *int64 `json:"held_by_window,omitempty"`
	// InhibitedByRule and InhibitedByAlert are the inhibition rule and the
	// firing (source) alert that muted the alert when it started firing.
	InhibitedByRule  *int64 `json:"inhibited_by_rule,omitempty"`
	InhibitedByAlert *int64 `json:"inhibited_by_alert,omitempty"`
	// SuppressedBy names the classification rule that suppressed the
	// alert: recorded, never paged, until a re-send that the rule no
	// longer suppresses.
	SuppressedBy string `json:"suppressed_by,omitempty"`
	// PausedUntil is when the service's auto-pause lets the alert page if
	// it still fires. An alert that resolves while paused keeps it: it
	// was transient and paged no one.
	PausedUntil *time.Time `json:"paused_until,omitempty"`
	// Like SilencedBy, these stay set after the alert resolves while held,
	// and are cleared when the alert is released to an incident. At most
	// one kind of hold is set: a suppressing rule first, then a silence,
	// then a maintenance window, then an inhibition, then a pause.
}

// Held reports whether the alert is kept off incidents (it has none) by a
// classification rule, a silence, a maintenance window, an inhibition or
// its service's auto-pause, and which kind: "suppressed", "silence",
// "maintenance", "inhibited" or "paused".
func (a *Alert) Held() (string, bool) {
	if a.IncidentID != 0 {
		return "", false
	}
	switch {
	case a.SuppressedBy != "":
		return "suppressed", true
	case a.SilencedBy != nil:
		return "silence", true
	case a.HeldByWindow != nil:
		return "maintenance", true
	case a.InhibitedByRule != nil:
		return "inhibited", true
	case a.PausedUntil != nil:
		return "paused", true
	}
	return "", false
}

// AlertFilter selects alerts. Zero fields do not filter.
type AlertFilter struct {
	ServiceID  *int64
	IncidentID *int64
	Status     *string
	DedupKey   *string
	// Held selects the alerts held now (firing, in no incident, kept off
	// by a silence, window, inhibition or rule); HeldByWindow and
	// InhibitedByRule those a given window or inhibition rule holds now.
	Held            bool
	HeldByWindow    *int64
	InhibitedByRule *int64
	Offset          int
	Limit           int
}

// AlertService reads alerts. Alerts are written only through events.
type AlertService interface {
	// FindAlertByID returns CodeNotFound when there is no such alert.
	FindAlertByID(ctx context.Context, id int64) (*Alert, error)
	// FindAlerts lists alerts, newest first, with the total matching count
	// (capped: see MaxCountedTotal).
	FindAlerts(ctx context.Context, f AlertFilter) ([]*Alert, int, error)
	// FindFiringAlerts returns the firing alerts, of one service when
	// serviceID is above zero, oldest first, at most limit.
	FindFiringAlerts(ctx context.Context, serviceID int64, limit int) ([]*Alert, error)
	// ExpireAlerts resolves up to limit firing alerts whose EndsAt has
	// passed (as Vigil, with a timeline entry) and returns how many. It
	// also releases held alerts whose hold ended (see ReleaseHeldAlerts),
	// so the one periodic job does both.
	ExpireAlerts(ctx context.Context, limit int) (int, error)
	// ReleaseHeldAlerts handles up to limit firing alerts whose hold
	// ended: their silence ended, their maintenance window closed (by the
	// store's clock), the alert inhibiting them stopped firing, or the
	// window or rule holding them changed. Each is held again when
	// something else holds it now, or else opens or joins its incident and
	// pages as a new alert would. It returns how many it handled. Safe on
	// several replicas at once: each alert is re-checked in its
	// transaction, so it is released once.
	ReleaseHeldAlerts(ctx context.Context, limit int) (int, error)
}
