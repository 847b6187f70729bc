package web

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// maintenanceListPage is the model of maintenance_list.html.
type maintenanceListPage struct {
	layout
	Windows []maintenanceRow
	Form    maintenanceForm
	// Held are the alerts windows hold now, newest first, at most
	// maxHeldShown of HeldTotal; HeldCapped says there were too many to
	// count them all.
	Held       []heldAlertRow
	HeldTotal  int
	HeldCapped bool
}

// maintenanceRow is a window as the list and its page show it. Times are
// shown on the wall clock of the window's zone, as it is defined.
type maintenanceRow struct {
	*vigil.MaintenanceWindow
	Services []serviceLink
	// When says when it opens: "once, from … to …" or "every Mon, Fri at
	// 22:00 for 4h".
	When string
	// OpenUntil is when an open window closes; Opens and Closes are its
	// next occurrence (nil when it never opens again).
	OpenUntil *timeLabel
	Opens     *timeLabel
	Closes    *timeLabel
	// Held is how many firing alerts it holds now ("12", or "10000+").
	Held     int
	HeldText string
	// CanEnd: an open one-off window can be ended early.
	CanEnd bool
}

// serviceLink is a service shown by name, linking to its page.
type serviceLink struct {
	ID   int64
	Name string
}

// maintenanceList answers GET /maintenance.
func (u *UI) maintenanceList(w http.ResponseWriter, r *http.Request) {
	u.renderMaintenanceList(w, r, http.StatusOK, nil)
}

// renderMaintenanceList shows the windows, the alerts they hold and the
// "New maintenance window" form: f as submitted, or a fresh one when nil.
func (u *UI) renderMaintenanceList(w http.ResponseWriter, r *http.Request, status int, f *maintenanceForm) {
	ctx := r.Context()
	windows, err := u.store.ListMaintenanceWindows(ctx)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	services, names, err := u.servicesNamed(ctx)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	mine, byWindow, capped, err := u.heldByEach(ctx, func(a *vigil.Alert) *int64 { return a.HeldByWindow })
	if err != nil {
		u.fail(w, r, err)
		return
	}
	m := maintenanceListPage{HeldTotal: len(mine), HeldCapped: capped}
	for _, win := range windows {
		m.Windows = append(m.Windows, u.newMaintenanceRow(win, names, byWindow[win.ID], capped))
	}
	if m.Held, err = u.heldRowsNamed(ctx, mine, names); err != nil {
		u.fail(w, r, err)
		return
	}
	if f == nil {
		nf := newMaintenanceForm(services, nil, u.clock.Now())
		f = &nf
	}
	m.Form = *f
	m.layout = u.layout(w, r, "Maintenance windows", "maintenance")
	u.render(w, r, status, "maintenance_list.html", m)
}

// allHeld reads the alerts held now by anything, at most maxHeldScan;
// capped says there were more.
func (u *UI) allHeld(ctx context.Context) ([]*vigil.Alert, bool, error) {
	held, total, err := u.store.FindAlerts(ctx, vigil.AlertFilter{Held: true, Limit: maxHeldScan})
	if err != nil {
		return nil, false, err
	}
	return held, total > len(held) || total >= vigil.MaxCountedTotal, nil
}

// heldByEach reads the alerts held now and keeps those that by says a
// window or rule holds (by returns its id, or nil), counting them by id.
func (u *UI) heldByEach(ctx context.Context, by func(*vigil.Alert) *int64) ([]*vigil.Alert, map[int64]int, bool, error) {
	held, capped, err := u.allHeld(ctx)
	if err != nil {
		return nil, nil, false, err
	}
	counts := map[int64]int{}
	var kept []*vigil.Alert
	for _, a := range held {
		if id := by(a); id != nil {
			counts[*id]++
			kept = append(kept, a)
		}
	}
	return kept, counts, capped, nil
}

// newMaintenanceRow prepares a window for display.
func (u *UI) newMaintenanceRow(win *vigil.MaintenanceWindow, names map[int64]string, held int, capped bool) maintenanceRow {
	loc, err := time.LoadLocation(win.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	row := maintenanceRow{
		MaintenanceWindow: win,
		Held:              held,
		HeldText:          strconv.Itoa(held),
		CanEnd:            win.Recurrence == nil && win.State == vigil.MaintenanceOpen,
	}
	if capped {
		row.HeldText += "+"
	}
	for _, id := range win.ServiceIDs {
		name := names[id]
		if name == "" {
			name = "service " + itoa(id)
		}
		row.Services = append(row.Services, serviceLink{ID: id, Name: name})
	}
	label := func(t *time.Time) *timeLabel {
		if t == nil {
			return nil
		}
		l := u.zoneLabel(*t, loc)
		return &l
	}
	row.OpenUntil, row.Opens, row.Closes = label(win.OpenUntil), label(win.OpensAt), label(win.ClosesAt)
	if rec := win.Recurrence; rec != nil {
		days := make([]string, 0, len(rec.Weekdays))
		for _, d := range rec.Weekdays {
			days = append(days, d.String()[:3])
		}
		row.When = "every " + strings.Join(days, ", ") + " at " + rec.At + " for " + shortDuration(time.Duration(rec.Duration))
		if !win.End.IsZero() {
			row.When += ", until " + zoneTime(win.End, loc)
		}
	} else {
		row.When = "once, " + zoneTime(win.Start, loc) + " to " + zoneTime(win.End, loc)
	}
	return row
}

// zoneLabel shows t on the wall clock of loc with how far it is from now:
// "Sun 03 May 01:00 CEST (in 2h)".
func (u *UI) zoneLabel(t time.Time, loc *time.Location) timeLabel {
	return timeLabel{At: t, Text: zoneTime(t, loc) + " (" + relativeTo(u.clock.Now(), t) + ")"}
}
