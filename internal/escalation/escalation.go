// Package escalation decides, as a pure function of a policy, an incident's
// escalation state and the time, which step fires now, whom it pages and
// when the next step is due. The store runs it inside the transaction that
// claims the incident, so the decision and its pages commit together.
package escalation

import (
	"fmt"
	"slices"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// State is an incident's place in its policy: the next step to fire and
// how many times the policy has started over.
type State struct {
	Step int
	Loop int
}

// Resolver turns one target into the users it pages now. note explains an
// empty answer for the timeline ("no one is on call on schedule Primary").
type Resolver func(t vigil.Target) (users []int64, note string)

// Page is one user paged by one step.
type Page struct {
	Step   int // index into the policy's steps
	Loop   int
	UserID int64
}

// Result is what happens now.
type Result struct {
	Pages []Page
	// Notes are timeline lines: steps skipped, targets that reached no one,
	// the end of the policy.
	Notes []string
	// Next is the state to store; NextAt is when it is due, nil when the
	// escalation is over.
	Next   State
	NextAt *time.Time
}

// Run fires the step st points at (the caller found it due). A step that
// reaches no one, or whose condition excludes now, is noted and the next
// step fires at once: waiting would help no one. After a step that paged
// someone, the next is due its Delay later, counted from now, so an engine
// that was paused fires one overdue step and not a burst (catalog C3).
// A policy that was shortened under a running incident continues with the
// step at the same index, or ends the pass when it no longer exists (C4).
// A whole pass that reached no one stops the escalation with a note rather
// than looping through the repeats.
func Run(p *vigil.EscalationPolicy, st State, now time.Time, resolve Resolver) Result {
	var r Result
	if len(p.Steps) == 0 {
		r.Notes = append(r.Notes, fmt.Sprintf("Escalation policy %q has no steps: no one was paged", p.Name))
		return r
	}
	reachedInPass := st.Step > 0 // earlier steps of this pass fired in earlier cycles
	for guard := 0; guard <= len(p.Steps)*(p.Repeat+1)+1; guard++ {
		if st.Step >= len(p.Steps) {
			if st.Loop >= p.Repeat {
				r.Notes = append(r.Notes, fmt.Sprintf("Escalation policy %q finished", p.Name)+timesText(p.Repeat))
				return r
			}
			if !reachedInPass {
				r.Notes = append(r.Notes, fmt.Sprintf("Escalation stopped: no step of policy %q reached anyone", p.Name))
				return r
			}
			st = State{Step: 0, Loop: st.Loop + 1}
			reachedInPass = false
			r.Notes = append(r.Notes, fmt.Sprintf("Escalation policy %q starts over (repeat %d of %d)", p.Name, st.Loop, p.Repeat))
		}
		step := p.Steps[st.Step]
		label := fmt.Sprintf("step %d", st.Step+1)
		if step.Condition != nil && !Active(step.Condition, now) {
			r.Notes = append(r.Notes, fmt.Sprintf("Escalation %s skipped: outside its hours (%s)", label, ConditionText(step.Condition)))
			st.Step++
			continue
		}
		var users []int64
		for _, t := range step.Targets {
			got, note := resolve(t)
			if len(got) == 0 && note != "" {
				r.Notes = append(r.Notes, fmt.Sprintf("Escalation %s: %s", label, note))
			}
			for _, u := range got {
				if !slices.Contains(users, u) {
					users = append(users, u)
				}
			}
		}
		if len(users) == 0 {
			r.Notes = append(r.Notes, fmt.Sprintf("No one on call for escalation %s: moving on", label))
			st.Step++
			continue
		}
		for _, u := range users {
			r.Pages = append(r.Pages, Page{Step: st.Step, Loop: st.Loop, UserID: u})
		}
		next := now.Add(time.Duration(step.Delay))
		r.Next, r.NextAt = State{Step: st.Step + 1, Loop: st.Loop}, &next
		if st.Step+1 >= len(p.Steps) && st.Loop >= p.Repeat {
			r.NextAt = nil // the last step of the last pass: nothing more is due
		}
		return r
	}
	r.Notes = append(r.Notes, fmt.Sprintf("Escalation stopped: no step of policy %q reached anyone", p.Name))
	return r
}

func timesText(repeat int) string {
	if repeat == 0 {
		return ""
	}
	return fmt.Sprintf(" after %d repeats", repeat)
}

// Active reports whether now falls in the condition's weekly window.
// An unknown time zone counts as UTC (policies are validated on save).
func Active(c *vigil.StepCondition, now time.Time) bool {
	loc, err := time.LoadLocation(c.TimeZone)
	if err != nil || c.TimeZone == "" {
		loc = time.UTC
	}
	local := now.In(loc)
	if len(c.Weekdays) > 0 && !slices.Contains(c.Weekdays, local.Weekday()) {
		return false
	}
	if c.Start == 0 && c.End == 0 {
		return true
	}
	m := vigil.ClockTime(local.Hour()*60 + local.Minute())
	if c.Start <= c.End {
		return m >= c.Start && m < c.End
	}
	return m >= c.Start || m < c.End // a window across midnight
}

// ConditionText describes a condition for people: "Mon–Fri 09:00–17:00 Europe/Berlin".
func ConditionText(c *vigil.StepCondition) string {
	days := "every day"
	if len(c.Weekdays) > 0 {
		days = ""
		for i, d := range c.Weekdays {
			if i > 0 {
				days += ","
			}
			days += d.String()[:3]
		}
	}
	hours := ""
	if c.Start != 0 || c.End != 0 {
		hours = fmt.Sprintf(" %02d:%02d–%02d:%02d", c.Start/60, c.Start%60, c.End/60, c.End%60)
	}
	tz := c.TimeZone
	if tz == "" {
		tz = "UTC"
	}
	return days + hours + " " + tz
}

// Validate checks a policy's own fields; whether targets exist is the
// store's question.
func Validate(p *vigil.EscalationPolicy) error {
	if p.Name == "" || len(p.Name) > vigil.MaxNameLen {
		return vigil.FieldError("name", "must be 1 to %d bytes", vigil.MaxNameLen)
	}
	if p.Repeat < 0 || p.Repeat > vigil.MaxEscalationRepeat {
		return vigil.FieldError("repeat", "must be between 0 and %d", vigil.MaxEscalationRepeat)
	}
	if len(p.Steps) == 0 || len(p.Steps) > 20 {
		return vigil.FieldError("steps", "must have 1 to 20 steps")
	}
	for i, s := range p.Steps {
		f := fmt.Sprintf("steps[%d]", i)
		if s.Delay < 0 || time.Duration(s.Delay) > 24*time.Hour {
			return vigil.FieldError(f+".delay", "must be between 0 and 24h")
		}
		if i < len(p.Steps)-1 || p.Repeat > 0 {
			if time.Duration(s.Delay) < time.Minute {
				return vigil.FieldError(f+".delay", "must be at least 1m when another step follows, so people have time to acknowledge")
			}
		}
		if len(s.Targets) == 0 || len(s.Targets) > 50 {
			return vigil.FieldError(f+".targets", "must have 1 to 50 targets")
		}
		for j, t := range s.Targets {
			tf := fmt.Sprintf("%s.targets[%d]", f, j)
			switch t.Type {
			case vigil.TargetUser, vigil.TargetSchedule, vigil.TargetTeam:
			default:
				return vigil.FieldError(tf+".type", "must be %q, %q or %q", vigil.TargetUser, vigil.TargetSchedule, vigil.TargetTeam)
			}
			if t.ID <= 0 {
				return vigil.FieldError(tf+".id", "must be a positive id")
			}
		}
		if c := s.Condition; c != nil {
			if c.TimeZone != "" {
				if _, err := time.LoadLocation(c.TimeZone); err != nil {
					return vigil.FieldError(f+".condition.time_zone", "unknown time zone %q", c.TimeZone)
				}
			}
			for _, d := range c.Weekdays {
				if d < time.Sunday || d > time.Saturday {
					return vigil.FieldError(f+".condition.weekdays", "weekdays are 0 (Sunday) to 6")
				}
			}
			if c.Start < 0 || c.Start >= 24*60 || c.End < 0 || c.End >= 24*60 {
				return vigil.FieldError(f+".condition", "start and end must be times of day")
			}
			if c.Start == c.End && c.Start != 0 {
				return vigil.FieldError(f+".condition.end", "must differ from start (leave both empty for the whole day)")
			}
		}
	}
	return nil
}
