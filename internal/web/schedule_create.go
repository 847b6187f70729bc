package web

import (
	"net/http"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// scheduleCreate answers POST /schedules: the "New schedule" form. An
// "op" button (add a layer, a member place, a restriction row; remove a
// layer) shows the form again in its new shape and saves nothing.
func (u *UI) scheduleCreate(w http.ResponseWriter, r *http.Request) {
	c, err := u.scheduleCatalog(r)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	p := parseScheduleForm(r, c, nil)
	if p.op != "" {
		u.renderScheduleList(w, r, http.StatusOK, &p.form)
		return
	}
	if len(p.errs) > 0 {
		u.renderScheduleList(w, r, http.StatusUnprocessableEntity, &p.form)
		return
	}
	s := p.schedule
	err = u.store.CreateSchedule(r.Context(), s)
	switch code := vigil.ErrorCode(err); code {
	case "":
		u.redirectFlash(w, r, scheduleURL(s.ID), "ok", "Schedule "+s.Name+" created.")
	case vigil.CodeInvalid, vigil.CodeConflict:
		p.form.setError(err, p.rowOf, p.restOf)
		u.renderScheduleList(w, r, statusOf(code), &p.form)
	default:
		u.fail(w, r, err)
	}
}
