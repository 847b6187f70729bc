package web

import (
	"net/http"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// userUpdate answers POST /users/{id}: a person's name, e-mail and time
// zone.
func (u *UI) userUpdate(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		u.notFound(w, r)
		return
	}
	ctx := r.Context()
	orig, err := u.store.FindUser(ctx, id)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	f := newUserForm(orig)
	us := parseUserForm(r, &f)
	us.ID = id
	err = checkUser(us)
	if err == nil {
		err = u.store.UpdateUser(ctx, us)
	}
	switch code := vigil.ErrorCode(err); code {
	case "":
		u.redirectFlash(w, r, userURL(id), "ok", us.Name+" saved.")
	case vigil.CodeInvalid, vigil.CodeConflict:
		f.Errors = labeledErrors(err, userLabels)
		u.renderUserShow(w, r, id, statusOf(code), userForms{Edit: &f})
	default:
		u.fail(w, r, err)
	}
}
