// Package auth decides who is calling. It is the one place where credentials
// are checked, so the security issue (users, sessions, roles, scopes) extends
// this package instead of every handler.
package auth

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// SessionCookie is the web UI's cookie: the secret of a session stored in
// the database (see session.go). It is HttpOnly and SameSite=Strict, and
// Secure over HTTPS.
const SessionCookie = "vigil_session"

// SourceHeader lets first-party clients (the CLI) say where an action came
// from, so the timeline can tell "cli" from "api".
const SourceHeader = "X-Vigil-Source"

// Authenticator checks API tokens from the Authorization header and web
// sessions from the session cookie, and signs people in (session.go).
type Authenticator struct {
	Tokens vigil.TokenService
	// Accounts keeps passwords and sessions; without it nobody can sign in
	// to the web UI.
	Accounts vigil.AccountService
	// Clock defaults to the system clock.
	Clock vigil.Clock
	// Passwords are the argon2id costs of new hashes; zero means
	// DefaultPasswordParams.
	Passwords PasswordParams
	// Sessions are the idle and absolute lifetimes of a session; zero
	// parts mean DefaultSessionTimes'.
	Sessions vigil.SessionTimes
	// Throttle limits failed sign-ins; zero parts mean DefaultThrottle's.
	Throttle Throttle
	// Proxies are the reverse proxies whose X-Forwarded-* headers are
	// believed; none by default.
	Proxies Proxies

	dummy dummyHash
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
	actor, _, err := a.authenticate(ctx, r)
	return actor, err
}

func (a *Authenticator) authenticate(ctx context.Context, r *http.Request) (vigil.Actor, Principal, error) {
	secret := BearerToken(r)
	if secret == "" {
		return vigil.Actor{}, Principal{}, vigil.Errorf(vigil.CodeUnauthorized, "an API token is required (Authorization: Bearer <token>)")
	}
	source := vigil.SourceAPI
	if r.Header.Get(SourceHeader) == vigil.SourceCLI {
		source = vigil.SourceCLI
	}
	return a.actor(ctx, secret, source, a.Proxies.ClientAddr(r))
}

// AuthenticateSession returns the actor behind a web UI request: the
// person of the session cookie, with source "web". A session still waiting
// for its TOTP code does not count. The session and the user's role go in
// the context too (SessionFromContext, RoleFromContext) by the middleware.
func (a *Authenticator) AuthenticateSession(ctx context.Context, r *http.Request) (vigil.Actor, error) {
	_, u, err := a.session(ctx, r)
	if err != nil {
		return vigil.Actor{}, err
	}
	return vigil.Actor{Kind: vigil.ActorUser, ID: u.ID, Name: u.Name, Source: vigil.SourceWeb}, nil
}

var errSignInFirst = vigil.Errorf(vigil.CodeUnauthorized, "sign in first")

// session is the full (not pending) session of the cookie and its user.
func (a *Authenticator) session(ctx context.Context, r *http.Request) (*vigil.Session, *vigil.User, error) {
	c, err := r.Cookie(SessionCookie)
	if err != nil || c.Value == "" || a.Accounts == nil {
		return nil, nil, errSignInFirst
	}
	s, u, err := a.Accounts.AuthenticateSession(ctx, c.Value, a.sessionTimes().Idle)
	if err == nil && s.Pending {
		err = errSignInFirst
	}
	return s, u, err
}

func (a *Authenticator) actor(ctx context.Context, secret, source, address string) (vigil.Actor, Principal, error) {
	tok, err := a.Tokens.AuthenticateAPIToken(ctx, secret, address)
	if err != nil {
		return vigil.Actor{}, Principal{}, err
	}
	p := Principal{Token: tok.ID, Scopes: tok.Scopes}
	if tok.UserID != 0 {
		// A personal token acts as its owner, with the owner's role of now.
		p.UserID, p.Role = tok.UserID, tok.UserRole
		return vigil.Actor{Kind: vigil.ActorUser, ID: tok.UserID, Name: tok.UserName, Source: source}, p, nil
	}
	return vigil.Actor{Kind: vigil.ActorToken, ID: tok.ID, Name: tok.Name, Source: source}, p, nil
}

