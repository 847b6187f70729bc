package api_test

// Maintenance windows and inhibition rules through the real server over a
// fresh SQLite store per test (newSilEnv): bad input answers 400 naming
// the field (never 5xx), the CRUD routes, and held alerts as both the
// native and Alertmanager's APIs show them.

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

func TestMaintenanceAPIBadInput(t *testing.T) {
	e := newSilEnv(t)
	svc := itoa(e.svc.ID)
	cases := []struct {
		name, method, path, body string
		status                   int
		contains                 string
	}{
		{"no name", "POST", "/api/v1/maintenance-windows", `{"service_ids":[` + svc + `],"duration":"1h"}`, 400, `"field":"name"`},
		{"covers nothing", "POST", "/api/v1/maintenance-windows", `{"name":"w","duration":"1h"}`, 400, `"field":"service_ids"`},
		{"unknown service", "POST", "/api/v1/maintenance-windows", `{"name":"w","service_ids":[` + svc + `,999],"duration":"1h"}`, 400, `"field":"service_ids[1]"`},
		{"service not a number", "POST", "/api/v1/maintenance-windows", `{"name":"w","service_ids":["checkout"],"duration":"1h"}`, 400, `"field":"service_ids`},
		{"bad matcher", "POST", "/api/v1/maintenance-windows", `{"name":"w","matchers":["env"],"duration":"1h"}`, 400, `"field":"matchers[0]"`},
		{"bad regex", "POST", "/api/v1/maintenance-windows", `{"name":"w","matchers":["a=b","c=~\"(\""],"duration":"1h"}`, 400, `"field":"matchers[1]"`},
		{"no end", "POST", "/api/v1/maintenance-windows", `{"name":"w","service_ids":[` + svc + `]}`, 400, `"field":"end"`},
		{"end and duration", "POST", "/api/v1/maintenance-windows", `{"name":"w","service_ids":[` + svc + `],"duration":"1h","end":"` + in1h + `"}`, 400, `"field":"duration"`},
		{"end before start", "POST", "/api/v1/maintenance-windows", `{"name":"w","service_ids":[` + svc + `],"start":"` + in1h + `","end":"2026-04-01T09:30:00Z"}`, 400, `"field":"end"`},
		{"negative duration", "POST", "/api/v1/maintenance-windows", `{"name":"w","service_ids":[` + svc + `],"duration":"-1h"}`, 400, `"field":"duration"`},
		{"bad duration", "POST", "/api/v1/maintenance-windows", `{"name":"w","service_ids":[` + svc + `],"duration":"soon"}`, 400, `invalid duration`},
		{"bad time zone", "POST", "/api/v1/maintenance-windows", `{"name":"w","service_ids":[` + svc + `],"duration":"1h","time_zone":"Mars/Base"}`, 400, `"field":"time_zone"`},
		{"bad start", "POST", "/api/v1/maintenance-windows", `{"name":"w","service_ids":[` + svc + `],"duration":"1h","start":"tonight"}`, 400, `"field":"start"`},
		{"bad end", "POST", "/api/v1/maintenance-windows", `{"name":"w","service_ids":[` + svc + `],"end":"2026-13-01T00:00:00Z"}`, 400, `"field":"end"`},
		{"unknown field", "POST", "/api/v1/maintenance-windows", `{"name":"w","service_ids":[` + svc + `],"duration":"1h","services":[1]}`, 400, `"field":"services"`},
		{"weekly no days", "POST", "/api/v1/maintenance-windows", `{"name":"w","service_ids":[` + svc + `],"recurrence":{"at":"01:00","duration":"4h"}}`, 400, `"field":"recurrence.weekdays"`},
		{"weekly bad day", "POST", "/api/v1/maintenance-windows", `{"name":"w","service_ids":[` + svc + `],"recurrence":{"weekdays":["sunday","funday"],"at":"01:00","duration":"4h"}}`, 400, `"field":"recurrence.weekdays"`},
		{"weekly day 7", "POST", "/api/v1/maintenance-windows", `{"name":"w","service_ids":[` + svc + `],"recurrence":{"weekdays":[7],"at":"01:00","duration":"4h"}}`, 400, `"field":"recurrence.weekdays"`},
		{"weekly bad at", "POST", "/api/v1/maintenance-windows", `{"name":"w","service_ids":[` + svc + `],"recurrence":{"weekdays":["sun"],"at":"1am","duration":"4h"}}`, 400, `"field":"recurrence.at"`},
		{"weekly too long", "POST", "/api/v1/maintenance-windows", `{"name":"w","service_ids":[` + svc + `],"recurrence":{"weekdays":["sun"],"at":"01:00","duration":"200h"}}`, 400, `"field":"recurrence.duration"`},
		{"weekly with duration", "POST", "/api/v1/maintenance-windows", `{"name":"w","service_ids":[` + svc + `],"duration":"1h","recurrence":{"weekdays":["sun"],"at":"01:00","duration":"4h"}}`, 400, `"field":"duration"`},
		{"not JSON", "POST", "/api/v1/maintenance-windows", `{"name":`, 400, `malformed JSON`},
		{"bad id", "GET", "/api/v1/maintenance-windows/abc", "", 400, `"field":"id"`},
		{"unknown id", "GET", "/api/v1/maintenance-windows/42", "", 404, `"code":"not_found"`},
		{"put unknown", "PUT", "/api/v1/maintenance-windows/42", `{"name":"w","service_ids":[` + svc + `],"duration":"1h"}`, 404, `"code":"not_found"`},
		{"delete unknown", "DELETE", "/api/v1/maintenance-windows/42", "", 404, `"code":"not_found"`},

		{"rule no name", "POST", "/api/v1/inhibit-rules", `{"source_matchers":["a=b"],"target_matchers":["c=d"]}`, 400, `"field":"name"`},
		{"rule no source", "POST", "/api/v1/inhibit-rules", `{"name":"r","target_matchers":["c=d"]}`, 400, `"field":"source_matchers"`},
		{"rule no target", "POST", "/api/v1/inhibit-rules", `{"name":"r","source_matchers":["a=b"]}`, 400, `"field":"target_matchers"`},
		{"rule bad source", "POST", "/api/v1/inhibit-rules", `{"name":"r","source_matchers":["a=b","alertname"],"target_matchers":["c=d"]}`, 400, `"field":"source_matchers[1]"`},
		{"rule bad target regex", "POST", "/api/v1/inhibit-rules", `{"name":"r","source_matchers":["a=b"],"target_matchers":["c=~\"[\""]}`, 400, `"field":"target_matchers[0]"`},
		{"rule source matches all", "POST", "/api/v1/inhibit-rules", `{"name":"r","source_matchers":["env!=\"dev\""],"target_matchers":["c=d"]}`, 400, `"field":"source_matchers"`},
		{"rule empty equal", "POST", "/api/v1/inhibit-rules", `{"name":"r","source_matchers":["a=b"],"target_matchers":["c=d"],"equal":[""]}`, 400, `"field":"equal[0]"`},
		{"rule matchers not strings", "POST", "/api/v1/inhibit-rules", `{"name":"r","source_matchers":[{"name":"a"}],"target_matchers":["c=d"]}`, 400, `"field":"source_matchers`},
		{"rule unknown field", "POST", "/api/v1/inhibit-rules", `{"name":"r","source_matchers":["a=b"],"target_matchers":["c=d"],"target_match":{}}`, 400, `"field":"target_match"`},
		{"rule bad id", "PUT", "/api/v1/inhibit-rules/x", `{"name":"r","source_matchers":["a=b"],"target_matchers":["c=d"]}`, 400, `"field":"id"`},
		{"rule unknown id", "DELETE", "/api/v1/inhibit-rules/42", "", 404, `"code":"not_found"`},
	}
	for _, c := range cases {
		status, body := e.do(c.method, c.path, e.token, c.body)
		if status != c.status || !strings.Contains(body, c.contains) {
			t.Errorf("%s: %d %s, want %d with %s", c.name, status, body, c.status, c.contains)
		}
	}
	for _, p := range []string{"/api/v1/maintenance-windows", "/api/v1/inhibit-rules"} {
		if status, body := e.do("GET", p, e.token, ""); status != 200 || body != `{"items":[]}`+"\n" {
			t.Errorf("refused items were stored: %s", body)
		}
		if status, _ := e.do("GET", p, "", ""); status != 401 {
			t.Errorf("GET %s without credentials: %d", p, status)
		}
		if status, _ := e.do("GET", p, e.key, ""); status != 401 {
			t.Errorf("GET %s with an integration key: %d", p, status)
		}
	}
	// A name taken is a conflict naming the field.
	e.mustDo("POST", "/api/v1/inhibit-rules", e.token, `{"name":"r","source_matchers":["a=b"],"target_matchers":["c=d"]}`, 201, nil)
	if status, body := e.do("POST", "/api/v1/inhibit-rules", e.token, `{"name":"r","source_matchers":["a=b"],"target_matchers":["c=d"]}`); status != 409 || !strings.Contains(body, `"field":"name"`) {
		t.Errorf("duplicate rule name: %d %s", status, body)
	}
}

