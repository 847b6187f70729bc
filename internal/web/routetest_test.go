package web_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// paymentsPaging is a payments service whose policy pages Ana (e-mail)
// at once and Bo ten minutes later, with an integration key.
func (h *harness) paymentsPaging() (*vigil.Service, *vigil.IntegrationKey) {
	h.t.Helper()
	ctx := context.Background()
	var ids []int64
	for _, n := range []string{"Ana", "Bo"} {
		u := h.user(n, strings.ToLower(n)+"@example.com")
		if err := h.db.CreateContactMethod(ctx, &vigil.ContactMethod{UserID: u.ID, Type: vigil.ContactEmail, Address: u.Email}); err != nil {
			h.t.Fatal(err)
		}
		ids = append(ids, u.ID)
	}
	pol := &vigil.EscalationPolicy{Name: "Payments", Steps: []vigil.EscalationStep{
		{Delay: vigil.Duration(10 * time.Minute), Targets: []vigil.Target{{Type: vigil.TargetUser, ID: ids[0]}}},
		{Targets: []vigil.Target{{Type: vigil.TargetUser, ID: ids[1]}}}}}
	if err := h.db.CreateEscalationPolicy(ctx, pol); err != nil {
		h.t.Fatal(err)
	}
	s := &vigil.Service{Name: "payments", EscalationPolicyID: pol.ID}
	s.Normalize()
	if err := h.db.CreateService(ctx, s); err != nil {
		h.t.Fatal(err)
	}
	k, err := h.db.CreateIntegrationKey(ctx, s.ID, "prometheus")
	if err != nil {
		h.t.Fatal(err)
	}
	return s, k
}

// TestRouteTestPage: a payload on a key shows the rule that fired, the
// decisions and each escalation step with whom it pages and when; a
// stored alert replays from the incident page's link; nothing is stored.
func TestRouteTestPage(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	pay, key := h.paymentsPaging()
	wantRedirect(t, h.post("/rules", url.Values{"rules": {withDevQuiet}, "version": {"0"}}), "/rules")

	body := h.get("/route-test").Body.String()
	noInlineCode(t, body)
	for _, want := range []string{`<option value="alertmanager">alertmanager</option>`, `<option value="opsgenie">opsgenie</option>`,
		fmt.Sprintf(`<option value="%d">payments: prometheus (`, key.ID), fmt.Sprintf(`<option value="%d">payments</option>`, pay.ID),
		`name="time_zone" value="Europe/Berlin"`} {
		if !strings.Contains(body, want) {
			t.Errorf("form lacks %s", want)
		}
	}

	payload := `{"dedup_key":"p500","summary":"<i>checkout</i> 5xx","severity":"critical","labels":{"code":"503"}}`
	rec := h.post("/route-test", url.Values{"payload": {payload}, "format": {"native"}, "integration_key_id": {fmt.Sprint(key.ID)},
		"at": {"2026-03-14T23:30"}, "time_zone": {"Europe/Berlin"}})
	wantStatus(t, rec, http.StatusOK)
	body = rec.Body.String()
	noInlineCode(t, body)
	run := html.UnescapeString(text(section(t, body, "route-run-0")))
	for _, want := range []string{"Alert p500 on payments at 2026-03-14 22:30:00 UTC", "Rules decided: SEV1 P1",
		"sev SEV1 set by rule 'payments-5xx'", "Opens a new incident",
		"2026-03-14 22:30:00 UTC", "paging Ana (email)", "2026-03-14 22:40:00 UTC", "paging Bo (email)"} {
		if !strings.Contains(run, want) {
			t.Errorf("run lacks %q:\n%s", want, run)
		}
	}
	if strings.Contains(body, "<i>checkout") {
		t.Error("the payload's text is not escaped")
	}
	if !strings.Contains(html.UnescapeString(body), payload+"</textarea>") || !strings.Contains(body, `<option value="native" selected>`) {
		t.Error("the form lost what was entered")
	}
	if _, n, _ := h.db.FindIncidents(ctx, vigil.IncidentFilter{}); n != 0 {
		t.Fatalf("the route test stored %d incidents", n)
	}

	// An Alertmanager webhook on the service: the dev alert is suppressed.
	am := `{"version":"4","status":"firing","receiver":"vigil","groupKey":"g","alerts":[{"status":"firing","labels":{"alertname":"DevDown","env":"dev"},"annotations":{"summary":"dev down"},"startsAt":"2026-03-14T09:00:00Z","fingerprint":"f1"}]}`
	rec = h.post("/route-test", url.Values{"payload": {am}, "format": {"alertmanager"}, "service_id": {fmt.Sprint(pay.ID)}})
	wantStatus(t, rec, http.StatusOK)
	if run := text(section(t, rec.Body.String(), "route-run-0")); !strings.Contains(run, "Suppressed by rule 'dev-is-quiet'") || !strings.Contains(run, "No one would be paged") {
		t.Errorf("alertmanager run: %s", run)
	}

	// A stored alert: its incident's alert row links here, prefilled.
	inc := h.trigger(pay, vigil.Event{Summary: "5xx", DedupKey: "stored", Labels: map[string]string{"code": "500"}})
	alerts, _, err := h.db.FindAlerts(ctx, vigil.AlertFilter{IncidentID: &inc.ID})
	if err != nil || len(alerts) != 1 {
		t.Fatalf("alerts %v %v", alerts, err)
	}
	link := fmt.Sprintf(`<a class="route-test-link" id="route-test-alert-%d" href="/route-test?alert_id=%d">Test routing</a>`, alerts[0].ID, alerts[0].ID)
	if !strings.Contains(h.get(fmt.Sprintf("/incidents/%d", inc.ID)).Body.String(), link) {
		t.Error("the incident's alert has no Test routing link")
	}
	if !strings.Contains(h.get(fmt.Sprintf("/route-test?alert_id=%d", alerts[0].ID)).Body.String(), fmt.Sprintf(`name="alert_id" value="%d"`, alerts[0].ID)) {
		t.Error("the link does not fill in the alert")
	}
	rec = h.post("/route-test", url.Values{"alert_id": {fmt.Sprint(alerts[0].ID)}})
	wantStatus(t, rec, http.StatusOK)
	if run := text(section(t, rec.Body.String(), "route-run-0")); !strings.Contains(run, "sev SEV1 set by rule 'payments-5xx'") ||
		!strings.Contains(run, fmt.Sprintf("Dedup: repeats firing alert %d", alerts[0].ID)) {
		t.Errorf("replay: %s", run)
	}
}