// Principal is who a request acts for, as far as permissions go: a person
// (a web session, or a personal token limited by its scopes) or a service
// token (its scopes alone).
type Principal struct {
	// UserID is the person; 0 for a service token.
	UserID int64
	// Role is the person's global role at the time of the request.
	Role string
	// Token is the API token's ID; 0 for a web session.
	Token int64
	// Scopes limit a token; nil for a web session.
	Scopes []string
}

// Allows says whether the principal may use perm on anything: the
// person's global role (vigil.RoleAllows) and the token's scopes
// (vigil.ScopeAllows) must both allow it. Team managers may manage their
// own team's objects beyond this: see MayActForTeams.
func (p Principal) Allows(perm string) bool {
	if p.UserID != 0 && !vigil.RoleAllows(p.Role, perm) {
		return false
	}
	if p.UserID == 0 && p.Token == 0 {
		return false // nobody
	}
	return p.scopesAllow(perm)
}

func (p Principal) scopesAllow(perm string) bool {
	if p.Token == 0 {
		return true
	}
	for _, s := range p.Scopes {
		if vigil.ScopeAllows(s, perm) {
			return true
		}
	}
	return false
}

// MayActForTeams says whether the principal may use perm (manage or
// respond) on the objects of teams that grant it to its person
// (vigil.Team.Grants: managers manage and respond, responders respond)
// although its global role does not allow perm: a signed-in person who
// can read, or their token with a scope that allows perm. The caller
// checks the teams.
func (p Principal) MayActForTeams(perm string) bool {
	return (perm == vigil.PermManage || perm == vigil.PermRespond) &&
		p.UserID != 0 && vigil.RoleAllows(p.Role, vigil.PermRead) && p.scopesAllow(perm)
}

type principalKey struct{}

// PrincipalFromContext is whoever the middleware let in; the zero
// Principal (allowed nothing) when nobody was checked.
func PrincipalFromContext(ctx context.Context) Principal {
	p, _ := ctx.Value(principalKey{}).(Principal)
	return p
}

// WithPrincipal returns ctx carrying p (the middlewares call it; tests may).
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

type sessionKey struct{}

// RoleFromContext is the global role of the person behind the request,
// or "" for a service token or nobody.
func RoleFromContext(ctx context.Context) string {
	return PrincipalFromContext(ctx).Role
}

// SessionFromContext is the web session of the request, or nil.
func SessionFromContext(ctx context.Context) *vigil.Session {
	s, _ := ctx.Value(sessionKey{}).(*vigil.Session)
	return s
}

// Require answers CodeForbidden unless the caller's role and scopes allow
// perm.
func Require(ctx context.Context, perm string) error {
	if !PrincipalFromContext(ctx).Allows(perm) {
		return vigil.Errorf(vigil.CodeForbidden, "this needs the %s permission", perm)
	}
	return nil
}

// RequireAdmin answers CodeForbidden unless the caller is an admin (an
// admin person, or a token with the admin scope).
func RequireAdmin(ctx context.Context) error {
	if !PrincipalFromContext(ctx).Allows(vigil.PermAdmin) {
		return vigil.Errorf(vigil.CodeForbidden, "only an administrator may do this")
	}
	return nil
}

