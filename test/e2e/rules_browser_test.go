package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// browserRules is the rule set the browser test types into /rules: the
// payments rule raises 5xx alerts to SEV1, the dev rule suppresses.
const browserRules = `time_zone: UTC
rules:
- name: payments-5xx
  when: service == "payments" && labels.code startsWith "5"
  set:
    sev: SEV1
    priority: P1
- name: dev-is-quiet
  when: labels.env == "dev"
  set:
    suppress: true
`

// TestBrowserRulesAndRouteTest: from the menu a person edits the
// classification rules, back-tests the change against the alerts stored
// so far (the dev alert would no longer page), saves it, then runs a
// route test of a payload on the integration key and sees the rule fire
// and the alert replayed from an incident's "Test routing" link.
func TestBrowserRulesAndRouteTest(t *testing.T) {
	requireBrowser(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	base, token := startBrowserApp(ctx, t, vigil.SystemClock{})

	var svc struct{ ID int64 }
	browserAPI(ctx, t, "POST", base+"/api/v1/services", token, map[string]any{"name": "payments", "grouping": map[string]any{"mode": "none"}}, &svc)
	var key struct {
		ID     int64
		Secret string
	}
	browserAPI(ctx, t, "POST", fmt.Sprintf("%s/api/v1/services/%d/integration-keys", base, svc.ID), token, map[string]any{"name": "prometheus"}, &key)
	var dev struct {
		AlertID    int64 `json:"alert_id"`
		IncidentID int64 `json:"incident_id"`
	}
	browserAPI(ctx, t, "POST", base+"/api/v1/events", key.Secret,
		map[string]any{"summary": "dev box down", "dedup_key": "dev1", "labels": map[string]string{"env": "dev"}}, &dev)
	if dev.IncidentID == 0 {
		t.Fatalf("the dev alert opened no incident before the rules: %+v", dev)
	}

	bctx, step := startBrowser(ctx, t)
	textOf := func(sel string) string { t.Helper(); return readText(t, bctx, sel) }
	step("sign in", signIn(base)...)
	step("open Rules",
		chromedp.Click(chromedp.CSS(`nav a[href="/rules"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#rules-doc`)),
	)
	step("back-test the edited rules",
		chromedp.SetValue(chromedp.CSS(`#rules-doc`), browserRules),
		chromedp.Click(chromedp.CSS(`#rules-backtest`)),
		chromedp.WaitVisible(chromedp.CSS(`#backtest-summary`)),
	)
	if s := textOf(`#backtest-summary`); !strings.Contains(s, "1 alert first seen") || !strings.Contains(s, "pages removed 1") {
		t.Errorf("back-test summary = %q", s)
	}
	if row := textOf(fmt.Sprintf(`#backtest-alert-%d`, dev.AlertID)); !strings.Contains(row, "page removed") || !strings.Contains(row, "suppressed") {
		t.Errorf("back-test row = %q", row)
	}
	screenshot(t, bctx, "rules-backtest.png")
	noCSPViolations(t, bctx, "back-test")
	step("save",
		chromedp.Click(chromedp.CSS(`#rules-save`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash-ok`)),
	)
	if flash := textOf(`.flash`); !strings.Contains(flash, "Saved 2 classification rules (version 1).") {
		t.Errorf("flash = %q", flash)
	}
	var set vigil.ClassificationRuleSet
	browserAPI(ctx, t, "GET", base+"/api/v1/classification-rules", token, nil, &set)
	if set.Version != 1 || len(set.Rules) != 2 || set.Rules[0].Name != "payments-5xx" {
		t.Fatalf("stored rules: %+v", set)
	}

	step("open the route test",
		chromedp.Click(chromedp.CSS(`.page-head a[href="/route-test"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#rt-payload`)),
	)
	step("route a payload on the key",
		chromedp.SetValue(chromedp.CSS(`#rt-payload`), `{"dedup_key":"p500","summary":"checkout 5xx","severity":"critical","labels":{"code":"503"}}`),
		chromedp.SetValue(chromedp.CSS(`#rt-key`), fmt.Sprint(key.ID)),
		chromedp.Click(chromedp.CSS(`#rt-run`)),
		chromedp.WaitVisible(chromedp.CSS(`#route-run-0`)),
	)
	if run := textOf(`#route-run-0`); !strings.Contains(run, "sev SEV1 set by rule 'payments-5xx'") || !strings.Contains(run, "Opens a new incident") {
		t.Errorf("route test = %q", run)
	}
	screenshot(t, bctx, "route-test.png")
	noCSPViolations(t, bctx, "route test")

	step("replay the dev alert from its incident",
		chromedp.Navigate(fmt.Sprintf("%s/incidents/%d", base, dev.IncidentID)),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#route-test-alert-%d`, dev.AlertID))),
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`#route-test-alert-%d`, dev.AlertID))),
		chromedp.WaitVisible(chromedp.CSS(`#rt-alert`)),
		chromedp.Click(chromedp.CSS(`#rt-run`)),
		chromedp.WaitVisible(chromedp.CSS(`#route-run-0`)),
	)
	// Still firing, the replay repeats it: dedup, no new page.
	if run := textOf(`#route-run-0`); !strings.Contains(run, "suppress true set by rule 'dev-is-quiet'") || !strings.Contains(run, "no new page") {
		t.Errorf("replayed dev alert = %q", run)
	}
	var list struct{ Total int }
	browserAPI(ctx, t, "GET", base+"/api/v1/incidents", token, nil, &list)
	if list.Total != 1 {
		t.Errorf("%d incidents after the route tests, want the dev alert's only", list.Total)
	}
}
