package web

import "net/http"

// root answers GET /: the incident list is the home page.
func (u *UI) root(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, "/incidents", http.StatusSeeOther)
}
