package server

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/api"
	"github.com/vigil-oss/vigil/internal/vigil"
)

func eventResult(t *testing.T, r response) vigil.EventResult {
	t.Helper()
	var res vigil.EventResult
	r.want(t, 202).json(t, &res)
	return res
}

// A3: the same trigger five times is one alert and one incident; only the
// first answer says new.
func TestIngestRepeatedTrigger(t *testing.T) {
	e := newEnv(t)
	var first vigil.EventResult
	for i := range 5 {
		res := eventResult(t, e.ingest(`{"summary":"disk full","dedup_key":"disk-db1"}`))
		if i == 0 {
			first = res
			if !res.AlertNew || !res.IncidentNew {
				t.Fatalf("first trigger: %+v", res)
			}
			continue
		}
		if res.AlertNew || res.IncidentNew || res.AlertID != first.AlertID || res.IncidentID != first.IncidentID {
			t.Errorf("trigger %d: %+v, first %+v", i+1, res, first)
		}
	}
	var alerts api.List[vigil.Alert]
	e.call("GET", "/api/v1/alerts?dedup_key=disk-db1", "").want(t, 200).json(t, &alerts)
	if alerts.Total != 1 || alerts.Items[0].Occurrences != 5 {
		t.Errorf("alerts: total %d, %+v", alerts.Total, alerts.Items)
	}
	var incs api.List[vigil.Incident]
	e.call("GET", "/api/v1/incidents", "").want(t, 200).json(t, &incs)
	if incs.Total != 1 {
		t.Errorf("incidents: %d", incs.Total)
	}
}

// A4: acknowledge or resolve for an unknown key is accepted and changes
// nothing; no incident appears.
func TestIngestUnknownKeyActions(t *testing.T) {
	e := newEnv(t)
	for _, action := range []string{"acknowledge", "resolve"} {
		res := eventResult(t, e.ingest(`{"action":"`+action+`","dedup_key":"never-seen"}`))
		if res.Changed || res.AlertNew || res.IncidentNew || res.IncidentID != 0 {
			t.Errorf("%s: %+v", action, res)
		}
	}
	var incs api.List[vigil.Incident]
	e.call("GET", "/api/v1/incidents", "").want(t, 200).json(t, &incs)
	if incs.Total != 0 {
		t.Errorf("an incident was created: %+v", incs.Items)
	}
}

// A5: trigger, resolve, trigger with one key opens a second alert.
func TestIngestRetriggerAfterResolve(t *testing.T) {
	e := newEnv(t)
	first := eventResult(t, e.ingest(`{"summary":"x","dedup_key":"k"}`))
	res := eventResult(t, e.ingest(`{"action":"resolve","dedup_key":"k"}`))
	if !res.Changed || res.AlertID != first.AlertID {
		t.Fatalf("resolve: %+v", res)
	}
	again := eventResult(t, e.ingest(`{"summary":"x","dedup_key":"k"}`))
	if !again.AlertNew || again.AlertID == first.AlertID {
		t.Errorf("second trigger: %+v (first %+v)", again, first)
	}
}

// A8 for the native format: a batch with one invalid item stores the valid
// ones and reports the invalid one; retrying the whole batch adds nothing.
func TestIngestBatch(t *testing.T) {
	e := newEnv(t)
	batch := `[{"summary":"a","dedup_key":"a"},{"summary":"b","severity":"nope"},{"summary":"c","dedup_key":"c"}]`
	var resp api.BatchResponse
	e.ingest(batch).want(t, 202).json(t, &resp)
	if len(resp.Results) != 3 {
		t.Fatalf("results: %+v", resp.Results)
	}
	for i, r := range resp.Results {
		if r.Index != i {
			t.Errorf("result %d has index %d", i, r.Index)
		}
	}
	if r := resp.Results[1]; r.Error == nil || r.Error.Field != "severity" || r.EventResult != nil {
		t.Errorf("invalid item: %+v", r)
	}
	for _, i := range []int{0, 2} {
		if r := resp.Results[i]; r.Error != nil || r.EventResult == nil || !r.AlertNew {
			t.Errorf("item %d: %+v", i, r)
		}
	}
	var retry api.BatchResponse
	e.ingest(batch).want(t, 202).json(t, &retry)
	for _, i := range []int{0, 2} {
		if r := retry.Results[i]; r.EventResult == nil || r.AlertNew || r.AlertID != resp.Results[i].AlertID {
			t.Errorf("retried item %d: %+v", i, r)
		}
	}
	var alerts api.List[vigil.Alert]
	e.call("GET", "/api/v1/alerts", "").want(t, 200).json(t, &alerts)
	if alerts.Total != 2 {
		t.Errorf("alerts after retry: %d, want 2", alerts.Total)
	}
}

