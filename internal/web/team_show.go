package web

import (
	"net/http"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// teamShowPage is the model of team_show.html.
type teamShowPage struct {
	layout
	Team     *vigil.Team
	Members  []personLink
	Managers []personLink
	// Responders respond on the team's incidents (managers do too).
	Responders []personLink
	Schedules  []*vigil.Schedule
	Policies   []*vigil.EscalationPolicy
	Form       teamForm
}

// teamShow answers GET /teams/{id}.
func (u *UI) teamShow(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		u.notFound(w, r)
		return
	}
	u.renderTeamShow(w, r, id, http.StatusOK, nil)
}

// renderTeamShow shows team id with its edit form: f as submitted, or a
// fresh one when nil.
func (u *UI) renderTeamShow(w http.ResponseWriter, r *http.Request, id int64, status int, f *teamForm) {
	ctx := r.Context()
	t, err := u.store.FindTeam(ctx, id)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	users, err := u.store.ListUsers(ctx)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	schedules, err := u.store.ListSchedules(ctx)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	policies, err := u.store.ListEscalationPolicies(ctx)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	names := vigil.NewUserNames(users)
	m := teamShowPage{Team: t, Members: personLinks(t.Members, names), Managers: personLinks(t.Managers, names),
		Responders: personLinks(t.Responders, names)}
	for _, s := range schedules {
		if s.TeamID == id {
			m.Schedules = append(m.Schedules, s)
		}
	}
	for _, p := range policies {
		if p.TeamID == id {
			m.Policies = append(m.Policies, p)
		}
	}
	if f == nil {
		nf := newTeamForm(users, t)
		f = &nf
	}
	m.Form = *f
	m.layout = u.layout(w, r, "Team "+t.Name, "teams")
	u.render(w, r, status, "team_show.html", m)
}
