package vigil

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
	// The zone database is embedded so a schedule's time zone validates
	// and computes the same on every host, including minimal containers
	// without /usr/share/zoneinfo.
	_ "time/tzdata"
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

// OverrideValues copies overrides as stored (pointers) into the values
// the on-call computation (package oncall) takes.
func OverrideValues(list []*Override) []Override {
	out := make([]Override, len(list))
	for i, o := range list {
		out[i] = *o
	}
	return out
}

// LoadOverrides returns a schedule's overrides overlapping [from, to) as
// values, ready for package oncall.
func LoadOverrides(ctx context.Context, s ScheduleService, scheduleID int64, from, to time.Time) ([]Override, error) {
	list, err := s.ListOverrides(ctx, scheduleID, from, to)
	if err != nil {
		return nil, err
	}
	return OverrideValues(list), nil
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

// Limits of schedules and overrides.
const (
	MaxScheduleLayers    = 20
	MaxLayerMembers      = 100
	MaxLayerRestrictions = 50
	MaxTimeZoneLen       = 64
	// MaxOverrideDuration bounds one override (a leap year).
	MaxOverrideDuration = 366 * 24 * time.Hour
)

// maxTurnCount is the largest TurnCount per unit: a turn lasts at most
// about a year.
var maxTurnCount = map[string]int{UnitHour: 8760, UnitDay: 365, UnitWeek: 52}

// MinutesPerDay is the number of ClockTime values: 00:00 to 23:59.
const MinutesPerDay = 24 * 60

// ParseClockTime reads "HH:MM" (or "H:MM") from 00:00 to 23:59. "24:00" is
// rejected: a window ending at midnight is a Start plus a Duration.
func ParseClockTime(s string) (ClockTime, error) {
	i := len(s) - 3
	if i < 1 || i > 2 || s[i] != ':' {
		return 0, fmt.Errorf("invalid time of day %q, want HH:MM", s)
	}
	h, okH := digits(s[:i])
	m, okM := digits(s[i+1:])
	if !okH || !okM || h > 23 || m > 59 {
		return 0, fmt.Errorf("invalid time of day %q, want HH:MM from 00:00 to 23:59", s)
	}
	return ClockTime(h*60 + m), nil
}

// digits parses a short run of ASCII digits (no sign, no spaces).
func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, s != ""
}

// Valid reports whether c is a time of day, 00:00 to 23:59.
func (c ClockTime) Valid() bool { return c >= 0 && c < MinutesPerDay }

// Hour returns the hour of c.
func (c ClockTime) Hour() int { return int(c) / 60 }

// Minute returns the minute of c within its hour.
func (c ClockTime) Minute() int { return int(c) % 60 }

// String formats c as "HH:MM"; an out-of-range value shows as
// "ClockTime(n)" so it is never mistaken for a real time.
func (c ClockTime) String() string {
	if !c.Valid() {
		return "ClockTime(" + strconv.Itoa(int(c)) + ")"
	}
	return fmt.Sprintf("%02d:%02d", c.Hour(), c.Minute())
}

// MarshalJSON writes "HH:MM"; an out-of-range value is an error.
func (c ClockTime) MarshalJSON() ([]byte, error) {
	if !c.Valid() {
		return nil, fmt.Errorf("time of day %d minutes is out of range", int(c))
	}
	return json.Marshal(c.String())
}

// UnmarshalJSON reads "HH:MM". JSON null leaves c unchanged.
func (c *ClockTime) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("time of day must be a string \"HH:MM\"")
	}
	v, err := ParseClockTime(s)
	if err != nil {
		return err
	}
	*c = v
	return nil
}

// Normalize fills defaults: time zone UTC.
func (s *Schedule) Normalize() {
	if s.TimeZone == "" {
		s.TimeZone = "UTC"
	}
}

