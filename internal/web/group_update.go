package web

import (
	"net/http"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// groupUpdate answers POST /groups/{id}: it replaces the group's fields
// and channels. A Teams or webhook address left in its masked form keeps
// the stored URL.
func (u *UI) groupUpdate(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		u.notFound(w, r)
		return
	}
	ctx := r.Context()
	orig, err := u.store.FindStakeholderGroup(ctx, id)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	p := parseGroupForm(r, orig)
	if p.op != "" {
		u.renderGroupShow(w, r, http.StatusOK, orig, p.form)
		return
	}
	p.keepSecrets(orig)
	g := p.group
	// Members and the security mark have their own form (groupMembers).
	g.Security, g.Members = orig.Security, orig.Members
	err = u.store.UpdateStakeholderGroup(ctx, g)
	switch code := vigil.ErrorCode(err); code {
	case "":
		u.redirectFlash(w, r, groupURL(id), "ok", "Stakeholder group "+g.Name+" saved.")
	case vigil.CodeInvalid, vigil.CodeConflict:
		p.form.setError(err, p.rowOf)
		u.renderGroupShow(w, r, statusOf(code), orig, p.form)
	default:
		u.fail(w, r, err)
	}
}
