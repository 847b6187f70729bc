package web

import "net/http"

// incidentAcknowledge answers POST /incidents/{id}/acknowledge.
func (u *UI) incidentAcknowledge(w http.ResponseWriter, r *http.Request) {
	u.incidentTransition(w, r, u.store.AcknowledgeIncident, "acknowledged")
}
