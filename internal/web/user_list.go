package web

import (
	"net/http"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// userListPage is the model of user_list.html.
type userListPage struct {
	layout
	Users []*vigil.User
}

// userList answers GET /users.
func (u *UI) userList(w http.ResponseWriter, r *http.Request) {
	users, err := u.store.ListUsers(r.Context())
	if err != nil {
		u.fail(w, r, err)
		return
	}
	u.render(w, r, http.StatusOK, "user_list.html", userListPage{
		layout: u.layout(w, r, "People", "users"),
		Users:  users,
	})
}
