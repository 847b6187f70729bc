package web

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/vigil-oss/vigil/internal/oncall"
	"github.com/vigil-oss/vigil/internal/signed"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// timelineDays is how many days the schedule page draws, from midnight
// today in the schedule's zone: today and the next 14 days, so the whole
// fortnight ahead of now is covered.
const timelineDays = 15

// userColors is the number of colour classes (c0 … c7 in app.css) the
// timeline gives users, in order of appearance.
const userColors = 8

// scheduleShowPage is the model of schedule_show.html.
type scheduleShowPage struct {
	layout
	Schedule *vigil.Schedule
	Team     string
	Zone     string
	Now      string
	Layers   []layerView
	// Error says why the timeline could not be computed (the schedule
	// cannot be evaluated); the rest of the page still shows.
	Error string
	// Current is the shift holding now and Next the one after it, each
	// nil when there is none in the timeline's window.
	Current *shiftRow
	Next    *shiftRow
	Days    []timelineDay
	Legend  []legendEntry
	// Shifts are the timeline's shifts that have not ended yet.
	Shifts    []shiftRow
	Overrides []overrideRow
	Form      overrideForm
	FeedURL   string
}

// layerView is one rotation as the page describes it.
type layerView struct {
	Name         string
	Turn         string
	Start        string
	Members      []string
	Restrictions []string
}

// shiftRow is one shift, its times in the schedule's zone.
type shiftRow struct {
	UserID   int64
	User     string
	Start    time.Time
	End      time.Time
	From     string
	To       string
	Override bool
	Color    int
	// Open: the shift goes on past the end of the timeline.
	Open bool
}

// timelineDay is one row of the timeline: a local calendar day drawn as an
// SVG bar whose x axis is seconds since local midnight (Span is the day's
// length, 23 or 25 hours across a DST change).
type timelineDay struct {
	Label    string
	Today    bool
	Span     int64
	Segments []segmentView
	// NowX is where now falls on today's bar (0 on other days).
	NowX int64
}

// segmentView is a shift's part within one day. Geometry goes into SVG
// attributes, which the CSP allows, never into style attributes.
type segmentView struct {
	X, W     int64
	Color    int
	Override bool
	Title    string
}

type legendEntry struct {
	User  string
	Color int
}

// overrideRow is an upcoming or current override.
type overrideRow struct {
	ID     int64
	User   string
	From   string
	To     string
	Active bool
}

// overrideForm is the "Put someone on call" form, as typed; Start and End
// are datetime-local values in the schedule's zone.
type overrideForm struct {
	UserID string
	Start  string
	End    string
	Users  []option
	Errors formErrors
}

// overrideFormFields are the form's inputs, named as vigil.Override's
// validation names its fields.
var overrideFormFields = []string{"user_id", "start", "end"}

// scheduleShow answers GET /schedules/{id}.
func (u *UI) scheduleShow(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		u.notFound(w, r)
		return
	}
	m, err := u.scheduleShowModel(w, r, id, nil)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	u.render(w, r, http.StatusOK, "schedule_show.html", m)
}

