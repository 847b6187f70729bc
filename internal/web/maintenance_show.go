package web

import (
	"net/http"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// maintenanceShowPage is the model of maintenance_show.html.
type maintenanceShowPage struct {
	layout
	Window maintenanceRow
	Form   maintenanceForm
	// Held are the firing alerts it holds now, newest first, at most
	// maxHeldShown of HeldTotal.
	Held      []heldAlertRow
	HeldTotal int
}

// maintenanceShow answers GET /maintenance/{id}: the window, the alerts it
// holds now and its edit form.
func (u *UI) maintenanceShow(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		u.notFound(w, r)
		return
	}
	u.renderMaintenanceShow(w, r, id, http.StatusOK, nil)
}

// renderMaintenanceShow shows window id with its edit form: f as
// submitted, or one filled from the window when nil.
func (u *UI) renderMaintenanceShow(w http.ResponseWriter, r *http.Request, id int64, status int, f *maintenanceForm) {
	ctx := r.Context()
	win, err := u.store.FindMaintenanceWindow(ctx, id)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	services, names, err := u.servicesNamed(ctx)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	held, total, err := u.heldWhere(ctx, vigil.AlertFilter{HeldByWindow: &id}, names)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	m := maintenanceShowPage{
		Window:    u.newMaintenanceRow(win, names, total, total >= vigil.MaxCountedTotal),
		Held:      held,
		HeldTotal: total,
	}
	if f == nil {
		nf := newMaintenanceForm(services, win, u.clock.Now())
		f = &nf
	}
	m.Form = *f
	m.layout = u.layout(w, r, "Maintenance window "+win.Name, "maintenance")
	u.render(w, r, status, "maintenance_show.html", m)
}
