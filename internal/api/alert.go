package api

import (
	"net/http"

	"github.com/vigil-oss/vigil/internal/vigil"
)

func (a *API) listAlerts(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r)
	f := vigil.AlertFilter{
		ServiceID:  q.id("service_id"),
		IncidentID: q.id("incident_id"),
		Status:     q.str("status"),
		DedupKey:   q.str("dedup_key"),
	}
	f.Offset, f.Limit = q.page()
	if f.Status != nil && *f.Status != vigil.AlertFiring && *f.Status != vigil.AlertResolved {
		q.fail("status", "must be firing or resolved")
	}
	if q.err != nil {
		return q.err
	}
	items, total, err := a.store.FindAlerts(r.Context(), f)
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, newList(items, total, f.Offset, f.Limit))
	return nil
}

func (a *API) getAlert(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	al, err := a.store.FindAlertByID(r.Context(), id)
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, al)
	return nil
}
