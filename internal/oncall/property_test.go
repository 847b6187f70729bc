package oncall

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// Windows chosen to contain awkward transitions: DST in both hemispheres,
// 30- and 60-minute changes, changes at midnight (São Paulo 2018) and a
// skipped calendar day (Apia, 2011-12-30 did not exist).
var propertyZones = []struct {
	zone string
	base time.Time // around a transition
}{
	{"UTC", time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC)},
	{"Europe/Berlin", time.Date(2026, 3, 22, 0, 0, 0, 0, time.UTC)},
	{"Europe/Berlin", time.Date(2026, 10, 18, 0, 0, 0, 0, time.UTC)},
	{"America/New_York", time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)},
	{"America/New_York", time.Date(2026, 10, 25, 0, 0, 0, 0, time.UTC)},
	{"Australia/Lord_Howe", time.Date(2026, 3, 29, 0, 0, 0, 0, time.UTC)},
	{"Australia/Lord_Howe", time.Date(2026, 9, 27, 0, 0, 0, 0, time.UTC)},
	{"America/Sao_Paulo", time.Date(2018, 10, 28, 0, 0, 0, 0, time.UTC)},
	{"America/Sao_Paulo", time.Date(2018, 2, 11, 0, 0, 0, 0, time.UTC)},
	{"Pacific/Apia", time.Date(2011, 12, 22, 0, 0, 0, 0, time.UTC)},
	{"Pacific/Chatham", time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)},
	{"Asia/Kolkata", time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)},
}

// Times of day that fall into gaps or repeats in some of the zones above.
var awkwardClock = []int{0, 30, 60, 90, 120, 135, 150, 165, 180, 23*60 + 30, 9 * 60}

func randomClock(r *rand.Rand) int {
	if r.IntN(2) == 0 {
		return awkwardClock[r.IntN(len(awkwardClock))]
	}
	return r.IntN(24 * 60)
}

func randomSchedule(r *rand.Rand) (vigil.Schedule, []vigil.Override, time.Time, time.Time) {
	z := propertyZones[r.IntN(len(propertyZones))]
	loc := mustLoc(z.zone)
	s := vigil.Schedule{ID: 1, Name: "p", TimeZone: z.zone}
	for n := 1 + r.IntN(4); n > 0; n-- {
		l := vigil.Layer{}
		switch r.IntN(3) {
		case 0:
			l.TurnUnit, l.TurnCount = vigil.UnitHour, 1+r.IntN(30)
		case 1:
			l.TurnUnit, l.TurnCount = vigil.UnitDay, 1+r.IntN(4)
		default:
			l.TurnUnit, l.TurnCount = vigil.UnitWeek, 1+r.IntN(2)
		}
		for m := 1 + r.IntN(4); m > 0; m-- {
			l.Members = append(l.Members, int64(1+r.IntN(5)))
		}
		bd := z.base.In(loc).AddDate(0, 0, r.IntN(30)-20)
		c := randomClock(r)
		l.Start = time.Date(bd.Year(), bd.Month(), bd.Day(), c/60, c%60, r.IntN(2)*r.IntN(60), 0, loc)
		if r.IntN(2) == 0 {
			for k := 1 + r.IntN(3); k > 0; k-- {
				var res vigil.Restriction
				res.Start = vigil.ClockTime(randomClock(r))
				if r.IntN(2) == 0 {
					res.Kind = vigil.RestrictDaily
					res.Duration = vigil.Duration(time.Duration(1+r.IntN(24*60)) * time.Minute)
				} else {
					res.Kind = vigil.RestrictWeekly
					res.Weekday = time.Weekday(r.IntN(7))
					res.Duration = vigil.Duration(time.Duration(1+r.IntN(7*24*60)) * time.Minute)
				}
				l.Restrictions = append(l.Restrictions, res)
			}
		}
		s.Layers = append(s.Layers, l)
	}
	from := z.base.Add(time.Duration(r.IntN(5*24*60)-2*24*60) * time.Minute)
	to := from.Add(time.Duration(1+r.IntN(14*24*60)) * time.Minute)
	var ovs []vigil.Override
	for n := r.IntN(5); n > 0; n-- {
		st := from.Add(time.Duration(r.IntN(16*24*60)-24*60) * time.Minute)
		ovs = append(ovs, vigil.Override{
			ID:        int64(1 + r.IntN(3)),
			UserID:    int64(1 + r.IntN(7)),
			Start:     st,
			End:       st.Add(time.Duration(r.IntN(3*24*60)) * time.Minute),
			CreatedAt: z.base.Add(time.Duration(r.IntN(3)) * time.Hour),
		})
	}
	return s, ovs, from, to
}