// Validate checks a schedule before it is stored. It expects Normalize to
// have run. Errors are CodeInvalid and name the field, e.g.
// "layers[1].restrictions[0].duration".
func (s *Schedule) Validate() error {
	if s.Name == "" {
		return FieldError("name", "is required")
	}
	if err := checkText("name", s.Name, MaxNameLen); err != nil {
		return err
	}
	if err := checkText("description", s.Description, MaxDescriptionLen); err != nil {
		return err
	}
	if err := ValidateTimeZone("time_zone", s.TimeZone); err != nil {
		return err
	}
	if len(s.Layers) > MaxScheduleLayers {
		return FieldError("layers", "at most %d layers", MaxScheduleLayers)
	}
	for i := range s.Layers {
		if err := s.Layers[i].validate(fmt.Sprintf("layers[%d]", i)); err != nil {
			return err
		}
	}
	return nil
}

// ValidateTimeZone checks an IANA zone name ("Europe/Berlin", "UTC"). The
// server's "Local" zone is refused: a schedule must mean the same on
// every host.
func ValidateTimeZone(field, name string) error {
	if name == "" {
		return FieldError(field, "is required")
	}
	if err := checkText(field, name, MaxTimeZoneLen); err != nil {
		return err
	}
	if name == "Local" {
		return FieldError(field, "must be an IANA time zone name such as Europe/Berlin, not Local")
	}
	if _, err := time.LoadLocation(name); err != nil {
		return FieldError(field, "unknown time zone %q", name)
	}
	return nil
}

func (l *Layer) validate(p string) error {
	if err := checkText(p+".name", l.Name, MaxNameLen); err != nil {
		return err
	}
	if l.Start.IsZero() {
		return FieldError(p+".start", "is required")
	}
	if y := l.Start.Year(); y < 1900 || y > 9999 {
		return FieldError(p+".start", "must be between the years 1900 and 9999")
	}
	limit, ok := maxTurnCount[l.TurnUnit]
	if !ok {
		return FieldError(p+".turn_unit", "must be one of hour, day, week")
	}
	if l.TurnCount < 1 || l.TurnCount > limit {
		return FieldError(p+".turn_count", "must be between 1 and %d for unit %s", limit, l.TurnUnit)
	}
	if len(l.Members) == 0 {
		return FieldError(p+".members", "at least one member is required")
	}
	if len(l.Members) > MaxLayerMembers {
		return FieldError(p+".members", "at most %d members", MaxLayerMembers)
	}
	for _, m := range l.Members {
		if m <= 0 {
			return FieldError(p+".members", "user IDs must be positive")
		}
	}
	if len(l.Restrictions) > MaxLayerRestrictions {
		return FieldError(p+".restrictions", "at most %d restrictions", MaxLayerRestrictions)
	}
	for j, r := range l.Restrictions {
		if err := r.validate(fmt.Sprintf("%s.restrictions[%d]", p, j)); err != nil {
			return err
		}
	}
	return nil
}

func (r Restriction) validate(p string) error {
	var max time.Duration
	switch r.Kind {
	case RestrictDaily:
		max = 24 * time.Hour
	case RestrictWeekly:
		max = 7 * 24 * time.Hour
		if r.Weekday < time.Sunday || r.Weekday > time.Saturday {
			return FieldError(p+".weekday", "must be 0 (Sunday) to 6 (Saturday)")
		}
	default:
		return FieldError(p+".kind", "must be one of daily, weekly")
	}
	if !r.Start.Valid() {
		return FieldError(p+".start", "must be a time of day from 00:00 to 23:59")
	}
	if d := time.Duration(r.Duration); d <= 0 || d > max {
		return FieldError(p+".duration", "must be more than 0 and at most %s for a %s restriction", max, r.Kind)
	}
	return nil
}

// Validate checks an override before it is stored (the user's existence is
// the store's business).
func (o *Override) Validate() error {
	if o.UserID <= 0 {
		return FieldError("user_id", "is required")
	}
	if o.Start.IsZero() {
		return FieldError("start", "is required")
	}
	if !o.End.After(o.Start) {
		return FieldError("end", "must be after start")
	}
	if o.End.Sub(o.Start) > MaxOverrideDuration {
		return FieldError("end", "an override may last at most 366 days")
	}
	return nil
}
