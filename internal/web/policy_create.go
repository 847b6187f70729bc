package web

import (
	"net/http"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// policyCreate answers POST /escalation-policies.
func (u *UI) policyCreate(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	c, err := u.targetCatalog(ctx)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	f, p, rowOf, err := parsePolicyForm(r, c, nil)
	if err == nil {
		err = u.store.CreateEscalationPolicy(ctx, p)
	}
	switch code := vigil.ErrorCode(err); code {
	case "":
		u.redirectFlash(w, r, "/escalation-policies/"+itoa(p.ID), "ok", "Escalation policy "+p.Name+" created.")
	case vigil.CodeInvalid, vigil.CodeConflict:
		f.setError(err, rowOf)
		m, merr := u.policyListModel(w, r, &f)
		if merr != nil {
			u.fail(w, r, merr)
			return
		}
		u.render(w, r, statusOf(code), "policy_list.html", m)
	default:
		u.fail(w, r, err)
	}
}
