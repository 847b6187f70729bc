package vigil

import (
	"context"
	"strconv"
	"strings"
	"time"
)

// MaintenanceWindow is planned work: alerts of its services, or matching
// its label matchers, are recorded while it is open but do not page; when
// it closes, whatever still fires pages normally.
//
// A one-off window is open from Start to End. A recurring one opens on
// each of Weekdays at At (wall-clock "HH:MM" in TimeZone) for Duration,
// measured on the wall clock too, so "Sunday 01:00 for 4h" closes at 05:00
// local time on the nights the clocks change; occurrences begin on or
// after Start and, when End is set, before End.
type MaintenanceWindow struct {
	ID         int64   `json:"id"`
	Name       string  `json:"name"`
	ServiceIDs []int64 `json:"service_ids,omitempty"`
	// Matchers are Alertmanager-style label matchers, all of which must
	// match (`env="prod"`, `job=~"db.*"`).
	Matchers   []string          `json:"matchers,omitempty"`
	Start      time.Time         `json:"start"`
	End        time.Time         `json:"end,omitzero"`
	Recurrence *WeeklyRecurrence `json:"recurrence,omitempty"`
	TimeZone   string            `json:"time_zone"`
	CreatedBy  string            `json:"created_by,omitempty"`
	CreatedAt  time.Time         `json:"created_at,omitzero"`
	UpdatedAt  time.Time         `json:"updated_at,omitzero"`
	// State (open, scheduled or ended), while open OpenUntil, and the next
	// opening are filled when the window is read; they are not stored.
	MaintenanceFill
}

// WeeklyRecurrence repeats a maintenance window on weekdays.
type WeeklyRecurrence struct {
	Weekdays []time.Weekday `json:"weekdays"`
	At       string         `json:"at"` // "HH:MM"
	Duration Duration       `json:"duration"`
}

// MaxMaintenanceDuration bounds one occurrence of a recurring window.
const MaxMaintenanceDuration = 7 * 24 * time.Hour

// ParseClock reads "HH:MM" (00:00 to 23:59) as minutes after midnight.
func ParseClock(s string) (int, bool) {
	h, m, ok := strings.Cut(s, ":")
	if !ok || len(h) != 2 || len(m) != 2 {
		return 0, false
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || hh < 0 || hh > 23 || mm < 0 || mm > 59 {
		return 0, false
	}
	return hh*60 + mm, true
}

// Validate checks the window's own fields (not that its services exist,
// nor the matchers' syntax, which the triage package parses). Errors name
// the field.
func (w *MaintenanceWindow) Validate() error {
	w.Name = strings.TrimSpace(w.Name)
	if err := checkText("name", w.Name, 200); err != nil {
		return err
	}
	if w.Name == "" {
		return FieldError("name", "is required")
	}
	if len(w.ServiceIDs) == 0 && len(w.Matchers) == 0 {
		return FieldError("service_ids", "give services or matchers: a window must say what it covers")
	}
	if len(w.ServiceIDs) > MaxMaintenanceServices {
		return FieldError("service_ids", "at most %d services", MaxMaintenanceServices)
	}
	if len(w.Matchers) > MaxMaintenanceMatchers {
		return FieldError("matchers", "at most %d matchers", MaxMaintenanceMatchers)
	}
	for i, id := range w.ServiceIDs {
		if id <= 0 {
			return FieldError("service_ids["+strconv.Itoa(i)+"]", "must be a positive id")
		}
	}
	if w.TimeZone == "" {
		w.TimeZone = "UTC"
	}
	if _, err := time.LoadLocation(w.TimeZone); err != nil {
		return FieldError("time_zone", "unknown time zone %q", w.TimeZone)
	}
	if w.Start.IsZero() {
		return FieldError("start", "is required")
	}
	r := w.Recurrence
	if r == nil {
		if w.End.IsZero() {
			return FieldError("end", "is required for a one-off window")
		}
		if !w.End.After(w.Start) {
			return FieldError("end", "must be after start")
		}
		return nil
	}
	if !w.End.IsZero() && !w.End.After(w.Start) {
		return FieldError("end", "must be after start")
	}
	if len(r.Weekdays) == 0 {
		return FieldError("recurrence.weekdays", "name at least one day")
	}
	for i, d := range r.Weekdays {
		if d < time.Sunday || d > time.Saturday {
			return FieldError("recurrence.weekdays["+strconv.Itoa(i)+"]", "must be 0 (Sunday) to 6 (Saturday)")
		}
	}
	if _, ok := ParseClock(r.At); !ok {
		return FieldError("recurrence.at", "must be a time of day like 22:00")
	}
	if d := time.Duration(r.Duration); d < time.Minute || d > MaxMaintenanceDuration {
		return FieldError("recurrence.duration", "must be between 1m and 168h")
	}
	return nil
}

// Maintenance window states, computed from the time asked about.
const (
	MaintenanceOpen      = "open"      // holding new alerts now
	MaintenanceScheduled = "scheduled" // opens later (or again)
	MaintenanceEnded     = "ended"     // will never open again
)

// Limits of a maintenance window.
const (
	MaxMaintenanceServices = 1000
	MaxMaintenanceMatchers = 64
)

// MaintenanceFill is what a store computes for a window at the time it is
// read: its state; while open, when it closes; and when it next opens
// (OpensAt, and ClosesAt for that occurrence), unless it never does again.
type MaintenanceFill struct {
	State     string     `json:"state"`
	OpenUntil *time.Time `json:"open_until,omitempty"`
	OpensAt   *time.Time `json:"opens_at,omitempty"`
	ClosesAt  *time.Time `json:"closes_at,omitempty"`
}

// MaintenanceService keeps maintenance windows. A new alert that an open
// window covers is stored with HeldByWindow set and no incident; when the
// window closes (or is changed or deleted so that it no longer covers the
// alert), the alert opens or joins its incident and pages, if it still
// fires. Reads fill State and OpenUntil from the store's clock.
type MaintenanceService interface {
	// CreateMaintenanceWindow validates and stores w, filling ID,
	// CreatedBy (the actor, when empty) and CreatedAt. CodeInvalid naming
	// the field (service_ids[1] for an unknown service), CodeConflict
	// (name taken).
	CreateMaintenanceWindow(ctx context.Context, w *MaintenanceWindow) error
	// UpdateMaintenanceWindow replaces window w.ID. Alerts it holds are
	// checked again at once: released when it no longer covers them.
	// CodeNotFound, CodeInvalid, CodeConflict.
	UpdateMaintenanceWindow(ctx context.Context, w *MaintenanceWindow) error
	// FindMaintenanceWindow returns one window; CodeNotFound.
	FindMaintenanceWindow(ctx context.Context, id int64) (*MaintenanceWindow, error)
	// ListMaintenanceWindows lists every window by name.
	ListMaintenanceWindows(ctx context.Context) ([]*MaintenanceWindow, error)
	// DeleteMaintenanceWindow removes it; the alerts it held page (unless
	// something else holds them). CodeNotFound.
	DeleteMaintenanceWindow(ctx context.Context, id int64) error
}
