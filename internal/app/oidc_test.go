package app

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/auth"
	"github.com/vigil-oss/vigil/internal/oidc"
	"github.com/vigil-oss/vigil/internal/oidc/oidctest"
	"github.com/vigil-oss/vigil/internal/storetest"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// ssoEnv is a real Vigil server signing in through the test provider.
type ssoEnv struct {
	t     *testing.T
	app   *App
	idp   *oidctest.Provider
	clock *vigil.ManualClock
	logs  *lockedLog
}

func startSSO(t *testing.T, databaseURL string, mod func(*oidc.Config)) *ssoEnv {
	t.Helper()
	clock := vigil.NewManualClock(time.Now().UTC().Truncate(time.Second))
	idp := oidctest.New(t)
	idp.SetClock(clock.Now)
	cfg := oidc.Config{
		Issuer: idp.URL, ClientID: idp.ClientID, ClientSecret: idp.ClientSecret,
		Roles: []oidc.RoleRule{
			{Group: "vigil-admins", Role: vigil.RoleAdmin},
			{Group: "oncall", Role: vigil.RoleResponder},
			{Group: "readers", Role: vigil.RoleViewer},
		},
		DefaultRole: oidc.RoleNone,
		Teams: []oidc.TeamRule{
			{Group: "sre", Team: "ops", Role: vigil.TeamMember},
			{Group: "sre-leads", Team: "ops", Role: vigil.TeamManager},
			{Group: "security", Team: "security", Role: vigil.TeamMember},
		},
		CreateUsers: true,
		ButtonLabel: "Sign in with Okta",
	}
	if mod != nil {
		mod(&cfg)
	}
	dataDir := ""
	if databaseURL == "" {
		dataDir = t.TempDir()
	}
	logs := &lockedLog{}
	a := startApp(t, Config{DataDir: dataDir, DatabaseURL: databaseURL, Clock: clock, EngineInterval: -1, OIDC: cfg,
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	ctx := vigil.WithActor(context.Background(), vigil.Actor{Kind: vigil.ActorToken, Name: "seed", Source: vigil.SourceAPI})
	for _, name := range []string{"ops", "security"} {
		if err := a.Store().CreateTeam(ctx, &vigil.Team{Name: name}); err != nil {
			t.Fatal(err)
		}
	}
	return &ssoEnv{t: t, app: a, idp: idp, clock: clock, logs: logs}
}

// lockedLog collects the server's log for a test to read.
type lockedLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// browser is an HTTP client with a cookie jar that follows redirects, as
// a browser does.
func browser(t *testing.T) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, Timeout: 20 * time.Second}
}

// signInSSO clicks the button: GET /login/oidc, through the provider, back
// to the callback. It returns the final status and body.
func (e *ssoEnv) signInSSO(c *http.Client) (int, string) {
	e.t.Helper()
	resp, err := c.Get(e.app.URL() + "/login/oidc")
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (e *ssoEnv) sessionCookie(c *http.Client) string {
	u, _ := url.Parse(e.app.URL())
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == auth.SessionCookie {
			return ck.Value
		}
	}
	return ""
}

func (e *ssoEnv) userByEmail(email string) *vigil.User {
	e.t.Helper()
	users, err := e.app.Store().ListUsers(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	for _, u := range users {
		if u.Email == email {
			return u
		}
	}
	return nil
}

func (e *ssoEnv) membership(team string, userID int64) string {
	e.t.Helper()
	teams, err := e.app.Store().ListTeams(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	for _, tm := range teams {
		if tm.Name != team {
			continue
		}
		if slices.Contains(tm.Managers, userID) {
			return vigil.TeamManager
		}
		if slices.Contains(tm.Members, userID) {
			return vigil.TeamMember
		}
	}
	return ""
}

func TestSSOSignIn(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testSSOSignIn(t, "") })
	t.Run("postgres", func(t *testing.T) { testSSOSignIn(t, storetest.NewPostgresURL(t)) })
}

