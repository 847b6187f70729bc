package web

import (
	"net/http"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// teamListPage is the model of team_list.html.
type teamListPage struct {
	layout
	Teams []teamRow
	Form  teamForm
}

// teamRow is a team with its members named.
type teamRow struct {
	*vigil.Team
	Members []personLink
}

// personLink is a person shown by name, linking to their page.
type personLink struct {
	ID   int64
	Name string
}

func personLinks(ids []int64, names vigil.UserNames) []personLink {
	out := make([]personLink, 0, len(ids))
	for _, id := range ids {
		out = append(out, personLink{ID: id, Name: names.Of(id)})
	}
	return out
}

// teamList answers GET /teams.
func (u *UI) teamList(w http.ResponseWriter, r *http.Request) {
	u.renderTeamList(w, r, http.StatusOK, nil)
}

// renderTeamList shows the teams and the "New team" form: f as submitted,
// or a fresh one when nil.
func (u *UI) renderTeamList(w http.ResponseWriter, r *http.Request, status int, f *teamForm) {
	ctx := r.Context()
	teams, err := u.store.ListTeams(ctx)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	users, err := u.store.ListUsers(ctx)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	names := vigil.NewUserNames(users)
	m := teamListPage{Teams: make([]teamRow, 0, len(teams))}
	for _, t := range teams {
		m.Teams = append(m.Teams, teamRow{Team: t, Members: personLinks(t.Members, names)})
	}
	if f == nil {
		nf := newTeamForm(users, nil)
		f = &nf
	}
	m.Form = *f
	m.layout = u.layout(w, r, "Teams", "teams")
	u.render(w, r, status, "team_list.html", m)
}
