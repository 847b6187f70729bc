package web

import (
	"net/http"
	"time"

	"github.com/vigil-oss/vigil/internal/oncall"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// scheduleListPage is the model of schedule_list.html.
type scheduleListPage struct {
	layout
	Schedules []scheduleRow
	Form      scheduleForm
}

// scheduleRow is one schedule with who is on call on it now.
type scheduleRow struct {
	*vigil.Schedule
	Layers int
	// OnCall is the name of whoever is on call now; empty when no one is.
	OnCall   string
	OnCallID int64
	Override bool
	// Error says why the schedule could not be evaluated.
	Error string
	// CanEdit: the person manages the schedule's team (its edit page and
	// routes let them through).
	CanEdit bool
}

// scheduleList answers GET /schedules.
func (u *UI) scheduleList(w http.ResponseWriter, r *http.Request) {
	u.renderScheduleList(w, r, http.StatusOK, nil)
}

// renderScheduleList shows the schedules and the "New schedule" form: form
// as submitted, or a fresh one when nil.
func (u *UI) renderScheduleList(w http.ResponseWriter, r *http.Request, status int, form *scheduleForm) {
	ctx := r.Context()
	schedules, err := u.store.ListSchedules(ctx)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	names, err := vigil.LoadUserNames(ctx, u.store)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	now := u.clock.Now()
	m := scheduleListPage{Schedules: make([]scheduleRow, 0, len(schedules))}
	for _, s := range schedules {
		row := scheduleRow{Schedule: s, Layers: len(s.Layers), CanEdit: u.canManageTeam(r, s.TeamID)}
		// Only the overrides holding now matter to oncall.At.
		ovs, err := vigil.LoadOverrides(ctx, u.store, s.ID, now, now.Add(time.Second))
		if err != nil {
			u.fail(w, r, err)
			return
		}
		// A one-second window: the shift holding now, with its override flag.
		shifts, err := oncall.ShiftsBetween(*s, ovs, now, now.Add(time.Second))
		switch {
		case err != nil:
			row.Error = vigil.ErrorMessage(err)
		case len(shifts) > 0 && !shifts[0].Start.After(now):
			row.OnCall, row.OnCallID, row.Override = names.Of(shifts[0].UserID), shifts[0].UserID, shifts[0].Override
		}
		m.Schedules = append(m.Schedules, row)
	}
	if form == nil {
		c, err := u.scheduleCatalog(r)
		if err != nil {
			u.fail(w, r, err)
			return
		}
		f := newScheduleForm(c, nil)
		form = &f
	}
	m.Form = *form
	m.layout = u.layout(w, r, "Schedules", "schedules")
	u.render(w, r, status, "schedule_list.html", m)
}