func testSSOSignIn(t *testing.T, databaseURL string) {
	e := startSSO(t, databaseURL, nil)
	base := e.app.URL()

	// The sign-in page offers the button, even before any password exists.
	c := browser(t)
	resp, err := c.Get(base + "/login")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), `href="/login/oidc"`) || !strings.Contains(string(page), "Sign in with Okta") {
		t.Fatalf("GET /login = %d, want the SSO button:\n%s", resp.StatusCode, page)
	}

	// First sign-in: the account is made, role and teams come from groups.
	e.idp.SetPerson(oidctest.Person{Subject: "okta|1001", Email: "dana@example.com", EmailVerified: true, Name: "Dana Scully",
		Groups: []string{"oncall", "sre-leads", "unrelated"}})
	status, body := e.signInSSO(c)
	if status != 200 || !strings.Contains(body, "Signed in") {
		t.Fatalf("sign-in = %d:\n%s", status, body)
	}
	if e.sessionCookie(c) == "" {
		t.Fatal("no session cookie after SSO sign-in")
	}
	resp, err = c.Get(base + "/incidents")
	if err != nil {
		t.Fatal(err)
	}
	page, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Request.URL.Path != "/incidents" || !strings.Contains(string(page), "Dana Scully") {
		t.Fatalf("GET /incidents after SSO = %d at %s, want the signed-in page", resp.StatusCode, resp.Request.URL.Path)
	}
	dana := e.userByEmail("dana@example.com")
	if dana == nil || dana.Name != "Dana Scully" || dana.Role != vigil.RoleResponder || dana.HasPassword {
		t.Fatalf("user after first SSO = %+v, want responder Dana without password", dana)
	}
	if got := e.membership("ops", dana.ID); got != vigil.TeamManager {
		t.Errorf("ops membership = %q, want manager", got)
	}
	if got := e.membership("security", dana.ID); got != "" {
		t.Errorf("security membership = %q, want none", got)
	}
	ids, err := e.app.Store().ListIdentities(context.Background(), dana.ID)
	if err != nil || len(ids) != 1 || ids[0].Issuer != e.idp.URL || ids[0].Subject != "okta|1001" {
		t.Errorf("identities = %+v, %v", ids, err)
	}
	// The person's page shows the linked identity.
	resp, err = c.Get(base + "/users/" + strconv.FormatInt(dana.ID, 10))
	if err != nil {
		t.Fatal(err)
	}
	page, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), `id="identities"`) || !strings.Contains(string(page), "okta|1001") {
		t.Errorf("user page = %d, want the identity listed:\n%s", resp.StatusCode, page)
	}
	// The session is an ordinary one.
	if sessions, _ := e.app.Store().ListSessions(context.Background(), dana.ID); len(sessions) != 1 {
		t.Errorf("sessions = %d, want 1", len(sessions))
	}

	// Second sign-in, new groups: admin now, out of ops, into security.
	e.idp.SetPerson(oidctest.Person{Subject: "okta|1001", Email: "dana@example.com", EmailVerified: true, Name: "Dana Scully",
		Groups: []string{"vigil-admins", "readers", "security"}})
	c2 := browser(t)
	if status, body := e.signInSSO(c2); status != 200 {
		t.Fatalf("second sign-in = %d:\n%s", status, body)
	}
	again := e.userByEmail("dana@example.com")
	if again.ID != dana.ID || again.Role != vigil.RoleAdmin {
		t.Errorf("after second sign-in: %+v, want the same user as admin (strongest group wins)", again)
	}
	if got := e.membership("ops", dana.ID); got != "" {
		t.Errorf("ops membership after leaving the groups = %q, want none", got)
	}
	if got := e.membership("security", dana.ID); got != vigil.TeamMember {
		t.Errorf("security membership = %q, want member", got)
	}
	// The changes are audited, as the provider's doing.
	entries, _, err := e.app.Store().FindAuditEntries(context.Background(), vigil.AuditFilter{Action: "user.role"})
	if err != nil || len(entries) != 1 || entries[0].Actor.Name != "single sign-on" {
		t.Errorf("user.role audit entries = %+v, %v", entries, err)
	}
	if entries, _, _ := e.app.Store().FindAuditEntries(context.Background(), vigil.AuditFilter{Action: "team.update"}); len(entries) < 3 {
		t.Errorf("team.update audit entries = %d, want 3 (ops join, ops leave, security join)", len(entries))
	}

	// An existing account is linked by verified e-mail, not duplicated.
	ctx := vigil.WithActor(context.Background(), vigil.Actor{Kind: vigil.ActorToken, Name: "seed", Source: vigil.SourceAPI})
	fox := &vigil.User{Name: "Fox", Email: "fox@example.com"}
	if err := e.app.Store().CreateUser(ctx, fox); err != nil {
		t.Fatal(err)
	}
	e.idp.SetPerson(oidctest.Person{Subject: "okta|1002", Email: "FOX@example.com", EmailVerified: true, Groups: []string{"readers"}})
	if status, body := e.signInSSO(browser(t)); status != 200 {
		t.Fatalf("sign-in of an existing user = %d:\n%s", status, body)
	}
	if got, _ := e.app.Store().FindUser(context.Background(), fox.ID); got.Role != vigil.RoleViewer {
		t.Errorf("existing user's role = %q, want viewer", got.Role)
	}
	if users, _ := e.app.Store().ListUsers(context.Background()); len(users) != 2 {
		t.Errorf("users = %d, want 2 (Dana, Fox)", len(users))
	}
}

