package web

import (
	"net/http"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// maintenanceUpdate answers POST /maintenance/{id}: the window is replaced
// by the form, and the alerts it holds are checked again at once (those it
// no longer covers page).
func (u *UI) maintenanceUpdate(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		u.notFound(w, r)
		return
	}
	ctx := r.Context()
	orig, err := u.store.FindMaintenanceWindow(ctx, id)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	services, _, err := u.servicesNamed(ctx)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	now := u.clock.Now()
	f := newMaintenanceForm(services, orig, now)
	win, lines, errs := parseMaintenanceForm(r, services, now, &f)
	if len(errs) > 0 {
		f.Errors = labelErrors(errs, maintenanceLabels)
		u.renderMaintenanceShow(w, r, id, http.StatusUnprocessableEntity, &f)
		return
	}
	win.ID, win.CreatedBy = id, orig.CreatedBy
	err = u.store.UpdateMaintenanceWindow(ctx, win)
	switch code := vigil.ErrorCode(err); code {
	case "":
		u.redirectFlash(w, r, maintenanceURL(id), "ok", "Maintenance window "+win.Name+" saved: "+u.windowNews(win))
	case vigil.CodeInvalid, vigil.CodeConflict:
		f.Errors = holdFormErrors(err, maintenanceLabels, maintenanceFields, map[string][]matcherLine{"matchers": lines})
		u.renderMaintenanceShow(w, r, id, statusOf(code), &f)
	case vigil.CodeNotFound:
		u.redirectFlash(w, r, "/maintenance", "error", "That maintenance window no longer exists.")
	default:
		u.fail(w, r, err)
	}
}
