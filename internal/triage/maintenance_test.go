package triage

import (
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

func zone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// TestMaintenanceAcrossDST checks recurring windows in two zones on the
// nights their clocks change, against times worked out by hand.
func TestMaintenanceAcrossDST(t *testing.T) {
	berlin, newYork := zone(t, "Europe/Berlin"), zone(t, "America/New_York")
	weekly := func(tz string, at string, d time.Duration, days ...time.Weekday) vigil.MaintenanceWindow {
		return vigil.MaintenanceWindow{Name: "w", ServiceIDs: []int64{1}, TimeZone: tz,
			Start:      time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
			Recurrence: &vigil.WeeklyRecurrence{Weekdays: days, At: at, Duration: vigil.Duration(d)}}
	}
	tests := []struct {
		name      string
		w         vigil.MaintenanceWindow
		at        time.Time
		open      bool
		closesUTC time.Time
	}{
		// Berlin, Sunday 29 March 2026: 02:00 CET becomes 03:00 CEST.
		// "Sunday 01:00 for 4h" runs 01:00 CET (00:00Z) to 05:00 CEST
		// (03:00Z): three hours of real time.
		{"berlin spring: opens at 01:00 CET", weekly("Europe/Berlin", "01:00", 4*time.Hour, time.Sunday),
			time.Date(2026, 3, 29, 0, 0, 0, 0, time.UTC), true, time.Date(2026, 3, 29, 3, 0, 0, 0, time.UTC)},
		{"berlin spring: not before", weekly("Europe/Berlin", "01:00", 4*time.Hour, time.Sunday),
			time.Date(2026, 3, 28, 23, 59, 0, 0, time.UTC), false, time.Time{}},
		{"berlin spring: closed at 05:00 CEST", weekly("Europe/Berlin", "01:00", 4*time.Hour, time.Sunday),
			time.Date(2026, 3, 29, 3, 0, 0, 0, time.UTC), false, time.Time{}},
		// Berlin, Sunday 25 October 2026: 03:00 CEST becomes 02:00 CET.
		// 01:00 CEST (23:00Z Sat) to 05:00 CET (04:00Z): five hours.
		{"berlin autumn: open in the repeated hour", weekly("Europe/Berlin", "01:00", 4*time.Hour, time.Sunday),
			time.Date(2026, 10, 25, 1, 30, 0, 0, time.UTC), true, time.Date(2026, 10, 25, 4, 0, 0, 0, time.UTC)},
		{"berlin autumn: open since 23:00Z Saturday", weekly("Europe/Berlin", "01:00", 4*time.Hour, time.Sunday),
			time.Date(2026, 10, 24, 23, 0, 0, 0, time.UTC), true, time.Date(2026, 10, 25, 4, 0, 0, 0, time.UTC)},
		{"berlin autumn: still open at 03:59Z", weekly("Europe/Berlin", "01:00", 4*time.Hour, time.Sunday),
			time.Date(2026, 10, 25, 3, 59, 0, 0, time.UTC), true, time.Date(2026, 10, 25, 4, 0, 0, 0, time.UTC)},
		// New York, Sunday 8 March 2026: 02:00 EST becomes 03:00 EDT.
		// "Saturday 22:00 for 6h" runs 22:00 EST (03:00Z Sun) to 04:00
		// EDT (08:00Z): five hours.
		{"new york spring: crosses midnight and the change", weekly("America/New_York", "22:00", 6*time.Hour, time.Saturday),
			time.Date(2026, 3, 8, 7, 30, 0, 0, time.UTC), true, time.Date(2026, 3, 8, 8, 0, 0, 0, time.UTC)},
		{"new york spring: closed after 04:00 EDT", weekly("America/New_York", "22:00", 6*time.Hour, time.Saturday),
			time.Date(2026, 3, 8, 8, 0, 0, 0, time.UTC), false, time.Time{}},
		// New York, Sunday 1 November 2026: 02:00 EDT becomes 01:00 EST.
		// 22:00 EDT (02:00Z Sun) to 04:00 EST (09:00Z): seven hours.
		{"new york autumn: seven hours", weekly("America/New_York", "22:00", 6*time.Hour, time.Saturday),
			time.Date(2026, 11, 1, 8, 59, 0, 0, time.UTC), true, time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)},
		// A window that opens in the skipped hour (02:30 does not exist
		// in Berlin on 29 March) opens when the clocks jump, 03:00 CEST
		// (01:00Z), and closes at 03:30 CEST on the wall clock.
		{"berlin spring: start in the gap", weekly("Europe/Berlin", "02:30", time.Hour, time.Sunday),
			time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC), true, time.Date(2026, 3, 29, 1, 30, 0, 0, time.UTC)},
		{"berlin spring: start in the gap, before the jump", weekly("Europe/Berlin", "02:30", time.Hour, time.Sunday),
			time.Date(2026, 3, 29, 0, 59, 0, 0, time.UTC), false, time.Time{}},
		{"berlin spring: start in the gap, after the end", weekly("Europe/Berlin", "02:30", time.Hour, time.Sunday),
			time.Date(2026, 3, 29, 1, 30, 0, 0, time.UTC), false, time.Time{}},
		// Wrong weekday.
		{"monday only, asked on sunday", weekly("Europe/Berlin", "01:00", 4*time.Hour, time.Monday),
			time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC), false, time.Time{}},
		// Several days: Friday's occurrence, a 50-hour weekend window
		// from Friday 20:00 Berlin, holds on Sunday.
		{"weekend window", weekly("Europe/Berlin", "20:00", 50*time.Hour, time.Friday),
			time.Date(2026, 6, 7, 12, 0, 0, 0, time.UTC), true, time.Date(2026, 6, 7, 20, 0, 0, 0, time.UTC)},
		// One-off windows ignore zones: [Start, End).
		{"one-off open", vigil.MaintenanceWindow{Name: "w", ServiceIDs: []int64{1},
			Start: time.Date(2026, 5, 1, 10, 0, 0, 0, berlin), End: time.Date(2026, 5, 1, 12, 0, 0, 0, berlin)},
			time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC), true, time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)},
		{"one-off end is open-ended", vigil.MaintenanceWindow{Name: "w", ServiceIDs: []int64{1},
			Start: time.Date(2026, 5, 1, 10, 0, 0, 0, newYork), End: time.Date(2026, 5, 1, 12, 0, 0, 0, newYork)},
			time.Date(2026, 5, 1, 16, 0, 0, 0, time.UTC), false, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := CompileMaintenance(tt.w)
			if err != nil {
				t.Fatal(err)
			}
			open, until := m.OpenAt(tt.at)
			if open != tt.open || !until.Equal(tt.closesUTC) {
				t.Errorf("OpenAt(%s) = %v until %s, want %v until %s", tt.at, open, until.UTC(), tt.open, tt.closesUTC)
			}
		})
	}
}

