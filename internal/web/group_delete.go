package web

import (
	"net/http"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// groupDelete answers POST /groups/{id}/delete. Without confirm=yes it
// shows what deleting the group changes and asks again.
func (u *UI) groupDelete(w http.ResponseWriter, r *http.Request) {
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
	if !confirmed(r) {
		u.renderConfirm(w, r, http.StatusOK, "groups", groupDeleteConfirm(g))
		return
	}
	switch err := u.store.DeleteStakeholderGroup(ctx, id); vigil.ErrorCode(err) {
	case "":
		u.redirectFlash(w, r, "/groups", "ok", "Stakeholder group "+g.Name+" deleted.")
	case vigil.CodeNotFound:
		u.redirectFlash(w, r, "/groups", "error", "That stakeholder group no longer exists.")
	default:
		u.fail(w, r, err)
	}
}

func groupDeleteConfirm(g *vigil.StakeholderGroup) confirmPage {
	m := confirmPage{
		Heading: "Delete stakeholder group " + g.Name + "?",
		Action:  groupURL(g.ID) + "/delete",
		Cancel:  groupURL(g.ID),
		Button:  "Delete group " + g.Name,
	}
	m.Consequences = append(m.Consequences,
		"Its "+plural(len(g.Channels), "channel", "channels")+" stop hearing status updates.")
	if g.MinSeverity != "" {
		m.Consequences = append(m.Consequences,
			"Status updates that name no group no longer go to it ("+minSeverityLabel(g.MinSeverity)+").")
	}
	m.Consequences = append(m.Consequences,
		"Status updates it already got stay on their incidents' timelines, and messages already queued are still sent. This cannot be undone.")
	return m
}
