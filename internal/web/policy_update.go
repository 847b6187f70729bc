package web

import (
	"net/http"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// policyUpdate answers POST /escalation-policies/{id}: it replaces the
// policy's name, description, repeat count and steps, keeping its team and
// its steps' time conditions.
func (u *UI) policyUpdate(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		u.notFound(w, r)
		return
	}
	ctx := r.Context()
	orig, err := u.store.FindEscalationPolicy(ctx, id)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	c, err := u.targetCatalog(ctx)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	f, p, rowOf, err := parsePolicyForm(r, c, orig)
	if err == nil {
		err = u.store.UpdateEscalationPolicy(ctx, p)
	}
	switch code := vigil.ErrorCode(err); code {
	case "":
		u.redirectFlash(w, r, "/escalation-policies/"+itoa(id), "ok", "Escalation policy "+p.Name+" saved.")
	case vigil.CodeInvalid, vigil.CodeConflict:
		f.setError(err, rowOf)
		m, merr := u.policyShowModel(w, r, id, &f)
		if merr != nil {
			u.fail(w, r, merr)
			return
		}
		u.render(w, r, statusOf(code), "policy_show.html", m)
	default:
		u.fail(w, r, err)
	}
}
