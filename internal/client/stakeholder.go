package client

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// Stakeholder groups and status updates. Teams and webhook addresses come
// back masked (the host of the URL); sending a masked address back in an
// update keeps the stored one.

// StakeholderGroupInput is a group as created or replaced (PUT replaces
// every field).
type StakeholderGroupInput struct {
	Name        string                     `json:"name"`
	Description string                     `json:"description,omitempty"`
	Channels    []vigil.StakeholderChannel `json:"channels"`
	// MinSeverity: the group hears about every incident this severe or
	// worse; empty: only when an update names it.
	MinSeverity vigil.Severity `json:"min_severity,omitempty"`
	// Security marks the security group: its members see private
	// incidents, and only it hears about them. Admins only.
	Security bool `json:"security,omitempty"`
	// Members are the user IDs of the people in the group. Admins only.
	Members []int64 `json:"members,omitempty"`
}

// StatusMessage is one message of a status update: the group and channel
// it goes to and its notification (address masked).
type StatusMessage struct {
	Group   string `json:"group"`
	Channel string `json:"channel"`
	Notification
}

// StatusUpdate is a status update with its messages.
type StatusUpdate struct {
	ID         int64            `json:"id"`
	IncidentID int64            `json:"incident_id"`
	At         time.Time        `json:"at"`
	Actor      string           `json:"actor"`
	Message    string           `json:"message"`
	Groups     []string         `json:"groups"`
	Messages   []*StatusMessage `json:"messages"`
}

const stakeholderGroupsPath = "/api/v1/stakeholder-groups"

func stakeholderGroupPath(groupID int64) string { return stakeholderGroupsPath + "/" + id(groupID) }

// ListStakeholderGroups lists every group by name; secret addresses masked.
func (c *Client) ListStakeholderGroups(ctx context.Context) ([]*vigil.StakeholderGroup, error) {
	return getItems[*vigil.StakeholderGroup](ctx, c, stakeholderGroupsPath, nil)
}

// ListStakeholderGroupsRevealed lists every group with full addresses
// (reveal=true). A Teams or webhook URL is a credential: do not log what
// this returns.
func (c *Client) ListStakeholderGroupsRevealed(ctx context.Context) ([]*vigil.StakeholderGroup, error) {
	return getItems[*vigil.StakeholderGroup](ctx, c, stakeholderGroupsPath, url.Values{"reveal": {"true"}})
}

// CreateStakeholderGroup creates a group. CodeInvalid naming the field
// ("channels[1].address"), CodeConflict (name taken, in any case).
func (c *Client) CreateStakeholderGroup(ctx context.Context, in StakeholderGroupInput) (*vigil.StakeholderGroup, error) {
	return send[vigil.StakeholderGroup](ctx, c, http.MethodPost, stakeholderGroupsPath, in)
}

// GetStakeholderGroup returns one group, addresses masked. CodeNotFound.
func (c *Client) GetStakeholderGroup(ctx context.Context, groupID int64) (*vigil.StakeholderGroup, error) {
	return send[vigil.StakeholderGroup](ctx, c, http.MethodGet, stakeholderGroupPath(groupID), nil)
}

// UpdateStakeholderGroup replaces a group.
func (c *Client) UpdateStakeholderGroup(ctx context.Context, groupID int64, in StakeholderGroupInput) (*vigil.StakeholderGroup, error) {
	return send[vigil.StakeholderGroup](ctx, c, http.MethodPut, stakeholderGroupPath(groupID), in)
}

// DeleteStakeholderGroup deletes a group. CodeNotFound.
func (c *Client) DeleteStakeholderGroup(ctx context.Context, groupID int64) error {
	return c.do(ctx, http.MethodDelete, stakeholderGroupPath(groupID), nil, c.token, nil, nil)
}

// PostStatusUpdate queues a status update to the named groups, or (none
// named) to every group whose min_severity the incident reaches.
// CodeInvalid ("message", "groups[i]" for an unknown group), CodeNotFound
// (incident), CodeConflict (no group to tell).
func (c *Client) PostStatusUpdate(ctx context.Context, incidentID int64, in vigil.StatusUpdateInput) (*StatusUpdate, error) {
	return send[StatusUpdate](ctx, c, http.MethodPost, "/api/v1/incidents/"+id(incidentID)+"/status-updates", in)
}

// StatusUpdates lists an incident's status updates, newest first.
func (c *Client) StatusUpdates(ctx context.Context, incidentID int64) ([]*StatusUpdate, error) {
	return getItems[*StatusUpdate](ctx, c, "/api/v1/incidents/"+id(incidentID)+"/status-updates", nil)
}
