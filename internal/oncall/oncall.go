// Package oncall computes who is on call for a schedule: pure functions of
// (schedule, overrides, time), no I/O.
//
// Semantics, in one place:
//
//   - Turn k of a layer starts at Start plus k turns and belongs to
//     Members[k mod len(Members)]. Before Start a layer has no one on call
//     (the rotation is not extended backwards), so lower layers show
//     through there.
//   - Hour turns are a fixed span of real time. Day and week turns hand off
//     at Start's local wall-clock time in the schedule's zone, so across a
//     DST change a day turn lasts 23 or 25 hours.
//   - A handoff (or restriction edge) at a wall time that occurs twice
//     (fall back) happens at the FIRST occurrence; one at a wall time that
//     does not exist (spring forward) is read with the offset before the
//     gap, i.e. moved later by the gap (02:30 becomes 03:30). Both are the
//     RFC 5545 rules. Turn 0 always begins at Start itself.
//   - Restrictions are wall-clock windows in the schedule's zone: "daily
//     09:00 for 8h" is 09:00–17:00 local even on a 23- or 25-hour day, and
//     "22:00 for 10h" across a fall-back night lasts 11 hours of real time.
//     A layer without restrictions is always active.
//   - Layers stack: the highest (last) layer that is active and started
//     wins. Overrides sit above every layer; among overlapping overrides
//     the one created later wins (CreatedAt, then ID, then position in the
//     slice), and the earlier one shows on both sides of it. Overrides with
//     End not after Start are ignored.
//
// All returned times are in the schedule's time zone.
package oncall

