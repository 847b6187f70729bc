package web

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// The schedule editor is one plain form, no script: the schedule's fields,
// then a block per rotation layer with its members in turn order (one
// select per place) and its restrictions. "Add layer", "Add member",
// "Add restriction" and "Remove layer" are submit buttons named "op": the
// server reads the form as typed, changes its shape and shows it again,
// saving nothing. Layers left blank (no name, no members, no restriction)
// are ignored on save, as the policy editor ignores blank step rows.

// Form shape limits. The store enforces the real ones (vigil.Max…); these
// only bound what a form may ask the server to read or draw.
const (
	maxLayerRows       = vigil.MaxScheduleLayers
	maxMemberSlots     = vigil.MaxLayerMembers
	maxRestrictionRows = vigil.MaxLayerRestrictions
	// minMemberSlots is the fewest places a layer block offers.
	minMemberSlots = 2
	// defaultHandoff is the hour of day a new layer's first turn starts.
	defaultHandoff = 9
)

// scheduleForm is the editor, as typed.
type scheduleForm struct {
	Action      string
	Submit      string
	Name        string
	Description string
	TimeZone    string
	TeamID      string
	Teams       []option
	Layers      []layerRow
	// Notice says what an "op" button did; the form is not saved yet.
	Notice string
	Errors formErrors
}

// layerRow is one layer block. Its inputs are named layers.<Index>.name,
// .start, .turn_unit, .turn_count, .members (one per place, in order) and
// .restrictions.<k>.kind, .weekday, .start, .duration.
type layerRow struct {
	Index        int
	Name         string
	Start        string
	TurnUnit     string
	TurnCount    string
	Units        []option
	Members      []memberSlot
	Restrictions []restrictionRow
	// Errors are by part: name, start, turn_unit, turn_count, members,
	// restrictions.
	Errors map[string]string
}

// Number is the layer's 1-based position.
func (l layerRow) Number() int { return l.Index + 1 }

// Error is the error of one part of the layer, or "".
func (l layerRow) Error(part string) string { return l.Errors[part] }

// memberSlot is one place in a layer's turn order: a select of everyone.
type memberSlot struct {
	Index   int
	Value   string
	Options []option
}

// Number is the place's 1-based position.
func (s memberSlot) Number() int { return s.Index + 1 }

// restrictionRow is one window of a layer; Kind "" is a blank row.
type restrictionRow struct {
	Index    int
	Kind     string
	Weekday  string
	Start    string
	Duration string
	Kinds    []option
	Weekdays []option
	Errors   map[string]string
}

// Number is the row's 1-based position.
func (r restrictionRow) Number() int { return r.Index + 1 }

// Error is the error of one part of the restriction, or "".
func (r restrictionRow) Error(part string) string { return r.Errors[part] }

// scheduleLabels name the schedule's own inputs in messages.
var scheduleLabels = map[string]string{
	"name": "Name", "description": "Description", "time_zone": "Time zone", "team_id": "Team", "layers": "Layers",
}

// layerPartLabels name a layer's inputs in messages ("Layer 2 turn length: …").
var layerPartLabels = map[string]string{
	"name": "name", "start": "start", "turn_unit": "turn unit", "turn_count": "turn length",
	"members": "members", "restrictions": "restrictions",
	"kind": "kind", "weekday": "weekday", "duration": "duration",
}

// scheduleCatalog is what the editor's selects offer.
type scheduleCatalog struct {
	users []*vigil.User
	// teams are the teams the person may put a schedule in (the check of
	// the schedule routes, scheduleTeamOf); noTeam: and none at all.
	teams  []*vigil.Team
	noTeam bool
	now    time.Time
}

func (u *UI) scheduleCatalog(r *http.Request) (scheduleCatalog, error) {
	c := scheduleCatalog{now: u.clock.Now(), noTeam: u.canManageTeam(r, 0)}
	var err error
	if c.users, err = u.store.ListUsers(r.Context()); err != nil {
		return c, err
	}
	teams, err := u.store.ListTeams(r.Context())
	for _, t := range teams {
		if u.canManageTeam(r, t.ID) {
			c.teams = append(c.teams, t)
		}
	}
	return c, err
}

