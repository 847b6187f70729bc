package web

import (
	"encoding/base64"
	"net/http"
	"strings"
)

// flashCookie carries the message a form's redirect shows once ("Incident
// #4 acknowledged"). A cookie rather than a query parameter, so nobody can
// craft a link that shows their own text on a Vigil page.
const flashCookie = "vigil_flash"

const maxFlashLen = 300

// flash is a one-time message; Kind is "ok" or "error" (a CSS class).
type flash struct {
	Kind    string
	Message string
}

// redirectFlash sends the browser to target (303, so the next request is a
// GET) with a message to show there.
func (u *UI) redirectFlash(w http.ResponseWriter, r *http.Request, target, kind, msg string) {
	if len(msg) > maxFlashLen {
		msg = msg[:maxFlashLen]
	}
	http.SetCookie(w, &http.Cookie{
		Name:     flashCookie,
		Value:    kind + "." + base64.RawURLEncoding.EncodeToString([]byte(msg)),
		Path:     "/",
		MaxAge:   60,
		HttpOnly: true,
		Secure:   u.secureFor(r),
		SameSite: http.SameSiteStrictMode,
	})
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// takeFlash returns the pending message, if any, and clears it.
func (u *UI) takeFlash(w http.ResponseWriter, r *http.Request) *flash {
	c, err := r.Cookie(flashCookie)
	if err != nil || c.Value == "" {
		return nil
	}
	http.SetCookie(w, &http.Cookie{
		Name:     flashCookie,
		Value:    "",
		Path:     "/",
		MaxAge:   -1,
		HttpOnly: true,
		Secure:   u.secureFor(r),
		SameSite: http.SameSiteStrictMode,
	})
	kind, enc, ok := strings.Cut(c.Value, ".")
	if !ok || (kind != "ok" && kind != "error") {
		return nil
	}
	msg, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil || len(msg) == 0 || len(msg) > maxFlashLen {
		return nil
	}
	// The text is shown through html/template, so it is escaped like any
	// other data.
	return &flash{Kind: kind, Message: string(msg)}
}
