package web

import (
	"context"
	"net/http"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// incidentTransition runs one lifecycle step and goes back to the incident
// with a message: a refused step (acknowledging a resolved incident) is a
// message, not an error page.
func (u *UI) incidentTransition(w http.ResponseWriter, r *http.Request, step func(context.Context, int64) (*vigil.Incident, error), done string) {
	id, ok := pathID(r, "id")
	if !ok {
		u.notFound(w, r)
		return
	}
	inc, err := step(r.Context(), id)
	switch vigil.ErrorCode(err) {
	case "":
		u.redirectFlash(w, r, incidentURL(id), "ok", "Incident "+inc.Number()+" "+done+".")
	case vigil.CodeConflict, vigil.CodeInvalid:
		u.redirectFlash(w, r, incidentURL(id), "error", vigil.ErrorMessage(err))
	default:
		u.fail(w, r, err)
	}
}
