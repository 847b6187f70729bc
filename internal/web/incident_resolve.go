package web

import "net/http"

// incidentResolve answers POST /incidents/{id}/resolve.
func (u *UI) incidentResolve(w http.ResponseWriter, r *http.Request) {
	u.incidentTransition(w, r, u.store.ResolveIncident, "resolved")
}
