package triage

import (
	"strconv"
	"time"

	"github.com/vigil-oss/vigil/internal/matcher"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// Maintenance is a checked maintenance window, ready to ask whether it
// covers an alert and whether it is open at an instant.
type Maintenance struct {
	Window   vigil.MaintenanceWindow
	loc      *time.Location
	at       int // minutes after midnight
	minutes  int // an occurrence's length on the wall clock
	days     [7]bool
	matchers matcher.Set
	services map[int64]bool
}

// CompileMaintenance validates w and parses its matchers; errors name the
// field ("matchers[1]").
func CompileMaintenance(w vigil.MaintenanceWindow) (*Maintenance, error) {
	if err := w.Validate(); err != nil {
		return nil, err
	}
	m := &Maintenance{Window: w, services: map[int64]bool{}}
	m.loc, _ = time.LoadLocation(w.TimeZone) // Validate checked it
	for _, id := range w.ServiceIDs {
		m.services[id] = true
	}
	for i, s := range w.Matchers {
		mt, err := matcher.Parse(s)
		if err != nil {
			return nil, vigil.FieldError("matchers["+strconv.Itoa(i)+"]", "%v", err)
		}
		m.matchers = append(m.matchers, mt)
	}
	if r := w.Recurrence; r != nil {
		m.at, _ = vigil.ParseClock(r.At)
		m.minutes = int(time.Duration(r.Duration) / time.Minute)
		for _, d := range r.Weekdays {
			m.days[d] = true
		}
	}
	return m, nil
}

// Covers reports whether the window applies to an alert of service with
// labels: the service must be one of the window's (when it names any) and
// the labels must match every matcher (when it has any).
func (m *Maintenance) Covers(serviceID int64, labels map[string]string) bool {
	if len(m.services) > 0 && !m.services[serviceID] {
		return false
	}
	return m.matchers.Matches(labels)
}

// OpenAt reports whether the window is open at t and, if so, when it
// closes (for overlapping occurrences, the latest end).
func (m *Maintenance) OpenAt(t time.Time) (bool, time.Time) {
	w := m.Window
	if w.Recurrence == nil {
		if !t.Before(w.Start) && t.Before(w.End) {
			return true, w.End
		}
		return false, time.Time{}
	}
	var until time.Time
	local := t.In(m.loc)
	// An occurrence that holds t began on t's local day or on one of the
	// days before it, as far back as an occurrence lasts.
	back := m.minutes/(24*60) + 1
	for i := back; i >= 0; i-- {
		start, end, ok := m.occurrence(local, -i)
		if ok && !t.Before(start) && t.Before(end) && end.After(until) {
			until = end
		}
	}
	return !until.IsZero(), until
}

// occurrence is the occurrence of a weekly window that begins days after
// (or, negative, before) the local day of local, if the window opens that
// day and the occurrence lies within its Start and End.
func (m *Maintenance) occurrence(local time.Time, days int) (start, end time.Time, ok bool) {
	w := m.Window
	y, mo, d := local.Date()
	day := time.Date(y, mo, d+days, 12, 0, 0, 0, m.loc) // noon: never in a DST gap
	if !m.days[day.Weekday()] {
		return time.Time{}, time.Time{}, false
	}
	start = time.Date(day.Year(), day.Month(), day.Day(), 0, m.at, 0, 0, m.loc)
	if h, mi, _ := start.Clock(); h*60+mi != m.at {
		// The start time does not exist that day (the clocks jumped
		// over it): the occurrence starts when they jumped.
		start, _ = start.ZoneBounds()
	}
	end = time.Date(day.Year(), day.Month(), day.Day(), 0, m.at+m.minutes, 0, 0, m.loc)
	if start.Before(w.Start) || (!w.End.IsZero() && !start.Before(w.End)) {
		return time.Time{}, time.Time{}, false
	}
	return start, end, true
}

// NextOpening is the first occurrence that begins after t: when it opens
// and closes. ok is false when the window never opens again.
func (m *Maintenance) NextOpening(t time.Time) (opens, closes time.Time, ok bool) {
	w := m.Window
	if w.Recurrence == nil {
		if t.Before(w.Start) {
			return w.Start, w.End, true
		}
		return time.Time{}, time.Time{}, false
	}
	from := t
	if w.Start.After(from) {
		from = w.Start
	}
	local := from.In(m.loc)
	// Every weekday comes round within a week; one more day covers an
	// occurrence earlier on from's own day.
	for i := 0; i <= 8; i++ {
		start, end, ok := m.occurrence(local, i)
		if ok && start.After(t) {
			return start, end, true
		}
	}
	return time.Time{}, time.Time{}, false
}
