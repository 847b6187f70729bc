package oncall

import (
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

type rotationCase struct {
	name     string
	s        vigil.Schedule
	from, to time.Time
	want     []want
	probes   []probe
}

func runRotationCases(t *testing.T, cases []rotationCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ShiftsBetween(c.s, nil, c.from, c.to)
			if err != nil {
				t.Fatal(err)
			}
			checkShifts(t, got, c.want)
			checkProbes(t, c.s, nil, c.probes)
		})
	}
}

// Day and week turns hand off at the same local wall-clock time, so the
// turn containing a DST change lasts 23 or 25 hours (167 or 169 for weeks).
func TestRotationAcrossDST(t *testing.T) {
	runRotationCases(t, []rotationCase{
		{
			name: "Berlin daily 09:00, spring forward 2026-03-29",
			s:    sched("Europe/Berlin", rotation(vigil.UnitDay, 1, bt(3, 27, 9, 0), 1, 2, 3)),
			from: bt(3, 27, 9, 0), to: bt(3, 31, 9, 0),
			want: []want{
				sh(1, bt(3, 27, 9, 0), bt(3, 28, 9, 0), hours(24)),
				sh(2, bt(3, 28, 9, 0), bt(3, 29, 9, 0), hours(23)),
				sh(3, bt(3, 29, 9, 0), bt(3, 30, 9, 0), hours(24)),
				sh(1, bt(3, 30, 9, 0), bt(3, 31, 9, 0), hours(24)),
			},
			probes: []probe{
				{bt(3, 27, 8, 59), 0}, // before Start: no one
				{bt(3, 27, 9, 0), 1},
				{bt(3, 28, 8, 59), 1}, {bt(3, 28, 9, 0), 2}, {bt(3, 28, 9, 1), 2},
				{bt(3, 29, 8, 59), 2}, {bt(3, 29, 9, 0), 3}, {bt(3, 29, 9, 1), 3},
				{ut(3, 29, 6, 59), 2}, {ut(3, 29, 7, 0), 3}, // 09:00 CEST is 07:00Z
				{bt(3, 30, 8, 59), 3}, {bt(3, 30, 9, 0), 1},
			},
		},
		{
			name: "Berlin daily 09:00, fall back 2026-10-25",
			s:    sched("Europe/Berlin", rotation(vigil.UnitDay, 1, bt(10, 23, 9, 0), 1, 2, 3)),
			from: bt(10, 23, 9, 0), to: bt(10, 27, 9, 0),
			want: []want{
				sh(1, bt(10, 23, 9, 0), bt(10, 24, 9, 0), hours(24)),
				sh(2, bt(10, 24, 9, 0), bt(10, 25, 9, 0), hours(25)),
				sh(3, bt(10, 25, 9, 0), bt(10, 26, 9, 0), hours(24)),
				sh(1, bt(10, 26, 9, 0), bt(10, 27, 9, 0), hours(24)),
			},
			probes: []probe{
				{bt(10, 25, 8, 59), 2}, {bt(10, 25, 9, 0), 3}, {bt(10, 25, 9, 1), 3},
				{ut(10, 25, 7, 59), 2}, {ut(10, 25, 8, 0), 3}, // 09:00 CET is 08:00Z
				{ut(10, 25, 0, 30), 2}, {ut(10, 25, 1, 30), 2}, // 02:30 CEST and 02:30 CET
				{bt(10, 24, 8, 59), 1}, {bt(10, 24, 9, 0), 2},
			},
		},
		{
			name: "New York daily 09:00, spring forward 2026-03-08",
			s:    sched("America/New_York", rotation(vigil.UnitDay, 1, nt(3, 6, 9, 0), 1, 2, 3)),
			from: nt(3, 6, 9, 0), to: nt(3, 10, 9, 0),
			want: []want{
				sh(1, nt(3, 6, 9, 0), nt(3, 7, 9, 0), hours(24)),
				sh(2, nt(3, 7, 9, 0), nt(3, 8, 9, 0), hours(23)),
				sh(3, nt(3, 8, 9, 0), nt(3, 9, 9, 0), hours(24)),
				sh(1, nt(3, 9, 9, 0), nt(3, 10, 9, 0), hours(24)),
			},
			probes: []probe{
				{nt(3, 8, 8, 59), 2}, {nt(3, 8, 9, 0), 3}, {nt(3, 8, 9, 1), 3},
				{ut(3, 8, 12, 59), 2}, {ut(3, 8, 13, 0), 3}, // 09:00 EDT is 13:00Z
				{nt(3, 7, 8, 59), 1}, {nt(3, 7, 9, 1), 2},
			},
		},
		{
			name: "New York daily 09:00, fall back 2026-11-01",
			s:    sched("America/New_York", rotation(vigil.UnitDay, 1, nt(10, 30, 9, 0), 1, 2, 3)),
			from: nt(10, 30, 9, 0), to: nt(11, 3, 9, 0),
			want: []want{
				sh(1, nt(10, 30, 9, 0), nt(10, 31, 9, 0), hours(24)),
				sh(2, nt(10, 31, 9, 0), nt(11, 1, 9, 0), hours(25)),
				sh(3, nt(11, 1, 9, 0), nt(11, 2, 9, 0), hours(24)),
				sh(1, nt(11, 2, 9, 0), nt(11, 3, 9, 0), hours(24)),
			},
			probes: []probe{
				{nt(11, 1, 8, 59), 2}, {nt(11, 1, 9, 0), 3}, {nt(11, 1, 9, 1), 3},
				{ut(11, 1, 13, 59), 2}, {ut(11, 1, 14, 0), 3}, // 09:00 EST is 14:00Z
			},
		},
		{
			name: "Berlin weekly Monday 10:00, spring forward",
			s:    sched("Europe/Berlin", rotation(vigil.UnitWeek, 1, bt(3, 23, 10, 0), 1, 2)),
			from: bt(3, 23, 10, 0), to: bt(4, 6, 10, 0),
			want: []want{
				sh(1, bt(3, 23, 10, 0), bt(3, 30, 10, 0), hours(167)),
				sh(2, bt(3, 30, 10, 0), bt(4, 6, 10, 0), hours(168)),
			},
			probes: []probe{
				{bt(3, 30, 9, 59), 1}, {bt(3, 30, 10, 0), 2}, {bt(3, 30, 10, 1), 2},
				{bt(3, 29, 10, 0), 1}, // Sunday: still the first week
			},
		},
		{
			name: "New York weekly Monday 10:00, fall back",
			s:    sched("America/New_York", rotation(vigil.UnitWeek, 1, nt(10, 26, 10, 0), 1, 2)),
			from: nt(10, 26, 10, 0), to: nt(11, 9, 10, 0),
			want: []want{
				sh(1, nt(10, 26, 10, 0), nt(11, 2, 10, 0), hours(169)),
				sh(2, nt(11, 2, 10, 0), nt(11, 9, 10, 0), hours(168)),
			},
			probes: []probe{
				{ut(11, 2, 14, 59), 1}, {ut(11, 2, 15, 0), 2}, // 10:00 EST is 15:00Z
				{nt(11, 2, 9, 59), 1}, {nt(11, 2, 10, 1), 2},
			},
		},
		{
			name: "Berlin two-day turns across spring forward",
			s:    sched("Europe/Berlin", rotation(vigil.UnitDay, 2, bt(3, 28, 9, 0), 1, 2)),
			from: bt(3, 28, 9, 0), to: bt(4, 1, 9, 0),
			want: []want{
				sh(1, bt(3, 28, 9, 0), bt(3, 30, 9, 0), hours(47)),
				sh(2, bt(3, 30, 9, 0), bt(4, 1, 9, 0), hours(48)),
			},
		},
		{
			name: "a turn far after Start (2026 from a 2019 start)",
			// 2019-01-07 was a Monday; weekly turns of [1 2 3]. From then to
			// 2026-03-30 is 377 weeks, 377 mod 3 = 2: user 3's week.
			s:    sched("Europe/Berlin", rotation(vigil.UnitWeek, 1, time.Date(2019, 1, 7, 9, 0, 0, 0, berlin), 1, 2, 3)),
			from: bt(3, 30, 9, 0), to: bt(4, 6, 9, 0),
			want: []want{sh(3, bt(3, 30, 9, 0), bt(4, 6, 9, 0), hours(168))},
			probes: []probe{
				{bt(3, 30, 8, 59), 2}, {bt(3, 30, 9, 0), 3},
			},
		},
	})
}

