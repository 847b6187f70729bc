package web

import (
	"net/http"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// contactMethodDelete answers POST /users/{id}/contact-methods/{method}/delete.
// The notification rules that use the method go with it.
func (u *UI) contactMethodDelete(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	mid, ok2 := pathID(r, "method")
	if !ok || !ok2 {
		u.notFound(w, r)
		return
	}
	ctx := r.Context()
	if _, err := u.store.FindUser(ctx, id); err != nil {
		u.fail(w, r, err)
		return
	}
	m, err := u.userContactMethod(r, id, mid)
	if vigil.ErrorCode(err) == vigil.CodeNotFound {
		// Already gone (a second click, another tab): say so on the page.
		u.redirectFlash(w, r, userURL(id), "error", "That contact method no longer exists.")
		return
	}
	if err != nil {
		u.fail(w, r, err)
		return
	}
	rules, err := u.store.ListNotificationRules(ctx, id)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	n := 0
	for _, rule := range rules {
		if rule.ContactMethodID == mid {
			n++
		}
	}
	switch err := u.store.DeleteContactMethod(ctx, id, mid); vigil.ErrorCode(err) {
	case "":
		msg := "Contact method " + m.Name + " deleted."
		if n > 0 {
			msg = "Contact method " + m.Name + " deleted, with " + plural(n, "notification rule", "notification rules") + " that used it."
		}
		u.redirectFlash(w, r, userURL(id), "ok", msg)
	case vigil.CodeNotFound:
		u.redirectFlash(w, r, userURL(id), "error", "That contact method no longer exists.")
	default:
		u.fail(w, r, err)
	}
}
