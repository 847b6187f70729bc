package server

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/api"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// ogEnvelope checks what every Opsgenie heartbeat answer carries (a
// request id and took) and decodes the body into v.
func ogEnvelope(t *testing.T, r response, status int, v any) {
	t.Helper()
	r.want(t, status)
	var meta struct {
		RequestID string   `json:"requestId"`
		Took      *float64 `json:"took"`
	}
	r.json(t, &meta)
	if !uuidRE.MatchString(meta.RequestID) || meta.Took == nil || *meta.Took < 0 {
		t.Fatalf("answer without requestId or took: %s", r.body)
	}
	if v != nil {
		r.json(t, v)
	}
}

func ogResult(t *testing.T, r response, status int) api.OpsgenieResponse {
	t.Helper()
	var o api.OpsgenieResponse
	ogEnvelope(t, r, status, &o)
	return o
}

// The Opsgenie Heartbeat API, endpoint by endpoint, with Opsgenie's answers.
func TestOpsgenieHeartbeatEndpoints(t *testing.T) {
	for _, db := range []string{"sqlite", "postgres"} {
		t.Run(db, func(t *testing.T) {
			pg := ""
			if db == "postgres" {
				pg = migratedPostgresURL(t) // skips when PostgreSQL is not configured
			}
			e := newEnvOn(t, pg)

			// Create: 201 with the whole heartbeat under data.
			r := e.ogDo("POST", "/v2/heartbeats", `{"name":"nightly-backup","description":"pg_dump","interval":10,
				"intervalUnit":"minutes","enabled":true,"ownerTeam":{"name":"dba"},"alertMessage":"backup missed",
				"alertTags":["db","backup"],"alertPriority":"P2"}`)
			var created map[string]any
			ogEnvelope(t, r, 201, &created)
			wantData := `{"name":"nightly-backup","description":"pg_dump","interval":10,"intervalUnit":"minutes","enabled":true,
				"expired":false,"ownerTeam":{"id":"` + itoa(e.service.ID) + `","name":"checkout"},"alertMessage":"backup missed",
				"alertTags":["db","backup"],"alertPriority":"P2"}`
			jsonEqualT(t, created["data"], wantData)

			// A second heartbeat, with Opsgenie's defaults: disabled, P3.
			ogEnvelope(t, e.ogDo("POST", "/v2/heartbeats", `{"name":"weekly","interval":"1","intervalUnit":"days","alertTags":"a, b"}`), 201, nil)

			// Get and list.
			var got api.OpsgenieHeartbeatResponse
			ogEnvelope(t, e.ogDo("GET", "/v2/heartbeats/weekly", ""), 200, &got)
			if d := got.Data; d.Enabled || d.Expired || d.Interval != 1 || d.IntervalUnit != "days" || d.AlertPriority != "P3" ||
				strings.Join(d.AlertTags, "|") != "a|b" || d.LastPingTime != nil {
				t.Errorf("weekly: %+v", d)
			}
			var list api.OpsgenieHeartbeatList
			ogEnvelope(t, e.ogDo("GET", "/v2/heartbeats", ""), 200, &list)
			if len(list.Data.Heartbeats) != 2 || list.Data.Heartbeats[0].Name != "nightly-backup" || list.Data.Heartbeats[1].Name != "weekly" {
				t.Errorf("list: %+v", list.Data)
			}

			// Update: 200 with name, enabled, expired.
			var meta api.OpsgenieHeartbeatMetaResponse
			ogEnvelope(t, e.ogDo("PATCH", "/v2/heartbeats/weekly", `{"name":"ignored","interval":2,"enabled":true,"alertPriority":"P1"}`), 200, &meta)
			if meta.Data != (api.OpsgenieHeartbeatMeta{Name: "weekly", Enabled: true}) {
				t.Errorf("update answer %+v", meta.Data)
			}
			ogEnvelope(t, e.ogDo("GET", "/v2/heartbeats/weekly", ""), 200, &got)
			if got.Data.Interval != 2 || !got.Data.Enabled || got.Data.AlertPriority != "P1" || got.Data.Name != "weekly" {
				t.Errorf("after update: %+v", got.Data)
			}
			ogEnvelope(t, e.ogDo("POST", "/v2/heartbeats/weekly/disable", ""), 200, &meta)
			if meta.Data != (api.OpsgenieHeartbeatMeta{Name: "weekly"}) {
				t.Errorf("disable answer %+v", meta.Data)
			}
			ogEnvelope(t, e.ogDo("POST", "/v2/heartbeats/weekly/enable", ""), 200, &meta)
			if !meta.Data.Enabled {
				t.Errorf("enable answer %+v", meta.Data)
			}

			// Expiry through the sweep, then a ping of each method: 202 PONG.
			e.clock.Advance(10 * time.Minute)
			if n, err := e.store.ExpireHeartbeats(context.Background()); err != nil || n != 1 {
				t.Fatalf("ExpireHeartbeats = %d, %v; want 1", n, err)
			}
			ogEnvelope(t, e.ogDo("GET", "/v2/heartbeats/nightly-backup", ""), 200, &got)
			if !got.Data.Expired {
				t.Errorf("not expired after its interval: %+v", got.Data)
			}
			for _, m := range []string{"GET", "POST", "PUT", "PATCH"} {
				if o := ogResult(t, e.ogDo(m, "/v2/heartbeats/nightly-backup/ping", ""), 202); o.Result != "PONG - Heartbeat received" {
					t.Errorf("%s ping: %+v", m, o)
				}
			}
			ogEnvelope(t, e.ogDo("GET", "/v2/heartbeats/nightly-backup", ""), 200, &got)
			if got.Data.Expired || got.Data.LastPingTime == nil || !got.Data.LastPingTime.Equal(e.clock.Now()) {
				t.Errorf("after the pings: %+v", got.Data)
			}
			alerts := e.pdAlerts("heartbeat:nightly-backup")
			if len(alerts) != 1 || alerts[0].Status != vigil.AlertResolved || alerts[0].Summary != "backup missed" ||
				alerts[0].Severity != vigil.SeverityError {
				t.Errorf("the expiry alert: %+v", alerts)
			}

			// Delete: 200 "Deleted"; then it is unknown.
			if o := ogResult(t, e.ogDo("DELETE", "/v2/heartbeats/weekly", ""), 200); o.Result != "Deleted" {
				t.Errorf("delete answer %+v", o)
			}
			for _, m := range []string{"GET", "PATCH", "DELETE"} {
				body := ""
				if m == "PATCH" {
					body = `{"interval":3}`
				}
				o := ogResult(t, e.ogDo(m, "/v2/heartbeats/weekly", body), 404)
				if o.Message != "Heartbeat with name [weekly] does not exist." {
					t.Errorf("%s unknown: %+v", m, o)
				}
			}
			ogResult(t, e.ogDo("POST", "/v2/heartbeats/weekly/enable", ""), 404)
			ogResult(t, e.ogDo("POST", "/v2/heartbeats/weekly/disable", ""), 404)
			ogResult(t, e.ogDo("GET", "/v2/heartbeats/weekly/ping", ""), 404)
			ogResult(t, e.ogDo("GET", "/v2/heartbeats/%01x/ping", ""), 404)
		})
	}
}

