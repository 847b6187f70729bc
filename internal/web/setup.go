package web

import (
	"net/http"
	"strings"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// setupPage is the model of setup.html: first-run setup, which creates the
// first admin and then closes for good.
type setupPage struct {
	layout
	Name   string
	Email  string
	Errors formErrors
}

// setupOpen answers a closed setup with 404, so a later visitor sees
// nothing to try.
func (u *UI) setupOpen(w http.ResponseWriter, r *http.Request) bool {
	open, err := u.auth.Accounts.SetupOpen(r.Context())
	if err != nil {
		u.fail(w, r, err)
		return false
	}
	if !open {
		u.notFound(w, r)
	}
	return open
}

// setupForm answers GET /setup.
func (u *UI) setupForm(w http.ResponseWriter, r *http.Request) {
	if u.setupOpen(w, r) {
		u.render(w, r, http.StatusOK, "setup.html", setupPage{layout: u.layout(w, r, "Set up Vigil", "")})
	}
}

// setup answers POST /setup: the first admin, signed in at once.
func (u *UI) setup(w http.ResponseWriter, r *http.Request) {
	if !u.setupOpen(w, r) {
		return
	}
	m := setupPage{layout: u.layout(w, r, "Set up Vigil", ""),
		Name: strings.TrimSpace(r.PostFormValue("name")), Email: strings.TrimSpace(r.PostFormValue("email"))}
	pw := r.PostFormValue("password")
	err := checkRepeat(pw, r.PostFormValue("password2"))
	admin := &vigil.User{Name: m.Name, Email: m.Email}
	if err == nil {
		err = u.auth.CreateFirstAdmin(r.Context(), admin, pw)
	}
	if err == nil {
		var s *vigil.Session
		if s, err = u.auth.StartSession(r.Context(), admin.ID, u.auth.ClientOf(r)); err == nil {
			u.setSessionCookie(w, r, s)
			u.redirectFlash(w, r, "/account", "ok", "Welcome. You are Vigil's first administrator.")
			return
		}
	}
	switch vigil.ErrorCode(err) {
	case vigil.CodeInvalid, vigil.CodeConflict:
		m.Errors = newFormErrors(err, "name", "email", "password", "password2")
		u.render(w, r, statusOf(vigil.ErrorCode(err)), "setup.html", m)
	default:
		u.fail(w, r, err)
	}
}

// checkRepeat refuses a new password typed differently the second time.
func checkRepeat(pw, again string) error {
	if pw != again {
		return vigil.FieldError("password2", "does not match the password")
	}
	return nil
}
