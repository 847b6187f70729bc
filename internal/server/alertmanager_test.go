package server

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/vigil-oss/vigil/internal/api"
	"github.com/vigil-oss/vigil/internal/vigil"
)

const amPath = "/api/v1/integrations/alertmanager"

// amAlert is one alert as Alertmanager 0.25 sends it.
func amAlert(status, instance, fingerprint string) string {
	ends := "0001-01-01T00:00:00Z"
	if status == "resolved" {
		ends = "2026-03-01T12:05:00Z"
	}
	return fmt.Sprintf(`{"status":%q,"labels":{"alertname":"HighLatency","instance":%q,"job":"checkout","severity":"critical"},
		"annotations":{"summary":"High latency on %s","runbook_url":"https://runbooks/latency"},
		"startsAt":"2026-03-01T11:58:00.123456789Z","endsAt":%q,
		"generatorURL":"http://prometheus:9090/graph?g0.expr=latency%%3E1","fingerprint":%q}`, status, instance, instance, ends, fingerprint)
}

// amWebhook is an Alertmanager 0.25 webhook body for group HighLatency.
func amWebhook(truncated int, alerts ...string) string {
	status := "resolved"
	for _, a := range alerts {
		if strings.Contains(a, `"status":"firing"`) {
			status = "firing"
		}
	}
	return fmt.Sprintf(`{"receiver":"vigil","status":%q,"alerts":[%s],
		"groupLabels":{"alertname":"HighLatency"},"commonLabels":{"alertname":"HighLatency","job":"checkout","severity":"critical"},
		"commonAnnotations":{},"externalURL":"http://alertmanager:9093","version":"4",
		"groupKey":"{}/{severity=\"critical\"}:{alertname=\"HighLatency\"}","truncatedAlerts":%d}`,
		status, strings.Join(alerts, ","), truncated)
}

func (e *env) alertmanager(body string) response {
	e.t.Helper()
	return e.do("POST", amPath, strings.NewReader(body), map[string]string{"Authorization": "Bearer " + e.key.Secret})
}

func amResponse(t *testing.T, r response, status int) api.AlertmanagerResponse {
	t.Helper()
	var res api.AlertmanagerResponse
	r.want(t, status).json(t, &res)
	return res
}

func (e *env) incident(id int64) api.IncidentDetail {
	e.t.Helper()
	var d api.IncidentDetail
	e.call("GET", "/api/v1/incidents/"+itoa(id), "").want(e.t, 200).json(e.t, &d)
	return d
}

// A group of two alerts is one incident with two alerts; each alert
// resolves alone; the incident resolves with the last one.
func TestAlertmanagerGroupLifecycle(t *testing.T) {
	e := newEnv(t)
	res := amResponse(t, e.alertmanager(amWebhook(0, amAlert("firing", "web-1", "aaaa000000000001"), amAlert("firing", "web-2", "aaaa000000000002"))), 200)
	if res.Status != "success" || res.Accepted != 2 || len(res.Results) != 2 || len(res.Errors) != 0 {
		t.Fatalf("answer %+v", res)
	}
	r1, r2 := res.Results[0], res.Results[1]
	if !r1.AlertNew || !r2.AlertNew || r1.AlertID == r2.AlertID || r1.IncidentID == 0 || r1.IncidentID != r2.IncidentID {
		t.Fatalf("want two new alerts in one incident: %+v", res.Results)
	}
	if r1.Fingerprint != "aaaa000000000001" || r1.DedupKey != "am:aaaa000000000001" || r2.Index != 1 {
		t.Errorf("results %+v", res.Results)
	}
	inc := e.incident(r1.IncidentID)
	if len(inc.Alerts) != 2 || inc.Severity != vigil.SeverityCritical || inc.Title != "High latency on web-1" {
		t.Fatalf("incident %+v with %d alerts", inc.Incident, len(inc.Alerts))
	}
	a := inc.Alerts[0]
	if a.Labels["instance"] == "" || len(a.Links) != 1 || !strings.Contains(string(a.Details), "runbook_url") {
		t.Errorf("alert lost labels, link or annotations: %+v", a)
	}

	// web-1 resolves while web-2 still fires: the group is re-sent whole.
	res = amResponse(t, e.alertmanager(amWebhook(0, amAlert("resolved", "web-1", "aaaa000000000001"), amAlert("firing", "web-2", "aaaa000000000002"))), 200)
	if !res.Results[0].Changed || res.Results[1].AlertNew {
		t.Fatalf("partial resolve: %+v", res.Results)
	}
	inc = e.incident(r1.IncidentID)
	if !inc.Open() {
		t.Fatalf("incident resolved while web-2 fires: %+v", inc.Incident)
	}
	for _, al := range inc.Alerts {
		want := map[int64]string{r1.AlertID: vigil.AlertResolved, r2.AlertID: vigil.AlertFiring}[al.ID]
		if al.Status != want {
			t.Errorf("alert %d: %s, want %s", al.ID, al.Status, want)
		}
	}

	// Both resolved: the incident auto-resolves.
	amResponse(t, e.alertmanager(amWebhook(0, amAlert("resolved", "web-1", "aaaa000000000001"), amAlert("resolved", "web-2", "aaaa000000000002"))), 200)
	if inc = e.incident(r1.IncidentID); inc.Open() {
		t.Errorf("incident still %s after every alert resolved", inc.Status)
	}
}

