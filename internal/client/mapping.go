package client

import (
	"context"
	"net/http"

	"github.com/vigil-oss/vigil/internal/vigil"
)

func rulesPath(keyID int64) string { return "/api/v1/integration-keys/" + id(keyID) + "/rules" }

type mappingRules struct {
	Rules []vigil.MappingRule `json:"rules"`
}

// MappingRules returns an integration key's mapping rules. CodeNotFound.
func (c *Client) MappingRules(ctx context.Context, keyID int64) ([]vigil.MappingRule, error) {
	var out mappingRules
	if err := c.do(ctx, http.MethodGet, rulesPath(keyID), nil, c.token, nil, &out); err != nil {
		return nil, err
	}
	return nonNil(out.Rules), nil
}

// SetMappingRules replaces an integration key's mapping rules (none
// removes them) and returns them as stored. The server checks them first:
// CodeInvalid naming the field ("rules[1].set.severity"), CodeNotFound.
func (c *Client) SetMappingRules(ctx context.Context, keyID int64, rules []vigil.MappingRule) ([]vigil.MappingRule, error) {
	in := mappingRules{Rules: nonNil(rules)}
	var out mappingRules
	if err := c.do(ctx, http.MethodPut, rulesPath(keyID), nil, c.token, in, &out); err != nil {
		return nil, err
	}
	return nonNil(out.Rules), nil
}