// TestRouteTestErrorsNameTheField: bad input is a 4xx with the field's
// label next to its input, and the form keeps what was entered.
func TestRouteTestErrorsNameTheField(t *testing.T) {
	h := newHarness(t)
	pay, key := h.paymentsPaging()
	svc, k := fmt.Sprint(pay.ID), fmt.Sprint(key.ID)
	for _, c := range []struct {
		name  string
		form  url.Values
		input string
		want  string
	}{
		{"nothing", url.Values{}, "rt-payload", "Payload: give a payload"},
		{"not json", url.Values{"payload": {"{nope"}, "service_id": {svc}}, "rt-payload", "Payload: is not JSON"},
		{"no target", url.Values{"payload": {`{"summary":"x"}`}}, "rt-key", "Integration key: name the integration key"},
		{"alert id", url.Values{"alert_id": {"abc"}}, "rt-alert", "Stored alert: must be a number"},
		{"no alert", url.Values{"alert_id": {"999"}}, "rt-alert", "Stored alert: there is no alert 999"},
		{"both", url.Values{"alert_id": {"1"}, "payload": {`{}`}}, "rt-payload", "Payload: give a payload or an alert_id, not both"},
		{"format", url.Values{"payload": {`{}`}, "integration_key_id": {k}, "format": {"smoke-signals"}}, "rt-format", "Format: must be one of native"},
		{"key", url.Values{"payload": {`{}`}, "integration_key_id": {"4242"}}, "rt-key", "Integration key: there is no integration key 4242"},
		{"zone", url.Values{"alert_id": {"1"}, "time_zone": {"Mars/Olympus"}}, "rt-zone", "Time zone: unknown time zone"},
		{"at", url.Values{"alert_id": {"1"}, "at": {"tonight"}}, "rt-at", "At: must be a date and time"},
	} {
		rec := h.post("/route-test", c.form)
		if rec.Code != http.StatusUnprocessableEntity {
			t.Errorf("%s: status %d, want 422", c.name, rec.Code)
			continue
		}
		body := rec.Body.String()
		if !strings.Contains(html.UnescapeString(text(section(t, body, "route-test-form"))), c.want) || !errorNextTo(body, c.input) {
			t.Errorf("%s: no %q next to %s:\n%s", c.name, c.want, c.input, text(section(t, body, "route-test-form")))
		}
		if p := c.form.Get("payload"); p != "" && !strings.Contains(html.UnescapeString(body), p+"</textarea>") {
			t.Errorf("%s: the payload was lost", c.name)
		}
	}
}
