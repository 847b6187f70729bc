package api

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/vigil-oss/vigil/internal/mapping"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// Classification and routing rules, their back-test and the route test
// (a dry run of ingest).

// ClassificationRulesInput is the body of PUT /api/v1/classification-rules.
type ClassificationRulesInput struct {
	TimeZone string                     `json:"time_zone,omitempty"`
	Rules    []vigil.ClassificationRule `json:"rules"`
	// Version, when set, must be the version being replaced (409
	// otherwise), so two editors do not overwrite each other.
	Version int64 `json:"version,omitempty"`
}

// RouteTestRequest is the body of POST /api/v1/route-test: a sender's
// payload (in any ingest format, through an integration key's mapping
// rules when one is named), or a stored alert, and when to run it.
type RouteTestRequest struct {
	Format  string          `json:"format,omitempty"` // native (default), alertmanager, alertmanager-api, pagerduty, pagerduty-v1, opsgenie
	Payload json.RawMessage `json:"payload,omitempty"`
	// IntegrationKeyID names the key the payload arrives on (its service
	// and mapping rules); ServiceID a service, without mapping rules.
	IntegrationKeyID int64 `json:"integration_key_id,omitempty"`
	ServiceID        int64 `json:"service_id,omitempty"`
	// AlertID replays a stored alert instead of a payload.
	AlertID int64      `json:"alert_id,omitempty"`
	At      *time.Time `json:"at,omitempty"`
}

// RouteTestResponse is every decision per event of the payload.
type RouteTestResponse = mapping.RouteTestResult

func (a *API) classificationRoutes() []Route {
	tok := func(method, pattern, summary string, req, resp any, status int, h handlerFunc) Route {
		return Route{Method: method, Pattern: pattern, Auth: AuthToken, Summary: summary,
			Request: req, Response: resp, Status: status, Handler: a.handle(h)}
	}
	return []Route{
		tok("GET", "/api/v1/classification-rules", "The classification and routing rules, with the rules that failed on alerts since the last save",
			nil, &vigil.ClassificationRuleSet{}, http.StatusOK, a.getClassificationRules),
		tok("PUT", "/api/v1/classification-rules", "Replace the classification and routing rules (checked first: expressions, names, zone)",
			ClassificationRulesInput{}, &vigil.ClassificationRuleSet{}, http.StatusOK, a.setClassificationRules),
		tok("POST", "/api/v1/classification-rules/backtest", "Replay stored alerts through a changed rule set and show what would change; saves nothing",
			vigil.BackTestInput{}, &vigil.BackTestResult{}, http.StatusOK, a.backTestRules),
		tok("POST", "/api/v1/route-test", "Dry-run a payload or a stored alert: rules, dedup, holds, grouping and who would be paged when; stores nothing",
			RouteTestRequest{}, RouteTestResponse{}, http.StatusOK, a.routeTest),
	}
}

func (a *API) getClassificationRules(w http.ResponseWriter, r *http.Request) error {
	set, err := a.store.ClassificationRules(r.Context())
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, set)
	return nil
}

func (a *API) setClassificationRules(w http.ResponseWriter, r *http.Request) error {
	var in ClassificationRulesInput
	if err := decodeStrict(w, r, &in); err != nil {
		return err
	}
	set, err := a.store.SetClassificationRules(r.Context(), vigil.ClassificationRuleSet{TimeZone: in.TimeZone, Rules: in.Rules}, in.Version)
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, set)
	return nil
}

func (a *API) backTestRules(w http.ResponseWriter, r *http.Request) error {
	var in vigil.BackTestInput
	if err := decodeStrict(w, r, &in); err != nil {
		return err
	}
	res, err := a.store.BackTestRules(r.Context(), in)
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, res)
	return nil
}

func (a *API) routeTest(w http.ResponseWriter, r *http.Request) error {
	var in RouteTestRequest
	if err := decodeStrict(w, r, &in); err != nil {
		return err
	}
	ctx := r.Context()
	t := mapping.RouteTest{Format: in.Format, Payload: in.Payload, IntegrationKeyID: in.IntegrationKeyID,
		ServiceID: in.ServiceID, AlertID: in.AlertID}
	if in.At != nil {
		t.At = *in.At
	}
	out, err := mapping.RunRouteTest(ctx, a.store, t, a.clock.Now(), a.serviceResolver(ctx))
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, out)
	return nil
}
