package manifest

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// Action is what applying does to one object.
type Action string

// Actions.
const (
	Create    Action = "create"
	Update    Action = "update"
	Unchanged Action = "unchanged"
)

// Kinds of object, in the order they are applied (each may name the
// kinds before it).
const (
	KindUser     = "user"
	KindTeam     = "team"
	KindSchedule = "schedule"
	KindPolicy   = "escalation policy"
	KindService  = "service"
	KindWindow   = "maintenance window"
	KindInhibit  = "inhibit rule"
)

// Change is what applying does to one object of the document.
type Change struct {
	Action Action `json:"action"`
	Kind   string `json:"kind"`
	// Key is the user's e-mail address or the object's name.
	Key string `json:"key"`
	// Fields lists what an update changes.
	Fields []FieldChange `json:"fields,omitempty"`
	// Desired is the canonical object: *User, *Team, *Schedule, *Policy,
	// *Service, *MaintenanceWindow or *InhibitRule.
	Desired any `json:"-"`
}

// FieldChange is one changed field, with values as people read them
// (secret addresses masked).
type FieldChange struct {
	Path string `json:"path"`
	Old  string `json:"old"`
	New  string `json:"new"`
}

// Plan is the list of changes, users first, then teams, schedules,
// escalation policies, services, maintenance windows and inhibit rules,
// each in document order.
type Plan struct {
	Changes []Change `json:"changes"`
}

// Count is the number of changes with the action.
func (p *Plan) Count(a Action) int {
	n := 0
	for _, c := range p.Changes {
		if c.Action == a {
			n++
		}
	}
	return n
}

// Empty reports whether applying changes nothing.
func (p *Plan) Empty() bool { return p.Count(Create)+p.Count(Update) == 0 }

// NewPlan compares desired, the canonical document from Check, with what
// the server holds. Every reference must name an object of the document or
// of the server; the error lists each one that does not. Objects on the
// server that the document does not name are not in the plan.
func NewPlan(desired *Manifest, snap *Snapshot) (*Plan, error) {
	current := canonical(snap.manifest(true), &errs{}, false)
	c := &errs{lines: desired.lines}
	checkRefs(c, desired, current)
	if err := c.err(); err != nil {
		return nil, err
	}

	p := &Plan{}
	for i := range desired.Users {
		u := &desired.Users[i]
		cur := find(current.Users, func(x *User) bool { return strings.EqualFold(x.Email, u.Email) })
		p.add(KindUser, u.Email, u, cur != nil, func() []FieldChange { return diff(flatUser(u, u), flatUser(cur, u)) })
	}
	for i := range desired.Teams {
		t := &desired.Teams[i]
		cur := find(current.Teams, func(x *Team) bool { return x.Name == t.Name })
		p.add(KindTeam, t.Name, t, cur != nil, func() []FieldChange { return diff(flatTeam(t), flatTeam(cur)) })
	}
	for i := range desired.Schedules {
		s := &desired.Schedules[i]
		cur := find(current.Schedules, func(x *Schedule) bool { return x.Name == s.Name })
		p.add(KindSchedule, s.Name, s, cur != nil, func() []FieldChange { return diff(flatSchedule(s), flatSchedule(cur)) })
	}
	for i := range desired.EscalationPolicies {
		x := &desired.EscalationPolicies[i]
		cur := find(current.EscalationPolicies, func(y *Policy) bool { return y.Name == x.Name })
		p.add(KindPolicy, x.Name, x, cur != nil, func() []FieldChange { return diff(flatPolicy(x), flatPolicy(cur)) })
	}
	for i := range desired.Services {
		s := &desired.Services[i]
		cur := find(current.Services, func(x *Service) bool { return x.Name == s.Name })
		p.add(KindService, s.Name, s, cur != nil, func() []FieldChange { return diff(flatService(s), flatService(cur)) })
	}
	for i := range desired.MaintenanceWindows {
		w := &desired.MaintenanceWindows[i]
		cur := find(current.MaintenanceWindows, func(x *MaintenanceWindow) bool { return x.Name == w.Name })
		p.add(KindWindow, w.Name, w, cur != nil, func() []FieldChange { return diff(flatWindow(w), flatWindow(cur)) })
	}
	for i := range desired.InhibitRules {
		r := &desired.InhibitRules[i]
		cur := find(current.InhibitRules, func(x *InhibitRule) bool { return x.Name == r.Name })
		p.add(KindInhibit, r.Name, r, cur != nil, func() []FieldChange { return diff(flatRule(r), flatRule(cur)) })
	}
	return p, nil
}

