package vigil

import (
	"context"
	"encoding/json"
	"strings"
	"time"
)

// ChangeEvent is a change to a service reported by a sender (a deploy, a
// configuration push): PagerDuty's change events. It is context for
// responders, never an alert: it opens no incident.
type ChangeEvent struct {
	ID               int64  `json:"id"`
	ServiceID        int64  `json:"service_id"`
	IntegrationKeyID *int64 `json:"integration_key_id,omitempty"`
	Summary          string `json:"summary"`
	Source           string `json:"source"`
	// Timestamp is when the change happened: the sender's timestamp when
	// it gave one, else ReceivedAt.
	Timestamp time.Time `json:"timestamp"`
	// ReceivedAt is stamped by the store.
	ReceivedAt time.Time       `json:"received_at"`
	Details    json.RawMessage `json:"details,omitempty"` // a JSON object (custom_details)
	Links      []Link          `json:"links"`
}

// ChangeEventFilter selects change events. Since is inclusive, Until
// exclusive, both on Timestamp.
type ChangeEventFilter struct {
	ServiceID *int64
	Since     *time.Time
	Until     *time.Time
	Offset    int
	Limit     int // 0 means DefaultPageSize; capped at MaxPageSize
}

// The changes shown with an incident are its service's from
// IncidentChangeWindow before the incident was created to
// IncidentChangeSkew after: the hour before it, plus a minute for a
// sender whose clock runs a little ahead.
const (
	IncidentChangeWindow = time.Hour
	IncidentChangeSkew   = time.Minute
)

// IncidentChangeFilter selects the change events shown with inc.
func IncidentChangeFilter(inc *Incident) ChangeEventFilter {
	since, until := inc.CreatedAt.Add(-IncidentChangeWindow), inc.CreatedAt.Add(IncidentChangeSkew)
	return ChangeEventFilter{ServiceID: &inc.ServiceID, Since: &since, Until: &until}
}

// ChangeEventService keeps change events.
type ChangeEventService interface {
	// CreateChangeEvent validates and stores c, setting c.ID and
	// c.ReceivedAt (and c.Timestamp when zero). CodeInvalid,
	// CodeNotFound when the service does not exist.
	CreateChangeEvent(ctx context.Context, c *ChangeEvent) error
	// FindChangeEvents returns the matching change events, newest first by
	// Timestamp.
	FindChangeEvents(ctx context.Context, f ChangeEventFilter) ([]*ChangeEvent, error)
	// CountChangeEvents counts the change events f selects, ignoring its
	// Offset and Limit (capped: see MaxCountedTotal).
	CountChangeEvents(ctx context.Context, f ChangeEventFilter) (int, error)
}

// Validate checks a change event from outside.
func (c *ChangeEvent) Validate() error {
	if c.ServiceID <= 0 {
		return FieldError("service_id", "is required")
	}
	if strings.TrimSpace(c.Summary) == "" {
		return FieldError("summary", "is required")
	}
	if err := checkText("summary", c.Summary, MaxSummaryLen); err != nil {
		return err
	}
	if err := checkText("source", c.Source, MaxSourceLen); err != nil {
		return err
	}
	if len(c.Details) > 0 {
		if len(c.Details) > MaxDetailsLen {
			return FieldError("details", "must be at most %d bytes", MaxDetailsLen)
		}
		if d := strings.TrimLeft(string(c.Details), " \t\r\n"); d != "null" && !strings.HasPrefix(d, "{") {
			return FieldError("details", "must be an object")
		}
		if !json.Valid(c.Details) {
			return FieldError("details", "must be valid JSON")
		}
	}
	if len(c.Links) > MaxLinks {
		return FieldError("links", "at most %d links", MaxLinks)
	}
	for _, l := range c.Links {
		if err := ValidateLink(l.Href); err != nil {
			return err
		}
		if err := checkText("links.text", l.Text, MaxSummaryLen); err != nil {
			return err
		}
	}
	return nil
}
