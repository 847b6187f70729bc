package escalation

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigil-oss/vigil/internal/vigil"
)

var t0 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC) // a Monday

func user(id int64) vigil.Target     { return vigil.Target{Type: vigil.TargetUser, ID: id} }
func schedule(id int64) vigil.Target { return vigil.Target{Type: vigil.TargetSchedule, ID: id} }

func step(delay time.Duration, targets ...vigil.Target) vigil.EscalationStep {
	return vigil.EscalationStep{Delay: vigil.Duration(delay), Targets: targets}
}

// resolver: users resolve to themselves; schedule 9 is empty; schedule n
// resolves to user n*10.
func resolver(t vigil.Target) ([]int64, string) {
	switch {
	case t.Type == vigil.TargetUser:
		return []int64{t.ID}, ""
	case t.Type == vigil.TargetSchedule && t.ID == 9:
		return nil, "no one is on call on schedule 9"
	default:
		return []int64{t.ID * 10}, ""
	}
}

func at(d time.Duration) *time.Time { t := t0.Add(d); return &t }

func TestRun(t *testing.T) {
	three := &vigil.EscalationPolicy{Name: "p", Steps: []vigil.EscalationStep{
		step(5*time.Minute, user(1)), step(10*time.Minute, user(2), schedule(3)), step(time.Minute, user(4))}}
	repeating := &vigil.EscalationPolicy{Name: "r", Repeat: 1, Steps: []vigil.EscalationStep{step(5*time.Minute, user(1)), step(5*time.Minute, user(2))}}
	gap := &vigil.EscalationPolicy{Name: "g", Steps: []vigil.EscalationStep{step(5*time.Minute, schedule(9)), step(5*time.Minute, user(2))}}
	empty := &vigil.EscalationPolicy{Name: "e", Repeat: 3, Steps: []vigil.EscalationStep{step(5*time.Minute, schedule(9))}}
	weekdays := &vigil.EscalationPolicy{Name: "w", Steps: []vigil.EscalationStep{
		{Delay: vigil.Duration(5 * time.Minute), Targets: []vigil.Target{user(1)},
			Condition: &vigil.StepCondition{TimeZone: "UTC", Weekdays: []time.Weekday{time.Saturday, time.Sunday}}},
		step(5*time.Minute, user(2))}}
	dup := &vigil.EscalationPolicy{Name: "d", Steps: []vigil.EscalationStep{step(time.Minute, user(1), user(1))}}

	for _, c := range []struct {
		name      string
		p         *vigil.EscalationPolicy
		st        State
		pages     []Page
		next      State
		nextAt    *time.Time
		noteParts []string
	}{
		{"first step pages and waits its delay", three, State{}, []Page{{0, 0, 1}}, State{1, 0}, at(5 * time.Minute), nil},
		{"second step pages every target", three, State{Step: 1}, []Page{{1, 0, 2}, {1, 0, 30}}, State{2, 0}, at(10 * time.Minute), nil},
		{"last step without repeat ends", three, State{Step: 2}, []Page{{2, 0, 4}}, State{3, 0}, nil, nil},
		{"policy shortened under the incident ends the pass", three, State{Step: 7}, nil, State{}, nil, []string{"finished"}},
		{"repeat starts over", repeating, State{Step: 2}, []Page{{0, 1, 1}}, State{1, 1}, at(5 * time.Minute), []string{"starts over (repeat 1 of 1)"}},
		{"last step of last pass ends", repeating, State{Step: 1, Loop: 1}, []Page{{1, 1, 2}}, State{2, 1}, nil, nil},
		{"nobody on call moves on at once", gap, State{}, []Page{{1, 0, 2}}, State{2, 0}, nil,
			[]string{"no one is on call on schedule 9", "No one on call for escalation step 1"}},
		{"a pass reaching nobody stops", empty, State{}, nil, State{}, nil, []string{"no step of policy \"e\" reached anyone"}},
		{"condition outside its hours skips the step", weekdays, State{}, []Page{{1, 0, 2}}, State{2, 0}, nil, []string{"skipped: outside its hours (Sat,Sun UTC)"}},
		{"a user named twice is paged once", dup, State{}, []Page{{0, 0, 1}}, State{1, 0}, nil, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := Run(c.p, c.st, t0, resolver)
			if diff := cmp.Diff(c.pages, r.Pages); diff != "" {
				t.Errorf("pages (-want +got):\n%s", diff)
			}
			if r.NextAt != nil || c.nextAt != nil {
				if r.Next != c.next {
					t.Errorf("next state %+v, want %+v", r.Next, c.next)
				}
			}
			if (r.NextAt == nil) != (c.nextAt == nil) || (r.NextAt != nil && !r.NextAt.Equal(*c.nextAt)) {
				t.Errorf("next at %v, want %v", r.NextAt, c.nextAt)
			}
			all := strings.Join(r.Notes, "\n")
			for _, part := range c.noteParts {
				if !strings.Contains(all, part) {
					t.Errorf("notes %q lack %q", all, part)
				}
			}
		})
	}
}

