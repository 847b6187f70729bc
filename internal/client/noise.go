package client

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// SetIncidentFeedback marks an incident "noise" or "actionable", or clears
// the verdict with "". CodeInvalid, CodeNotFound.
func (c *Client) SetIncidentFeedback(ctx context.Context, incidentID int64, verdict string) (*vigil.IncidentFeedback, error) {
	var out vigil.IncidentFeedback
	in := map[string]string{"verdict": verdict}
	if err := c.do(ctx, http.MethodPut, incidentPath(incidentID)+"/feedback", nil, c.token, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetIncidentFeedback returns the verdict on an incident. CodeNotFound.
func (c *Client) GetIncidentFeedback(ctx context.Context, incidentID int64) (*vigil.IncidentFeedback, error) {
	var out vigil.IncidentFeedback
	if err := c.do(ctx, http.MethodGet, incidentPath(incidentID)+"/feedback", nil, c.token, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// NoiseReport fetches the noise report; zero times and "" take the
// server's defaults (the last 7 days, UTC). CodeInvalid.
func (c *Client) NoiseReport(ctx context.Context, since, until time.Time, tz string) (*vigil.NoiseReport, error) {
	v := url.Values{}
	if !since.IsZero() {
		v.Set("since", since.UTC().Format(time.RFC3339Nano))
	}
	if !until.IsZero() {
		v.Set("until", until.UTC().Format(time.RFC3339Nano))
	}
	if tz != "" {
		v.Set("tz", tz)
	}
	var out vigil.NoiseReport
	if err := c.do(ctx, http.MethodGet, "/api/v1/reports/noise", v, c.token, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