// Middleware authenticates API requests (Authenticate), puts the actor and
// the Principal in the context and calls next; on failure it calls fail
// with the error. What the principal may do is checked by the API's route
// table (internal/api), not here.
func (a *Authenticator) Middleware(next http.Handler, fail func(http.ResponseWriter, *http.Request, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		actor, p, err := a.authenticate(r.Context(), r)
		if err != nil {
			fail(w, r, err)
			return
		}
		ctx := WithPrincipal(vigil.WithActor(r.Context(), actor), p)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// SessionMiddleware is Middleware for the web UI: the session cookie of a
// person who finished signing in; the session goes in the context too.
func (a *Authenticator) SessionMiddleware(next http.Handler, fail func(http.ResponseWriter, *http.Request, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, u, err := a.session(r.Context(), r)
		if err != nil {
			fail(w, r, err)
			return
		}
		actor := vigil.Actor{Kind: vigil.ActorUser, ID: u.ID, Name: u.Name, Source: vigil.SourceWeb}
		ctx := vigil.WithActor(r.Context(), actor)
		ctx = WithPrincipal(ctx, Principal{UserID: u.ID, Role: u.Role})
		ctx = context.WithValue(ctx, sessionKey{}, s)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// TeamFinder reads teams, for the team managers' check.
type TeamFinder interface {
	FindTeam(ctx context.Context, id int64) (*vigil.Team, error)
}

// Authorize is the permission check the API and the web UI share: nil
// when the caller's role and scopes allow perm, or, for a manage or
// respond action on team-owned objects (teamsOf not nil), when every team
// teamsOf names grants perm to the caller (0 stands for "no team": only
// global roles count). CodeForbidden otherwise; teamsOf's own errors
// (CodeNotFound) pass through.
func Authorize(ctx context.Context, teams TeamFinder, perm string, teamsOf func() ([]int64, error)) error {
	p := PrincipalFromContext(ctx)
	if p.Allows(perm) {
		return nil
	}
	if teamsOf != nil && p.MayActForTeams(perm) {
		ids, err := teamsOf()
		if err != nil {
			return err
		}
		ok, err := TeamsGrant(ctx, teams, p.UserID, perm, ids)
		if err != nil || ok {
			return err
		}
		if perm == vigil.PermRespond {
			return vigil.Errorf(vigil.CodeForbidden, "only a responder or manager of the owning team may do this")
		}
		return vigil.Errorf(vigil.CodeForbidden, "only a manager of the owning team may change this")
	}
	return vigil.Errorf(vigil.CodeForbidden, "this needs the %s permission", perm)
}

// TeamsGrant says whether every one of teams grants userID perm
// (vigil.Team.Grants); none, or "no team" (0) among them: false.
func TeamsGrant(ctx context.Context, teams TeamFinder, userID int64, perm string, ids []int64) (bool, error) {
	if len(ids) == 0 || userID == 0 {
		return false, nil
	}
	for _, id := range ids {
		if id == 0 {
			return false, nil
		}
		t, err := teams.FindTeam(ctx, id)
		if vigil.ErrorCode(err) == vigil.CodeNotFound {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		if !t.Grants(userID, perm) {
			return false, nil
		}
	}
	return true, nil
}

// TokenSpecFor checks what p may create and returns the spec: people make
// personal tokens for themselves; only admins make service tokens or
// tokens for others; nobody grants a scope beyond their role (manage is
// open to anyone who may read: they count only on teams that grant them).
// The API and the web UI share it.
func TokenSpecFor(p Principal, name string, scopes []string, expires *time.Time, userID int64, service bool) (vigil.TokenSpec, error) {
	spec := vigil.TokenSpec{Name: name, Scopes: scopes, ExpiresAt: expires}
	isAdmin := p.Allows(vigil.PermAdmin)
	switch {
	case service:
		if userID != 0 {
			return spec, vigil.FieldError("user_id", "a service token has no owner")
		}
		if !isAdmin {
			return spec, vigil.Errorf(vigil.CodeForbidden, "only an administrator may create service tokens")
		}
	case userID == 0 || userID == p.UserID:
		if p.UserID == 0 {
			return spec, vigil.FieldError("user_id", "is required for a personal token made with a service token (or set service)")
		}
		spec.UserID = p.UserID
	default:
		if !isAdmin {
			return spec, vigil.Errorf(vigil.CodeForbidden, "only an administrator may create tokens for someone else")
		}
		spec.UserID = userID
	}
	norm, err := vigil.NormalizeScopes(scopes)
	if err != nil {
		return spec, err
	}
	for _, s := range norm {
		// A stakeholder may hold read: a person's token never goes beyond
		// their role, so it reads only the incidents shared with them.
		if !p.Allows(s) && !p.MayActForTeams(s) &&
			!(s == vigil.PermRead && p.UserID != 0 && p.Allows(vigil.PermReadIncidents)) {
			return spec, vigil.Errorf(vigil.CodeForbidden, "you cannot grant the %s scope: you do not hold it", s)
		}
	}
	spec.Scopes = norm
	return spec, nil
}

// MayRevoke answers CodeForbidden unless the caller is an admin or owns
// token id; CodeNotFound when there is no such token.
func MayRevoke(ctx context.Context, tokens vigil.TokenService, id int64) error {
	t, err := tokens.FindToken(ctx, id)
	if err != nil {
		return err
	}
	p := PrincipalFromContext(ctx)
	if p.Allows(vigil.PermAdmin) || (p.UserID != 0 && t.UserID == p.UserID) {
		return nil
	}
	return vigil.Errorf(vigil.CodeForbidden, "you may revoke only your own tokens")
}