// Driving a policy through time step by step: every step fires exactly
// once and no earlier than due (catalog C1), and a late cycle pushes the
// rest back instead of firing a burst (C3).
func TestRunThroughTime(t *testing.T) {
	p := &vigil.EscalationPolicy{Name: "p", Steps: []vigil.EscalationStep{
		step(5*time.Minute, user(1)), step(10*time.Minute, user(2)), step(time.Minute, user(3))}}
	st, due := State{}, t0
	var fired []time.Duration
	now := t0
	for cycles := 0; cycles < 1000; cycles++ {
		now = now.Add(10 * time.Second)
		if now.Sub(t0) == 2*time.Minute {
			now = now.Add(10 * time.Minute) // the engine was paused: step 2 is now 7 minutes late
		}
		if now.Before(due) {
			continue
		}
		r := Run(p, st, now, resolver)
		if len(r.Pages) != 1 {
			t.Fatalf("cycle at %v paged %v", now.Sub(t0), r.Pages)
		}
		fired = append(fired, now.Sub(t0))
		if r.NextAt == nil {
			break
		}
		st, due = r.Next, *r.NextAt
	}
	want := []time.Duration{10 * time.Second, 12 * time.Minute, 22 * time.Minute}
	if diff := cmp.Diff(want, fired); diff != "" {
		t.Errorf("steps fired at (-want +got):\n%s", diff)
	}
}

func TestActive(t *testing.T) {
	berlin := "Europe/Berlin"
	biz := &vigil.StepCondition{TimeZone: berlin, Weekdays: []time.Weekday{1, 2, 3, 4, 5}, Start: 9 * 60, End: 17 * 60}
	night := &vigil.StepCondition{TimeZone: "UTC", Start: 22 * 60, End: 6 * 60}
	for _, c := range []struct {
		name string
		c    *vigil.StepCondition
		at   time.Time
		want bool
	}{
		{"Monday 09:00 Berlin is 08:00 UTC", biz, time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC), true},
		{"Monday 08:59 Berlin", biz, time.Date(2026, 11, 23, 7, 59, 0, 0, time.UTC), false},
		{"Monday 17:00 Berlin is outside", biz, time.Date(2026, 11, 23, 16, 0, 0, 0, time.UTC), false},
		{"Saturday noon", biz, time.Date(2026, 11, 28, 11, 0, 0, 0, time.UTC), false},
		{"summer time: 09:00 Berlin is 07:00 UTC", biz, time.Date(2026, 7, 6, 7, 0, 0, 0, time.UTC), true},
		{"across midnight, late", night, time.Date(2026, 11, 23, 23, 0, 0, 0, time.UTC), true},
		{"across midnight, early", night, time.Date(2026, 11, 23, 5, 59, 0, 0, time.UTC), true},
		{"across midnight, day", night, time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC), false},
	} {
		if got := Active(c.c, c.at); got != c.want {
			t.Errorf("%s: Active = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestValidate(t *testing.T) {
	ok := func() *vigil.EscalationPolicy {
		return &vigil.EscalationPolicy{Name: "p", Steps: []vigil.EscalationStep{step(5*time.Minute, user(1)), step(0, user(2))}}
	}
	if err := Validate(ok()); err != nil {
		t.Fatalf("valid policy refused: %v", err)
	}
	for _, c := range []struct {
		field string
		edit  func(p *vigil.EscalationPolicy)
	}{
		{"name", func(p *vigil.EscalationPolicy) { p.Name = "" }},
		{"repeat", func(p *vigil.EscalationPolicy) { p.Repeat = 10 }},
		{"steps", func(p *vigil.EscalationPolicy) { p.Steps = nil }},
		{"steps[0].delay", func(p *vigil.EscalationPolicy) { p.Steps[0].Delay = 0 }},
		{"steps[1].delay", func(p *vigil.EscalationPolicy) { p.Repeat = 1 }},
		{"steps[1].targets", func(p *vigil.EscalationPolicy) { p.Steps[1].Targets = nil }},
		{"steps[0].targets[0].type", func(p *vigil.EscalationPolicy) { p.Steps[0].Targets[0].Type = "group" }},
		{"steps[0].targets[0].id", func(p *vigil.EscalationPolicy) { p.Steps[0].Targets[0].ID = 0 }},
		{"steps[0].condition.time_zone", func(p *vigil.EscalationPolicy) { p.Steps[0].Condition = &vigil.StepCondition{TimeZone: "Mars/Base"} }},
		{"steps[0].condition.end", func(p *vigil.EscalationPolicy) { p.Steps[0].Condition = &vigil.StepCondition{Start: 60, End: 60} }},
	} {
		p := ok()
		c.edit(p)
		err := Validate(p)
		var ve *vigil.Error
		if err == nil || !asErr(err, &ve) || ve.Field != c.field {
			t.Errorf("%s: got %v", c.field, err)
		}
	}
}

func asErr(err error, target **vigil.Error) bool {
	e, ok := err.(*vigil.Error)
	*target = e
	return ok
}
