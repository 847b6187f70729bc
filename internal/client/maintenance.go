package client

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// MaintenanceWindowInput is a maintenance window to create or replace
// (POST /api/v1/maintenance-windows, PUT …/{id}).
type MaintenanceWindowInput struct {
	Name string `json:"name"`
	// ServiceIDs and Matchers (Alertmanager's syntax, all must match) say
	// what the window covers; at least one is required.
	ServiceIDs []int64  `json:"service_ids,omitempty"`
	Matchers   []string `json:"matchers,omitempty"`
	// Start defaults to now. A one-off window needs End or Duration.
	Start    *time.Time      `json:"start,omitempty"`
	End      *time.Time      `json:"end,omitempty"`
	Duration *vigil.Duration `json:"duration,omitempty"`
	// Recurrence makes it weekly (End, when set, stops the repeats).
	Recurrence *vigil.WeeklyRecurrence `json:"recurrence,omitempty"`
	TimeZone   string                  `json:"time_zone,omitempty"`
	CreatedBy  string                  `json:"created_by,omitempty"`
}

func windowPath(id int64) string { return "/api/v1/maintenance-windows/" + strconv.FormatInt(id, 10) }

// ListMaintenanceWindows lists every window by name, with its state.
func (c *Client) ListMaintenanceWindows(ctx context.Context) ([]*vigil.MaintenanceWindow, error) {
	return getItems[*vigil.MaintenanceWindow](ctx, c, "/api/v1/maintenance-windows", nil)
}

// CreateMaintenanceWindow creates a window. CodeInvalid naming the field,
// CodeConflict (name taken).
func (c *Client) CreateMaintenanceWindow(ctx context.Context, in MaintenanceWindowInput) (*vigil.MaintenanceWindow, error) {
	return send[vigil.MaintenanceWindow](ctx, c, http.MethodPost, "/api/v1/maintenance-windows", in)
}

// GetMaintenanceWindow returns one window. CodeNotFound.
func (c *Client) GetMaintenanceWindow(ctx context.Context, id int64) (*vigil.MaintenanceWindow, error) {
	var out vigil.MaintenanceWindow
	if err := c.do(ctx, http.MethodGet, windowPath(id), nil, c.token, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// UpdateMaintenanceWindow replaces a window. CodeNotFound, CodeInvalid.
func (c *Client) UpdateMaintenanceWindow(ctx context.Context, id int64, in MaintenanceWindowInput) (*vigil.MaintenanceWindow, error) {
	return send[vigil.MaintenanceWindow](ctx, c, http.MethodPut, windowPath(id), in)
}

// DeleteMaintenanceWindow deletes a window; the alerts it held page.
// CodeNotFound.
func (c *Client) DeleteMaintenanceWindow(ctx context.Context, id int64) error {
	return c.do(ctx, http.MethodDelete, windowPath(id), nil, c.token, nil, nil)
}
