package api

import (
	"context"
	"net/http"
	"strings"

	"github.com/vigil-oss/vigil/internal/auth"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// maxIncidentAlerts is how many alerts GET /api/v1/incidents/{id} embeds.
const maxIncidentAlerts = 100

// IncidentDetail is an incident with its alerts (newest first, up to 100;
// alert_count says how many there are).
type IncidentDetail struct {
	*vigil.Incident
	Alerts []*vigil.Alert `json:"alerts"`
}

// NoteCreate is the body of POST /api/v1/incidents/{id}/notes.
type NoteCreate struct {
	Body string `json:"body"`
}

// Timeline is the answer of GET /api/v1/incidents/{id}/timeline.
type Timeline struct {
	Items []*vigil.TimelineEntry `json:"items"`
	Total int                    `json:"total"`
}

func (a *API) listIncidents(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r)
	f := vigil.IncidentFilter{
		Statuses:  q.list("status"),
		ServiceID: q.id("service_id"),
		Severity:  q.severity("severity"),
		Since:     q.time("since"),
		Until:     q.time("until"),
		Query:     strings.TrimSpace(q.v.Get("q")),
	}
	f.Offset, f.Limit = q.page()
	for i, s := range f.Statuses {
		f.Statuses[i] = strings.ToLower(s)
		if !validIncidentStatus(f.Statuses[i]) {
			q.fail("status", "must be one of triggered, acknowledged, resolved")
		}
	}
	if q.err != nil {
		return q.err
	}
	items, total, err := a.store.FindIncidents(r.Context(), f)
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, newList(items, total, f.Offset, f.Limit))
	return nil
}

func validIncidentStatus(s string) bool {
	for _, v := range vigil.IncidentStatuses {
		if s == v {
			return true
		}
	}
	return false
}

func (a *API) declareIncident(w http.ResponseWriter, r *http.Request) error {
	var d vigil.IncidentDeclaration
	if err := decodeStrict(w, r, &d); err != nil {
		return err
	}
	d.Severity = vigil.Severity(strings.ToLower(string(d.Severity)))
	if err := d.Validate(); err != nil {
		return err
	}
	inc, err := a.store.DeclareIncident(r.Context(), d)
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusCreated, inc)
	return nil
}

func (a *API) getIncident(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	inc, err := a.store.FindIncidentByID(r.Context(), id)
	if err != nil {
		return err
	}
	var alerts []*vigil.Alert
	// The alerts (labels, raw payloads) are for those who may read
	// everything; stakeholders get the incident without them.
	if auth.PrincipalFromContext(r.Context()).Allows(vigil.PermRead) {
		alerts, _, err = a.store.FindAlerts(r.Context(), vigil.AlertFilter{IncidentID: &id, Limit: maxIncidentAlerts})
		if err != nil {
			return err
		}
	}
	if alerts == nil {
		alerts = []*vigil.Alert{}
	}
	WriteJSON(w, http.StatusOK, IncidentDetail{Incident: inc, Alerts: alerts})
	return nil
}

func (a *API) updateIncident(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var u vigil.IncidentUpdate
	if err := decodeStrict(w, r, &u); err != nil {
		return err
	}
	if u.Severity != nil {
		s := vigil.Severity(strings.ToLower(string(*u.Severity)))
		u.Severity = &s
	}
	if err := u.Validate(); err != nil {
		return err
	}
	inc, err := a.store.UpdateIncident(r.Context(), id, u)
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, inc)
	return nil
}

// incidentTransition serves acknowledge, resolve and reopen: no body
// needed, an empty body or {} accepted.
func (a *API) incidentTransition(do func(vigil.IncidentService, context.Context, int64) (*vigil.Incident, error)) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		var empty struct{}
		if err := decodeOptional(w, r, &empty); err != nil {
			return err
		}
		inc, err := do(a.store, r.Context(), id)
		if err != nil {
			return err
		}
		WriteJSON(w, http.StatusOK, inc)
		return nil
	}
}

func (a *API) addNote(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in NoteCreate
	if err := decodeStrict(w, r, &in); err != nil {
		return err
	}
	if strings.TrimSpace(in.Body) == "" {
		return vigil.FieldError("body", "is required")
	}
	if len(in.Body) > vigil.MaxNoteLen {
		return vigil.FieldError("body", "must be at most %d bytes", vigil.MaxNoteLen)
	}
	if strings.IndexByte(in.Body, 0) >= 0 {
		return vigil.FieldError("body", "must not contain NUL characters")
	}
	e, err := a.store.AddNote(r.Context(), id, in.Body)
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusCreated, e)
	return nil
}

func (a *API) getTimeline(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	entries, err := a.store.FindTimeline(r.Context(), id)
	if err != nil {
		return err
	}
	if len(entries) == 0 {
		// Every incident has at least its "created" entry; make sure an
		// unknown id is a 404 whatever the store answers for it.
		if _, err := a.store.FindIncidentByID(r.Context(), id); err != nil {
			return err
		}
		entries = []*vigil.TimelineEntry{}
	}
	WriteJSON(w, http.StatusOK, Timeline{Items: entries, Total: len(entries)})
	return nil
}
