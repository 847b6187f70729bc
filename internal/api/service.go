package api

import (
	"net/http"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// ServiceCreate is the body of POST /api/v1/services.
type ServiceCreate struct {
	Name        string             `json:"name"`
	Description string             `json:"description,omitempty"`
	Grouping    vigil.GroupingRule `json:"grouping"`
	// AutoResolve defaults to true when absent.
	AutoResolve *bool `json:"auto_resolve,omitempty"`
	// TeamID owns the service; EscalationPolicyID pages for its incidents.
	TeamID             int64 `json:"team_id,omitempty"`
	EscalationPolicyID int64 `json:"escalation_policy_id,omitempty"`
	// Flap is the service's flap control (absent: the server's default;
	// changes 0: off); AutoPause holds new alerts that long before they
	// may page (absent or 0: off).
	Flap      *vigil.FlapSettings `json:"flap,omitempty"`
	AutoPause vigil.Duration      `json:"auto_pause,omitempty"`
}

func (a *API) listServices(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r)
	f := vigil.ServiceFilter{Name: q.str("name")}
	f.Offset, f.Limit = q.page()
	if q.err != nil {
		return q.err
	}
	items, total, err := a.store.FindServices(r.Context(), f)
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, newList(items, total, f.Offset, f.Limit))
	return nil
}

func (a *API) createService(w http.ResponseWriter, r *http.Request) error {
	var in ServiceCreate
	if err := decodeStrict(w, r, &in); err != nil {
		return err
	}
	s := &vigil.Service{Name: in.Name, Description: in.Description, Grouping: in.Grouping, AutoResolve: true,
		TeamID: in.TeamID, EscalationPolicyID: in.EscalationPolicyID, Flap: in.Flap, AutoPause: in.AutoPause}
	if in.AutoResolve != nil {
		s.AutoResolve = *in.AutoResolve
	}
	s.Normalize()
	if err := s.Validate(); err != nil {
		return err
	}
	if err := a.store.CreateService(r.Context(), s); err != nil {
		return err
	}
	WriteJSON(w, http.StatusCreated, s)
	return nil
}

func (a *API) getService(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	s, err := a.store.FindServiceByID(r.Context(), id)
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, s)
	return nil
}

func (a *API) updateService(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var upd vigil.ServiceUpdate
	if err := decodeStrict(w, r, &upd); err != nil {
		return err
	}
	s, err := a.store.UpdateService(r.Context(), id, upd)
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, s)
	return nil
}

func (a *API) deleteService(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := a.store.DeleteService(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
