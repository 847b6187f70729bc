package web

import (
	"net/http"
	"strings"

	"github.com/vigil-oss/vigil/internal/auth"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// loginPage is the model of login.html.
type loginPage struct {
	layout
	Error string
}

// loginForm answers GET /login.
func (u *UI) loginForm(w http.ResponseWriter, r *http.Request) {
	u.render(w, r, http.StatusOK, "login.html", loginPage{layout: u.layout(w, r, "Sign in", "")})
}

// login answers POST /login: it checks the pasted API token and keeps it in
// the session cookie. The token is never echoed back into the form.
func (u *UI) login(w http.ResponseWriter, r *http.Request) {
	token := strings.TrimSpace(r.PostFormValue("token"))
	m := loginPage{layout: u.layout(w, r, "Sign in", "")}
	if token == "" {
		m.Error = "Paste an API token."
		u.render(w, r, http.StatusUnauthorized, "login.html", m)
		return
	}
	if _, err := u.auth.Tokens.AuthenticateAPIToken(r.Context(), token); err != nil {
		if vigil.ErrorCode(err) != vigil.CodeUnauthorized {
			u.fail(w, r, err)
			return
		}
		m.Error = "This token is unknown or revoked."
		u.render(w, r, http.StatusUnauthorized, "login.html", m)
		return
	}
	// No Max-Age: the cookie ends with the browser session. HttpOnly keeps
	// the token away from scripts, SameSite=Strict away from other sites.
	http.SetCookie(w, &http.Cookie{
		Name:     auth.SessionCookie,
		Value:    token,
		Path:     "/",
		HttpOnly: true,
		Secure:   u.secure,
		SameSite: http.SameSiteStrictMode,
	})
	http.Redirect(w, r, "/incidents", http.StatusSeeOther)
}
