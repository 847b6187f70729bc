package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// SSO is single sign-on through an OpenID Connect provider, as the sign-in
// pages need it (internal/oidc.Connector).
type SSO interface {
	// Label is the text of the sign-in button.
	Label() string
	// Begin returns the provider URL to send the browser to and the flow
	// value to keep in its cookie until the callback.
	Begin(ctx context.Context) (authURL, flow string, err error)
	// Finish checks the callback's query against the flow and returns
	// what the provider vouched for, mapped. *vigil.Error when refused.
	Finish(ctx context.Context, flow string, query url.Values) (*vigil.IdentitySignIn, error)
}

// ssoCookie keeps state, nonce and PKCE verifier between /login/oidc and
// its callback. SameSite=Lax: the callback is a top-level navigation from
// the provider's site, which a Strict cookie would not follow.
const ssoCookie = "vigil_oidc"

const ssoPath = "/login/oidc"

// ssoDonePage is the model of sso_done.html.
type ssoDonePage struct{ layout }

// loginSSO answers GET /login/oidc: off to the provider.
func (u *UI) loginSSO(w http.ResponseWriter, r *http.Request) {
	if u.sso == nil {
		u.notFound(w, r)
		return
	}
	to, flow, err := u.sso.Begin(r.Context())
	if err != nil {
		u.ssoFailed(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name:     ssoCookie,
		Value:    flow,
		Path:     ssoPath,
		MaxAge:   600,
		HttpOnly: true,
		Secure:   u.secureFor(r),
		SameSite: http.SameSiteLaxMode,
	})
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// loginSSOCallback answers GET /login/oidc/callback: the provider sends
// the browser back here with a code. The flow cookie is spent whatever
// happens. The user is found (or linked, or created) and their role and
// teams synced by the store, then a session starts as with a password.
func (u *UI) loginSSOCallback(w http.ResponseWriter, r *http.Request) {
	if u.sso == nil {
		u.notFound(w, r)
		return
	}
	flow := cookieValue(r, ssoCookie)
	http.SetCookie(w, &http.Cookie{Name: ssoCookie, Value: "", Path: ssoPath, MaxAge: -1, HttpOnly: true,
		Secure: u.secureFor(r), SameSite: http.SameSiteLaxMode})
	in, err := u.sso.Finish(r.Context(), flow, r.URL.Query())
	if err != nil {
		u.ssoFailed(w, r, err)
		return
	}
	client := u.auth.ClientOf(r)
	// The changes the sign-in makes (a new user, a role, teams) are the
	// provider's word, carried out by Vigil.
	ctx := vigil.WithActor(r.Context(), vigil.Actor{Kind: vigil.ActorSystem, Name: "single sign-on", Source: vigil.SourceWeb})
	ctx = vigil.WithAddress(ctx, client.Address)
	user, err := u.store.SignInIdentity(ctx, in)
	if err != nil {
		u.ssoFailed(w, r, err)
		return
	}
	s, err := u.auth.StartSession(r.Context(), user.ID, client)
	if err != nil {
		u.ssoFailed(w, r, err)
		return
	}
	u.setSessionCookie(w, r, s)
	// A page, not a redirect: the browser came from the provider's site,
	// and it would not send the SameSite=Strict session cookie on a
	// redirect that continues that navigation. Its refresh is same-site.
	u.render(w, r, http.StatusOK, "sso_done.html", ssoDonePage{layout: u.layout(w, r, "Signed in", "")})
}

// ssoFailed explains a refused single sign-on. Nothing the browser or the
// provider sends makes a 5xx: a provider that cannot be reached is a
// refused sign-in too (401), with the cause in the log.
func (u *UI) ssoFailed(w http.ResponseWriter, r *http.Request, err error) {
	status, msg := http.StatusUnauthorized, vigil.ErrorMessage(err)
	switch vigil.ErrorCode(err) {
	case vigil.CodeUnauthorized:
		u.log.Warn("web: single sign-on refused", "reason", msg, "err", err)
	case vigil.CodeForbidden, vigil.CodeNotFound, vigil.CodeInvalid, vigil.CodeConflict:
		// The provider vouched for the person, but Vigil will not let
		// them in: no mapped group, no account, no usable e-mail.
		status = http.StatusForbidden
		u.log.Warn("web: single sign-on refused", "reason", msg)
	default:
		u.log.Error("web: single sign-on failed", "err", err)
		msg = "Single sign-on failed. Try again, or ask an administrator."
	}
	m := errorPage{layout: u.layout(w, r, "Sign-in failed", ""), Status: status, Heading: "Sign-in failed", Message: sentence(msg)}
	u.render(w, r, status, "error.html", m)
}

// sentence starts msg with a capital and ends it with a full stop.
func sentence(msg string) string {
	if msg == "" {
		return msg
	}
	msg = strings.ToUpper(msg[:1]) + msg[1:]
	if !strings.HasSuffix(msg, ".") {
		msg += "."
	}
	return msg
}
