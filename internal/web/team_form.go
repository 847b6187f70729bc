package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// teamForm is the "New team" form of /teams and the edit form of a team's
// page, as typed.
type teamForm struct {
	Action      string
	Submit      string
	Name        string
	Description string
	// Members is the multi-select of every person, the members selected;
	// Managers the same for the team's managers (who are members too).
	// Responders the same for the team's responders.
	Members    []option
	Managers   []option
	Responders []option
	Errors     formErrors
}

// teamLabels name the form's inputs (vigil.Team's field names) in messages.
var teamLabels = map[string]string{"name": "Name", "description": "Description", "members": "Members", "managers": "Managers", "responders": "Responders"}

// newTeamForm is the form for t, or an empty one for a new team.
func newTeamForm(users []*vigil.User, t *vigil.Team) teamForm {
	f := teamForm{Action: "/teams", Submit: "Create team"}
	selected, managers, responders := map[string]bool{}, map[string]bool{}, map[string]bool{}
	if t != nil {
		f.Action, f.Submit = teamURL(t.ID), "Save team"
		f.Name, f.Description = t.Name, t.Description
		for _, id := range t.Members {
			selected[itoa(id)] = true
		}
		for _, id := range t.Managers {
			managers[itoa(id)] = true
		}
		for _, id := range t.Responders {
			responders[itoa(id)] = true
		}
	}
	f.Members, f.Managers, f.Responders = userOptions(users, selected), userOptions(users, managers), userOptions(users, responders)
	return f
}

// userOptions lists every person as a choice, those in selected marked.
func userOptions(users []*vigil.User, selected map[string]bool) []option {
	opts := make([]option, 0, len(users))
	for _, us := range users {
		v := itoa(us.ID)
		opts = append(opts, option{Value: v, Label: us.Name, Selected: selected[v]})
	}
	return opts
}

// parseTeamForm reads the form into f (keeping its Action) and a team.
func parseTeamForm(r *http.Request, users []*vigil.User, f *teamForm) (*vigil.Team, error) {
	f.Name = strings.TrimSpace(r.PostFormValue("name"))
	f.Description = strings.TrimSpace(r.PostFormValue("description"))
	t := &vigil.Team{Name: f.Name, Description: f.Description}
	var err error
	people := func(field string) ([]int64, map[string]bool) {
		ids, selected := []int64{}, map[string]bool{}
		for _, v := range r.PostForm[field] {
			if v = strings.TrimSpace(v); v == "" {
				continue
			}
			selected[v] = true
			id, perr := strconv.ParseInt(v, 10, 64)
			if perr != nil || id <= 0 {
				if err == nil {
					err = vigil.FieldError(field, "%q is not a person", v)
				}
				continue
			}
			ids = append(ids, id)
		}
		return ids, selected
	}
	var members, managers, responders map[string]bool
	t.Members, members = people("members")
	t.Managers, managers = people("managers")
	t.Responders, responders = people("responders")
	f.Members, f.Managers, f.Responders = userOptions(users, members), userOptions(users, managers), userOptions(users, responders)
	if err == nil {
		err = t.Validate()
	}
	return t, err
}

// teamURL is a team's page.
func teamURL(id int64) string { return "/teams/" + itoa(id) }
