package api

import (
	"encoding/json"
	"net/http"

	"github.com/vigil-oss/vigil/internal/mapping"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// PreviewRequest asks what a sender's payload would become, without
// storing anything.
type PreviewRequest struct {
	// Format is one of native, alertmanager, pagerduty (Events v2),
	// pagerduty-v1 and opsgenie (alert create).
	Format  string          `json:"format"`
	Payload json.RawMessage `json:"payload"`
	// IntegrationKeyID, when set, applies that key's mapping rules.
	IntegrationKeyID int64 `json:"integration_key_id,omitempty"`
}

// The preview's answer: the events (after the key's rules, with what each
// rule did) and the refusals. internal/mapping builds it, for the web UI
// too.
type (
	PreviewResponse = mapping.Preview
	PreviewEvent    = mapping.PreviewEvent
	PreviewError    = mapping.PreviewError
)

// previewEvents decodes a payload with the decoder of its format, exactly
// as the ingest endpoint would, applies the key's rules when one is named,
// and stores nothing.
func (a *API) previewEvents(w http.ResponseWriter, r *http.Request) error {
	var in PreviewRequest
	if err := decodeStrict(w, r, &in); err != nil {
		return err
	}
	if len(in.Payload) == 0 {
		return vigil.FieldError("payload", "is required")
	}
	var rules *mapping.Rules
	if in.IntegrationKeyID != 0 {
		key, err := a.store.FindIntegrationKeyByID(r.Context(), in.IntegrationKeyID)
		if vigil.ErrorCode(err) == vigil.CodeNotFound {
			return vigil.FieldError("integration_key_id", "there is no integration key %d", in.IntegrationKeyID)
		}
		if err != nil {
			return err
		}
		if rules, err = mapping.Compile(key.Rules); err != nil {
			// Saved rules always compiled; say so if they no longer do.
			return vigil.Errorf(vigil.CodeConflict, "the key's rules no longer compile: %s", vigil.ErrorMessage(err))
		}
	}
	out, err := mapping.PreviewPayload(in.Format, in.Payload, a.clock.Now(), rules, a.serviceResolver(r.Context()))
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, out)
	return nil
}
