package client

import (
	"context"
	"net/http"
	"net/url"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// ServiceQuery selects services. Zero fields do not filter.
type ServiceQuery struct {
	Name   string
	Offset int
	Limit  int // 0: the server's default page size
}

// ListServices lists services with the total matching count.
func (c *Client) ListServices(ctx context.Context, q ServiceQuery) ([]*vigil.Service, int, error) {
	v := url.Values{}
	if q.Name != "" {
		v.Set("name", q.Name)
	}
	page(v, q.Offset, q.Limit)
	var out list[*vigil.Service]
	if err := c.do(ctx, http.MethodGet, "/api/v1/services", v, c.token, nil, &out); err != nil {
		return nil, 0, err
	}
	return nonNil(out.Items), out.Total, nil
}

// ServiceCreate is what a new service is made of: the body of POST
// /api/v1/services.
type ServiceCreate struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// Grouping decides which open incident a new alert joins; the zero
	// rule is the server's default (time, 5 minutes).
	Grouping vigil.GroupingRule `json:"grouping"`
	// AutoResolve resolves an incident when all its alerts have resolved;
	// nil leaves it to the server (on).
	AutoResolve *bool `json:"auto_resolve,omitempty"`
	// Flap is the service's flap control: nil for the server's default,
	// Changes 0 for off.
	Flap *vigil.FlapSettings `json:"flap,omitempty"`
	// AutoPause holds new alerts that long before they may page; 0 is off.
	AutoPause vigil.Duration `json:"auto_pause,omitempty"`
}

// CreateService creates a service and returns it as stored. CodeInvalid,
// CodeConflict (name taken).
func (c *Client) CreateService(ctx context.Context, s ServiceCreate) (*vigil.Service, error) {
	var out vigil.Service
	if err := c.do(ctx, http.MethodPost, "/api/v1/services", nil, c.token, s, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetService returns one service. CodeNotFound.
func (c *Client) GetService(ctx context.Context, serviceID int64) (*vigil.Service, error) {
	var out vigil.Service
	if err := c.do(ctx, http.MethodGet, "/api/v1/services/"+id(serviceID), nil, c.token, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// UpdateService applies a partial update (nil fields stay as they are).
// CodeNotFound, CodeInvalid, CodeConflict.
func (c *Client) UpdateService(ctx context.Context, serviceID int64, u vigil.ServiceUpdate) (*vigil.Service, error) {
	var out vigil.Service
	if err := c.do(ctx, http.MethodPatch, "/api/v1/services/"+id(serviceID), nil, c.token, u, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteService deletes a service. CodeNotFound; CodeConflict while it has
// incidents.
func (c *Client) DeleteService(ctx context.Context, serviceID int64) error {
	return c.do(ctx, http.MethodDelete, "/api/v1/services/"+id(serviceID), nil, c.token, nil, nil)
}

// CreateIntegrationKey mints a key for a service. The answer is the only
// time its Secret is shown. CodeNotFound (service).
func (c *Client) CreateIntegrationKey(ctx context.Context, serviceID int64, name string) (*vigil.IntegrationKey, error) {
	body := struct {
		Name string `json:"name"`
	}{name}
	var out vigil.IntegrationKey
	if err := c.do(ctx, http.MethodPost, keysPath(serviceID), nil, c.token, body, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListIntegrationKeys lists a service's keys, revoked ones included, without
// secrets. CodeNotFound (service).
func (c *Client) ListIntegrationKeys(ctx context.Context, serviceID int64) ([]*vigil.IntegrationKey, error) {
	var out list[*vigil.IntegrationKey]
	if err := c.do(ctx, http.MethodGet, keysPath(serviceID), nil, c.token, nil, &out); err != nil {
		return nil, err
	}
	return nonNil(out.Items), nil
}

// RevokeIntegrationKey revokes a key of a service; revoking twice is fine.
// CodeNotFound.
func (c *Client) RevokeIntegrationKey(ctx context.Context, serviceID, keyID int64) error {
	return c.do(ctx, http.MethodDelete, keysPath(serviceID)+"/"+id(keyID), nil, c.token, nil, nil)
}

func keysPath(serviceID int64) string {
	return "/api/v1/services/" + id(serviceID) + "/integration-keys"
}
