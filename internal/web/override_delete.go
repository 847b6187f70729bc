package web

import (
	"net/http"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// overrideDelete answers POST /schedules/{id}/overrides/{override}/delete.
func (u *UI) overrideDelete(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	oid, ok2 := pathID(r, "override")
	if !ok || !ok2 {
		u.notFound(w, r)
		return
	}
	if _, err := u.store.FindSchedule(r.Context(), id); err != nil {
		u.fail(w, r, err)
		return
	}
	err := u.store.DeleteOverride(r.Context(), id, oid)
	switch vigil.ErrorCode(err) {
	case "":
		u.redirectFlash(w, r, scheduleURL(id), "ok", "Override removed.")
	case vigil.CodeNotFound:
		// Already gone (a second click, another tab): say so on the page.
		u.redirectFlash(w, r, scheduleURL(id), "error", "That override no longer exists.")
	default:
		u.fail(w, r, err)
	}
}
