package web

import (
	"net/http"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// groupListPage is the model of group_list.html.
type groupListPage struct {
	layout
	Groups []groupView
	Form   groupForm
}

// groupView is a stakeholder group as pages show it: its secret addresses
// masked, and who it hears about in words.
type groupView struct {
	*vigil.StakeholderGroup
	Hears string
}

// newGroupView masks g's Teams and webhook URLs: they are credentials and
// never go into a page.
func newGroupView(g *vigil.StakeholderGroup) groupView {
	return groupView{StakeholderGroup: g.Masked(), Hears: minSeverityLabel(g.MinSeverity)}
}

// groupList answers GET /groups.
func (u *UI) groupList(w http.ResponseWriter, r *http.Request) {
	u.renderGroupList(w, r, http.StatusOK, nil)
}

// renderGroupList shows the groups and the "New group" form: f as
// submitted, or a fresh one when nil.
func (u *UI) renderGroupList(w http.ResponseWriter, r *http.Request, status int, f *groupForm) {
	groups, err := u.store.ListStakeholderGroups(r.Context())
	if err != nil {
		u.fail(w, r, err)
		return
	}
	m := groupListPage{Groups: make([]groupView, 0, len(groups))}
	for _, g := range groups {
		m.Groups = append(m.Groups, newGroupView(g))
	}
	if f == nil {
		nf := newGroupForm(nil)
		f = &nf
	}
	m.Form = *f
	m.layout = u.layout(w, r, "Stakeholder groups", "groups")
	u.render(w, r, status, "group_list.html", m)
}
