package api

import (
	"net/http"

	"github.com/vigil-oss/vigil/internal/auth"
	"github.com/vigil-oss/vigil/internal/ingest/native"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// FormatNative is the metrics label of Vigil's own ingest format.
const FormatNative = "native"

// NativeEvent documents the body of POST /api/v1/events in the OpenAPI
// document; internal/ingest/native decodes it.
type NativeEvent native.Event

// BatchItem is the result of one event of a batch: the EventResult, or the
// error that refused the event.
type BatchItem struct {
	Index int `json:"index"`
	*vigil.EventResult
	Error *ErrorBody `json:"error,omitempty"`
}

// BatchResponse answers a batch: one result per event, in order. When no
// event was accepted the answer is 400 and Error says so.
type BatchResponse struct {
	Error   *ErrorBody  `json:"error,omitempty"`
	Results []BatchItem `json:"results"`
}

// ingestNative serves POST /api/v1/events. Valid events of a batch are
// stored in one ProcessEvents call; invalid ones are reported per item.
// The answer is 202 only once the store has committed.
func (a *API) ingestNative(w http.ResponseWriter, r *http.Request) error {
	key := IntegrationKeyFrom(r.Context())
	if key == nil {
		// Mounted without IntegrationAuth: a wiring bug, never a 2xx.
		return vigil.Errorf(vigil.CodeInternal, "ingest route mounted without integration key authentication")
	}
	return a.ingestNativeTo(w, r, key.ServiceID, key)
}

// ingestServiceEvents serves POST /api/v1/services/{id}/events: the
// native format sent with an API token of the ingest scope (or admin)
// instead of an integration key. The path names the service; no key's
// mapping rules apply. Each token has its own rate limit bucket.
func (a *API) ingestServiceEvents(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if _, err := a.store.FindServiceByID(r.Context(), id); err != nil {
		return err
	}
	if err := a.limiter.admit(tokenBucket(auth.PrincipalFromContext(r.Context())), a.clock.Now()); err != nil {
		a.metrics.CountIngest(FormatNative, IngestRateLimited, 1)
		return err
	}
	return a.ingestNativeTo(w, r, id, nil)
}

// tokenBucket is the rate limit bucket of an API token (this route takes
// tokens only): negative, so it never shares an integration key's (whose
// IDs are positive).
func tokenBucket(p auth.Principal) int64 { return -p.Token }

// ingestNativeTo stores the native events of r's body for serviceID,
// through key's mapping rules when the events came with one.
func (a *API) ingestNativeTo(w http.ResponseWriter, r *http.Request, serviceID int64, key *vigil.IntegrationKey) error {
	body, err := ReadJSONBody(w, r)
	if err != nil {
		a.metrics.CountIngest(FormatNative, ingestResult(err), 1)
		return err
	}
	events, itemErrs, batch, err := native.DecodeEvents(body)
	if err != nil {
		a.metrics.CountIngest(FormatNative, IngestInvalid, 1)
		return err
	}
	valid := make([]*vigil.Event, 0, len(events))
	for i, e := range events {
		if itemErrs[i] != nil {
			continue
		}
		e.ServiceID = serviceID
		if key != nil {
			e.IntegrationKeyID = &key.ID
		}
		valid = append(valid, e)
	}
	a.metrics.CountIngest(FormatNative, IngestInvalid, len(events)-len(valid))
	if key != nil {
		a.mapEvents(r.Context(), key, FormatNative, valid)
	}
	if !batch && len(valid) == 0 {
		return itemErrs[0]
	}
	var results []vigil.EventResult
	if len(valid) > 0 {
		results, err = a.store.ProcessEvents(r.Context(), valid)
		if err == nil && len(results) != len(valid) {
			err = vigil.Errorf(vigil.CodeInternal, "store answered %d results for %d events", len(results), len(valid))
		}
		if err != nil {
			a.metrics.CountIngest(FormatNative, ingestResult(err), len(valid))
			return err
		}
		a.metrics.CountIngest(FormatNative, IngestAccepted, len(valid))
		a.metrics.CountAlerts(results)
	}
	if !batch {
		WriteJSON(w, http.StatusAccepted, results[0])
		return nil
	}
	resp := BatchResponse{Results: make([]BatchItem, len(events))}
	next := 0
	for i := range events {
		resp.Results[i].Index = i
		if itemErrs[i] != nil {
			b := ErrorBodyOf(itemErrs[i])
			resp.Results[i].Error = &b
			continue
		}
		resp.Results[i].EventResult = &results[next]
		next++
	}
	status := http.StatusAccepted
	if len(valid) == 0 {
		status = http.StatusBadRequest
		resp.Error = &ErrorBody{Code: vigil.CodeInvalid, Message: "no event of the batch was accepted; see results"}
	}
	WriteJSON(w, status, resp)
	return nil
}
