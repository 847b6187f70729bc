package web

import (
	"net/http"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// groupCreate answers POST /groups: the "New group" form. An "op" button
// (add a channel row, remove one) shows the form again in its new shape
// and saves nothing.
func (u *UI) groupCreate(w http.ResponseWriter, r *http.Request) {
	p := parseGroupForm(r, nil)
	if p.op != "" {
		u.renderGroupList(w, r, http.StatusOK, &p.form)
		return
	}
	g := p.group
	err := u.store.CreateStakeholderGroup(r.Context(), g)
	switch code := vigil.ErrorCode(err); code {
	case "":
		u.redirectFlash(w, r, groupURL(g.ID), "ok",
			"Stakeholder group "+g.Name+" created with "+plural(len(g.Channels), "channel", "channels")+".")
	case vigil.CodeInvalid, vigil.CodeConflict:
		p.form.setError(err, p.rowOf)
		u.renderGroupList(w, r, statusOf(code), &p.form)
	default:
		u.fail(w, r, err)
	}
}
