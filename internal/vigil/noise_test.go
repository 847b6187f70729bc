package vigil

import (
	"testing"
	"time"
)

func TestNightIntervals(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	utc := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name         string
		since, until string
		loc          *time.Location
		want         []string // start/end pairs in UTC
	}{
		{"one day in UTC", "2026-03-10T00:00:00Z", "2026-03-11T00:00:00Z", time.UTC,
			[]string{"2026-03-10T00:00:00Z", "2026-03-10T07:00:00Z", "2026-03-10T22:00:00Z", "2026-03-11T00:00:00Z"}},
		{"winter Berlin is UTC+1", "2026-03-10T12:00:00Z", "2026-03-11T12:00:00Z", berlin,
			[]string{"2026-03-10T21:00:00Z", "2026-03-11T06:00:00Z"}},
		// Clocks go forward at 02:00 on 29 March: the night is 8 hours.
		{"spring forward", "2026-03-28T12:00:00Z", "2026-03-29T12:00:00Z", berlin,
			[]string{"2026-03-28T21:00:00Z", "2026-03-29T05:00:00Z"}},
		// And back at 03:00 on 25 October: 10 hours.
		{"fall back", "2026-10-24T12:00:00Z", "2026-10-25T12:00:00Z", berlin,
			[]string{"2026-10-24T20:00:00Z", "2026-10-25T06:00:00Z"}},
		{"inside one night", "2026-03-10T23:00:00Z", "2026-03-11T01:00:00Z", time.UTC,
			[]string{"2026-03-10T23:00:00Z", "2026-03-11T01:00:00Z"}},
		{"inside one day", "2026-03-10T08:00:00Z", "2026-03-10T20:00:00Z", time.UTC, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, n := range NightIntervals(utc(tc.since), utc(tc.until), tc.loc) {
				got = append(got, n[0].Format(time.RFC3339), n[1].Format(time.RFC3339))
			}
			if len(got) != len(tc.want) {
				t.Fatalf("nights %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("nights %v, want %v", got, tc.want)
				}
			}
		})
	}
}
