package web

import (
	"net/http"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// incidentFeedback answers POST /incidents/{id}/feedback: the one-click
// "this was noise" / "this was actionable" buttons (verdict "" clears).
func (u *UI) incidentFeedback(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		u.notFound(w, r)
		return
	}
	fb, err := u.store.SetIncidentFeedback(r.Context(), id, r.PostFormValue("verdict"))
	switch vigil.ErrorCode(err) {
	case "":
		msg := "Verdict cleared."
		if fb.Verdict != "" {
			msg = "Marked " + fb.Verdict + ". Thank you: the noise report counts it."
		}
		u.redirectFlash(w, r, incidentURL(id), "ok", msg)
	case vigil.CodeInvalid:
		u.redirectFlash(w, r, incidentURL(id), "error", vigil.ErrorMessage(err))
	default:
		u.fail(w, r, err)
	}
}