func TestAlertmanagerAuth(t *testing.T) {
	e := newEnv(t)
	body := amWebhook(0, amAlert("firing", "web-1", "b1"))
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("alertmanager:"+e.key.Secret))
	e.do("POST", amPath, strings.NewReader(body), map[string]string{"Authorization": basic}).want(t, 200)
	e.do("POST", amPath, strings.NewReader(body), map[string]string{"Authorization": "Bearer " + e.key.Secret}).want(t, 200)
	e.do("POST", amPath, strings.NewReader(body), map[string]string{"Authorization": ""}).want(t, 401)
	wrong := "Basic " + base64.StdEncoding.EncodeToString([]byte("alertmanager:vgi_wrong"))
	e.do("POST", amPath, strings.NewReader(body), map[string]string{"Authorization": wrong}).want(t, 401)
	// An API token is not an integration key.
	e.do("POST", amPath, strings.NewReader(body), nil).want(t, 401)
}

func TestAlertmanagerBadBodies(t *testing.T) {
	e := newEnv(t)
	key := "Bearer " + e.key.Secret
	good := amWebhook(0, amAlert("firing", "web-1", "c1"))
	for _, tc := range []struct {
		name    string
		headers map[string]string
		body    string
		status  int
		want    string
	}{
		{"wrong content type", map[string]string{"Content-Type": "text/plain"}, good, 415, `"code":"unsupported_media"`},
		{"over 1 MiB", nil, `{"alerts":[],"pad":"` + strings.Repeat("a", 1<<20) + `"}`, 413, `"code":"too_large"`},
		{"malformed", nil, `{"alerts":[`, 400, `"code":"invalid"`},
		{"not an object", nil, `[]`, 400, `"code":"invalid"`},
		{"alerts not an array", nil, `{"alerts":"x"}`, 400, `"field":"alerts"`},
		{"no alerts", nil, `{"version":"4","alerts":[]}`, 400, `"field":"alerts"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := map[string]string{"Authorization": key}
			for k, v := range tc.headers {
				h[k] = v
			}
			r := e.do("POST", amPath, strings.NewReader(tc.body), h).want(t, tc.status)
			if !strings.Contains(r.body, `"error":{"code":`) || !strings.Contains(r.body, tc.want) {
				t.Errorf("body %.300s lacks %s", r.body, tc.want)
			}
		})
	}
	var incs api.List[vigil.Incident]
	e.call("GET", "/api/v1/incidents", "").want(t, 200).json(t, &incs)
	if incs.Total != 0 {
		t.Errorf("bad bodies opened %d incidents", incs.Total)
	}
}

// I3 on a batch: valid alerts are stored, the invalid one is listed with
// its field, the answer is 200 (Alertmanager drops a 4xx), and the full
// retry stores nothing twice.
func TestAlertmanagerPartlyInvalidBatch(t *testing.T) {
	e := newEnv(t)
	bad := `{"status":"firing","labels":{"bad-name":"x"},"fingerprint":"d9"}`
	body := amWebhook(0, amAlert("firing", "web-1", "d1"), bad, amAlert("firing", "web-2", "d2"))
	res := amResponse(t, e.alertmanager(body), 200)
	if res.Accepted != 2 || len(res.Results) != 2 || len(res.Errors) != 1 {
		t.Fatalf("answer %+v", res)
	}
	if er := res.Errors[0]; er.Index != 1 || er.Field != "alerts[1].labels" || er.Message == "" {
		t.Errorf("error %+v", er)
	}
	if res.Results[0].Index != 0 || res.Results[1].Index != 2 {
		t.Errorf("result indexes %+v", res.Results)
	}
	again := amResponse(t, e.alertmanager(body), 200)
	for _, r := range again.Results {
		if r.AlertNew || r.IncidentNew {
			t.Errorf("retry created %+v", r)
		}
	}
	var alerts api.List[vigil.Alert]
	e.call("GET", "/api/v1/alerts", "").want(t, 200).json(t, &alerts)
	if alerts.Total != 2 {
		t.Errorf("%d alerts after a retried batch, want 2", alerts.Total)
	}
	var incs api.List[vigil.Incident]
	e.call("GET", "/api/v1/incidents", "").want(t, 200).json(t, &incs)
	if incs.Total != 1 {
		t.Errorf("%d incidents, want 1", incs.Total)
	}
}

func TestAlertmanagerAllInvalid(t *testing.T) {
	e := newEnv(t)
	body := amWebhook(0,
		`{"status":"firing","labels":{},"fingerprint":"e1"}`,
		`{"status":"resolved","labels":{"a":"b"},"startsAt":"2026-03-01T12:00:00Z","endsAt":"2026-03-01T11:00:00Z","fingerprint":"e2"}`)
	r := e.alertmanager(body)
	res := amResponse(t, r, 400)
	if res.Accepted != 0 || len(res.Errors) != 2 || res.Error == nil || !strings.Contains(r.body, `"error":{"code":"invalid"`) {
		t.Fatalf("answer %s", r.body)
	}
	if res.Errors[0].Field != "alerts[0].labels" || res.Errors[1].Field != "alerts[1].endsAt" {
		t.Errorf("errors %+v", res.Errors)
	}
}

func TestAlertmanagerTruncatedNote(t *testing.T) {
	e := newEnv(t)
	body := amWebhook(3, amAlert("firing", "web-1", "f1"))
	res := amResponse(t, e.alertmanager(body), 200)
	amResponse(t, e.alertmanager(body), 200) // the re-sent notification adds no second note
	var tl api.Timeline
	e.call("GET", "/api/v1/incidents/"+itoa(res.Results[0].IncidentID)+"/timeline", "").want(t, 200).json(t, &tl)
	notes := 0
	for _, en := range tl.Items {
		if en.Kind == vigil.EntryNote {
			notes++
			want := `Alertmanager truncated 3 alerts of group {}/{severity="critical"}:{alertname="HighLatency"}`
			if en.Message != want || en.ActorKind != vigil.ActorIntegration {
				t.Errorf("note %+v", en)
			}
		}
	}
	if notes != 1 {
		t.Errorf("%d truncation notes, want 1", notes)
	}
}
