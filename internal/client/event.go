package client

import (
	"context"
	"fmt"
	"net/http"

	"github.com/vigil-oss/vigil/internal/vigil"
)

const eventsPath = "/api/v1/events"

// SendEvent posts one event with an integration key as the credential (the
// client's API token is not used). CodeUnauthorized (unknown or revoked
// key), CodeInvalid with the field at fault.
func (c *Client) SendEvent(ctx context.Context, integrationKey string, ev vigil.Event) (vigil.EventResult, error) {
	var out vigil.EventResult
	err := c.do(ctx, http.MethodPost, eventsPath, nil, integrationKey, ev, &out)
	return out, err
}

// SendServiceEvent posts one event to a service with the client's API
// token, which needs the ingest scope (or admin): for senders that hold a
// token rather than a service's integration key. No key's mapping rules
// apply. CodeNotFound (no such service), CodeForbidden (no ingest scope).
func (c *Client) SendServiceEvent(ctx context.Context, serviceID int64, ev vigil.Event) (vigil.EventResult, error) {
	var out vigil.EventResult
	err := c.do(ctx, http.MethodPost, "/api/v1/services/"+id(serviceID)+"/events", nil, c.token, ev, &out)
	return out, err
}

// BatchResult is the outcome of one event of a batch: Err is nil and the
// embedded EventResult is set when it was applied, Err is a *vigil.Error
// when it was refused.
type BatchResult struct {
	Index int
	vigil.EventResult
	Err error
}

// SendEvents posts a batch of events with an integration key. The error is
// for the request as a whole; each event's own outcome is in its
// BatchResult, in the order of events.
func (c *Client) SendEvents(ctx context.Context, integrationKey string, events []vigil.Event) ([]BatchResult, error) {
	if events == nil {
		events = []vigil.Event{}
	}
	var out struct {
		Results []struct {
			Index *int `json:"index"`
			vigil.EventResult
			Error *wireError `json:"error"`
		} `json:"results"`
	}
	if err := c.do(ctx, http.MethodPost, eventsPath, nil, integrationKey, events, &out); err != nil {
		return nil, err
	}
	res := make([]BatchResult, len(out.Results))
	for i, r := range out.Results {
		idx := i
		if r.Index != nil {
			idx = *r.Index
		}
		res[i] = BatchResult{Index: idx, EventResult: r.EventResult}
		if r.Error != nil {
			res[i].EventResult = vigil.EventResult{}
			res[i].Err = r.Error.domain()
		}
	}
	if len(res) != len(events) {
		return res, fmt.Errorf("POST %s: sent %d events, got %d results", eventsPath, len(events), len(res))
	}
	return res, nil
}
