package server

import (
	"fmt"
	"strings"
	"testing"

	"github.com/vigil-oss/vigil/internal/api"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// mappingRulesBody moves "db …" alerts to the database service as
// critical, with the sender's format as a label; "web …" alerts become
// info with a prefixed summary.
const mappingRulesBody = `{"rules":[
	{"name":"database","when":"summary startsWith \"db \"","stop":true,
	 "set":{"service":"database","severity":"critical","labels":{"via":"format","team":"\"dba\""}}},
	{"name":"web","when":"summary startsWith \"web \"","set":{"severity":"info","summary":"\"[web] \" + summary"}}]}`

// Rules saved through the API apply on every ingest path, on SQLite and
// PostgreSQL.
func TestMappingRulesOnEveryIngestPath(t *testing.T) {
	for _, db := range []string{"sqlite", "postgres"} {
		t.Run(db, func(t *testing.T) {
			pg := ""
			if db == "postgres" {
				pg = migratedPostgresURL(t) // skips when PostgreSQL is not configured
			}
			e := newEnvOn(t, pg)
			var dbSvc vigil.Service
			e.call("POST", "/api/v1/services", `{"name":"database"}`).want(t, 201).json(t, &dbSvc)

			var saved api.MappingRules
			e.call("PUT", "/api/v1/integration-keys/{keyid}/rules", mappingRulesBody).want(t, 200).json(t, &saved)
			if saved.IntegrationKeyID != e.key.ID || len(saved.Rules) != 2 || saved.Rules[0].Set.Labels["via"] != "format" {
				t.Fatalf("PUT answer %+v", saved)
			}
			var got api.MappingRules
			e.call("GET", "/api/v1/integration-keys/{keyid}/rules", "").want(t, 200).json(t, &got)
			if len(got.Rules) != 2 || got.Rules[1].Name != "web" || !got.Rules[0].Stop {
				t.Fatalf("GET answer %+v", got)
			}

			send := map[string]func(dedup string){
				"native": func(k string) {
					e.ingest(`{"summary":"db disk full","dedup_key":"`+k+`","labels":{"team":"db"}}`).want(t, 202)
				},
				"alertmanager": func(k string) {
					amResponse(t, e.alertmanager(`{"version":"4","groupKey":"g","status":"firing","alerts":[{"status":"firing",
						"labels":{"alertname":"Disk","team":"db"},"annotations":{"summary":"db disk full"},"fingerprint":"`+k+`"}]}`), 200)
				},
				"pagerduty": func(k string) {
					pdAnswer(t, e.pdEnqueue(`{"routing_key":"{key}","event_action":"trigger","dedup_key":"`+k+`",
						"payload":{"summary":"db disk full","source":"db1","severity":"warning"}}`), 202)
				},
				"pagerduty-v1": func(k string) {
					pdAnswer(t, e.pdPost("/generic/2010-04-15/create_event.json",
						`{"service_key":"{key}","event_type":"trigger","incident_key":"`+k+`","description":"db disk full"}`), 200)
				},
				"opsgenie": func(k string) {
					ogAnswer(t, e.ogDo("POST", "/v2/alerts", `{"message":"db disk full","alias":"`+k+`","priority":"P3"}`), 202)
				},
			}
			for format, post := range send {
				dedup := "m-" + format
				post(dedup)
				a := e.alertLike(dedup)
				if a.ServiceID != dbSvc.ID || a.Severity != vigil.SeverityCritical || a.Labels["via"] != format || a.Labels["team"] != "dba" {
					t.Errorf("%s: alert service %d severity %s labels %v; want service %d, critical, via=%s, team=dba",
						format, a.ServiceID, a.Severity, a.Labels, dbSvc.ID, format)
				}
			}

			// The second rule: summary and severity, in the key's service.
			e.ingest(`{"summary":"web 500s","dedup_key":"w1"}`).want(t, 202)
			if a := e.alertLike("w1"); a.ServiceID != e.service.ID || a.Severity != vigil.SeverityInfo || a.Summary != "[web] web 500s" {
				t.Errorf("web alert %+v", a)
			}
			// No rule matches: unchanged.
			e.ingest(`{"summary":"cache cold","dedup_key":"c1","severity":"warning"}`).want(t, 202)
			if a := e.alertLike("c1"); a.ServiceID != e.service.ID || a.Severity != vigil.SeverityWarning || a.Summary != "cache cold" {
				t.Errorf("unmatched alert %+v", a)
			}
			// Resolving from the sender reaches the moved alert (same rule).
			e.ingest(`{"summary":"db disk full","dedup_key":"m-native","action":"resolve"}`).want(t, 202)
			if a := e.alertLike("m-native"); a.Status != vigil.AlertResolved {
				t.Errorf("moved alert not resolved: %+v", a)
			}

			// Removing the rules: events are stored as sent again.
			e.call("PUT", "/api/v1/integration-keys/{keyid}/rules", `{"rules":[]}`).want(t, 200)
			e.ingest(`{"summary":"db again","dedup_key":"d2"}`).want(t, 202)
			if a := e.alertLike("d2"); a.ServiceID != e.service.ID || a.Severity != vigil.SeverityError {
				t.Errorf("after removing the rules: %+v", a)
			}
		})
	}
}

// alertLike returns the one alert with this dedup key (whatever service).
func (e *env) alertLike(dedupKey string) vigil.Alert {
	e.t.Helper()
	var l api.List[vigil.Alert]
	e.call("GET", "/api/v1/alerts?dedup_key="+dedupKey, "").want(e.t, 200).json(e.t, &l)
	for _, a := range l.Items {
		if strings.HasSuffix(a.DedupKey, dedupKey) || a.DedupKey == dedupKey {
			return a
		}
	}
	// Adapters prefix their keys (am:<fingerprint>, og:<alias>): look them up.
	e.call("GET", "/api/v1/alerts?limit=500", "").want(e.t, 200).json(e.t, &l)
	for _, a := range l.Items {
		if strings.HasSuffix(a.DedupKey, dedupKey) {
			return a
		}
	}
	e.t.Fatalf("no alert with dedup key %s", dedupKey)
	return vigil.Alert{}
}

// A rule that fails on an event never loses it: the event is stored as
// decoded and the failure is logged.
func TestMappingRuleErrorKeepsTheAlert(t *testing.T) {
	e := newEnv(t)
	e.call("PUT", "/api/v1/integration-keys/{keyid}/rules", `{"rules":[
		{"name":"first","set":{"severity":"critical"}},
		{"name":"deep","when":"details.host.name == \"db1\"","set":{"severity":"info"}}]}`).want(t, 200)
	e.ingest(`{"summary":"odd details","dedup_key":"x1","severity":"warning","details":{"host":"not an object"}}`).want(t, 202)
	a := e.alertLike("x1")
	if a.Severity != vigil.SeverityWarning || a.ServiceID != e.service.ID {
		t.Errorf("alert %+v: want it stored as sent (warning)", a)
	}
	if logs := e.logs.String(); !strings.Contains(logs, "mapping rule failed") || !strings.Contains(logs, "rule 1 (deep) when") {
		t.Errorf("the rule failure is not logged:\n%s", logs)
	}
	// The next one with good details maps.
	e.ingest(`{"summary":"good details","dedup_key":"x2","details":{"host":{"name":"db1"}}}`).want(t, 202)
	if a := e.alertLike("x2"); a.Severity != vigil.SeverityInfo {
		t.Errorf("alert %+v: want info", a)
	}
}

// Saving checks the rules and names the field at fault.
func TestMappingRulesValidation(t *testing.T) {
	e := newEnv(t)
	rule := func(set string) string {
		return `{"rules":[{"name":"ok","set":{"severity":"info"}},{"name":"r","set":` + set + `}]}`
	}
	cases := []struct {
		body   string
		status int
		field  string
	}{
		{rule(`{"severity":"1 +"}`), 400, "rules[1].set.severity"},
		{rule(`{"severity":"labels."}`), 400, "rules[1].set.severity"},
		{rule(`{"service":"nowhere"}`), 400, "rules[1].set.service"},
		{rule(`{"labels":{"bad name":"\"x\""}}`), 400, "rules[1].set.labels"},
		{rule(`{"labels":{"team":"payments"}}`), 400, "rules[1].set.labels.team"},
		{rule(`{"summary":"summary +"}`), 400, "rules[1].set.summary"},
		{`{"rules":[{"name":"w","when":"severity","set":{"severity":"info"}}]}`, 400, "rules[0].when"},
		{`{"rules":[{"name":"w","sett":{}}]}`, 400, "sett"},
		{`{}`, 400, "rules"},
		{`{"rules":[` + strings.Repeat(`{"name":"n","set":{"severity":"info"}},`, vigil.MaxMappingRules) + `{"name":"n","set":{"severity":"info"}}]}`, 400, "rules"},
	}
	for _, c := range cases {
		r := e.call("PUT", "/api/v1/integration-keys/{keyid}/rules", c.body).want(t, c.status)
		if !strings.Contains(r.body, fmt.Sprintf(`"field":%q`, c.field)) {
			t.Errorf("%.80s: answer %s, want field %s", c.body, r.body, c.field)
		}
	}
	e.call("PUT", "/api/v1/integration-keys/999999/rules", `{"rules":[]}`).want(t, 404)
	e.call("GET", "/api/v1/integration-keys/999999/rules", "").want(t, 404)
	var got api.MappingRules
	e.call("GET", "/api/v1/integration-keys/{keyid}/rules", "").want(t, 200).json(t, &got)
	if got.Rules == nil || len(got.Rules) != 0 {
		t.Errorf("refused saves changed the rules: %+v", got)
	}
	// An integration key is not an API token.
	e.do("GET", "/api/v1/integration-keys/{keyid}/rules", nil, map[string]string{"Authorization": "Bearer " + e.key.Secret}).want(t, 401)
}

// The preview applies a key's rules and shows what each did.
func TestPreviewWithKeyRules(t *testing.T) {
	e := newEnv(t)
	e.call("POST", "/api/v1/services", `{"name":"database"}`).want(t, 201)
	e.call("PUT", "/api/v1/integration-keys/{keyid}/rules", mappingRulesBody).want(t, 200)
	r := e.call("POST", "/api/v1/integrations/preview", `{"format":"opsgenie","integration_key_id":{keyid},
		"payload":{"message":"db disk full","alias":"a1"}}`).want(t, 200)
	var out api.PreviewResponse
	r.json(t, &out)
	if len(out.Events) != 1 {
		t.Fatalf("preview %s", r.body)
	}
	ev := out.Events[0]
	if ev.Service != "database" || ev.Severity != vigil.SeverityCritical || ev.Labels["via"] != "opsgenie" ||
		len(ev.Rules) != 1 || !ev.Rules[0].Matched || !ev.Rules[0].Stopped || len(ev.Rules[0].Changes) != 4 {
		t.Errorf("preview event %s", r.body)
	}
	// Without the key: decoded only.
	var plain api.PreviewResponse
	e.call("POST", "/api/v1/integrations/preview", `{"format":"opsgenie","payload":{"message":"db disk full"}}`).want(t, 200).json(t, &plain)
	if ev := plain.Events[0]; ev.Severity != vigil.SeverityWarning || ev.Service != "" || ev.Rules != nil {
		t.Errorf("preview without key: %+v", ev)
	}
	r = e.call("POST", "/api/v1/integrations/preview", `{"format":"native","integration_key_id":999999,"payload":{"summary":"x"}}`).want(t, 400)
	if !strings.Contains(r.body, `"field":"integration_key_id"`) {
		t.Errorf("unknown key: %s", r.body)
	}
	var alerts api.List[vigil.Alert]
	e.call("GET", "/api/v1/alerts", "").want(t, 200).json(t, &alerts)
	if alerts.Total != 0 {
		t.Errorf("a preview stored %d alerts", alerts.Total)
	}
}
