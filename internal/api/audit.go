package api

import (
	"net/http"
	"strings"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// auditRoutes serve the audit log. It is read-only by design: there is
// no route that changes or removes an entry (a test checks the route
// table), and the database refuses it anyway. Only admins may read it.
func (a *API) auditRoutes() []Route {
	return []Route{{Method: "GET", Pattern: "/api/v1/audit", Auth: AuthToken,
		Summary:  "Search the audit log (admins): every change to configuration, credentials and incidents, newest first",
		Response: List[*vigil.AuditEntry]{}, Status: http.StatusOK, Handler: a.handle(a.listAudit),
		Query: withPage(
			Param{Name: "actor", Type: "string", Description: "the actor's name, exactly"},
			Param{Name: "action", Type: "string", Description: "an action or its prefix: service, service.update, incident.acknowledge"},
			Param{Name: "object", Type: "string", Description: "an object type, or type:id (service:3)"},
			Param{Name: "object_type", Type: "string", Description: "an object type (service, integration_key, incident, ...)"},
			Param{Name: "object_id", Type: "integer"},
			Param{Name: "since", Type: "date-time", Description: "at or after (RFC 3339)"},
			Param{Name: "until", Type: "date-time", Description: "before (RFC 3339)"},
			Param{Name: "search", Type: "string", Description: "text in the object before or after the change"},
		)}}
}

func (a *API) listAudit(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r)
	f := vigil.AuditFilter{
		Actor:      strings.TrimSpace(q.v.Get("actor")),
		Action:     strings.TrimSpace(q.v.Get("action")),
		ObjectType: strings.TrimSpace(q.v.Get("object_type")),
		ObjectID:   q.id("object_id"),
		Since:      q.time("since"),
		Until:      q.time("until"),
		Search:     strings.TrimSpace(q.v.Get("search")),
	}
	f.Offset, f.Limit = q.page()
	if q.err != nil {
		return q.err
	}
	if obj := q.v.Get("object"); obj != "" {
		typ, id, err := vigil.ParseAuditObject(obj)
		if err != nil {
			return err
		}
		if (f.ObjectType != "" && f.ObjectType != typ) || (id != nil && f.ObjectID != nil && *id != *f.ObjectID) {
			return vigil.FieldError("object", "disagrees with object_type or object_id")
		}
		f.ObjectType = typ
		if id != nil {
			f.ObjectID = id
		}
	}
	items, total, err := a.store.FindAuditEntries(r.Context(), f)
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, newList(items, total, f.Offset, f.Limit))
	return nil
}
