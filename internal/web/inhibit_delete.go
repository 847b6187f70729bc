package web

import (
	"net/http"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// inhibitDelete answers POST /inhibit-rules/{id}/delete. Without
// confirm=yes it says what deleting the rule changes and asks again.
func (u *UI) inhibitDelete(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		u.notFound(w, r)
		return
	}
	ctx := r.Context()
	rule, err := u.store.FindInhibitRule(ctx, id)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	_, muted, err := u.store.FindAlerts(ctx, vigil.AlertFilter{InhibitedByRule: &id, Limit: 1})
	if err != nil {
		u.fail(w, r, err)
		return
	}
	if !confirmed(r) {
		m := confirmPage{
			Heading: "Delete inhibition rule " + rule.Name + "?",
			Action:  inhibitRuleURL(id) + "/delete",
			Cancel:  inhibitRuleURL(id),
			Button:  "Delete rule " + rule.Name,
		}
		if muted > 0 {
			m.Consequences = append(m.Consequences, "The "+plural(muted, "alert", "alerts")+" it mutes now page at once, unless something else holds them.")
		}
		m.Consequences = append(m.Consequences, "New alerts matching its target page even while a source alert fires.",
			"If it is in a manifest, the next vigil apply creates it again.")
		u.renderConfirm(w, r, http.StatusOK, "inhibit", m)
		return
	}
	switch err := u.store.DeleteInhibitRule(ctx, id); vigil.ErrorCode(err) {
	case "":
		msg := "Inhibition rule " + rule.Name + " deleted."
		if muted > 0 {
			msg += " The " + plural(muted, "alert", "alerts") + " it muted now page, unless something else holds them."
		}
		u.redirectFlash(w, r, "/inhibit-rules", "ok", msg)
	case vigil.CodeNotFound:
		u.redirectFlash(w, r, "/inhibit-rules", "error", "That inhibition rule no longer exists.")
	default:
		u.fail(w, r, err)
	}
}