// TestSSORefusals: each way a provider (or someone in between) can get it
// wrong ends on a clear 4xx page, without a session and without a user.
func TestSSORefusals(t *testing.T) {
	e := startSSO(t, "", nil)
	person := oidctest.Person{Subject: "okta|2001", Email: "eve@example.com", EmailVerified: true, Groups: []string{"oncall"}}
	e.idp.SetPerson(person)
	for _, tc := range []struct {
		name  string
		fault oidctest.Fault
		want  string
	}{
		{"wrong audience", oidctest.WrongAudience, "ID token"},
		{"expired", oidctest.Expired, "ID token"},
		{"bad signature", oidctest.BadSignature, "ID token"},
		{"wrong nonce", oidctest.WrongNonce, "nonce"},
		{"wrong issuer", oidctest.WrongIssuer, "ID token"},
		{"HS256 with the client secret", oidctest.Unsigned, "ID token"},
		{"no ID token", oidctest.NoIDToken, "no ID token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.idp.SetFault(tc.fault)
			defer e.idp.SetFault(oidctest.OK)
			c := browser(t)
			status, body := e.signInSSO(c)
			if status != http.StatusUnauthorized || !strings.Contains(body, "Sign-in failed") || !strings.Contains(body, tc.want) {
				t.Errorf("status %d, want 401 page saying %q:\n%s", status, tc.want, body)
			}
			if e.sessionCookie(c) != "" {
				t.Error("a session cookie was set")
			}
			if strings.Contains(body, e.idp.ClientSecret) {
				t.Error("the page shows the client secret")
			}
		})
	}
	if u := e.userByEmail("eve@example.com"); u != nil {
		t.Fatalf("a refused sign-in created %+v", u)
	}

	noFollow := func(c *http.Client) *http.Client {
		c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		return c
	}
	// step follows one redirect by hand and returns the next location.
	step := func(c *http.Client, u string) (*http.Response, string) {
		t.Helper()
		resp, err := c.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		resp.Body = io.NopCloser(strings.NewReader(string(b)))
		return resp, resp.Header.Get("Location")
	}
	body := func(r *http.Response) string { b, _ := io.ReadAll(r.Body); return string(b) }

	// start goes to the provider and returns the callback URL it sends
	// the browser back to.
	start := func(c *http.Client) string {
		t.Helper()
		resp, toIdP := step(c, e.app.URL()+"/login/oidc")
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(toIdP, e.idp.URL+"/authorize?") {
			t.Fatalf("GET /login/oidc = %d to %q", resp.StatusCode, toIdP)
		}
		q, _ := url.Parse(toIdP)
		for _, p := range []string{"state", "nonce", "code_challenge"} {
			if q.Query().Get(p) == "" {
				t.Errorf("authorize request lacks %s: %s", p, toIdP)
			}
		}
		if q.Query().Get("code_challenge_method") != "S256" {
			t.Errorf("PKCE method = %q, want S256", q.Query().Get("code_challenge_method"))
		}
		_, back := step(c, toIdP)
		if !strings.HasPrefix(back, e.app.URL()+oidc.CallbackPath+"?") {
			t.Fatalf("provider sent the browser to %q", back)
		}
		return back
	}

	t.Run("tampered state", func(t *testing.T) {
		c := noFollow(browser(t))
		back, _ := url.Parse(start(c))
		q := back.Query()
		q.Set("state", q.Get("state")+"x")
		back.RawQuery = q.Encode()
		resp, _ := step(c, back.String())
		if b := body(resp); resp.StatusCode != http.StatusUnauthorized || !strings.Contains(b, "state") {
			t.Errorf("tampered state = %d:\n%s", resp.StatusCode, b)
		}
	})
	t.Run("callback in another browser", func(t *testing.T) {
		back := start(noFollow(browser(t)))
		resp, _ := step(noFollow(browser(t)), back)
		if b := body(resp); resp.StatusCode != http.StatusUnauthorized || !strings.Contains(b, "start again") {
			t.Errorf("callback without the flow cookie = %d:\n%s", resp.StatusCode, b)
		}
	})
	t.Run("callback used twice", func(t *testing.T) {
		c := noFollow(browser(t))
		back := start(c)
		if resp, _ := step(c, back); resp.StatusCode != http.StatusOK {
			t.Fatalf("first callback = %d:\n%s", resp.StatusCode, body(resp))
		}
		if resp, _ := step(c, back); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("second callback = %d, want 401", resp.StatusCode)
		}
	})
	t.Run("too slow", func(t *testing.T) {
		c := noFollow(browser(t))
		back := start(c)
		e.clock.Advance(oidc.FlowTTL + time.Second)
		resp, _ := step(c, back)
		if b := body(resp); resp.StatusCode != http.StatusUnauthorized || !strings.Contains(b, "took too long") {
			t.Errorf("late callback = %d:\n%s", resp.StatusCode, b)
		}
	})
	t.Run("provider error", func(t *testing.T) {
		c := noFollow(browser(t))
		back, _ := url.Parse(start(c))
		q := back.Query()
		q.Del("code")
		q.Set("error", "access_denied")
		q.Set("error_description", "<script>alert(1)</script>")
		back.RawQuery = q.Encode()
		resp, _ := step(c, back.String())
		b := body(resp)
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(b, "access_denied") || strings.Contains(b, "<script>alert") {
			t.Errorf("provider error = %d:\n%s", resp.StatusCode, b)
		}
	})
	t.Run("garbage flow cookie", func(t *testing.T) {
		c := noFollow(browser(t))
		back := start(c)
		u, _ := url.Parse(e.app.URL() + "/login/oidc")
		c.Jar.SetCookies(u, []*http.Cookie{{Name: "vigil_oidc", Value: "%%%not-base64", Path: "/login/oidc"}})
		resp, _ := step(c, back)
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("garbage flow cookie = %d, want 401", resp.StatusCode)
		}
	})
	t.Run("wrong client secret", func(t *testing.T) {
		real := e.idp.ClientSecret
		e.idp.SetClientSecret("rotated-at-the-provider")
		defer e.idp.SetClientSecret(real)
		status, b := e.signInSSO(browser(t))
		if status != http.StatusUnauthorized || !strings.Contains(b, "did not accept") {
			t.Errorf("wrong client secret = %d:\n%s", status, b)
		}
	})
	t.Run("no mapped group", func(t *testing.T) {
		e.idp.SetPerson(oidctest.Person{Subject: "okta|2002", Email: "mallory@example.com", EmailVerified: true, Groups: []string{"sre"}})
		status, b := e.signInSSO(browser(t))
		if status != http.StatusForbidden || !strings.Contains(b, "groups") {
			t.Errorf("no mapped group = %d:\n%s", status, b)
		}
		if e.userByEmail("mallory@example.com") != nil {
			t.Error("a refused person got an account")
		}
	})
	// Every refusal was logged (for the operator), none with the secret.
	logs := e.logs.String()
	if !strings.Contains(logs, "single sign-on refused") {
		t.Errorf("refusals were not logged:\n%s", logs)
	}
	if strings.Contains(logs, e.idp.ClientSecret) {
		t.Errorf("the log holds the client secret:\n%s", logs)
	}
}

