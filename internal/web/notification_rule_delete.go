package web

import (
	"net/http"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// notificationRuleDelete answers POST /users/{id}/notification-rules/{rule}/delete.
func (u *UI) notificationRuleDelete(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	rid, ok2 := pathID(r, "rule")
	if !ok || !ok2 {
		u.notFound(w, r)
		return
	}
	if _, err := u.store.FindUser(r.Context(), id); err != nil {
		u.fail(w, r, err)
		return
	}
	// The store deletes only a rule of this person.
	switch err := u.store.DeleteNotificationRule(r.Context(), id, rid); vigil.ErrorCode(err) {
	case "":
		u.redirectFlash(w, r, userURL(id), "ok", "Notification rule deleted.")
	case vigil.CodeNotFound:
		u.redirectFlash(w, r, userURL(id), "error", "That notification rule no longer exists.")
	default:
		u.fail(w, r, err)
	}
}