// Refusals in Opsgenie's envelope: 422 naming the field, 400 for bad JSON,
// 409 for a taken name, 401 without a key; a heartbeat of another
// service's key does not exist for this one.
func TestOpsgenieHeartbeatRefusals(t *testing.T) {
	e := newEnv(t)
	ogEnvelope(t, e.ogDo("POST", "/v2/heartbeats", `{"name":"hb","interval":5,"intervalUnit":"minutes"}`), 201, nil)
	for _, tc := range []struct {
		method, path, body string
		status             int
		field, msg         string
	}{
		{"POST", "/v2/heartbeats", `{"interval":5,"intervalUnit":"minutes"}`, 422, "name", "name can not be empty."},
		{"POST", "/v2/heartbeats", `{"name":"x","intervalUnit":"minutes"}`, 422, "interval", ""},
		{"POST", "/v2/heartbeats", `{"name":"x","interval":5}`, 422, "intervalUnit", ""},
		{"POST", "/v2/heartbeats", `{"name":"x","interval":0,"intervalUnit":"minutes"}`, 422, "interval", ""},
		{"POST", "/v2/heartbeats", `{"name":"x","interval":2.5,"intervalUnit":"minutes"}`, 422, "interval", ""},
		{"POST", "/v2/heartbeats", `{"name":"x","interval":5,"intervalUnit":"weeks"}`, 422, "intervalUnit", ""},
		{"POST", "/v2/heartbeats", `{"name":"x","interval":400,"intervalUnit":"days"}`, 422, "interval", ""},
		{"POST", "/v2/heartbeats", `{"name":"x","interval":5,"intervalUnit":"hours","alertPriority":"P9"}`, 422, "alertPriority", ""},
		{"POST", "/v2/heartbeats", `{"name":"x","interval":5,"intervalUnit":"hours","enabled":"yes"}`, 422, "enabled", ""},
		{"POST", "/v2/heartbeats", `{"name":"x","interval":5,"intervalUnit":"hours","alertTags":[1]}`, 422, "alertTags", ""},
		{"POST", "/v2/heartbeats", `{"name":"` + strings.Repeat("n", 201) + `","interval":5,"intervalUnit":"hours"}`, 422, "name", ""},
		{"POST", "/v2/heartbeats", `{"name":"x","description":"\u0000","interval":5,"intervalUnit":"hours"}`, 422, "description", ""},
		{"POST", "/v2/heartbeats", `{"name":"x",`, 400, "", "Invalid JSON body."},
		{"POST", "/v2/heartbeats", `[]`, 422, "", ""},
		{"POST", "/v2/heartbeats", `{"name":"hb","interval":5,"intervalUnit":"minutes"}`, 409, "", "Heartbeat with name [hb] already exists."},
		{"PATCH", "/v2/heartbeats/hb", `{"intervalUnit":"fortnights"}`, 422, "intervalUnit", ""},
		{"PATCH", "/v2/heartbeats/hb", `{"interval":-1}`, 422, "interval", ""},
		{"PATCH", "/v2/heartbeats/hb", `{"alertMessage":7}`, 422, "alertMessage", ""},
		{"PATCH", "/v2/heartbeats/hb", `nope`, 400, "", ""},
	} {
		o := ogResult(t, e.ogDo(tc.method, tc.path, tc.body), tc.status)
		if tc.field != "" && o.Errors[tc.field] == "" {
			t.Errorf("%s %.50s: errors %v, want field %s", tc.path, tc.body, o.Errors, tc.field)
		}
		if tc.msg != "" && o.Message != tc.msg {
			t.Errorf("%s %.50s: message %q, want %q", tc.path, tc.body, o.Message, tc.msg)
		}
	}
	var got api.OpsgenieHeartbeatResponse
	ogEnvelope(t, e.ogDo("GET", "/v2/heartbeats/hb", ""), 200, &got)
	if got.Data.IntervalUnit != "minutes" || got.Data.Interval != 5 {
		t.Errorf("refused updates changed the heartbeat: %+v", got.Data)
	}
	ogResult(t, e.ogDo("POST", "/v2/heartbeats", `{"name":"x","interval":5,"intervalUnit":"hours"}`, "Content-Type", "application/xml"), 415)

	for _, h := range []string{"", "GenieKey vgi_nope"} {
		ogResult(t, e.do("GET", "/v2/heartbeats/hb/ping", nil, map[string]string{"Authorization": h}), 401)
	}
	ctx := vigil.WithActor(context.Background(), vigil.Actor{Kind: vigil.ActorToken, Name: "seed", Source: vigil.SourceAPI})
	other := &vigil.Service{Name: "web", AutoResolve: true}
	if err := e.store.CreateService(ctx, other); err != nil {
		t.Fatal(err)
	}
	k, err := e.store.CreateIntegrationKey(ctx, other.ID, "web")
	if err != nil {
		t.Fatal(err)
	}
	otherKey := "GenieKey " + k.Secret
	ogResult(t, e.ogDo("GET", "/v2/heartbeats/hb", "", "Authorization", otherKey), 404)
	ogResult(t, e.ogDo("GET", "/v2/heartbeats/hb/ping", "", "Authorization", otherKey), 404)
	var list api.OpsgenieHeartbeatList
	ogEnvelope(t, e.ogDo("GET", "/v2/heartbeats", "", "Authorization", otherKey), 200, &list)
	if list.Data.Heartbeats == nil || len(list.Data.Heartbeats) != 0 {
		t.Errorf("another service's list: %+v", list.Data)
	}
	// The same name on another service is another heartbeat.
	ogEnvelope(t, e.ogDo("POST", "/v2/heartbeats", `{"name":"hb","interval":1,"intervalUnit":"hours"}`, "Authorization", otherKey), 201, nil)

	// A name with a slash or a space is reached escaped.
	ogEnvelope(t, e.ogDo("POST", "/v2/heartbeats", `{"name":"db/nightly backup","interval":1,"intervalUnit":"hours"}`), 201, nil)
	ogResult(t, e.ogDo("POST", "/v2/heartbeats/db%2Fnightly%20backup/ping", ""), 202)
	var got2 api.OpsgenieHeartbeatResponse
	ogEnvelope(t, e.ogDo("GET", "/v2/heartbeats/db%2Fnightly%20backup", ""), 200, &got2)
	if got2.Data.Name != "db/nightly backup" || got2.Data.LastPingTime == nil {
		t.Errorf("escaped name: %+v", got2.Data)
	}
}

