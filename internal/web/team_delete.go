package web

import (
	"net/http"
	"slices"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// teamDelete answers POST /teams/{id}/delete. Without confirm=yes it shows
// what deleting the team changes and asks again.
func (u *UI) teamDelete(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		u.notFound(w, r)
		return
	}
	ctx := r.Context()
	t, err := u.store.FindTeam(ctx, id)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	if !confirmed(r) {
		m, err := u.teamDeleteConfirm(r, t)
		if err != nil {
			u.fail(w, r, err)
			return
		}
		u.renderConfirm(w, r, http.StatusOK, "teams", m)
		return
	}
	switch err := u.store.DeleteTeam(ctx, id); vigil.ErrorCode(err) {
	case "":
		u.redirectFlash(w, r, "/teams", "ok", "Team "+t.Name+" deleted.")
	case vigil.CodeNotFound:
		u.redirectFlash(w, r, "/teams", "error", "That team no longer exists.")
	default:
		u.fail(w, r, err)
	}
}

func (u *UI) teamDeleteConfirm(r *http.Request, t *vigil.Team) (confirmPage, error) {
	m := confirmPage{
		Heading: "Delete team " + t.Name + "?",
		Action:  teamURL(t.ID) + "/delete",
		Cancel:  teamURL(t.ID),
		Button:  "Delete team " + t.Name,
	}
	if len(t.Members) > 0 {
		m.Consequences = append(m.Consequences, "Its members stay in Vigil; only the group goes.")
	}
	m.Consequences = append(m.Consequences, "Services, schedules and escalation policies it owned keep working without an owner.")
	policies, err := u.store.ListEscalationPolicies(r.Context())
	if err != nil {
		return m, err
	}
	for _, p := range policies {
		for _, st := range p.Steps {
			if slices.Contains(st.Targets, vigil.Target{Type: vigil.TargetTeam, ID: t.ID}) {
				m.Consequences = append(m.Consequences, "Escalation policy "+p.Name+" no longer pages this team.")
				break
			}
		}
	}
	return m, nil
}
