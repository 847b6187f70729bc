package classify

import "fmt"

// Change is how a changed rule set would have treated one stored alert
// differently.
type Change struct {
	// Index is the alert's position in the list given to BackTest.
	Index int
	// Before and After are the two decisions.
	Before, After Decision
	// Fields names what differs: "paged" (suppressed on one side only),
	// "sev", "priority", "type", "service", "team", "urgency", "notify",
	// "private".
	Fields []string
}

// Summary counts a back-test's outcome.
type Summary struct {
	Alerts int // alerts replayed
	// PagesAdded are alerts the new rules would page for that the old
	// ones suppressed; PagesRemoved the reverse.
	PagesAdded, PagesRemoved int
	Changed                  int // alerts with any difference
	// Failures counts rule evaluation failures under the new rules.
	Failures int
}

// BackTest replays stored alerts through the current rules and a changed
// set, and reports every alert the change would have treated differently,
// before anyone saves it.
func BackTest(current, changed *Rules, alerts []Alert) (Summary, []Change) {
	s := Summary{Alerts: len(alerts)}
	var changes []Change
	for i, a := range alerts {
		before, after := current.Classify(a), changed.Classify(a)
		s.Failures += len(after.Failed)
		fields := diff(before, after)
		if len(fields) == 0 {
			continue
		}
		s.Changed++
		switch {
		case before.Suppress && !after.Suppress:
			s.PagesAdded++
		case !before.Suppress && after.Suppress:
			s.PagesRemoved++
		}
		changes = append(changes, Change{Index: i, Before: before, After: after, Fields: fields})
	}
	return s, changes
}

func diff(a, b Decision) []string {
	var out []string
	if a.Suppress != b.Suppress {
		out = append(out, "paged")
	}
	for _, f := range []struct {
		name string
		x, y string
	}{
		{"sev", a.Sev, b.Sev}, {"priority", a.Priority, b.Priority}, {"type", a.Type, b.Type},
		{"service", a.Service, b.Service}, {"team", a.Team, b.Team}, {"urgency", a.Urgency, b.Urgency},
		{"notify", fmt.Sprint(a.Notify), fmt.Sprint(b.Notify)}, {"private", fmt.Sprint(a.Private), fmt.Sprint(b.Private)},
		{"labels", fmt.Sprint(a.Labels), fmt.Sprint(b.Labels)}, {"pause", a.Pause, b.Pause},
	} {
		if f.x != f.y {
			out = append(out, f.name)
		}
	}
	return out
}
