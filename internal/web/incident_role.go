package web

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// roleView is one incident role on the incident page: who holds it (nil
// when nobody) and the people it can be given to.
type roleView struct {
	Role, Label string
	Holder      *vigil.IncidentRoleHolder
	Users       []option
}

// incidentRoleViews lists every role, held or not, with a user select
// each (the holder selected).
func (u *UI) incidentRoleViews(ctx context.Context, id int64) ([]roleView, error) {
	held, err := u.store.ListIncidentRoles(ctx, id)
	if err != nil {
		return nil, err
	}
	users, err := u.store.ListUsers(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]roleView, 0, len(vigil.IncidentRoles))
	for _, role := range vigil.IncidentRoles {
		v := roleView{Role: role, Label: vigil.IncidentRoleLabel(role)}
		selected := map[string]bool{}
		for _, h := range held {
			if h.Role == role {
				v.Holder = h
				selected[itoa(h.UserID)] = true
			}
		}
		v.Users = userOptions(users, selected)
		out = append(out, v)
	}
	return out, nil
}

// incidentRole answers POST /incidents/{id}/roles: role and user_id
// ("me" for the signed-in person, "" or clear=1 to clear the role).
func (u *UI) incidentRole(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		u.notFound(w, r)
		return
	}
	role := r.PostFormValue("role")
	var uid int64
	switch ref := strings.TrimSpace(r.PostFormValue("user_id")); {
	case r.PostFormValue("clear") != "" || ref == "":
	case ref == "me":
		uid = vigil.ActorFromContext(r.Context()).ID
	default:
		n, err := strconv.ParseInt(ref, 10, 64)
		if err != nil || n <= 0 {
			u.redirectFlash(w, r, incidentURL(id), "error", "Choose a person from the list.")
			return
		}
		uid = n
	}
	roles, err := u.store.AssignIncidentRole(r.Context(), id, role, uid)
	switch vigil.ErrorCode(err) {
	case "":
		msg := upperFirst(vigil.IncidentRoleLabel(role)) + " cleared."
		for _, h := range roles {
			if h.Role == role {
				msg = h.UserName + " is " + vigil.IncidentRoleLabel(role) + "."
			}
		}
		u.redirectFlash(w, r, incidentURL(id)+"#roles", "ok", msg)
	case vigil.CodeInvalid:
		u.redirectFlash(w, r, incidentURL(id)+"#roles", "error", vigil.ErrorMessage(err))
	default:
		u.fail(w, r, err)
	}
}
