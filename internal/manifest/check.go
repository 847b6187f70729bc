package manifest

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-oss/vigil/internal/escalation"
	"github.com/vigil-oss/vigil/internal/matcher"
	"github.com/vigil-oss/vigil/internal/triage"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// Check validates the document on its own: required fields, values (time
// zones, durations, times of day, contact addresses, rotation units, ...)
// with the same rules as the server, and duplicate keys. It returns the
// canonical form, which Plan compares: defaults filled in, durations and
// times written one way, e-mail references in lower case. References
// between objects are checked by Plan, which also knows the server.
func (m *Manifest) Check() (*Manifest, error) {
	c := &errs{lines: m.lines}
	out := canonical(m, c, true)
	if err := c.err(); err != nil {
		return nil, err
	}
	return out, nil
}

// canonical normalizes m; with validate it also runs the domain checks
// and looks for duplicates (the server's own state needs neither).
func canonical(m *Manifest, c *errs, validate bool) *Manifest {
	out := &Manifest{lines: m.lines}
	for i, u := range m.Users {
		out.Users = append(out.Users, canonUser(u, fmt.Sprintf("users[%d]", i), c, validate))
	}
	for i, t := range m.Teams {
		out.Teams = append(out.Teams, canonTeam(t, fmt.Sprintf("teams[%d]", i), c, validate))
	}
	for i, s := range m.Schedules {
		out.Schedules = append(out.Schedules, canonSchedule(s, fmt.Sprintf("schedules[%d]", i), c, validate))
	}
	for i, p := range m.EscalationPolicies {
		out.EscalationPolicies = append(out.EscalationPolicies, canonPolicy(p, fmt.Sprintf("escalation_policies[%d]", i), c, validate))
	}
	for i, s := range m.Services {
		out.Services = append(out.Services, canonService(s, fmt.Sprintf("services[%d]", i), c, validate))
	}
	for i, w := range m.MaintenanceWindows {
		out.MaintenanceWindows = append(out.MaintenanceWindows, canonWindow(w, fmt.Sprintf("maintenance_windows[%d]", i), c, validate))
	}
	for i, r := range m.InhibitRules {
		out.InhibitRules = append(out.InhibitRules, canonRule(r, fmt.Sprintf("inhibit_rules[%d]", i), c, validate))
	}
	if validate {
		dups(c, "users", "e-mail address", "email", len(out.Users), func(i int) string { return strings.ToLower(out.Users[i].Email) })
		dups(c, "teams", "name", "name", len(out.Teams), func(i int) string { return out.Teams[i].Name })
		dups(c, "schedules", "name", "name", len(out.Schedules), func(i int) string { return out.Schedules[i].Name })
		dups(c, "escalation_policies", "name", "name", len(out.EscalationPolicies), func(i int) string { return out.EscalationPolicies[i].Name })
		dups(c, "services", "name", "name", len(out.Services), func(i int) string { return out.Services[i].Name })
		dups(c, "maintenance_windows", "name", "name", len(out.MaintenanceWindows), func(i int) string { return out.MaintenanceWindows[i].Name })
		dups(c, "inhibit_rules", "name", "name", len(out.InhibitRules), func(i int) string { return out.InhibitRules[i].Name })
	}
	return out
}

// dups reports each key seen before in a list.
func dups(c *errs, list, what, field string, n int, key func(int) string) {
	seen := map[string]int{}
	for i := 0; i < n; i++ {
		k := key(i)
		if k == "" {
			continue
		}
		if j, ok := seen[k]; ok {
			c.add(fmt.Sprintf("%s[%d].%s", list, i, field), "duplicate %s %q: %s[%d] has it too", what, k, list, j)
			continue
		}
		seen[k] = i
	}
}

// fieldErr reports a domain validation error under prefix.
func fieldErr(c *errs, prefix string, err error) {
	if err == nil {
		return
	}
	var ve *vigil.Error
	if errors.As(err, &ve) && ve.Field != "" {
		c.add(prefix+"."+ve.Field, "%s", ve.Message)
		return
	}
	c.add(prefix, "%v", err)
}

