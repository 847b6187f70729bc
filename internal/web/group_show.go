package web

import (
	"net/http"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// groupShowPage is the model of group_show.html.
type groupShowPage struct {
	layout
	Group   groupView
	Form    groupForm
	Members groupMembersForm
	// MemberNames are the members by name, for the details.
	MemberNames []string
}

// groupShow answers GET /groups/{id}: the group, its edit form and the
// delete button.
func (u *UI) groupShow(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		u.notFound(w, r)
		return
	}
	g, err := u.store.FindStakeholderGroup(r.Context(), id)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	u.renderGroupShow(w, r, http.StatusOK, g, newGroupForm(g))
}

// renderGroupShow shows stored group g with its edit form f (as submitted
// or fresh).
func (u *UI) renderGroupShow(w http.ResponseWriter, r *http.Request, status int, g *vigil.StakeholderGroup, f groupForm) {
	users, err := u.store.ListUsers(r.Context())
	if err != nil {
		u.fail(w, r, err)
		return
	}
	names := vigil.NewUserNames(users)
	m := groupShowPage{
		layout:  u.layout(w, r, "Stakeholder group "+g.Name, "groups"),
		Group:   newGroupView(g),
		Form:    f,
		Members: newGroupMembersForm(g, users),
	}
	for _, id := range g.Members {
		m.MemberNames = append(m.MemberNames, names.Of(id))
	}
	u.render(w, r, status, "group_show.html", m)
}
