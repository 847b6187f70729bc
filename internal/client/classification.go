package client

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// ClassificationRules returns the classification and routing rules, with
// the rules broken since the last save.
func (c *Client) ClassificationRules(ctx context.Context) (*vigil.ClassificationRuleSet, error) {
	var out vigil.ClassificationRuleSet
	if err := c.do(ctx, http.MethodGet, "/api/v1/classification-rules", nil, c.token, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// SetClassificationRules replaces the rules. version, when not zero, must
// be the version replaced (CodeConflict otherwise). The server checks the
// rules first: CodeInvalid naming the field ("rules[2].when").
func (c *Client) SetClassificationRules(ctx context.Context, zone string, rules []vigil.ClassificationRule, version int64) (*vigil.ClassificationRuleSet, error) {
	in := struct {
		TimeZone string                     `json:"time_zone,omitempty"`
		Rules    []vigil.ClassificationRule `json:"rules"`
		Version  int64                      `json:"version,omitempty"`
	}{zone, nonNil(rules), version}
	var out vigil.ClassificationRuleSet
	if err := c.do(ctx, http.MethodPut, "/api/v1/classification-rules", nil, c.token, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// BackTestRules replays stored alerts through changed rules.
func (c *Client) BackTestRules(ctx context.Context, in vigil.BackTestInput) (*vigil.BackTestResult, error) {
	in.Rules = nonNil(in.Rules)
	var out vigil.BackTestResult
	if err := c.do(ctx, http.MethodPost, "/api/v1/classification-rules/backtest", nil, c.token, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// RouteTest is a route test's request: a payload in a format on an
// integration key (or a service), or a stored alert, at a time (zero:
// now).
type RouteTest struct {
	Format           string          `json:"format,omitempty"`
	Payload          json.RawMessage `json:"payload,omitempty"`
	IntegrationKeyID int64           `json:"integration_key_id,omitempty"`
	ServiceID        int64           `json:"service_id,omitempty"`
	AlertID          int64           `json:"alert_id,omitempty"`
	At               *time.Time      `json:"at,omitempty"`
}

// RouteTestResult is a route test's answer: the mapping preview of the
// payload (when one was given) and one dry run per trigger.
type RouteTestResult struct {
	Mapping *Preview        `json:"mapping,omitempty"`
	Runs    []*vigil.DryRun `json:"runs"`
}

// RouteTest dry-runs a payload or a stored alert; nothing is stored.
func (c *Client) RouteTest(ctx context.Context, in RouteTest) (*RouteTestResult, error) {
	var out RouteTestResult
	if err := c.do(ctx, http.MethodPost, "/api/v1/route-test", nil, c.token, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
