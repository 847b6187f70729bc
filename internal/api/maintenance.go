package api

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// Maintenance windows (/api/v1/maintenance-windows, API tokens): alerts
// that start firing while a window covering them is open are stored but
// open no incident; when it closes, whatever still fires pages.

// MaintenanceWindowInput is the body of POST /api/v1/maintenance-windows
// and of PUT /api/v1/maintenance-windows/{id}.
type MaintenanceWindowInput struct {
	Name string `json:"name"`
	// ServiceIDs and Matchers say what the window covers: alerts of those
	// services (any, when none is given) whose labels match every matcher
	// (alertname="Disk full", env!=dev, instance=~"web-.*"). At least one
	// of the two is required.
	ServiceIDs []int64  `json:"service_ids,omitempty"`
	Matchers   []string `json:"matchers,omitempty"`
	// Start and End are RFC 3339 times; Start defaults to now. A one-off
	// window needs End, or Duration from Start; a weekly one (Recurrence)
	// opens at or after Start and, when End is given, no occurrence begins
	// at or after End.
	Start    string          `json:"start,omitempty"`
	End      string          `json:"end,omitempty"`
	Duration *vigil.Duration `json:"duration,omitempty"`
	// Recurrence makes the window weekly: on each of Weekdays at At
	// ("HH:MM" in TimeZone) for Duration, on the wall clock.
	Recurrence *RecurrenceInput `json:"recurrence,omitempty"`
	// TimeZone is an IANA zone ("Europe/Berlin"); UTC by default.
	TimeZone  string `json:"time_zone,omitempty"`
	CreatedBy string `json:"created_by,omitempty"`
}

// RecurrenceInput repeats a window weekly.
type RecurrenceInput struct {
	// Weekdays are numbers (0 Sunday to 6 Saturday) or names ("sun",
	// "Sunday").
	Weekdays []Weekday      `json:"weekdays"`
	At       string         `json:"at"`
	Duration vigil.Duration `json:"duration"`
}

// Weekday reads a day of the week as a number (0 Sunday to 6 Saturday)
// or an English name or its first three letters, in any case.
type Weekday time.Weekday

// ParseWeekday reads "sun", "Sunday" or "0" as time.Sunday.
func ParseWeekday(s string) (time.Weekday, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	if n, err := strconv.Atoi(s); err == nil && n >= 0 && n <= 6 {
		return time.Weekday(n), true
	}
	for d := time.Sunday; d <= time.Saturday; d++ {
		name := strings.ToLower(d.String())
		if s == name || (len(s) >= 3 && strings.HasPrefix(name, s)) {
			return d, true
		}
	}
	return 0, false
}

// UnmarshalJSON reads a number or a name.
func (w *Weekday) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	bad := vigil.FieldError("recurrence.weekdays", "name days as 0 (Sunday) to 6 (Saturday) or by name (sun, mon, ...)")
	switch x := v.(type) {
	case float64:
		if x != float64(int(x)) || x < 0 || x > 6 {
			return bad
		}
		*w = Weekday(int(x))
	case string:
		d, ok := ParseWeekday(x)
		if !ok {
			return bad
		}
		*w = Weekday(d)
	default:
		return bad
	}
	return nil
}

func (a *API) maintenanceRoutes() []Route {
	tok := func(method, pattern, summary string, req, resp any, status int, h handlerFunc) Route {
		return Route{Method: method, Pattern: pattern, Auth: AuthToken, Summary: summary,
			Request: req, Response: resp, Status: status, Handler: a.handle(h)}
	}
	const one = "/api/v1/maintenance-windows/{id}"
	return []Route{
		tok("GET", "/api/v1/maintenance-windows", "List maintenance windows by name, with their state (open, scheduled, ended)",
			nil, Items[*vigil.MaintenanceWindow]{}, http.StatusOK, listOf(a, (vigil.Store).ListMaintenanceWindows)),
		tok("POST", "/api/v1/maintenance-windows", "Create a maintenance window: new alerts it covers while open are stored but page no one until it closes",
			MaintenanceWindowInput{}, &vigil.MaintenanceWindow{}, http.StatusCreated,
			createFrom(a, a.maintenanceFrom, (vigil.Store).CreateMaintenanceWindow)),
		tok("GET", one, "Get a maintenance window", nil, &vigil.MaintenanceWindow{}, http.StatusOK,
			getByID(a, (vigil.Store).FindMaintenanceWindow)),
		tok("PUT", one, "Replace a maintenance window; alerts it holds are checked again at once",
			MaintenanceWindowInput{}, &vigil.MaintenanceWindow{}, http.StatusOK,
			replaceByID(a, a.maintenanceFrom, (vigil.Store).UpdateMaintenanceWindow)),
		tok("DELETE", one, "Delete a maintenance window; the alerts it held page unless something else holds them",
			nil, nil, http.StatusNoContent, deleteByID(a, (vigil.Store).DeleteMaintenanceWindow)),
	}
}

// parseRFC3339 reads a time of a body field, naming the field when it is
// not one.
func parseRFC3339(field, v string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(v))
	if err != nil || t.Year() < 1970 || t.Year() > 9999 {
		return time.Time{}, vigil.FieldError(field, "must be an RFC 3339 time like 2026-01-02T15:04:05Z")
	}
	return t.UTC(), nil
}

// maintenanceFrom builds a window from the body of a POST or PUT.
func (a *API) maintenanceFrom(in MaintenanceWindowInput, id int64) (*vigil.MaintenanceWindow, error) {
	w := &vigil.MaintenanceWindow{ID: id, Name: in.Name, ServiceIDs: in.ServiceIDs, Matchers: in.Matchers,
		TimeZone: in.TimeZone, CreatedBy: in.CreatedBy, Start: a.clock.Now()}
	var err error
	if in.Start != "" {
		if w.Start, err = parseRFC3339("start", in.Start); err != nil {
			return nil, err
		}
	}
	if in.End != "" && in.Duration != nil {
		return nil, vigil.FieldError("duration", "give end or duration, not both")
	}
	if r := in.Recurrence; r != nil {
		if in.Duration != nil {
			return nil, vigil.FieldError("duration", "a weekly window lasts recurrence.duration each time; use end to stop it repeating")
		}
		w.Recurrence = &vigil.WeeklyRecurrence{At: r.At, Duration: r.Duration, Weekdays: make([]time.Weekday, len(r.Weekdays))}
		for i, d := range r.Weekdays {
			w.Recurrence.Weekdays[i] = time.Weekday(d)
		}
	}
	switch {
	case in.End != "":
		if w.End, err = parseRFC3339("end", in.End); err != nil {
			return nil, err
		}
	case in.Duration != nil:
		if *in.Duration <= 0 {
			return nil, vigil.FieldError("duration", "must be above zero")
		}
		w.End = w.Start.Add(time.Duration(*in.Duration))
	case w.Recurrence == nil:
		return nil, vigil.FieldError("end", "end or duration is required for a one-off window")
	}
	return w, nil
}
