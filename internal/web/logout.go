package web

import (
	"net/http"

	"github.com/vigil-oss/vigil/internal/auth"
)

// logout answers POST /logout: it ends the session in the database (so a
// copy of the cookie is worthless too) and forgets the cookie.
func (u *UI) logout(w http.ResponseWriter, r *http.Request) {
	if err := u.auth.SignOut(r.Context(), cookieValue(r, auth.SessionCookie)); err != nil {
		u.fail(w, r, err)
		return
	}
	u.clearCookie(w, r, auth.SessionCookie, "/")
	u.redirectFlash(w, r, "/login", "ok", "Signed out.")
}

// logoutEverywhere answers POST /logout/everywhere: every session of the
// signed-in person ends, on every device and replica.
func (u *UI) logoutEverywhere(w http.ResponseWriter, r *http.Request) {
	me := auth.SessionFromContext(r.Context())
	if _, err := u.auth.SignOutEverywhere(r.Context(), me.UserID); err != nil {
		u.fail(w, r, err)
		return
	}
	u.clearCookie(w, r, auth.SessionCookie, "/")
	u.redirectFlash(w, r, "/login", "ok", "Signed out everywhere.")
}
