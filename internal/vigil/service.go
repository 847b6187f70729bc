package vigil

import (
	"context"
	"time"
)

// Grouping modes decide which open incident a new alert joins.
const (
	// GroupByTime joins the newest open incident of the service created
	// within Window (default 5 minutes).
	GroupByTime = "time"
	// GroupByLabels joins the open incident whose alerts share the values
	// of Labels.
	GroupByLabels = "labels"
	// GroupNone opens one incident per alert.
	GroupNone = "none"
)

// DefaultGroupWindow is the time window of GroupByTime when none is set.
const DefaultGroupWindow = 5 * time.Minute

// GroupingRule is a service's rule for attaching new alerts to incidents.
type GroupingRule struct {
	Mode   string   `json:"mode"`
	Window Duration `json:"window,omitempty"`
	Labels []string `json:"labels,omitempty"`
	// Storm is the service's storm protection; nil means DefaultStorm.
	Storm *StormLimit `json:"storm,omitempty"`
}

// StormLimit is storm protection: once a service has opened Incidents
// incidents within Window, a new alert that would open another joins the
// service's newest open incident instead (with a timeline note), so a
// storm pages once rather than once per alert. Incidents 0 turns it off.
type StormLimit struct {
	Incidents int      `json:"incidents"`
	Window    Duration `json:"window"`
}

// DefaultStorm applies to services that set no storm limit.
var DefaultStorm = StormLimit{Incidents: 20, Window: Duration(10 * time.Minute)}

// StormOrDefault is the rule's storm limit, or DefaultStorm.
func (r GroupingRule) StormOrDefault() StormLimit {
	if r.Storm == nil {
		return DefaultStorm
	}
	return *r.Storm
}

// Validate checks the rule; field names are prefixed with "grouping.".
func (r GroupingRule) Validate() error {
	if st := r.Storm; st != nil {
		if st.Incidents < 0 || st.Incidents > 10000 {
			return FieldError("grouping.storm.incidents", "must be between 0 (off) and 10000")
		}
		if st.Incidents > 0 && (time.Duration(st.Window) < time.Minute || time.Duration(st.Window) > 24*time.Hour) {
			return FieldError("grouping.storm.window", "must be between 1m and 24h")
		}
	}
	switch r.Mode {
	case GroupByTime:
		if r.Window < 0 || time.Duration(r.Window) > 7*24*time.Hour {
			return FieldError("grouping.window", "must be between 0 and 168h")
		}
	case GroupByLabels:
		if len(r.Labels) == 0 {
			return FieldError("grouping.labels", "at least one label name is required when mode is %q", GroupByLabels)
		}
		if len(r.Labels) > MaxLabels {
			return FieldError("grouping.labels", "at most %d label names", MaxLabels)
		}
		for _, l := range r.Labels {
			if l == "" || len(l) > MaxLabelNameLen {
				return FieldError("grouping.labels", "label names must be 1 to %d bytes", MaxLabelNameLen)
			}
		}
	case GroupNone:
	default:
		return FieldError("grouping.mode", "must be one of %q, %q, %q", GroupByTime, GroupByLabels, GroupNone)
	}
	return nil
}

