package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-oss/vigil/internal/mapping"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// The route test: a payload (as it would arrive on an integration key or
// a service) or a stored alert, run through ingest at a chosen time with
// nothing stored, showing every decision and each escalation step.

// routeTestPage is the model of route_test.html.
type routeTestPage struct {
	layout
	Form   routeTestForm
	Result *mapping.RouteTestResult
}

// routeTestForm is the form as shown: what was entered and the choices.
type routeTestForm struct {
	Payload  string
	AlertID  string
	At       string
	TimeZone string
	Formats  []option
	Keys     []option
	Services []option
	Errors   formErrors
}

// routeTestLabels are the form's inputs by the field names errors carry.
var routeTestLabels = map[string]string{
	"payload": "Payload", "format": "Format", "integration_key_id": "Integration key", "service_id": "Service",
	"alert_id": "Stored alert", "at": "At", "time_zone": "Time zone",
}

// routeTestInput is the decoded form: the IDs and names, before the
// choices are filled.
type routeTestInput struct {
	Format, Key, Service string
}

// parseRouteTestForm reads the route test form. IDs must be numbers, the
// payload JSON, the time a datetime-local value in the form's zone (empty:
// now). Errors name the field.
func parseRouteTestForm(form url.Values) (routeTestForm, routeTestInput, mapping.RouteTest, error) {
	f := routeTestForm{Payload: form.Get("payload"), AlertID: strings.TrimSpace(form.Get("alert_id")),
		At: strings.TrimSpace(form.Get("at")), TimeZone: strings.TrimSpace(form.Get("time_zone"))}
	in := routeTestInput{Format: form.Get("format"), Key: strings.TrimSpace(form.Get("integration_key_id")), Service: strings.TrimSpace(form.Get("service_id"))}
	t := mapping.RouteTest{Format: in.Format}
	for _, p := range []struct {
		field, v string
		dst      *int64
	}{{"alert_id", f.AlertID, &t.AlertID}, {"integration_key_id", in.Key, &t.IntegrationKeyID}, {"service_id", in.Service, &t.ServiceID}} {
		if p.v == "" {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimPrefix(p.v, "#"), 10, 64)
		if err != nil || n <= 0 {
			return f, in, t, vigil.FieldError(p.field, "must be a number such as 12")
		}
		*p.dst = n
	}
	if strings.TrimSpace(f.Payload) != "" {
		if !json.Valid([]byte(f.Payload)) {
			return f, in, t, vigil.FieldError("payload", "is not JSON")
		}
		t.Payload = []byte(f.Payload)
	}
	if t.Format != "" && !validFormat(t.Format) {
		return f, in, t, vigil.FieldError("format", "must be one of %s", strings.Join(mapping.Formats, ", "))
	}
	loc := time.UTC
	if f.TimeZone != "" {
		l, err := time.LoadLocation(f.TimeZone)
		if err != nil || strings.EqualFold(f.TimeZone, "local") {
			return f, in, t, vigil.FieldError("time_zone", "unknown time zone %q", f.TimeZone)
		}
		loc = l
	}
	if f.At != "" {
		at, err := parseLocal("at", f.At, loc)
		if err != nil {
			return f, in, t, err
		}
		t.At = at
	}
	return f, in, t, nil
}

func validFormat(s string) bool {
	for _, f := range mapping.Formats {
		if f == s {
			return true
		}
	}
	return false
}

// fillChoices sets the selects: formats, the live integration keys of
// every service and the services.
func (u *UI) fillChoices(r *http.Request, f *routeTestForm, in routeTestInput) error {
	ctx := r.Context()
	format := in.Format
	if format == "" {
		format = mapping.FormatNative
	}
	f.Formats = nil
	for _, v := range mapping.Formats {
		f.Formats = append(f.Formats, option{Value: v, Label: v, Selected: v == format})
	}
	services, _, err := u.store.FindServices(ctx, vigil.ServiceFilter{Limit: vigil.MaxPageSize})
	if err != nil {
		return err
	}
	f.Services = serviceOptions(services, in.Service, "None: use the key's service")
	f.Keys = []option{{Value: "", Label: "None", Selected: in.Key == ""}}
	for _, s := range services {
		keys, err := u.store.FindIntegrationKeys(ctx, s.ID)
		if err != nil {
			return err
		}
		for _, k := range keys {
			if k.RevokedAt != nil {
				continue
			}
			v := itoa(k.ID)
			f.Keys = append(f.Keys, option{Value: v, Label: fmt.Sprintf("%s: %s (%s…)", s.Name, k.Name, k.Prefix), Selected: v == in.Key})
		}
	}
	return nil
}

// routeTestForm answers GET /route-test; ?alert_id= fills in a stored
// alert (the "Test routing" link of an incident's alerts).
func (u *UI) routeTestForm(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := routeTestForm{AlertID: q.Get("alert_id"), TimeZone: q.Get("time_zone")}
	if f.TimeZone == "" {
		if set, err := u.store.ClassificationRules(r.Context()); err == nil {
			f.TimeZone = set.TimeZone
		}
	}
	in := routeTestInput{Key: q.Get("integration_key_id"), Service: q.Get("service_id"), Format: q.Get("format")}
	u.renderRouteTest(w, r, http.StatusOK, routeTestPage{Form: f}, in)
}

// routeTestRun answers POST /route-test. It changes nothing but takes a
// payload, so it is a POST behind the same guards as the forms that do.
func (u *UI) routeTestRun(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	f, in, t, err := parseRouteTestForm(r.PostForm)
	m := routeTestPage{Form: f}
	if err == nil {
		m.Result, err = mapping.RunRouteTest(ctx, u.store, t, u.clock.Now(), u.serviceResolver(ctx))
	}
	status := http.StatusOK
	if err != nil {
		if c := vigil.ErrorCode(err); c != vigil.CodeInvalid && c != vigil.CodeConflict {
			u.fail(w, r, err)
			return
		}
		status = statusOf(vigil.ErrorCode(err))
		m.Form.Errors = labeledErrors(err, routeTestLabels)
	}
	u.renderRouteTest(w, r, status, m, in)
}

func (u *UI) renderRouteTest(w http.ResponseWriter, r *http.Request, status int, m routeTestPage, in routeTestInput) {
	if err := u.fillChoices(r, &m.Form, in); err != nil {
		u.fail(w, r, err)
		return
	}
	m.layout = u.layout(w, r, "Route test", "rules")
	u.render(w, r, status, "route_test.html", m)
}

// serviceResolver finds services by name for the mapping rules, asking
// the store once per name.
func (u *UI) serviceResolver(ctx context.Context) mapping.Resolver {
	seen := map[string]int64{}
	return func(name string) (int64, bool) {
		sid, ok := seen[name]
		if !ok {
			sid, _ = u.lookupService(ctx, name)
			seen[name] = sid
		}
		return sid, sid != 0
	}
}