// A window through the API: weekdays by name, its state, an alert it
// holds as GET /api/v1/alerts and Alertmanager's API show it, and the
// alert paging once the window is deleted.
func TestMaintenanceAPI(t *testing.T) {
	e := newSilEnv(t)
	var w vigil.MaintenanceWindow
	// silNow is Wednesday 1 April 2026, 09:00Z: 11:00 in Berlin.
	e.mustDo("POST", "/api/v1/maintenance-windows", e.token, `{"name":"patch wednesday","service_ids":[`+itoa(e.svc.ID)+`],
		"recurrence":{"weekdays":["wed",6],"at":"10:30","duration":"2h"},"time_zone":"Europe/Berlin","start":"2026-03-01T00:00:00Z"}`, 201, &w)
	if w.ID == 0 || w.State != vigil.MaintenanceOpen || w.OpenUntil == nil || !w.OpenUntil.Equal(time.Date(2026, 4, 1, 10, 30, 0, 0, time.UTC)) ||
		w.CreatedBy != "ops" || len(w.Recurrence.Weekdays) != 2 || w.Recurrence.Weekdays[0] != time.Wednesday || w.Recurrence.Weekdays[1] != time.Saturday {
		t.Fatalf("created %+v", w)
	}
	var list struct {
		Items []vigil.MaintenanceWindow `json:"items"`
	}
	e.mustDo("GET", "/api/v1/maintenance-windows", e.token, "", 200, &list)
	if len(list.Items) != 1 || list.Items[0].ID != w.ID {
		t.Fatalf("list = %+v", list)
	}
	var res vigil.EventResult
	e.mustDo("POST", "/api/v1/events", e.key, `{"summary":"p99 above 2s","dedup_key":"latency","labels":{"alertname":"Latency"}}`, 202, &res)
	if res.HeldByWindow != w.ID || res.IncidentID != 0 || !res.AlertNew {
		t.Fatalf("event in the window = %+v", res)
	}
	var alerts struct {
		Items []map[string]any `json:"items"`
	}
	e.mustDo("GET", "/api/v1/alerts?service_id="+itoa(e.svc.ID), e.token, "", 200, &alerts)
	if len(alerts.Items) != 1 || alerts.Items[0]["held_by_window"] != float64(w.ID) || alerts.Items[0]["incident_id"] != nil {
		t.Errorf("v1 alerts = %v", alerts.Items)
	}
	var am []struct {
		Status struct {
			State   string   `json:"state"`
			MutedBy []string `json:"mutedBy"`
		} `json:"status"`
	}
	e.mustDo("GET", "/api/v2/alerts", e.key, "", 200, &am)
	if len(am) != 1 || am[0].Status.State != "suppressed" || len(am[0].Status.MutedBy) != 1 || am[0].Status.MutedBy[0] != "patch wednesday" {
		t.Errorf("Alertmanager view = %+v", am)
	}
	// Replaced: a one-off window of another service; the alert pages.
	var upd vigil.MaintenanceWindow
	e.mustDo("PUT", "/api/v1/maintenance-windows/"+itoa(w.ID), e.token, `{"name":"search reindex","service_ids":[`+itoa(e.other.ID)+`],"duration":"30m"}`, 200, &upd)
	if upd.ID != w.ID || upd.Recurrence != nil || !upd.End.Equal(silNow.Add(30*time.Minute)) || upd.State != vigil.MaintenanceOpen {
		t.Errorf("replaced %+v", upd)
	}
	al, err := e.db.FindAlertByID(context.Background(), res.AlertID)
	if err != nil || al.IncidentID == 0 || al.HeldByWindow != nil {
		t.Errorf("alert after its window moved away = %+v, %v", al, err)
	}
	e.mustDo("GET", "/api/v1/maintenance-windows/"+itoa(w.ID), e.token, "", 200, &upd)
	if upd.Name != "search reindex" {
		t.Errorf("GET after PUT = %+v", upd)
	}
	e.mustDo("DELETE", "/api/v1/maintenance-windows/"+itoa(w.ID), e.token, "", 204, nil)
	e.mustDo("GET", "/api/v1/maintenance-windows", e.token, "", 200, &list)
	if len(list.Items) != 0 {
		t.Errorf("after DELETE: %+v", list)
	}
}