// The lifecycle through the API: each step is on the timeline with who did
// it and from where (the API, the CLI, an integration).
func TestIncidentLifecycleTimeline(t *testing.T) {
	e := newEnv(t)
	res := eventResult(t, e.ingest(`{"summary":"API errors","dedup_key":"api-5xx"}`))
	e.vars["inc"] = itoa(res.IncidentID)
	cli := map[string]string{"X-Vigil-Source": "cli"}
	e.do("POST", "/api/v1/incidents/{inc}/acknowledge", nil, cli).want(t, 200)
	e.call("POST", "/api/v1/incidents/{inc}/notes", `{"body":"looking"}`).want(t, 201)
	e.call("PATCH", "/api/v1/incidents/{inc}", `{"severity":"critical","title":"API down"}`).want(t, 200)
	e.call("POST", "/api/v1/incidents/{inc}/resolve", "").want(t, 200)
	e.call("POST", "/api/v1/incidents/{inc}/acknowledge", "").want(t, 409)
	e.call("POST", "/api/v1/incidents/{inc}/reopen", "{}").want(t, 200)

	var tl api.Timeline
	e.call("GET", "/api/v1/incidents/{inc}/timeline", "").want(t, 200).json(t, &tl)
	if tl.Total != len(tl.Items) {
		t.Errorf("total %d, items %d", tl.Total, len(tl.Items))
	}
	type step struct{ kind, actor, source string }
	var got []step
	for _, it := range tl.Items {
		got = append(got, step{it.Kind, it.Actor, it.Source})
	}
	want := []step{
		{vigil.EntryCreated, "prometheus", vigil.SourceIntegration},
		{vigil.EntryAcknowledged, "admin", vigil.SourceCLI},
		{vigil.EntryNote, "admin", vigil.SourceAPI},
		{vigil.EntryResolved, "admin", vigil.SourceAPI},
		{vigil.EntryReopened, "admin", vigil.SourceAPI},
	}
	// Each wanted step appears, in order; the store may add others
	// (alert_joined, severity_changed, title_changed) between them.
	i := 0
	for _, g := range got {
		if i < len(want) && g == want[i] {
			i++
		}
	}
	if i != len(want) {
		t.Errorf("timeline %+v lacks %+v (in order)", got, want[i:])
	}
	var kinds []string
	for _, g := range got {
		kinds = append(kinds, g.kind)
	}
	for _, k := range []string{vigil.EntrySeverityChanged, vigil.EntryTitleChanged} {
		if !strings.Contains(strings.Join(kinds, ","), k) {
			t.Errorf("timeline has no %s entry: %v", k, kinds)
		}
	}
}

func TestIncidentListFilters(t *testing.T) {
	e := newEnv(t)
	var ids []int64
	for _, body := range []string{
		`{"service_id":{svc},"title":"one","severity":"info"}`,
		`{"service_id":{svc},"title":"two database","severity":"critical"}`,
		`{"service_id":{svc},"title":"three","severity":"critical"}`,
	} {
		var inc vigil.Incident
		e.call("POST", "/api/v1/incidents", body).want(t, 201).json(t, &inc)
		ids = append(ids, inc.ID)
		e.clock.Advance(60e9)
	}
	e.vars["first"] = itoa(ids[0])
	e.call("POST", "/api/v1/incidents/{first}/resolve", "").want(t, 200)

	tests := []struct {
		query string
		want  []int64 // newest first
		total int
	}{
		{"", []int64{ids[2], ids[1], ids[0]}, 3},
		{"?status=resolved", []int64{ids[0]}, 1},
		{"?status=triggered,acknowledged", []int64{ids[2], ids[1]}, 2},
		{"?status=triggered&status=resolved", []int64{ids[2], ids[1], ids[0]}, 3},
		{"?severity=critical", []int64{ids[2], ids[1]}, 2},
		{"?q=DATABASE", []int64{ids[1]}, 1},
		{"?service_id={svc}&limit=2", []int64{ids[2], ids[1]}, 3},
		{"?limit=2&offset=2", []int64{ids[0]}, 3},
		{"?since=2026-03-01T12:01:00Z", []int64{ids[2], ids[1]}, 2},
		{"?until=2026-03-01T12:01:00Z", []int64{ids[0]}, 1},
		{"?service_id=9999", nil, 0},
	}
	for _, tt := range tests {
		var l api.List[vigil.Incident]
		e.call("GET", "/api/v1/incidents"+tt.query, "").want(t, 200).json(t, &l)
		var got []int64
		for _, it := range l.Items {
			got = append(got, it.ID)
		}
		if l.Total != tt.total || len(got) != len(tt.want) {
			t.Errorf("%s: ids %v total %d, want %v total %d", tt.query, got, l.Total, tt.want, tt.total)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("%s: ids %v, want %v", tt.query, got, tt.want)
				break
			}
		}
	}
}