// newScheduleForm is the editor of s (nil: a new schedule).
func newScheduleForm(c scheduleCatalog, s *vigil.Schedule) scheduleForm {
	f := scheduleForm{Action: "/schedules", Submit: "Create schedule", TimeZone: "UTC"}
	if s == nil {
		f.Layers = []layerRow{newLayerRow(c, time.UTC)}
		f.finish(c)
		return f
	}
	f.Action, f.Submit = scheduleURL(s.ID), "Save schedule"
	f.Name, f.Description, f.TimeZone = s.Name, s.Description, s.TimeZone
	if s.TeamID != 0 {
		f.TeamID = itoa(s.TeamID)
	}
	loc, err := time.LoadLocation(s.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	for _, l := range s.Layers {
		row := layerRow{
			Name: l.Name, Start: l.Start.In(loc).Format(localInput),
			TurnUnit: l.TurnUnit, TurnCount: strconv.Itoa(l.TurnCount),
		}
		for _, m := range l.Members {
			row.Members = append(row.Members, memberSlot{Value: itoa(m)})
		}
		row.Members = append(row.Members, memberSlot{})
		for _, r := range l.Restrictions {
			rr := restrictionRow{Kind: r.Kind, Start: r.Start.String(), Duration: r.Duration.String()}
			if r.Kind == vigil.RestrictWeekly {
				rr.Weekday = strconv.Itoa(int(r.Weekday))
			}
			row.Restrictions = append(row.Restrictions, rr)
		}
		f.Layers = append(f.Layers, row)
	}
	if len(f.Layers) == 0 {
		f.Layers = []layerRow{newLayerRow(c, loc)}
	}
	f.finish(c)
	return f
}

// newLayerRow is a blank layer block: weekly turns handing off at the
// latest 09:00 in loc, so whoever is first is on call at once.
func newLayerRow(c scheduleCatalog, loc *time.Location) layerRow {
	now := c.now.In(loc)
	start := time.Date(now.Year(), now.Month(), now.Day(), defaultHandoff, 0, 0, 0, loc)
	if start.After(now) {
		start = time.Date(now.Year(), now.Month(), now.Day()-1, defaultHandoff, 0, 0, 0, loc)
	}
	return layerRow{Start: start.Format(localInput), TurnUnit: vigil.UnitWeek, TurnCount: "1"}
}

// finish numbers the rows and fills every select's choices: the shape
// ops and the parser change rows freely and call it last.
func (f *scheduleForm) finish(c scheduleCatalog) {
	f.Teams = nil
	if c.noTeam {
		f.Teams = append(f.Teams, option{Value: "", Label: "No team", Selected: f.TeamID == ""})
	}
	for _, t := range c.teams {
		v := itoa(t.ID)
		f.Teams = append(f.Teams, option{Value: v, Label: t.Name, Selected: v == f.TeamID})
	}
	for i := range f.Layers {
		l := &f.Layers[i]
		l.Index = i
		l.Units = nil
		for _, unit := range []string{vigil.UnitHour, vigil.UnitDay, vigil.UnitWeek} {
			l.Units = append(l.Units, option{Value: unit, Label: unit + "s", Selected: unit == l.TurnUnit})
		}
		for len(l.Members) < minMemberSlots {
			l.Members = append(l.Members, memberSlot{})
		}
		for j := range l.Members {
			s := &l.Members[j]
			s.Index = j
			s.Options = []option{{Value: "", Label: "—", Selected: s.Value == ""}}
			for _, us := range c.users {
				v := itoa(us.ID)
				s.Options = append(s.Options, option{Value: v, Label: us.Name, Selected: v == s.Value})
			}
		}
		if len(l.Restrictions) == 0 {
			l.Restrictions = []restrictionRow{{}}
		}
		for k := range l.Restrictions {
			r := &l.Restrictions[k]
			r.Index = k
			if r.Weekday == "" {
				r.Weekday = strconv.Itoa(int(time.Monday))
			}
			r.Kinds = []option{
				{Value: "", Label: "always (no restriction)", Selected: r.Kind == ""},
				{Value: vigil.RestrictDaily, Label: "every day, from", Selected: r.Kind == vigil.RestrictDaily},
				{Value: vigil.RestrictWeekly, Label: "every week, on", Selected: r.Kind == vigil.RestrictWeekly},
			}
			r.Weekdays = nil
			for d := time.Sunday; d <= time.Saturday; d++ {
				v := strconv.Itoa(int(d))
				r.Weekdays = append(r.Weekdays, option{Value: v, Label: d.String(), Selected: v == r.Weekday})
			}
		}
	}
}

// scheduleParse is the editor read from a request.
type scheduleParse struct {
	form     scheduleForm
	schedule *vigil.Schedule
	// op is the shape button pressed ("" when saving); the form then
	// already shows its effect.
	op string
	// rowOf maps each layer of the schedule to its form block, and
	// restOf each of its restrictions to the block's restriction row, so
	// the store's errors ("layers[1].start") land on the right input.
	rowOf  []int
	restOf [][]int
	// errs are the problems found reading the form, each naming its
	// input; the form shows them all at once.
	errs []error
}

// parseScheduleForm reads the editor. orig is the schedule being edited
// (nil for a new one).
func parseScheduleForm(r *http.Request, c scheduleCatalog, orig *vigil.Schedule) scheduleParse {
	var p scheduleParse
	f := &p.form
	*f = newScheduleForm(c, orig)
	f.Layers = nil
	f.Name = strings.TrimSpace(r.PostFormValue("name"))
	f.Description = strings.TrimSpace(r.PostFormValue("description"))
	f.TimeZone = strings.TrimSpace(r.PostFormValue("time_zone"))
	f.TeamID = strings.TrimSpace(r.PostFormValue("team_id"))
	if f.TimeZone == "" {
		f.TimeZone = "UTC"
	}
	s := &vigil.Schedule{Name: f.Name, Description: f.Description, TimeZone: f.TimeZone, Layers: []vigil.Layer{}}
	if orig != nil {
		s.ID = orig.ID
	}
	p.schedule = s
	fail := func(err error) { p.errs = append(p.errs, err) }

	loc := time.UTC
	if err := vigil.ValidateTimeZone("time_zone", f.TimeZone); err != nil {
		fail(err)
	} else if l, err := time.LoadLocation(f.TimeZone); err == nil {
		loc = l
	}
	if f.TeamID != "" {
		id, err := strconv.ParseInt(f.TeamID, 10, 64)
		if err != nil || id <= 0 {
			fail(vigil.FieldError("team_id", "%q is not a team", f.TeamID))
		} else {
			s.TeamID = id
		}
	}

	for i := 0; i < maxLayerRows+1; i++ {
		prefix := fmt.Sprintf("layers.%d.", i)
		if _, ok := r.PostForm[prefix+"turn_unit"]; !ok {
			break
		}
		row := layerRow{
			Name:      strings.TrimSpace(r.PostFormValue(prefix + "name")),
			Start:     strings.TrimSpace(r.PostFormValue(prefix + "start")),
			TurnUnit:  strings.TrimSpace(r.PostFormValue(prefix + "turn_unit")),
			TurnCount: strings.TrimSpace(r.PostFormValue(prefix + "turn_count")),
		}
		var members []string
		for j, v := range r.PostForm[prefix+"members"] {
			if j >= maxMemberSlots+1 {
				break
			}
			v = strings.TrimSpace(v)
			row.Members = append(row.Members, memberSlot{Value: v})
			if v != "" {
				members = append(members, v)
			}
		}
		for k := 0; k < maxRestrictionRows+1; k++ {
			rp := fmt.Sprintf("%srestrictions.%d.", prefix, k)
			if _, ok := r.PostForm[rp+"kind"]; !ok {
				break
			}
			row.Restrictions = append(row.Restrictions, restrictionRow{
				Kind:     strings.TrimSpace(r.PostFormValue(rp + "kind")),
				Weekday:  strings.TrimSpace(r.PostFormValue(rp + "weekday")),
				Start:    strings.TrimSpace(r.PostFormValue(rp + "start")),
				Duration: strings.TrimSpace(r.PostFormValue(rp + "duration")),
			})
		}
		f.Layers = append(f.Layers, row)
		restricted := slices.ContainsFunc(row.Restrictions, func(rr restrictionRow) bool {
			return rr.Kind != "" || rr.Start != "" || rr.Duration != ""
		})
		if row.Name == "" && len(members) == 0 && !restricted {
			continue // a blank block
		}
		l := vigil.Layer{Name: row.Name, TurnUnit: row.TurnUnit, Members: []int64{}, Restrictions: []vigil.Restriction{}}
		if t, err := parseLocal(prefix+"start", row.Start, loc); err != nil {
			fail(err)
		} else {
			l.Start = t
		}
		if n, err := strconv.Atoi(row.TurnCount); err != nil {
			fail(vigil.FieldError(prefix+"turn_count", "must be a whole number of %ss", row.TurnUnit))
		} else {
			l.TurnCount = n
		}
		for _, v := range members {
			id, err := strconv.ParseInt(v, 10, 64)
			if err != nil || id <= 0 {
				fail(vigil.FieldError(prefix+"members", "%q is not a person", v))
				continue
			}
			l.Members = append(l.Members, id)
		}
		var restOf []int
		for k, rr := range row.Restrictions {
			res, ok, err := parseRestriction(fmt.Sprintf("%srestrictions.%d.", prefix, k), rr)
			if err != nil {
				fail(err)
				continue
			}
			if ok {
				l.Restrictions = append(l.Restrictions, res)
				restOf = append(restOf, k)
			}
		}
		s.Layers = append(s.Layers, l)
		p.rowOf = append(p.rowOf, i)
		p.restOf = append(p.restOf, restOf)
	}

	p.op = r.PostFormValue("op")
	if p.op != "" {
		f.applyOp(p.op, c, loc)
		p.errs = nil
	}
	if len(f.Layers) == 0 {
		f.Layers = []layerRow{newLayerRow(c, loc)}
	}
	f.finish(c)
	for _, err := range p.errs {
		f.setError(err, nil, nil)
	}
	return p
}

// parseRestriction reads one restriction row; ok is false for a blank one.
func parseRestriction(prefix string, rr restrictionRow) (vigil.Restriction, bool, error) {
	var res vigil.Restriction
	if rr.Kind == "" {
		if rr.Start != "" || rr.Duration != "" {
			return res, false, vigil.FieldError(prefix+"kind", "choose every day or every week, or clear the start and duration")
		}
		return res, false, nil
	}
	res.Kind = rr.Kind
	if rr.Kind == vigil.RestrictWeekly {
		d, err := strconv.Atoi(rr.Weekday)
		if err != nil || d < 0 || d > 6 {
			return res, false, vigil.FieldError(prefix+"weekday", "choose a day of the week")
		}
		res.Weekday = time.Weekday(d)
	}
	if rr.Start == "" {
		return res, false, vigil.FieldError(prefix+"start", "is required: the time of day the window opens, such as 09:00")
	}
	// <input type="time"> may send seconds.
	start := rr.Start
	if len(start) == len("15:04:05") {
		start = strings.TrimSuffix(start, ":00")
	}
	ct, err := vigil.ParseClockTime(start)
	if err != nil {
		return res, false, vigil.FieldError(prefix+"start", "must be a time of day such as 09:00")
	}
	res.Start = ct
	if rr.Duration == "" {
		return res, false, vigil.FieldError(prefix+"duration", "is required: how long the window stays open, such as 8h")
	}
	d, err := time.ParseDuration(rr.Duration)
	if err != nil {
		return res, false, vigil.FieldError(prefix+"duration", "must be a duration such as 8h or 10h30m")
	}
	res.Duration = vigil.Duration(d)
	return res, true, nil
}

// applyOp changes the form's shape as one of its "op" buttons asks.
func (f *scheduleForm) applyOp(op string, c scheduleCatalog, loc *time.Location) {
	name, arg, _ := strings.Cut(op, ":")
	i, err := strconv.Atoi(arg)
	inRange := err == nil && i >= 0 && i < len(f.Layers)
	switch {
	case name == "add_layer":
		if len(f.Layers) >= maxLayerRows {
			f.Notice = fmt.Sprintf("A schedule has at most %d layers.", maxLayerRows)
			return
		}
		f.Layers = append(f.Layers, newLayerRow(c, loc))
		f.Notice = fmt.Sprintf("Layer %d added below.", len(f.Layers))
	case name == "remove_layer" && inRange:
		f.Layers = slices.Delete(f.Layers, i, i+1)
		f.Notice = fmt.Sprintf("Layer %d removed.", i+1)
	case name == "add_member" && inRange:
		if len(f.Layers[i].Members) >= maxMemberSlots {
			f.Notice = fmt.Sprintf("A layer has at most %d members.", maxMemberSlots)
			return
		}
		f.Layers[i].Members = append(f.Layers[i].Members, memberSlot{})
		f.Notice = fmt.Sprintf("Layer %d has another place in its turn order.", i+1)
	case name == "add_restriction" && inRange:
		if len(f.Layers[i].Restrictions) >= maxRestrictionRows {
			f.Notice = fmt.Sprintf("A layer has at most %d restrictions.", maxRestrictionRows)
			return
		}
		f.Layers[i].Restrictions = append(f.Layers[i].Restrictions, restrictionRow{})
		f.Notice = fmt.Sprintf("Layer %d has another restriction row.", i+1)
	default:
		f.Notice = "That button did nothing: the form changed meanwhile."
		return
	}
	f.Notice += " Nothing is saved until you press “" + f.Submit + "”."
}

// Field names: the form's own (layers.2.start,
// layers.0.restrictions.1.duration) and the store's (layers[1].start,
// layers[0].restrictions[0].duration), whose indexes count only the layers
// and restrictions that were not blank.
var (
	formLayerField        = regexp.MustCompile(`^layers\.(\d+)\.(name|start|turn_unit|turn_count|members)$`)
	formRestrictionField  = regexp.MustCompile(`^layers\.(\d+)\.restrictions\.(\d+)\.(kind|weekday|start|duration)$`)
	storeLayerField       = regexp.MustCompile(`^layers\[(\d+)\]\.(name|start|turn_unit|turn_count|members|restrictions)$`)
	storeRestrictionField = regexp.MustCompile(`^layers\[(\d+)\]\.restrictions\[(\d+)\]\.(kind|weekday|start|duration)$`)
)

// setError shows err next to the input it is about: one of a layer's
// inputs, one of a restriction's, one of the schedule's, or above the
// form. rowOf and restOf map the store's indexes to the form's.
func (f *scheduleForm) setError(err error, rowOf []int, restOf [][]int) {
	field, msg := vigil.ErrorField(err), vigil.ErrorMessage(err)
	atoi := func(s string) int { n, _ := strconv.Atoi(s); return n }
	layer, rest, part := -1, -1, ""
	if m := formLayerField.FindStringSubmatch(field); m != nil {
		layer, part = atoi(m[1]), m[2]
	} else if m := formRestrictionField.FindStringSubmatch(field); m != nil {
		layer, rest, part = atoi(m[1]), atoi(m[2]), m[3]
	} else if m := storeLayerField.FindStringSubmatch(field); m != nil {
		if k := atoi(m[1]); k < len(rowOf) {
			layer, part = rowOf[k], m[2]
		}
	} else if m := storeRestrictionField.FindStringSubmatch(field); m != nil {
		if k, j := atoi(m[1]), atoi(m[2]); k < len(rowOf) && k < len(restOf) && j < len(restOf[k]) {
			layer, rest, part = rowOf[k], restOf[k][j], m[3]
		}
	}
	if layer >= 0 && layer < len(f.Layers) {
		l := &f.Layers[layer]
		if rest >= 0 && rest < len(l.Restrictions) {
			r := &l.Restrictions[rest]
			if r.Errors == nil {
				r.Errors = map[string]string{}
			}
			r.Errors[part] = fmt.Sprintf("Layer %d, restriction %d %s: %s", l.Number(), rest+1, layerPartLabels[part], msg)
			return
		}
		if rest < 0 {
			if l.Errors == nil {
				l.Errors = map[string]string{}
			}
			l.Errors[part] = fmt.Sprintf("Layer %d %s: %s", l.Number(), layerPartLabels[part], msg)
			return
		}
	}
	if label, ok := scheduleLabels[field]; ok {
		if f.Errors.Fields == nil {
			f.Errors.Fields = map[string]string{}
		}
		f.Errors.Fields[field] = label + ": " + msg
		return
	}
	if field != "" {
		msg = field + ": " + msg
	}
	f.Errors.Form = msg
}
