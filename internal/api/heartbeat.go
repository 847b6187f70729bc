package api

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-oss/vigil/internal/ingest/opsgenie"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// Heartbeats: Vigil's own API (API token) and Opsgenie's Heartbeat API
// (GenieKey), over the same heartbeats. An Opsgenie heartbeat belongs to
// the integration key's service and is named in the path; Vigil's API
// names heartbeats by ID.

// HeartbeatCreate is the body of POST /api/v1/services/{id}/heartbeats.
type HeartbeatCreate struct {
	Name         string `json:"name"`
	Description  string `json:"description,omitempty"`
	Interval     int    `json:"interval"`
	IntervalUnit string `json:"interval_unit"`
	// Enabled defaults to true when absent.
	Enabled       *bool    `json:"enabled,omitempty"`
	AlertMessage  string   `json:"alert_message,omitempty"`
	AlertTags     []string `json:"alert_tags,omitempty"`
	AlertPriority string   `json:"alert_priority,omitempty"`
}

// OpsgenieHeartbeat is a heartbeat as Opsgenie's Heartbeat API shows it.
type OpsgenieHeartbeat struct {
	Name         string `json:"name"`
	Description  string `json:"description"`
	Interval     int    `json:"interval"`
	IntervalUnit string `json:"intervalUnit"`
	Enabled      bool   `json:"enabled"`
	Expired      bool   `json:"expired"`
	// LastPingTime is absent until the first ping.
	LastPingTime *time.Time `json:"lastPingTime,omitempty"`
	// OwnerTeam is the heartbeat's service (Vigil has services where
	// Opsgenie has teams).
	OwnerTeam     OpsgenieOwnerTeam `json:"ownerTeam"`
	AlertMessage  string            `json:"alertMessage"`
	AlertTags     []string          `json:"alertTags"`
	AlertPriority string            `json:"alertPriority"`
}

// OpsgenieOwnerTeam names the service that owns a heartbeat.
type OpsgenieOwnerTeam struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// OpsgenieHeartbeatMeta is the short form update, enable and disable
// answer with.
type OpsgenieHeartbeatMeta struct {
	Name    string `json:"name"`
	Enabled bool   `json:"enabled"`
	Expired bool   `json:"expired"`
}

// OpsgenieHeartbeatResponse answers create and get.
type OpsgenieHeartbeatResponse struct {
	Data      OpsgenieHeartbeat `json:"data"`
	Took      float64           `json:"took"`
	RequestID string            `json:"requestId"`
}

// OpsgenieHeartbeatList answers the list.
type OpsgenieHeartbeatList struct {
	Data struct {
		Heartbeats []OpsgenieHeartbeat `json:"heartbeats"`
	} `json:"data"`
	Took      float64 `json:"took"`
	RequestID string  `json:"requestId"`
}

// OpsgenieHeartbeatMetaResponse answers update, enable and disable.
type OpsgenieHeartbeatMetaResponse struct {
	Data      OpsgenieHeartbeatMeta `json:"data"`
	Took      float64               `json:"took"`
	RequestID string                `json:"requestId"`
}

// Results of the Opsgenie answers without data.
const (
	heartbeatPinged  = "PONG - Heartbeat received"
	heartbeatDeleted = "Deleted"
)

// maxHeartbeatList bounds the Opsgenie list, which has no paging.
const maxHeartbeatList = vigil.MaxPageSize

