// Package auth decides who is calling. It is the one place where credentials
// are checked, so the security issue (users, sessions, roles, scopes) extends
// this package instead of every handler.
package auth

import (
	"context"
	"net/http"
	"strings"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// SessionCookie is the web UI's cookie. For now it carries the API token the
// user pasted at sign-in; it is HttpOnly and SameSite=Strict.
const SessionCookie = "vigil_session"

// SourceHeader lets first-party clients (the CLI) say where an action came
// from, so the timeline can tell "cli" from "api".
const SourceHeader = "X-Vigil-Source"

// Authenticator checks API tokens from the Authorization header or the web
// session cookie.
type Authenticator struct {
	Tokens vigil.TokenService
}

// BearerToken returns the token of an "Authorization: Bearer" header, or "".
func BearerToken(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// Authenticate returns the actor behind an API request: its bearer token
// only. The web session cookie is not accepted here, so a page on another
// site (even a sibling subdomain that SameSite lets through) cannot drive the
// API with a signed-in user's cookie; the UI's own routes check the cookie
// behind cross-origin protection. The source is the SourceHeader value when
// it names a known client ("cli"), else "api". CodeUnauthorized without a
// valid token; CodeUnavailable when the database cannot be asked.
func (a *Authenticator) Authenticate(ctx context.Context, r *http.Request) (vigil.Actor, error) {
	secret := BearerToken(r)
	if secret == "" {
		return vigil.Actor{}, vigil.Errorf(vigil.CodeUnauthorized, "an API token is required (Authorization: Bearer <token>)")
	}
	source := vigil.SourceAPI
	if r.Header.Get(SourceHeader) == vigil.SourceCLI {
		source = vigil.SourceCLI
	}
	return a.actor(ctx, secret, source)
}

// AuthenticateSession returns the actor behind a web UI request: the
// session cookie only, with source "web".
func (a *Authenticator) AuthenticateSession(ctx context.Context, r *http.Request) (vigil.Actor, error) {
	c, err := r.Cookie(SessionCookie)
	if err != nil || c.Value == "" {
		return vigil.Actor{}, vigil.Errorf(vigil.CodeUnauthorized, "sign in first")
	}
	return a.actor(ctx, c.Value, vigil.SourceWeb)
}

func (a *Authenticator) actor(ctx context.Context, secret, source string) (vigil.Actor, error) {
	tok, err := a.Tokens.AuthenticateAPIToken(ctx, secret)
	if err != nil {
		return vigil.Actor{}, err
	}
	return vigil.Actor{Kind: vigil.ActorToken, ID: tok.ID, Name: tok.Name, Source: source}, nil
}

// Middleware authenticates API requests (Authenticate), puts the actor in
// the context and calls next; on failure it calls fail with the error.
func (a *Authenticator) Middleware(next http.Handler, fail func(http.ResponseWriter, *http.Request, error)) http.Handler {
	return a.middleware(a.Authenticate, next, fail)
}

// SessionMiddleware is Middleware for the web UI (AuthenticateSession).
func (a *Authenticator) SessionMiddleware(next http.Handler, fail func(http.ResponseWriter, *http.Request, error)) http.Handler {
	return a.middleware(a.AuthenticateSession, next, fail)
}

func (a *Authenticator) middleware(check func(context.Context, *http.Request) (vigil.Actor, error), next http.Handler,
	fail func(http.ResponseWriter, *http.Request, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		actor, err := check(r.Context(), r)
		if err != nil {
			fail(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(vigil.WithActor(r.Context(), actor)))
	})
}
