package client

import (
	"context"
	"net/http"
	"strconv"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// InhibitRuleInput is an inhibition rule to create or replace (POST
// /api/v1/inhibit-rules, PUT …/{id}).
type InhibitRuleInput struct {
	Name           string   `json:"name"`
	SourceMatchers []string `json:"source_matchers"`
	TargetMatchers []string `json:"target_matchers"`
	Equal          []string `json:"equal,omitempty"`
}

func rulePath(id int64) string { return "/api/v1/inhibit-rules/" + strconv.FormatInt(id, 10) }

// ListInhibitRules lists every rule by name.
func (c *Client) ListInhibitRules(ctx context.Context) ([]*vigil.InhibitRule, error) {
	return getItems[*vigil.InhibitRule](ctx, c, "/api/v1/inhibit-rules", nil)
}

// CreateInhibitRule creates a rule. CodeInvalid naming the field,
// CodeConflict (name taken).
func (c *Client) CreateInhibitRule(ctx context.Context, in InhibitRuleInput) (*vigil.InhibitRule, error) {
	return send[vigil.InhibitRule](ctx, c, http.MethodPost, "/api/v1/inhibit-rules", in)
}

// GetInhibitRule returns one rule. CodeNotFound.
func (c *Client) GetInhibitRule(ctx context.Context, id int64) (*vigil.InhibitRule, error) {
	var out vigil.InhibitRule
	if err := c.do(ctx, http.MethodGet, rulePath(id), nil, c.token, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// UpdateInhibitRule replaces a rule. CodeNotFound, CodeInvalid.
func (c *Client) UpdateInhibitRule(ctx context.Context, id int64, in InhibitRuleInput) (*vigil.InhibitRule, error) {
	return send[vigil.InhibitRule](ctx, c, http.MethodPut, rulePath(id), in)
}

// DeleteInhibitRule deletes a rule; the alerts it muted page. CodeNotFound.
func (c *Client) DeleteInhibitRule(ctx context.Context, id int64) error {
	return c.do(ctx, http.MethodDelete, rulePath(id), nil, c.token, nil, nil)
}
