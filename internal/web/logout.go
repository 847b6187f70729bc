package web

import "net/http"

// logout answers POST /logout: it forgets the session cookie.
func (u *UI) logout(w http.ResponseWriter, r *http.Request) {
	u.clearSession(w)
	u.redirectFlash(w, r, "/login", "ok", "Signed out.")
}
