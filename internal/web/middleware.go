package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/vigil-oss/vigil/internal/auth"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// contentSecurityPolicy allows only this origin's scripts and styles: no
// inline script, no inline style (htmx is told not to inject its indicator
// styles), no plugins, no framing, forms post only here.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// maxFormBytes bounds a form body; the largest field (a service
// description) is 16 KiB, a note 64 KiB.
const maxFormBytes = 256 << 10

// public sets the security headers every UI answer carries.
func (u *UI) public(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

// guardWrite refuses cross-site requests (CSRF: the session cookie is
// SameSite=Strict too, this is the second lock) and bounds the body.
func (u *UI) guardWrite(next http.Handler) http.Handler {
	return u.csrf.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		if err := r.ParseForm(); err != nil {
			if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
				u.renderError(w, r, http.StatusRequestEntityTooLarge, "The form is too large.")
				return
			}
			u.renderError(w, r, http.StatusBadRequest, "The form could not be read.")
			return
		}
		next.ServeHTTP(w, r)
	}))
}

// requireSession lets a request through only with a valid session cookie and
// puts its actor (source "web") in the context, so the store records who
// did what from where, and its viewer, so pages show private incidents
// only to those who may see them.
// The UI signs in by cookie only: a bearer header is ignored here.
func (u *UI) requireSession(next http.Handler) http.Handler {
	return u.auth.SessionMiddleware(auth.Viewing(next), u.sessionFailed)
}

// sessionFailed sends people who are not signed in to the sign-in page; a
// non-GET answers 401 because a redirect would lose the form.
func (u *UI) sessionFailed(w http.ResponseWriter, r *http.Request, err error) {
	if code := vigil.ErrorCode(err); code != vigil.CodeUnauthorized {
		u.fail(w, r, err)
		return
	}
	if c, cerr := r.Cookie(auth.SessionCookie); cerr == nil && c.Value != "" {
		u.clearCookie(w, r, auth.SessionCookie, "/") // ended or unknown session: forget it
	}
	switch {
	case isHTMX(r):
		// htmx follows HX-Redirect with a full navigation; a plain redirect
		// would swap the sign-in page into the table.
		w.Header().Set("HX-Redirect", "/login")
		w.WriteHeader(http.StatusUnauthorized)
	case r.Method == http.MethodGet || r.Method == http.MethodHead:
		http.Redirect(w, r, "/login", http.StatusSeeOther)
	default:
		u.renderError(w, r, http.StatusUnauthorized, "You are not signed in, or your session has ended. Sign in again.")
	}
}

// pathID reads a positive integer path parameter; ok is false otherwise
// (the caller answers 404: such a page cannot exist).
func pathID(r *http.Request, name string) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	return id, err == nil && id > 0
}
