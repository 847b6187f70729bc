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

// TestBrowserNoiseFeedbackAndReport: a responder marks an incident noise
// with one click, then opens the noise report from the navigation and
// sees the verdict counted and drawn, all under the page's CSP.
func TestBrowserNoiseFeedbackAndReport(t *testing.T) {
	requireBrowser(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	base, token := startBrowserApp(ctx, t, vigil.SystemClock{})

	var svc struct{ ID int64 }
	browserAPI(ctx, t, "POST", base+"/api/v1/services", token,
		map[string]any{"name": "search", "grouping": map[string]any{"mode": "none"}}, &svc)
	var key struct{ Secret string }
	browserAPI(ctx, t, "POST", fmt.Sprintf("%s/api/v1/services/%d/integration-keys", base, svc.ID), token,
		map[string]any{"name": "grafana"}, &key)
	var first struct {
		IncidentID int64 `json:"incident_id"`
	}
	for i := range 3 {
		browserAPI(ctx, t, "POST", base+"/api/v1/events", key.Secret, map[string]any{"summary": "Index lag", "severity": "warning",
			"dedup_key": fmt.Sprint("lag-", i), "labels": map[string]string{"alertname": "IndexLag"}}, &first)
	}

	bctx, step := startBrowser(ctx, t)
	step("sign in", signIn(base)...)
	step("open the incident",
		chromedp.Navigate(fmt.Sprintf("%s/incidents/%d", base, first.IncidentID)),
		chromedp.WaitVisible(chromedp.CSS(`#feedback-noise`)),
	)
	step("this was noise",
		chromedp.Click(chromedp.CSS(`#feedback-noise`)),
		chromedp.WaitVisible(chromedp.CSS(`#feedback-clear`)),
	)
	by, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(`#feedback-by`)))
	if err != nil || !strings.Contains(by, "marked noise by admin") {
		t.Errorf("verdict line = %q (%v)", by, err)
	}
	screenshot(t, bctx, "incident-noise.png")

	step("open the noise report",
		chromedp.Click(chromedp.CSS(`nav a[href="/reports/noise"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#noise-services table`)),
	)
	row, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(`#noise-services tbody tr`)))
	if err != nil || !strings.Contains(strings.Join(strings.Fields(row), " "), "search 3 3 0 0 0 0 1 0") {
		t.Errorf("service row = %q (%v)", row, err)
	}
	// The bars are drawn: the noise part is a third of the incident bar.
	widths, err := chromedp.Run(bctx, chromedp.Evaluate[[]float64](`[...document.querySelectorAll('#noise-services svg.bars rect')]
		.slice(0, 2).map(r => Math.round(r.getBoundingClientRect().width))`))
	if err != nil || len(widths) != 2 || widths[0] <= 0 || widths[1] < 1.5*widths[0] {
		t.Errorf("bar widths = %v (%v), want a noise part and an unmarked part twice as long", widths, err)
	}
	screenshot(t, bctx, "noise-report.png")
}
