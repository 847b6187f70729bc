package web

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// The escalation policy editor is a plain form with a fixed number of step
// rows (the policy's steps and two blank ones): no script needed. Blank
// rows are ignored, so clearing a row removes its step and filling a blank
// one adds a step; saving again offers two more blank rows.

const (
	// blankStepRows is how many empty rows the editor offers.
	blankStepRows = 2
	// minStepRows is the fewest rows a new policy's form shows.
	minStepRows = 3
	// maxStepRows bounds the rows read from a form (20 steps plus blanks).
	maxStepRows = 40
	// maxDelayMinutes is the longest step delay, as escalation.Validate has it.
	maxDelayMinutes = 24 * 60
)

// policyForm is the editor, as typed.
type policyForm struct {
	Action      string
	Submit      string
	Name        string
	Description string
	Repeat      string
	Rows        []stepRow
	Errors      formErrors
}

// stepRow is one step of the editor. Its inputs are named
// steps.<Index>.delay and steps.<Index>.targets.
type stepRow struct {
	Index  int
	Delay  string
	Groups []targetGroup
	// Condition describes the step's time window, which the editor keeps
	// as it is (the API and config files set it).
	Condition    string
	DelayError   string
	TargetsError string
}

// Number is the row's 1-based position.
func (s stepRow) Number() int { return s.Index + 1 }

// targetGroup is an <optgroup> of the targets select.
type targetGroup struct {
	Label   string
	Options []option
}

// policyFormFields are the editor's inputs outside the step rows.
var policyFormFields = []string{"name", "description", "repeat", "steps"}

var policyLabels = map[string]string{"name": "Name", "description": "Description", "repeat": "Repeat", "steps": "Steps"}

// targetCatalog is everyone a step can page.
type targetCatalog struct {
	users     []*vigil.User
	schedules []*vigil.Schedule
	teams     []*vigil.Team
}

func (u *UI) targetCatalog(ctx context.Context) (targetCatalog, error) {
	var c targetCatalog
	var err error
	if c.users, err = u.store.ListUsers(ctx); err != nil {
		return c, err
	}
	if c.schedules, err = u.store.ListSchedules(ctx); err != nil {
		return c, err
	}
	c.teams, err = u.store.ListTeams(ctx)
	return c, err
}

// targetValue is how a target travels in the form: "user:3".
func targetValue(t vigil.Target) string { return t.Type + ":" + strconv.FormatInt(t.ID, 10) }

// groups lists every possible target, the ones in selected marked.
func (c targetCatalog) groups(selected map[string]bool) []targetGroup {
	var out []targetGroup
	add := func(label, typ string, n int, item func(int) (int64, string)) {
		if n == 0 {
			return
		}
		g := targetGroup{Label: label}
		for i := range n {
			id, name := item(i)
			v := targetValue(vigil.Target{Type: typ, ID: id})
			g.Options = append(g.Options, option{Value: v, Label: name, Selected: selected[v]})
		}
		out = append(out, g)
	}
	add("Schedules (whoever is on call)", vigil.TargetSchedule, len(c.schedules), func(i int) (int64, string) { return c.schedules[i].ID, c.schedules[i].Name })
	add("People", vigil.TargetUser, len(c.users), func(i int) (int64, string) { return c.users[i].ID, c.users[i].Name })
	add("Teams (every member)", vigil.TargetTeam, len(c.teams), func(i int) (int64, string) { return c.teams[i].ID, c.teams[i].Name })
	return out
}

// newPolicyForm is the editor of p (nil: a new policy).
func newPolicyForm(c targetCatalog, p *vigil.EscalationPolicy) policyForm {
	f := policyForm{Action: "/escalation-policies", Submit: "Create policy", Repeat: "0"}
	var steps []vigil.EscalationStep
	if p != nil {
		f.Action, f.Submit = "/escalation-policies/"+itoa(p.ID), "Save policy"
		f.Name, f.Description, f.Repeat = p.Name, p.Description, strconv.Itoa(p.Repeat)
		steps = p.Steps
	}
	n := max(len(steps)+blankStepRows, minStepRows)
	for i := range n {
		row := stepRow{Index: i}
		selected := map[string]bool{}
		if i < len(steps) {
			row.Delay = delayMinutes(steps[i].Delay)
			row.Condition = describeCondition(steps[i].Condition)
			for _, t := range steps[i].Targets {
				selected[targetValue(t)] = true
			}
		}
		row.Groups = c.groups(selected)
		f.Rows = append(f.Rows, row)
	}
	return f
}

// delayMinutes shows a delay in minutes ("15", or "1.5" for 90s).
func delayMinutes(d vigil.Duration) string {
	return strconv.FormatFloat(time.Duration(d).Minutes(), 'f', -1, 64)
}