// TestMaintenanceBounds: occurrences start on or after Start and before
// End.
func TestMaintenanceBounds(t *testing.T) {
	w := vigil.MaintenanceWindow{Name: "w", ServiceIDs: []int64{1}, TimeZone: "UTC",
		Start:      time.Date(2026, 6, 3, 0, 0, 0, 0, time.UTC), // a Wednesday
		End:        time.Date(2026, 6, 17, 0, 0, 0, 0, time.UTC),
		Recurrence: &vigil.WeeklyRecurrence{Weekdays: []time.Weekday{time.Tuesday, time.Thursday}, At: "23:00", Duration: vigil.Duration(2 * time.Hour)}}
	m, err := CompileMaintenance(w)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		at   time.Time
		open bool
	}{
		{time.Date(2026, 6, 2, 23, 30, 0, 0, time.UTC), false}, // Tuesday before Start
		{time.Date(2026, 6, 3, 0, 30, 0, 0, time.UTC), false},  // that Tuesday's tail, after Start: began before Start
		{time.Date(2026, 6, 4, 23, 30, 0, 0, time.UTC), true},  // Thursday
		{time.Date(2026, 6, 5, 0, 59, 0, 0, time.UTC), true},   // its tail into Friday
		{time.Date(2026, 6, 5, 1, 0, 0, 0, time.UTC), false},
		{time.Date(2026, 6, 16, 23, 30, 0, 0, time.UTC), true}, // the last Tuesday, began before End
		{time.Date(2026, 6, 17, 0, 30, 0, 0, time.UTC), true},  // and runs past End
		{time.Date(2026, 6, 18, 23, 30, 0, 0, time.UTC), false},
	} {
		if open, _ := m.OpenAt(c.at); open != c.open {
			t.Errorf("OpenAt(%s) = %v, want %v", c.at, open, c.open)
		}
	}
}

