package vigil

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Incident statuses: triggered → acknowledged → resolved, and reopen.
const (
	IncidentTriggered    = "triggered"
	IncidentAcknowledged = "acknowledged"
	IncidentResolved     = "resolved"
)

// IncidentStatuses lists every status in lifecycle order.
var IncidentStatuses = []string{IncidentTriggered, IncidentAcknowledged, IncidentResolved}

// Incident is something a team responds to; its ID is the number people
// say ("#42").
type Incident struct {
	ID             int64      `json:"id"`
	Title          string     `json:"title"`
	Description    string     `json:"description"`
	ServiceID      int64      `json:"service_id"`
	ServiceName    string     `json:"service_name"`
	Severity       Severity   `json:"severity"`
	Status         string     `json:"status"`
	GroupKey       string     `json:"group_key,omitempty"`
	AlertCount     int        `json:"alert_count"`
	CreatedAt      time.Time  `json:"created_at"`
	CreatedBy      string     `json:"created_by"`
	AcknowledgedAt *time.Time `json:"acknowledged_at,omitempty"`
	AcknowledgedBy string     `json:"acknowledged_by,omitempty"`
	ResolvedAt     *time.Time `json:"resolved_at,omitempty"`
	ResolvedBy     string     `json:"resolved_by,omitempty"`
	UpdatedAt      time.Time  `json:"updated_at"`
	// What the classification rules decided when the incident opened
	// (empty: nothing): Level SEV1–SEV4, Priority P1–P5, Type (outage,
	// degradation, security, data, other), Urgency (low waits for
	// business hours), and whether the incident is private.
	Level    string `json:"level,omitempty"`
	Priority string `json:"priority,omitempty"`
	Type     string `json:"type,omitempty"`
	Urgency  string `json:"urgency,omitempty"`
	Private  bool   `json:"private,omitempty"`
}

// Number is how people name an incident: "#42".
func (i *Incident) Number() string { return fmt.Sprintf("#%d", i.ID) }

// Open reports whether the incident is not resolved.
func (i *Incident) Open() bool { return i.Status != IncidentResolved }

// Limits of incident text.
const (
	MaxTitleLen = 1024
	MaxNoteLen  = 64 * 1024
)

// IncidentDeclaration is an incident opened by hand, without an alert.
type IncidentDeclaration struct {
	ServiceID   int64    `json:"service_id"`
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Severity    Severity `json:"severity,omitempty"`
}

// Validate checks a declaration; Severity defaults to error.
func (d *IncidentDeclaration) Validate() error {
	if d.ServiceID <= 0 {
		return FieldError("service_id", "is required")
	}
	if strings.TrimSpace(d.Title) == "" {
		return FieldError("title", "is required")
	}
	if err := checkText("title", d.Title, MaxTitleLen); err != nil {
		return err
	}
	if err := checkText("description", d.Description, MaxDescriptionLen); err != nil {
		return err
	}
	if d.Severity == "" {
		d.Severity = SeverityError
	}
	if !d.Severity.Valid() {
		return FieldError("severity", "must be one of critical, error, warning, info")
	}
	return nil
}

// IncidentUpdate is a partial update; nil fields stay as they are.
type IncidentUpdate struct {
	Title    *string   `json:"title,omitempty"`
	Severity *Severity `json:"severity,omitempty"`
	// Private hides the incident from everyone but its responders, its
	// team's managers, the security group and admins (see Viewer). Only
	// they may change it.
	Private *bool `json:"private,omitempty"`
}

// Validate checks the fields that are set.
func (u *IncidentUpdate) Validate() error {
	if u.Title != nil {
		if strings.TrimSpace(*u.Title) == "" {
			return FieldError("title", "must not be empty")
		}
		if err := checkText("title", *u.Title, MaxTitleLen); err != nil {
			return err
		}
	}
	if u.Severity != nil && !u.Severity.Valid() {
		return FieldError("severity", "must be one of critical, error, warning, info")
	}
	return nil
}

