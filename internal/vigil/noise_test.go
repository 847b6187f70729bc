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

// FuzzParseNoiseQuery: the report's parameters never panic the parser,
// refusals are CodeInvalid naming one of them, and an accepted query has a
// bounded range whose nights fit in it.
func FuzzParseNoiseQuery(f *testing.F) {
	for _, s := range [][3]string{
		{"", "", ""}, {"2026-03-01T00:00:00Z", "2026-03-08T00:00:00Z", "Europe/Berlin"}, {"yesterday", "", ""},
		{"", "2026-03-01T00:00:00+02:00", "Local"}, {"2020-01-01T00:00:00Z", "", "UTC"}, {"", "", "America/New_York\x00"},
	} {
		f.Add(s[0], s[1], s[2])
	}
	now := time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)
	f.Fuzz(func(t *testing.T, since, until, tz string) {
		vals := map[string]string{"since": since, "until": until, "tz": tz}
		q, err := ParseNoiseQuery(func(n string) string { return vals[n] }, now)
		if err != nil {
			if f := ErrorField(err); ErrorCode(err) != CodeInvalid || (f != "since" && f != "until" && f != "tz") {
				t.Fatalf("refused with %v", err)
			}
			return
		}
		if !q.Until.After(q.Since) || q.Until.Sub(q.Since) > MaxNoiseRange || q.TimeZone == "" {
			t.Fatalf("accepted %+v", q)
		}
		for _, n := range NightIntervals(q.Since, q.Until, q.Location()) {
			if n[0].Before(q.Since) || n[1].After(q.Until) || !n[0].Before(n[1]) {
				t.Fatalf("night %v outside [%v, %v)", n, q.Since, q.Until)
			}
		}
	})
}