// TestSSOWithoutCreating: with creating off, only people who have an
// account (by verified e-mail) get in; an unverified e-mail links nobody.
func TestSSOWithoutCreating(t *testing.T) {
	e := startSSO(t, "", func(c *oidc.Config) { c.CreateUsers = false; c.Roles = nil; c.DefaultRole = "" })
	ctx := vigil.WithActor(context.Background(), vigil.Actor{Kind: vigil.ActorToken, Name: "seed", Source: vigil.SourceAPI})
	ana := &vigil.User{Name: "Ana", Email: "ana@example.com"}
	if err := e.app.Store().CreateUser(ctx, ana); err != nil {
		t.Fatal(err)
	}
	if err := e.app.Store().SetUserRole(ctx, ana.ID, vigil.RoleManager); err != nil {
		t.Fatal(err)
	}
	e.idp.SetPerson(oidctest.Person{Subject: "x|1", Email: "stranger@example.com", EmailVerified: true})
	if status, b := e.signInSSO(browser(t)); status != http.StatusForbidden || !strings.Contains(b, "no Vigil account") {
		t.Errorf("stranger = %d:\n%s", status, b)
	}
	e.idp.SetPerson(oidctest.Person{Subject: "x|2", Email: "ana@example.com", EmailVerified: false})
	if status, _ := e.signInSSO(browser(t)); status != http.StatusForbidden {
		t.Errorf("unverified e-mail = %d, want 403", status)
	}
	e.idp.SetPerson(oidctest.Person{Subject: "x|2", Email: "ana@example.com", EmailVerified: true})
	if status, b := e.signInSSO(browser(t)); status != http.StatusOK {
		t.Errorf("Ana = %d:\n%s", status, b)
	}
	// Without role rules the role an admin gave stays.
	if got, _ := e.app.Store().FindUser(context.Background(), ana.ID); got.Role != vigil.RoleManager {
		t.Errorf("role = %q, want manager kept", got.Role)
	}
}

