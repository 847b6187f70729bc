package api

import (
	"encoding/json"
	"net/http"

	"github.com/vigil-oss/vigil/internal/ingest/alertmanager"
	"github.com/vigil-oss/vigil/internal/ingest/opsgenie"
	"github.com/vigil-oss/vigil/internal/ingest/pagerduty"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// PreviewRequest asks what a sender's payload would become, without
// storing anything.
type PreviewRequest struct {
	// Format is one of native, alertmanager, pagerduty (Events v2),
	// pagerduty-v1 and opsgenie (alert create).
	Format  string          `json:"format"`
	Payload json.RawMessage `json:"payload"`
}

// PreviewEvent is one event the payload would send, with the incident
// grouping key an adapter sets.
type PreviewEvent struct {
	*vigil.Event
	GroupKey string `json:"group_key,omitempty"`
}

// PreviewError is one part of the payload that would be refused.
type PreviewError struct {
	Index   int    `json:"index"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

// PreviewResponse lists the events and the refusals.
type PreviewResponse struct {
	Format string         `json:"format"`
	Events []PreviewEvent `json:"events"`
	Errors []PreviewError `json:"errors"`
}

// previewEvents decodes a payload with the decoder of its format, exactly
// as the ingest endpoint would, and stores nothing.
func (a *API) previewEvents(w http.ResponseWriter, r *http.Request) error {
	var in PreviewRequest
	if err := decodeStrict(w, r, &in); err != nil {
		return err
	}
	if len(in.Payload) == 0 {
		return vigil.FieldError("payload", "is required")
	}
	out := PreviewResponse{Format: in.Format, Events: []PreviewEvent{}, Errors: []PreviewError{}}
	add := func(e *vigil.Event) { out.Events = append(out.Events, PreviewEvent{Event: e, GroupKey: e.GroupKey}) }
	fail := func(i int, err error) {
		out.Errors = append(out.Errors, PreviewError{Index: i, Field: vigil.ErrorField(err), Message: vigil.ErrorMessage(err)})
	}
	body := []byte(in.Payload)
	switch in.Format {
	case "native":
		events, itemErrs, _, err := DecodeNativeEvents(body)
		if err != nil {
			fail(0, err)
			break
		}
		for i, e := range events {
			if i < len(itemErrs) && itemErrs[i] != nil {
				fail(i, itemErrs[i])
			} else if e != nil {
				add(e)
			}
		}
	case "alertmanager":
		_, events, itemErrs, err := alertmanager.DecodeWebhook(body)
		if err != nil {
			fail(0, err)
			break
		}
		for _, e := range events {
			if e != nil {
				add(e)
			}
		}
		for _, ie := range itemErrs {
			out.Errors = append(out.Errors, PreviewError{Index: ie.Index, Field: ie.Field, Message: ie.Message})
		}
	case "pagerduty", "pagerduty-v1":
		decode := pagerduty.DecodeV2
		if in.Format == "pagerduty-v1" {
			decode = pagerduty.DecodeV1
		}
		req, err := decode(body)
		if err != nil {
			fail(0, err)
			break
		}
		for _, msg := range req.Errors {
			out.Errors = append(out.Errors, PreviewError{Message: msg})
		}
		if req.Event != nil {
			add(req.Event)
		}
	case "opsgenie":
		_, e, err := opsgenie.DecodeCreate(body)
		if err != nil {
			fail(0, err)
			break
		}
		add(e)
	default:
		return vigil.FieldError("format", "must be one of native, alertmanager, pagerduty, pagerduty-v1, opsgenie")
	}
	WriteJSON(w, http.StatusOK, out)
	return nil
}