// ref is a reference to a user: an e-mail address, matched ignoring case.
func ref(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

func canonUser(u User, p string, c *errs, validate bool) User {
	out := User{Name: strings.TrimSpace(u.Name), Email: strings.TrimSpace(u.Email), TimeZone: strings.TrimSpace(u.TimeZone)}
	if out.TimeZone == "" {
		out.TimeZone = "UTC"
	}
	if validate {
		fieldErr(c, p, out.Domain().Validate())
	}
	methods := map[string]int{}
	if u.ContactMethods != nil {
		list := []ContactMethod{}
		for j, m := range *u.ContactMethods {
			mp := fmt.Sprintf("%s.contact_methods[%d]", p, j)
			cm := ContactMethod{Name: strings.TrimSpace(m.Name), Type: strings.TrimSpace(m.Type), Address: strings.TrimSpace(m.Address), Disabled: m.Disabled}
			if cm.Name == "" {
				cm.Name = cm.Type
			}
			if validate {
				fieldErr(c, mp, cm.Domain().Validate())
				if k, ok := methods[cm.Name]; ok && cm.Name != "" {
					c.add(mp+".name", "duplicate contact method name %q: contact_methods[%d] has it too", cm.Name, k)
				}
			}
			methods[cm.Name] = j
			list = append(list, cm)
		}
		out.ContactMethods = &list
	}
	if u.NotificationRules != nil {
		list := []NotificationRule{}
		seen := map[NotificationRule]int{}
		for j, r := range *u.NotificationRules {
			rp := fmt.Sprintf("%s.notification_rules[%d]", p, j)
			nr := NotificationRule{ContactMethod: strings.TrimSpace(r.ContactMethod)}
			d, ok := parseDuration(c, rp+".delay", r.Delay)
			nr.Delay = durText(d)
			if validate {
				if nr.ContactMethod == "" {
					c.add(rp+".contact_method", "is required (the name of one of the user's contact methods)")
				}
				if ok {
					fieldErr(c, rp, (&vigil.NotificationRule{ContactMethodID: 1, Delay: vigil.Duration(d)}).Validate())
				}
				if k, dup := seen[nr]; dup {
					c.add(rp, "duplicate rule: notification_rules[%d] reaches %q after %s too", k, nr.ContactMethod, nr.Delay)
				}
			}
			seen[nr] = j
			list = append(list, nr)
		}
		out.NotificationRules = &list
	}
	return out
}

func canonTeam(t Team, p string, c *errs, validate bool) Team {
	out := Team{Name: strings.TrimSpace(t.Name), Description: t.Description, Members: []string{}}
	seen := map[string]int{}
	for j, m := range t.Members {
		r := ref(m)
		if validate {
			if r == "" {
				c.add(fmt.Sprintf("%s.members[%d]", p, j), "is empty (want a user's e-mail address)")
			} else if k, ok := seen[r]; ok {
				c.add(fmt.Sprintf("%s.members[%d]", p, j), "%s is listed twice (also members[%d])", r, k)
				continue
			}
		}
		seen[r] = j
		out.Members = append(out.Members, r)
	}
	// A manager or responder is always a member: one not listed there is
	// added. Listed as both, a person is a manager (who responds too).
	withRole := func(field string, list []string) []string {
		var got []string
		for j, m := range list {
			r := ref(m)
			mp := fmt.Sprintf("%s.%s[%d]", p, field, j)
			if r == "" {
				if validate {
					c.add(mp, "is empty (want a user's e-mail address)")
				}
				continue
			}
			if slices.Contains(got, r) {
				if validate {
					c.add(mp, "%s is listed twice", r)
				}
				continue
			}
			got = append(got, r)
			if _, ok := seen[r]; !ok {
				seen[r] = -1
				out.Members = append(out.Members, r)
			}
		}
		slices.Sort(got)
		return got
	}
	out.Managers = withRole("managers", t.Managers)
	out.Responders = slices.DeleteFunc(withRole("responders", t.Responders), func(r string) bool {
		return slices.Contains(out.Managers, r)
	})
	if len(out.Responders) == 0 {
		out.Responders = nil
	}
	slices.Sort(out.Members)
	if validate {
		fieldErr(c, p, out.Domain(placeholder{}).Validate())
	}
	return out
}

func canonSchedule(s Schedule, p string, c *errs, validate bool) Schedule {
	out := Schedule{Name: strings.TrimSpace(s.Name), Description: s.Description, TimeZone: strings.TrimSpace(s.TimeZone),
		Team: strings.TrimSpace(s.Team), Layers: []Layer{}}
	if out.TimeZone == "" {
		out.TimeZone = "UTC"
	}
	loc, err := time.LoadLocation(out.TimeZone)
	if err != nil || out.TimeZone == "Local" {
		loc = time.UTC // reported by the domain check below
	}
	before := len(c.list)
	for j, l := range s.Layers {
		lp := fmt.Sprintf("%s.layers[%d]", p, j)
		nl := Layer{Name: l.Name, TurnUnit: strings.TrimSpace(l.TurnUnit), TurnCount: l.TurnCount, Members: []string{}}
		if t, ok := parseStart(c, lp+".start", l.Start, loc); ok {
			nl.Start = t.UTC().Format(time.RFC3339Nano)
		}
		for k, m := range l.Members {
			r := ref(m)
			if validate && r == "" {
				c.add(fmt.Sprintf("%s.members[%d]", lp, k), "is empty (want a user's e-mail address)")
			}
			nl.Members = append(nl.Members, r)
		}
		for k, r := range l.Restrictions {
			nl.Restrictions = append(nl.Restrictions, canonRestriction(r, fmt.Sprintf("%s.restrictions[%d]", lp, k), c))
		}
		out.Layers = append(out.Layers, nl)
	}
	if validate && len(c.list) == before {
		d := out.Domain(placeholder{})
		d.Normalize()
		fieldErr(c, p, d.Validate())
	}
	return out
}

func canonRestriction(r Restriction, p string, c *errs) Restriction {
	out := Restriction{Kind: strings.TrimSpace(r.Kind)}
	switch out.Kind {
	case vigil.RestrictWeekly:
		if strings.TrimSpace(r.Weekday) == "" {
			c.add(p+".weekday", "is required for a weekly restriction (monday ... sunday)")
		} else if w, ok := parseWeekday(r.Weekday); ok {
			out.Weekday = weekdayName(w)
		} else {
			c.add(p+".weekday", "unknown weekday %q (want monday ... sunday)", r.Weekday)
		}
	case vigil.RestrictDaily:
		if strings.TrimSpace(r.Weekday) != "" {
			c.add(p+".weekday", "is only for weekly restrictions")
		}
	default:
		c.add(p+".kind", "must be one of daily, weekly")
	}
	if ct, ok := parseClock(c, p+".start", r.Start, true); ok {
		out.Start = ct.String()
	}
	if strings.TrimSpace(r.Duration) == "" {
		c.add(p+".duration", "is required (a duration like 8h)")
	} else if d, ok := parseDuration(c, p+".duration", r.Duration); ok {
		out.Duration = durText(d)
	}
	return out
}

func canonPolicy(pol Policy, p string, c *errs, validate bool) Policy {
	out := Policy{Name: strings.TrimSpace(pol.Name), Description: pol.Description, Team: strings.TrimSpace(pol.Team),
		Repeat: pol.Repeat, Steps: []Step{}}
	before := len(c.list)
	for j, s := range pol.Steps {
		sp := fmt.Sprintf("%s.steps[%d]", p, j)
		ns := Step{Targets: []Target{}}
		d, _ := parseDuration(c, sp+".delay", s.Delay)
		ns.Delay = durText(d)
		for k, t := range s.Targets {
			nt := Target{User: ref(t.User), Schedule: strings.TrimSpace(t.Schedule), Team: strings.TrimSpace(t.Team)}
			n := 0
			for _, v := range []string{nt.User, nt.Schedule, nt.Team} {
				if v != "" {
					n++
				}
			}
			if n != 1 {
				c.add(fmt.Sprintf("%s.targets[%d]", sp, k), "give exactly one of user (an e-mail address), schedule or team")
			}
			ns.Targets = append(ns.Targets, nt)
		}
		if s.Condition != nil {
			ns.Condition = canonCondition(*s.Condition, sp+".condition", c)
		}
		out.Steps = append(out.Steps, ns)
	}
	if validate && len(c.list) == before {
		d := out.Domain(placeholder{})
		err := vigil.ValidateText("name", d.Name, vigil.MaxNameLen)
		if err == nil {
			err = vigil.ValidateText("description", d.Description, vigil.MaxDescriptionLen)
		}
		if err == nil {
			err = escalation.Validate(d)
		}
		fieldErr(c, p, err)
	}
	return out
}

func canonCondition(cond Condition, p string, c *errs) *Condition {
	out := &Condition{TimeZone: strings.TrimSpace(cond.TimeZone)}
	if out.TimeZone != "" {
		fieldErr(c, p, vigil.ValidateTimeZone("time_zone", out.TimeZone))
	}
	var days []time.Weekday
	for k, w := range cond.Weekdays {
		d, ok := parseWeekday(w)
		if !ok {
			c.add(fmt.Sprintf("%s.weekdays[%d]", p, k), "unknown weekday %q (want monday ... sunday)", w)
			continue
		}
		if !slices.Contains(days, d) {
			days = append(days, d)
		}
	}
	slices.Sort(days)
	for _, d := range days {
		out.Weekdays = append(out.Weekdays, weekdayName(d))
	}
	if ct, ok := parseClock(c, p+".start", cond.Start, false); ok {
		out.Start = ct.String()
	}
	if ct, ok := parseClock(c, p+".end", cond.End, false); ok {
		out.End = ct.String()
	}
	return out
}

func canonService(s Service, p string, c *errs, validate bool) Service {
	auto := true
	if s.AutoResolve != nil {
		auto = *s.AutoResolve
	}
	out := Service{Name: strings.TrimSpace(s.Name), Description: s.Description, Team: strings.TrimSpace(s.Team),
		EscalationPolicy: strings.TrimSpace(s.EscalationPolicy), AutoResolve: &auto, Grouping: &Grouping{Mode: vigil.GroupByTime}}
	if g := s.Grouping; g != nil {
		out.Grouping = &Grouping{Mode: strings.TrimSpace(g.Mode), Labels: g.Labels}
		if out.Grouping.Mode == "" {
			out.Grouping.Mode = vigil.GroupByTime
		}
		if d, ok := parseDuration(c, p+".grouping.window", g.Window); ok && d != 0 {
			out.Grouping.Window = durText(d)
		}
	}
	if out.Grouping.Mode == vigil.GroupByTime && out.Grouping.Window == "" {
		out.Grouping.Window = durText(vigil.DefaultGroupWindow)
	}
	before := len(c.list)
	out.Storm = canonStorm(s.Storm, p+".storm", c)
	out.Flap = canonFlap(s.Flap, p+".flap", c)
	if d, ok := parseDuration(c, p+".auto_pause", s.AutoPause); ok && d != 0 {
		out.AutoPause = durText(d)
	}
	if validate && len(c.list) == before {
		d := out.Domain(placeholder{})
		err := d.Validate()
		var ve *vigil.Error
		if errors.As(err, &ve) && ve.Field != "" {
			c.add(p+"."+serviceFields.Replace(ve.Field), "%s", ve.Message)
		} else {
			fieldErr(c, p, err)
		}
	}
	return out
}

// serviceFields are the domain's field names of a service in the file's.
var serviceFields = strings.NewReplacer("grouping.storm.", "storm.")

// canonStorm fills the default window and writes the server's default
// limit as nothing, so both read the same; off is {incidents: 0}.
func canonStorm(st *Storm, p string, c *errs) *Storm {
	if st == nil {
		return nil
	}
	out := &Storm{Incidents: st.Incidents}
	if st.Incidents == 0 {
		return out
	}
	d, ok := parseDuration(c, p+".window", st.Window)
	if !ok {
		return out
	}
	if d == 0 {
		d = time.Duration(vigil.DefaultStorm.Window)
	}
	out.Window = durText(d)
	if out.Incidents == vigil.DefaultStorm.Incidents && d == time.Duration(vigil.DefaultStorm.Window) {
		return nil
	}
	return out
}

// canonFlap fills the default window and quiet time and writes the
// server's default as nothing; off is {changes: 0}.
func canonFlap(f *Flap, p string, c *errs) *Flap {
	if f == nil {
		return nil
	}
	out := &Flap{Changes: f.Changes}
	if f.Changes == 0 {
		return out
	}
	w, okW := parseDuration(c, p+".window", f.Window)
	q, okQ := parseDuration(c, p+".quiet", f.Quiet)
	if !okW || !okQ {
		return out
	}
	if w == 0 {
		w = time.Duration(vigil.DefaultFlap.Window)
	}
	if q == 0 {
		q = time.Duration(vigil.DefaultFlap.Quiet)
	}
	out.Window, out.Quiet = durText(w), durText(q)
	if (vigil.FlapSettings{Changes: out.Changes, Window: vigil.Duration(w), Quiet: vigil.Duration(q)}) == vigil.DefaultFlap {
		return nil
	}
	return out
}

// canonMatchers writes matchers the one way the server does
// (name="value"); one that does not parse is reported and kept as given.
func canonMatchers(c *errs, path string, list []string) []string {
	var out []string
	for i, s := range list {
		m, err := matcher.Parse(s)
		if err != nil {
			c.add(fmt.Sprintf("%s[%d]", path, i), "%v", err)
			out = append(out, s)
			continue
		}
		out = append(out, m.String())
	}
	return out
}

// windowFields are the domain's field names of a window in the file's.
var windowFields = strings.NewReplacer("service_ids", "services", "recurrence.", "weekly.")

func canonWindow(w MaintenanceWindow, p string, c *errs, validate bool) MaintenanceWindow {
	out := MaintenanceWindow{Name: strings.TrimSpace(w.Name), TimeZone: strings.TrimSpace(w.TimeZone)}
	if out.TimeZone == "" {
		out.TimeZone = "UTC"
	}
	loc, err := time.LoadLocation(out.TimeZone)
	if err != nil || out.TimeZone == "Local" {
		loc = time.UTC // reported by the domain check below
	}
	before := len(c.list)
	seen := map[string]bool{}
	for j, s := range w.Services {
		s = strings.TrimSpace(s)
		if validate && s == "" {
			c.add(fmt.Sprintf("%s.services[%d]", p, j), "is empty (want a service's name)")
		}
		if !seen[s] {
			seen[s] = true
			out.Services = append(out.Services, s)
		}
	}
	slices.Sort(out.Services)
	out.Matchers = canonMatchers(c, p+".matchers", w.Matchers)
	if t, ok := parseStart(c, p+".start", w.Start, loc); ok {
		out.Start = t.UTC().Format(time.RFC3339Nano)
	}
	if strings.TrimSpace(w.End) != "" {
		if t, ok := parseStart(c, p+".end", w.End, loc); ok {
			out.End = t.UTC().Format(time.RFC3339Nano)
		}
	}
	if x := w.Weekly; x != nil {
		nw := &Weekly{At: strings.TrimSpace(x.At)}
		var days []time.Weekday
		for k, name := range x.Weekdays {
			d, ok := parseWeekday(name)
			if !ok {
				c.add(fmt.Sprintf("%s.weekly.weekdays[%d]", p, k), "unknown weekday %q (want monday ... sunday)", name)
				continue
			}
			if !slices.Contains(days, d) {
				days = append(days, d)
			}
		}
		slices.Sort(days)
		for _, d := range days {
			nw.Weekdays = append(nw.Weekdays, weekdayName(d))
		}
		if d, ok := parseDuration(c, p+".weekly.duration", x.Duration); ok {
			nw.Duration = durText(d)
		}
		out.Weekly = nw
	}
	if validate && len(c.list) == before {
		_, err := triage.CompileMaintenance(*out.Domain(placeholder{}))
		var ve *vigil.Error
		if errors.As(err, &ve) && ve.Field != "" {
			c.add(p+"."+windowFields.Replace(ve.Field), "%s", ve.Message)
		} else {
			fieldErr(c, p, err)
		}
	}
	return out
}

func canonRule(r InhibitRule, p string, c *errs, validate bool) InhibitRule {
	out := InhibitRule{Name: strings.TrimSpace(r.Name)}
	before := len(c.list)
	out.SourceMatchers = canonMatchers(c, p+".source_matchers", r.SourceMatchers)
	out.TargetMatchers = canonMatchers(c, p+".target_matchers", r.TargetMatchers)
	for _, l := range r.Equal {
		out.Equal = append(out.Equal, strings.TrimSpace(l))
	}
	if validate && len(c.list) == before {
		if _, err := triage.CompileInhibitRules([]vigil.InhibitRule{*out.Domain()}); err != nil {
			c.add(p+"."+strings.TrimPrefix(vigil.ErrorField(err), "rules[0]."), "%s", vigil.ErrorMessage(err))
		}
	}
	return out
}

// parseDuration reads "90s", "5m", "1h30m"; empty and "0" are zero.
func parseDuration(c *errs, path, s string) (time.Duration, bool) {
	s = strings.TrimSpace(s)
	if s == "" || s == "0" {
		return 0, true
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		c.add(path, "invalid duration %q (want something like 90s, 5m or 1h30m)", s)
		return 0, false
	}
	return d, true
}

// durText writes a duration the way the API does: "5m", "1h30m", "0s".
func durText(d time.Duration) string { return vigil.Duration(d).String() }

// parseClock reads a time of day "HH:MM"; empty is 00:00 unless required.
func parseClock(c *errs, path, s string, required bool) (vigil.ClockTime, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		if required {
			c.add(path, "is required (a time of day like 09:00)")
			return 0, false
		}
		return 0, true
	}
	ct, err := vigil.ParseClockTime(s)
	if err != nil {
		c.add(path, "%v", err)
		return 0, false
	}
	return ct, true
}

