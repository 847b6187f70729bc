package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/vigil-oss/vigil/internal/app"
	"github.com/vigil-oss/vigil/internal/auth"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// browserExecPath is Debian's chromium; CI installs it.
const browserExecPath = "/usr/bin/chromium"

// cspWatch records the Content-Security-Policy violations of every page of
// the tab in sessionStorage, so they survive the navigations between checks.
// It is injected through the DevTools protocol, which CSP does not apply
// to, before any script of the page runs.
const cspWatch = `window.__cspWatch = true;
document.addEventListener('securitypolicyviolation', e => {
	const v = JSON.parse(sessionStorage.getItem('cspViolations') || '[]');
	v.push(location.pathname + ': ' + e.violatedDirective + ' ' + (e.blockedURI || 'inline'));
	sessionStorage.setItem('cspViolations', JSON.stringify(v));
});`

// TestBrowserAcknowledge drives the web UI in headless Chromium: sign in
// with a password, see the incident in the list (and a new one appear
// by htmx's live refresh), open it, acknowledge it, and find the timeline
// entry written with source "web".
func TestBrowserAcknowledge(t *testing.T) {
	requireBrowser(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	base, token := startBrowserApp(ctx, t, vigil.SystemClock{})

	// Seed through the API: a service that opens one incident per alert,
	// a key, and an alert.
	var svc struct{ ID int64 }
	browserAPI(ctx, t, "POST", base+"/api/v1/services", token,
		map[string]any{"name": "checkout", "grouping": map[string]any{"mode": "none"}}, &svc)
	var key struct{ Secret string }
	browserAPI(ctx, t, "POST", fmt.Sprintf("%s/api/v1/services/%d/integration-keys", base, svc.ID), token,
		map[string]any{"name": "browser-test"}, &key)
	var res struct {
		IncidentID int64 `json:"incident_id"`
	}
	browserAPI(ctx, t, "POST", base+"/api/v1/events", key.Secret,
		map[string]any{"summary": "Checkout latency above 2s", "severity": "critical", "dedup_key": "checkout-latency"}, &res)
	if res.IncidentID == 0 {
		t.Fatal("the event opened no incident")
	}

	bctx, step := startBrowser(ctx, t)
	incidentLink := chromedp.CSS(fmt.Sprintf(`#incident-rows a.incident-link[href="/incidents/%d"]`, res.IncidentID))

	step("sign in",
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`#login`)),
		chromedp.SendKeys(chromedp.CSS(`#login`), browserLogin),
		chromedp.SendKeys(chromedp.CSS(`#password`), browserPassword),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		chromedp.WaitVisible(incidentLink),
	)
	if loc, err := chromedp.Run(bctx, chromedp.Location()); err != nil || loc != base+"/incidents" {
		t.Fatalf("after sign-in the browser is at %q (%v), want %s/incidents", loc, err, base)
	}
	screenshot(t, bctx, "incident-list.png")
	htmxOK, err := chromedp.Run(bctx, chromedp.Evaluate[bool](`typeof htmx === 'object' && htmx.config.includeIndicatorStyles === false`))
	if err != nil || !htmxOK {
		t.Fatalf("htmx did not load with its config (%v)", err)
	}

	// Live refresh: a second alert shows up without a reload.
	var res2 struct {
		IncidentID int64 `json:"incident_id"`
	}
	browserAPI(ctx, t, "POST", base+"/api/v1/events", key.Secret,
		map[string]any{"summary": "Checkout error rate above 5%", "severity": "error", "dedup_key": "checkout-errors"}, &res2)
	step("live refresh",
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#incident-rows a[href="/incidents/%d"]`, res2.IncidentID))),
	)

	step("open the incident",
		chromedp.Click(incidentLink),
		chromedp.WaitVisible(chromedp.CSS(`button#acknowledge`)),
	)
	status, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(`#incident-status`)))
	if err != nil || status != vigil.IncidentTriggered {
		t.Fatalf("status before acknowledging = %q (%v)", status, err)
	}

	step("acknowledge",
		chromedp.Click(chromedp.CSS(`button#acknowledge`)),
		chromedp.WaitVisible(chromedp.CSS(`#timeline li.kind-acknowledged`)),
	)
	status, err = chromedp.Run(bctx, chromedp.Text(chromedp.CSS(`#incident-status`)))
	if err != nil || status != vigil.IncidentAcknowledged {
		t.Errorf("status after acknowledging = %q (%v), want acknowledged", status, err)
	}
	flash, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(`.flash`)))
	if err != nil || !strings.Contains(flash, "acknowledged") {
		t.Errorf("flash message = %q (%v)", flash, err)
	}
	entry, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(`#timeline li.kind-acknowledged`)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(entry, "acknowledged") || !strings.Contains(entry, "admin") {
		t.Errorf("timeline entry = %q, want kind acknowledged by admin", entry)
	}
	source, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(`#timeline li.kind-acknowledged .source`)))
	if err != nil || source != vigil.SourceWeb {
		t.Errorf("timeline entry source = %q (%v), want web", source, err)
	}
	if n, err := chromedp.Run(bctx, chromedp.Nodes(chromedp.CSS(`button#acknowledge`), chromedp.AtLeast(0))); err != nil || len(n) != 0 {
		t.Errorf("the Acknowledge button is still shown (%d, %v)", len(n), err)
	}
	screenshot(t, bctx, "incident-acknowledged.png")
}

