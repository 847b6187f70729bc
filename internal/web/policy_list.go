package web

import (
	"net/http"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// policyListPage is the model of policy_list.html.
type policyListPage struct {
	layout
	Policies []policyRow
	Form     policyForm
}

// policyRow is one policy with whom its first step pages.
type policyRow struct {
	*vigil.EscalationPolicy
	FirstStep []targetView
}

// policyList answers GET /escalation-policies.
func (u *UI) policyList(w http.ResponseWriter, r *http.Request) {
	m, err := u.policyListModel(w, r, nil)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	u.render(w, r, http.StatusOK, "policy_list.html", m)
}

// policyListModel builds the page; form is the "New policy" form as
// submitted, or nil for an empty one.
func (u *UI) policyListModel(w http.ResponseWriter, r *http.Request, form *policyForm) (policyListPage, error) {
	ctx := r.Context()
	policies, err := u.store.ListEscalationPolicies(ctx)
	if err != nil {
		return policyListPage{}, err
	}
	c, err := u.targetCatalog(ctx)
	if err != nil {
		return policyListPage{}, err
	}
	m := policyListPage{Policies: make([]policyRow, 0, len(policies))}
	for _, p := range policies {
		row := policyRow{EscalationPolicy: p}
		if len(p.Steps) > 0 {
			row.FirstStep = c.views(p.Steps[0].Targets)
		}
		m.Policies = append(m.Policies, row)
	}
	if form == nil {
		f := newPolicyForm(c, nil)
		form = &f
	}
	m.Form = *form
	m.layout = u.layout(w, r, "Escalation policies", "policies")
	return m, nil
}