// A handoff at a wall time that does not exist moves forward by the gap
// (RFC 5545; Go's time.Date would move it backward in New York); one at a
// wall time that occurs twice happens at the first occurrence.
func TestHandoffAtNonexistentOrAmbiguousTime(t *testing.T) {
	runRotationCases(t, []rotationCase{
		{
			name: "Berlin 02:30 on the spring-forward day is 03:30 CEST",
			s:    sched("Europe/Berlin", rotation(vigil.UnitDay, 1, bt(3, 27, 2, 30), 1, 2, 3)),
			from: bt(3, 27, 2, 30), to: bt(3, 31, 2, 30),
			want: []want{
				sh(1, bt(3, 27, 2, 30), bt(3, 28, 2, 30), hours(24)),
				sh(2, bt(3, 28, 2, 30), bt(3, 29, 3, 30), hours(24)),
				sh(3, bt(3, 29, 3, 30), bt(3, 30, 2, 30), hours(23)),
				sh(1, bt(3, 30, 2, 30), bt(3, 31, 2, 30), hours(24)),
			},
			probes: []probe{
				{bt(3, 29, 1, 59), 2}, {bt(3, 29, 3, 29), 2},
				{bt(3, 29, 3, 30), 3}, {ut(3, 29, 1, 30), 3},
			},
		},
		{
			name: "New York 02:30 on the spring-forward day is 03:30 EDT",
			s:    sched("America/New_York", rotation(vigil.UnitDay, 1, nt(3, 6, 2, 30), 1, 2, 3)),
			from: nt(3, 6, 2, 30), to: nt(3, 10, 2, 30),
			want: []want{
				sh(1, nt(3, 6, 2, 30), nt(3, 7, 2, 30), hours(24)),
				sh(2, nt(3, 7, 2, 30), nt(3, 8, 3, 30), hours(24)),
				sh(3, nt(3, 8, 3, 30), nt(3, 9, 2, 30), hours(23)),
				sh(1, nt(3, 9, 2, 30), nt(3, 10, 2, 30), hours(24)),
			},
			probes: []probe{
				{ut(3, 8, 6, 30), 2}, // 01:30 EST, where time.Date puts 02:30
				{ut(3, 8, 7, 29), 2}, {ut(3, 8, 7, 30), 3},
			},
		},
		{
			name: "Berlin 02:30 on the fall-back day is the first 02:30 (CEST)",
			s:    sched("Europe/Berlin", rotation(vigil.UnitDay, 1, bt(10, 23, 2, 30), 1, 2, 3)),
			from: bt(10, 23, 2, 30), to: bt(10, 27, 2, 30),
			want: []want{
				sh(1, bt(10, 23, 2, 30), bt(10, 24, 2, 30), hours(24)),
				// 2026-10-25 02:30 CEST is 00:30Z; 02:30 CET would be 01:30Z.
				sh(2, bt(10, 24, 2, 30), ut(10, 25, 0, 30), hours(24)),
				sh(3, ut(10, 25, 0, 30), bt(10, 26, 2, 30), hours(25)),
				sh(1, bt(10, 26, 2, 30), bt(10, 27, 2, 30), hours(24)),
			},
			probes: []probe{
				{ut(10, 25, 0, 29), 2}, {ut(10, 25, 0, 30), 3},
				{ut(10, 25, 1, 30), 3}, // the second 02:30 changes nothing
			},
		},
		{
			name: "New York 01:30 on the fall-back day is the first 01:30 (EDT)",
			s:    sched("America/New_York", rotation(vigil.UnitDay, 1, nt(10, 30, 1, 30), 1, 2, 3)),
			from: nt(10, 30, 1, 30), to: nt(11, 3, 1, 30),
			want: []want{
				sh(1, nt(10, 30, 1, 30), nt(10, 31, 1, 30), hours(24)),
				// 2026-11-01 01:30 EDT is 05:30Z; 01:30 EST would be 06:30Z.
				sh(2, nt(10, 31, 1, 30), ut(11, 1, 5, 30), hours(24)),
				sh(3, ut(11, 1, 5, 30), nt(11, 2, 1, 30), hours(25)),
				sh(1, nt(11, 2, 1, 30), nt(11, 3, 1, 30), hours(24)),
			},
			probes: []probe{{ut(11, 1, 5, 29), 2}, {ut(11, 1, 5, 30), 3}, {ut(11, 1, 6, 30), 3}},
		},
		{
			name: "Start itself at the second 02:30: turn 0 begins at Start",
			// 01:30Z is 02:30 CET, the second 02:30 of 2026-10-25. The next
			// handoffs are 02:30 local on the following days.
			s:    sched("Europe/Berlin", rotation(vigil.UnitDay, 1, ut(10, 25, 1, 30), 1, 2)),
			from: ut(10, 25, 0, 0), to: bt(10, 27, 2, 30),
			want: []want{
				sh(1, ut(10, 25, 1, 30), bt(10, 26, 2, 30), hours(24)),
				sh(2, bt(10, 26, 2, 30), bt(10, 27, 2, 30), hours(24)),
			},
			probes: []probe{{ut(10, 25, 0, 30), 0}, {ut(10, 25, 1, 29), 0}, {ut(10, 25, 1, 30), 1}},
		},
	})
}