// scheduleShowModel builds the page; form is the override form as
// submitted, or nil for a fresh one.
func (u *UI) scheduleShowModel(w http.ResponseWriter, r *http.Request, id int64, form *overrideForm) (scheduleShowPage, error) {
	ctx := r.Context()
	s, err := u.store.FindSchedule(ctx, id)
	if err != nil {
		return scheduleShowPage{}, err
	}
	users, err := u.store.ListUsers(ctx)
	if err != nil {
		return scheduleShowPage{}, err
	}
	names := vigil.NewUserNames(users)
	// The store validated the zone; UTC is the fallback for a row written
	// by hand.
	loc, err := time.LoadLocation(s.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	now := u.clock.Now().In(loc)
	m := scheduleShowPage{Schedule: s, Zone: loc.String(), Now: zoneTime(now, loc)}
	if m.FeedURL, err = u.feedURL(r, signed.FeedSchedule, id); err != nil {
		return scheduleShowPage{}, err
	}
	if s.TeamID != 0 {
		if t, err := u.store.FindTeam(ctx, s.TeamID); err == nil {
			m.Team = t.Name
		}
	}
	for i, l := range s.Layers {
		m.Layers = append(m.Layers, newLayerView(i, l, names, loc))
	}

	from := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
	to := time.Date(now.Year(), now.Month(), now.Day()+timelineDays, 0, 0, 0, 0, loc)
	ovs, err := vigil.LoadOverrides(ctx, u.store, id, from, to)
	if err != nil {
		return scheduleShowPage{}, err
	}
	shifts, err := oncall.ShiftsBetween(*s, ovs, from, to)
	if err != nil {
		if vigil.ErrorCode(err) != vigil.CodeInvalid {
			return scheduleShowPage{}, err
		}
		m.Error = vigil.ErrorMessage(err)
	}
	m.buildTimeline(shifts, names, loc, now, from, to)

	upcoming, err := u.store.ListOverrides(ctx, id, now, now.Add(vigil.MaxOverrideDuration))
	if err != nil {
		return scheduleShowPage{}, err
	}
	slices.SortStableFunc(upcoming, func(a, b *vigil.Override) int { return a.Start.Compare(b.Start) })
	for _, o := range upcoming {
		m.Overrides = append(m.Overrides, overrideRow{
			ID: o.ID, User: names.Of(o.UserID),
			From: zoneTime(o.Start, loc), To: zoneTime(o.End, loc),
			Active: !now.Before(o.Start) && now.Before(o.End),
		})
	}

	if form == nil {
		start := now.Truncate(time.Minute)
		form = &overrideForm{Start: start.Format(localInput), End: start.Add(4 * time.Hour).Format(localInput)}
	}
	form.Users = []option{{Value: "", Label: "Choose a person", Selected: form.UserID == ""}}
	for _, us := range users {
		v := itoa(us.ID)
		form.Users = append(form.Users, option{Value: v, Label: us.Name, Selected: v == form.UserID})
	}
	m.Form = *form
	m.layout = u.layout(w, r, "Schedule "+s.Name, "schedules")
	m.Can.Manage = u.canManageTeam(r, s.TeamID) // its team's managers too
	return m, nil
}

// buildTimeline fills the day bars, the legend, the shift list and the
// current and next shifts from the shifts of [from, to).
func (m *scheduleShowPage) buildTimeline(shifts []vigil.Shift, names vigil.UserNames, loc *time.Location, now, from, to time.Time) {
	colors := map[int64]int{}
	color := func(uid int64) int {
		c, ok := colors[uid]
		if !ok {
			c = len(colors) % userColors
			colors[uid] = c
			m.Legend = append(m.Legend, legendEntry{User: names.Of(uid), Color: c})
		}
		return c
	}
	rows := make([]shiftRow, 0, len(shifts))
	for _, sh := range shifts {
		rows = append(rows, shiftRow{
			UserID: sh.UserID, User: names.Of(sh.UserID),
			Start: sh.Start, End: sh.End,
			From: zoneTime(sh.Start, loc), To: zoneTime(sh.End, loc),
			Override: sh.Override, Color: color(sh.UserID),
			Open: sh.End.Equal(to),
		})
	}
	for i := range rows {
		sh := &rows[i]
		if !sh.End.After(now) {
			continue
		}
		m.Shifts = append(m.Shifts, *sh)
		if !sh.Start.After(now) {
			m.Current = sh
		} else if m.Next == nil {
			m.Next = sh
		}
	}
	for d := 0; d < timelineDays; d++ {
		ds := time.Date(from.Year(), from.Month(), from.Day()+d, 0, 0, 0, 0, loc)
		de := time.Date(from.Year(), from.Month(), from.Day()+d+1, 0, 0, 0, 0, loc)
		day := timelineDay{Label: ds.Format("Mon 02 Jan"), Span: int64(de.Sub(ds) / time.Second)}
		if !now.Before(ds) && now.Before(de) {
			day.Today, day.NowX = true, int64(now.Sub(ds)/time.Second)
		}
		for _, sh := range rows {
			start, end := maxTime(sh.Start, ds), minTime(sh.End, de)
			if !start.Before(end) {
				continue
			}
			title := fmt.Sprintf("%s: %s – %s", sh.User, zoneTime(sh.Start, loc), zoneTime(sh.End, loc))
			if sh.Override {
				title += " (override)"
			}
			day.Segments = append(day.Segments, segmentView{
				X: int64(start.Sub(ds) / time.Second), W: int64(end.Sub(start) / time.Second),
				Color: sh.Color, Override: sh.Override, Title: title,
			})
		}
		m.Days = append(m.Days, day)
	}
}

func newLayerView(i int, l vigil.Layer, names vigil.UserNames, loc *time.Location) layerView {
	v := layerView{Name: l.Name, Start: zoneTime(l.Start, loc)}
	if v.Name == "" {
		v.Name = fmt.Sprintf("Layer %d", i+1)
	}
	unit := l.TurnUnit
	if l.TurnCount != 1 {
		unit += "s"
	}
	v.Turn = fmt.Sprintf("%d %s", l.TurnCount, unit)
	for _, id := range l.Members {
		v.Members = append(v.Members, names.Of(id))
	}
	for _, r := range l.Restrictions {
		d := time.Duration(r.Duration).String()
		d = strings.TrimSuffix(strings.TrimSuffix(d, "0s"), "0m")
		if r.Kind == vigil.RestrictWeekly {
			v.Restrictions = append(v.Restrictions, fmt.Sprintf("%s %s for %s", r.Weekday, r.Start, d))
		} else {
			v.Restrictions = append(v.Restrictions, fmt.Sprintf("daily %s for %s", r.Start, d))
		}
	}
	return v
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

// scheduleURL is where the override forms send the browser back.
func scheduleURL(id int64) string { return "/schedules/" + itoa(id) }
