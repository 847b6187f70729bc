package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/vigil-oss/vigil/internal/app"
	"github.com/vigil-oss/vigil/internal/oidc"
	"github.com/vigil-oss/vigil/internal/oidc/oidctest"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// TestBrowserSSO: Chromium clicks the single sign-on button, passes
// through the test provider (on another site: localhost against Vigil's
// 127.0.0.1) and lands signed in on the incident list, with the role its
// groups give. The SameSite=Strict session cookie must survive the trip
// back from the provider's site.
func TestBrowserSSO(t *testing.T) {
	requireBrowser(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	idp := oidctest.New(t)
	idp.UseHost("localhost")
	idp.SetConsent(true)
	idp.SetPerson(oidctest.Person{Subject: "kc-42", Email: "sso@example.com", EmailVerified: true, Name: "Sam Single",
		Groups: []string{"vigil-admins"}})
	a, _ := startBrowserAppWith(ctx, t, vigil.SystemClock{}, func(c *app.Config) {
		c.OIDC = oidc.Config{Issuer: idp.URL, ClientID: idp.ClientID, ClientSecret: idp.ClientSecret,
			Roles: []oidc.RoleRule{{Group: "vigil-admins", Role: vigil.RoleAdmin}}, DefaultRole: oidc.RoleNone,
			CreateUsers: true, ButtonLabel: "Sign in with Keycloak"}
	})
	base := a.URL()
	bctx, step := startBrowser(ctx, t)

	step("sign-in page",
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`a#sso`)),
	)
	if label, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(`a#sso`))); err != nil || label != "Sign in with Keycloak" {
		t.Errorf("button label %q (%v)", label, err)
	}
	step("to the provider",
		chromedp.Click(chromedp.CSS(`a#sso`)),
		chromedp.WaitVisible(chromedp.CSS(`#approve`)),
	)
	step("back, signed in",
		chromedp.Click(chromedp.CSS(`#approve`)),
		chromedp.WaitVisible(chromedp.CSS(`#incident-rows`)),
	)
	step("signed in as the provider's person",
		chromedp.Navigate(base+"/account"),
		chromedp.WaitVisible(chromedp.CSS(`h1`)),
	)
	if txt := pageText(bctx); !strings.Contains(txt, "Sam Single") {
		t.Errorf("account page does not show the SSO person:\n%s", txt)
	}
	users, err := a.Store().ListUsers(ctx)
	if err != nil || len(users) != 1 || users[0].Role != vigil.RoleAdmin {
		t.Errorf("users = %+v, %v; want Sam as admin", users, err)
	}
}
