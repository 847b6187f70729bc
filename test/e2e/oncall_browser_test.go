package e2e

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/vigil-oss/vigil/internal/app"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// TestBrowserScheduleOverride drives the schedule page in headless
// Chromium: a two-person Berlin rotation made through the API shows its
// first member on call; the override form, filled in Berlin time, puts the
// second one on call for the next hours, and the page says so after the
// redirect. The server runs on a fixed clock so "now" is known.
func TestBrowserScheduleOverride(t *testing.T) {
	if _, err := os.Stat(browserExecPath); err != nil {
		if os.Getenv("VIGIL_REQUIRE_BROWSER") != "" {
			t.Fatalf("VIGIL_REQUIRE_BROWSER is set but %s is missing", browserExecPath)
		}
		t.Skipf("skipping the browser test: %s is missing (apt-get install chromium)", browserExecPath)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	// Monday 4 May 2026, 10:00 in Berlin (CEST, UTC+2).
	now := time.Date(2026, 5, 4, 8, 0, 0, 0, time.UTC)
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	base, token := startOnCallApp(ctx, t, vigil.NewManualClock(now))

	// Seed through the API: two people and a weekly rotation handing over
	// on Mondays at 09:00 Berlin time, Ana first (her turn began an hour ago).
	var ana, ben struct {
		ID   int64
		Name string
	}
	browserAPI(ctx, t, "POST", base+"/api/v1/users", token, map[string]any{"name": "Ana Alvarez", "email": "ana@example.com"}, &ana)
	browserAPI(ctx, t, "POST", base+"/api/v1/users", token, map[string]any{"name": "Ben Brandt", "email": "ben@example.com"}, &ben)
	var sched struct{ ID int64 }
	browserAPI(ctx, t, "POST", base+"/api/v1/schedules", token, map[string]any{
		"name": "Primary", "time_zone": "Europe/Berlin",
		"layers": []map[string]any{{
			"name": "weekly", "start": time.Date(2026, 5, 4, 9, 0, 0, 0, berlin).Format(time.RFC3339),
			"turn_unit": "week", "turn_count": 1, "members": []int64{ana.ID, ben.ID},
		}},
	}, &sched)
	schedulePage := fmt.Sprintf("%s/schedules/%d", base, sched.ID)

	bctx, step := startOnCallBrowser(ctx, t)
	textOf := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("reading %s: %v\npage:\n%s", sel, err, pageText(bctx))
		}
		return s
	}

	step("sign in",
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`#token`)),
		chromedp.SendKeys(chromedp.CSS(`#token`), token),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#incident-rows`)),
	)
	step("open the schedules",
		chromedp.Click(chromedp.CSS(`nav a[href="/schedules"]`)),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#schedule-%d a[href="/schedules/%d"]`, sched.ID, sched.ID))),
	)
	if row := textOf(fmt.Sprintf(`#schedule-%d .on-call`, sched.ID)); !strings.Contains(row, "Ana Alvarez") {
		t.Errorf("schedule list: on call now = %q, want Ana Alvarez", row)
	}
	step("open the schedule",
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`#schedule-%d a[href="/schedules/%d"]`, sched.ID, sched.ID))),
		chromedp.WaitVisible(chromedp.CSS(`#on-call-now`)),
	)
	if loc, err := chromedp.Run(bctx, chromedp.Location()); err != nil || loc != schedulePage {
		t.Fatalf("the browser is at %q (%v), want %s", loc, err, schedulePage)
	}
	if who := textOf(`#on-call-now`); !strings.Contains(who, "Ana Alvarez") || strings.Contains(who, "override") {
		t.Fatalf("on call now = %q, want Ana Alvarez by rotation", who)
	}
	// The timeline is drawn: 15 day bars, no inline style needed.
	bars, err := chromedp.Run(bctx, chromedp.Evaluate[int](`document.querySelectorAll('#timeline svg rect.seg').length`))
	if err != nil || bars < 15 {
		t.Errorf("timeline segments = %d (%v), want one per day at least", bars, err)
	}
	screenshot(t, bctx, "schedule.png")

	// Ben takes over from now (10:00 Berlin) to 15:00 Berlin.
	step("fill and submit the override form",
		chromedp.SetValue(chromedp.CSS(`#override-user`), fmt.Sprint(ben.ID)),
		chromedp.SetValue(chromedp.CSS(`#override-start`), now.In(berlin).Format("2006-01-02T15:04")),
		chromedp.SetValue(chromedp.CSS(`#override-end`), now.In(berlin).Add(5*time.Hour).Format("2006-01-02T15:04")),
		chromedp.Click(chromedp.CSS(`#override-submit`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash-ok`)),
	)
	if loc, err := chromedp.Run(bctx, chromedp.Location()); err != nil || loc != schedulePage {
		t.Errorf("after the override the browser is at %q (%v), want %s", loc, err, schedulePage)
	}
	if flash := textOf(`.flash`); !strings.Contains(flash, "Ben Brandt is on call from Mon 04 May 10:00 CEST to Mon 04 May 15:00 CEST") {
		t.Errorf("flash = %q", flash)
	}
	who := textOf(`#on-call-now`)
	if !strings.Contains(who, "Ben Brandt") || !strings.Contains(who, "override") || !strings.Contains(who, "until Mon 04 May 15:00 CEST") {
		t.Errorf("on call now after the override = %q, want Ben Brandt by override until 15:00 CEST", who)
	}
	if next := textOf(`#on-call-next`); !strings.Contains(next, "Ana Alvarez") || !strings.Contains(next, "Mon 04 May 15:00 CEST") {
		t.Errorf("next = %q, want Ana Alvarez back at 15:00", next)
	}
	if ov := textOf(`#overrides table`); !strings.Contains(ov, "Ben Brandt") || !strings.Contains(ov, "now") {
		t.Errorf("overrides = %q", ov)
	}
	marked, err := chromedp.Run(bctx, chromedp.Evaluate[int](`document.querySelectorAll('#timeline svg rect.seg.ov').length`))
	if err != nil || marked != 1 {
		t.Errorf("override segments on the timeline = %d (%v), want 1", marked, err)
	}
	screenshot(t, bctx, "schedule-override.png")

	// The API agrees with the page.
	var oc struct {
		User     struct{ ID int64 }
		Override bool
	}
	browserAPI(ctx, t, "GET", fmt.Sprintf("%s/api/v1/schedules/%d/on-call", base, sched.ID), token, nil, &oc)
	if oc.User.ID != ben.ID || !oc.Override {
		t.Errorf("API on call = %+v, want Ben by override", oc)
	}
}

// TestBrowserOnCallPolicyAndUser creates an escalation policy with the
// editor (no script of ours needed) and sends a test notification from a
// person's page, checking both pages keep to the CSP.
func TestBrowserOnCallPolicyAndUser(t *testing.T) {
	if _, err := os.Stat(browserExecPath); err != nil {
		if os.Getenv("VIGIL_REQUIRE_BROWSER") != "" {
			t.Fatalf("VIGIL_REQUIRE_BROWSER is set but %s is missing", browserExecPath)
		}
		t.Skipf("skipping the browser test: %s is missing (apt-get install chromium)", browserExecPath)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	base, token := startOnCallApp(ctx, t, vigil.SystemClock{})

	var ana struct{ ID int64 }
	browserAPI(ctx, t, "POST", base+"/api/v1/users", token, map[string]any{"name": "Ana Alvarez", "email": "ana@example.com"}, &ana)
	var hook struct{ ID int64 }
	browserAPI(ctx, t, "POST", fmt.Sprintf("%s/api/v1/users/%d/contact-methods", base, ana.ID), token,
		map[string]any{"name": "pager", "type": "webhook", "address": "https://hooks.example/secret-path"}, &hook)

	bctx, step := startOnCallBrowser(ctx, t)
	step("sign in",
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`#token`)),
		chromedp.SendKeys(chromedp.CSS(`#token`), token),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#incident-rows`)),
	)

	step("open the policies",
		chromedp.Click(chromedp.CSS(`nav a[href="/escalation-policies"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#policy-form`)),
		chromedp.SendKeys(chromedp.CSS(`#policy-name`), "Checkout"),
		chromedp.SetValue(chromedp.CSS(`#step-0-targets`), fmt.Sprintf("user:%d", ana.ID)),
		chromedp.SetValue(chromedp.CSS(`#step-0-delay`), "15"),
		chromedp.Click(chromedp.CSS(`#policy-submit`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash-ok`)),
	)
	if st, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(`#steps`))); err != nil || !strings.Contains(st, "Ana Alvarez") {
		t.Errorf("policy steps = %q (%v)", st, err)
	}
	screenshot(t, bctx, "policy.png")

	step("send a test notification",
		chromedp.Click(chromedp.CSS(`nav a[href="/users"]`)),
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`#user-%d a`, ana.ID))),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#contact-method-%d button.test-notification`, hook.ID))),
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`#contact-method-%d button.test-notification`, hook.ID))),
		chromedp.WaitVisible(chromedp.CSS(`.flash-ok`)),
	)
	flash, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(`.flash`)))
	if err != nil || !strings.Contains(strings.ToLower(flash), "test notification queued") {
		t.Errorf("flash = %q (%v)", flash, err)
	}
	body, err := chromedp.Run(bctx, chromedp.Evaluate[string](`document.documentElement.outerHTML`))
	if err != nil || strings.Contains(body, "secret-path") {
		t.Errorf("the user page shows the webhook's secret path (%v)", err)
	}
	screenshot(t, bctx, "user.png")
}

// startOnCallApp starts the real app on a fresh database with clock and
// returns its URL and admin token.
func startOnCallApp(ctx context.Context, t *testing.T, clock vigil.Clock) (base, token string) {
	t.Helper()
	token = vigil.NewSecret(vigil.TokenPrefix)
	a, err := app.New(ctx, app.Config{
		Addr:       "127.0.0.1:0",
		DataDir:    t.TempDir(),
		AdminToken: token,
		Clock:      clock,
		Logger:     slog.New(slog.NewTextHandler(testLogWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
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
	return a.URL(), token
}

// startOnCallBrowser starts headless Chromium with the CSP watch (as
// TestBrowserAcknowledge does) and returns its context and a step runner
// that fails the test on an error or a CSP violation.
func startOnCallBrowser(ctx context.Context, t *testing.T) (context.Context, func(string, ...chromedp.Action[chromedp.Void])) {
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
