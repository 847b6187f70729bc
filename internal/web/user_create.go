package web

import (
	"net/http"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// userCreate answers POST /users: the "New person" form.
func (u *UI) userCreate(w http.ResponseWriter, r *http.Request) {
	f := newUserForm(nil)
	us := parseUserForm(r, &f)
	err := checkUser(us)
	if err == nil {
		err = u.store.CreateUser(r.Context(), us)
	}
	switch code := vigil.ErrorCode(err); code {
	case "":
		u.redirectFlash(w, r, userURL(us.ID), "ok", us.Name+" added. Add a contact method so pages can reach them.")
	case vigil.CodeInvalid, vigil.CodeConflict:
		f.Errors = labeledErrors(err, userLabels)
		u.renderUserList(w, r, statusOf(code), f)
	default:
		u.fail(w, r, err)
	}
}