// TestSSOProviderDown: Vigil starts while the provider is unreachable and
// the button answers a clear page, not a 5xx.
func TestSSOProviderDown(t *testing.T) {
	a := startApp(t, Config{DataDir: t.TempDir(), EngineInterval: -1,
		OIDC: oidc.Config{Issuer: "http://127.0.0.1:1", ClientID: "vigil"}})
	resp, err := http.Get(a.URL() + "/login/oidc")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode >= 500 || !strings.Contains(string(b), "could not be reached") {
		t.Errorf("provider down = %d:\n%s", resp.StatusCode, b)
	}
}

// TestSSOOffByDefault: without an issuer there is no button and the SSO
// paths are 404.
func TestSSOOffByDefault(t *testing.T) {
	a := startApp(t, Config{DataDir: t.TempDir(), EngineInterval: -1})
	for _, p := range []string{"/login/oidc", "/login/oidc/callback?code=x&state=y"} {
		resp, err := http.Get(a.URL() + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", p, resp.StatusCode)
		}
	}
}

// TestSSOUnlink: a person who signed in by SSO sees the identity through
// the API, cannot unlink their only way in, an admin can; the next
// sign-in with the same subject is a first sign-in again. With another
// e-mail it makes another account and never reaches the old one; with the
// old account's verified e-mail it links to that account again (the usual
// rule for a first sign-in).
func TestSSOUnlink(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testSSOUnlink(t, "") })
	t.Run("postgres", func(t *testing.T) { testSSOUnlink(t, storetest.NewPostgresURL(t)) })
}

