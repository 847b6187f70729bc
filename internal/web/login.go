package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/vigil-oss/vigil/internal/auth"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// loginPage is the model of login.html: the password step, or the TOTP
// step when Code is set.
type loginPage struct {
	layout
	Code  bool
	Login string // what was typed, shown again after a failure
	Error string
	// SSO is the single sign-on button's label; "" hides the button.
	SSO string
}

// loginModel is the sign-in page's model with the single sign-on button.
func (u *UI) loginModel(w http.ResponseWriter, r *http.Request) loginPage {
	m := loginPage{layout: u.layout(w, r, "Sign in", "")}
	if u.sso != nil {
		m.SSO = u.sso.Label()
	}
	return m
}

// loginForm answers GET /login. Before the first admin exists it sends
// people to first-run setup instead, unless single sign-on is on (the
// first admin may come from the provider).
func (u *UI) loginForm(w http.ResponseWriter, r *http.Request) {
	if u.sso != nil {
		u.render(w, r, http.StatusOK, "login.html", u.loginModel(w, r))
		return
	}
	if open, err := u.auth.Accounts.SetupOpen(r.Context()); err != nil {
		u.fail(w, r, err)
		return
	} else if open {
		http.Redirect(w, r, "/setup", http.StatusSeeOther)
		return
	}
	u.render(w, r, http.StatusOK, "login.html", u.loginModel(w, r))
}

// login answers POST /login: e-mail (or name) and password. With TOTP on,
// the browser gets a pending session and the code step; otherwise its
// session. The password is never echoed back.
func (u *UI) login(w http.ResponseWriter, r *http.Request) {
	login := strings.TrimSpace(r.PostFormValue("login"))
	m := u.loginModel(w, r)
	m.Login = login
	s, err := u.auth.SignIn(r.Context(), login, r.PostFormValue("password"), u.auth.ClientOf(r))
	if err != nil {
		u.loginFailed(w, r, m, err)
		return
	}
	if s.Pending {
		u.setPendingCookie(w, r, s)
		http.Redirect(w, r, "/login/code", http.StatusSeeOther)
		return
	}
	u.setSessionCookie(w, r, s)
	http.Redirect(w, r, "/incidents", http.StatusSeeOther)
}

// loginFailed shows the sign-in form again with the error: 401 for wrong
// credentials, 429 with Retry-After when throttled.
func (u *UI) loginFailed(w http.ResponseWriter, r *http.Request, m loginPage, err error) {
	switch vigil.ErrorCode(err) {
	case vigil.CodeUnauthorized:
		m.Error = vigil.ErrorMessage(err)
		u.render(w, r, http.StatusUnauthorized, "login.html", m)
	case vigil.CodeRateLimited:
		if le, ok := errors.AsType[*auth.LimitError](err); ok {
			w.Header().Set("Retry-After", strconv.Itoa(int(le.After.Seconds()+0.999)))
		}
		m.Error = vigil.ErrorMessage(err)
		u.render(w, r, http.StatusTooManyRequests, "login.html", m)
	default:
		u.fail(w, r, err)
	}
}

// loginCodeForm answers GET /login/code: the TOTP step.
func (u *UI) loginCodeForm(w http.ResponseWriter, r *http.Request) {
	if _, err := u.auth.PendingSession(r.Context(), cookieValue(r, pendingCookie)); err != nil {
		u.clearCookie(w, r, pendingCookie, "/login")
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	u.render(w, r, http.StatusOK, "login.html", loginPage{layout: u.layout(w, r, "Sign in", ""), Code: true})
}

// loginCode answers POST /login/code.
func (u *UI) loginCode(w http.ResponseWriter, r *http.Request) {
	m := loginPage{layout: u.layout(w, r, "Sign in", ""), Code: true}
	s, err := u.auth.VerifyCode(r.Context(), cookieValue(r, pendingCookie), r.PostFormValue("code"), u.auth.ClientOf(r))
	if err != nil {
		if vigil.ErrorField(err) == "" && vigil.ErrorCode(err) == vigil.CodeUnauthorized {
			// The pending session ended: start again.
			u.clearCookie(w, r, pendingCookie, "/login")
			u.redirectFlash(w, r, "/login", "error", "That took too long. Sign in again.")
			return
		}
		u.loginFailed(w, r, m, err)
		return
	}
	u.clearCookie(w, r, pendingCookie, "/login")
	u.setSessionCookie(w, r, s)
	http.Redirect(w, r, "/incidents", http.StatusSeeOther)
}
