package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// IncidentQuery selects incidents. Zero fields do not filter.
type IncidentQuery struct {
	Statuses  []string // any of: triggered, acknowledged, resolved
	ServiceID int64
	Severity  vigil.Severity
	Since     time.Time // created at or after
	Until     time.Time // created before
	Query     string    // text in the title
	Offset    int
	Limit     int // 0: the server's default page size
}

func (q IncidentQuery) values() url.Values {
	v := url.Values{}
	if len(q.Statuses) > 0 {
		v.Set("status", strings.Join(q.Statuses, ","))
	}
	if q.ServiceID != 0 {
		v.Set("service_id", strconv.FormatInt(q.ServiceID, 10))
	}
	if q.Severity != "" {
		v.Set("severity", string(q.Severity))
	}
	if !q.Since.IsZero() {
		v.Set("since", q.Since.UTC().Format(time.RFC3339Nano))
	}
	if !q.Until.IsZero() {
		v.Set("until", q.Until.UTC().Format(time.RFC3339Nano))
	}
	if q.Query != "" {
		v.Set("q", q.Query)
	}
	page(v, q.Offset, q.Limit)
	return v
}

// ListIncidents lists incidents, newest first, with the total matching count.
func (c *Client) ListIncidents(ctx context.Context, q IncidentQuery) ([]*vigil.Incident, int, error) {
	var out list[*vigil.Incident]
	if err := c.do(ctx, http.MethodGet, "/api/v1/incidents", q.values(), c.token, nil, &out); err != nil {
		return nil, 0, err
	}
	return nonNil(out.Items), out.Total, nil
}

// GetIncident returns an incident and its alerts. CodeNotFound.
func (c *Client) GetIncident(ctx context.Context, incidentID int64) (*vigil.Incident, []*vigil.Alert, error) {
	var out struct {
		vigil.Incident
		Alerts []*vigil.Alert `json:"alerts"`
	}
	if err := c.do(ctx, http.MethodGet, incidentPath(incidentID), nil, c.token, nil, &out); err != nil {
		return nil, nil, err
	}
	inc := out.Incident
	return &inc, nonNil(out.Alerts), nil
}

// DeclareIncident opens an incident by hand. CodeInvalid, CodeNotFound
// (service).
func (c *Client) DeclareIncident(ctx context.Context, d vigil.IncidentDeclaration) (*vigil.Incident, error) {
	var out vigil.Incident
	if err := c.do(ctx, http.MethodPost, "/api/v1/incidents", nil, c.token, d, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// AcknowledgeIncident acknowledges a triggered incident; again changes
// nothing. CodeNotFound, CodeConflict (resolved).
func (c *Client) AcknowledgeIncident(ctx context.Context, incidentID int64) (*vigil.Incident, error) {
	return c.incidentAction(ctx, incidentID, "acknowledge")
}

// ResolveIncident resolves an incident and its firing alerts; again changes
// nothing. CodeNotFound.
func (c *Client) ResolveIncident(ctx context.Context, incidentID int64) (*vigil.Incident, error) {
	return c.incidentAction(ctx, incidentID, "resolve")
}

// ReopenIncident moves a resolved incident back to triggered. CodeNotFound,
// CodeConflict (not resolved).
func (c *Client) ReopenIncident(ctx context.Context, incidentID int64) (*vigil.Incident, error) {
	return c.incidentAction(ctx, incidentID, "reopen")
}

func (c *Client) incidentAction(ctx context.Context, incidentID int64, action string) (*vigil.Incident, error) {
	var out vigil.Incident
	if err := c.do(ctx, http.MethodPost, incidentPath(incidentID)+"/"+action, nil, c.token, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// UpdateIncident changes an incident's title or severity (nil fields stay).
// CodeNotFound, CodeInvalid.
func (c *Client) UpdateIncident(ctx context.Context, incidentID int64, u vigil.IncidentUpdate) (*vigil.Incident, error) {
	var out vigil.Incident
	if err := c.do(ctx, http.MethodPatch, incidentPath(incidentID), nil, c.token, u, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// AddNote appends a note to an incident's timeline. CodeNotFound,
// CodeInvalid (empty).
func (c *Client) AddNote(ctx context.Context, incidentID int64, body string) (*vigil.TimelineEntry, error) {
	in := struct {
		Body string `json:"body"`
	}{body}
	var out vigil.TimelineEntry
	if err := c.do(ctx, http.MethodPost, incidentPath(incidentID)+"/notes", nil, c.token, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Timeline returns an incident's timeline, oldest first. CodeNotFound.
func (c *Client) Timeline(ctx context.Context, incidentID int64) ([]*vigil.TimelineEntry, error) {
	var out list[*vigil.TimelineEntry]
	if err := c.do(ctx, http.MethodGet, incidentPath(incidentID)+"/timeline", nil, c.token, nil, &out); err != nil {
		return nil, err
	}
	return nonNil(out.Items), nil
}

func incidentPath(incidentID int64) string { return "/api/v1/incidents/" + id(incidentID) }
