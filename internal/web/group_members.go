package web

import (
	"net/http"
	"strconv"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// groupMembersForm is the "Members and security" form of a group's page:
// a checkbox per user and the security mark. Members of a security group
// see every private incident, so only admins may save it (the store says
// CodeForbidden to anyone else).
type groupMembersForm struct {
	Security bool
	Users    []option // Value: user ID; Selected: a member
}

func newGroupMembersForm(g *vigil.StakeholderGroup, users []*vigil.User) groupMembersForm {
	f := groupMembersForm{Security: g.Security}
	member := map[int64]bool{}
	for _, id := range g.Members {
		member[id] = true
	}
	for _, us := range users {
		f.Users = append(f.Users, option{Value: strconv.FormatInt(us.ID, 10), Label: us.Name + " <" + us.Email + ">", Selected: member[us.ID]})
	}
	return f
}

// groupMembers answers POST /groups/{id}/members: it replaces the group's
// members (the checked "member" boxes) and its security mark.
func (u *UI) groupMembers(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		u.notFound(w, r)
		return
	}
	ctx := r.Context()
	g, err := u.store.FindStakeholderGroup(ctx, id)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	if err := r.ParseForm(); err != nil {
		u.renderError(w, r, http.StatusBadRequest, "The form could not be read.")
		return
	}
	members := []int64{}
	for _, v := range r.PostForm["member"] {
		uid, err := strconv.ParseInt(v, 10, 64)
		if err != nil || uid <= 0 {
			u.renderError(w, r, http.StatusBadRequest, "The field member must hold user IDs.")
			return
		}
		members = append(members, uid)
	}
	g.Members, g.Security = members, r.PostFormValue("security") == "on"
	err = u.store.UpdateStakeholderGroup(ctx, g)
	switch vigil.ErrorCode(err) {
	case "":
		u.redirectFlash(w, r, groupURL(id), "ok", "Members of "+g.Name+" saved.")
	case vigil.CodeForbidden, vigil.CodeInvalid, vigil.CodeNotFound:
		u.redirectFlash(w, r, groupURL(id), "error", vigil.ErrorMessage(err))
	default:
		u.fail(w, r, err)
	}
}
