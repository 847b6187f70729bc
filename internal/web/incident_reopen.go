package web

import "net/http"

// incidentReopen answers POST /incidents/{id}/reopen.
func (u *UI) incidentReopen(w http.ResponseWriter, r *http.Request) {
	u.incidentTransition(w, r, u.store.ReopenIncident, "reopened")
}
