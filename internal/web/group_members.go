package web

import (
	"net/http"
	"net/url"
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

// parseGroupMembers reads the members form: the ticked "member" boxes
// (user IDs) and the "security" box. CodeInvalid naming the field for a
// value that is not a user ID.
func parseGroupMembers(form url.Values) (members []int64, security bool, err error) {
	members = []int64{}
	for _, v := range form["member"] {
		uid, err := strconv.ParseInt(v, 10, 64)
		if err != nil || uid <= 0 {
			return nil, false, vigil.FieldError("member", "must hold user IDs")
		}
		members = append(members, uid)
	}
	switch form.Get("security") {
	case "", "off":
	case "on":
		security = true
	default:
		return nil, false, vigil.FieldError("security", "must be on or off")
	}
	return members, security, nil
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
	members, security, err := parseGroupMembers(r.PostForm)
	if err != nil {
		u.renderError(w, r, http.StatusBadRequest, vigil.ErrorMessage(err))
		return
	}
	g.Members, g.Security = members, security
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
