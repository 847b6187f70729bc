package server

import (
	"strings"
	"testing"

	"github.com/vigil-oss/vigil/internal/api"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// The rules over HTTP: a bad rule is a 400 naming the field and position,
// saved rules classify what the integration key sends, the route test
// shows the decisions of a payload and stores nothing, and the back-test
// answers.
func TestClassificationRulesAPI(t *testing.T) {
	e := newEnv(t)
	r := e.call("PUT", "/api/v1/classification-rules", `{"rules":[{"name":"x","when":"labels.env =="}]}`).want(t, 400)
	var er api.ErrorResponse
	r.json(t, &er)
	if body := er.Error; body.Field != "rules[0].when" || !strings.Contains(body.Message, "(1:") {
		t.Errorf("error %+v", body)
	}
	e.call("PUT", "/api/v1/classification-rules", `{"rules":[{"name":"x","set":{"service":"nope"}}]}`).want(t, 400)
	e.call("PUT", "/api/v1/classification-rules", `{"rules":[],"extra":1}`).want(t, 400)

	var set vigil.ClassificationRuleSet
	e.call("PUT", "/api/v1/classification-rules", `{"time_zone":"Europe/Berlin","rules":[
		{"name":"prod-down","when":"labels.env == \"prod\" && severity == \"critical\"","set":{"sev":"SEV1","priority":"P1","type":"outage"}},
		{"name":"dev","when":"labels.env == \"dev\"","set":{"suppress":true}}]}`).want(t, 200).json(t, &set)
	if set.Version != 1 || len(set.Rules) != 2 {
		t.Fatalf("saved %+v", set)
	}
	e.call("PUT", "/api/v1/classification-rules", `{"version":7,"rules":[]}`).want(t, 409)

	// Route test of a native payload on the key: nothing is stored.
	var rt api.RouteTestResponse
	e.call("POST", "/api/v1/route-test", `{"integration_key_id":{keyid},"payload":{"dedup_key":"db","summary":"db down","severity":"critical","labels":{"env":"prod"}}}`).
		want(t, 200).json(t, &rt)
	if len(rt.Runs) != 1 || rt.Runs[0].Rules.Level != "SEV1" || !rt.Runs[0].Result.IncidentNew ||
		!strings.Contains(strings.Join(rt.Runs[0].Decisions, "|"), "Rules: sev SEV1 set by rule 'prod-down'") {
		t.Errorf("route test %+v", rt)
	}
	var list api.List[*vigil.Incident]
	e.call("GET", "/api/v1/incidents", "").want(t, 200).json(t, &list)
	if list.Total != 0 {
		t.Fatalf("the route test stored %d incidents", list.Total)
	}
	e.call("POST", "/api/v1/route-test", `{"payload":{"dedup_key":"x"}}`).want(t, 400)
	e.call("POST", "/api/v1/route-test", `{}`).want(t, 400)
	e.call("POST", "/api/v1/route-test", `{"alert_id":999}`).want(t, 400)

	// Ingest applies the rules.
	var res vigil.EventResult
	e.ingest(`{"dedup_key":"db","summary":"db down","severity":"critical","labels":{"env":"prod"}}`).want(t, 202).json(t, &res)
	var inc api.IncidentDetail
	e.call("GET", "/api/v1/incidents/"+itoa(res.IncidentID), "").want(t, 200).json(t, &inc)
	if inc.Level != "SEV1" || inc.Priority != "P1" || inc.Type != "outage" {
		t.Errorf("incident %+v", inc.Incident)
	}
	res = vigil.EventResult{}
	e.ingest(`{"dedup_key":"dev1","summary":"dev box","labels":{"env":"dev"}}`).want(t, 202).json(t, &res)
	if res.SuppressedBy != "dev" || res.IncidentID != 0 {
		t.Errorf("suppressed %+v", res)
	}
	// The stored alert replays through the route test.
	e.call("POST", "/api/v1/route-test", `{"alert_id":`+itoa(res.AlertID)+`}`).want(t, 200).json(t, &rt)
	if len(rt.Runs) != 1 || rt.Runs[0].Result.SuppressedBy != "dev" {
		t.Errorf("replay %+v", rt.Runs)
	}

	// Back-test: dropping the dev rule would page for the dev alert.
	var bt vigil.BackTestResult
	e.call("POST", "/api/v1/classification-rules/backtest", `{"rules":[{"name":"prod-down","when":"labels.env == \"prod\" && severity == \"critical\"","set":{"sev":"SEV1","priority":"P1","type":"outage"}}]}`).
		want(t, 200).json(t, &bt)
	if bt.Alerts != 2 || bt.PagesAdded != 1 || bt.PagesRemoved != 0 || len(bt.Changes) != 1 || bt.Changes[0].DedupKey != "dev1" {
		t.Errorf("back-test %+v", bt)
	}
	e.call("POST", "/api/v1/classification-rules/backtest", `{"rules":[],"time_zone":"Nowhere/Land"}`).want(t, 400)
}
