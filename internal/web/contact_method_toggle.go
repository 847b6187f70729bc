package web

import (
	"net/http"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// contactMethodEnable answers POST /users/{id}/contact-methods/{method}/enable.
func (u *UI) contactMethodEnable(w http.ResponseWriter, r *http.Request) {
	u.contactMethodSetDisabled(w, r, false)
}

// contactMethodDisable answers POST /users/{id}/contact-methods/{method}/disable:
// pages skip the method (a number that bounced) until it is enabled again.
func (u *UI) contactMethodDisable(w http.ResponseWriter, r *http.Request) {
	u.contactMethodSetDisabled(w, r, true)
}

func (u *UI) contactMethodSetDisabled(w http.ResponseWriter, r *http.Request, disabled bool) {
	id, ok := pathID(r, "id")
	mid, ok2 := pathID(r, "method")
	if !ok || !ok2 {
		u.notFound(w, r)
		return
	}
	ctx := r.Context()
	m, err := u.userContactMethod(r, id, mid)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	m.Disabled = disabled
	err = u.store.UpdateContactMethod(ctx, m)
	switch vigil.ErrorCode(err) {
	case "":
		state := "enabled: pages reach it again"
		if disabled {
			state = "disabled: pages skip it"
		}
		u.redirectFlash(w, r, userURL(id), "ok", "Contact method "+m.Name+" "+state+".")
	case vigil.CodeNotFound:
		u.redirectFlash(w, r, userURL(id), "error", "That contact method no longer exists.")
	default:
		u.fail(w, r, err)
	}
}

// userContactMethod finds contact method mid of person id; CodeNotFound
// when it is someone else's, so no page acts on another person's method.
func (u *UI) userContactMethod(r *http.Request, id, mid int64) (*vigil.ContactMethod, error) {
	m, err := u.store.FindContactMethod(r.Context(), mid)
	if err == nil && m.UserID != id {
		err = vigil.Errorf(vigil.CodeNotFound, "user %d has no contact method %d", id, mid)
	}
	return m, err
}