// Vigil's own API over the same heartbeats: API token, IDs, snake_case,
// 400 naming the field.
func TestHeartbeatAPI(t *testing.T) {
	for _, db := range []string{"sqlite", "postgres"} {
		t.Run(db, func(t *testing.T) {
			pg := ""
			if db == "postgres" {
				pg = migratedPostgresURL(t)
			}
			e := newEnvOn(t, pg)
			var h vigil.Heartbeat
			e.call("POST", "/api/v1/services/{svc}/heartbeats", `{"name":"etl","interval":2,"interval_unit":"hours",
				"alert_tags":["etl"],"alert_priority":"P1"}`).want(t, 201).json(t, &h)
			now := e.clock.Now()
			if h.ID == 0 || h.Name != "etl" || !h.Enabled || h.ServiceName != "checkout" || !h.DueAt.Equal(now.Add(2*time.Hour)) ||
				h.AlertPriority != "P1" || !h.CreatedAt.Equal(now) {
				t.Fatalf("created %+v", h)
			}
			e.vars["hb"] = itoa(h.ID)
			var off vigil.Heartbeat
			e.call("POST", "/api/v1/services/{svc}/heartbeats", `{"name":"off","interval":1,"interval_unit":"days","enabled":false}`).
				want(t, 201).json(t, &off)
			if off.Enabled {
				t.Errorf("enabled:false was not kept")
			}

			var list api.List[vigil.Heartbeat]
			e.call("GET", "/api/v1/services/{svc}/heartbeats?limit=1", "").want(t, 200).json(t, &list)
			if list.Total != 2 || len(list.Items) != 1 || list.Items[0].Name != "etl" || list.Limit != 1 {
				t.Errorf("list %+v", list)
			}
			var got vigil.Heartbeat
			e.call("GET", "/api/v1/heartbeats/{hb}", "").want(t, 200).json(t, &got)
			if got.ID != h.ID || got.Name != "etl" {
				t.Errorf("get %+v", got)
			}
			e.clock.Advance(time.Minute)
			e.call("PATCH", "/api/v1/heartbeats/{hb}", `{"description":"nightly ETL","interval":3}`).want(t, 200).json(t, &got)
			if got.Description != "nightly ETL" || got.Interval != 3 || !got.DueAt.Equal(e.clock.Now().Add(3*time.Hour)) {
				t.Errorf("patched %+v", got)
			}
			e.clock.Advance(time.Minute)
			e.call("POST", "/api/v1/heartbeats/{hb}/ping", "").want(t, 200).json(t, &got)
			if got.LastPingAt == nil || !got.LastPingAt.Equal(e.clock.Now()) {
				t.Errorf("pinged %+v", got)
			}

			for _, c := range []struct {
				method, path, body, field string
				status                    int
			}{
				{"POST", "/api/v1/services/{svc}/heartbeats", `{"name":"x","interval":1,"interval_unit":"weeks"}`, "interval_unit", 400},
				{"POST", "/api/v1/services/{svc}/heartbeats", `{"name":"x","interval_unit":"hours"}`, "interval", 400},
				{"POST", "/api/v1/services/{svc}/heartbeats", `{"interval":1,"interval_unit":"hours"}`, "name", 400},
				{"POST", "/api/v1/services/{svc}/heartbeats", `{"name":"x","interval":1,"interval_unit":"hours","alert_priority":"high"}`, "alert_priority", 400},
				{"POST", "/api/v1/services/{svc}/heartbeats", `{"name":"x","interval":"1","interval_unit":"hours"}`, "interval", 400},
				{"POST", "/api/v1/services/{svc}/heartbeats", `{"name":"x","interval":1,"interval_unit":"hours","colour":"red"}`, "colour", 400},
				{"POST", "/api/v1/services/{svc}/heartbeats", `{"name":"etl","interval":1,"interval_unit":"hours"}`, "name", 409},
				{"POST", "/api/v1/services/999999/heartbeats", `{"name":"x","interval":1,"interval_unit":"hours"}`, "", 404},
				{"POST", "/api/v1/services/x/heartbeats", `{"name":"x","interval":1,"interval_unit":"hours"}`, "id", 400},
				{"PATCH", "/api/v1/heartbeats/{hb}", `{"interval":0}`, "interval", 400},
				{"PATCH", "/api/v1/heartbeats/{hb}", `{"alert_tags":"a"}`, "alert_tags", 400},
				{"PATCH", "/api/v1/heartbeats/{hb}", `{"name":"off"}`, "name", 409},
				{"PATCH", "/api/v1/heartbeats/999999", `{"interval":1}`, "", 404},
				{"GET", "/api/v1/heartbeats/999999", ``, "", 404},
				{"GET", "/api/v1/heartbeats/0", ``, "id", 400},
				{"POST", "/api/v1/heartbeats/999999/ping", ``, "", 404},
				{"GET", "/api/v1/services/999999/heartbeats", ``, "", 404},
				{"GET", "/api/v1/services/{svc}/heartbeats?offset=-1", ``, "offset", 400},
			} {
				var body api.ErrorResponse
				e.call(c.method, c.path, c.body).want(t, c.status).json(t, &body)
				if body.Error.Field != c.field {
					t.Errorf("%s %s %s: error %+v, want field %q", c.method, c.path, c.body, body.Error, c.field)
				}
			}
			e.do("GET", "/api/v1/heartbeats/{hb}", nil, map[string]string{"Authorization": ""}).want(t, 401)
			e.do("GET", "/api/v1/heartbeats/{hb}", nil, map[string]string{"Authorization": "Bearer " + e.key.Secret}).want(t, 401)

			e.call("DELETE", "/api/v1/heartbeats/{hb}", "").want(t, http.StatusNoContent)
			e.call("GET", "/api/v1/heartbeats/{hb}", "").want(t, 404)
			e.call("DELETE", "/api/v1/heartbeats/{hb}", "").want(t, 404)
		})
	}
}

func jsonEqualT(t *testing.T, got any, want string) {
	t.Helper()
	var w any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad want: %v", err)
	}
	gb, _ := json.Marshal(got)
	wb, _ := json.Marshal(w)
	if string(gb) != string(wb) {
		t.Errorf("JSON\n got %s\nwant %s", gb, wb)
	}
}
