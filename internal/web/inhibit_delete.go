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
	u.deleteHolder(w, r, holderDeletion{
		Noun: "inhibition rule", Short: "rule", Name: rule.Name,
		URL: inhibitRuleURL(id), List: "/inhibit-rules", Nav: "inhibit",
		Holds: "mutes", Held: "muted", Count: muted,
		More:   []string{"New alerts matching its target page even while a source alert fires."},
		Delete: func() error { return u.store.DeleteInhibitRule(ctx, id) },
	})
}
