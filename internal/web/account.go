package web

import (
	"net/http"

	"github.com/vigil-oss/vigil/internal/auth"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// accountPage is the model of account.html: the signed-in person's
// password, second factor and sessions.
type accountPage struct {
	layout
	User     *vigil.User
	Sessions []*vigil.Session
	Current  int64 // the ID of this browser's session
	// TOTPSecret and TOTPURI offer a new second factor while none is on.
	TOTPSecret string
	TOTPURI    string
	Password   formErrors
	TOTP       formErrors
	// Tokens are the person's own API tokens (token.go); NewToken is one
	// just made, with its secret, and TokenForm a refused form.
	Tokens    tokenSection
	NewToken  *vigil.APIToken
	TokenForm tokenForm
}

// accountShow answers GET /account.
func (u *UI) accountShow(w http.ResponseWriter, r *http.Request) {
	u.renderAccount(w, r, http.StatusOK, accountPage{})
}

// renderAccount shows the account page; m carries a refused form's errors
// (and, for a refused TOTP code, the secret being set up).
func (u *UI) renderAccount(w http.ResponseWriter, r *http.Request, status int, m accountPage) {
	ctx := r.Context()
	me := auth.SessionFromContext(ctx)
	user, err := u.store.FindUser(ctx, me.UserID)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	sessions, err := u.store.ListSessions(ctx, me.UserID)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	if m.Tokens, err = u.tokenSection(r, me.UserID, "/account/tokens", false); err != nil {
		u.fail(w, r, err)
		return
	}
	m.Tokens.New, m.Tokens.Form = m.NewToken, m.TokenForm
	m.layout, m.User, m.Sessions, m.Current = u.layout(w, r, "Your account", ""), user, sessions, me.ID
	if m.NewToken != nil {
		m.Flash = &flash{Kind: "ok", Message: "Token " + m.NewToken.Name + " created. Copy its secret now: it will not be shown again."}
	}
	if !user.TOTPEnabled {
		if m.TOTPSecret == "" {
			m.TOTPSecret = auth.NewTOTPSecret()
		}
		m.TOTPURI = auth.TOTPURI(m.TOTPSecret, "Vigil", user.Email)
	}
	u.render(w, r, status, "account.html", m)
}

// accountPassword answers POST /account/password: checks the current
// password, sets the new one and ends the person's other sessions.
func (u *UI) accountPassword(w http.ResponseWriter, r *http.Request) {
	me := auth.SessionFromContext(r.Context())
	pw := r.PostFormValue("password")
	err := checkRepeat(pw, r.PostFormValue("password2"))
	if err == nil {
		err = u.auth.ChangePassword(r.Context(), me.UserID, me.ID, r.PostFormValue("current"), pw)
	}
	if u.accountRefused(w, r, err, func(m *accountPage, fe formErrors) { m.Password = fe }, "current", "password", "password2") {
		return
	}
	u.redirectFlash(w, r, "/account", "ok", "Password changed. Your other sessions were signed out.")
}

// accountTOTP answers POST /account/totp: turns the second factor on once
// the code shows the app holds the secret.
func (u *UI) accountTOTP(w http.ResponseWriter, r *http.Request) {
	me := auth.SessionFromContext(r.Context())
	secret := r.PostFormValue("secret")
	err := u.auth.EnableTOTP(r.Context(), me.UserID, secret, r.PostFormValue("code"))
	if u.accountRefused(w, r, err, func(m *accountPage, fe formErrors) { m.TOTP, m.TOTPSecret = fe, secret }, "code") {
		return
	}
	u.redirectFlash(w, r, "/account", "ok", "Two-step sign-in is on.")
}

// accountTOTPOff answers POST /account/totp/disable (asks for the password).
func (u *UI) accountTOTPOff(w http.ResponseWriter, r *http.Request) {
	me := auth.SessionFromContext(r.Context())
	err := u.auth.DisableTOTP(r.Context(), me.UserID, r.PostFormValue("current"))
	if u.accountRefused(w, r, err, func(m *accountPage, fe formErrors) { m.TOTP = fe }, "current") {
		return
	}
	u.redirectFlash(w, r, "/account", "ok", "Two-step sign-in is off.")
}

// accountRefused shows the account page again when err is bad input (set
// on the page by put) and reports whether it answered.
func (u *UI) accountRefused(w http.ResponseWriter, r *http.Request, err error, put func(*accountPage, formErrors), fields ...string) bool {
	switch code := vigil.ErrorCode(err); code {
	case "":
		return false
	case vigil.CodeInvalid, vigil.CodeUnauthorized:
		var m accountPage
		put(&m, newFormErrors(err, fields...))
		u.renderAccount(w, r, http.StatusUnprocessableEntity, m)
	default:
		u.fail(w, r, err)
	}
	return true
}
