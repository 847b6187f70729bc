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

// maintenanceForm is the form of a maintenance window, as typed: "New
// maintenance window" on /maintenance and the edit form of a window's page.
// Times are wall-clock times in TimeZone, as the window reads them.
type maintenanceForm struct {
	Action string
	Submit string
	Name   string
	// Kind is "once" (Start to End, or Start plus Duration) or "weekly"
	// (Days at At for Duration, from Start, until End when given).
	Kind     string
	Start    string // datetime-local
	End      string // datetime-local
	Duration string
	Days     []option
	At       string
	TimeZone string
	// Services is the multi-select of every service, those covered selected.
	Services []option
	// Matchers is the textarea: one matcher per line, Alertmanager's syntax.
	Matchers string
	// Now is the clock's time in TimeZone, for the hints.
	Now    string
	Errors formErrors
}

// maintenanceLabels name the form's inputs in its error messages.
var maintenanceLabels = map[string]string{
	"name": "Name", "kind": "Repeats", "start": "Start", "end": "End", "duration": "Duration",
	"days": "Days", "at": "At", "time_zone": "Time zone", "services": "Services", "matchers": "Matchers",
}

// weekdayInputs are the values of the day checkboxes, Sunday first as
// time.Weekday counts.
var weekdayInputs = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// dayOptions are the seven day checkboxes, those in on ticked.
func dayOptions(on map[time.Weekday]bool) []option {
	// Monday first, as people plan a week; the values keep the API's names.
	order := []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}
	out := make([]option, 0, 7)
	for _, d := range order {
		out = append(out, option{Value: weekdayInputs[d], Label: d.String()[:3], Selected: on[d]})
	}
	return out
}

// serviceChoices lists every service, those in selected marked.
func serviceChoices(services []*vigil.Service, selected map[string]bool) []option {
	out := make([]option, 0, len(services))
	for _, s := range services {
		v := itoa(s.ID)
		out = append(out, option{Value: v, Label: s.Name, Selected: selected[v]})
	}
	return out
}

// newMaintenanceForm is the form for w, or a blank one-off window from
// now for two hours when w is nil.
func newMaintenanceForm(services []*vigil.Service, w *vigil.MaintenanceWindow, now time.Time) maintenanceForm {
	f := maintenanceForm{Action: "/maintenance", Submit: "Create window", Kind: "once", TimeZone: "UTC", Duration: "2h"}
	selected := map[string]bool{}
	days := map[time.Weekday]bool{}
	if w != nil {
		f.Action, f.Submit = maintenanceURL(w.ID), "Save window"
		f.Name, f.TimeZone, f.Duration = w.Name, w.TimeZone, ""
		loc, err := time.LoadLocation(w.TimeZone)
		if err != nil {
			loc = time.UTC
		}
		f.Start = localValue(w.Start, loc)
		if !w.End.IsZero() {
			f.End = localValue(w.End, loc)
		}
		if r := w.Recurrence; r != nil {
			f.Kind, f.At, f.Duration = "weekly", r.At, shortDuration(time.Duration(r.Duration))
			for _, d := range r.Weekdays {
				days[d] = true
			}
		}
		for _, id := range w.ServiceIDs {
			selected[itoa(id)] = true
		}
		f.Matchers = strings.Join(w.Matchers, "\n")
	}
	f.Days = dayOptions(days)
	f.Services = serviceChoices(services, selected)
	f.setNow(now)
	return f
}

// localValue is t as a datetime-local input shows it in loc, with its
// seconds only when it has some, so that saving an edit keeps the time.
func localValue(t time.Time, loc *time.Location) string {
	if t.Second() != 0 || t.Nanosecond() != 0 {
		return t.In(loc).Format("2006-01-02T15:04:05")
	}
	return t.In(loc).Format(localInput)
}

// setNow fills the hint's time, in the form's zone when it is one.
func (f *maintenanceForm) setNow(now time.Time) {
	loc, err := time.LoadLocation(f.TimeZone)
	if err != nil || f.TimeZone == "" {
		loc = time.UTC
	}
	f.Now = zoneTime(now, loc)
}

