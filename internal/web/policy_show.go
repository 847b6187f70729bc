package web

import (
	"net/http"
	"strconv"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// policyShowPage is the model of policy_show.html.
type policyShowPage struct {
	layout
	Policy *vigil.EscalationPolicy
	Team   string
	Steps  []stepView
	Form   policyForm
}

// stepView is one step as the page describes it.
type stepView struct {
	Number    int
	Delay     string
	Last      bool
	Targets   []targetView
	Condition string
}

// targetView is a target with its name and, for people and schedules, a
// link to their page.
type targetView struct {
	Type string
	Name string
	URL  string
}

// views names targets; one deleted since shows its type and ID.
func (c targetCatalog) views(ts []vigil.Target) []targetView {
	out := make([]targetView, 0, len(ts))
	for _, t := range ts {
		v := targetView{Type: t.Type, Name: t.Type + " #" + strconv.FormatInt(t.ID, 10)}
		switch t.Type {
		case vigil.TargetUser:
			for _, x := range c.users {
				if x.ID == t.ID {
					v.Name, v.URL = x.Name, "/users/"+itoa(x.ID)
				}
			}
		case vigil.TargetSchedule:
			for _, x := range c.schedules {
				if x.ID == t.ID {
					v.Name, v.URL = x.Name, "/schedules/"+itoa(x.ID)
				}
			}
		case vigil.TargetTeam:
			for _, x := range c.teams {
				if x.ID == t.ID {
					v.Name = x.Name
				}
			}
		}
		out = append(out, v)
	}
	return out
}

// policyShow answers GET /escalation-policies/{id}.
func (u *UI) policyShow(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		u.notFound(w, r)
		return
	}
	m, err := u.policyShowModel(w, r, id, nil)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	u.render(w, r, http.StatusOK, "policy_show.html", m)
}

// policyShowModel builds the page; form is the editor as submitted, or nil
// for the stored policy.
func (u *UI) policyShowModel(w http.ResponseWriter, r *http.Request, id int64, form *policyForm) (policyShowPage, error) {
	ctx := r.Context()
	p, err := u.store.FindEscalationPolicy(ctx, id)
	if err != nil {
		return policyShowPage{}, err
	}
	c, err := u.targetCatalog(ctx)
	if err != nil {
		return policyShowPage{}, err
	}
	m := policyShowPage{Policy: p}
	for _, t := range c.teams {
		if t.ID == p.TeamID {
			m.Team = t.Name
		}
	}
	for i, s := range p.Steps {
		m.Steps = append(m.Steps, stepView{
			Number: i + 1, Delay: delayMinutes(s.Delay), Last: i == len(p.Steps)-1,
			Targets: c.views(s.Targets), Condition: describeCondition(s.Condition),
		})
	}
	if form == nil {
		f := newPolicyForm(c, p)
		form = &f
	}
	m.Form = *form
	m.layout = u.layout(w, r, "Escalation policy "+p.Name, "policies")
	m.Can.Manage = u.canManageTeam(r, p.TeamID) // its team's managers too
	return m, nil
}
