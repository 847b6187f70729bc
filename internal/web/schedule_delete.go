package web

import (
	"net/http"
	"slices"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// scheduleDelete answers POST /schedules/{id}/delete. Without confirm=yes
// it shows what goes with the schedule, and which policies still page it,
// and asks again. The store refuses while a policy pages the schedule; the
// confirmation page then says which one, with a 409.
func (u *UI) scheduleDelete(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		u.notFound(w, r)
		return
	}
	ctx := r.Context()
	s, err := u.store.FindSchedule(ctx, id)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	if confirmed(r) {
		err := u.store.DeleteSchedule(ctx, id)
		switch vigil.ErrorCode(err) {
		case "":
			u.redirectFlash(w, r, "/schedules", "ok", "Schedule "+s.Name+" deleted.")
			return
		case vigil.CodeNotFound:
			u.redirectFlash(w, r, "/schedules", "error", "That schedule no longer exists.")
			return
		case vigil.CodeConflict:
			// Shown below, on the confirmation page.
		default:
			u.fail(w, r, err)
			return
		}
		m, merr := u.scheduleDeleteConfirm(r, s)
		if merr != nil {
			u.fail(w, r, merr)
			return
		}
		m.Error = "Schedule " + s.Name + " was not deleted: " + vigil.ErrorMessage(err) + "."
		u.renderConfirm(w, r, http.StatusConflict, "schedules", m)
		return
	}
	m, err := u.scheduleDeleteConfirm(r, s)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	u.renderConfirm(w, r, http.StatusOK, "schedules", m)
}

func (u *UI) scheduleDeleteConfirm(r *http.Request, s *vigil.Schedule) (confirmPage, error) {
	ctx := r.Context()
	m := confirmPage{
		Heading: "Delete schedule " + s.Name + "?",
		Action:  scheduleURL(s.ID) + "/delete",
		Cancel:  scheduleURL(s.ID) + "/edit",
		Button:  "Delete schedule " + s.Name,
	}
	ovs, err := u.store.ListOverrides(ctx, s.ID, u.clock.Now(), u.clock.Now().Add(vigil.MaxOverrideDuration+24*time.Hour))
	if err != nil {
		return m, err
	}
	m.Consequences = append(m.Consequences,
		"Its "+plural(len(s.Layers), "rotation", "rotations")+" and all its overrides ("+plural(len(ovs), "current or upcoming", "current or upcoming")+") are deleted; the people stay.",
		"Its calendar feed stops working. This cannot be undone.")
	policies, err := u.store.ListEscalationPolicies(ctx)
	if err != nil {
		return m, err
	}
	for _, p := range policies {
		for _, st := range p.Steps {
			if slices.Contains(st.Targets, vigil.Target{Type: vigil.TargetSchedule, ID: s.ID}) {
				m.Blockers = append(m.Blockers, "Escalation policy "+p.Name+" pages this schedule: remove it from the policy first, or the deletion is refused.")
				break
			}
		}
	}
	return m, nil
}
