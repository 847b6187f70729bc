package web

import (
	"net/http"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// teamCreate answers POST /teams.
func (u *UI) teamCreate(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	users, err := u.store.ListUsers(ctx)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	f := newTeamForm(users, nil)
	t, err := parseTeamForm(r, users, &f)
	if err == nil {
		err = u.store.CreateTeam(ctx, t)
	}
	switch code := vigil.ErrorCode(err); code {
	case "":
		u.redirectFlash(w, r, teamURL(t.ID), "ok", "Team "+t.Name+" created with "+plural(len(t.Members), "member", "members")+".")
	case vigil.CodeInvalid, vigil.CodeConflict:
		f.Errors = labeledErrors(err, teamLabels)
		u.renderTeamList(w, r, statusOf(code), &f)
	default:
		u.fail(w, r, err)
	}
}
