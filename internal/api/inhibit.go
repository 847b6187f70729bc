package api

import (
	"net/http"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// Inhibition rules (/api/v1/inhibit-rules, API tokens), as Alertmanager's
// inhibit_rules: while an alert matching the source matchers fires, new
// alerts matching the target matchers that share the equal labels are
// stored muted (naming the rule and the source alert) and page no one;
// when the source stops firing, those still firing page.

// InhibitRuleInput is the body of POST /api/v1/inhibit-rules and of PUT
// /api/v1/inhibit-rules/{id}.
type InhibitRuleInput struct {
	Name string `json:"name"`
	// SourceMatchers and TargetMatchers are Alertmanager matchers
	// (alertname="ClusterDown", instance=~"db-.*"), all of which must
	// match; at least one source matcher must need a value.
	SourceMatchers []string `json:"source_matchers"`
	TargetMatchers []string `json:"target_matchers"`
	// Equal lists labels that source and target must have alike (absent
	// on both counts as alike).
	Equal []string `json:"equal,omitempty"`
}

func (a *API) inhibitRoutes() []Route {
	tok := func(method, pattern, summary string, req, resp any, status int, h handlerFunc) Route {
		return Route{Method: method, Pattern: pattern, Auth: AuthToken, Summary: summary,
			Request: req, Response: resp, Status: status, Handler: a.handle(h)}
	}
	const one = "/api/v1/inhibit-rules/{id}"
	return []Route{
		tok("GET", "/api/v1/inhibit-rules", "List inhibition rules by name", nil, Items[*vigil.InhibitRule]{}, http.StatusOK,
			listOf(a, (vigil.Store).ListInhibitRules)),
		tok("POST", "/api/v1/inhibit-rules", "Create an inhibition rule: while a source alert fires, new target alerts sharing the equal labels page no one",
			InhibitRuleInput{}, &vigil.InhibitRule{}, http.StatusCreated, createFrom(a, inhibitRuleFrom, (vigil.Store).CreateInhibitRule)),
		tok("GET", one, "Get an inhibition rule", nil, &vigil.InhibitRule{}, http.StatusOK, getByID(a, (vigil.Store).FindInhibitRule)),
		tok("PUT", one, "Replace an inhibition rule; the alerts it mutes are checked again at once",
			InhibitRuleInput{}, &vigil.InhibitRule{}, http.StatusOK, replaceByID(a, inhibitRuleFrom, (vigil.Store).UpdateInhibitRule)),
		tok("DELETE", one, "Delete an inhibition rule; the alerts it muted page unless something else holds them",
			nil, nil, http.StatusNoContent, deleteByID(a, (vigil.Store).DeleteInhibitRule)),
	}
}

func inhibitRuleFrom(in InhibitRuleInput, id int64) (*vigil.InhibitRule, error) {
	return &vigil.InhibitRule{ID: id, Name: in.Name, Source: in.SourceMatchers, Target: in.TargetMatchers, Equal: in.Equal}, nil
}
