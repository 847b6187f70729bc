package manifest

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// Snapshot is what a server holds, as its API returns it.
type Snapshot struct {
	Users []*vigil.User
	// ContactMethods and NotificationRules are by user ID; addresses are
	// in full (GET .../contact-methods?reveal=true).
	ContactMethods    map[int64][]*vigil.ContactMethod
	NotificationRules map[int64][]*vigil.NotificationRule
	Teams             []*vigil.Team
	Schedules         []*vigil.Schedule
	Policies          []*vigil.EscalationPolicy
	Services          []*vigil.Service
	Windows           []*vigil.MaintenanceWindow
	InhibitRules      []*vigil.InhibitRule
}

// User returns the user with the e-mail address (ignoring case), or nil.
func (s *Snapshot) User(email string) *vigil.User {
	for _, u := range s.Users {
		if strings.EqualFold(u.Email, strings.TrimSpace(email)) {
			return u
		}
	}
	return nil
}

// Team returns the team of that name, or nil.
func (s *Snapshot) Team(name string) *vigil.Team {
	return byName(s.Teams, name, func(t *vigil.Team) string { return t.Name })
}

// Schedule returns the schedule of that name, or nil.
func (s *Snapshot) Schedule(name string) *vigil.Schedule {
	return byName(s.Schedules, name, func(x *vigil.Schedule) string { return x.Name })
}

// Policy returns the escalation policy of that name, or nil.
func (s *Snapshot) Policy(name string) *vigil.EscalationPolicy {
	return byName(s.Policies, name, func(p *vigil.EscalationPolicy) string { return p.Name })
}

// Window returns the maintenance window of that name, or nil.
func (s *Snapshot) Window(name string) *vigil.MaintenanceWindow {
	return byName(s.Windows, name, func(x *vigil.MaintenanceWindow) string { return x.Name })
}

// InhibitRule returns the inhibit rule of that name, or nil.
func (s *Snapshot) InhibitRule(name string) *vigil.InhibitRule {
	return byName(s.InhibitRules, name, func(x *vigil.InhibitRule) string { return x.Name })
}

// Service returns the service of that name, or nil.
func (s *Snapshot) Service(name string) *vigil.Service {
	return byName(s.Services, name, func(x *vigil.Service) string { return x.Name })
}

func byName[T any](list []*T, name string, key func(*T) string) *T {
	for _, x := range list {
		if key(x) == name {
			return x
		}
	}
	return nil
}

// Export is the snapshot as a document that Apply accepts: every object
// with references by e-mail address and name, defaults left out, layer
// and window times in their time zone. Users' contact methods and rules
// are written when they have some. Maintenance windows that ended (they
// will never open again) are left out.
func (s *Snapshot) Export() *Manifest { return s.manifest(false) }

