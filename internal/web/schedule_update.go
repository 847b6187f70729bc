package web

import (
	"net/http"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// scheduleUpdate answers POST /schedules/{id}: the editor of
// /schedules/{id}/edit. It replaces the schedule's fields and layers; its
// overrides stay.
func (u *UI) scheduleUpdate(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		u.notFound(w, r)
		return
	}
	ctx := r.Context()
	orig, err := u.store.FindSchedule(ctx, id)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	c, err := u.scheduleCatalog(r)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	p := parseScheduleForm(r, c, orig)
	if p.op != "" {
		u.renderScheduleEdit(w, r, http.StatusOK, orig, p.form)
		return
	}
	if len(p.errs) > 0 {
		u.renderScheduleEdit(w, r, http.StatusUnprocessableEntity, orig, p.form)
		return
	}
	s := p.schedule
	err = u.store.UpdateSchedule(ctx, s)
	switch code := vigil.ErrorCode(err); code {
	case "":
		u.redirectFlash(w, r, scheduleURL(id), "ok", "Schedule "+s.Name+" saved.")
	case vigil.CodeInvalid, vigil.CodeConflict:
		p.form.setError(err, p.rowOf, p.restOf)
		u.renderScheduleEdit(w, r, statusOf(code), orig, p.form)
	default:
		u.fail(w, r, err)
	}
}
