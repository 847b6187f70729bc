package web

import (
	"net/http"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// teamUpdate answers POST /teams/{id}: name, description and members.
func (u *UI) teamUpdate(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		u.notFound(w, r)
		return
	}
	ctx := r.Context()
	orig, err := u.store.FindTeam(ctx, id)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	users, err := u.store.ListUsers(ctx)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	f := newTeamForm(users, orig)
	t, err := parseTeamForm(r, users, &f)
	t.ID = id
	if err == nil {
		err = u.store.UpdateTeam(ctx, t)
	}
	switch code := vigil.ErrorCode(err); code {
	case "":
		u.redirectFlash(w, r, teamURL(id), "ok", "Team "+t.Name+" saved.")
	case vigil.CodeInvalid, vigil.CodeConflict:
		f.Errors = labeledErrors(err, teamLabels)
		u.renderTeamShow(w, r, id, statusOf(code), &f)
	default:
		u.fail(w, r, err)
	}
}