// screenshot saves the page as a PNG in $VIGIL_SCREENSHOT_DIR, when set, so
// a person can look at what the test saw.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("VIGIL_SCREENSHOT_DIR")
	if dir == "" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // quality 100 means PNG
	if err != nil {
		t.Errorf("screenshot %s: %v", name, err)
		return
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Errorf("screenshot %s: %v", name, err)
	}
}

// noCSPViolations fails the test when a page broke its CSP (an inline
// style htmx injected, say): such a page works in the test only by luck.
func noCSPViolations(t *testing.T, ctx context.Context, what string) {
	t.Helper()
	r, err := chromedp.Run(ctx, chromedp.Evaluate[cspReport](`(() => {
		const v = JSON.parse(sessionStorage.getItem('cspViolations') || '[]');
		sessionStorage.removeItem('cspViolations');
		return {watching: window.__cspWatch === true, violations: v};
	})()`))
	if err != nil {
		t.Fatalf("%s: reading CSP violations: %v", what, err)
	}
	if !r.Watching {
		t.Fatalf("%s: the CSP watch script did not run", what)
	}
	if len(r.Violations) > 0 {
		t.Errorf("%s: Content-Security-Policy violations: %q", what, r.Violations)
	}
}

// cspReport is what noCSPViolations reads from the page.
type cspReport struct {
	Watching   bool     `json:"watching"`
	Violations []string `json:"violations"`
}

// pageText is the current page's text, for failure messages.
func pageText(ctx context.Context) string {
	c, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	loc, _ := chromedp.Run(c, chromedp.Location())
	txt, err := chromedp.Run(c, chromedp.Evaluate[string](`document.body ? document.body.innerText : ''`))
	if err != nil {
		return loc + ": " + err.Error()
	}
	return loc + "\n" + txt
}

// browserAPI calls the JSON API and decodes its answer into out.
func browserAPI(ctx context.Context, t *testing.T, method, url, bearer string, body, out any) {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+bearer)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	rb, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		t.Fatalf("%s %s: %d %s", method, url, resp.StatusCode, rb)
	}
	if err := json.Unmarshal(rb, out); err != nil {
		t.Fatalf("%s %s: decoding %s: %v", method, url, rb, err)
	}
}

// testLogWriter sends the app's warnings and errors to the test log.
type testLogWriter struct{ t *testing.T }

