package web

import (
	"net/http"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// incidentPrivate answers POST /incidents/{id}/private: private=true hides
// the incident from everyone but its responders, its team's managers, the
// security group and admins; private=false shows it again. The store
// decides who may (CodeForbidden for anyone else).
func (u *UI) incidentPrivate(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		u.notFound(w, r)
		return
	}
	var private bool
	switch r.PostFormValue("private") {
	case "true":
		private = true
	case "false":
	default:
		u.renderError(w, r, http.StatusBadRequest, "The field private must be true or false.")
		return
	}
	inc, err := u.store.UpdateIncident(r.Context(), id, vigil.IncidentUpdate{Private: &private})
	switch vigil.ErrorCode(err) {
	case "":
		msg := "Incident " + inc.Number() + " is public again."
		if inc.Private {
			msg = "Incident " + inc.Number() + " is private: only its responders, its team's managers, the security group and admins see it."
		}
		u.redirectFlash(w, r, incidentURL(id), "ok", msg)
	case vigil.CodeForbidden:
		u.redirectFlash(w, r, incidentURL(id), "error", vigil.ErrorMessage(err))
	default:
		u.fail(w, r, err)
	}
}
