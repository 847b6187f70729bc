package web

import (
	"net/http"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// userListPage is the model of user_list.html.
type userListPage struct {
	layout
	Users []*vigil.User
	Form  userForm
}

// userList answers GET /users.
func (u *UI) userList(w http.ResponseWriter, r *http.Request) {
	u.renderUserList(w, r, http.StatusOK, newUserForm(nil))
}

// renderUserList shows the people and the "New person" form f (as
// submitted, with its errors, when it was refused).
func (u *UI) renderUserList(w http.ResponseWriter, r *http.Request, status int, f userForm) {
	users, err := u.store.ListUsers(r.Context())
	if err != nil {
		u.fail(w, r, err)
		return
	}
	u.render(w, r, status, "user_list.html", userListPage{
		layout: u.layout(w, r, "People", "users"),
		Users:  users,
		Form:   f,
	})
}