// shortDuration writes d as the duration input takes it: "4h", "90m",
// "1d12h".
func shortDuration(d time.Duration) string {
	var s string
	if days := d / (24 * time.Hour); days > 0 {
		s, d = strconv.Itoa(int(days))+"d", d%(24*time.Hour)
	}
	if d == 0 && s != "" {
		return s
	}
	out := d.String()
	out = strings.TrimSuffix(out, "0s")
	if strings.HasSuffix(out, "h0m") {
		out = strings.TrimSuffix(out, "0m")
	}
	return s + out
}

// parseMaintenanceForm reads the posted form into f (keeping its Action)
// and a window. It checks every input and returns the errors of all of
// them, so a person fixes the form in one go; the store checks the rest.
// lines are the matchers as typed, to point a store error at its line.
func parseMaintenanceForm(r *http.Request, services []*vigil.Service, now time.Time, f *maintenanceForm) (*vigil.MaintenanceWindow, []matcherLine, map[string]string) {
	f.Name = strings.TrimSpace(r.PostFormValue("name"))
	f.Kind = strings.TrimSpace(r.PostFormValue("kind"))
	f.Start = strings.TrimSpace(r.PostFormValue("start"))
	f.End = strings.TrimSpace(r.PostFormValue("end"))
	f.Duration = strings.TrimSpace(r.PostFormValue("duration"))
	f.At = strings.TrimSpace(r.PostFormValue("at"))
	f.TimeZone = strings.TrimSpace(r.PostFormValue("time_zone"))
	f.Matchers = strings.TrimSpace(r.PostFormValue("matchers"))
	errs := map[string]string{}
	w := &vigil.MaintenanceWindow{Name: f.Name, TimeZone: f.TimeZone}
	if f.Name == "" {
		errs["name"] = "is required, such as \"db upgrade\""
	}

	known := map[int64]bool{}
	for _, s := range services {
		known[s.ID] = true
	}
	selected := map[string]bool{}
	for _, v := range r.PostForm["services"] {
		if v = strings.TrimSpace(v); v == "" {
			continue
		}
		selected[v] = true
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || !known[id] {
			errs["services"] = "choose services from the list"
			continue
		}
		w.ServiceIDs = append(w.ServiceIDs, id)
	}
	f.Services = serviceChoices(services, selected)

	days := map[time.Weekday]bool{}
	for _, v := range r.PostForm["days"] {
		if v = strings.TrimSpace(v); v == "" {
			continue
		}
		i := slices.Index(weekdayInputs, strings.ToLower(v))
		if i < 0 {
			errs["days"] = "choose days from the list"
			continue
		}
		days[time.Weekday(i)] = true
	}
	f.Days = dayOptions(days)

	lines, err := splitMatchers(f.Matchers)
	if err != nil {
		errs["matchers"] = vigil.ErrorMessage(err)
	}
	for _, l := range lines {
		if _, bad := errs["matchers"]; bad {
			break
		}
		if _, err := parseMatcher(l.Text); err != nil {
			errs["matchers"] = fmt.Sprintf("line %d (%s): %v", l.Line, l.Text, err)
			break
		}
		w.Matchers = append(w.Matchers, l.Text)
	}
	if len(w.ServiceIDs) == 0 && len(lines) == 0 && errs["services"] == "" && errs["matchers"] == "" {
		errs["services"] = "choose services, or give matchers below (or both): a window must say what it covers"
	}

	if f.TimeZone == "" {
		f.TimeZone, w.TimeZone = "UTC", "UTC"
	}
	loc, err := time.LoadLocation(f.TimeZone)
	if err != nil || strings.EqualFold(f.TimeZone, "local") {
		errs["time_zone"] = "must be an IANA time zone such as Europe/Berlin, or UTC"
		loc = nil
	}
	f.setNow(now)

	// Times are read in the window's zone; with a bad zone only their
	// form is checked.
	readTime := func(field, v string) time.Time {
		zone := loc
		if zone == nil {
			zone = time.UTC
		}
		t, err := parseLocal(field, v, zone)
		if err != nil {
			errs[field] = vigil.ErrorMessage(err)
		}
		return t
	}
	w.Start = now
	if f.Start != "" {
		w.Start = readTime("start", f.Start)
	}
	var d time.Duration
	if f.Duration != "" {
		if d, err = parseSilenceDuration(f.Duration); err != nil || d <= 0 {
			errs["duration"] = "must be a duration such as 30m, 4h or 1d12h"
		}
	}
	switch f.Kind {
	case "once":
		switch {
		case f.End != "":
			// An end, when given, is used instead of the duration.
			if w.End = readTime("end", f.End); errs["end"] == "" && errs["start"] == "" && !w.End.After(w.Start) {
				errs["end"] = "must be after the start"
			}
		case f.Duration != "":
			w.End = w.Start.Add(d)
		default:
			errs["duration"] = "give a duration such as 2h, or an end"
		}
	case "weekly":
		if f.End != "" {
			w.End = readTime("end", f.End)
		}
		if len(days) == 0 && errs["days"] == "" {
			errs["days"] = "tick at least one day"
		}
		if _, ok := vigil.ParseClock(f.At); !ok {
			errs["at"] = "must be a time of day such as 22:00"
		}
		switch {
		case f.Duration == "":
			errs["duration"] = "give how long each opening lasts, such as 4h"
		case errs["duration"] == "" && d > vigil.MaxMaintenanceDuration:
			errs["duration"] = "must be at most 7d"
		case errs["duration"] == "" && d < time.Minute:
			errs["duration"] = "must be at least 1m"
		}
		w.Recurrence = &vigil.WeeklyRecurrence{Weekdays: weekdayOrder(days), At: f.At, Duration: vigil.Duration(d)}
	default:
		f.Kind = "once"
		errs["kind"] = "choose once or weekly"
	}
	return w, lines, errs
}

