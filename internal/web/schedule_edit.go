package web

import (
	"net/http"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// scheduleEditPage is the model of schedule_edit.html.
type scheduleEditPage struct {
	layout
	Schedule *vigil.Schedule
	Form     scheduleForm
}

// scheduleEdit answers GET /schedules/{id}/edit: the schedule in the
// editor, with the delete button.
func (u *UI) scheduleEdit(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		u.notFound(w, r)
		return
	}
	s, err := u.store.FindSchedule(r.Context(), id)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	c, err := u.scheduleCatalog(r)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	u.renderScheduleEdit(w, r, http.StatusOK, s, newScheduleForm(c, s))
}

func (u *UI) renderScheduleEdit(w http.ResponseWriter, r *http.Request, status int, s *vigil.Schedule, f scheduleForm) {
	u.render(w, r, status, "schedule_edit.html", scheduleEditPage{
		layout:   u.layout(w, r, "Edit schedule "+s.Name, "schedules"),
		Schedule: s,
		Form:     f,
	})
}
