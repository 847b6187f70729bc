package web

import (
	"net/http"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// silenceExpire answers POST /silences/{id}/expire: the silence ends now
// and the alerts it held that still fire open or join incidents and page
// (unless another silence holds them). It returns to the list when the
// button was there (return=list), else to the silence's page.
func (u *UI) silenceExpire(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		u.notFound(w, r)
		return
	}
	back := silenceURL(id)
	if r.PostFormValue("return") == "list" {
		back = "/silences"
	}
	ctx := r.Context()
	before, err := u.store.FindSilenceByID(ctx, id)
	if vigil.ErrorCode(err) == vigil.CodeNotFound {
		u.redirectFlash(w, r, "/silences", "error", "That silence does not exist.")
		return
	}
	if err != nil {
		u.fail(w, r, err)
		return
	}
	if before.State == vigil.SilenceExpired {
		u.redirectFlash(w, r, back, "ok", "Silence #"+itoa(id)+" had already ended.")
		return
	}
	var service int64
	if before.ServiceID != nil {
		service = *before.ServiceID
	}
	held, _, err := u.heldAlerts(ctx, service)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	if _, err := u.store.ExpireSilence(ctx, id); err != nil {
		u.fail(w, r, err)
		return
	}
	msg := "Silence #" + itoa(id) + " expired."
	if n := len(held[id]); n > 0 {
		msg += " The " + plural(n, "alert", "alerts") + " it held now page, unless another silence holds them."
	}
	u.redirectFlash(w, r, back, "ok", msg)
}
