package api

import (
	"net/http"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// Incident roles: who runs the response.

// IncidentRoles is the answer of the incident role routes: the roles
// held, in the order pages show them.
type IncidentRoles struct {
	Items []*vigil.IncidentRoleHolder `json:"items"`
}

// IncidentRoleInput is the body of PUT /api/v1/incidents/{id}/roles/{role}.
type IncidentRoleInput struct {
	// UserID is the person who takes the role.
	UserID *int64 `json:"user_id"`
}

func (a *API) incidentRoleRoutes() []Route {
	tok := func(method, pattern, summary string, req any, h handlerFunc) Route {
		return Route{Method: method, Pattern: pattern, Auth: AuthToken, Summary: summary,
			Request: req, Response: &IncidentRoles{}, Status: http.StatusOK, Handler: a.handle(h)}
	}
	return []Route{
		tok("GET", "/api/v1/incidents/{id}/roles", "The incident's roles (incident manager, communications lead, tech lead, engineering manager) and who holds them",
			nil, a.listIncidentRoles),
		tok("PUT", "/api/v1/incidents/{id}/roles/{role}", "Give a role to a person (replacing its holder); written to the timeline; the holder becomes a responder",
			IncidentRoleInput{}, a.assignIncidentRole),
		tok("DELETE", "/api/v1/incidents/{id}/roles/{role}", "Clear a role; written to the timeline",
			nil, a.clearIncidentRole),
	}
}

func (a *API) listIncidentRoles(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	roles, err := a.store.ListIncidentRoles(r.Context(), id)
	return writeRoles(w, roles, err)
}

func (a *API) assignIncidentRole(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in IncidentRoleInput
	if err := decodeStrict(w, r, &in); err != nil {
		return err
	}
	if in.UserID == nil || *in.UserID <= 0 {
		return vigil.FieldError("user_id", "is required: the ID of the person taking the role (DELETE clears a role)")
	}
	roles, err := a.store.AssignIncidentRole(r.Context(), id, r.PathValue("role"), *in.UserID)
	return writeRoles(w, roles, err)
}

func (a *API) clearIncidentRole(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	roles, err := a.store.AssignIncidentRole(r.Context(), id, r.PathValue("role"), 0)
	return writeRoles(w, roles, err)
}

func writeRoles(w http.ResponseWriter, roles []*vigil.IncidentRoleHolder, err error) error {
	if err != nil {
		return err
	}
	if roles == nil {
		roles = []*vigil.IncidentRoleHolder{}
	}
	WriteJSON(w, http.StatusOK, IncidentRoles{Items: roles})
	return nil
}