func (p *Plan) add(kind, key string, desired any, exists bool, fields func() []FieldChange) {
	ch := Change{Action: Create, Kind: kind, Key: key, Desired: desired}
	if exists {
		ch.Action, ch.Fields = Unchanged, fields()
		if len(ch.Fields) > 0 {
			ch.Action = Update
		}
	}
	p.Changes = append(p.Changes, ch)
}

func find[T any](list []T, match func(*T) bool) *T {
	for i := range list {
		if match(&list[i]) {
			return &list[i]
		}
	}
	return nil
}

// checkRefs reports every reference that names nothing.
func checkRefs(c *errs, d, cur *Manifest) {
	users, teams, schedules, policies := map[string]bool{}, map[string]bool{}, map[string]bool{}, map[string]bool{}
	services := map[string]bool{}
	for _, m := range []*Manifest{d, cur} {
		for _, s := range m.Services {
			services[s.Name] = true
		}
		for _, u := range m.Users {
			users[ref(u.Email)] = true
		}
		for _, t := range m.Teams {
			teams[t.Name] = true
		}
		for _, s := range m.Schedules {
			schedules[s.Name] = true
		}
		for _, p := range m.EscalationPolicies {
			policies[p.Name] = true
		}
	}
	user := func(path, email string) {
		if email != "" && !users[email] {
			c.add(path, "no user with e-mail address %q in the file or on the server", email)
		}
	}
	named := func(set map[string]bool, what, path, name string) {
		if name != "" && !set[name] {
			c.add(path, "no %s named %q in the file or on the server", what, name)
		}
	}

	for i, u := range d.Users {
		if u.NotificationRules == nil {
			continue
		}
		methods := map[string]bool{}
		cms := u.ContactMethods
		where := "in the user's contact_methods"
		if cms == nil {
			where = "on the server (the file does not list the user's contact_methods)"
			if cu := find(cur.Users, func(x *User) bool { return strings.EqualFold(x.Email, u.Email) }); cu != nil {
				cms = cu.ContactMethods
			}
		}
		if cms != nil {
			for _, m := range *cms {
				methods[m.Name] = true
			}
		}
		for j, r := range *u.NotificationRules {
			if r.ContactMethod != "" && !methods[r.ContactMethod] {
				c.add(fmt.Sprintf("users[%d].notification_rules[%d].contact_method", i, j), "no contact method named %q %s", r.ContactMethod, where)
			}
		}
	}
	for i, t := range d.Teams {
		for j, m := range t.Members {
			user(fmt.Sprintf("teams[%d].members[%d]", i, j), m)
		}
		for j, m := range t.Managers {
			user(fmt.Sprintf("teams[%d].managers[%d]", i, j), m)
		}
		for j, m := range t.Responders {
			user(fmt.Sprintf("teams[%d].responders[%d]", i, j), m)
		}
	}
	for i, s := range d.Schedules {
		p := fmt.Sprintf("schedules[%d]", i)
		named(teams, "team", p+".team", s.Team)
		for j, l := range s.Layers {
			for k, m := range l.Members {
				user(fmt.Sprintf("%s.layers[%d].members[%d]", p, j, k), m)
			}
		}
	}
	for i, x := range d.EscalationPolicies {
		p := fmt.Sprintf("escalation_policies[%d]", i)
		named(teams, "team", p+".team", x.Team)
		for j, s := range x.Steps {
			for k, t := range s.Targets {
				tp := fmt.Sprintf("%s.steps[%d].targets[%d]", p, j, k)
				user(tp+".user", t.User)
				named(schedules, "schedule", tp+".schedule", t.Schedule)
				named(teams, "team", tp+".team", t.Team)
			}
		}
	}
	for i, s := range d.Services {
		p := fmt.Sprintf("services[%d]", i)
		named(teams, "team", p+".team", s.Team)
		named(policies, "escalation policy", p+".escalation_policy", s.EscalationPolicy)
	}
	for i, w := range d.MaintenanceWindows {
		for j, s := range w.Services {
			named(services, "service", fmt.Sprintf("maintenance_windows[%d].services[%d]", i, j), s)
		}
	}
}