func TestMaintenanceCovers(t *testing.T) {
	base := vigil.MaintenanceWindow{Name: "w", Start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)}
	tests := []struct {
		name     string
		services []int64
		matchers []string
		service  int64
		labels   map[string]string
		want     bool
	}{
		{"its service", []int64{1, 2}, nil, 2, nil, true},
		{"another service", []int64{1, 2}, nil, 3, nil, false},
		{"matchers only", nil, []string{`env="prod"`, `job=~"db.*"`}, 9, map[string]string{"env": "prod", "job": "db-main"}, true},
		{"one matcher fails", nil, []string{`env="prod"`, `job=~"db.*"`}, 9, map[string]string{"env": "prod", "job": "web"}, false},
		{"service and matchers", []int64{1}, []string{`env!="staging"`}, 1, map[string]string{"env": "prod"}, true},
		{"service right, matcher wrong", []int64{1}, []string{`env!="staging"`}, 1, map[string]string{"env": "staging"}, false},
	}
	for _, tt := range tests {
		w := base
		w.ServiceIDs, w.Matchers = tt.services, tt.matchers
		m, err := CompileMaintenance(w)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got := m.Covers(tt.service, tt.labels); got != tt.want {
			t.Errorf("%s: Covers = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestMaintenanceInvalid(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ok := func() vigil.MaintenanceWindow {
		return vigil.MaintenanceWindow{Name: "w", ServiceIDs: []int64{1}, Start: start,
			Recurrence: &vigil.WeeklyRecurrence{Weekdays: []time.Weekday{time.Sunday}, At: "01:00", Duration: vigil.Duration(time.Hour)}}
	}
	tests := []struct {
		field  string
		change func(w *vigil.MaintenanceWindow)
	}{
		{"name", func(w *vigil.MaintenanceWindow) { w.Name = " " }},
		{"service_ids", func(w *vigil.MaintenanceWindow) { w.ServiceIDs = nil }},
		{"service_ids[0]", func(w *vigil.MaintenanceWindow) { w.ServiceIDs = []int64{-1} }},
		{"matchers[1]", func(w *vigil.MaintenanceWindow) { w.Matchers = []string{`a="b"`, `a=~"("`} }},
		{"time_zone", func(w *vigil.MaintenanceWindow) { w.TimeZone = "Mars/Olympus" }},
		{"start", func(w *vigil.MaintenanceWindow) { w.Start = time.Time{} }},
		{"end", func(w *vigil.MaintenanceWindow) { w.Recurrence = nil }},
		{"end", func(w *vigil.MaintenanceWindow) { w.End = start }},
		{"recurrence.weekdays", func(w *vigil.MaintenanceWindow) { w.Recurrence.Weekdays = nil }},
		{"recurrence.weekdays[0]", func(w *vigil.MaintenanceWindow) { w.Recurrence.Weekdays = []time.Weekday{7} }},
		{"recurrence.at", func(w *vigil.MaintenanceWindow) { w.Recurrence.At = "24:00" }},
		{"recurrence.at", func(w *vigil.MaintenanceWindow) { w.Recurrence.At = "1:00" }},
		{"recurrence.duration", func(w *vigil.MaintenanceWindow) { w.Recurrence.Duration = vigil.Duration(30 * time.Second) }},
		{"recurrence.duration", func(w *vigil.MaintenanceWindow) { w.Recurrence.Duration = vigil.Duration(169 * time.Hour) }},
	}
	for _, tt := range tests {
		w := ok()
		tt.change(&w)
		_, err := CompileMaintenance(w)
		if f := vigil.ErrorField(err); f != tt.field {
			t.Errorf("want an error on %s, got %v", tt.field, err)
		}
	}
	if _, err := CompileMaintenance(ok()); err != nil {
		t.Errorf("valid window refused: %v", err)
	}
}

// TestMaintenanceNextOpening: the next occurrence after an instant, on the
// zone's wall clock, within Start and End; none once the window is over.
func TestMaintenanceNextOpening(t *testing.T) {
	berlin := zone(t, "Europe/Berlin")
	weekly := vigil.MaintenanceWindow{Name: "w", ServiceIDs: []int64{1}, TimeZone: "Europe/Berlin",
		Start:      time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC),
		End:        time.Date(2026, 4, 6, 0, 0, 0, 0, time.UTC),
		Recurrence: &vigil.WeeklyRecurrence{Weekdays: []time.Weekday{time.Sunday}, At: "02:30", Duration: vigil.Duration(4 * time.Hour)}}
	once := vigil.MaintenanceWindow{Name: "o", ServiceIDs: []int64{1},
		Start: time.Date(2026, 5, 2, 22, 0, 0, 0, time.UTC), End: time.Date(2026, 5, 3, 2, 0, 0, 0, time.UTC)}
	tests := []struct {
		name          string
		w             vigil.MaintenanceWindow
		after         time.Time
		opens, closes time.Time // zero: never again
	}{
		{"before the first Sunday", weekly, time.Date(2026, 2, 20, 0, 0, 0, 0, time.UTC),
			time.Date(2026, 3, 1, 2, 30, 0, 0, berlin), time.Date(2026, 3, 1, 6, 30, 0, 0, berlin)},
		{"during one: the next week's", weekly, time.Date(2026, 3, 8, 3, 0, 0, 0, berlin),
			time.Date(2026, 3, 15, 2, 30, 0, 0, berlin), time.Date(2026, 3, 15, 6, 30, 0, 0, berlin)},
		// 02:30 does not exist on 29 March in Berlin: it opens at 03:00 CEST.
		{"across the spring change", weekly, time.Date(2026, 3, 28, 12, 0, 0, 0, time.UTC),
			time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC), time.Date(2026, 3, 29, 6, 30, 0, 0, berlin)},
		{"a Saturday before the last", weekly, time.Date(2026, 4, 4, 12, 0, 0, 0, time.UTC),
			time.Date(2026, 4, 5, 2, 30, 0, 0, berlin), time.Date(2026, 4, 5, 6, 30, 0, 0, berlin)},
		{"after End", weekly, time.Date(2026, 4, 5, 12, 0, 0, 0, time.UTC), time.Time{}, time.Time{}},
		{"one-off ahead", once, time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC), once.Start, once.End},
		{"one-off open", once, time.Date(2026, 5, 2, 23, 0, 0, 0, time.UTC), time.Time{}, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := CompileMaintenance(tt.w)
			if err != nil {
				t.Fatal(err)
			}
			opens, closes, ok := m.NextOpening(tt.after)
			if ok != !tt.opens.IsZero() || !opens.Equal(tt.opens) || !closes.Equal(tt.closes) {
				t.Errorf("NextOpening(%s) = %s to %s (%v), want %s to %s", tt.after, opens.UTC(), closes.UTC(), ok, tt.opens.UTC(), tt.closes.UTC())
			}
		})
	}
}
