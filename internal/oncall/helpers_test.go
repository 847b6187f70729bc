package oncall

import (
	"fmt"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // zones exist on any machine

	"github.com/vigil-oss/vigil/internal/vigil"
)

var (
	berlin  = mustLoc("Europe/Berlin")
	newYork = mustLoc("America/New_York")
)

func mustLoc(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

func hours(n int) time.Duration { return time.Duration(n) * time.Hour }

// bt and nt write a Berlin or New York wall-clock time. Only use them for
// wall times that exist exactly once; write ambiguous instants in UTC.
func bt(mo time.Month, d, h, mi int) time.Time { return time.Date(2026, mo, d, h, mi, 0, 0, berlin) }
func nt(mo time.Month, d, h, mi int) time.Time { return time.Date(2026, mo, d, h, mi, 0, 0, newYork) }
func ut(mo time.Month, d, h, mi int) time.Time { return time.Date(2026, mo, d, h, mi, 0, 0, time.UTC) }

func rotation(unit string, count int, start time.Time, members ...int64) vigil.Layer {
	return vigil.Layer{Start: start, TurnUnit: unit, TurnCount: count, Members: members}
}

func daily(start vigil.ClockTime, d time.Duration) vigil.Restriction {
	return vigil.Restriction{Kind: vigil.RestrictDaily, Start: start, Duration: vigil.Duration(d)}
}

func weekly(wd time.Weekday, start vigil.ClockTime, d time.Duration) vigil.Restriction {
	return vigil.Restriction{Kind: vigil.RestrictWeekly, Weekday: wd, Start: start, Duration: vigil.Duration(d)}
}

func hm(h, m int) vigil.ClockTime { return vigil.ClockTime(h*60 + m) }

func sched(zone string, layers ...vigil.Layer) vigil.Schedule {
	return vigil.Schedule{ID: 7, Name: "Primary", TimeZone: zone, Layers: layers}
}

// want is an expected shift: the user, its span and its hand-computed
// length in real time (a second check on the literal instants).
type want struct {
	user     int64
	start    time.Time
	end      time.Time
	length   time.Duration
	override bool
}

func sh(user int64, start, end time.Time, length time.Duration) want {
	return want{user: user, start: start, end: end, length: length}
}

func osh(user int64, start, end time.Time, length time.Duration) want {
	return want{user: user, start: start, end: end, length: length, override: true}
}

// probe is an At check: who is on call at t (0: no one).
type probe struct {
	t    time.Time
	user int64
}

func fmtShifts(ss []vigil.Shift) string {
	var b strings.Builder
	for _, s := range ss {
		o := ""
		if s.Override {
			o = " override"
		}
		fmt.Fprintf(&b, "\n  user %d [%s, %s) %s%s", s.UserID, s.Start.Format(time.RFC3339), s.End.Format(time.RFC3339), s.End.Sub(s.Start), o)
	}
	return b.String()
}

func checkShifts(t *testing.T, got []vigil.Shift, wants []want) {
	t.Helper()
	for i, w := range wants {
		if w.end.Sub(w.start) != w.length {
			t.Fatalf("test bug: want[%d] spans %s, written length %s", i, w.end.Sub(w.start), w.length)
		}
	}
	ok := len(got) == len(wants)
	for i := 0; ok && i < len(got); i++ {
		g, w := got[i], wants[i]
		ok = g.UserID == w.user && g.Start.Equal(w.start) && g.End.Equal(w.end) && g.Override == w.override
	}
	if !ok {
		ws := make([]vigil.Shift, len(wants))
		for i, w := range wants {
			ws[i] = vigil.Shift{UserID: w.user, Start: w.start, End: w.end, Override: w.override}
		}
		t.Fatalf("got shifts:%s\nwant:%s", fmtShifts(got), fmtShifts(ws))
	}
}

func checkProbes(t *testing.T, s vigil.Schedule, ovs []vigil.Override, probes []probe) {
	t.Helper()
	for _, p := range probes {
		u, ok := At(s, ovs, p.t)
		if !ok {
			u = 0
		}
		if u != p.user {
			t.Errorf("At(%s) = %d, want %d", p.t.Format(time.RFC3339), u, p.user)
		}
	}
}