func (a *API) heartbeatRoutes() []Route {
	tok := func(method, pattern, summary string, req, resp any, status int, h handlerFunc, q ...Param) Route {
		return Route{Method: method, Pattern: pattern, Auth: AuthToken, Summary: summary,
			Request: req, Response: resp, Status: status, Query: q, Handler: a.handle(h)}
	}
	og := func(method, pattern, summary string, req, resp any, status int, h func(http.ResponseWriter, *http.Request, *opsgenieCall) error) Route {
		return Route{Method: method, Pattern: pattern, Auth: AuthNone, Format: FormatOpsgenie,
			Summary: "Opsgenie Heartbeat API: " + summary, Request: req, Response: resp, Status: status,
			Handler: a.opsgenieHandler(false, h)}
	}
	const named = "/v2/heartbeats/{heartbeatName}"
	routes := []Route{
		tok("GET", "/api/v1/services/{id}/heartbeats", "List a service's heartbeats", nil, List[*vigil.Heartbeat]{}, http.StatusOK,
			a.listHeartbeats, pageParams...),
		tok("POST", "/api/v1/services/{id}/heartbeats", "Create a heartbeat on a service", HeartbeatCreate{}, &vigil.Heartbeat{},
			http.StatusCreated, a.createHeartbeat),
		tok("GET", "/api/v1/heartbeats/{id}", "Get a heartbeat", nil, &vigil.Heartbeat{}, http.StatusOK, a.getHeartbeat),
		tok("PATCH", "/api/v1/heartbeats/{id}", "Update a heartbeat (a new name, interval or enabled state restarts its countdown)",
			vigil.HeartbeatUpdate{}, &vigil.Heartbeat{}, http.StatusOK, a.updateHeartbeat),
		tok("DELETE", "/api/v1/heartbeats/{id}", "Delete a heartbeat (resolving its expiry alert)", nil, nil, http.StatusNoContent, a.deleteHeartbeat),
		tok("POST", "/api/v1/heartbeats/{id}/ping", "Ping a heartbeat", nil, &vigil.Heartbeat{}, http.StatusOK, a.pingHeartbeat),

		og("POST", "/v2/heartbeats", "create a heartbeat on the key's service (Authorization: GenieKey <integration key>)",
			opsgenie.HeartbeatCreate{}, OpsgenieHeartbeatResponse{}, http.StatusCreated, a.ogHeartbeatCreate),
		og("GET", "/v2/heartbeats", "list the key's service's heartbeats", nil, OpsgenieHeartbeatList{}, http.StatusOK, a.ogHeartbeatList),
		og("GET", named, "get a heartbeat by name", nil, OpsgenieHeartbeatResponse{}, http.StatusOK, a.ogHeartbeatGet),
		og("PATCH", named, "update a heartbeat", opsgenie.HeartbeatUpdate{}, OpsgenieHeartbeatMetaResponse{}, http.StatusOK, a.ogHeartbeatUpdate),
		og("DELETE", named, "delete a heartbeat", nil, OpsgenieResponse{}, http.StatusOK, a.ogHeartbeatDelete),
		og("POST", named+"/enable", "enable a heartbeat", nil, OpsgenieHeartbeatMetaResponse{}, http.StatusOK, a.ogHeartbeatEnable(true)),
		og("POST", named+"/disable", "disable a heartbeat", nil, OpsgenieHeartbeatMetaResponse{}, http.StatusOK, a.ogHeartbeatEnable(false)),
	}
	for _, m := range []string{"GET", "POST", "PUT", "PATCH"} {
		routes = append(routes, og(m, named+"/ping", "ping a heartbeat", nil, OpsgenieResponse{}, http.StatusAccepted, a.ogHeartbeatPing))
	}
	return routes
}

func (a *API) listHeartbeats(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	q := newQuery(r)
	f := vigil.HeartbeatFilter{ServiceID: &id}
	f.Offset, f.Limit = q.page()
	if q.err != nil {
		return q.err
	}
	if _, err := a.store.FindServiceByID(r.Context(), id); err != nil {
		return err
	}
	items, total, err := a.store.FindHeartbeats(r.Context(), f)
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, newList(items, total, f.Offset, f.Limit))
	return nil
}

