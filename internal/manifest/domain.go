package manifest

import (
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// Resolver gives the ID of an object by its key (a user by e-mail address
// in lower case, the others by name); 0 when there is none.
type Resolver interface {
	UserID(email string) int64
	TeamID(name string) int64
	ScheduleID(name string) int64
	PolicyID(name string) int64
	ServiceID(name string) int64
}

// placeholder resolves every key to 1, to validate an object's shape
// before the objects it names exist.
type placeholder struct{}

func (placeholder) UserID(string) int64     { return 1 }
func (placeholder) TeamID(string) int64     { return 1 }
func (placeholder) ScheduleID(string) int64 { return 1 }
func (placeholder) PolicyID(string) int64   { return 1 }
func (placeholder) ServiceID(string) int64  { return 1 }

// optional resolves an optional reference: empty is no object.
func optional(name string, id func(string) int64) int64 {
	if name == "" {
		return 0
	}
	return id(name)
}

// The Domain methods turn canonical objects (the output of Check) into
// the domain types the API takes.

// Domain is the user without contact methods and rules.
func (u *User) Domain() *vigil.User {
	return &vigil.User{Name: u.Name, Email: u.Email, TimeZone: u.TimeZone}
}

// Domain is the contact method.
func (m *ContactMethod) Domain() *vigil.ContactMethod {
	return &vigil.ContactMethod{Name: m.Name, Type: m.Type, Address: m.Address, Disabled: m.Disabled}
}

// DelayValue is the rule's delay.
func (r *NotificationRule) DelayValue() vigil.Duration {
	d, _ := time.ParseDuration(r.Delay)
	return vigil.Duration(d)
}

// Domain is the team with its members' IDs.
func (t *Team) Domain(r Resolver) *vigil.Team {
	out := &vigil.Team{Name: t.Name, Description: t.Description, Members: []int64{}, Managers: []int64{}}
	for _, m := range t.Members {
		out.Members = append(out.Members, r.UserID(m))
	}
	for _, m := range t.Managers {
		out.Managers = append(out.Managers, r.UserID(m))
	}
	out.Responders = []int64{}
	for _, m := range t.Responders {
		out.Responders = append(out.Responders, r.UserID(m))
	}
	return out
}

// Domain is the schedule with IDs.
func (s *Schedule) Domain(r Resolver) *vigil.Schedule {
	out := &vigil.Schedule{Name: s.Name, Description: s.Description, TimeZone: s.TimeZone,
		TeamID: optional(s.Team, r.TeamID), Layers: []vigil.Layer{}}
	for _, l := range s.Layers {
		start, _ := time.Parse(time.RFC3339Nano, l.Start)
		dl := vigil.Layer{Name: l.Name, Start: start, TurnUnit: l.TurnUnit, TurnCount: l.TurnCount, Members: []int64{}}
		for _, m := range l.Members {
			dl.Members = append(dl.Members, r.UserID(m))
		}
		for _, x := range l.Restrictions {
			w, _ := parseWeekday(x.Weekday)
			st, _ := vigil.ParseClockTime(x.Start)
			d, _ := time.ParseDuration(x.Duration)
			dl.Restrictions = append(dl.Restrictions, vigil.Restriction{Kind: x.Kind, Weekday: w, Start: st, Duration: vigil.Duration(d)})
		}
		out.Layers = append(out.Layers, dl)
	}
	return out
}

// Domain is the escalation policy with IDs.
func (p *Policy) Domain(r Resolver) *vigil.EscalationPolicy {
	out := &vigil.EscalationPolicy{Name: p.Name, Description: p.Description, TeamID: optional(p.Team, r.TeamID),
		Repeat: p.Repeat, Steps: []vigil.EscalationStep{}}
	for _, s := range p.Steps {
		d, _ := time.ParseDuration(s.Delay)
		ds := vigil.EscalationStep{Delay: vigil.Duration(d), Targets: []vigil.Target{}}
		for _, t := range s.Targets {
			switch {
			case t.User != "":
				ds.Targets = append(ds.Targets, vigil.Target{Type: vigil.TargetUser, ID: r.UserID(t.User)})
			case t.Schedule != "":
				ds.Targets = append(ds.Targets, vigil.Target{Type: vigil.TargetSchedule, ID: r.ScheduleID(t.Schedule)})
			default:
				ds.Targets = append(ds.Targets, vigil.Target{Type: vigil.TargetTeam, ID: r.TeamID(t.Team)})
			}
		}
		if c := s.Condition; c != nil {
			dc := &vigil.StepCondition{TimeZone: c.TimeZone}
			for _, w := range c.Weekdays {
				d, _ := parseWeekday(w)
				dc.Weekdays = append(dc.Weekdays, d)
			}
			dc.Start, _ = vigil.ParseClockTime(c.Start)
			dc.End, _ = vigil.ParseClockTime(c.End)
			ds.Condition = dc
		}
		out.Steps = append(out.Steps, ds)
	}
	return out
}

// Domain is the service with IDs.
func (s *Service) Domain(r Resolver) *vigil.Service {
	out := &vigil.Service{Name: s.Name, Description: s.Description, AutoResolve: s.AutoResolve == nil || *s.AutoResolve,
		TeamID: optional(s.Team, r.TeamID), EscalationPolicyID: optional(s.EscalationPolicy, r.PolicyID)}
	if g := s.Grouping; g != nil {
		w, _ := time.ParseDuration(g.Window)
		out.Grouping = vigil.GroupingRule{Mode: g.Mode, Window: vigil.Duration(w), Labels: g.Labels}
	}
	if st := s.Storm; st != nil {
		w, _ := time.ParseDuration(st.Window)
		out.Grouping.Storm = &vigil.StormLimit{Incidents: st.Incidents, Window: vigil.Duration(w)}
	}
	if f := s.Flap; f != nil {
		w, _ := time.ParseDuration(f.Window)
		q, _ := time.ParseDuration(f.Quiet)
		out.Flap = &vigil.FlapSettings{Changes: f.Changes, Window: vigil.Duration(w), Quiet: vigil.Duration(q)}
	}
	if s.AutoPause != "" {
		p, _ := time.ParseDuration(s.AutoPause)
		out.AutoPause = vigil.Duration(p)
	}
	out.Normalize()
	return out
}

// Domain is the maintenance window with service IDs.
func (w *MaintenanceWindow) Domain(r Resolver) *vigil.MaintenanceWindow {
	out := &vigil.MaintenanceWindow{Name: w.Name, Matchers: w.Matchers, TimeZone: w.TimeZone}
	for _, s := range w.Services {
		out.ServiceIDs = append(out.ServiceIDs, r.ServiceID(s))
	}
	out.Start, _ = time.Parse(time.RFC3339Nano, w.Start)
	if w.End != "" {
		out.End, _ = time.Parse(time.RFC3339Nano, w.End)
	}
	if x := w.Weekly; x != nil {
		d, _ := time.ParseDuration(x.Duration)
		out.Recurrence = &vigil.WeeklyRecurrence{At: x.At, Duration: vigil.Duration(d), Weekdays: []time.Weekday{}}
		for _, name := range x.Weekdays {
			day, _ := parseWeekday(name)
			out.Recurrence.Weekdays = append(out.Recurrence.Weekdays, day)
		}
	}
	return out
}

// Domain is the inhibition rule.
func (r *InhibitRule) Domain() *vigil.InhibitRule {
	return &vigil.InhibitRule{Name: r.Name, Source: r.SourceMatchers, Target: r.TargetMatchers, Equal: r.Equal}
}
