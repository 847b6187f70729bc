package web

import (
	"net/http"
	"time"

	"github.com/vigil-oss/vigil/internal/auth"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// pendingCookie holds a session that passed the password and waits for the
// TOTP code; only the /login pages see it.
const pendingCookie = "vigil_pending"

// secureFor says whether cookies of this answer get Secure: always when
// the public URL is https, and whenever the request came over TLS (ours,
// or a trusted proxy's that says so).
func (u *UI) secureFor(r *http.Request) bool {
	return u.secure || u.auth.Proxies.HTTPS(r)
}

// setSessionCookie hands the browser a session. HttpOnly keeps it from
// scripts; SameSite=Strict from other sites' requests; no Max-Age, so it
// ends with the browser too (the database decides when it ends anyway).
func (u *UI) setSessionCookie(w http.ResponseWriter, r *http.Request, s *vigil.Session) {
	http.SetCookie(w, &http.Cookie{
		Name:     auth.SessionCookie,
		Value:    s.Secret,
		Path:     "/",
		HttpOnly: true,
		Secure:   u.secureFor(r),
		SameSite: http.SameSiteStrictMode,
	})
}

func (u *UI) setPendingCookie(w http.ResponseWriter, r *http.Request, s *vigil.Session) {
	http.SetCookie(w, &http.Cookie{
		Name:     pendingCookie,
		Value:    s.Secret,
		Path:     "/login",
		MaxAge:   int((5 * time.Minute).Seconds()),
		HttpOnly: true,
		Secure:   u.secureFor(r),
		SameSite: http.SameSiteStrictMode,
	})
}

// clearCookie tells the browser to forget a cookie.
func (u *UI) clearCookie(w http.ResponseWriter, r *http.Request, name, path string) {
	http.SetCookie(w, &http.Cookie{
		Name:     name,
		Value:    "",
		Path:     path,
		MaxAge:   -1,
		HttpOnly: true,
		Secure:   u.secureFor(r),
		SameSite: http.SameSiteStrictMode,
	})
}

// cookieValue is the value of the request's cookie name, or "".
func cookieValue(r *http.Request, name string) string {
	if c, err := r.Cookie(name); err == nil {
		return c.Value
	}
	return ""
}
