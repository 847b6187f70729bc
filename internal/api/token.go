package api

import (
	"net/http"
	"time"

	"github.com/vigil-oss/vigil/internal/auth"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// TokenCreate is the body of POST /api/v1/tokens.
type TokenCreate struct {
	Name   string   `json:"name"`
	Scopes []string `json:"scopes" enum:"read,respond,manage,admin,ingest"`
	// ExpiresAt is optional; without it the token lasts until revoked.
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	// UserID owns a personal token: by default the caller. Only admins
	// name someone else.
	UserID int64 `json:"user_id,omitempty"`
	// Service makes a token with no owner, limited by its scopes alone
	// (admins only).
	Service bool `json:"service,omitempty"`
}

// tokenRoutes: personal and service API tokens. A person manages their
// own personal tokens; admins manage every token.
func (a *API) tokenRoutes() []Route {
	tok := func(method, pattern, summary string, req, resp any, status int, h handlerFunc, q ...Param) Route {
		return Route{Method: method, Pattern: pattern, Auth: AuthToken, Summary: summary,
			Request: req, Response: resp, Status: status, Query: q, Handler: a.handle(h)}
	}
	return []Route{
		tok("GET", "/api/v1/tokens", "List API tokens without secrets: your own, or every token for an admin",
			nil, Items[*vigil.APIToken]{}, http.StatusOK, a.listTokens,
			Param{Name: "user_id", Type: "integer", Description: "only this user's personal tokens (admins)"}),
		tok("POST", "/api/v1/tokens", "Create an API token; its secret is shown only in this answer",
			TokenCreate{}, &vigil.APIToken{}, http.StatusCreated, a.createToken),
		tok("DELETE", "/api/v1/tokens/{id}", "Revoke an API token (your own, or any for an admin); every replica refuses it from the next request",
			nil, nil, http.StatusNoContent, a.revokeToken),
	}
}

func (a *API) listTokens(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r)
	user := q.id("user_id")
	if q.err != nil {
		return q.err
	}
	p := auth.PrincipalFromContext(r.Context())
	owner := p.UserID
	if p.Allows(vigil.PermAdmin) {
		owner = 0
		if user != nil {
			owner = *user
		}
	} else if user != nil && *user != p.UserID {
		return vigil.Errorf(vigil.CodeForbidden, "only an administrator may list other people's tokens")
	}
	list := []*vigil.APIToken{}
	if owner != 0 || p.Allows(vigil.PermAdmin) {
		var err error
		if list, err = a.store.ListTokens(r.Context(), owner); err != nil {
			return err
		}
	}
	WriteJSON(w, http.StatusOK, Items[*vigil.APIToken]{Items: list})
	return nil
}

func (a *API) createToken(w http.ResponseWriter, r *http.Request) error {
	var in TokenCreate
	if err := decodeStrict(w, r, &in); err != nil {
		return err
	}
	p := auth.PrincipalFromContext(r.Context())
	spec, err := auth.TokenSpecFor(p, in.Name, in.Scopes, in.ExpiresAt, in.UserID, in.Service)
	if err != nil {
		return err
	}
	t, err := a.store.CreateToken(r.Context(), spec)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	WriteJSON(w, http.StatusCreated, t)
	return nil
}

func (a *API) revokeToken(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := auth.MayRevoke(r.Context(), a.store, id); err != nil {
		return err
	}
	if err := a.store.RevokeToken(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
