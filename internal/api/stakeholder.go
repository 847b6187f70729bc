package api

import (
	"context"
	"net/http"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// Stakeholder groups and status updates. A Teams or webhook URL is its own
// credential, so answers show channel addresses masked (vigil.MaskAddress)
// except the list with reveal=true (for export); a PUT may send the masked
// form back, which keeps the stored address.

// StakeholderGroupInput is the body of POST /api/v1/stakeholder-groups and
// PUT /api/v1/stakeholder-groups/{id} (which replaces the group).
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

// StatusMessageView is one queued message of a status update: the group
// and channel it goes to and its notification (address masked).
type StatusMessageView struct {
	Group   string `json:"group"`
	Channel string `json:"channel"`
	NotificationView
}

// StatusUpdateView is a status update: its timeline entry's ID, who
// posted it, the groups told and the message to each of their channels.
type StatusUpdateView struct {
	ID         int64               `json:"id"`
	IncidentID int64               `json:"incident_id"`
	At         time.Time           `json:"at"`
	Actor      string              `json:"actor"`
	Message    string              `json:"message"`
	Groups     []string            `json:"groups"`
	Messages   []StatusMessageView `json:"messages"`
}

func (a *API) stakeholderRoutes() []Route {
	tok := func(method, pattern, summary string, req, resp any, status int, h handlerFunc, q ...Param) Route {
		return Route{Method: method, Pattern: pattern, Auth: AuthToken, Summary: summary,
			Request: req, Response: resp, Status: status, Query: q, Handler: a.handle(h)}
	}
	const group = "/api/v1/stakeholder-groups/{id}"
	return []Route{
		tok("GET", "/api/v1/stakeholder-groups", "List stakeholder groups by name (Teams and webhook URLs masked unless reveal=true)", nil,
			Items[*vigil.StakeholderGroup]{}, http.StatusOK, a.listStakeholderGroups,
			Param{Name: "reveal", Type: "boolean", Description: "return full channel addresses (for export)"}),
		tok("POST", "/api/v1/stakeholder-groups", "Create a stakeholder group: channels that hear status updates, not pages",
			StakeholderGroupInput{}, &vigil.StakeholderGroup{}, http.StatusCreated,
			createFrom(a, stakeholderGroupFrom, masked((vigil.Store).CreateStakeholderGroup))),
		tok("GET", group, "Get a stakeholder group (addresses masked)", nil, &vigil.StakeholderGroup{}, http.StatusOK,
			getByID(a, func(s vigil.Store, ctx context.Context, id int64) (*vigil.StakeholderGroup, error) {
				g, err := s.FindStakeholderGroup(ctx, id)
				if err != nil {
					return nil, err
				}
				return g.Masked(), nil
			})),
		tok("PUT", group, "Replace a stakeholder group (a masked address sent back keeps the stored one)",
			StakeholderGroupInput{}, &vigil.StakeholderGroup{}, http.StatusOK,
			replaceByID(a, stakeholderGroupFrom, masked(updateKeepingSecrets))),
		tok("DELETE", group, "Delete a stakeholder group (the updates it got stay on their timelines)", nil, nil,
			http.StatusNoContent, deleteByID(a, (vigil.Store).DeleteStakeholderGroup)),

		tok("POST", "/api/v1/incidents/{id}/status-updates", "Post a status update to stakeholder groups: the groups named, "+
			"or every group whose min_severity the incident reaches; one message per channel, no page",
			vigil.StatusUpdateInput{}, StatusUpdateView{}, http.StatusAccepted, a.postStatusUpdate),
		tok("GET", "/api/v1/incidents/{id}/status-updates", "An incident's status updates, newest first, with the state of each message",
			nil, Items[StatusUpdateView]{}, http.StatusOK, a.listStatusUpdates),
	}
}

func stakeholderGroupFrom(in StakeholderGroupInput, id int64) (*vigil.StakeholderGroup, error) {
	return &vigil.StakeholderGroup{ID: id, Name: in.Name, Description: in.Description, Channels: in.Channels,
		MinSeverity: in.MinSeverity, Security: in.Security, Members: in.Members}, nil
}

// masked wraps a save so the answer createFrom and replaceByID write
// (the saved item itself) shows masked addresses.
func masked(save func(vigil.Store, context.Context, *vigil.StakeholderGroup) error) func(vigil.Store, context.Context, *vigil.StakeholderGroup) error {
	return func(s vigil.Store, ctx context.Context, g *vigil.StakeholderGroup) error {
		if err := save(s, ctx, g); err != nil {
			return err
		}
		*g = *g.Masked()
		return nil
	}
}

// updateKeepingSecrets replaces a group; channel addresses sent back in
// their masked form (what GET answered) keep the stored secret.
func updateKeepingSecrets(s vigil.Store, ctx context.Context, g *vigil.StakeholderGroup) error {
	old, err := s.FindStakeholderGroup(ctx, g.ID)
	if err != nil {
		return err
	}
	g.KeepMaskedAddresses(old)
	return s.UpdateStakeholderGroup(ctx, g)
}

func (a *API) listStakeholderGroups(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r)
	reveal := q.boolean("reveal")
	if q.err != nil {
		return q.err
	}
	list, err := a.store.ListStakeholderGroups(r.Context())
	if err != nil {
		return err
	}
	if !reveal {
		for i, g := range list {
			list[i] = g.Masked()
		}
	}
	WriteJSON(w, http.StatusOK, itemsOf(list))
	return nil
}

func statusUpdateView(u *vigil.StatusUpdate) StatusUpdateView {
	v := StatusUpdateView{ID: u.ID, IncidentID: u.IncidentID, At: u.At, Actor: u.Actor, Message: u.Message, Groups: u.Groups,
		Messages: make([]StatusMessageView, len(u.Messages))}
	if v.Groups == nil {
		v.Groups = []string{}
	}
	for i, m := range u.Messages {
		v.Messages[i] = StatusMessageView{Group: m.Group, Channel: m.Channel, NotificationView: notificationView(&m.Notification)}
	}
	return v
}

// postStatusUpdate queues the update; 202 because the messages are sent
// by the engine (their state shows in GET …/status-updates). Naming an
// unknown group is 400 (groups[i]); nobody to tell is 409, never a
// silent success.
func (a *API) postStatusUpdate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in vigil.StatusUpdateInput
	if err := decodeStrict(w, r, &in); err != nil {
		return err
	}
	u, err := a.store.PostStatusUpdate(r.Context(), id, in)
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusAccepted, statusUpdateView(u))
	return nil
}

func (a *API) listStatusUpdates(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	list, err := a.store.FindStatusUpdates(r.Context(), id)
	if err != nil {
		return err
	}
	out := make([]StatusUpdateView, len(list))
	for i, u := range list {
		out[i] = statusUpdateView(u)
	}
	WriteJSON(w, http.StatusOK, itemsOf(out))
	return nil
}