// A9 / readiness: with the database closed, /readyz and ingest answer 503,
// never 500 and never 2xx.
func TestDatabaseDown(t *testing.T) {
	e := newEnv(t)
	e.allowErrorLogs = true // the store may log its own failures
	e.store.Close()
	e.do("GET", "/readyz", nil, map[string]string{"Authorization": ""}).want(t, 503)
	r := e.ingest(`{"summary":"x"}`)
	if r.status != 503 {
		t.Errorf("ingest with the database closed: %d %s", r.status, r.body)
	}
	if e.do("GET", "/healthz", nil, nil).status != 200 {
		t.Errorf("healthz must not depend on the database")
	}
}

func TestPanicRecovery(t *testing.T) {
	e := newEnv(t)
	e.allowErrorLogs = true
	r := e.do("GET", "/boom", nil, nil).want(t, 500)
	if !strings.Contains(r.body, `"code":"internal"`) || strings.Contains(r.body, "kaput") {
		t.Errorf("body: %s", r.body)
	}
	if !strings.Contains(e.logs.String(), "boom: kaput") {
		t.Errorf("the panic was not logged")
	}
	e.do("GET", "/healthz", nil, nil).want(t, 200) // still serving
}

// H9: secrets in headers or queries never reach the request log.
func TestLogsCarryNoSecrets(t *testing.T) {
	e := newEnv(t)
	e.ingest(`{"summary":"x"}`).want(t, 202)
	e.do("GET", "/api/v1/services?token="+e.token, nil, nil).want(t, 200)
	e.do("GET", "/api/v1/services", nil, map[string]string{"Authorization": "Bearer vgt_guessedguessed"}).want(t, 401)
	e.do("POST", "/api/v1/events", strings.NewReader(`{"summary":"x"}`), map[string]string{"Authorization": "Bearer vgi_guessedguessed"}).want(t, 401)
	logs := e.logs.String()
	if strings.Contains(logs, "guessedguessed") {
		t.Errorf("a presented credential was logged")
	}
	if !strings.Contains(logs, `"path":"/api/v1/services"`) || !strings.Contains(logs, `"route":"/api/v1/events"`) {
		t.Errorf("request log lacks path or route:\n%s", logs)
	}
	// newEnv's cleanup checks the real token and key.
}

// H12 / A7: a key over its rate gets 429 with Retry-After, other keys go
// on, and the key is served again once its bucket refills.
func TestIngestRateLimitPerKey(t *testing.T) {
	e := newEnvConfig(t, "", 1) // 1 request/s, bursts of 2
	other, err := e.store.CreateIntegrationKey(context.Background(), e.service.ID, "other")
	if err != nil {
		t.Fatal(err)
	}
	e.ingest(`{"summary":"a","dedup_key":"a"}`).want(t, 202)
	e.ingest(`{"summary":"a","dedup_key":"a"}`).want(t, 202)
	r := e.ingest(`{"summary":"a","dedup_key":"a"}`).want(t, 429)
	if r.header.Get("Retry-After") != "1" || !strings.Contains(r.body, `"code":"rate_limited"`) {
		t.Errorf("429 answer: Retry-After %q, body %s", r.header.Get("Retry-After"), r.body)
	}
	e.do("POST", "/api/v1/events", strings.NewReader(`{"summary":"b"}`), map[string]string{"Authorization": "Bearer " + other.Secret}).want(t, 202)
	e.clock.Advance(time.Second)
	e.ingest(`{"summary":"a","dedup_key":"a"}`).want(t, 202)

	if m := e.call("GET", "/metrics", "").want(t, 200).body; !strings.Contains(m, `vigil_ingest_events_total{format="native",result="rate_limited"} 1`) {
		t.Error("the refused request is not counted as rate_limited")
	}
}

// Answered requests log at debug (ingest is too busy for one info line
// each); refused ones at info.
func TestRequestLogLevels(t *testing.T) {
	e := newEnv(t)
	e.call("GET", "/api/v1/services", "").want(t, 200)
	e.do("GET", "/api/v1/services", nil, map[string]string{"Authorization": "Bearer vgt_wrong"}).want(t, 401)
	levels := map[int]string{}
	for _, line := range strings.Split(e.logs.String(), "\n") {
		var rec struct {
			Level  string `json:"level"`
			Msg    string `json:"msg"`
			Status int    `json:"status"`
		}
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "http request" {
			levels[rec.Status] = rec.Level
		}
	}
	if levels[200] != "DEBUG" || levels[401] != "INFO" {
		t.Errorf("request log levels by status: %v, want 200 DEBUG and 401 INFO", levels)
	}
}

// Alertmanager's and Prometheus' http_config may send the integration key
// as the basic-auth password instead of a bearer token.
func TestIngestKeyAsBasicAuthPassword(t *testing.T) {
	e := newEnv(t)
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("vigil:"+e.key.Secret))
	e.do("POST", "/api/v1/events", strings.NewReader(`{"summary":"a"}`), map[string]string{"Authorization": basic}).want(t, 202)
	wrong := "Basic " + base64.StdEncoding.EncodeToString([]byte("vigil:vgi_wrong"))
	e.do("POST", "/api/v1/events", strings.NewReader(`{"summary":"a"}`), map[string]string{"Authorization": wrong}).want(t, 401)
}