// field is one comparable value of an object, with how to show it.
type field struct {
	path, value, show string
}

func plain(path, v string) field { return field{path, v, orNone(v)} }

func text(path, v string) field {
	s := v
	if utf8.RuneCountInString(s) > 50 {
		s = string([]rune(s)[:49]) + "…"
	}
	return field{path, v, strconv.Quote(s)}
}

func list(path string, items []string) field {
	v := "[" + strings.Join(items, ", ") + "]"
	return field{path, v, v}
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// diff compares the fields of the desired and the current object.
func diff(want, have []field) []FieldChange {
	old := map[string]field{}
	for _, f := range have {
		old[f.path] = f
	}
	var out []FieldChange
	seen := map[string]bool{}
	for _, f := range want {
		seen[f.path] = true
		o, ok := old[f.path]
		switch {
		case !ok:
			out = append(out, FieldChange{Path: f.path, Old: "(none)", New: f.show})
		case o.value != f.value:
			ch := FieldChange{Path: f.path, Old: o.show, New: f.show}
			if ch.Old == ch.New {
				ch.New += " (changed)" // a masked address
			}
			out = append(out, ch)
		}
	}
	for _, f := range have {
		if !seen[f.path] {
			out = append(out, FieldChange{Path: f.path, Old: f.show, New: "(none)"})
		}
	}
	return out
}

// flatUser lists a user's fields. The contact methods and rules are
// compared only when the desired user manages them.
func flatUser(u, desired *User) []field {
	out := []field{text("name", u.Name), plain("email", u.Email), plain("time_zone", u.TimeZone)}
	if desired.ContactMethods != nil && u.ContactMethods != nil {
		seen := map[string]int{}
		for _, m := range *u.ContactMethods {
			key := m.Name
			if seen[m.Name]++; seen[m.Name] > 1 {
				key = fmt.Sprintf("%s#%d", m.Name, seen[m.Name])
			}
			v := m.Type + " " + m.Address
			show := m.Type + " " + vigil.MaskAddress(m.Type, m.Address)
			if m.Disabled {
				v, show = v+" (disabled)", show+" (disabled)"
			}
			out = append(out, field{"contact_methods[" + key + "]", v, show})
		}
	}
	if desired.NotificationRules != nil && u.NotificationRules != nil {
		rules := slices.Clone(*u.NotificationRules)
		slices.SortFunc(rules, func(a, b NotificationRule) int {
			return cmp.Or(cmp.Compare(a.DelayValue(), b.DelayValue()), cmp.Compare(a.ContactMethod, b.ContactMethod))
		})
		items := []string{}
		for _, r := range rules {
			items = append(items, r.ContactMethod+" after "+r.Delay)
		}
		out = append(out, list("notification_rules", items))
	}
	return out
}

func flatTeam(t *Team) []field {
	return []field{text("description", t.Description), list("members", t.Members), list("managers", t.Managers),
		list("responders", t.Responders)}
}

func flatSchedule(s *Schedule) []field {
	out := []field{text("description", s.Description), plain("time_zone", s.TimeZone), plain("team", s.Team)}
	for i, l := range s.Layers {
		p := fmt.Sprintf("layers[%d]", i)
		var rs []string
		for _, r := range l.Restrictions {
			day := r.Kind
			if r.Kind == vigil.RestrictWeekly {
				day = r.Weekday
			}
			rs = append(rs, day+" "+r.Start+" for "+r.Duration)
		}
		out = append(out, text(p+".name", l.Name), plain(p+".start", l.Start), plain(p+".turn_unit", l.TurnUnit),
			plain(p+".turn_count", strconv.Itoa(l.TurnCount)), list(p+".members", l.Members), list(p+".restrictions", rs))
	}
	return out
}

func flatPolicy(x *Policy) []field {
	out := []field{text("description", x.Description), plain("team", x.Team), plain("repeat", strconv.Itoa(x.Repeat))}
	for i, s := range x.Steps {
		p := fmt.Sprintf("steps[%d]", i)
		var ts []string
		for _, t := range s.Targets {
			switch {
			case t.User != "":
				ts = append(ts, "user "+t.User)
			case t.Schedule != "":
				ts = append(ts, "schedule "+t.Schedule)
			default:
				ts = append(ts, "team "+t.Team)
			}
		}
		cond := ""
		if c := s.Condition; c != nil {
			days := "every day"
			if len(c.Weekdays) > 0 {
				days = strings.Join(c.Weekdays, ",")
			}
			cond = fmt.Sprintf("%s %s-%s %s", days, c.Start, c.End, orNone(c.TimeZone))
		}
		out = append(out, plain(p+".delay", s.Delay), list(p+".targets", ts), plain(p+".condition", cond))
	}
	return out
}

func flatService(s *Service) []field {
	g := s.Grouping.Mode
	if s.Grouping.Window != "" {
		g += " " + s.Grouping.Window
	}
	if len(s.Grouping.Labels) > 0 {
		g += " [" + strings.Join(s.Grouping.Labels, ", ") + "]"
	}
	storm := fmt.Sprintf("default (%d in %s)", vigil.DefaultStorm.Incidents, vigil.DefaultStorm.Window)
	if st := s.Storm; st != nil {
		storm = "off"
		if st.Incidents != 0 {
			storm = fmt.Sprintf("%d in %s", st.Incidents, st.Window)
		}
	}
	flap := fmt.Sprintf("default (more than %d in %s, quiet %s)", vigil.DefaultFlap.Changes, vigil.DefaultFlap.Window, vigil.DefaultFlap.Quiet)
	if f := s.Flap; f != nil {
		flap = "off"
		if f.Changes != 0 {
			flap = fmt.Sprintf("more than %d in %s, quiet %s", f.Changes, f.Window, f.Quiet)
		}
	}
	pause := s.AutoPause
	if pause == "" {
		pause = "off"
	}
	return []field{text("description", s.Description), plain("team", s.Team), plain("escalation_policy", s.EscalationPolicy),
		plain("auto_resolve", strconv.FormatBool(*s.AutoResolve)), plain("grouping", g),
		plain("storm", storm), plain("flap", flap), plain("auto_pause", pause)}
}

func flatWindow(w *MaintenanceWindow) []field {
	weekly := ""
	if x := w.Weekly; x != nil {
		weekly = strings.Join(x.Weekdays, ",") + " at " + x.At + " for " + x.Duration
	}
	return []field{list("services", w.Services), list("matchers", w.Matchers), plain("start", w.Start), plain("end", w.End),
		plain("time_zone", w.TimeZone), plain("weekly", weekly)}
}

func flatRule(r *InhibitRule) []field {
	return []field{list("source_matchers", r.SourceMatchers), list("target_matchers", r.TargetMatchers), list("equal", r.Equal)}
}
