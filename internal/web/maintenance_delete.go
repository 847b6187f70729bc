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
	var more []string
	if win.State != vigil.MaintenanceEnded {
		more = append(more, "New alerts it covers page again.")
	}
	u.deleteHolder(w, r, holderDeletion{
		Noun: "maintenance window", Short: "window", Name: win.Name,
		URL: maintenanceURL(id), List: "/maintenance", Nav: "maintenance",
		Holds: "holds", Held: "held", Count: held, More: more,
		Delete: func() error { return u.store.DeleteMaintenanceWindow(ctx, id) },
	})
}