func (w testLogWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// requireBrowser skips the test when Chromium is missing, unless
// VIGIL_REQUIRE_BROWSER says CI must run it.
func requireBrowser(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(browserExecPath); err != nil {
		if os.Getenv("VIGIL_REQUIRE_BROWSER") != "" {
			t.Fatalf("VIGIL_REQUIRE_BROWSER is set but %s is missing", browserExecPath)
		}
		t.Skipf("skipping the browser test: %s is missing (apt-get install chromium)", browserExecPath)
	}
}

// startBrowserApp starts the real app for a browser test on a fresh
// database with clock and returns its URL and admin token. Contact methods
// may reach loopback, where the tests' vendor fakes listen.
// readText is the text of the first element sel matches; the test stops,
// showing the page, when there is none.
func readText(t *testing.T, bctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("reading %s: %v\npage:\n%s", sel, err, pageText(bctx))
	}
	return s
}

// signIn is the password sign-in of the first admin (browserLogin,
// browserPassword), ending on the incident list.
func signIn(base string) []chromedp.Action[chromedp.Void] {
	return []chromedp.Action[chromedp.Void]{
		chromedp.Navigate(base + "/login"),
		chromedp.WaitVisible(chromedp.CSS(`#login`)),
		chromedp.SendKeys(chromedp.CSS(`#login`), browserLogin),
		chromedp.SendKeys(chromedp.CSS(`#password`), browserPassword),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#incident-rows`)),
	}
}

func startBrowserApp(ctx context.Context, t *testing.T, clock vigil.Clock) (base, token string) {
	t.Helper()
	a, token := startBrowserAppWithoutUsers(ctx, t, clock)
	// The person the browser signs in as (browserLogin, browserPassword).
	accounts := &auth.Authenticator{Tokens: a.Store(), Accounts: a.Store(), Passwords: auth.PasswordParams{Memory: 64, Time: 1, Threads: 1}}
	if err := accounts.CreateFirstAdmin(ctx, &vigil.User{Name: "admin", Email: browserLogin}, browserPassword); err != nil {
		t.Fatalf("CreateFirstAdmin: %v", err)
	}
	return a.URL(), token
}

// startBrowserAppWithoutUsers is startBrowserApp before first-run setup.
func startBrowserAppWithoutUsers(ctx context.Context, t *testing.T, clock vigil.Clock) (*app.App, string) {
	t.Helper()
	return startBrowserAppWith(ctx, t, clock, nil)
}

// startBrowserAppWith is startBrowserAppWithoutUsers with mod changing the
// configuration first (nil: none).
func startBrowserAppWith(ctx context.Context, t *testing.T, clock vigil.Clock, mod func(*app.Config)) (*app.App, string) {
	t.Helper()
	token := vigil.NewSecret(vigil.TokenPrefix)
	cfg := app.Config{
		Addr:       "127.0.0.1:0",
		DataDir:    t.TempDir(),
		AdminToken: token,
		Clock:      clock,
		Logger:     slog.New(slog.NewTextHandler(testLogWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn})),
		Channels:   app.Channels{OutboundAllow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}},
	}
	if mod != nil {
		mod(&cfg)
	}
	a, err := app.New(ctx, cfg)
	if err != nil {
		t.Fatalf("app.New: %v", err)
	}
	if err := a.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer scancel()
		if err := a.Shutdown(sctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	return a, token
}

// The web UI account of startBrowserApp.
const (
	browserLogin    = "admin@example.com"
	browserPassword = "the browser's long password"
)

// startBrowser starts headless Chromium with the CSP watch and returns its
// context and a step runner that fails the test on an error or a CSP
// violation.
func startBrowser(ctx context.Context, t *testing.T) (context.Context, func(string, ...chromedp.Action[chromedp.Void])) {
	t.Helper()
	allocCtx, allocCancel := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(browserExecPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	t.Cleanup(allocCancel)
	bctx, bcancel := chromedp.NewContext(allocCtx, chromedp.WithLogf(t.Logf))
	t.Cleanup(bcancel)
	if _, err := chromedp.Call(bctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: cspWatch}); err != nil {
		t.Fatalf("starting the browser: %v", err)
	}
	step := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, scancel := context.WithTimeout(bctx, 15*time.Second)
		defer scancel()
		if err := chromedp.Do(sctx, actions...); err != nil {
			t.Fatalf("%s: %v\npage:\n%s", what, err, pageText(bctx))
		}
		noCSPViolations(t, bctx, what)
	}
	return bctx, step
}