// parsePolicyForm reads the editor. orig is the policy being edited (nil
// for a new one): its steps' time conditions and its team stay. rowOf maps
// each step of the returned policy to the form row it came from, so the
// store's errors ("steps[1].delay") land on the right row.
func parsePolicyForm(r *http.Request, c targetCatalog, orig *vigil.EscalationPolicy) (f policyForm, p *vigil.EscalationPolicy, rowOf []int, err error) {
	f = newPolicyForm(c, orig)
	f.Rows = nil
	f.Name = strings.TrimSpace(r.PostFormValue("name"))
	f.Description = strings.TrimSpace(r.PostFormValue("description"))
	f.Repeat = strings.TrimSpace(r.PostFormValue("repeat"))
	p = &vigil.EscalationPolicy{Name: f.Name, Description: f.Description, Steps: []vigil.EscalationStep{}}
	if orig != nil {
		p.ID, p.TeamID = orig.ID, orig.TeamID
	}
	fail := func(e error) {
		if err == nil {
			err = e
		}
	}
	if f.Repeat == "" {
		f.Repeat = "0"
	}
	if n, perr := strconv.Atoi(f.Repeat); perr != nil {
		fail(vigil.FieldError("repeat", "must be a whole number from 0 to %d", vigil.MaxEscalationRepeat))
	} else {
		p.Repeat = n
	}
	for i := 0; i < maxStepRows; i++ {
		prefix := fmt.Sprintf("steps.%d.", i)
		if _, ok := r.PostForm[prefix+"delay"]; !ok {
			break
		}
		row := stepRow{Index: i, Delay: strings.TrimSpace(r.PostFormValue(prefix + "delay"))}
		var values []string
		for _, v := range r.PostForm[prefix+"targets"] {
			if v = strings.TrimSpace(v); v != "" {
				values = append(values, v)
			}
		}
		selected := map[string]bool{}
		for _, v := range values {
			selected[v] = true
		}
		row.Groups = c.groups(selected)
		var cond *vigil.StepCondition
		if orig != nil && i < len(orig.Steps) {
			cond = orig.Steps[i].Condition
			row.Condition = describeCondition(cond)
		}
		f.Rows = append(f.Rows, row)
		if row.Delay == "" && len(values) == 0 {
			continue // a blank row
		}
		step := vigil.EscalationStep{Condition: cond, Targets: []vigil.Target{}}
		if row.Delay != "" {
			m, perr := strconv.ParseFloat(row.Delay, 64)
			if perr != nil || m < 0 || m > maxDelayMinutes {
				fail(vigil.FieldError(prefix+"delay", "must be a number of minutes from 0 to %d", maxDelayMinutes))
			} else {
				step.Delay = vigil.Duration((time.Duration(m * float64(time.Minute))).Round(time.Second))
			}
		}
		for _, v := range values {
			typ, id, _ := strings.Cut(v, ":")
			n, perr := strconv.ParseInt(id, 10, 64)
			if perr != nil || n <= 0 {
				fail(vigil.FieldError(prefix+"targets", "%q is not a target", v))
				continue
			}
			step.Targets = append(step.Targets, vigil.Target{Type: typ, ID: n})
		}
		p.Steps = append(p.Steps, step)
		rowOf = append(rowOf, i)
	}
	// Keep the blank rows a saved form offers, so a refused form can be
	// fixed in place.
	for len(f.Rows) < minStepRows {
		f.Rows = append(f.Rows, stepRow{Index: len(f.Rows), Groups: c.groups(nil)})
	}
	if err == nil {
		err = vigil.ValidateText("name", p.Name, vigil.MaxNameLen)
	}
	if err == nil {
		err = vigil.ValidateText("description", p.Description, vigil.MaxDescriptionLen)
	}
	return f, p, rowOf, err
}

// storeStepField matches the store's field names of a step: steps[2].delay,
// steps[0].targets[1].id.
var storeStepField = regexp.MustCompile(`^steps\[(\d+)\]\.(delay|targets)`)

// formStepField matches the form's own: steps.2.delay.
var formStepField = regexp.MustCompile(`^steps\.(\d+)\.(delay|targets)$`)

// setError shows err next to the input it is about: a step row's delay or
// targets, one of the policy's fields, or above the form. Every message
// names what it is about.
func (f *policyForm) setError(err error, rowOf []int) {
	field, msg := vigil.ErrorField(err), vigil.ErrorMessage(err)
	row, part := -1, ""
	if m := formStepField.FindStringSubmatch(field); m != nil {
		row, _ = strconv.Atoi(m[1])
		part = m[2]
	} else if m := storeStepField.FindStringSubmatch(field); m != nil {
		if k, _ := strconv.Atoi(m[1]); k < len(rowOf) {
			row, part = rowOf[k], m[2]
		}
	}
	if row >= 0 && row < len(f.Rows) {
		r := &f.Rows[row]
		if part == "delay" {
			r.DelayError = fmt.Sprintf("Step %d delay: %s", r.Number(), msg)
		} else {
			r.TargetsError = fmt.Sprintf("Step %d targets: %s", r.Number(), msg)
		}
		return
	}
	f.Errors = newFormErrors(err, policyFormFields...)
	for k, m := range f.Errors.Fields {
		f.Errors.Fields[k] = policyLabels[k] + ": " + m
	}
}

// describeCondition says when a step applies, or "" for always.
func describeCondition(c *vigil.StepCondition) string {
	if c == nil {
		return ""
	}
	days := "every day"
	if len(c.Weekdays) > 0 {
		var names []string
		for _, d := range c.Weekdays {
			names = append(names, d.String()[:3])
		}
		days = strings.Join(names, ", ")
	}
	window := "all day"
	if c.Start != 0 || c.End != 0 {
		window = c.Start.String() + "–" + c.End.String()
	}
	tz := c.TimeZone
	if tz == "" {
		tz = "UTC"
	}
	return fmt.Sprintf("only %s, %s (%s)", days, window, tz)
}
