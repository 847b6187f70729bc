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

// TestBrowserMaintenanceAndInhibition: from the menu a person creates a
// maintenance window for service db in the form; an alert sent through the
// real ingest API while it is open is held, and the window's page shows it
// with what holds it; "End now" releases it to an incident. Then an
// inhibition rule made in its form mutes a node alert while its cluster
// alert fires: the rule's page shows the muted alert and the alert that
// mutes it, and that alert's incident says it mutes one.
func TestBrowserMaintenanceAndInhibition(t *testing.T) {
	requireBrowser(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	base, token := startBrowserApp(ctx, t, vigil.SystemClock{})

	var svc struct{ ID int64 }
	browserAPI(ctx, t, "POST", base+"/api/v1/services", token, map[string]any{"name": "db", "grouping": map[string]any{"mode": "none"}}, &svc)
	var key struct{ Secret string }
	browserAPI(ctx, t, "POST", fmt.Sprintf("%s/api/v1/services/%d/integration-keys", base, svc.ID), token, map[string]any{"name": "prometheus"}, &key)
	type result struct {
		AlertID         int64 `json:"alert_id"`
		IncidentID      int64 `json:"incident_id"`
		HeldByWindow    int64 `json:"held_by_window"`
		InhibitedByRule int64 `json:"inhibited_by_rule"`
	}
	send := func(summary, dedup string, labels map[string]string) result {
		t.Helper()
		var r result
		browserAPI(ctx, t, "POST", base+"/api/v1/events", key.Secret, map[string]any{
			"summary": summary, "severity": "critical", "dedup_key": dedup, "labels": labels,
		}, &r)
		return r
	}

	bctx, step := startBrowser(ctx, t)
	textOf := func(sel string) string { t.Helper(); return readText(t, bctx, sel) }
	step("sign in", signIn(base)...)
	step("open Maintenance",
		chromedp.Click(chromedp.CSS(`nav a[href="/maintenance"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#maintenance-form`)),
	)
	// A bad matcher first: the form comes back with the error next to it.
	step("a bad matcher",
		chromedp.SendKeys(chromedp.CSS(`#maintenance-name`), "db upgrade"),
		chromedp.SetValue(chromedp.CSS(`#maintenance-services`), fmt.Sprint(svc.ID)),
		chromedp.SetValue(chromedp.CSS(`#maintenance-matchers`), `env~"prod"`),
		chromedp.Click(chromedp.CSS(`#maintenance-submit`)),
		chromedp.WaitVisible(chromedp.CSS(`#maintenance-form .field-error`)),
	)
	if e := textOf(`#maintenance-form .field-error`); !strings.Contains(e, `Matchers: line 1 (env~"prod"): 3:4`) {
		t.Errorf("matcher error = %q", e)
	}
	screenshot(t, bctx, "maintenance-error.png")
	step("create the window",
		chromedp.SetValue(chromedp.CSS(`#maintenance-matchers`), `env="prod"`),
		chromedp.SetValue(chromedp.CSS(`#maintenance-duration`), "2h"),
		chromedp.Click(chromedp.CSS(`#maintenance-submit`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash-ok`)),
		chromedp.WaitVisible(chromedp.CSS(`#maintenance-facts`)),
	)
	if flash := textOf(`.flash`); !strings.Contains(flash, "Maintenance window db upgrade created: open now") {
		t.Errorf("flash = %q", flash)
	}
	loc, err := chromedp.Run(bctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	var windowID int64
	if _, err := fmt.Sscanf(strings.TrimPrefix(loc, base), "/maintenance/%d", &windowID); err != nil {
		t.Fatalf("after saving the browser is at %q", loc)
	}

	held := send("replica lag", "lag", map[string]string{"env": "prod"})
	if held.HeldByWindow != windowID || held.IncidentID != 0 {
		t.Fatalf("alert during the window: %+v", held)
	}
	step("see the held alert",
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#held-alert-%d`, held.AlertID))),
	)
	if row := textOf(fmt.Sprintf(`#held-alert-%d`, held.AlertID)); !strings.Contains(row, "maintenance: db upgrade") || !strings.Contains(row, "replica lag") {
		t.Errorf("held alert row = %q", row)
	}
	screenshot(t, bctx, "maintenance-show.png")
	step("end it now",
		chromedp.Click(chromedp.CSS(`#end-window`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash-ok`)),
	)
	if flash := textOf(`.flash`); !strings.Contains(flash, "Maintenance window db upgrade ended. The 1 alert it held now page") {
		t.Errorf("flash after ending = %q", flash)
	}
	var alert vigil.Alert
	browserAPI(ctx, t, "GET", fmt.Sprintf("%s/api/v1/alerts/%d", base, held.AlertID), token, nil, &alert)
	if alert.IncidentID == 0 || alert.HeldByWindow != nil {
		t.Errorf("the held alert after ending the window: %+v", alert)
	}
	step("the list",
		chromedp.Click(chromedp.CSS(`nav a[href="/maintenance"]`)),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#maintenance-%d`, windowID))),
	)
	if row := textOf(fmt.Sprintf(`#maintenance-%d`, windowID)); !strings.Contains(row, "ended") {
		t.Errorf("list row = %q", row)
	}
	screenshot(t, bctx, "maintenance-list.png")

	step("create an inhibition rule",
		chromedp.Click(chromedp.CSS(`nav a[href="/inhibit-rules"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#inhibit-form`)),
		chromedp.SendKeys(chromedp.CSS(`#inhibit-name`), "cluster down mutes its nodes"),
		chromedp.SetValue(chromedp.CSS(`#inhibit-source`), `alertname="ClusterDown"`),
		chromedp.SetValue(chromedp.CSS(`#inhibit-target`), `alertname=~"Node.*"`),
		chromedp.SetValue(chromedp.CSS(`#inhibit-equal`), "cluster"),
		chromedp.Click(chromedp.CSS(`#inhibit-submit`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash-ok`)),
		chromedp.WaitVisible(chromedp.CSS(`#inhibit-facts`)),
	)
	src := send("ClusterDown", "cluster-eu", map[string]string{"cluster": "eu"})
	muted := send("NodeDown", "node-1", map[string]string{"cluster": "eu", "node": "1"})
	if src.IncidentID == 0 || muted.InhibitedByRule == 0 || muted.IncidentID != 0 {
		t.Fatalf("source %+v, target %+v", src, muted)
	}
	step("see the muted alert",
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#held-alert-%d`, muted.AlertID))),
	)
	if row := textOf(fmt.Sprintf(`#held-alert-%d`, muted.AlertID)); !strings.Contains(row, "inhibited by cluster down mutes its nodes") ||
		!strings.Contains(row, fmt.Sprintf("while alert #%d fires", src.AlertID)) {
		t.Errorf("muted alert row = %q", row)
	}
	screenshot(t, bctx, "inhibit-show.png")
	step("the source's incident",
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`#held-alert-%d a[href="/incidents/%d"]`, muted.AlertID, src.IncidentID))),
		chromedp.WaitVisible(chromedp.CSS(`a.mutes`)),
	)
	if m := textOf(`a.mutes`); m != "mutes 1 alert: cluster down mutes its nodes" {
		t.Errorf("the incident's alert says %q", m)
	}
	screenshot(t, bctx, "inhibit-incident.png")
}