import (
	"sort"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// MaxWindow is the longest window ShiftsBetween computes.
const MaxWindow = 366 * 24 * time.Hour

// maxBoundaries bounds the work of one computation (turn handoffs plus
// restriction windows plus overrides), so a pathological schedule cannot
// exhaust memory.
const maxBoundaries = 250_000

var errTooMany = vigil.Errorf(vigil.CodeInvalid, "the schedule has too many handoffs in this window; ask for a shorter one")

// ShiftsBetween returns the on-call timeline in [from, to): shifts in time
// order, non-overlapping, clipped to the window, with adjacent shifts of
// the same user and the same Override flag merged. Times when no one is on
// call are simply absent. CodeInvalid when to is before from, the window
// is longer than MaxWindow, or the schedule cannot be evaluated (unknown
// zone, bad turn unit or count).
func ShiftsBetween(s vigil.Schedule, overrides []vigil.Override, from, to time.Time) ([]vigil.Shift, error) {
	if to.Before(from) {
		return nil, vigil.Errorf(vigil.CodeInvalid, "the window ends before it starts")
	}
	if to.Sub(from) > MaxWindow {
		return nil, vigil.Errorf(vigil.CodeInvalid, "the window is longer than 366 days")
	}
	p, err := newPlan(s)
	if err != nil {
		return nil, err
	}
	if !from.Before(to) {
		return []vigil.Shift{}, nil
	}
	return p.shifts(overrides, from.In(p.loc), to.In(p.loc))
}

// segment is one user on call for [start, end) within one tier.
type segment struct {
	start, end time.Time
	user       int64
}

// shifts stacks tiers (each layer, then each override by precedence) and
// reads off the top one at every elementary interval between boundaries.
func (p *plan) shifts(overrides []vigil.Override, from, to time.Time) ([]vigil.Shift, error) {
	budget := maxBoundaries
	var tiers [][]segment
	for i := range p.layers {
		segs, err := p.layers[i].segments(p.loc, from, to, &budget)
		if err != nil {
			return nil, err
		}
		tiers = append(tiers, segs)
	}
	nLayers := len(tiers)
	for _, o := range byPrecedence(overrides) {
		if !o.Start.Before(to) || !o.End.After(from) {
			continue
		}
		if budget--; budget < 0 {
			return nil, errTooMany
		}
		tiers = append(tiers, []segment{{maxTime(o.Start, from).In(p.loc), minTime(o.End, to).In(p.loc), o.UserID}})
	}

	var bounds []time.Time
	for _, segs := range tiers {
		for _, sg := range segs {
			bounds = append(bounds, sg.start, sg.end)
		}
	}
	sort.Slice(bounds, func(i, j int) bool { return bounds[i].Before(bounds[j]) })

	out := []vigil.Shift{}
	pos := make([]int, len(tiers))
	for i := 0; i+1 < len(bounds); i++ {
		a, b := bounds[i], bounds[i+1]
		if !a.Before(b) {
			continue
		}
		for t := len(tiers) - 1; t >= 0; t-- {
			segs := tiers[t]
			for pos[t] < len(segs) && !segs[pos[t]].end.After(a) {
				pos[t]++
			}
			if pos[t] == len(segs) || segs[pos[t]].start.After(a) {
				continue
			}
			sh := vigil.Shift{UserID: segs[pos[t]].user, Start: a, End: b, Override: t >= nLayers}
			if n := len(out); n > 0 && out[n-1].End.Equal(a) && out[n-1].UserID == sh.UserID && out[n-1].Override == sh.Override {
				out[n-1].End = b
			} else {
				out = append(out, sh)
			}
			break
		}
	}
	return out, nil
}

// segments returns the layer's own on-call spans within [from, to): its
// turns cut to its active windows, nothing before Start.
func (l *layerPlan) segments(loc *time.Location, from, to time.Time, budget *int) ([]segment, error) {
	lo := maxTime(from, l.start)
	if !lo.Before(to) || len(l.members) == 0 {
		return nil, nil
	}
	wins, err := l.activeWindows(loc, lo, to, budget)
	if err != nil {
		return nil, err
	}
	var segs []segment
	k := l.turnIndex(loc, lo)
	ts := l.turnStart(loc, k)
	w := 0
	for ts.Before(to) && w < len(wins) {
		te := l.turnStart(loc, k+1)
		if *budget--; *budget < 0 {
			return nil, errTooMany
		}
		for ; w < len(wins) && wins[w].start.Before(te); w++ {
			s, e := maxTime(ts, wins[w].start), minTime(te, wins[w].end)
			if s.Before(e) {
				segs = append(segs, segment{s, e, l.member(k)})
			}
			if wins[w].end.After(te) {
				break // the window continues into the next turn
			}
		}
		k, ts = k+1, te
	}
	return segs, nil
}

// ranked is an override with its position, the last tie-breaker.
type ranked struct {
	vigil.Override
	idx int
}

// byPrecedence returns the usable overrides, lowest precedence first.
func byPrecedence(overrides []vigil.Override) []ranked {
	rs := make([]ranked, 0, len(overrides))
	for i, o := range overrides {
		if o.End.After(o.Start) {
			rs = append(rs, ranked{o, i})
		}
	}
	sort.Slice(rs, func(i, j int) bool { return outranks(rs[j], rs[i]) })
	return rs
}

// outranks reports whether a wins over b where both apply.
func outranks(a, b ranked) bool {
	if !a.CreatedAt.Equal(b.CreatedAt) {
		return a.CreatedAt.After(b.CreatedAt)
	}
	if a.ID != b.ID {
		return a.ID > b.ID
	}
	return a.idx > b.idx
}

// At returns who is on call at t, consistent with ShiftsBetween. ok is
// false when no one is, or when the schedule cannot be evaluated (validate
// it with vigil.Schedule.Validate first).
func At(s vigil.Schedule, overrides []vigil.Override, t time.Time) (userID int64, ok bool) {
	p, err := newPlan(s)
	if err != nil {
		return 0, false
	}
	var best ranked
	found := false
	for i, o := range overrides {
		r := ranked{o, i}
		if !t.Before(o.Start) && t.Before(o.End) && (!found || outranks(r, best)) {
			best, found = r, true
		}
	}
	if found {
		return best.UserID, true
	}
	for i := len(p.layers) - 1; i >= 0; i-- {
		l := &p.layers[i]
		if t.Before(l.start) || len(l.members) == 0 || !l.active(p.loc, t) {
			continue
		}
		return l.member(l.turnIndex(p.loc, t)), true
	}
	return 0, false
}

// Next returns the first shift of anyone that starts after t (strictly)
// and before t+horizon: "who is next". The shift's End is its real end,
// looked up beyond the horizon if need be (up to MaxWindow after t).
// horizon is capped at MaxWindow.
func Next(s vigil.Schedule, overrides []vigil.Override, t time.Time, horizon time.Duration) (vigil.Shift, bool) {
	return next(s, overrides, t, horizon, func(vigil.Shift) bool { return true })
}

// NextFor is Next for one user: their next shift starting after t.
func NextFor(s vigil.Schedule, overrides []vigil.Override, userID int64, t time.Time, horizon time.Duration) (vigil.Shift, bool) {
	return next(s, overrides, t, horizon, func(sh vigil.Shift) bool { return sh.UserID == userID })
}

func next(s vigil.Schedule, overrides []vigil.Override, t time.Time, horizon time.Duration, match func(vigil.Shift) bool) (vigil.Shift, bool) {
	horizon = min(horizon, MaxWindow)
	if horizon <= 0 {
		return vigil.Shift{}, false
	}
	p, err := newPlan(s)
	if err != nil {
		return vigil.Shift{}, false
	}
	end := t.Add(horizon)
	shifts, err := p.shifts(overrides, t.In(p.loc), end.In(p.loc))
	if err != nil {
		return vigil.Shift{}, false
	}
	for _, sh := range shifts {
		if !sh.Start.After(t) || !match(sh) {
			continue
		}
		// Find the real end of a shift cut by the horizon, looking ahead
		// in growing steps so a short horizon stays cheap.
		limit := t.Add(MaxWindow)
		step := max(horizon, 24*time.Hour)
		for sh.End.Equal(end) && end.Before(limit) {
			end = minTime(end.Add(step), limit)
			step *= 2
			more, err := p.shifts(overrides, sh.End, end.In(p.loc))
			if err != nil || len(more) == 0 || !more[0].Start.Equal(sh.End) ||
				more[0].UserID != sh.UserID || more[0].Override != sh.Override {
				break
			}
			sh.End = more[0].End
		}
		return sh, true
	}
	return vigil.Shift{}, false
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