// Hour turns are real time: 12 hours are 12 hours on a DST day too, so the
// local handoff time moves by an hour.
func TestHourRotationAcrossDST(t *testing.T) {
	runRotationCases(t, []rotationCase{
		{
			name: "Berlin 12h from 21:00 CET across spring forward",
			s:    sched("Europe/Berlin", rotation(vigil.UnitHour, 12, bt(3, 28, 21, 0), 1, 2)),
			from: bt(3, 28, 21, 0), to: bt(3, 30, 10, 0),
			want: []want{
				sh(1, bt(3, 28, 21, 0), bt(3, 29, 10, 0), hours(12)),
				sh(2, bt(3, 29, 10, 0), bt(3, 29, 22, 0), hours(12)),
				sh(1, bt(3, 29, 22, 0), bt(3, 30, 10, 0), hours(12)),
			},
			probes: []probe{{bt(3, 29, 9, 59), 1}, {bt(3, 29, 10, 0), 2}, {bt(3, 29, 21, 59), 2}, {bt(3, 29, 22, 0), 1}},
		},
		{
			name: "Berlin 12h from 21:00 CEST across fall back",
			s:    sched("Europe/Berlin", rotation(vigil.UnitHour, 12, bt(10, 24, 21, 0), 1, 2)),
			from: bt(10, 24, 21, 0), to: bt(10, 26, 8, 0),
			want: []want{
				sh(1, bt(10, 24, 21, 0), bt(10, 25, 8, 0), hours(12)),
				sh(2, bt(10, 25, 8, 0), bt(10, 25, 20, 0), hours(12)),
				sh(1, bt(10, 25, 20, 0), bt(10, 26, 8, 0), hours(12)),
			},
		},
		{
			name: "8h turns of three, window mid-turn",
			s:    sched("America/New_York", rotation(vigil.UnitHour, 8, nt(3, 7, 20, 0), 1, 2, 3)),
			from: nt(3, 8, 0, 0), to: nt(3, 8, 23, 0),
			// Turns at 20:00 EST (01:00Z), 05:00 EDT (09:00Z), 13:00 EDT,
			// 21:00 EDT.
			want: []want{
				sh(1, nt(3, 8, 0, 0), nt(3, 8, 5, 0), hours(4)),
				sh(2, nt(3, 8, 5, 0), nt(3, 8, 13, 0), hours(8)),
				sh(3, nt(3, 8, 13, 0), nt(3, 8, 21, 0), hours(8)),
				sh(1, nt(3, 8, 21, 0), nt(3, 8, 23, 0), hours(2)),
			},
		},
	})
}