// startLayouts are the local forms a layer's start may take, read in the
// schedule's time zone.
var startLayouts = []string{"2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02"}

func parseStart(c *errs, path, s string, loc *time.Location) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		c.add(path, "is required (an RFC 3339 time like 2026-03-02T09:00:00+01:00, or a local 2026-03-02 09:00)")
		return time.Time{}, false
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, true
	}
	for _, l := range startLayouts {
		if t, err := time.ParseInLocation(l, s, loc); err == nil {
			return t, true
		}
	}
	c.add(path, "invalid time %q (want RFC 3339 like 2026-03-02T09:00:00+01:00, or a local 2026-03-02 09:00 in the schedule's time zone)", s)
	return time.Time{}, false
}

// parseWeekday reads "monday", "Mon" or "1" (0 is Sunday).
func parseWeekday(s string) (time.Weekday, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	if n, err := strconv.Atoi(s); err == nil {
		return time.Weekday(n), n >= 0 && n <= 6
	}
	for d := time.Sunday; d <= time.Saturday; d++ {
		name := strings.ToLower(d.String())
		if s == name || (len(s) == 3 && s == name[:3]) {
			return d, true
		}
	}
	return 0, false
}

func weekdayName(d time.Weekday) string { return strings.ToLower(d.String()) }
