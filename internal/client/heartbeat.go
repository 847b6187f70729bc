package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// HeartbeatCreate is a new heartbeat: the body of POST
// /api/v1/services/{id}/heartbeats.
type HeartbeatCreate struct {
	Name         string `json:"name"`
	Description  string `json:"description,omitempty"`
	Interval     int    `json:"interval"`
	IntervalUnit string `json:"interval_unit"` // minutes, hours or days
	// Enabled nil leaves it to the server (on).
	Enabled       *bool    `json:"enabled,omitempty"`
	AlertMessage  string   `json:"alert_message,omitempty"`
	AlertTags     []string `json:"alert_tags,omitempty"`
	AlertPriority string   `json:"alert_priority,omitempty"` // P1..P5, default P3
}

// ListHeartbeats lists a service's heartbeats by name with their total.
// CodeNotFound (service).
func (c *Client) ListHeartbeats(ctx context.Context, serviceID int64, offset, limit int) ([]*vigil.Heartbeat, int, error) {
	v := url.Values{}
	page(v, offset, limit)
	var out list[*vigil.Heartbeat]
	if err := c.do(ctx, http.MethodGet, serviceHeartbeatsPath(serviceID), v, c.token, nil, &out); err != nil {
		return nil, 0, err
	}
	return nonNil(out.Items), out.Total, nil
}

// CreateHeartbeat creates a heartbeat on a service; its countdown starts
// now. CodeInvalid, CodeNotFound (service), CodeConflict (name taken).
func (c *Client) CreateHeartbeat(ctx context.Context, serviceID int64, h HeartbeatCreate) (*vigil.Heartbeat, error) {
	var out vigil.Heartbeat
	if err := c.do(ctx, http.MethodPost, serviceHeartbeatsPath(serviceID), nil, c.token, h, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetHeartbeat returns one heartbeat. CodeNotFound.
func (c *Client) GetHeartbeat(ctx context.Context, heartbeatID int64) (*vigil.Heartbeat, error) {
	var out vigil.Heartbeat
	if err := c.do(ctx, http.MethodGet, heartbeatPath(heartbeatID), nil, c.token, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// UpdateHeartbeat applies a partial update (nil fields stay as they are).
// CodeNotFound, CodeInvalid, CodeConflict.
func (c *Client) UpdateHeartbeat(ctx context.Context, heartbeatID int64, u vigil.HeartbeatUpdate) (*vigil.Heartbeat, error) {
	var out vigil.Heartbeat
	if err := c.do(ctx, http.MethodPatch, heartbeatPath(heartbeatID), nil, c.token, u, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteHeartbeat deletes a heartbeat (resolving its expiry alert).
// CodeNotFound.
func (c *Client) DeleteHeartbeat(ctx context.Context, heartbeatID int64) error {
	return c.do(ctx, http.MethodDelete, heartbeatPath(heartbeatID), nil, c.token, nil, nil)
}

// PingHeartbeat pings a heartbeat by ID with the API token. CodeNotFound.
func (c *Client) PingHeartbeat(ctx context.Context, heartbeatID int64) (*vigil.Heartbeat, error) {
	var out vigil.Heartbeat
	if err := c.do(ctx, http.MethodPost, heartbeatPath(heartbeatID)+"/ping", nil, c.token, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// PingHeartbeatByName pings the heartbeat name of the integration key's
// service, as a job would, through Opsgenie's ping endpoint. Its errors
// come in Opsgenie's envelope ({"message": ...}) and are turned into
// *vigil.Error: CodeNotFound, CodeUnauthorized, ...
func (c *Client) PingHeartbeatByName(ctx context.Context, integrationKey, name string) error {
	path := "/v2/heartbeats/" + url.PathEscape(name) + "/ping"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.baseURL+path, nil)
	if err != nil {
		return fmt.Errorf("POST %s: %w", path, err)
	}
	req.Header.Set("Authorization", "GenieKey "+integrationKey)
	req.Header.Set("Accept", "application/json")
	if c.userAgent != "" {
		req.Header.Set("User-Agent", c.userAgent)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("POST %s: %w", c.baseURL+path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		return nil
	}
	var og struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(b, &og) == nil && strings.TrimSpace(og.Message) != "" {
		return &vigil.Error{Code: codeForStatus(resp.StatusCode), Message: og.Message}
	}
	return &vigil.Error{Code: codeForStatus(resp.StatusCode), Message: fmt.Sprintf("HTTP %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))}
}

func serviceHeartbeatsPath(serviceID int64) string {
	return "/api/v1/services/" + id(serviceID) + "/heartbeats"
}

func heartbeatPath(heartbeatID int64) string { return "/api/v1/heartbeats/" + id(heartbeatID) }