// manifest converts the snapshot; with all, every user's contact methods
// and rules are set, even when empty (the server's state, for Plan).
func (s *Snapshot) manifest(all bool) *Manifest {
	m := &Manifest{lines: map[string]int{}}
	emails := map[int64]string{}
	for _, u := range s.Users {
		emails[u.ID] = u.Email
	}
	teams := map[int64]string{}
	for _, t := range s.Teams {
		teams[t.ID] = t.Name
	}
	schedules := map[int64]string{}
	for _, x := range s.Schedules {
		schedules[x.ID] = x.Name
	}
	policies := map[int64]string{}
	for _, p := range s.Policies {
		policies[p.ID] = p.Name
	}
	services := map[int64]string{}
	for _, x := range s.Services {
		services[x.ID] = x.Name
	}
	name := func(names map[int64]string, id int64) string {
		if id == 0 {
			return ""
		}
		if n, ok := names[id]; ok {
			return n
		}
		return fmt.Sprintf("#%d", id) // gone meanwhile; Plan reports it
	}

	for _, u := range s.Users {
		mu := User{Name: u.Name, Email: u.Email, TimeZone: u.TimeZone}
		methods, rules := s.ContactMethods[u.ID], s.NotificationRules[u.ID]
		if all || len(methods) > 0 {
			list := []ContactMethod{}
			for _, cm := range methods {
				list = append(list, ContactMethod{Name: cm.Name, Type: cm.Type, Address: cm.Address, Disabled: cm.Disabled})
			}
			mu.ContactMethods = &list
		}
		if all || len(rules) > 0 {
			cmName := map[int64]string{}
			for _, cm := range methods {
				cmName[cm.ID] = cm.Name
			}
			list := []NotificationRule{}
			for _, r := range rules {
				list = append(list, NotificationRule{ContactMethod: name(cmName, r.ContactMethodID), Delay: r.Delay.String()})
			}
			mu.NotificationRules = &list
		}
		m.Users = append(m.Users, mu)
	}

	for _, t := range s.Teams {
		mt := Team{Name: t.Name, Description: t.Description}
		for _, id := range t.Members {
			mt.Members = append(mt.Members, name(emails, id))
		}
		for _, id := range t.Managers {
			mt.Managers = append(mt.Managers, name(emails, id))
		}
		for _, id := range t.Responders {
			mt.Responders = append(mt.Responders, name(emails, id))
		}
		m.Teams = append(m.Teams, mt)
	}

	for _, x := range s.Schedules {
		ms := Schedule{Name: x.Name, Description: x.Description, TimeZone: x.TimeZone, Team: name(teams, x.TeamID)}
		loc, err := time.LoadLocation(x.TimeZone)
		if err != nil {
			loc = time.UTC
		}
		for _, l := range x.Layers {
			ml := Layer{Name: l.Name, Start: l.Start.In(loc).Format(time.RFC3339Nano), TurnUnit: l.TurnUnit, TurnCount: l.TurnCount,
				Members: []string{}}
			for _, id := range l.Members {
				ml.Members = append(ml.Members, name(emails, id))
			}
			for _, r := range l.Restrictions {
				mr := Restriction{Kind: r.Kind, Start: r.Start.String(), Duration: r.Duration.String()}
				if r.Kind == vigil.RestrictWeekly {
					mr.Weekday = weekdayName(r.Weekday)
				}
				ml.Restrictions = append(ml.Restrictions, mr)
			}
			ms.Layers = append(ms.Layers, ml)
		}
		m.Schedules = append(m.Schedules, ms)
	}

	for _, p := range s.Policies {
		mp := Policy{Name: p.Name, Description: p.Description, Team: name(teams, p.TeamID), Repeat: p.Repeat, Steps: []Step{}}
		for _, st := range p.Steps {
			ms := Step{Delay: st.Delay.String(), Targets: []Target{}}
			for _, t := range st.Targets {
				switch t.Type {
				case vigil.TargetUser:
					ms.Targets = append(ms.Targets, Target{User: name(emails, t.ID)})
				case vigil.TargetSchedule:
					ms.Targets = append(ms.Targets, Target{Schedule: name(schedules, t.ID)})
				default:
					ms.Targets = append(ms.Targets, Target{Team: name(teams, t.ID)})
				}
			}
			if c := st.Condition; c != nil {
				mc := &Condition{TimeZone: c.TimeZone}
				for _, w := range c.Weekdays {
					mc.Weekdays = append(mc.Weekdays, weekdayName(w))
				}
				if c.Start != 0 {
					mc.Start = c.Start.String()
				}
				if c.End != 0 {
					mc.End = c.End.String()
				}
				ms.Condition = mc
			}
			mp.Steps = append(mp.Steps, ms)
		}
		m.EscalationPolicies = append(m.EscalationPolicies, mp)
	}

	for _, x := range s.Services {
		ms := Service{Name: x.Name, Description: x.Description, Team: name(teams, x.TeamID),
			EscalationPolicy: name(policies, x.EscalationPolicyID)}
		if !x.AutoResolve {
			f := false
			ms.AutoResolve = &f
		}
		g := x.Grouping
		if !(g.Mode == vigil.GroupByTime && time.Duration(g.Window) == vigil.DefaultGroupWindow && len(g.Labels) == 0) {
			mg := &Grouping{Mode: g.Mode, Labels: g.Labels}
			if g.Window != 0 {
				mg.Window = g.Window.String()
			}
			ms.Grouping = mg
		}
		if st := g.Storm; st != nil {
			ms.Storm = &Storm{Incidents: st.Incidents}
			if st.Incidents != 0 {
				ms.Storm.Window = st.Window.String()
			}
		}
		if f := x.Flap; f != nil {
			ms.Flap = &Flap{Changes: f.Changes}
			if f.Changes != 0 {
				ms.Flap.Window, ms.Flap.Quiet = f.Window.String(), f.Quiet.String()
			}
		}
		if x.AutoPause != 0 {
			ms.AutoPause = x.AutoPause.String()
		}
		m.Services = append(m.Services, ms)
	}

	for _, w := range s.Windows {
		if !all && w.State == vigil.MaintenanceEnded {
			continue
		}
		loc, err := time.LoadLocation(w.TimeZone)
		if err != nil {
			loc = time.UTC
		}
		mw := MaintenanceWindow{Name: w.Name, Matchers: w.Matchers, Start: w.Start.In(loc).Format(time.RFC3339Nano)}
		if w.TimeZone != "UTC" {
			mw.TimeZone = w.TimeZone
		}
		if !w.End.IsZero() {
			mw.End = w.End.In(loc).Format(time.RFC3339Nano)
		}
		for _, id := range w.ServiceIDs {
			mw.Services = append(mw.Services, name(services, id))
		}
		if r := w.Recurrence; r != nil {
			x := &Weekly{At: r.At, Duration: r.Duration.String()}
			for _, d := range r.Weekdays {
				x.Weekdays = append(x.Weekdays, weekdayName(d))
			}
			mw.Weekly = x
		}
		m.MaintenanceWindows = append(m.MaintenanceWindows, mw)
	}

	for _, r := range s.InhibitRules {
		m.InhibitRules = append(m.InhibitRules, InhibitRule{Name: r.Name, SourceMatchers: r.Source, TargetMatchers: r.Target, Equal: r.Equal})
	}

	if !all {
		// A stable, readable order: people by e-mail address, the rest
		// by name (the API lists by name already).
		slices.SortStableFunc(m.Users, func(a, b User) int { return cmp.Compare(strings.ToLower(a.Email), strings.ToLower(b.Email)) })
	}
	return m
}
