package api

import (
	"net/http"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// changeRoutes list change events (stored by POST /v2/change/enqueue).
func (a *API) changeRoutes() []Route {
	window := []Param{
		{Name: "since", Type: "date-time", Description: "changed at or after (RFC 3339)"},
		{Name: "until", Type: "date-time", Description: "changed before (RFC 3339)"},
	}
	list := List[*vigil.ChangeEvent]{}
	route := func(pattern, summary string, h handlerFunc, q []Param) Route {
		return Route{Method: "GET", Pattern: pattern, Auth: AuthToken, Summary: summary, Response: list, Status: http.StatusOK,
			Query: q, Handler: a.handle(h)}
	}
	return []Route{
		route("/api/v1/changes", "List change events (deploys, config changes), newest first", a.listChanges,
			withPage(append([]Param{{Name: "service_id", Type: "integer"}}, window...)...)),
		route("/api/v1/services/{id}/changes", "List a service's change events, newest first", a.listServiceChanges,
			withPage(window...)),
		route("/api/v1/incidents/{id}/changes", "The change events of an incident's service from an hour before it opened, newest first",
			a.listIncidentChanges, withPage()),
	}
}

func (a *API) listChanges(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r)
	f := changeWindow(q, vigil.ChangeEventFilter{ServiceID: q.id("service_id")})
	if q.err != nil {
		return q.err
	}
	return a.writeChanges(w, r, f)
}

func (a *API) listServiceChanges(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	q := newQuery(r)
	f := changeWindow(q, vigil.ChangeEventFilter{ServiceID: &id})
	if q.err != nil {
		return q.err
	}
	if _, err := a.store.FindServiceByID(r.Context(), id); err != nil {
		return err
	}
	return a.writeChanges(w, r, f)
}

func (a *API) listIncidentChanges(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	q := newQuery(r)
	offset, limit := q.page()
	if q.err != nil {
		return q.err
	}
	inc, err := a.store.FindIncidentByID(r.Context(), id)
	if err != nil {
		return err
	}
	f := vigil.IncidentChangeFilter(inc)
	f.Offset, f.Limit = offset, limit
	return a.writeChanges(w, r, f)
}

// changeWindow reads since, until and the page of f from q.
func changeWindow(q *query, f vigil.ChangeEventFilter) vigil.ChangeEventFilter {
	f.Since, f.Until = q.time("since"), q.time("until")
	f.Offset, f.Limit = q.page()
	return f
}

// writeChanges answers the change events f selects in the list envelope.
func (a *API) writeChanges(w http.ResponseWriter, r *http.Request, f vigil.ChangeEventFilter) error {
	total, err := a.store.CountChangeEvents(r.Context(), f)
	if err != nil {
		return err
	}
	items, err := a.store.FindChangeEvents(r.Context(), f)
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, newList(items, total, f.Offset, f.Limit))
	return nil
}
