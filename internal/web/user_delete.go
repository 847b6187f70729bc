package web

import (
	"fmt"
	"net/http"
	"slices"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// userDelete answers POST /users/{id}/delete. Without confirm=yes it shows
// what goes with the person and asks again; with it, it deletes them.
func (u *UI) userDelete(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		u.notFound(w, r)
		return
	}
	ctx := r.Context()
	us, err := u.store.FindUser(ctx, id)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	if !confirmed(r) {
		m, err := u.userDeleteConfirm(r, us)
		if err != nil {
			u.fail(w, r, err)
			return
		}
		u.renderConfirm(w, r, http.StatusOK, "users", m)
		return
	}
	switch err := u.store.DeleteUser(ctx, id); vigil.ErrorCode(err) {
	case "":
		u.redirectFlash(w, r, "/users", "ok", us.Name+" deleted.")
	case vigil.CodeNotFound:
		u.redirectFlash(w, r, "/users", "error", "That person no longer exists.")
	default:
		u.fail(w, r, err)
	}
}

// userDeleteConfirm says what deleting us takes with it.
func (u *UI) userDeleteConfirm(r *http.Request, us *vigil.User) (confirmPage, error) {
	ctx := r.Context()
	m := confirmPage{
		Heading: "Delete " + us.Name + "?",
		Action:  userURL(us.ID) + "/delete",
		Cancel:  userURL(us.ID),
		Button:  "Delete " + us.Name,
	}
	methods, err := u.store.ListContactMethods(ctx, us.ID)
	if err != nil {
		return m, err
	}
	rules, err := u.store.ListNotificationRules(ctx, us.ID)
	if err != nil {
		return m, err
	}
	m.Consequences = append(m.Consequences, fmt.Sprintf("Their %s and %s are deleted, and their overrides and team memberships end.",
		plural(len(methods), "contact method", "contact methods"), plural(len(rules), "notification rule", "notification rules")))
	schedules, err := u.store.ListSchedules(ctx)
	if err != nil {
		return m, err
	}
	for _, s := range schedules {
		for _, l := range s.Layers {
			if slices.Contains(l.Members, us.ID) {
				m.Consequences = append(m.Consequences, "Schedule "+s.Name+" loses them from its rotations (a rotation left with no one goes).")
				break
			}
		}
	}
	policies, err := u.store.ListEscalationPolicies(ctx)
	if err != nil {
		return m, err
	}
	for _, p := range policies {
		for _, st := range p.Steps {
			if slices.Contains(st.Targets, vigil.Target{Type: vigil.TargetUser, ID: us.ID}) {
				m.Consequences = append(m.Consequences, "Escalation policy "+p.Name+" no longer pages them.")
				break
			}
		}
	}
	m.Consequences = append(m.Consequences, "Past incidents and their timelines keep their history. This cannot be undone.")
	return m, nil
}

// plural says "1 contact method", "2 contact methods", "no contact methods".
func plural(n int, one, many string) string {
	switch n {
	case 0:
		return "no " + many
	case 1:
		return "1 " + one
	default:
		return fmt.Sprintf("%d %s", n, many)
	}
}
