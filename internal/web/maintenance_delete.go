package web

import (
	"net/http"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// maintenanceDelete answers POST /maintenance/{id}/delete. Without
// confirm=yes it says what deleting the window changes and asks again.
func (u *UI) maintenanceDelete(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		u.notFound(w, r)
		return
	}
	ctx := r.Context()
	win, err := u.store.FindMaintenanceWindow(ctx, id)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	_, held, err := u.store.FindAlerts(ctx, vigil.AlertFilter{HeldByWindow: &id, Limit: 1})
	if err != nil {
		u.fail(w, r, err)
		return
	}
	if !confirmed(r) {
		m := confirmPage{
			Heading: "Delete maintenance window " + win.Name + "?",
			Action:  maintenanceURL(id) + "/delete",
			Cancel:  maintenanceURL(id),
			Button:  "Delete window " + win.Name,
		}
		if held > 0 {
			m.Consequences = append(m.Consequences, "The "+plural(held, "alert", "alerts")+" it holds now page at once, unless something else holds them.")
		}
		if win.State != vigil.MaintenanceEnded {
			m.Consequences = append(m.Consequences, "New alerts it covers page again.")
		}
		m.Consequences = append(m.Consequences, "If it is in a manifest, the next vigil apply creates it again.")
		u.renderConfirm(w, r, http.StatusOK, "maintenance", m)
		return
	}
	switch err := u.store.DeleteMaintenanceWindow(ctx, id); vigil.ErrorCode(err) {
	case "":
		msg := "Maintenance window " + win.Name + " deleted."
		if held > 0 {
			msg += " The " + plural(held, "alert", "alerts") + " it held now page, unless something else holds them."
		}
		u.redirectFlash(w, r, "/maintenance", "ok", msg)
	case vigil.CodeNotFound:
		u.redirectFlash(w, r, "/maintenance", "error", "That maintenance window no longer exists.")
	default:
		u.fail(w, r, err)
	}
}