// A rule through the API: the muted alert names rule and source on both
// APIs (inhibitedBy is the source's fingerprint) and pages once the
// source resolves and the sweep runs.
// An alert held by its service's auto-pause, or suppressed by a
// classification rule, reads as suppressed on the Alertmanager API, muted
// by the pause or the rule, not as active.
func TestAlertmanagerViewOfPausedAndSuppressedAlerts(t *testing.T) {
	e := newSilEnv(t)
	e.mustDo("PATCH", "/api/v1/services/"+itoa(e.svc.ID), e.token, `{"auto_pause":"5m"}`, 200, nil)
	var res vigil.EventResult
	e.mustDo("POST", "/api/v1/events", e.key, `{"summary":"blip","dedup_key":"blip","labels":{"alertname":"Blip"}}`, 202, &res)
	if res.IncidentID != 0 {
		t.Fatalf("a paused alert opened incident %d", res.IncidentID)
	}
	var am []struct {
		Status struct {
			State   string   `json:"state"`
			MutedBy []string `json:"mutedBy"`
		} `json:"status"`
	}
	e.mustDo("GET", "/api/v2/alerts", e.key, "", 200, &am)
	want := "auto-pause until " + silNow.Add(5*time.Minute).UTC().Format(time.RFC3339)
	if len(am) != 1 || am[0].Status.State != "suppressed" || len(am[0].Status.MutedBy) != 1 || am[0].Status.MutedBy[0] != want {
		t.Errorf("Alertmanager view = %+v, want suppressed, muted by %q", am, want)
	}

	// An alert a classification rule suppresses reads the same way, muted
	// by the rule.
	e.mustDo("PUT", "/api/v1/classification-rules", e.token,
		`{"rules":[{"name":"dev","when":"labels.env == \"dev\"","set":{"suppress":true}}]}`, 200, nil)
	e.mustDo("POST", "/api/v1/events", e.otherKy, `{"summary":"dev box","dedup_key":"dev","labels":{"alertname":"Dev","env":"dev"}}`, 202, nil)
	e.mustDo("GET", "/api/v2/alerts?filter=alertname%3DDev", e.otherKy, "", 200, &am)
	if len(am) != 1 || am[0].Status.State != "suppressed" || len(am[0].Status.MutedBy) != 1 || am[0].Status.MutedBy[0] != "classification rule dev" {
		t.Errorf("Alertmanager view of a suppressed alert = %+v", am)
	}
}

