package client

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// PreviewEvent is one event a payload would send, after the key's mapping
// rules when the preview named a key.
type PreviewEvent struct {
	vigil.Event
	GroupKey string `json:"group_key,omitempty"`
	// Service is the service a rule moved the event to.
	Service string `json:"service,omitempty"`
	// Rules say which rules ran, matched, and what each changed.
	Rules []PreviewRule `json:"rules,omitempty"`
	// MappingError says why the rules were not applied (the event would
	// be stored as decoded).
	MappingError string `json:"mapping_error,omitempty"`
}

// PreviewRule is what one mapping rule did to a previewed event.
type PreviewRule struct {
	Rule    int    `json:"rule"`
	Name    string `json:"name"`
	Matched bool   `json:"matched"`
	Stopped bool   `json:"stopped,omitempty"`
	Changes []struct {
		Field string `json:"field"`
		From  string `json:"from,omitempty"`
		To    string `json:"to"`
	} `json:"changes,omitempty"`
	Error string `json:"error,omitempty"`
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
	return c.PreviewEventsForKey(ctx, 0, format, payload)
}

// PreviewEventsForKey is PreviewEvents with the mapping rules of the
// integration key keyID applied (0: none).
func (c *Client) PreviewEventsForKey(ctx context.Context, keyID int64, format string, payload json.RawMessage) (*Preview, error) {
	var out Preview
	in := struct {
		Format           string          `json:"format"`
		Payload          json.RawMessage `json:"payload"`
		IntegrationKeyID int64           `json:"integration_key_id,omitempty"`
	}{format, payload, keyID}
	if err := c.do(ctx, http.MethodPost, "/api/v1/integrations/preview", nil, c.token, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
