package web

import (
	"net/http"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// maintenanceEnd answers POST /maintenance/{id}/end: an open one-off
// window closes now, and what it held that still fires pages (unless
// something else holds it). It returns to the list when the button was
// there (return=list), else to the window's page.
func (u *UI) maintenanceEnd(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		u.notFound(w, r)
		return
	}
	back := maintenanceURL(id)
	if r.PostFormValue("return") == "list" {
		back = "/maintenance"
	}
	ctx := r.Context()
	win, err := u.store.FindMaintenanceWindow(ctx, id)
	if vigil.ErrorCode(err) == vigil.CodeNotFound {
		u.redirectFlash(w, r, "/maintenance", "error", "That maintenance window does not exist.")
		return
	}
	if err != nil {
		u.fail(w, r, err)
		return
	}
	now := u.clock.Now()
	switch {
	case win.Recurrence != nil:
		u.redirectFlash(w, r, back, "error", "A weekly window cannot be ended early: change its days or times, set when it stops repeating, or delete it.")
		return
	case win.State != vigil.MaintenanceOpen:
		u.redirectFlash(w, r, back, "ok", "Maintenance window "+win.Name+" is not open.")
		return
	case !now.After(win.Start):
		u.redirectFlash(w, r, back, "error", "Maintenance window "+win.Name+" opened this very moment; delete it instead.")
		return
	}
	_, held, err := u.store.FindAlerts(ctx, vigil.AlertFilter{HeldByWindow: &id, Limit: 1})
	if err != nil {
		u.fail(w, r, err)
		return
	}
	win.End = now
	switch err := u.store.UpdateMaintenanceWindow(ctx, win); vigil.ErrorCode(err) {
	case "":
	case vigil.CodeNotFound:
		u.redirectFlash(w, r, "/maintenance", "error", "That maintenance window no longer exists.")
		return
	default:
		u.fail(w, r, err)
		return
	}
	msg := "Maintenance window " + win.Name + " ended."
	if held > 0 {
		msg += " The " + plural(held, "alert", "alerts") + " it held now page, unless something else holds them."
	}
	u.redirectFlash(w, r, back, "ok", msg)
}
