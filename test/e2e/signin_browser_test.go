package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/vigil-oss/vigil/internal/auth"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// TestBrowserSetupAndTOTP: the first visit creates the first admin, who
// turns on two-step sign-in, signs out, and signs in again with password
// and code. Every page keeps to the CSP.
func TestBrowserSetupAndTOTP(t *testing.T) {
	requireBrowser(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	a, _ := startBrowserAppWithoutUsers(ctx, t, vigil.SystemClock{})
	base := a.URL()
	bctx, step := startBrowser(ctx, t)
	const pw = "first admin's password"

	step("first-run setup",
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/setup"]`)),
		chromedp.SendKeys(chromedp.CSS(`#name`), "Root"),
		chromedp.SendKeys(chromedp.CSS(`#email`), "root@example.com"),
		chromedp.SendKeys(chromedp.CSS(`#password`), pw),
		chromedp.SendKeys(chromedp.CSS(`#password2`), pw),
		chromedp.Click(chromedp.CSS(`form[action="/setup"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#totp-secret`)),
	)
	secret, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(`#totp-secret`)))
	if err != nil || len(secret) < 16 {
		t.Fatalf("TOTP secret %q (%v)", secret, err)
	}
	code := func(ahead uint64) string {
		c, err := auth.TOTPCode(secret, uint64(time.Now().Unix()/30)+ahead)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	step("turn on TOTP",
		chromedp.SendKeys(chromedp.CSS(`form[action="/account/totp"] #code`), code(0)),
		chromedp.Click(chromedp.CSS(`form[action="/account/totp"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/account/totp/disable"]`)),
	)
	step("sign out",
		chromedp.Click(chromedp.CSS(`form[action="/logout"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#login`)),
	)
	step("password step",
		chromedp.SendKeys(chromedp.CSS(`#login`), "root@example.com"),
		chromedp.SendKeys(chromedp.CSS(`#password`), pw),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/login/code"] #code`)),
	)
	step("code step",
		// One step ahead: the step used to turn TOTP on cannot be used again.
		chromedp.SendKeys(chromedp.CSS(`#code`), code(1)),
		chromedp.Click(chromedp.CSS(`form[action="/login/code"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#incident-rows`)),
	)
	// Setup is closed now.
	step("setup closed",
		chromedp.Navigate(base+"/setup"),
		chromedp.WaitVisible(chromedp.CSS(`h1`)),
	)
	if h, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(`h1`))); err != nil || h != "Not found" {
		t.Errorf("/setup after setup shows %q (%v)", h, err)
	}
}
