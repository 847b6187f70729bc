package client

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// PreviewEvent is one event a payload would send.
type PreviewEvent struct {
	vigil.Event
	GroupKey string `json:"group_key,omitempty"`
}

// PreviewError is one part of a payload that would be refused.
type PreviewError struct {
	Index   int    `json:"index"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

// Preview is what a sender's payload would become.
type Preview struct {
	Format string         `json:"format"`
	Events []PreviewEvent `json:"events"`
	Errors []PreviewError `json:"errors"`
}

// PreviewEvents asks the server what payload, read as format (native,
// alertmanager, pagerduty, pagerduty-v1, opsgenie), would become. Nothing
// is stored.
func (c *Client) PreviewEvents(ctx context.Context, format string, payload json.RawMessage) (*Preview, error) {
	var out Preview
	in := struct {
		Format  string          `json:"format"`
		Payload json.RawMessage `json:"payload"`
	}{format, payload}
	if err := c.do(ctx, http.MethodPost, "/api/v1/integrations/preview", nil, c.token, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
