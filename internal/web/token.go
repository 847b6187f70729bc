package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-oss/vigil/internal/auth"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// API tokens in the UI: the tokens section of /account (a person's own
// personal tokens) and the admin page /tokens (every token; service
// tokens are made there). A new token's secret is shown once, in the
// answer to the form, never in a redirect or a flash cookie.

// tokenSection is the model of the "tokens" partial.
type tokenSection struct {
	Rows []tokenRow
	// New is the token just created, with its secret.
	New *vigil.APIToken
	// Action is where the create form posts; Service adds the service
	// token choice (the admin page).
	Action  string
	Service bool
	Scopes  []string
	Form    tokenForm
}

type tokenRow struct {
	*vigil.APIToken
	Owner string
	State string
}

// tokenForm is a refused form's values and errors.
type tokenForm struct {
	Name    string
	Scopes  []string
	Expires string
	Errors  formErrors
}

func (f tokenForm) Has(scope string) bool {
	for _, s := range f.Scopes {
		if s == scope {
			return true
		}
	}
	return false
}

// tokensPage is the model of tokens.html (admins).
type tokensPage struct {
	layout
	Tokens tokenSection
}

func (u *UI) tokenSection(r *http.Request, owner int64, action string, service bool) (tokenSection, error) {
	list, err := u.store.ListTokens(r.Context(), owner)
	if err != nil {
		return tokenSection{}, err
	}
	users, err := u.store.ListUsers(r.Context())
	if err != nil {
		return tokenSection{}, err
	}
	names := map[int64]string{}
	for _, us := range users {
		names[us.ID] = us.Name
	}
	now := u.clock.Now()
	ts := tokenSection{Action: action, Service: service, Scopes: grantableScopes(auth.PrincipalFromContext(r.Context()), service)}
	for _, t := range list {
		row := tokenRow{APIToken: t, Owner: "service token", State: "active"}
		if t.UserID != 0 {
			row.Owner = names[t.UserID]
		}
		switch {
		case t.RevokedAt != nil:
			row.State = "revoked"
		case t.ExpiresAt != nil && !now.Before(*t.ExpiresAt):
			row.State = "expired"
		}
		ts.Rows = append(ts.Rows, row)
	}
	return ts, nil
}

// grantableScopes are the scopes p may put in a token (personal, or a
// service token): the form offers those alone, asking the check the
// create routes make (auth.TokenSpecFor).
func grantableScopes(p auth.Principal, service bool) []string {
	var out []string
	for _, s := range vigil.Scopes {
		if _, err := auth.TokenSpecFor(p, "scope", []string{s}, nil, 0, service); vigil.ErrorCode(err) != vigil.CodeForbidden {
			out = append(out, s)
		}
	}
	return out
}

// tokensShow answers GET /tokens (admins).
func (u *UI) tokensShow(w http.ResponseWriter, r *http.Request) {
	u.renderTokens(w, r, http.StatusOK, nil, tokenForm{})
}

func (u *UI) renderTokens(w http.ResponseWriter, r *http.Request, status int, created *vigil.APIToken, f tokenForm) {
	ts, err := u.tokenSection(r, 0, "/tokens", true)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	ts.New, ts.Form = created, f
	m := tokensPage{layout: u.layout(w, r, "API tokens", "tokens"), Tokens: ts}
	if created != nil {
		m.Flash = &flash{Kind: "ok", Message: "Token " + created.Name + " created. Copy its secret now: it will not be shown again."}
	}
	u.render(w, r, status, "tokens.html", m)
}

// readTokenForm reads the create form and checks it against what the
// signed-in person may grant (auth.TokenSpecFor).
func (u *UI) readTokenForm(r *http.Request, service bool) (vigil.TokenSpec, tokenForm, error) {
	f := tokenForm{Name: strings.TrimSpace(r.PostFormValue("name")), Scopes: r.PostForm["scopes"], Expires: strings.TrimSpace(r.PostFormValue("expires_days"))}
	var expires *time.Time
	if f.Expires != "" {
		days, err := strconv.Atoi(f.Expires)
		if err != nil || days < 1 || days > 3650 {
			return vigil.TokenSpec{}, f, vigil.FieldError("expires_days", "must be a number of days from 1 to 3650, or empty for never")
		}
		t := u.clock.Now().Add(time.Duration(days) * 24 * time.Hour)
		expires = &t
	}
	spec, err := auth.TokenSpecFor(auth.PrincipalFromContext(r.Context()), f.Name, f.Scopes, expires, 0, service)
	return spec, f, err
}

// tokenCreate answers POST /tokens: an admin makes a service token.
func (u *UI) tokenCreate(w http.ResponseWriter, r *http.Request) {
	spec, f, err := u.readTokenForm(r, true)
	var t *vigil.APIToken
	if err == nil {
		t, err = u.store.CreateToken(r.Context(), spec)
	}
	if err != nil {
		if vigil.ErrorCode(err) != vigil.CodeInvalid {
			u.fail(w, r, err)
			return
		}
		f.Errors = newFormErrors(err, "name", "scopes", "expires_days", "expires_at")
		u.renderTokens(w, r, statusOf(vigil.CodeInvalid), nil, f)
		return
	}
	u.renderTokens(w, r, http.StatusOK, t, tokenForm{})
}

// accountTokenCreate answers POST /account/tokens: a personal token for
// the signed-in person, shown once on the account page.
func (u *UI) accountTokenCreate(w http.ResponseWriter, r *http.Request) {
	spec, f, err := u.readTokenForm(r, false)
	var t *vigil.APIToken
	if err == nil {
		t, err = u.store.CreateToken(r.Context(), spec)
	}
	if err != nil {
		if vigil.ErrorCode(err) != vigil.CodeInvalid {
			u.fail(w, r, err)
			return
		}
		f.Errors = newFormErrors(err, "name", "scopes", "expires_days", "expires_at")
		u.renderAccount(w, r, statusOf(vigil.CodeInvalid), accountPage{TokenForm: f})
		return
	}
	u.renderAccount(w, r, http.StatusOK, accountPage{NewToken: t})
}

// tokenRevoke answers POST /tokens/{id}/revoke (admins: any token) and
// POST /account/tokens/{id}/revoke (one's own).
func (u *UI) tokenRevoke(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		u.notFound(w, r)
		return
	}
	err := auth.MayRevoke(r.Context(), u.store, id)
	if err == nil {
		err = u.store.RevokeToken(r.Context(), id)
	}
	if err != nil {
		u.fail(w, r, err)
		return
	}
	back := "/account#tokens"
	if !strings.HasPrefix(r.URL.Path, "/account/") {
		back = "/tokens"
	}
	u.redirectFlash(w, r, back, "ok", "Token revoked. It stops working at once, everywhere.")
}
