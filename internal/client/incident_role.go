package client

import (
	"context"
	"net/http"
	"net/url"

	"github.com/vigil-oss/vigil/internal/vigil"
)

type incidentRoles struct {
	Items []*vigil.IncidentRoleHolder `json:"items"`
}

// ListIncidentRoles lists the roles held on an incident. CodeNotFound.
func (c *Client) ListIncidentRoles(ctx context.Context, incidentID int64) ([]*vigil.IncidentRoleHolder, error) {
	var out incidentRoles
	if err := c.do(ctx, http.MethodGet, incidentPath(incidentID)+"/roles", nil, c.token, nil, &out); err != nil {
		return nil, err
	}
	return out.Items, nil
}

// AssignIncidentRole gives a role to user userID, or clears it when
// userID is 0, and returns the roles held after. CodeInvalid, CodeNotFound.
func (c *Client) AssignIncidentRole(ctx context.Context, incidentID int64, role string, userID int64) ([]*vigil.IncidentRoleHolder, error) {
	var out incidentRoles
	path := incidentPath(incidentID) + "/roles/" + url.PathEscape(role)
	var err error
	if userID == 0 {
		err = c.do(ctx, http.MethodDelete, path, nil, c.token, nil, &out)
	} else {
		err = c.do(ctx, http.MethodPut, path, nil, c.token, map[string]int64{"user_id": userID}, &out)
	}
	if err != nil {
		return nil, err
	}
	return out.Items, nil
}