func TestResolve(t *testing.T) {
	cases := []struct {
		name string
		loc  *time.Location
		wall time.Time // naive wall clock
		want time.Time
	}{
		{"Berlin ordinary", berlin, ut(6, 1, 9, 0), ut(6, 1, 7, 0)},
		{"Berlin gap 02:30", berlin, ut(3, 29, 2, 30), ut(3, 29, 1, 30)},
		{"Berlin gap 02:00", berlin, ut(3, 29, 2, 0), ut(3, 29, 1, 0)},
		{"Berlin 03:00 after the gap", berlin, ut(3, 29, 3, 0), ut(3, 29, 1, 0)},
		{"Berlin first 02:30", berlin, ut(10, 25, 2, 30), ut(10, 25, 0, 30)},
		{"Berlin 02:00 first", berlin, ut(10, 25, 2, 0), ut(10, 25, 0, 0)},
		{"Berlin 03:00 after the repeat", berlin, ut(10, 25, 3, 0), ut(10, 25, 2, 0)},
		{"New York gap 02:30", newYork, ut(3, 8, 2, 30), ut(3, 8, 7, 30)},
		{"New York first 01:30", newYork, ut(11, 1, 1, 30), ut(11, 1, 5, 30)},
		{"Lord Howe half-hour gap 02:15", mustLoc("Australia/Lord_Howe"), ut(10, 4, 2, 15), ut(10, 3, 15, 45)},
		{"Lord Howe first 01:45", mustLoc("Australia/Lord_Howe"), ut(4, 5, 1, 45), ut(4, 4, 14, 45)},
		{"UTC", time.UTC, ut(3, 29, 2, 30), ut(3, 29, 2, 30)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := resolve(c.loc, c.wall); !got.Equal(c.want) {
				t.Fatalf("resolve(%s) = %s, want %s", c.wall.Format("2006-01-02 15:04"), got.UTC(), c.want)
			}
		})
	}
}