func (a *API) createHeartbeat(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in HeartbeatCreate
	if err := decodeStrict(w, r, &in); err != nil {
		return err
	}
	h := &vigil.Heartbeat{ServiceID: id, Name: in.Name, Description: in.Description, Interval: in.Interval,
		IntervalUnit: in.IntervalUnit, Enabled: true, AlertMessage: in.AlertMessage, AlertTags: in.AlertTags,
		AlertPriority: in.AlertPriority}
	if in.Enabled != nil {
		h.Enabled = *in.Enabled
	}
	if err := a.store.CreateHeartbeat(r.Context(), h); err != nil {
		return err
	}
	WriteJSON(w, http.StatusCreated, h)
	return nil
}

func (a *API) getHeartbeat(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	h, err := a.store.FindHeartbeatByID(r.Context(), id)
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, h)
	return nil
}

func (a *API) updateHeartbeat(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var u vigil.HeartbeatUpdate
	if err := decodeStrict(w, r, &u); err != nil {
		return err
	}
	h, err := a.store.UpdateHeartbeat(r.Context(), id, u)
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, h)
	return nil
}

func (a *API) deleteHeartbeat(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := a.store.DeleteHeartbeat(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) pingHeartbeat(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	h, err := a.store.PingHeartbeat(r.Context(), id)
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, h)
	return nil
}

// The Opsgenie endpoints.

func ogHeartbeat(h *vigil.Heartbeat) OpsgenieHeartbeat {
	tags := h.AlertTags
	if tags == nil {
		tags = []string{}
	}
	return OpsgenieHeartbeat{Name: h.Name, Description: h.Description, Interval: h.Interval, IntervalUnit: h.IntervalUnit,
		Enabled: h.Enabled, Expired: h.Expired, LastPingTime: h.LastPingAt,
		OwnerTeam:    OpsgenieOwnerTeam{ID: strconv.FormatInt(h.ServiceID, 10), Name: h.ServiceName},
		AlertMessage: h.AlertMessage, AlertTags: tags, AlertPriority: h.AlertPriority}
}

func ogHeartbeatMeta(h *vigil.Heartbeat) OpsgenieHeartbeatMeta {
	return OpsgenieHeartbeatMeta{Name: h.Name, Enabled: h.Enabled, Expired: h.Expired}
}

// ogHeartbeatError words the store's errors as Opsgenie does: the fields in
// its names, a taken name and an unknown heartbeat by name.
func ogHeartbeatError(err error, name string) error {
	switch vigil.ErrorCode(err) {
	case vigil.CodeConflict:
		return vigil.Errorf(vigil.CodeConflict, "Heartbeat with name [%s] already exists.", name)
	case vigil.CodeNotFound:
		return heartbeatNotFound(name)
	case vigil.CodeInvalid:
		return opsgenie.HeartbeatError(err)
	}
	return err
}

func heartbeatNotFound(name string) error {
	return vigil.Errorf(vigil.CodeNotFound, "Heartbeat with name [%s] does not exist.", name)
}

// ogFindHeartbeat returns the heartbeat the path names on the key's service.
func (a *API) ogFindHeartbeat(ctx context.Context, r *http.Request, c *opsgenieCall) (*vigil.Heartbeat, string, error) {
	name := strings.TrimSpace(r.PathValue("heartbeatName"))
	if err := vigil.ValidateHeartbeatName(name); err != nil {
		// No valid name can be stored, so no heartbeat has this one.
		return nil, name, heartbeatNotFound(name)
	}
	h, err := a.store.FindHeartbeatByName(ctx, c.key.ServiceID, name)
	if err != nil {
		return nil, name, ogHeartbeatError(err, name)
	}
	return h, name, nil
}

func (a *API) ogHeartbeatCreate(w http.ResponseWriter, r *http.Request, c *opsgenieCall) error {
	body, err := readOpsgenieBody(w, r)
	if err != nil {
		return err
	}
	h, err := opsgenie.DecodeHeartbeatCreate(body)
	if err != nil {
		return err
	}
	h.ServiceID = c.key.ServiceID
	if err := a.store.CreateHeartbeat(r.Context(), h); err != nil {
		return ogHeartbeatError(err, h.Name)
	}
	WriteJSON(w, http.StatusCreated, OpsgenieHeartbeatResponse{Data: ogHeartbeat(h), Took: c.took(), RequestID: c.id})
	return nil
}