// weekdayOrder lists the days of set from Sunday.
func weekdayOrder(set map[time.Weekday]bool) []time.Weekday {
	var out []time.Weekday
	for d := time.Sunday; d <= time.Saturday; d++ {
		if set[d] {
			out = append(out, d)
		}
	}
	return out
}

// maintenanceFields maps the store's field names to the form's inputs.
var maintenanceFields = map[string]string{
	"name": "name", "service_ids": "services", "matchers": "matchers", "start": "start", "end": "end",
	"time_zone": "time_zone", "recurrence.weekdays": "days", "recurrence.at": "at", "recurrence.duration": "duration",
}

// listFieldRE is a store error's field about one item of a list:
// matchers[2], service_ids[0], recurrence.weekdays[1].
var listFieldRE = regexp.MustCompile(`^([a-z_.]+)\[(\d+)\]`)

// holdFormErrors files an error of the store under the form's inputs,
// each message led by its input's label; an error about one matcher names
// the line it was typed on. fields maps the store's field names to the
// inputs, lines the matchers textareas (by input) to their lines.
func holdFormErrors(err error, labels, fields map[string]string, lines map[string][]matcherLine) formErrors {
	field, msg := vigil.ErrorField(err), vigil.ErrorMessage(err)
	index := -1
	if m := listFieldRE.FindStringSubmatch(field); m != nil {
		field = m[1]
		index, _ = strconv.Atoi(m[2])
	}
	input, ok := fields[field]
	if !ok {
		if field != "" {
			msg = field + ": " + msg
		}
		return formErrors{Form: msg}
	}
	if ls := lines[input]; index >= 0 && index < len(ls) {
		msg = fmt.Sprintf("line %d (%s): %s", ls[index].Line, ls[index].Text, msg)
	}
	return formErrors{Fields: map[string]string{input: labels[input] + ": " + msg}}
}

// labelErrors leads each of the form's own errors with its input's label.
func labelErrors(errs map[string]string, labels map[string]string) formErrors {
	fe := formErrors{Fields: map[string]string{}}
	for k, msg := range errs {
		fe.Fields[k] = labels[k] + ": " + msg
	}
	return fe
}
