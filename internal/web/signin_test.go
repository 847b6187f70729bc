package web_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/auth"
	"github.com/vigil-oss/vigil/internal/store"
	"github.com/vigil-oss/vigil/internal/vigil"
	"github.com/vigil-oss/vigil/internal/web"
)

// signIn posts the sign-in form and returns the answer.
func (h *harness) signIn(login, password string) *http.Response {
	h.t.Helper()
	return h.do(req{method: http.MethodPost, path: "/login", form: url.Values{"login": {login}, "password": {password}}}).Result()
}

// as requests path with session cookie c.
func (h *harness) as(c *http.Cookie, method, path string, form url.Values) *http.Response {
	h.t.Helper()
	return h.do(req{method: method, path: path, form: form, cookies: []*http.Cookie{c}}).Result()
}

func cookieOf(resp *http.Response, name string) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// session signs in and returns the session cookie, failing otherwise.
func (h *harness) session(login, password string) *http.Cookie {
	h.t.Helper()
	resp := h.signIn(login, password)
	c := cookieOf(resp, auth.SessionCookie)
	if resp.StatusCode != http.StatusSeeOther || c == nil {
		h.t.Fatalf("sign-in as %s: %d, cookie %v", login, resp.StatusCode, c)
	}
	return c
}

func wantSignedOut(t *testing.T, h *harness, c *http.Cookie, why string) {
	t.Helper()
	resp := h.as(c, http.MethodGet, "/incidents", nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
		t.Errorf("%s: the old cookie still works (%d)", why, resp.StatusCode)
	}
}

func body(resp *http.Response) string {
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func TestSignInWithPassword(t *testing.T) {
	h := newHarness(t)
	wantStatus(t, h.do(req{path: "/login"}), http.StatusOK)
	wantStatus(t, h.do(req{path: "/setup"}), http.StatusNotFound) // closed: alice exists

	// Wrong password and unknown user: the same answer, no cookie, nothing echoed.
	var answers []string
	for _, login := range []string{"alice@example.com", "nobody@example.com"} {
		resp := h.signIn(login, "the wrong secret 123")
		b := body(resp)
		if resp.StatusCode != http.StatusUnauthorized || cookieOf(resp, auth.SessionCookie) != nil {
			t.Errorf("%s with a wrong password: %d", login, resp.StatusCode)
		}
		if strings.Contains(b, "the wrong secret 123") {
			t.Errorf("%s: the password is echoed back", login)
		}
		answers = append(answers, regexp.MustCompile(`<p class="field-error"[^>]*>[^<]*</p>`).FindString(b))
	}
	if answers[0] == "" || answers[0] != answers[1] {
		t.Errorf("unknown user and wrong password answer differently: %q vs %q", answers[0], answers[1])
	}

	for _, login := range []string{"alice@example.com", "ALICE@example.com", "alice"} {
		resp := h.signIn(login, alicePassword)
		c := cookieOf(resp, auth.SessionCookie)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/incidents" || c == nil {
			t.Fatalf("sign-in as %q: %d %v", login, resp.StatusCode, c)
		}
		if !strings.HasPrefix(c.Value, vigil.SessionPrefix) || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" || c.Secure {
			t.Errorf("session cookie = %+v", c)
		}
	}
	c := h.session("alice", alicePassword)
	resp := h.as(c, http.MethodGet, "/incidents", nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body(resp), `href="/account"`) {
		t.Errorf("signed-in page: %d", resp.StatusCode)
	}

	// Sign out ends the session itself, not only the cookie.
	resp = h.as(c, http.MethodPost, "/logout", url.Values{})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
		t.Fatalf("logout: %d", resp.StatusCode)
	}
	if cl := cookieOf(resp, auth.SessionCookie); cl == nil || cl.MaxAge >= 0 {
		t.Errorf("logout did not clear the cookie: %+v", cl)
	}
	wantSignedOut(t, h, c, "after sign-out")

	// An API token is no session cookie.
	tok := vigil.NewSecret(vigil.TokenPrefix)
	if _, err := h.db.CreateAPIToken(context.Background(), "ops", vigil.RoleAdmin, tok); err != nil {
		t.Fatal(err)
	}
	wantSignedOut(t, h, &http.Cookie{Name: auth.SessionCookie, Value: tok}, "a token as cookie")
}

