package api

import (
	"net/http"
	"strings"
	"time"

	"github.com/vigil-oss/vigil/internal/auth"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// PasswordResetLink is the answer of POST /api/v1/users/{id}/password-reset:
// a one-time link, shown only here.
type PasswordResetLink struct {
	UserID    int64     `json:"user_id"`
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"expires_at"`
}

// SessionsEnded is the answer of DELETE /api/v1/users/{id}/sessions.
type SessionsEnded struct {
	Ended int `json:"ended"`
}

// accountRoutes are the admin's sign-in actions on a person. Passwords and
// TOTP secrets are never part of any answer.
func (a *API) accountRoutes() []Route {
	tok := func(method, pattern, summary string, resp any, status int, h handlerFunc) Route {
		return Route{Method: method, Pattern: pattern, Auth: AuthToken, Summary: summary,
			Response: resp, Status: status, Handler: a.handle(h)}
	}
	return []Route{
		tok("POST", "/api/v1/users/{id}/password-reset", "Issue a one-time password reset link for a user (admin; valid 24 hours; earlier links stop working)",
			PasswordResetLink{}, http.StatusCreated, a.createPasswordReset),
		tok("GET", "/api/v1/users/{id}/sessions", "List a user's web sessions (admin)",
			Items[*vigil.Session]{}, http.StatusOK, a.listSessions),
		tok("DELETE", "/api/v1/users/{id}/sessions", "Sign a user out everywhere: end all their web sessions (admin)",
			SessionsEnded{}, http.StatusOK, a.deleteSessions),
	}
}

func (a *API) createPasswordReset(w http.ResponseWriter, r *http.Request) error {
	id, err := adminOn(r)
	if err != nil {
		return err
	}
	reset, err := a.store.CreatePasswordReset(r.Context(), id, auth.ResetLinkTTL)
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusCreated, PasswordResetLink{UserID: id, URL: a.baseURL(r) + "/reset/" + reset.Secret, ExpiresAt: reset.ExpiresAt})
	return nil
}

func (a *API) listSessions(w http.ResponseWriter, r *http.Request) error {
	id, err := adminOn(r)
	if err != nil {
		return err
	}
	if _, err := a.store.FindUser(r.Context(), id); err != nil {
		return err
	}
	list, err := a.store.ListSessions(r.Context(), id)
	if err != nil {
		return err
	}
	if list == nil {
		list = []*vigil.Session{}
	}
	WriteJSON(w, http.StatusOK, Items[*vigil.Session]{Items: list})
	return nil
}

func (a *API) deleteSessions(w http.ResponseWriter, r *http.Request) error {
	id, err := adminOn(r)
	if err != nil {
		return err
	}
	n, err := a.store.DeleteUserSessions(r.Context(), id)
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, SessionsEnded{Ended: n})
	return nil
}

// adminOn is the user ID of the path, for an admin caller only.
func adminOn(r *http.Request) (int64, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return 0, err
	}
	return id, auth.RequireAdmin(r.Context())
}

// baseURL is the configured public URL, else the one this request used.
func (a *API) baseURL(r *http.Request) string {
	if a.publicURL != "" {
		return strings.TrimRight(a.publicURL, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