func (a *API) ogHeartbeatList(w http.ResponseWriter, r *http.Request, c *opsgenieCall) error {
	list, _, err := a.store.FindHeartbeats(r.Context(), vigil.HeartbeatFilter{ServiceID: &c.key.ServiceID, Limit: maxHeartbeatList})
	if err != nil {
		return err
	}
	var out OpsgenieHeartbeatList
	out.Data.Heartbeats = make([]OpsgenieHeartbeat, 0, len(list))
	for _, h := range list {
		out.Data.Heartbeats = append(out.Data.Heartbeats, ogHeartbeat(h))
	}
	out.Took, out.RequestID = c.took(), c.id
	WriteJSON(w, http.StatusOK, out)
	return nil
}

func (a *API) ogHeartbeatGet(w http.ResponseWriter, r *http.Request, c *opsgenieCall) error {
	h, _, err := a.ogFindHeartbeat(r.Context(), r, c)
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, OpsgenieHeartbeatResponse{Data: ogHeartbeat(h), Took: c.took(), RequestID: c.id})
	return nil
}

func (a *API) ogHeartbeatUpdate(w http.ResponseWriter, r *http.Request, c *opsgenieCall) error {
	h, name, err := a.ogFindHeartbeat(r.Context(), r, c)
	if err != nil {
		return err
	}
	body, err := readOpsgenieBody(w, r)
	if err != nil {
		return err
	}
	u, err := opsgenie.DecodeHeartbeatUpdate(body)
	if err != nil {
		return err
	}
	return a.ogHeartbeatApply(w, r, c, h.ID, name, u)
}

func (a *API) ogHeartbeatEnable(enabled bool) func(http.ResponseWriter, *http.Request, *opsgenieCall) error {
	return func(w http.ResponseWriter, r *http.Request, c *opsgenieCall) error {
		h, name, err := a.ogFindHeartbeat(r.Context(), r, c)
		if err != nil {
			return err
		}
		return a.ogHeartbeatApply(w, r, c, h.ID, name, vigil.HeartbeatUpdate{Enabled: &enabled})
	}
}

func (a *API) ogHeartbeatApply(w http.ResponseWriter, r *http.Request, c *opsgenieCall, id int64, name string, u vigil.HeartbeatUpdate) error {
	h, err := a.store.UpdateHeartbeat(r.Context(), id, u)
	if err != nil {
		return ogHeartbeatError(err, name)
	}
	WriteJSON(w, http.StatusOK, OpsgenieHeartbeatMetaResponse{Data: ogHeartbeatMeta(h), Took: c.took(), RequestID: c.id})
	return nil
}

func (a *API) ogHeartbeatDelete(w http.ResponseWriter, r *http.Request, c *opsgenieCall) error {
	h, name, err := a.ogFindHeartbeat(r.Context(), r, c)
	if err != nil {
		return err
	}
	if err := a.store.DeleteHeartbeat(r.Context(), h.ID); err != nil {
		return ogHeartbeatError(err, name)
	}
	WriteJSON(w, http.StatusOK, OpsgenieResponse{Result: heartbeatDeleted, Took: c.took(), RequestID: c.id})
	return nil
}

// ogHeartbeatPing records a ping. Unlike Opsgenie, which answers every
// ping alike, an unknown name is a 404, so a typo in a job's ping URL
// shows at once rather than as an expiry later.
func (a *API) ogHeartbeatPing(w http.ResponseWriter, r *http.Request, c *opsgenieCall) error {
	h, name, err := a.ogFindHeartbeat(r.Context(), r, c)
	if err != nil {
		return err
	}
	if _, err := a.store.PingHeartbeat(r.Context(), h.ID); err != nil {
		return ogHeartbeatError(err, name)
	}
	WriteJSON(w, http.StatusAccepted, OpsgenieResponse{Result: heartbeatPinged, Took: c.took(), RequestID: c.id})
	return nil
}
