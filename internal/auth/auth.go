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

// Authenticate returns the actor behind r. The source is "web" for the
// session cookie, else the SourceHeader value when it names a known client
// ("cli"), else "api". CodeUnauthorized without a valid credential;
// CodeUnavailable when the database cannot be asked.
func (a *Authenticator) Authenticate(ctx context.Context, r *http.Request) (vigil.Actor, error) {
	secret, source := BearerToken(r), vigil.SourceAPI
	if secret == "" {
		if c, err := r.Cookie(SessionCookie); err == nil && c.Value != "" {
			secret, source = c.Value, vigil.SourceWeb
		}
	}
	if secret == "" {
		return vigil.Actor{}, vigil.Errorf(vigil.CodeUnauthorized, "an API token is required (Authorization: Bearer <token>)")
	}
	tok, err := a.Tokens.AuthenticateAPIToken(ctx, secret)
	if err != nil {
		return vigil.Actor{}, err
	}
	if source == vigil.SourceAPI && r.Header.Get(SourceHeader) == vigil.SourceCLI {
		source = vigil.SourceCLI
	}
	return vigil.Actor{Kind: vigil.ActorToken, ID: tok.ID, Name: tok.Name, Source: source}, nil
}

// Middleware authenticates every request, puts the actor in its context and
// calls next; on failure it calls fail with the error instead.
func (a *Authenticator) Middleware(next http.Handler, fail func(http.ResponseWriter, *http.Request, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		actor, err := a.Authenticate(r.Context(), r)
		if err != nil {
			fail(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(vigil.WithActor(r.Context(), actor)))
	})
}