func testSSOUnlink(t *testing.T, databaseURL string) {
	e := startSSO(t, databaseURL, nil)
	st := e.app.Store()
	ctx := vigil.WithActor(context.Background(), vigil.Actor{Kind: vigil.ActorToken, Name: "seed", Source: vigil.SourceAPI})
	api := func(method, path, token string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, e.app.URL()+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	signIn := func(email string) *vigil.User {
		t.Helper()
		e.idp.SetPerson(oidctest.Person{Subject: "okta|4001", Email: email, EmailVerified: true, Name: "Gil", Groups: []string{"oncall"}})
		if status, body := e.signInSSO(browser(t)); status != http.StatusOK || !strings.Contains(body, "Signed in") {
			t.Fatalf("sign-in as %s = %d:\n%s", email, status, body)
		}
		return e.userByEmail(email)
	}
	identities := func(userID int64) []*vigil.Identity {
		t.Helper()
		ids, err := st.ListIdentities(context.Background(), userID)
		if err != nil {
			t.Fatal(err)
		}
		return ids
	}

	gil := signIn("gil@example.com")
	if gil == nil || gil.HasPassword {
		t.Fatalf("Gil after SSO = %+v, want an account without a password", gil)
	}
	gilToken, err := st.CreateToken(ctx, vigil.TokenSpec{Name: "gil-cli", UserID: gil.ID, Scopes: vigil.Scopes})
	if err != nil {
		t.Fatal(err)
	}
	adminToken, err := st.CreateToken(ctx, vigil.TokenSpec{Name: "admin", Scopes: []string{vigil.PermAdmin}})
	if err != nil {
		t.Fatal(err)
	}
	users := "/api/v1/users/" + strconv.FormatInt(gil.ID, 10) + "/identities"
	status, body := api("GET", users, gilToken.Secret)
	if status != http.StatusOK || !strings.Contains(body, `"subject":"okta|4001"`) || !strings.Contains(body, e.idp.URL) {
		t.Fatalf("GET %s as Gil = %d: %s", users, status, body)
	}
	first := identities(gil.ID)[0]
	one := users + "/" + strconv.FormatInt(first.ID, 10)
	if status, body := api("DELETE", one, gilToken.Secret); status != http.StatusConflict || !strings.Contains(body, "last way to sign in") {
		t.Errorf("Gil unlinks his only way in = %d: %s", status, body)
	}
	if status, body := api("DELETE", one, adminToken.Secret); status != http.StatusNoContent {
		t.Fatalf("admin unlinks = %d: %s", status, body)
	}
	if ids := identities(gil.ID); len(ids) != 0 {
		t.Fatalf("Gil's identities after unlink = %+v", ids)
	}

	// Same subject, the provider now vouches for another e-mail: a new
	// account, not Gil's.
	other := signIn("gil@elsewhere.example.com")
	if other == nil || other.ID == gil.ID {
		t.Fatalf("the unlinked subject signed in as %+v, want a new account apart from Gil (%d)", other, gil.ID)
	}
	if ids := identities(gil.ID); len(ids) != 0 {
		t.Errorf("Gil got an identity back: %+v", ids)
	}
	moved := identities(other.ID)
	if len(moved) != 1 || moved[0].Subject != "okta|4001" {
		t.Fatalf("new account's identities = %+v", moved)
	}

	// Unlinked from that one too, with Gil's e-mail again: the usual rule
	// links it to Gil, as at a first sign-in, and the audit log says so.
	if status, body := api("DELETE", "/api/v1/users/"+strconv.FormatInt(other.ID, 10)+"/identities/"+strconv.FormatInt(moved[0].ID, 10), adminToken.Secret); status != http.StatusNoContent {
		t.Fatalf("admin unlinks the new account's = %d: %s", status, body)
	}
	if back := signIn("gil@example.com"); back.ID != gil.ID {
		t.Errorf("Gil's e-mail signed in as %d, want Gil %d", back.ID, gil.ID)
	}
	// (SQLite may give the new link the old one's ID; the link audit
	// entries below count it.)
	if ids := identities(gil.ID); len(ids) != 1 || ids[0].Subject != "okta|4001" {
		t.Errorf("Gil's identities after signing in again = %+v, want the subject linked again", ids)
	}
	unlinks, _, err := st.FindAuditEntries(context.Background(), vigil.AuditFilter{Action: "user.identity-unlink"})
	if err != nil || len(unlinks) != 2 {
		t.Errorf("unlink audit entries = %d, %v; want 2", len(unlinks), err)
	}
	links, _, _ := st.FindAuditEntries(context.Background(), vigil.AuditFilter{Action: "user.identity-link"})
	if len(links) != 3 {
		t.Errorf("link audit entries = %d, want 3 (Gil, the new account, Gil again)", len(links))
	}
	for _, a := range unlinks {
		if strings.Contains(string(a.Before), e.idp.ClientSecret) || a.Actor.Name != "admin" {
			t.Errorf("unlink audit entry = %+v", a)
		}
	}
}
