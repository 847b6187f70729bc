// Package web is Vigil's server-rendered UI: html/template pages with a
// typed model each, htmx for live refresh, embedded fingerprinted assets.
//
// It signs people in with a password (and a TOTP code when they turned it
// on) into a session kept in the database, whose secret is the session
// cookie (auth.SessionCookie), and reaches the domain only through vigil.Store, so
// every change it makes is written by the store with the actor "web".
package web

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/vigil-oss/vigil/internal/auth"
	"github.com/vigil-oss/vigil/internal/signed"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// Deps is what the UI needs; app wires it.
type Deps struct {
	Store vigil.Store
	Auth  *auth.Authenticator
	Clock vigil.Clock
	// Logger receives internal errors, once each; nil discards.
	Logger *slog.Logger
	// SecureCookies marks every cookie Secure (the public URL is https);
	// requests over TLS, ours or a trusted proxy's, get Secure anyway.
	SecureCookies bool
	// PublicURL is the address people reach Vigil at, used in the ready-made
	// curl examples (e.g. http://127.0.0.1:8080). Empty: taken from the
	// request.
	PublicURL string
	// ActionLinks checks the acknowledge/resolve links in messages; nil
	// turns them off (every link answers 404).
	ActionLinks *signed.Signer
	// SSO signs people in through an OpenID Connect provider; nil turns
	// single sign-on off (its pages answer 404, no button).
	SSO SSO
}

// UI serves the web pages. Build it with New and mount it with Register.
type UI struct {
	store     vigil.Store
	auth      *auth.Authenticator
	clock     vigil.Clock
	log       *slog.Logger
	secure    bool
	publicURL string
	actions   *signed.Signer
	sso       SSO

	assets *assets
	pages  map[string]*page
	csrf   *http.CrossOriginProtection
}

// New checks deps, fingerprints the static files and parses every template,
// so a broken template fails at startup and not on first view.
func New(d Deps) (*UI, error) {
	if d.Store == nil {
		return nil, errors.New("web: Deps.Store is required")
	}
	if d.Auth == nil || d.Auth.Accounts == nil {
		return nil, errors.New("web: Deps.Auth with Accounts is required")
	}
	if d.Clock == nil {
		d.Clock = vigil.SystemClock{}
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	u := &UI{
		store:     d.Store,
		auth:      d.Auth,
		clock:     d.Clock,
		log:       d.Logger,
		secure:    d.SecureCookies,
		publicURL: strings.TrimRight(d.PublicURL, "/"),
		actions:   d.ActionLinks,
		sso:       d.SSO,
	}
	var err error
	if u.assets, err = loadAssets(); err != nil {
		return nil, err
	}
	if u.pages, err = u.parsePages(); err != nil {
		return nil, err
	}
	u.csrf = http.NewCrossOriginProtection()
	u.csrf.SetDenyHandler(http.HandlerFunc(u.crossOriginDenied))
	return u, nil
}

// render writes a whole page. It executes into a buffer first so a template
// error never sends half a page with a 200.
func (u *UI) render(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	u.execute(w, r, status, name, "layout", data)
}

// renderFragment writes one named template of a page (an htmx partial).
func (u *UI) renderFragment(w http.ResponseWriter, r *http.Request, status int, name, fragment string, data any) {
	u.execute(w, r, status, name, fragment, data)
}

func (u *UI) execute(w http.ResponseWriter, r *http.Request, status int, name, tmpl string, data any) {
	p, ok := u.pages[name]
	if !ok {
		u.log.Error("web: unknown page", "page", name)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := p.t.ExecuteTemplate(&buf, tmpl, data); err != nil {
		u.log.Error("web: render", "page", name, "template", tmpl, "path", r.URL.Path, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	// Pages show incidents and, once, secrets: keep them out of caches.
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// fail answers err with an error page whose status follows the error code.
// Internal errors are logged here, once, and shown as a generic message.
func (u *UI) fail(w http.ResponseWriter, r *http.Request, err error) {
	code := vigil.ErrorCode(err)
	status := statusOf(code)
	if status >= 500 {
		u.log.Error("web: request failed", "method", r.Method, "path", r.URL.Path, "code", code, "err", err)
	}
	u.renderError(w, r, status, vigil.ErrorMessage(err))
}

// notFound answers the 404 page.
func (u *UI) notFound(w http.ResponseWriter, r *http.Request) {
	u.renderError(w, r, http.StatusNotFound, "There is nothing here. It may have been removed, or the link is wrong.")
}

func (u *UI) renderError(w http.ResponseWriter, r *http.Request, status int, msg string) {
	m := errorPage{
		layout:  u.layout(w, r, http.StatusText(status), ""),
		Status:  status,
		Heading: http.StatusText(status),
		Message: msg,
	}
	if status == http.StatusNotFound {
		m.Heading = "Not found"
	}
	u.render(w, r, status, "error.html", m)
}

// crossOriginDenied answers a state-changing request another site made.
func (u *UI) crossOriginDenied(w http.ResponseWriter, r *http.Request) {
	u.renderError(w, r, http.StatusForbidden, "This request came from another site and was refused. Reload the page and try again.")
}

// statusOf is the one table from domain error codes to HTTP statuses the
// UI uses. Bad input is 422 so a form shown again with its errors is not
// mistaken for a success.
func statusOf(code string) int {
	switch code {
	case "":
		return http.StatusOK
	case vigil.CodeInvalid:
		return http.StatusUnprocessableEntity
	case vigil.CodeNotFound:
		return http.StatusNotFound
	case vigil.CodeConflict:
		return http.StatusConflict
	case vigil.CodeUnauthorized:
		return http.StatusUnauthorized
	case vigil.CodeForbidden:
		return http.StatusForbidden
	case vigil.CodeTooLarge:
		return http.StatusRequestEntityTooLarge
	case vigil.CodeUnsupportedMedia:
		return http.StatusUnsupportedMediaType
	case vigil.CodeRateLimited:
		return http.StatusTooManyRequests
	case vigil.CodeUnavailable:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

// isHTMX reports whether htmx made the request (it then wants a fragment).
func isHTMX(r *http.Request) bool { return r.Header.Get("HX-Request") == "true" }

func itoa(id int64) string { return strconv.FormatInt(id, 10) }