// The timeline and the point query are computed by different code (an
// interval sweep and a direct evaluation); they must agree everywhere.
func TestPropertyAtMatchesShiftsBetween(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	runs := 600
	if testing.Short() {
		runs = 100
	}
	for run := 0; run < runs; run++ {
		s, ovs, from, to := randomSchedule(r)
		shifts, err := ShiftsBetween(s, ovs, from, to)
		if err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		fail := func(format string, args ...any) {
			t.Helper()
			t.Fatalf("run %d, zone %s, window [%s, %s), schedule %+v, overrides %+v, shifts:%s\n"+format,
				append([]any{run, s.TimeZone, from.Format(time.RFC3339), to.Format(time.RFC3339), s.Layers, ovs, fmtShifts(shifts)}, args...)...)
		}
		loc := mustLoc(s.TimeZone)
		for i, sh := range shifts {
			if !sh.Start.Before(sh.End) || sh.Start.Before(from) || sh.End.After(to) {
				fail("shift %d empty or outside the window", i)
			}
			if sh.Start.Location().String() != loc.String() {
				fail("shift %d not in the schedule's zone", i)
			}
			if i > 0 {
				p := shifts[i-1]
				if sh.Start.Before(p.End) {
					fail("shift %d overlaps the one before", i)
				}
				if sh.Start.Equal(p.End) && sh.UserID == p.UserID && sh.Override == p.Override {
					fail("shift %d should have been merged with the one before", i)
				}
			}
		}
		whoAt := func(t time.Time) int64 {
			for _, sh := range shifts {
				if !t.Before(sh.Start) && t.Before(sh.End) {
					return sh.UserID
				}
			}
			return 0
		}
		var probes []time.Time
		for _, sh := range shifts {
			probes = append(probes, sh.Start, sh.Start.Add(-time.Nanosecond), sh.End.Add(-time.Nanosecond), sh.Start.Add(sh.End.Sub(sh.Start)/2))
		}
		span := to.Sub(from)
		for i := 0; i < 40; i++ {
			probes = append(probes, from.Add(time.Duration(r.Int64N(int64(span)))))
		}
		for _, p := range probes {
			if p.Before(from) || !p.Before(to) {
				continue
			}
			got, _ := At(s, ovs, p)
			if want := whoAt(p); got != want {
				fail("At(%s) = %d, the timeline says %d", p.Format(time.RFC3339Nano), got, want)
			}
		}
		// A sub-window is the clipped timeline.
		a := from.Add(time.Duration(r.Int64N(int64(span))))
		b := a.Add(time.Duration(r.Int64N(int64(to.Sub(a)) + 1)))
		sub, err := ShiftsBetween(s, ovs, a, b)
		if err != nil {
			fail("sub-window: %v", err)
		}
		var clipped []vigil.Shift
		for _, sh := range shifts {
			if sh.End.After(a) && sh.Start.Before(b) {
				sh.Start, sh.End = maxTime(sh.Start, a), minTime(sh.End, b)
				clipped = append(clipped, sh)
			}
		}
		if len(sub) != len(clipped) {
			fail("sub-window [%s, %s):%s\nwant the clipped:%s", a, b, fmtShifts(sub), fmtShifts(clipped))
		}
		for i := range sub {
			if sub[i].UserID != clipped[i].UserID || sub[i].Override != clipped[i].Override ||
				!sub[i].Start.Equal(clipped[i].Start) || !sub[i].End.Equal(clipped[i].End) {
				fail("sub-window [%s, %s):%s\nwant the clipped:%s", a, b, fmtShifts(sub), fmtShifts(clipped))
			}
		}
	}
}