func TestSignInThrottled(t *testing.T) {
	h := newHarness(t)
	for i := range 5 {
		if resp := h.signIn("alice", fmt.Sprintf("wrong password %d", i)); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i, resp.StatusCode)
		}
	}
	resp := h.signIn("alice@example.com", alicePassword)
	b := body(resp)
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "900" || cookieOf(resp, auth.SessionCookie) != nil {
		t.Fatalf("sixth try: %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if !strings.Contains(b, "too many failed sign-ins; try again in 15 minutes") {
		t.Errorf("no clear message on the form:\n%s", excerpt(b))
	}
	h.clock.Advance(10 * time.Minute)
	if resp := h.signIn("alice", alicePassword); resp.Header.Get("Retry-After") != "300" {
		t.Errorf("ten minutes later: %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	h.clock.Advance(5*time.Minute + time.Second)
	h.session("alice", alicePassword)
}

func TestSignInWithTOTP(t *testing.T) {
	h := newHarness(t)
	page := h.get("/account").Body.String()
	m := regexp.MustCompile(`<code id="totp-secret">([A-Z2-7]+)</code>`).FindStringSubmatch(page)
	if m == nil || !strings.Contains(page, "otpauth://totp/Vigil:alice@example.com?") {
		t.Fatalf("the account page offers no TOTP secret:\n%s", excerpt(page))
	}
	secret := m[1]
	code := func() string {
		c, err := auth.TOTPCode(secret, uint64(h.clock.Now().Unix()/30))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	rec := h.post("/account/totp", url.Values{"secret": {secret}, "code": {"000000"}})
	wantStatus(t, rec, http.StatusUnprocessableEntity)
	if !strings.Contains(rec.Body.String(), secret) {
		t.Error("a refused code loses the secret being set up")
	}
	wantRedirect(t, h.post("/account/totp", url.Values{"secret": {secret}, "code": {code()}}), "/account")
	if !strings.Contains(h.get("/account").Body.String(), "On: signing in asks for a code") {
		t.Error("the account page does not say TOTP is on")
	}

	h.clock.Advance(30 * time.Second)
	resp := h.signIn("alice", alicePassword)
	pending := cookieOf(resp, "vigil_pending")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login/code" || pending == nil ||
		cookieOf(resp, auth.SessionCookie) != nil || pending.Path != "/login" || !pending.HttpOnly {
		t.Fatalf("password step: %d %q pending=%+v", resp.StatusCode, resp.Header.Get("Location"), pending)
	}
	// The pending session opens nothing but the code step.
	wantSignedOut(t, h, &http.Cookie{Name: auth.SessionCookie, Value: pending.Value}, "pending session")
	wantStatus(t, h.do(req{path: "/login/code", cookies: []*http.Cookie{pending}}), http.StatusOK)
	wantRedirect(t, h.do(req{path: "/login/code"}), "/login")

	rec = h.do(req{method: http.MethodPost, path: "/login/code", form: url.Values{"code": {"123456"}}, cookies: []*http.Cookie{pending}})
	wantStatus(t, rec, http.StatusUnauthorized)
	if !strings.Contains(rec.Body.String(), "wrong code") {
		t.Errorf("no message for a wrong code:\n%s", excerpt(rec.Body.String()))
	}
	rec = h.do(req{method: http.MethodPost, path: "/login/code", form: url.Values{"code": {code()}}, cookies: []*http.Cookie{pending}})
	wantRedirect(t, rec, "/incidents")
	c := findCookie(rec, auth.SessionCookie)
	if c == nil || c.Value == pending.Value {
		t.Fatalf("code step gave session cookie %+v", c)
	}
	wantStatus(t, h.do(req{path: "/incidents", cookies: []*http.Cookie{c}}), http.StatusOK)
	// The pending session is spent.
	rec = h.do(req{method: http.MethodPost, path: "/login/code", form: url.Values{"code": {code()}}, cookies: []*http.Cookie{pending}})
	wantRedirect(t, rec, "/login")
}

func TestFirstRunSetup(t *testing.T) {
	ctx := context.Background()
	clock := vigil.NewManualClock(time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC))
	db, err := store.Open(ctx, store.Config{DataDir: t.TempDir(), Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ui, err := web.New(web.Deps{Store: db, Auth: newAuth(db, clock), Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, db: db, clock: clock, mux: http.NewServeMux()}
	ui.Register(h.mux)
	// On-call people without passwords do not close setup.
	if err := db.CreateUser(ctx, &vigil.User{Name: "Oncall", Email: "oncall@example.com"}); err != nil {
		t.Fatal(err)
	}

	wantRedirect(t, h.do(req{path: "/login"}), "/setup")
	wantStatus(t, h.do(req{path: "/setup"}), http.StatusOK)
	good := url.Values{"name": {"Root"}, "email": {"root@example.com"}, "password": {"a long enough password"}, "password2": {"a long enough password"}}
	for _, bad := range []struct {
		field string
		form  url.Values
	}{
		{"password", with(good, "password", "short", "password2", "short")},
		{"password2", with(good, "password2", "something else entirely")},
		{"email", with(good, "email", "root at example")},
		{"email", with(good, "email", "oncall@example.com")},
	} {
		rec := h.do(req{method: http.MethodPost, path: "/setup", form: bad.form})
		if rec.Code != http.StatusUnprocessableEntity && rec.Code != http.StatusConflict {
			t.Errorf("setup with bad %s: %d", bad.field, rec.Code)
		}
		if !errorNextTo(rec.Body.String(), bad.field) {
			t.Errorf("setup with bad %s: no error next to the field", bad.field)
		}
	}
	rec := h.do(req{method: http.MethodPost, path: "/setup", form: good})
	wantRedirect(t, rec, "/account")
	c := findCookie(rec, auth.SessionCookie)
	if c == nil {
		t.Fatal("setup did not sign the admin in")
	}
	resp := h.as(c, http.MethodGet, "/account", nil)
	if b := body(resp); resp.StatusCode != http.StatusOK || !strings.Contains(b, `<strong id="account-role">admin</strong>`) {
		t.Errorf("account page after setup: %d\n%s", resp.StatusCode, excerpt(b))
	}
	// Closed for everyone after.
	wantStatus(t, h.do(req{path: "/setup"}), http.StatusNotFound)
	wantStatus(t, h.do(req{method: http.MethodPost, path: "/setup", form: with(good, "email", "second@example.com")}), http.StatusNotFound)
	wantStatus(t, h.do(req{path: "/login"}), http.StatusOK)
	if users, _ := db.ListUsers(ctx); len(users) != 2 {
		t.Errorf("%d users, want 2", len(users))
	}
}

func TestPasswordResetLink(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	bo := h.user("Bo", "bo@example.com")
	if err := h.auth.SetPassword(ctx, bo.ID, "bo's first password"); err != nil {
		t.Fatal(err)
	}
	boOld := h.session("bo@example.com", "bo's first password")

	// Bo is no admin: he can neither make links nor sign others out.
	for _, p := range []string{fmt.Sprintf("/users/%d/password-reset", h.alice.ID), fmt.Sprintf("/users/%d/sessions/delete", h.alice.ID)} {
		if resp := h.as(boOld, http.MethodPost, p, url.Values{}); resp.StatusCode != http.StatusForbidden {
			t.Errorf("POST %s as a responder: %d, want 403", p, resp.StatusCode)
		}
	}
	if strings.Contains(body(h.as(boOld, http.MethodGet, fmt.Sprintf("/users/%d", bo.ID), nil)), `id="password-reset"`) {
		t.Error("a responder sees the reset button")
	}
	if !strings.Contains(h.get(fmt.Sprintf("/users/%d", bo.ID)).Body.String(), `id="password-reset"`) {
		t.Error("an admin does not see the reset button")
	}

	rec := h.post(fmt.Sprintf("/users/%d/password-reset", bo.ID), url.Values{})
	wantStatus(t, rec, http.StatusOK)
	m := regexp.MustCompile(`<code id="reset-link">http://vigil\.test(/reset/vgr_[a-z2-7]+)</code>`).FindStringSubmatch(rec.Body.String())
	if m == nil {
		t.Fatalf("no reset link on the page:\n%s", excerpt(rec.Body.String()))
	}
	link := m[1]
	// Anyone with the link (no session) may use it, once.
	page := h.do(req{path: link})
	wantStatus(t, page, http.StatusOK)
	if !strings.Contains(page.Body.String(), "bo@example.com") {
		t.Error("the reset page does not say whose password it sets")
	}
	rec = h.do(req{method: http.MethodPost, path: link, form: url.Values{"password": {"short"}, "password2": {"short"}}})
	wantStatus(t, rec, http.StatusUnprocessableEntity)
	if !errorNextTo(rec.Body.String(), "password") {
		t.Error("no error next to the short password")
	}
	const fresh = "bo's brand new password"
	rec = h.do(req{method: http.MethodPost, path: link, form: url.Values{"password": {fresh}, "password2": {fresh}}})
	wantRedirect(t, rec, "/login")
	wantSignedOut(t, h, boOld, "after a reset")
	wantStatus(t, h.do(req{path: link}), http.StatusNotFound)
	wantStatus(t, h.do(req{method: http.MethodPost, path: link, form: url.Values{"password": {fresh + "2"}, "password2": {fresh + "2"}}}), http.StatusNotFound)
	h.session("bo", fresh)

	// Links expire after a day.
	rec = h.post(fmt.Sprintf("/users/%d/password-reset", bo.ID), url.Values{})
	link = regexp.MustCompile(`/reset/vgr_[a-z2-7]+`).FindString(rec.Body.String())
	h.clock.Advance(24 * time.Hour)
	wantStatus(t, h.do(req{path: link}), http.StatusNotFound)
}

func TestSignOutEverywhere(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	first, second := h.session("alice", alicePassword), h.session("alice", alicePassword)
	page := body(h.as(first, http.MethodGet, "/account", nil))
	if strings.Count(page, "<tr") < 4 { // the header and three sessions (the harness's too)
		t.Errorf("the account page lists too few sessions:\n%s", excerpt(page))
	}
	resp := h.as(first, http.MethodPost, "/logout/everywhere", url.Values{})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
		t.Fatalf("sign out everywhere: %d", resp.StatusCode)
	}
	for _, c := range []*http.Cookie{first, second, {Name: auth.SessionCookie, Value: h.token}} {
		wantSignedOut(t, h, c, "after sign-out everywhere")
	}

	// An admin signs someone else out.
	admin := h.session("alice", alicePassword)
	bo := h.user("Bo", "bo@example.com")
	if err := h.auth.SetPassword(ctx, bo.ID, "bo's first password"); err != nil {
		t.Fatal(err)
	}
	boSession := h.session("bo", "bo's first password")
	resp = h.as(admin, http.MethodPost, fmt.Sprintf("/users/%d/sessions/delete", bo.ID), url.Values{})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("admin signs Bo out: %d", resp.StatusCode)
	}
	wantSignedOut(t, h, boSession, "Bo after an admin signed him out")
	if resp := h.as(admin, http.MethodGet, "/incidents", nil); resp.StatusCode != http.StatusOK {
		t.Errorf("the admin was signed out too: %d", resp.StatusCode)
	}
}

func TestChangePassword(t *testing.T) {
	h := newHarness(t)
	other := h.session("alice", alicePassword)
	const next = "alice's next password"
	rec := h.post("/account/password", url.Values{"current": {"not it at all"}, "password": {next}, "password2": {next}})
	wantStatus(t, rec, http.StatusUnprocessableEntity)
	if !errorNextTo(rec.Body.String(), "current") {
		t.Error("no error next to the current password")
	}
	rec = h.post("/account/password", url.Values{"current": {alicePassword}, "password": {"short"}, "password2": {"short"}})
	wantStatus(t, rec, http.StatusUnprocessableEntity)
	wantRedirect(t, h.post("/account/password", url.Values{"current": {alicePassword}, "password": {next}, "password2": {next}}), "/account")
	wantStatus(t, h.get("/account"), http.StatusOK) // this session stays
	wantSignedOut(t, h, other, "another session after a password change")
	if resp := h.signIn("alice", alicePassword); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("the old password still works: %d", resp.StatusCode)
	}
	h.session("alice", next)
}
