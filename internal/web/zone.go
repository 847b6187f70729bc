package web

import (
	"strings"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// Schedules are read in their own time zone (a handoff "at 09:00" means
// 09:00 there), so their pages show and take times in it, naming the zone,
// rather than in UTC like the rest of the UI.

// localInput is the value format of <input type="datetime-local">.
const localInput = "2006-01-02T15:04"

// zoneTime shows t in loc with the zone's abbreviation: "Mon 04 May 10:00 CEST".
func zoneTime(t time.Time, loc *time.Location) string {
	return t.In(loc).Format("Mon 02 Jan 15:04 MST")
}

// parseLocal reads a datetime-local value (with or without seconds) as a
// wall-clock time in loc. A time skipped by a DST change is moved later by
// the gap, as time.Date does.
func parseLocal(field, v string, loc *time.Location) (time.Time, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, vigil.FieldError(field, "is required")
	}
	for _, layout := range []string{localInput, "2006-01-02T15:04:05", "2006-01-02 15:04"} {
		if t, err := time.ParseInLocation(layout, v, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, vigil.FieldError(field, "must be a date and time such as 2026-05-04T09:00")
}