// Turn starts increase and each turn lasts about its nominal length (a
// DST change moves it by at most the change, which is at most 2 hours,
// and Apia's skipped day by 24 hours).
func TestPropertyTurnsMonotonic(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for run := 0; run < 300; run++ {
		s, _, _, _ := randomSchedule(r)
		p, err := newPlan(s)
		if err != nil {
			t.Fatal(err)
		}
		for li := range p.layers {
			l := &p.layers[li]
			prev := l.turnStart(p.loc, 0)
			for k := int64(1); k < 60; k++ {
				ts := l.turnStart(p.loc, k)
				d := ts.Sub(prev)
				nominal := time.Duration(l.turnSec) * time.Second
				if !l.hour {
					nominal = time.Duration(l.days) * 24 * time.Hour
				}
				// A turn handing off on a skipped calendar day starts with
				// the next one: it is empty.
				if d < 0 || d < nominal-25*time.Hour || d > nominal+25*time.Hour {
					t.Fatalf("%s layer %d: turn %d lasts %s (nominal %s)", s.TimeZone, li, k-1, d, nominal)
				}
				if d == 0 {
					if s.TimeZone != "Pacific/Apia" {
						t.Fatalf("%s layer %d: turn %d is empty", s.TimeZone, li, k-1)
					}
					prev = ts
					continue
				}
				if next := l.turnStart(p.loc, k+1); !next.After(ts) {
					prev = ts
					continue
				}
				if got := l.turnIndex(p.loc, ts); got != k {
					t.Fatalf("%s layer %d (start %s, unit %s×%d): turnIndex(start of turn %d = %s) = %d, turn %d starts %s", s.TimeZone, li, l.start, s.Layers[li].TurnUnit, s.Layers[li].TurnCount, k, ts, got, got, l.turnStart(p.loc, got))
				}
				if got := l.turnIndex(p.loc, ts.Add(-time.Nanosecond)); got != k-1 {
					t.Fatalf("%s layer %d: turnIndex(just before turn %d) = %d", s.TimeZone, li, k, got)
				}
				prev = ts
			}
		}
	}
}

func benchSchedule() (vigil.Schedule, []vigil.Override) {
	l0 := rotation(vigil.UnitWeek, 1, bt(1, 5, 9, 0), 1, 2, 3, 4)
	l0.Restrictions = []vigil.Restriction{daily(hm(17, 0), hours(16))}
	l1 := businessHours(bt(1, 5, 9, 0), 5, 6, 7)
	l2 := rotation(vigil.UnitHour, 12, bt(1, 5, 8, 0), 8, 9)
	l2.Restrictions = []vigil.Restriction{weekly(time.Saturday, hm(8, 0), hours(48))}
	s := sched("Europe/Berlin", l0, l1, l2)
	var ovs []vigil.Override
	for i := 0; i < 10; i++ {
		st := bt(3, 23, 0, 0).Add(time.Duration(i) * 31 * time.Hour)
		ovs = append(ovs, vigil.Override{ID: int64(i + 1), UserID: int64(10 + i), Start: st, End: st.Add(5 * time.Hour), CreatedAt: st})
	}
	return s, ovs
}

func BenchmarkShiftsBetween2Weeks(b *testing.B) {
	s, ovs := benchSchedule()
	from, to := bt(3, 23, 0, 0), bt(4, 6, 0, 0) // across the DST change
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ShiftsBetween(s, ovs, from, to); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAt(b *testing.B) {
	s, ovs := benchSchedule()
	t := bt(3, 29, 12, 0)
	b.ReportAllocs()
	for b.Loop() {
		At(s, ovs, t)
	}
}