// IncidentFilter selects incidents. Zero fields do not filter.
type IncidentFilter struct {
	Statuses  []string // any of
	ServiceID *int64
	Severity  *Severity
	Since     *time.Time // created at or after
	Until     *time.Time // created before
	Query     string     // text in the title (case-insensitive)
	Offset    int
	Limit     int // 0 means DefaultPageSize; capped at MaxPageSize
}

// MaxCountedTotal caps the totals of list calls: counting stops after
// MaxCountedTotal+1 matches, so a total above MaxCountedTotal means "more
// than MaxCountedTotal".
const MaxCountedTotal = 10000

// Page sizes of list calls.
const (
	DefaultPageSize = 50
	MaxPageSize     = 500
)

// PageLimit returns the effective limit for a requested one.
func PageLimit(limit int) int {
	if limit <= 0 {
		return DefaultPageSize
	}
	if limit > MaxPageSize {
		return MaxPageSize
	}
	return limit
}

// IncidentService runs the incident lifecycle. Every change writes a
// timeline entry with the actor from the context, in the same transaction.
type IncidentService interface {
	// FindIncidentByID returns CodeNotFound when there is no such incident.
	FindIncidentByID(ctx context.Context, id int64) (*Incident, error)
	// FindIncidents lists incidents, newest first, with the total count
	// (capped: see MaxCountedTotal).
	FindIncidents(ctx context.Context, f IncidentFilter) ([]*Incident, int, error)
	// DeclareIncident opens an incident by hand. CodeInvalid, CodeNotFound
	// (service).
	DeclareIncident(ctx context.Context, d IncidentDeclaration) (*Incident, error)
	// AcknowledgeIncident moves a triggered incident to acknowledged;
	// acknowledging again changes nothing. CodeConflict when resolved.
	AcknowledgeIncident(ctx context.Context, id int64) (*Incident, error)
	// ResolveIncident resolves the incident and its firing alerts;
	// resolving again changes nothing.
	ResolveIncident(ctx context.Context, id int64) (*Incident, error)
	// ReopenIncident moves a resolved incident back to triggered.
	// CodeConflict when it is not resolved.
	ReopenIncident(ctx context.Context, id int64) (*Incident, error)
	// UpdateIncident changes title, severity or privacy. CodeForbidden
	// when the caller may not change privacy.
	UpdateIncident(ctx context.Context, id int64, u IncidentUpdate) (*Incident, error)
	// AddNote appends a note to the timeline. CodeInvalid when empty.
	AddNote(ctx context.Context, id int64, body string) (*TimelineEntry, error)
	// FindTimeline returns the incident's timeline, oldest first.
	FindTimeline(ctx context.Context, id int64) ([]*TimelineEntry, error)
}

// Timeline entry kinds.
const (
	EntryCreated         = "created"
	EntryAlertJoined     = "alert_joined"
	EntryAlertResolved   = "alert_resolved"
	EntryAcknowledged    = "acknowledged"
	EntryResolved        = "resolved"
	EntryReopened        = "reopened"
	EntryNote            = "note"
	EntrySeverityChanged = "severity_changed"
	EntryTitleChanged    = "title_changed"
	EntryEscalation      = "escalation"    // a step fired, was skipped or reached no one
	EntryNotification    = "notification"  // a message was delivered or failed
	EntryFlapping        = "flapping"      // an alert started or stopped flapping
	EntryVisibility      = "visibility"    // made private or public
	EntryRoleAssigned    = "role_assigned" // an incident role was given or cleared
)

// TimelineEntry is one line of an incident's append-only history.
type TimelineEntry struct {
	ID         int64           `json:"id"`
	IncidentID int64           `json:"incident_id"`
	At         time.Time       `json:"at"`
	Kind       string          `json:"kind"`
	Actor      string          `json:"actor"`
	ActorKind  string          `json:"actor_kind"`
	Source     string          `json:"source"`
	Message    string          `json:"message"`
	Data       json.RawMessage `json:"data,omitempty"`
}
