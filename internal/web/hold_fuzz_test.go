package web

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// FuzzMaintenanceForm: the window form never panics; what it accepts
// either is valid or fails the domain's check on a field the form shows
// next to an input; and a valid window shown in the edit form and posted
// back unchanged is the same window.
func FuzzMaintenanceForm(f *testing.F) {
	f.Add("db upgrade", "1\n2", `env="prod"`+"\n"+`team=~"db|ops"`, "once", "2026-03-14T10:00", "2026-03-14T13:30", "", "", "", "UTC")
	f.Add("weekly", "1", "", "weekly", "", "", "4h", "mon\nsat", "22:00", "Europe/Berlin")
	f.Add("x", "", `{a="b", c=~"d"}`, "weekly", "2026-03-01T00:00:05", "2027-01-01T00:00", "1d12h", "sun", "00:00", "UTC")
	f.Add("", "999", `a~"b`, "monthly", "tomorrow", "x", "-1h", "funday", "25:00", "Mars/Olympus")
	services := []*vigil.Service{{ID: 1, Name: "db"}, {ID: 2, Name: "web"}}
	now := time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)
	f.Fuzz(func(t *testing.T, name, svc, matchers, kind, start, end, duration, days, at, zone string) {
		form := url.Values{"name": {name}, "matchers": {matchers}, "kind": {kind}, "start": {start}, "end": {end},
			"duration": {duration}, "at": {at}, "time_zone": {zone}, "services": strings.Split(svc, "\n"), "days": strings.Split(days, "\n")}
		var mf maintenanceForm
		w, lines, errs := parseMaintenanceForm(formRequest(form), services, now, &mf)
		for k := range errs {
			if maintenanceLabels[k] == "" {
				t.Fatalf("error under %q, which the form has no input for", k)
			}
		}
		if len(errs) > 0 {
			return
		}
		if err := w.Validate(); err != nil {
			fe := holdFormErrors(err, maintenanceLabels, maintenanceFields, map[string][]matcherLine{"matchers": lines})
			if fe.Form != "" {
				t.Fatalf("a domain error is shown on no input: %v", err)
			}
			return
		}
		if w.TimeZone != "UTC" {
			return // a wall-clock time repeated by a DST change reads back as the first
		}
		again := newMaintenanceForm(services, w, now)
		var back maintenanceForm
		w2, _, errs := parseMaintenanceForm(formRequest(formValues(again)), services, now, &back)
		if len(errs) > 0 {
			t.Fatalf("the edit form of %+v posted back is refused: %v", w, errs)
		}
		if !w2.Start.Equal(w.Start) || !w2.End.Equal(w.End) || !slices.Equal(w2.ServiceIDs, w.ServiceIDs) || !slices.Equal(w2.Matchers, w.Matchers) ||
			w2.Name != w.Name || (w2.Recurrence == nil) != (w.Recurrence == nil) ||
			(w.Recurrence != nil && (w2.Recurrence.At != w.Recurrence.At || w2.Recurrence.Duration != w.Recurrence.Duration || !slices.Equal(w2.Recurrence.Weekdays, w.Recurrence.Weekdays))) {
			t.Fatalf("round trip changed the window:\n%+v %+v\n%+v %+v", w, w.Recurrence, w2, w2.Recurrence)
		}
	})
}

// FuzzInhibitForm: the rule form never panics, and a rule it accepts that
// is valid comes back unchanged through the edit form.
func FuzzInhibitForm(f *testing.F) {
	f.Add("crit mutes warn", `severity="critical"`, `severity="warning"`, "alertname, instance")
	f.Add("x", `{alertname="ClusterDown", cluster=~"eu-.*"}`, "a=\"b\"\n\nc!=\"d\"", "")
	f.Add("", `a~"b`, `"`, "\x01 ,")
	f.Fuzz(func(t *testing.T, name, source, target, equal string) {
		form := url.Values{"name": {name}, "source": {source}, "target": {target}, "equal": {equal}}
		var rf inhibitForm
		r, _, errs := parseInhibitForm(formRequest(form), &rf)
		for k := range errs {
			if inhibitLabels[k] == "" {
				t.Fatalf("error under %q, which the form has no input for", k)
			}
		}
		if len(errs) > 0 || r.Validate() != nil {
			return
		}
		again := newInhibitForm(r)
		var back inhibitForm
		r2, _, errs := parseInhibitForm(formRequest(url.Values{"name": {again.Name}, "source": {again.Source}, "target": {again.Target}, "equal": {again.Equal}}), &back)
		if len(errs) > 0 || r2.Name != r.Name || !slices.Equal(r2.Source, r.Source) || !slices.Equal(r2.Target, r.Target) || !slices.Equal(r2.Equal, r.Equal) {
			t.Fatalf("round trip changed the rule: %+v -> %+v (%v)", r, r2, errs)
		}
	})
}

// formRequest is a posted form, parsed as the handlers see it.
func formRequest(form url.Values) *http.Request {
	r := httptest.NewRequest("POST", "/", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	_ = r.ParseForm()
	return r
}

// formValues is what a browser posts from the maintenance form f.
func formValues(f maintenanceForm) url.Values {
	v := url.Values{"name": {f.Name}, "matchers": {f.Matchers}, "kind": {f.Kind}, "start": {f.Start}, "end": {f.End},
		"duration": {f.Duration}, "at": {f.At}, "time_zone": {f.TimeZone}}
	for _, o := range f.Services {
		if o.Selected {
			v.Add("services", o.Value)
		}
	}
	for _, o := range f.Days {
		if o.Selected {
			v.Add("days", o.Value)
		}
	}
	return v
}
