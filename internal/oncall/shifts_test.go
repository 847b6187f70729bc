package oncall

import (
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

func businessHours(start time.Time, members ...int64) vigil.Layer {
	l := rotation(vigil.UnitDay, 1, start, members...)
	for wd := time.Monday; wd <= time.Friday; wd++ {
		l.Restrictions = append(l.Restrictions, weekly(wd, hm(9, 0), hours(8)))
	}
	return l
}

func TestLayersAndRestrictions(t *testing.T) {
	onlyNights := rotation(vigil.UnitDay, 1, bt(10, 1, 0, 0), 5)
	onlyNights.Restrictions = []vigil.Restriction{daily(hm(22, 0), hours(10))}
	eu := rotation(vigil.UnitDay, 1, bt(3, 1, 8, 0), 1)
	eu.Restrictions = []vigil.Restriction{daily(hm(8, 0), hours(12))}
	us := rotation(vigil.UnitDay, 1, bt(3, 1, 20, 0), 2)
	us.Restrictions = []vigil.Restriction{daily(hm(20, 0), hours(12))}
	euUTC := rotation(vigil.UnitDay, 1, ut(3, 1, 6, 0), 1)
	euUTC.Restrictions = []vigil.Restriction{daily(hm(6, 0), hours(12))}
	usUTC := rotation(vigil.UnitDay, 1, ut(3, 1, 18, 0), 2)
	usUTC.Restrictions = []vigil.Restriction{daily(hm(18, 0), hours(12))}
	officeHours := rotation(vigil.UnitDay, 1, bt(6, 1, 0, 0), 1)
	officeHours.Restrictions = []vigil.Restriction{daily(hm(9, 0), hours(8))}
	weekendShift := rotation(vigil.UnitWeek, 1, bt(3, 2, 0, 0), 4)
	weekendShift.Restrictions = []vigil.Restriction{weekly(time.Friday, hm(18, 0), hours(62))}

	runRotationCases(t, []rotationCase{
		{
			// Layer 0: weekly [10 11] from Monday 09:00, always. Layer 1:
			// daily [20 21] from the same Monday, weekdays 09:00–17:00.
			// 2026-03-27 is a Friday, 2026-03-30 the Monday after DST.
			name: "business-hours layer over a 24/7 layer across DST weekend",
			s: sched("Europe/Berlin",
				rotation(vigil.UnitWeek, 1, bt(3, 23, 9, 0), 10, 11),
				businessHours(bt(3, 23, 9, 0), 20, 21)),
			from: bt(3, 27, 0, 0), to: bt(3, 31, 0, 0),
			want: []want{
				sh(10, bt(3, 27, 0, 0), bt(3, 27, 9, 0), hours(9)),
				sh(20, bt(3, 27, 9, 0), bt(3, 27, 17, 0), hours(8)),
				sh(10, bt(3, 27, 17, 0), bt(3, 30, 9, 0), hours(63)),
				sh(21, bt(3, 30, 9, 0), bt(3, 30, 17, 0), hours(8)),
				sh(11, bt(3, 30, 17, 0), bt(3, 31, 0, 0), hours(7)),
			},
			probes: []probe{
				{bt(3, 27, 8, 59), 10}, {bt(3, 27, 9, 0), 20}, {bt(3, 27, 16, 59), 20}, {bt(3, 27, 17, 0), 10},
				{bt(3, 28, 12, 0), 10}, // Saturday noon
				{bt(3, 30, 8, 59), 10}, {bt(3, 30, 9, 0), 21}, {bt(3, 30, 16, 59), 21}, {bt(3, 30, 17, 0), 11},
			},
		},
		{
			// Follow the sun: Europe 08:00–20:00 Berlin, the US team the
			// other 12 hours, both written in the schedule's zone. The
			// night of the DST change is 11 hours long.
			name: "follow the sun in Europe/Berlin",
			s:    sched("Europe/Berlin", eu, us),
			from: bt(3, 28, 0, 0), to: bt(3, 30, 0, 0),
			want: []want{
				sh(2, bt(3, 28, 0, 0), bt(3, 28, 8, 0), hours(8)),
				sh(1, bt(3, 28, 8, 0), bt(3, 28, 20, 0), hours(12)),
				sh(2, bt(3, 28, 20, 0), bt(3, 29, 8, 0), hours(11)),
				sh(1, bt(3, 29, 8, 0), bt(3, 29, 20, 0), hours(12)),
				sh(2, bt(3, 29, 20, 0), bt(3, 30, 0, 0), hours(4)),
			},
			probes: []probe{{bt(3, 29, 7, 59), 2}, {bt(3, 29, 8, 0), 1}, {bt(3, 29, 19, 59), 1}, {bt(3, 29, 20, 0), 2}},
		},
		{
			// The same in a UTC schedule: the US DST change (2026-03-08)
			// moves nothing, every half is 12 hours.
			name: "follow the sun in UTC across the US DST change",
			s:    sched("UTC", euUTC, usUTC),
			from: ut(3, 7, 18, 0), to: ut(3, 9, 6, 0),
			want: []want{
				sh(2, ut(3, 7, 18, 0), ut(3, 8, 6, 0), hours(12)),
				sh(1, ut(3, 8, 6, 0), ut(3, 8, 18, 0), hours(12)),
				sh(2, ut(3, 8, 18, 0), ut(3, 9, 6, 0), hours(12)),
			},
			// 06:00Z is 01:00 EST; 18:00Z is 14:00 EDT.
			probes: []probe{{nt(3, 8, 0, 59), 2}, {nt(3, 8, 1, 0), 1}, {nt(3, 8, 13, 59), 1}, {nt(3, 8, 14, 0), 2}},
		},
		{
			name: "restriction crossing midnight, 22:00 for 10h, fall-back night is 11h",
			s:    sched("Europe/Berlin", rotation(vigil.UnitDay, 1, bt(10, 1, 0, 0), 1), onlyNights),
			from: bt(10, 23, 12, 0), to: bt(10, 25, 12, 0),
			want: []want{
				sh(1, bt(10, 23, 12, 0), bt(10, 23, 22, 0), hours(10)),
				sh(5, bt(10, 23, 22, 0), bt(10, 24, 8, 0), hours(10)),
				sh(1, bt(10, 24, 8, 0), bt(10, 24, 22, 0), hours(14)),
				sh(5, bt(10, 24, 22, 0), bt(10, 25, 8, 0), hours(11)),
				sh(1, bt(10, 25, 8, 0), bt(10, 25, 12, 0), hours(4)),
			},
			probes: []probe{
				{bt(10, 24, 21, 59), 1}, {bt(10, 24, 22, 0), 5}, {bt(10, 24, 23, 59), 5},
				{bt(10, 25, 0, 0), 5}, {bt(10, 25, 7, 59), 5}, {bt(10, 25, 8, 0), 1},
			},
		},
		{
			name: "restriction crossing midnight, spring-forward night is 9h",
			s: func() vigil.Schedule {
				n := onlyNights
				n.Start = bt(3, 1, 0, 0)
				return sched("Europe/Berlin", rotation(vigil.UnitDay, 1, bt(3, 1, 0, 0), 1), n)
			}(),
			from: bt(3, 28, 12, 0), to: bt(3, 29, 12, 0),
			want: []want{
				sh(1, bt(3, 28, 12, 0), bt(3, 28, 22, 0), hours(10)),
				sh(5, bt(3, 28, 22, 0), bt(3, 29, 8, 0), hours(9)),
				sh(1, bt(3, 29, 8, 0), bt(3, 29, 12, 0), hours(4)),
			},
		},
		{
			name: "office hours alone: gaps are absent",
			s:    sched("Europe/Berlin", officeHours),
			from: bt(6, 1, 0, 0), to: bt(6, 3, 0, 0),
			want: []want{
				sh(1, bt(6, 1, 9, 0), bt(6, 1, 17, 0), hours(8)),
				sh(1, bt(6, 2, 9, 0), bt(6, 2, 17, 0), hours(8)),
			},
			probes: []probe{{bt(6, 1, 8, 59), 0}, {bt(6, 1, 9, 0), 1}, {bt(6, 1, 17, 0), 0}},
		},
		{
			name: "weekly restriction Friday 18:00 for 62h covers the weekend",
			s:    sched("Europe/Berlin", rotation(vigil.UnitDay, 1, bt(3, 1, 0, 0), 1), weekendShift),
			from: bt(3, 27, 0, 0), to: bt(3, 31, 0, 0),
			want: []want{
				sh(1, bt(3, 27, 0, 0), bt(3, 27, 18, 0), hours(18)),
				sh(4, bt(3, 27, 18, 0), bt(3, 30, 8, 0), hours(61)), // Monday 08:00 local, an hour short
				sh(1, bt(3, 30, 8, 0), bt(3, 31, 0, 0), hours(16)),
			},
		},
		{
			name: "higher layer before its Start lets the lower show",
			s: sched("Europe/Berlin",
				rotation(vigil.UnitDay, 1, bt(6, 1, 9, 0), 1),
				rotation(vigil.UnitDay, 1, bt(6, 3, 9, 0), 2)),
			from: bt(6, 2, 0, 0), to: bt(6, 4, 0, 0),
			want: []want{
				sh(1, bt(6, 2, 0, 0), bt(6, 3, 9, 0), hours(33)),
				sh(2, bt(6, 3, 9, 0), bt(6, 4, 0, 0), hours(15)),
			},
		},
		{
			name: "same user on both layers merges into one shift",
			s: sched("Europe/Berlin",
				rotation(vigil.UnitDay, 1, bt(6, 1, 0, 0), 7),
				func() vigil.Layer { l := officeHours; l.Members = []int64{7}; return l }()),
			from: bt(6, 1, 0, 0), to: bt(6, 3, 0, 0),
			want: []want{sh(7, bt(6, 1, 0, 0), bt(6, 3, 0, 0), hours(48))},
		},
	})
}

func TestShiftsBetweenClipAndMerge(t *testing.T) {
	abc := sched("Europe/Berlin", rotation(vigil.UnitDay, 1, bt(6, 1, 9, 0), 1, 2, 3))
	aab := sched("Europe/Berlin", rotation(vigil.UnitDay, 1, bt(6, 1, 9, 0), 1, 1, 2))
	runRotationCases(t, []rotationCase{
		{
			name: "consecutive turns of one member merge",
			s:    aab,
			from: bt(6, 1, 0, 0), to: bt(6, 5, 0, 0),
			want: []want{
				sh(1, bt(6, 1, 9, 0), bt(6, 3, 9, 0), hours(48)),
				sh(2, bt(6, 3, 9, 0), bt(6, 4, 9, 0), hours(24)),
				sh(1, bt(6, 4, 9, 0), bt(6, 5, 0, 0), hours(15)),
			},
			probes: []probe{{bt(6, 1, 8, 59), 0}},
		},
		{
			name: "window before the layer start is empty",
			s:    abc,
			from: bt(5, 1, 0, 0), to: bt(5, 2, 0, 0),
		},
		{
			name: "window ending exactly at the layer start is empty",
			s:    abc,
			from: bt(5, 31, 9, 0), to: bt(6, 1, 9, 0),
		},
		{
			name: "from and to exactly at handoffs",
			s:    abc,
			from: bt(6, 2, 9, 0), to: bt(6, 4, 9, 0),
			want: []want{
				sh(2, bt(6, 2, 9, 0), bt(6, 3, 9, 0), hours(24)),
				sh(3, bt(6, 3, 9, 0), bt(6, 4, 9, 0), hours(24)),
			},
		},
		{
			name: "window one nanosecond past a handoff",
			s:    abc,
			from: bt(6, 2, 9, 0).Add(-time.Nanosecond), to: bt(6, 2, 9, 0).Add(time.Nanosecond),
			want: []want{
				sh(1, bt(6, 2, 9, 0).Add(-time.Nanosecond), bt(6, 2, 9, 0), time.Nanosecond),
				sh(2, bt(6, 2, 9, 0), bt(6, 2, 9, 0).Add(time.Nanosecond), time.Nanosecond),
			},
		},
		{
			name: "window inside one turn",
			s:    abc,
			from: bt(6, 2, 10, 0), to: bt(6, 2, 11, 0),
			want: []want{sh(2, bt(6, 2, 10, 0), bt(6, 2, 11, 0), hours(1))},
		},
		{
			name: "window given in UTC",
			s:    abc,
			from: ut(6, 2, 7, 0), to: ut(6, 3, 7, 0),
			want: []want{sh(2, bt(6, 2, 9, 0), bt(6, 3, 9, 0), hours(24))},
		},
		{
			name: "empty window",
			s:    abc,
			from: bt(6, 2, 10, 0), to: bt(6, 2, 10, 0),
		},
		{
			name: "schedule without layers",
			s:    sched("UTC"),
			from: bt(6, 2, 10, 0), to: bt(6, 3, 10, 0),
		},
		{
			name: "empty time zone means UTC",
			s:    sched("", rotation(vigil.UnitDay, 1, ut(6, 1, 9, 0), 1, 2)),
			from: ut(6, 1, 9, 0), to: ut(6, 3, 9, 0),
			want: []want{sh(1, ut(6, 1, 9, 0), ut(6, 2, 9, 0), hours(24)), sh(2, ut(6, 2, 9, 0), ut(6, 3, 9, 0), hours(24))},
		},
	})
}

func TestShiftsBetweenResultZone(t *testing.T) {
	s := sched("Europe/Berlin", rotation(vigil.UnitDay, 1, bt(6, 1, 9, 0), 1, 2))
	got, err := ShiftsBetween(s, nil, ut(6, 2, 0, 0), ut(6, 3, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range got {
		if g.Start.Location().String() != "Europe/Berlin" || g.End.Location().String() != "Europe/Berlin" {
			t.Fatalf("shift times in %s/%s, want the schedule's zone", g.Start.Location(), g.End.Location())
		}
	}
}

func TestShiftsBetweenErrors(t *testing.T) {
	ok := rotation(vigil.UnitDay, 1, bt(6, 1, 9, 0), 1)
	cases := []struct {
		name      string
		s         vigil.Schedule
		from, to  time.Time
		wantField string
	}{
		{"to before from", sched("UTC", ok), ut(6, 2, 0, 0), ut(6, 1, 0, 0), ""},
		{"window over 366 days", sched("UTC", ok), ut(1, 1, 0, 0), ut(1, 1, 0, 0).AddDate(1, 0, 2), ""},
		{"unknown zone", sched("Mars/Olympus", ok), ut(6, 1, 0, 0), ut(6, 2, 0, 0), "time_zone"},
		{"Local zone", sched("Local", ok), ut(6, 1, 0, 0), ut(6, 2, 0, 0), "time_zone"},
		{"bad unit", sched("UTC", func() vigil.Layer { l := ok; l.TurnUnit = "month"; return l }()), ut(6, 1, 0, 0), ut(6, 2, 0, 0), "layers[0].turn_unit"},
		{"zero count", sched("UTC", ok, func() vigil.Layer { l := ok; l.TurnCount = 0; return l }()), ut(6, 1, 0, 0), ut(6, 2, 0, 0), "layers[1].turn_count"},
		{"bad restriction kind", sched("UTC", func() vigil.Layer {
			l := ok
			l.Restrictions = []vigil.Restriction{{Kind: "monthly", Duration: vigil.Duration(time.Hour)}}
			return l
		}()), ut(6, 1, 0, 0), ut(6, 2, 0, 0), "layers[0].restrictions[0].kind"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ShiftsBetween(c.s, nil, c.from, c.to)
			if vigil.ErrorCode(err) != vigil.CodeInvalid || vigil.ErrorField(err) != c.wantField {
				t.Fatalf("got %v (field %q), want invalid %q", err, vigil.ErrorField(err), c.wantField)
			}
			if _, ok := At(c.s, nil, c.from); ok && c.wantField != "" {
				t.Fatalf("At on a schedule that cannot be evaluated returned ok")
			}
		})
	}
	// Exactly 366 days is allowed.
	if _, err := ShiftsBetween(sched("UTC", ok), nil, ut(1, 1, 0, 0), ut(1, 1, 0, 0).Add(MaxWindow)); err != nil {
		t.Fatalf("366-day window: %v", err)
	}
}

func TestTooManyBoundaries(t *testing.T) {
	// 20 layers of one-hour turns with 50 daily restrictions each over a
	// year is far beyond any real schedule; it must fail, not crawl.
	var layers []vigil.Layer
	for i := 0; i < vigil.MaxScheduleLayers; i++ {
		l := rotation(vigil.UnitHour, 1, ut(1, 1, 0, 0), 1, 2)
		for j := 0; j < vigil.MaxLayerRestrictions; j++ {
			l.Restrictions = append(l.Restrictions, daily(vigil.ClockTime(j*25), 10*time.Minute))
		}
		layers = append(layers, l)
	}
	_, err := ShiftsBetween(sched("UTC", layers...), nil, ut(1, 1, 0, 0), ut(1, 1, 0, 0).Add(MaxWindow))
	if vigil.ErrorCode(err) != vigil.CodeInvalid {
		t.Fatalf("got %v, want an invalid error", err)
	}
}

func TestOverrides(t *testing.T) {
	// Daily [1 2 3] from Monday 2026-06-01 09:00: user 2 has
	// 06-02 09:00 to 06-03 09:00.
	s := sched("Europe/Berlin", rotation(vigil.UnitDay, 1, bt(6, 1, 9, 0), 1, 2, 3))
	c0 := ut(5, 1, 0, 0)
	c1 := c0.Add(time.Hour)
	ov := func(id, user int64, start, end, created time.Time) vigil.Override {
		return vigil.Override{ID: id, ScheduleID: 7, UserID: user, Start: start, End: end, CreatedAt: created}
	}
	from, to := bt(6, 2, 9, 0), bt(6, 3, 9, 0)
	cases := []struct {
		name     string
		s        vigil.Schedule
		ovs      []vigil.Override
		from, to time.Time
		want     []want
		probes   []probe
	}{
		{
			name: "one override over a shift",
			ovs:  []vigil.Override{ov(1, 9, bt(6, 2, 12, 0), bt(6, 2, 18, 0), c0)},
			want: []want{
				sh(2, bt(6, 2, 9, 0), bt(6, 2, 12, 0), hours(3)),
				osh(9, bt(6, 2, 12, 0), bt(6, 2, 18, 0), hours(6)),
				sh(2, bt(6, 2, 18, 0), bt(6, 3, 9, 0), hours(15)),
			},
			probes: []probe{{bt(6, 2, 11, 59), 2}, {bt(6, 2, 12, 0), 9}, {bt(6, 2, 17, 59), 9}, {bt(6, 2, 18, 0), 2}},
		},
		{
			name: "override on an override: the later created wins in the overlap",
			ovs: []vigil.Override{
				ov(1, 8, bt(6, 2, 10, 0), bt(6, 2, 16, 0), c0),
				ov(2, 9, bt(6, 2, 12, 0), bt(6, 2, 14, 0), c1),
			},
			want: []want{
				sh(2, bt(6, 2, 9, 0), bt(6, 2, 10, 0), hours(1)),
				osh(8, bt(6, 2, 10, 0), bt(6, 2, 12, 0), hours(2)),
				osh(9, bt(6, 2, 12, 0), bt(6, 2, 14, 0), hours(2)),
				osh(8, bt(6, 2, 14, 0), bt(6, 2, 16, 0), hours(2)),
				sh(2, bt(6, 2, 16, 0), bt(6, 3, 9, 0), hours(17)),
			},
			probes: []probe{{bt(6, 2, 11, 59), 8}, {bt(6, 2, 12, 0), 9}, {bt(6, 2, 13, 59), 9}, {bt(6, 2, 14, 0), 8}, {bt(6, 2, 16, 0), 2}},
		},
		{
			name: "an earlier-created override inside a later one is hidden",
			ovs: []vigil.Override{
				ov(2, 9, bt(6, 2, 12, 0), bt(6, 2, 14, 0), c0),
				ov(1, 8, bt(6, 2, 10, 0), bt(6, 2, 16, 0), c1),
			},
			want: []want{
				sh(2, bt(6, 2, 9, 0), bt(6, 2, 10, 0), hours(1)),
				osh(8, bt(6, 2, 10, 0), bt(6, 2, 16, 0), hours(6)),
				sh(2, bt(6, 2, 16, 0), bt(6, 3, 9, 0), hours(17)),
			},
			probes: []probe{{bt(6, 2, 13, 0), 8}},
		},
		{
			name: "same creation time: the higher ID wins",
			ovs: []vigil.Override{
				ov(5, 8, bt(6, 2, 10, 0), bt(6, 2, 16, 0), c0),
				ov(4, 9, bt(6, 2, 12, 0), bt(6, 2, 14, 0), c0),
			},
			want: []want{
				sh(2, bt(6, 2, 9, 0), bt(6, 2, 10, 0), hours(1)),
				osh(8, bt(6, 2, 10, 0), bt(6, 2, 16, 0), hours(6)),
				sh(2, bt(6, 2, 16, 0), bt(6, 3, 9, 0), hours(17)),
			},
			probes: []probe{{bt(6, 2, 13, 0), 8}},
		},
		{
			name: "override partly before the window is clipped",
			ovs:  []vigil.Override{ov(1, 9, bt(6, 1, 20, 0), bt(6, 2, 11, 0), c0)},
			want: []want{
				osh(9, bt(6, 2, 9, 0), bt(6, 2, 11, 0), hours(2)),
				sh(2, bt(6, 2, 11, 0), bt(6, 3, 9, 0), hours(22)),
			},
		},
		{
			name: "override partly after the window is clipped",
			ovs:  []vigil.Override{ov(1, 9, bt(6, 3, 8, 0), bt(6, 3, 20, 0), c0)},
			want: []want{
				sh(2, bt(6, 2, 9, 0), bt(6, 3, 8, 0), hours(23)),
				osh(9, bt(6, 3, 8, 0), bt(6, 3, 9, 0), hours(1)),
			},
		},
		{
			name: "override outside the window is ignored",
			ovs:  []vigil.Override{ov(1, 9, bt(6, 3, 9, 0), bt(6, 3, 20, 0), c0)},
			want: []want{sh(2, bt(6, 2, 9, 0), bt(6, 3, 9, 0), hours(24))},
		},
		{
			name: "override for the user already on call is its own shift",
			ovs:  []vigil.Override{ov(1, 2, bt(6, 2, 12, 0), bt(6, 2, 18, 0), c0)},
			want: []want{
				sh(2, bt(6, 2, 9, 0), bt(6, 2, 12, 0), hours(3)),
				osh(2, bt(6, 2, 12, 0), bt(6, 2, 18, 0), hours(6)),
				sh(2, bt(6, 2, 18, 0), bt(6, 3, 9, 0), hours(15)),
			},
		},
		{
			name: "abutting overrides of one user merge",
			ovs: []vigil.Override{
				ov(1, 9, bt(6, 2, 10, 0), bt(6, 2, 12, 0), c0),
				ov(2, 9, bt(6, 2, 12, 0), bt(6, 2, 14, 0), c0),
			},
			want: []want{
				sh(2, bt(6, 2, 9, 0), bt(6, 2, 10, 0), hours(1)),
				osh(9, bt(6, 2, 10, 0), bt(6, 2, 14, 0), hours(4)),
				sh(2, bt(6, 2, 14, 0), bt(6, 3, 9, 0), hours(19)),
			},
		},
		{
			name: "an empty or inverted override is ignored",
			ovs: []vigil.Override{
				ov(1, 9, bt(6, 2, 12, 0), bt(6, 2, 12, 0), c1),
				ov(2, 9, bt(6, 2, 14, 0), bt(6, 2, 13, 0), c1),
			},
			want:   []want{sh(2, bt(6, 2, 9, 0), bt(6, 3, 9, 0), hours(24))},
			probes: []probe{{bt(6, 2, 12, 0), 2}, {bt(6, 2, 13, 30), 2}},
		},
		{
			name: "override before the layer starts fills the void",
			ovs:  []vigil.Override{ov(1, 9, bt(5, 30, 12, 0), bt(5, 30, 18, 0), c0)},
			from: bt(5, 30, 0, 0), to: bt(5, 31, 0, 0),
			want:   []want{osh(9, bt(5, 30, 12, 0), bt(5, 30, 18, 0), hours(6))},
			probes: []probe{{bt(5, 30, 11, 0), 0}, {bt(5, 30, 12, 0), 9}},
		},
		{
			name: "override over a restricted-out gap",
			s: func() vigil.Schedule {
				l := rotation(vigil.UnitDay, 1, bt(6, 1, 0, 0), 1)
				l.Restrictions = []vigil.Restriction{daily(hm(9, 0), hours(8))}
				return sched("Europe/Berlin", l)
			}(),
			ovs:  []vigil.Override{ov(1, 9, bt(6, 2, 16, 0), bt(6, 2, 20, 0), c0)},
			from: bt(6, 2, 0, 0), to: bt(6, 3, 0, 0),
			want: []want{
				sh(1, bt(6, 2, 9, 0), bt(6, 2, 16, 0), hours(7)),
				osh(9, bt(6, 2, 16, 0), bt(6, 2, 20, 0), hours(4)),
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.s.Layers == nil {
				c.s = s
			}
			if c.from.IsZero() {
				c.from, c.to = from, to
			}
			got, err := ShiftsBetween(c.s, c.ovs, c.from, c.to)
			if err != nil {
				t.Fatal(err)
			}
			checkShifts(t, got, c.want)
			checkProbes(t, c.s, c.ovs, c.probes)
		})
	}
}

func TestNext(t *testing.T) {
	s := sched("Europe/Berlin", rotation(vigil.UnitDay, 1, bt(6, 1, 9, 0), 1, 2, 3))
	aab := sched("Europe/Berlin", rotation(vigil.UnitDay, 1, bt(6, 1, 9, 0), 1, 1, 2))
	ovs := []vigil.Override{{ID: 1, UserID: 9, Start: bt(6, 3, 12, 0), End: bt(6, 3, 13, 0)}}
	cases := []struct {
		name    string
		s       vigil.Schedule
		ovs     []vigil.Override
		user    int64 // 0: Next, else NextFor(user)
		t       time.Time
		horizon time.Duration
		want    *want
	}{
		{"next handoff", s, nil, 0, bt(6, 2, 10, 0), hours(48), &want{user: 3, start: bt(6, 3, 9, 0), end: bt(6, 4, 9, 0), length: hours(24)}},
		{"end found beyond the horizon", s, nil, 0, bt(6, 2, 10, 0), hours(24), &want{user: 3, start: bt(6, 3, 9, 0), end: bt(6, 4, 9, 0), length: hours(24)}},
		{"end found beyond several horizons", aab, nil, 0, bt(6, 1, 8, 0), hours(2), &want{user: 1, start: bt(6, 1, 9, 0), end: bt(6, 3, 9, 0), length: hours(48)}},
		{"at a handoff the next is the one after", s, nil, 0, bt(6, 2, 9, 0), hours(48), &want{user: 3, start: bt(6, 3, 9, 0), end: bt(6, 4, 9, 0), length: hours(24)}},
		{"an override is next", s, ovs, 0, bt(6, 3, 10, 0), hours(48), &want{user: 9, start: bt(6, 3, 12, 0), end: bt(6, 3, 13, 0), length: hours(1), override: true}},
		{"after the override the rotation resumes", s, ovs, 0, bt(6, 3, 12, 30), hours(48), &want{user: 3, start: bt(6, 3, 13, 0), end: bt(6, 4, 9, 0), length: hours(20)}},
		{"nothing within the horizon", s, nil, 0, bt(6, 2, 10, 0), hours(12), nil},
		{"before the start the first turn is next", s, nil, 0, bt(5, 30, 0, 0), hours(72), &want{user: 1, start: bt(6, 1, 9, 0), end: bt(6, 2, 9, 0), length: hours(24)}},
		{"NextFor skips others", s, nil, 1, bt(6, 1, 10, 0), hours(7 * 24), &want{user: 1, start: bt(6, 4, 9, 0), end: bt(6, 5, 9, 0), length: hours(24)}},
		{"NextFor a user not in the schedule", s, nil, 42, bt(6, 1, 10, 0), hours(7 * 24), nil},
		{"zero horizon", s, nil, 0, bt(6, 2, 10, 0), 0, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got vigil.Shift
			var ok bool
			if c.user == 0 {
				got, ok = Next(c.s, c.ovs, c.t, c.horizon)
			} else {
				got, ok = NextFor(c.s, c.ovs, c.user, c.t, c.horizon)
			}
			if c.want == nil {
				if ok {
					t.Fatalf("got %v, want none", fmtShifts([]vigil.Shift{got}))
				}
				return
			}
			if !ok {
				t.Fatal("got none")
			}
			checkShifts(t, []vigil.Shift{got}, []want{*c.want})
		})
	}
}

func TestNextLongShiftShortHorizon(t *testing.T) {
	// One person on call for ever: the shift found with a one-minute
	// horizon is followed to the 366-day limit in a few steps.
	s := sched("UTC", rotation(vigil.UnitWeek, 52, ut(6, 1, 0, 0), 1))
	got, ok := Next(s, nil, ut(5, 31, 23, 59), 2*time.Minute)
	if !ok || got.UserID != 1 || !got.Start.Equal(ut(6, 1, 0, 0)) || !got.End.Equal(ut(5, 31, 23, 59).Add(MaxWindow)) {
		t.Fatalf("got %v %v", ok, fmtShifts([]vigil.Shift{got}))
	}
}
