package web

import (
	"net/http"

	"github.com/vigil-oss/vigil/internal/auth"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// resetPage is the model of reset.html: a one-time link's new password form.
type resetPage struct {
	layout
	User   *vigil.User
	Secret string
	Errors formErrors
}

// resetForm answers GET /reset/{secret}. The link is checked, not spent.
func (u *UI) resetForm(w http.ResponseWriter, r *http.Request) {
	secret := r.PathValue("secret")
	user, err := u.store.FindPasswordReset(r.Context(), secret)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	u.render(w, r, http.StatusOK, "reset.html", resetPage{layout: u.layout(w, r, "Choose a password", ""), User: user, Secret: secret})
}

// reset answers POST /reset/{secret}: sets the password, spends the link,
// ends every session of the person and sends them to sign in.
func (u *UI) reset(w http.ResponseWriter, r *http.Request) {
	secret := r.PathValue("secret")
	user, err := u.store.FindPasswordReset(r.Context(), secret)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	pw := r.PostFormValue("password")
	err = checkRepeat(pw, r.PostFormValue("password2"))
	if err == nil {
		_, err = u.auth.UseReset(r.Context(), secret, pw)
	}
	if vigil.ErrorCode(err) == vigil.CodeInvalid {
		m := resetPage{layout: u.layout(w, r, "Choose a password", ""), User: user, Secret: secret,
			Errors: newFormErrors(err, "password", "password2")}
		u.render(w, r, http.StatusUnprocessableEntity, "reset.html", m)
		return
	}
	if err != nil {
		u.fail(w, r, err)
		return
	}
	u.clearCookie(w, r, auth.SessionCookie, "/")
	u.redirectFlash(w, r, "/login", "ok", "Password set. Sign in with it.")
}

// resetLinkPage is the model of reset_link.html: a link an admin issued,
// shown once.
type resetLinkPage struct {
	layout
	User  *vigil.User
	Link  string
	Until string
}

// userPasswordReset answers POST /users/{id}/password-reset (admins): a
// one-time link to give the person.
func (u *UI) userPasswordReset(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		u.notFound(w, r)
		return
	}
	user, err := u.store.FindUser(r.Context(), id)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	reset, err := u.auth.IssueReset(r.Context(), id)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	m := resetLinkPage{layout: u.layout(w, r, "Reset link", "users"), User: user,
		Link: u.baseURL(r) + "/reset/" + reset.Secret, Until: reset.ExpiresAt.UTC().Format("2006-01-02 15:04 UTC")}
	u.render(w, r, http.StatusOK, "reset_link.html", m)
}

// userSessionsDelete answers POST /users/{id}/sessions/delete (admins, or
// the person themself): signs them out everywhere.
func (u *UI) userSessionsDelete(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		u.notFound(w, r)
		return
	}
	n, err := u.auth.SignOutEverywhere(r.Context(), id)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	u.redirectFlash(w, r, "/users/"+itoa(id), "ok", "Ended "+plural(n, "session", "sessions")+".")
}