// Samoa skipped 2011-12-30 (23:59:59 -10 on the 29th was followed by
// 00:00 +14 on the 31st). A handoff on the missing date moves forward by
// the gap, 24 hours, onto the next turn's handoff, so that turn is empty;
// a restriction window from the day before still covers the morning of
// the 31st.
func TestSkippedCalendarDay(t *testing.T) {
	apia := mustLoc("Pacific/Apia")
	z := func(d, h int) time.Time { return time.Date(2011, 12, d, h, 0, 0, 0, time.UTC) }
	nights := rotation(vigil.UnitDay, 1, time.Date(2011, 12, 1, 0, 0, 0, 0, apia), 9)
	nights.Restrictions = []vigil.Restriction{daily(hm(20, 0), hours(12))}
	runRotationCases(t, []rotationCase{
		{
			name: "day turns: the turn on the missing date is empty",
			s:    sched("Pacific/Apia", rotation(vigil.UnitDay, 1, time.Date(2011, 12, 28, 9, 0, 0, 0, apia), 1, 2, 3)),
			from: z(28, 19), to: z(31, 19),
			want: []want{
				sh(1, z(28, 19), z(29, 19), hours(24)), // 12-28 09:00 -10
				sh(2, z(29, 19), z(30, 19), hours(24)), // 12-29 09:00 -10
				// user 3's handoff (12-30 09:00) is read at -10, i.e.
				// 12-31 09:00 +14, which is also turn 3's handoff.
				sh(1, z(30, 19), z(31, 19), hours(24)), // 12-31 09:00 +14
			},
		},
		{
			name: "night restriction across the missing date",
			s:    sched("Pacific/Apia", rotation(vigil.UnitDay, 1, time.Date(2011, 12, 1, 0, 0, 0, 0, apia), 1), nights),
			from: z(29, 12), to: z(31, 12),
			want: []want{
				sh(9, z(29, 12), z(29, 18), hours(6)), // 02:00 to 08:00 -10
				sh(1, z(29, 18), z(30, 6), hours(12)),
				sh(9, z(30, 6), z(30, 18), hours(12)), // 12-29 20:00 -10 to 12-31 08:00 +14
				sh(1, z(30, 18), z(31, 6), hours(12)),
				sh(9, z(31, 6), z(31, 12), hours(6)), // from 12-31 20:00 +14
			},
			probes: []probe{{z(30, 17), 9}, {z(30, 18), 1}}, // 12-31 07:00 and 08:00 +14
		},
	})
}
