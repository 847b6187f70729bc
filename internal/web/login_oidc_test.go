package web_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/vigil-oss/vigil/internal/auth"
	"github.com/vigil-oss/vigil/internal/vigil"
	"github.com/vigil-oss/vigil/internal/web"
)

// stubSSO stands in for the identity provider's side (the protocol is
// tested against a real provider in internal/app); the store is real.
type stubSSO struct {
	beginErr error
	result   *vigil.IdentitySignIn
	err      error
	gotFlow  string
}

func (s *stubSSO) Label() string { return "Sign in with Okta" }

func (s *stubSSO) Begin(context.Context) (string, string, error) {
	return "https://idp.example.com/authorize?state=s", "flow-value", s.beginErr
}

func (s *stubSSO) Finish(_ context.Context, flow string, _ url.Values) (*vigil.IdentitySignIn, error) {
	s.gotFlow = flow
	return s.result, s.err
}

func withSSO(h *harness, s web.SSO) {
	ui, err := web.New(web.Deps{Store: h.db, Auth: h.auth, Clock: h.clock, PublicURL: "http://" + testHost, SSO: s})
	if err != nil {
		h.t.Fatal(err)
	}
	h.mux = http.NewServeMux()
	ui.Register(h.mux)
}

func TestLoginPageSSOButton(t *testing.T) {
	h := newHarness(t)
	if body := h.get("/login").Body.String(); strings.Contains(body, "/login/oidc") {
		t.Errorf("SSO off, but the page links it:\n%s", body)
	}
	withSSO(h, &stubSSO{})
	body := h.get("/login").Body.String()
	if !strings.Contains(body, `<a class="button-link" href="/login/oidc" id="sso">Sign in with Okta</a>`) {
		t.Errorf("SSO on, no button:\n%s", body)
	}
}

func TestLoginSSOStart(t *testing.T) {
	h := newHarness(t)
	withSSO(h, &stubSSO{})
	rec := h.get("/login/oidc")
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "https://idp.example.com/authorize?state=s" {
		t.Fatalf("GET /login/oidc = %d to %q", rec.Code, rec.Header().Get("Location"))
	}
	c := rec.Result().Cookies()
	if len(c) != 1 || c[0].Name != "vigil_oidc" || c[0].Value != "flow-value" || !c[0].HttpOnly ||
		c[0].SameSite != http.SameSiteLaxMode || c[0].Path != "/login/oidc" || c[0].MaxAge <= 0 || c[0].MaxAge > 600 {
		t.Errorf("flow cookie = %+v", c)
	}
	withSSO(h, &stubSSO{beginErr: errors.New("dial tcp: connection refused")})
	if rec := h.get("/login/oidc"); rec.Code >= 500 || !strings.Contains(rec.Body.String(), "Sign-in failed") {
		t.Errorf("provider down = %d:\n%s", rec.Code, rec.Body)
	}
}

func TestLoginSSOCallback(t *testing.T) {
	h := newHarness(t)
	s := &stubSSO{result: &vigil.IdentitySignIn{Issuer: "https://idp.example.com", Subject: "u1", Email: "zoe@example.com",
		Name: "Zoe", Create: true, Role: vigil.RoleViewer}}
	withSSO(h, s)
	rec := h.do(req{path: "/login/oidc/callback?code=c&state=s", cookies: []*http.Cookie{{Name: "vigil_oidc", Value: "the-flow"}}})
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `http-equiv="refresh"`) {
		t.Fatalf("callback = %d:\n%s", rec.Code, rec.Body)
	}
	if s.gotFlow != "the-flow" {
		t.Errorf("Finish got flow %q", s.gotFlow)
	}
	var session, flow *http.Cookie
	for _, c := range rec.Result().Cookies() {
		switch c.Name {
		case auth.SessionCookie:
			session = c
		case "vigil_oidc":
			flow = c
		}
	}
	if session == nil || session.SameSite != http.SameSiteStrictMode || !session.HttpOnly {
		t.Fatalf("session cookie = %+v", session)
	}
	if flow == nil || flow.MaxAge >= 0 {
		t.Errorf("the flow cookie is not cleared: %+v", flow)
	}
	// The session works and is Zoe's, a viewer.
	h.token = session.Value
	if body := h.do(req{path: "/account", signed: true}).Body.String(); !strings.Contains(body, "Zoe") {
		t.Errorf("account page of the new session:\n%s", body)
	}

	for _, c := range []struct {
		name   string
		err    error
		status int
		want   string
	}{
		{"refused", vigil.Errorf(vigil.CodeUnauthorized, "the ID token from the sign-in provider is not valid"), 401, "The ID token from the sign-in provider is not valid."},
		{"no access", vigil.Errorf(vigil.CodeForbidden, "none of your groups gives access"), 403, "None of your groups gives access."},
		{"internal", errors.New("database on fire"), 401, "Single sign-on failed"},
	} {
		withSSO(h, &stubSSO{err: c.err})
		rec := h.do(req{path: "/login/oidc/callback?code=c&state=s"})
		if rec.Code != c.status || !strings.Contains(rec.Body.String(), c.want) || strings.Contains(rec.Body.String(), "on fire") {
			t.Errorf("%s: %d:\n%s", c.name, rec.Code, rec.Body)
		}
		for _, ck := range rec.Result().Cookies() {
			if ck.Name == auth.SessionCookie && ck.Value != "" {
				t.Errorf("%s: a session cookie was set", c.name)
			}
		}
	}
	// Creating not allowed and nobody matches: the store's refusal is a 403 page.
	withSSO(h, &stubSSO{result: &vigil.IdentitySignIn{Issuer: "https://idp.example.com", Subject: "u2", Email: "nobody@example.com"}})
	if rec := h.do(req{path: "/login/oidc/callback?code=c&state=s"}); rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), "no Vigil account") {
		t.Errorf("unknown person = %d:\n%s", rec.Code, rec.Body)
	}
}
