package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// The payloads set window.__xss if they ever run. Each would also break
// the CSP (inline script, inline handler), which step reports.
const (
	xssScript = `<script>window.__xss='script'</script>`
	xssImg    = `<img src=x onerror="window.__xss='img'">`
)

// xssReport is what a page says about the payloads it shows.
type xssReport struct {
	Ran         string `json:"ran"`      // window.__xss, "" if no payload ran
	Handlers    int    `json:"handlers"` // elements with an inline onerror
	Scripts     int    `json:"scripts"`  // script elements holding a payload
	JSLinks     int    `json:"js_links"` // links to javascript: URLs
	ShownAsText bool   `json:"shown"`    // the payload is visible as text
}

// TestBrowserAlertTextIsInert (catalog H4): alert text, labels, link
// text, a note and a status update carrying <script> and <img onerror>
// are shown as text on the incident list, the incident page (alerts,
// timeline, status updates) and a service's incident list; none runs, and a
// javascript: link is refused at the door.
func TestBrowserAlertTextIsInert(t *testing.T) {
	requireBrowser(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	base, token := startBrowserApp(ctx, t, vigil.SystemClock{})

	var svc struct{ ID int64 }
	browserAPI(ctx, t, "POST", base+"/api/v1/services", token, map[string]any{"name": "checkout"}, &svc)
	var key struct{ Secret string }
	browserAPI(ctx, t, "POST", fmt.Sprintf("%s/api/v1/services/%d/integration-keys", base, svc.ID), token,
		map[string]any{"name": "xss"}, &key)

	// A javascript: link never gets in.
	b, _ := json.Marshal(map[string]any{"summary": "x", "severity": "error", "dedup_key": "js",
		"links": []map[string]string{{"href": "javascript:window.__xss='href'", "text": "runbook"}}})
	req, _ := http.NewRequestWithContext(ctx, "POST", base+"/api/v1/events", bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+key.Secret)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("an event with a javascript: link: %d, want 400", resp.StatusCode)
	}

	var res struct {
		IncidentID int64 `json:"incident_id"`
	}
	browserAPI(ctx, t, "POST", base+"/api/v1/events", key.Secret, map[string]any{
		"summary": "disk " + xssScript + xssImg, "severity": "critical", "dedup_key": "xss",
		"labels": map[string]string{"host": xssImg, "team": xssScript},
		"links":  []map[string]string{{"href": "https://runbooks.example.com/disk?a=\"><script>window.__xss='href'</script>", "text": xssImg}},
	}, &res)
	var entry map[string]any
	browserAPI(ctx, t, "POST", fmt.Sprintf("%s/api/v1/incidents/%d/notes", base, res.IncidentID), token,
		map[string]any{"body": "note " + xssScript + xssImg}, &entry)
	var group map[string]any
	browserAPI(ctx, t, "POST", base+"/api/v1/stakeholder-groups", token, map[string]any{"name": "support " + xssImg,
		"channels": []map[string]string{{"type": "email", "address": "support@example.com"}}}, &group)
	var update map[string]any
	browserAPI(ctx, t, "POST", fmt.Sprintf("%s/api/v1/incidents/%d/status-updates", base, res.IncidentID), token,
		map[string]any{"message": "update " + xssScript + xssImg, "groups": []string{"support " + xssImg}}, &update)

	bctx, step := startBrowser(ctx, t)
	step("sign in", signIn(base)...)
	for _, p := range []struct{ path, shows string }{
		{"/incidents", "disk <script>"},
		{fmt.Sprintf("/incidents/%d", res.IncidentID), "note <script>"},
		{fmt.Sprintf("/incidents/%d", res.IncidentID), "update <script>"},
		{fmt.Sprintf("/incidents?service=%d&status=open", svc.ID), "disk <script>"},
		{"/groups", "support <img"},
	} {
		step("open "+p.path, chromedp.Navigate(base+p.path), chromedp.WaitReady(chromedp.CSS(`footer`)))
		r, err := chromedp.Run(bctx, chromedp.Evaluate[xssReport](fmt.Sprintf(`(() => ({
			ran: window.__xss === undefined ? '' : String(window.__xss),
			handlers: document.querySelectorAll('[onerror]').length,
			scripts: [...document.scripts].filter(s => s.textContent.includes('__xss')).length,
			js_links: document.querySelectorAll('a[href^="javascript:" i]').length,
			shown: document.body.innerText.includes(%q),
		}))()`, p.shows)))
		if err != nil {
			t.Fatalf("%s: %v", p.path, err)
		}
		if r.Ran != "" || r.Handlers != 0 || r.Scripts != 0 || r.JSLinks != 0 {
			t.Errorf("%s: a payload became markup: %+v", p.path, r)
		}
		if !r.ShownAsText {
			t.Errorf("%s: the payload %q is not shown as text:\n%s", p.path, p.shows, pageText(bctx))
		}
	}
}