// Service is something that can break: alerts and incidents belong to one.
type Service struct {
	ID          int64        `json:"id"`
	Name        string       `json:"name"`
	Description string       `json:"description"`
	Grouping    GroupingRule `json:"grouping"`
	// AutoResolve resolves an incident when all of its alerts have resolved.
	AutoResolve bool `json:"auto_resolve"`
	// TeamID is the owning team and EscalationPolicyID the policy that
	// pages for the service's incidents; 0 when unset (no one is paged).
	TeamID             int64 `json:"team_id,omitempty"`
	EscalationPolicyID int64 `json:"escalation_policy_id,omitempty"`
	// Flap is the service's flap control; nil means the server's default
	// (see FlapSettings).
	Flap *FlapSettings `json:"flap,omitempty"`
	// AutoPause, when above zero, holds a new alert that long before it
	// may open or join an incident: one that resolves within it never
	// pages (PagerDuty's auto-pause of transient alerts). 0 is off.
	AutoPause Duration  `json:"auto_pause,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Limits of service fields.
const (
	MaxNameLen        = 255
	MaxDescriptionLen = 16 * 1024
)

// Normalize fills defaults: time grouping with a 5-minute window.
func (s *Service) Normalize() {
	if s.Grouping.Mode == "" {
		s.Grouping.Mode = GroupByTime
	}
	if s.Grouping.Mode == GroupByTime && s.Grouping.Window == 0 {
		s.Grouping.Window = Duration(DefaultGroupWindow)
	}
}

// Validate checks a service before it is stored.
func (s *Service) Validate() error {
	if s.Name == "" {
		return FieldError("name", "is required")
	}
	if err := checkText("name", s.Name, MaxNameLen); err != nil {
		return err
	}
	if err := checkText("description", s.Description, MaxDescriptionLen); err != nil {
		return err
	}
	if err := s.Grouping.Validate(); err != nil {
		return err
	}
	if s.Flap != nil {
		if err := s.Flap.Validate(); err != nil {
			return err
		}
	}
	if p := time.Duration(s.AutoPause); p != 0 && (p < time.Minute || p > MaxAutoPause) {
		return FieldError("auto_pause", "must be 0 (off) or between 1m and %s", Duration(MaxAutoPause))
	}
	return nil
}

// DefaultFlap is flap control when neither the service nor the server
// sets it: more than 4 changes in 10 minutes is flapping, 15 quiet
// minutes end it.
var DefaultFlap = FlapSettings{Changes: 4, Window: Duration(10 * time.Minute), Quiet: Duration(15 * time.Minute)}

// MaxAutoPause is the longest a service may hold new alerts before paging.
const MaxAutoPause = 24 * time.Hour

// FlapSettings is a service's flap control: an alert that changes state
// more than Changes times within Window is flapping, and stays so until it
// has been quiet for Quiet. Changes 0 turns flap control off for the
// service.
type FlapSettings struct {
	Changes int      `json:"changes"`
	Window  Duration `json:"window,omitempty"`
	Quiet   Duration `json:"quiet,omitempty"`
}

// Validate checks the settings; field names are prefixed with "flap.".
func (f FlapSettings) Validate() error {
	if f.Changes < 0 || f.Changes > 1000 {
		return FieldError("flap.changes", "must be between 0 (off) and 1000")
	}
	if f.Changes == 0 {
		return nil
	}
	if w := time.Duration(f.Window); w < time.Minute || w > 24*time.Hour {
		return FieldError("flap.window", "must be between 1m and 24h")
	}
	if q := time.Duration(f.Quiet); q < time.Minute || q > 24*time.Hour {
		return FieldError("flap.quiet", "must be between 1m and 24h")
	}
	return nil
}

// ServiceFilter selects services. Zero fields do not filter.
type ServiceFilter struct {
	ID     *int64
	Name   *string
	Offset int
	Limit  int
}

// ServiceUpdate is a partial update; nil fields stay as they are.
type ServiceUpdate struct {
	Name        *string       `json:"name,omitempty"`
	Description *string       `json:"description,omitempty"`
	Grouping    *GroupingRule `json:"grouping,omitempty"`
	AutoResolve *bool         `json:"auto_resolve,omitempty"`
	// TeamID and EscalationPolicyID: 0 clears them.
	TeamID             *int64 `json:"team_id,omitempty"`
	EscalationPolicyID *int64 `json:"escalation_policy_id,omitempty"`
	// Flap replaces the flap settings (Changes 0: off for the service).
	Flap *FlapSettings `json:"flap,omitempty"`
	// AutoPause: 0 turns it off.
	AutoPause *Duration `json:"auto_pause,omitempty"`
}

// ServiceService manages services.
type ServiceService interface {
	// CreateService stores s, filling its ID and times. CodeInvalid on bad
	// fields, CodeConflict when the name is taken.
	CreateService(ctx context.Context, s *Service) error
	// FindServiceByID returns CodeNotFound when there is no such service.
	FindServiceByID(ctx context.Context, id int64) (*Service, error)
	// FindServices lists services by name with the total matching count.
	FindServices(ctx context.Context, f ServiceFilter) ([]*Service, int, error)
	// UpdateService applies upd. CodeNotFound, CodeInvalid, CodeConflict.
	UpdateService(ctx context.Context, id int64, upd ServiceUpdate) (*Service, error)
	// DeleteService removes a service. CodeNotFound; CodeConflict while it
	// has incidents (resolve and keep them, or they would lose their history).
	DeleteService(ctx context.Context, id int64) error
}
