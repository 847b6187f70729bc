package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/vigil-oss/vigil/internal/notify/webhook/webhooktest"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// TestBrowserSilenceFromIncident is issue 5's "done when": an alert opens
// an incident and pages (a webhook to a local fake); from the incident's
// page "Silence alerts like this" opens the new-silence form pre-filled
// with the alert's labels; the person drops the host label, keeps 2h and
// saves. The next matching alert, sent through the real ingest API, is
// recorded as held by that silence and pages no one, while an alert the
// silence does not match still pages; the silence's page and the list
// show the held alert.
func TestBrowserSilenceFromIncident(t *testing.T) {
	requireBrowser(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	// The real clock and the background engine: pages go out as in
	// production. The app may reach the fake receiver on loopback.
	base, token := startBrowserApp(ctx, t, vigil.SystemClock{})
	hook := webhooktest.New(t, "")

	// Ana is paged at once by webhook for every incident of service db.
	var ana, pol, svc struct{ ID int64 }
	browserAPI(ctx, t, "POST", base+"/api/v1/users", token, map[string]any{"name": "Ana Alvarez", "email": "ana@example.com"}, &ana)
	browserAPI(ctx, t, "POST", fmt.Sprintf("%s/api/v1/users/%d/contact-methods", base, ana.ID), token,
		map[string]any{"type": "webhook", "address": hook.URL + "/ana"}, &struct{ ID int64 }{})
	browserAPI(ctx, t, "POST", base+"/api/v1/escalation-policies", token, map[string]any{
		"name": "db on call", "steps": []any{map[string]any{"delay": "0s", "targets": []any{map[string]any{"type": "user", "id": ana.ID}}}},
	}, &pol)
	browserAPI(ctx, t, "POST", base+"/api/v1/services", token,
		map[string]any{"name": "db", "grouping": map[string]any{"mode": "none"}, "escalation_policy_id": pol.ID}, &svc)
	var key struct{ Secret string }
	browserAPI(ctx, t, "POST", fmt.Sprintf("%s/api/v1/services/%d/integration-keys", base, svc.ID), token,
		map[string]any{"name": "prometheus"}, &key)

	type result struct {
		AlertID    int64 `json:"alert_id"`
		IncidentID int64 `json:"incident_id"`
		SilencedBy int64 `json:"silenced_by"`
	}
	send := func(dedup string, labels map[string]string) result {
		t.Helper()
		var r result
		browserAPI(ctx, t, "POST", base+"/api/v1/events", key.Secret, map[string]any{
			"summary": "Disk almost full", "severity": "critical", "dedup_key": dedup, "source": "prometheus", "labels": labels,
		}, &r)
		return r
	}

	first := send("disk-db-1", map[string]string{"env": "prod", "host": "db-1"})
	if first.IncidentID == 0 {
		t.Fatalf("the first alert opened no incident: %+v", first)
	}
	reqs, err := hook.WaitFor(1, 20*time.Second)
	if err != nil {
		t.Fatalf("the first incident paged no one: %v", err)
	}
	if reqs[0].Payload.IncidentID != first.IncidentID {
		t.Fatalf("page for incident %d, want %d", reqs[0].Payload.IncidentID, first.IncidentID)
	}

	bctx, step := startBrowser(ctx, t)
	textOf := func(sel string) string { t.Helper(); return readText(t, bctx, sel) }
	step("sign in", signIn(base)...)
	step("open the incident",
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`#incident-rows a[href="/incidents/%d"]`, first.IncidentID))),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#silence-alert-%d`, first.AlertID))),
	)
	step("silence alerts like this",
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`#silence-alert-%d`, first.AlertID))),
		chromedp.WaitVisible(chromedp.CSS(`#silence-form`)),
	)
	prefilled, err := chromedp.Run(bctx, chromedp.Evaluate[string](
		`[document.querySelector('#silence-matchers').value, document.querySelector('#silence-duration').value,
		  document.querySelector('#silence-service').value, document.querySelector('#silence-comment').value].join('|')`))
	want := fmt.Sprintf("alertname=\"Disk almost full\"\nenv=\"prod\"\nhost=\"db-1\"\nseverity=\"critical\"|2h|%d|Silenced from incident #%d", svc.ID, first.IncidentID)
	if err != nil || prefilled != want {
		t.Fatalf("the form holds %q (%v), want %q", prefilled, err, want)
	}
	screenshot(t, bctx, "silence-form.png")

	// Any host of db: drop the host line; 2 hours.
	step("save the silence",
		chromedp.SetValue(chromedp.CSS(`#silence-matchers`), "alertname=\"Disk almost full\"\nenv=\"prod\"\nseverity=\"critical\""),
		chromedp.SetValue(chromedp.CSS(`#silence-duration`), "2h"),
		chromedp.Click(chromedp.CSS(`#silence-submit`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash-ok`)),
		chromedp.WaitVisible(chromedp.CSS(`#silence-facts`)),
	)
	loc, err := chromedp.Run(bctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	var silenceID int64
	if _, err := fmt.Sscanf(strings.TrimPrefix(loc, base), "/silences/%d", &silenceID); err != nil {
		t.Fatalf("after saving the browser is at %q", loc)
	}
	if flash := textOf(`.flash`); !strings.Contains(flash, fmt.Sprintf("Silence #%d created", silenceID)) || (!strings.Contains(flash, "(in 2h)") && !strings.Contains(flash, "(in 1h 59m)")) {
		t.Errorf("flash = %q", flash)
	}
	var stored vigil.Silence
	browserAPI(ctx, t, "GET", fmt.Sprintf("%s/api/v1/silences/%d", base, silenceID), token, nil, &stored)
	d := stored.EndsAt.Sub(stored.StartsAt)
	if stored.CreatedBy != "admin" || stored.ServiceID == nil || *stored.ServiceID != svc.ID || len(stored.Matchers) != 3 ||
		d < 2*time.Hour-time.Minute || d > 2*time.Hour+time.Minute {
		t.Errorf("stored silence = %+v", stored)
	}

	// The next matching alert (another host) is held and pages no one.
	held := send("disk-db-2", map[string]string{"env": "prod", "host": "db-2"})
	if held.SilencedBy != silenceID || held.IncidentID != 0 {
		t.Fatalf("the next matching alert: %+v, want held by silence %d and no incident", held, silenceID)
	}
	var alert vigil.Alert
	browserAPI(ctx, t, "GET", fmt.Sprintf("%s/api/v1/alerts/%d", base, held.AlertID), token, nil, &alert)
	if alert.SilencedBy == nil || *alert.SilencedBy != silenceID || alert.IncidentID != 0 || alert.Status != vigil.AlertFiring {
		t.Errorf("the held alert as stored: %+v", alert)
	}
	// An alert the silence does not match still pages: once its page has
	// arrived, the engine has had its chance to page the held one too.
	control := send("disk-staging-1", map[string]string{"env": "staging", "host": "stg-1"})
	if control.IncidentID == 0 || control.SilencedBy != 0 {
		t.Fatalf("the staging alert: %+v, want an incident", control)
	}
	if _, err := hook.WaitFor(2, 20*time.Second); err != nil {
		t.Fatalf("the staging incident paged no one: %v", err)
	}
	time.Sleep(2 * time.Second) // a couple more engine cycles
	reqs = hook.Requests()
	var paged []int64
	for _, r := range reqs {
		paged = append(paged, r.Payload.IncidentID)
	}
	if len(reqs) != 2 || paged[0] != first.IncidentID || paged[1] != control.IncidentID {
		t.Errorf("the receiver got pages for incidents %v, want only %d and %d", paged, first.IncidentID, control.IncidentID)
	}

	step("see the held alert on the silence's page",
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#held-alert-%d`, held.AlertID))),
	)
	row := textOf(fmt.Sprintf(`#held-alert-%d`, held.AlertID))
	for _, w := range []string{"Disk almost full", fmt.Sprintf("silenced by #%d", silenceID), "host=db-2", "db"} {
		if !strings.Contains(row, w) {
			t.Errorf("held alert row %q lacks %q", row, w)
		}
	}
	if total := textOf(`#held-total`); total != "(1)" {
		t.Errorf("held total = %q, want (1)", total)
	}
	screenshot(t, bctx, "silence-held.png")

	step("see it in the list",
		chromedp.Click(chromedp.CSS(`nav a[href="/silences"]`)),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#silence-%d`, silenceID))),
	)
	if n := textOf(fmt.Sprintf(`#silence-%d .held-count`, silenceID)); n != "1" {
		t.Errorf("the list says the silence holds %q alerts, want 1", n)
	}
	if row := textOf(fmt.Sprintf(`#held-alerts #held-alert-%d`, held.AlertID)); !strings.Contains(row, fmt.Sprintf("silenced by #%d", silenceID)) {
		t.Errorf("list's held alert row = %q", row)
	}
	screenshot(t, bctx, "silence-list.png")
}
