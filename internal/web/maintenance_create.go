package web

import (
	"net/http"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// maintenanceCreate answers POST /maintenance. Every error is shown next
// to its input, with what was typed kept, and nothing is stored.
func (u *UI) maintenanceCreate(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	services, _, err := u.servicesNamed(ctx)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	now := u.clock.Now()
	f := newMaintenanceForm(services, nil, now)
	win, lines, errs := parseMaintenanceForm(r, services, now, &f)
	// A new one-off window that is already over would hold nothing; an
	// ended one may still be edited (renamed, say).
	if win.Recurrence == nil && !win.End.IsZero() && !win.End.After(now) && errs["end"] == "" && errs["duration"] == "" {
		errs["end"] = "must be in the future: this window would never open"
	}
	if len(errs) > 0 {
		f.Errors = labelErrors(errs, maintenanceLabels)
		u.renderMaintenanceList(w, r, http.StatusUnprocessableEntity, &f)
		return
	}
	err = u.store.CreateMaintenanceWindow(ctx, win)
	switch code := vigil.ErrorCode(err); code {
	case "":
		u.redirectFlash(w, r, maintenanceURL(win.ID), "ok", "Maintenance window "+win.Name+" created: "+u.windowNews(win))
	case vigil.CodeInvalid, vigil.CodeConflict, vigil.CodeNotFound:
		f.Errors = holdFormErrors(err, maintenanceLabels, maintenanceFields, map[string][]matcherLine{"matchers": lines})
		u.renderMaintenanceList(w, r, statusOf(code), &f)
	default:
		u.fail(w, r, err)
	}
}

// windowNews says what a window saved just now does: whether it holds new
// alerts now, and until when, or when it opens.
func (u *UI) windowNews(win *vigil.MaintenanceWindow) string {
	switch {
	case win.State == vigil.MaintenanceOpen && win.OpenUntil != nil:
		return "open now: new alerts it covers are held, without paging, until " + u.timeLabel(*win.OpenUntil).Text + "."
	case win.OpensAt != nil:
		return "it opens " + u.timeLabel(*win.OpensAt).Text + "."
	default:
		return "it will not open again."
	}
}
