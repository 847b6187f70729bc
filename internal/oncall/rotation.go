package oncall

import (
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// plan is a schedule prepared for evaluation: its zone loaded and each
// layer's handoff wall-clock time taken apart once.
type plan struct {
	loc    *time.Location
	layers []layerPlan
}

type layerPlan struct {
	start   time.Time // first handoff, an instant
	hour    bool      // hour unit: turns are a fixed span of real time
	turnSec int64     // hour unit: seconds per turn
	days    int       // day/week unit: calendar days per turn
	// Day/week units: the local date of start (as a day number) and its
	// wall-clock time of day, the handoff time of every turn.
	startDay  int64
	startWall time.Time // start's local wall clock, written as a UTC time
	members   []int64
	restr     []vigil.Restriction
}

func newPlan(s vigil.Schedule) (*plan, error) {
	name := s.TimeZone
	if name == "" {
		name = "UTC"
	}
	if name == "Local" {
		return nil, vigil.FieldError("time_zone", "must be an IANA time zone name, not Local")
	}
	loc, err := loadLocation(name)
	if err != nil {
		return nil, vigil.FieldError("time_zone", "unknown time zone %q", name)
	}
	p := &plan{loc: loc, layers: make([]layerPlan, 0, len(s.Layers))}
	for i, l := range s.Layers {
		f := fmt.Sprintf("layers[%d]", i)
		if l.TurnCount < 1 {
			return nil, vigil.FieldError(f+".turn_count", "must be at least 1")
		}
		lp := layerPlan{start: l.Start.In(loc), members: l.Members, restr: l.Restrictions}
		switch l.TurnUnit {
		case vigil.UnitHour:
			lp.hour = true
			lp.turnSec = int64(l.TurnCount) * 3600
		case vigil.UnitDay:
			lp.days = l.TurnCount
		case vigil.UnitWeek:
			lp.days = 7 * l.TurnCount
		default:
			return nil, vigil.FieldError(f+".turn_unit", "must be one of hour, day, week")
		}
		lp.startWall = naive(lp.start)
		lp.startDay = dayNumber(lp.startWall)
		for j, r := range l.Restrictions {
			if r.Kind != vigil.RestrictDaily && r.Kind != vigil.RestrictWeekly {
				return nil, vigil.FieldError(fmt.Sprintf("%s.restrictions[%d].kind", f, j), "must be one of daily, weekly")
			}
		}
		p.layers = append(p.layers, lp)
	}
	return p, nil
}

// zones caches loaded locations: time.LoadLocation parses the zone file on
// every call, which would dominate a small computation. Only names that
// loaded are kept, so the cache is bounded by the zone database.
var zones sync.Map // string -> *time.Location

func loadLocation(name string) (*time.Location, error) {
	if l, ok := zones.Load(name); ok {
		return l.(*time.Location), nil
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	zones.Store(name, l)
	return l, nil
}

// naive returns t's wall clock in its own location written as a UTC time,
// so wall-clock arithmetic (add days, add minutes) is plain time arithmetic.
func naive(t time.Time) time.Time {
	y, m, d := t.Date()
	hh, mm, ss := t.Clock()
	return time.Date(y, m, d, hh, mm, ss, t.Nanosecond(), time.UTC)
}

// dayNumber is the civil day of a naive time, counted from 1970-01-01.
func dayNumber(w time.Time) int64 {
	y, m, d := w.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400
}

// resolve turns a wall-clock time w (naive, see above) into an instant in
// loc following RFC 5545 §3.3.5, explicitly, because time.Date does not
// promise either rule and in practice differs between zones east and west
// of UTC:
//   - a wall time that occurs twice (fall back) means the FIRST occurrence;
//   - a wall time that does not occur (spring forward) is read with the UTC
//     offset in effect before the gap, i.e. moved forward by the gap's
//     length (02:30 becomes 03:30 when clocks jump from 02:00 to 03:00).
//
// The result is non-decreasing in w.
func resolve(loc *time.Location, w time.Time) time.Time {
	y, m, d := w.Date()
	hh, mm, ss := w.Clock()
	t := time.Date(y, m, d, hh, mm, ss, w.Nanosecond(), loc)
	if loc == time.UTC {
		return t
	}
	_, o1 := t.Zone()
	_, o0 := t.Add(-25 * time.Hour).Zone()
	_, o2 := t.Add(25 * time.Hour).Zone()
	if o0 == o1 && o1 == o2 {
		return t // no transition nearby: the wall time occurs exactly once
	}
	var best time.Time
	found := false
	maxOff := o0
	for _, o := range [3]int{o0, o1, o2} {
		maxOff = max(maxOff, o)
		c := w.Add(-time.Duration(o) * time.Second)
		if _, oc := c.In(loc).Zone(); oc == o && (!found || c.Before(best)) {
			best, found = c, true
		}
	}
	if found {
		return best.In(loc)
	}
	// In a gap: the offset before the gap is the one in effect at the
	// earliest reading of w.
	_, before := w.Add(-time.Duration(maxOff) * time.Second).In(loc).Zone()
	return w.Add(-time.Duration(before) * time.Second).In(loc)
}

// turnStart returns when turn k (k >= 0) of the layer begins. Turn 0 begins
// at Start itself, even when Start is the second occurrence of an
// ambiguous wall time.
func (l *layerPlan) turnStart(loc *time.Location, k int64) time.Time {
	if k == 0 {
		return l.start
	}
	if l.hour {
		// Whole seconds keep this exact for starts centuries away, where
		// a time.Duration would overflow.
		return time.Unix(l.start.Unix()+k*l.turnSec, int64(l.start.Nanosecond())).In(loc)
	}
	return resolve(loc, l.startWall.AddDate(0, 0, int(k)*l.days))
}

// turnIndex returns the turn containing t; t must not be before Start.
func (l *layerPlan) turnIndex(loc *time.Location, t time.Time) int64 {
	if l.hour {
		sec := t.Unix() - l.start.Unix()
		if t.Nanosecond() < l.start.Nanosecond() {
			sec--
		}
		return sec / l.turnSec
	}
	k := (dayNumber(naive(t.In(loc))) - l.startDay) / int64(l.days)
	// The estimate from the local date is off by at most one turn
	// (before the handoff time of day, or around a DST change).
	for k > 0 && l.turnStart(loc, k).After(t) {
		k--
	}
	for !l.turnStart(loc, k+1).After(t) {
		k++
	}
	return k
}

func (l *layerPlan) member(k int64) int64 {
	return l.members[k%int64(len(l.members))]
}

// window is a span [start, end).
type window struct{ start, end time.Time }

// restrictionWindow returns the window of r that begins on the local date
// day (naive midnight). Restrictions are wall-clock spans: 09:00 for 8h
// is 09:00–17:00 local even on a 23- or 25-hour day.
func restrictionWindow(loc *time.Location, r vigil.Restriction, day time.Time) window {
	ws := day.Add(time.Duration(r.Start) * time.Minute)
	we := ws.Add(time.Duration(r.Duration))
	return window{resolve(loc, ws), resolve(loc, we)}
}

// startsOn reports whether r has a window beginning on the local date day.
func startsOn(r vigil.Restriction, day time.Time) bool {
	return r.Kind == vigil.RestrictDaily || day.Weekday() == r.Weekday
}

// active reports whether the layer's restrictions let it be on call at t
// (no restrictions: always).
func (l *layerPlan) active(loc *time.Location, t time.Time) bool {
	if len(l.restr) == 0 {
		return true
	}
	w := naive(t.In(loc))
	today := time.Date(w.Year(), w.Month(), w.Day(), 0, 0, 0, 0, time.UTC)
	// A window starting on the local date D ends by D+8 (weekly) or D+2
	// (daily). One more day back covers a skipped calendar day (Apia,
	// 2011-12-30) and one day ahead a midnight that repeats.
	for i := -9; i <= 1; i++ {
		day := today.AddDate(0, 0, i)
		for _, r := range l.restr {
			if !startsOn(r, day) || (i < -2 && r.Kind == vigil.RestrictDaily) {
				continue
			}
			win := restrictionWindow(loc, r, day)
			if !t.Before(win.start) && t.Before(win.end) {
				return true
			}
		}
	}
	return false
}

// activeWindows returns the layer's active time within [lo, hi) as sorted,
// disjoint, non-touching windows.
func (l *layerPlan) activeWindows(loc *time.Location, lo, hi time.Time, budget *int) ([]window, error) {
	if len(l.restr) == 0 {
		return []window{{lo, hi}}, nil
	}
	first := naive(lo.In(loc))
	first = time.Date(first.Year(), first.Month(), first.Day(), 0, 0, 0, 0, time.UTC)
	last := dayNumber(naive(hi.In(loc))) + 1
	var ws []window
	for day := first.AddDate(0, 0, -9); dayNumber(day) <= last; day = day.AddDate(0, 0, 1) {
		for _, r := range l.restr {
			if !startsOn(r, day) {
				continue
			}
			win := restrictionWindow(loc, r, day)
			if win.start.Before(lo) {
				win.start = lo
			}
			if win.end.After(hi) {
				win.end = hi
			}
			if !win.start.Before(win.end) {
				continue
			}
			if *budget--; *budget < 0 {
				return nil, errTooMany
			}
			ws = append(ws, win)
		}
	}
	sort.Slice(ws, func(i, j int) bool { return ws[i].start.Before(ws[j].start) })
	out := ws[:0]
	for _, w := range ws {
		if n := len(out); n > 0 && !w.start.After(out[n-1].end) {
			if w.end.After(out[n-1].end) {
				out[n-1].end = w.end
			}
			continue
		}
		out = append(out, w)
	}
	return out, nil
}
