package vigil

import (
	"context"
	"time"
)

// Rotation units. A day or week turn hands off at the same local wall-clock
// time in the schedule's time zone, so across a DST change a "day" lasts 23
// or 25 hours; an hour turn is a fixed span of real time.
const (
	UnitHour = "hour"
	UnitDay  = "day"
	UnitWeek = "week"
)

// Restriction kinds: the windows in which a layer is active.
const (
	// RestrictDaily is active every day from Start for Duration.
	RestrictDaily = "daily"
	// RestrictWeekly is active from Weekday at Start for Duration (up to a week).
	RestrictWeekly = "weekly"
)

// Schedule says who is on call when. Layers stack: a higher layer (later in
// the list) wins wherever it has someone on call, and its restricted-out
// gaps let the layers below show through. Overrides sit on top of all
// layers; a later override wins over an earlier one where they overlap.
type Schedule struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	// TimeZone is an IANA name ("Europe/Berlin"); handoffs and restrictions
	// are read in it.
	TimeZone  string    `json:"time_zone"`
	TeamID    int64     `json:"team_id,omitempty"`
	Layers    []Layer   `json:"layers"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Layer is one rotation: Members take turns of TurnCount × TurnUnit, the
// first turn starting at Start (its wall-clock time in the schedule's zone
// is the handoff time).
type Layer struct {
	Name         string        `json:"name"`
	Start        time.Time     `json:"start"`
	TurnUnit     string        `json:"turn_unit"`
	TurnCount    int           `json:"turn_count"`
	Members      []int64       `json:"members"` // user IDs in turn order; a user may appear twice
	Restrictions []Restriction `json:"restrictions,omitempty"`
}

// Restriction is a window in which a layer is active. Start is a time of
// day ("09:00"); Weekday is used by weekly restrictions.
type Restriction struct {
	Kind     string       `json:"kind"`
	Weekday  time.Weekday `json:"weekday,omitempty"`
	Start    ClockTime    `json:"start"`
	Duration Duration     `json:"duration"`
}

// ClockTime is a time of day in minutes after midnight; JSON "HH:MM".
type ClockTime int

// Override puts UserID on call for [Start, End), above every layer.
type Override struct {
	ID         int64     `json:"id"`
	ScheduleID int64     `json:"schedule_id"`
	UserID     int64     `json:"user_id"`
	Start      time.Time `json:"start"`
	End        time.Time `json:"end"`
	CreatedAt  time.Time `json:"created_at"`
}

// Shift is a span during which one user is on call for a schedule.
type Shift struct {
	UserID int64     `json:"user_id"`
	Start  time.Time `json:"start"`
	End    time.Time `json:"end"`
	// Override is set when the shift comes from an override.
	Override bool `json:"override,omitempty"`
}

// ScheduleService stores schedules and their overrides.
type ScheduleService interface {
	// CreateSchedule validates and stores s; CodeInvalid names the field.
	CreateSchedule(ctx context.Context, s *Schedule) error
	// UpdateSchedule replaces the schedule's fields; CodeNotFound.
	UpdateSchedule(ctx context.Context, s *Schedule) error
	// FindSchedule returns one schedule; CodeNotFound.
	FindSchedule(ctx context.Context, id int64) (*Schedule, error)
	ListSchedules(ctx context.Context) ([]*Schedule, error)
	// DeleteSchedule removes it and its overrides; CodeConflict while an
	// escalation policy names it.
	DeleteSchedule(ctx context.Context, id int64) error
	// CreateOverride stores o; CodeInvalid when End is not after Start or
	// the user is unknown; CodeNotFound for the schedule.
	CreateOverride(ctx context.Context, o *Override) error
	// ListOverrides returns the schedule's overrides that overlap
	// [from, to), oldest created first (later ones win).
	ListOverrides(ctx context.Context, scheduleID int64, from, to time.Time) ([]*Override, error)
	DeleteOverride(ctx context.Context, scheduleID, id int64) error
}