func TestInhibitAPI(t *testing.T) {
	e := newSilEnv(t)
	var rule vigil.InhibitRule
	e.mustDo("POST", "/api/v1/inhibit-rules", e.token, `{"name":"cluster down mutes nodes","source_matchers":["alertname=\"ClusterDown\""],
		"target_matchers":["alertname=~\"Node.*\""],"equal":["cluster"]}`, 201, &rule)
	if rule.ID == 0 || len(rule.Equal) != 1 {
		t.Fatalf("created %+v", rule)
	}
	var posted struct {
		Results []vigil.EventResult `json:"results"`
	}
	e.mustDo("POST", "/api/v2/alerts", e.key, `[{"labels":{"alertname":"ClusterDown","cluster":"eu"}},
		{"labels":{"alertname":"NodeDown","cluster":"eu","node":"n1"}},{"labels":{"alertname":"NodeDown","cluster":"us","node":"n2"}}]`, 200, &posted)
	r := posted.Results
	if len(r) != 3 || r[0].Held() || r[1].InhibitedByRule != rule.ID || r[1].InhibitedByAlert != r[0].AlertID || r[2].Held() {
		t.Fatalf("results = %+v", r)
	}
	var am []struct {
		Labels      map[string]string `json:"labels"`
		Fingerprint string            `json:"fingerprint"`
		Status      struct {
			State       string   `json:"state"`
			InhibitedBy []string `json:"inhibitedBy"`
		} `json:"status"`
	}
	e.mustDo("GET", "/api/v2/alerts", e.key, "", 200, &am)
	fp, states := map[string]string{}, map[string]string{}
	for _, a := range am {
		key := a.Labels["alertname"] + "/" + a.Labels["cluster"]
		fp[key], states[key] = a.Fingerprint, a.Status.State+":"+strings.Join(a.Status.InhibitedBy, ",")
	}
	if states["NodeDown/eu"] != "suppressed:"+fp["ClusterDown/eu"] || states["NodeDown/us"] != "active:" || states["ClusterDown/eu"] != "active:" {
		t.Errorf("Alertmanager states = %v", states)
	}
	e.mustDo("GET", "/api/v2/alerts?inhibited=false", e.key, "", 200, &am)
	if len(am) != 2 {
		t.Errorf("inhibited=false lists %d alerts, want 2", len(am))
	}
	var one map[string]any
	e.mustDo("GET", "/api/v1/alerts/"+itoa(r[1].AlertID), e.token, "", 200, &one)
	if one["inhibited_by_rule"] != float64(rule.ID) || one["inhibited_by_alert"] != float64(r[0].AlertID) {
		t.Errorf("v1 alert = %v", one)
	}
	// The source resolves (endsAt in the past); the sweep releases.
	e.mustDo("POST", "/api/v2/alerts", e.key, `[{"labels":{"alertname":"ClusterDown","cluster":"eu"},"endsAt":"2026-04-01T08:00:00Z"}]`, 200, nil)
	if _, err := e.db.ExpireAlerts(context.Background(), 100); err != nil {
		t.Fatal(err)
	}
	al, err := e.db.FindAlertByID(context.Background(), r[1].AlertID)
	if err != nil || al.IncidentID == 0 || al.InhibitedByRule != nil {
		t.Errorf("muted alert after its source resolved = %+v, %v", al, err)
	}
	// PUT and DELETE.
	var renamed vigil.InhibitRule
	e.mustDo("PUT", "/api/v1/inhibit-rules/"+itoa(rule.ID), e.token, `{"name":"renamed","source_matchers":["alertname=\"ClusterDown\""],"target_matchers":["alertname=\"NodeDown\""]}`, 200, &renamed)
	if renamed.ID != rule.ID || renamed.Name != "renamed" || renamed.Equal != nil {
		t.Errorf("replaced %+v", renamed)
	}
	e.mustDo("DELETE", "/api/v1/inhibit-rules/"+itoa(rule.ID), e.token, "", 204, nil)
	if status, _ := e.do("GET", "/api/v1/inhibit-rules/"+itoa(rule.ID), e.token, ""); status != 404 {
		t.Errorf("GET after DELETE: %d", status)
	}
}
