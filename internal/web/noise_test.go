package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

func TestIncidentFeedbackButtons(t *testing.T) {
	h := newHarness(t)
	inc := h.trigger(h.service("db"), vigil.Event{Summary: "replication lag"})
	page := fmt.Sprintf("/incidents/%d", inc.ID)

	rec := h.get(page)
	wantStatus(t, rec, http.StatusOK)
	body := rec.Body.String()
	for _, want := range []string{`action="/incidents/` + fmt.Sprint(inc.ID) + `/feedback"`, `name="verdict" value="noise"`, `name="verdict" value="actionable"`} {
		if !strings.Contains(body, want) {
			t.Errorf("incident page lacks %s", want)
		}
	}
	if strings.Contains(body, `id="feedback-clear"`) || strings.Contains(body, `aria-pressed`) {
		t.Errorf("a verdict shows before anyone gave one")
	}

	rec = h.post(page+"/feedback", url.Values{"verdict": {"noise"}})
	wantRedirect(t, rec, page)
	rec = h.do(req{path: page, signed: true, cookies: []*http.Cookie{findCookie(rec, "vigil_flash")}})
	body = rec.Body.String()
	if !strings.Contains(body, "Marked noise.") || !regexp.MustCompile(`id="feedback-noise" class="chosen" aria-pressed="true"`).MatchString(body) ||
		!strings.Contains(body, "marked noise by alice") || !strings.Contains(body, `id="feedback-clear"`) {
		t.Errorf("after marking noise the page does not show it:\n%s", excerpt(body))
	}
	if e := lastEntry(t, h, inc.ID, vigil.EntryFeedback); e.Message != "Marked noise by alice via web" {
		t.Errorf("timeline: %q", e.Message)
	}

	rec = h.post(page+"/feedback", url.Values{"verdict": {"maybe"}})
	wantRedirect(t, rec, page)
	rec = h.do(req{path: page, signed: true, cookies: []*http.Cookie{findCookie(rec, "vigil_flash")}})
	if body = rec.Body.String(); !strings.Contains(body, "verdict") || !strings.Contains(body, "flash-error") {
		t.Errorf("a bad verdict shows no error:\n%s", excerpt(body))
	}
	rec = h.post(page+"/feedback", url.Values{"verdict": {""}})
	wantRedirect(t, rec, page)
	fb, err := h.db.FindIncidentFeedback(context.Background(), inc.ID)
	if err != nil || fb.Verdict != "" {
		t.Errorf("after clearing: %+v, %v", fb, err)
	}

	evil := map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}
	rec = h.do(req{method: http.MethodPost, path: page + "/feedback", form: url.Values{"verdict": {"noise"}}, signed: true, headers: evil})
	wantStatus(t, rec, http.StatusForbidden)
	if rec = h.do(req{method: http.MethodPost, path: page + "/feedback", form: url.Values{"verdict": {"noise"}}}); rec.Code != http.StatusUnauthorized {
		t.Errorf("without a session: %d, want 401", rec.Code)
	}
	if fb, _ := h.db.FindIncidentFeedback(context.Background(), inc.ID); fb.Verdict != "" {
		t.Errorf("a refused post set the verdict: %+v", fb)
	}
	wantStatus(t, h.post("/incidents/999/feedback", url.Values{"verdict": {"noise"}}), http.StatusNotFound)
}

func TestNoiseReportPage(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	s := h.service(`<b>edge</b>`)
	name := `"><script>alert(1)</script>`
	var first *vigil.Incident
	// Five alerts that each resolve within a minute, unacknowledged: a
	// silence is suggested.
	for i := range 5 {
		key := fmt.Sprintf("flap-%d", i)
		inc := h.trigger(s, vigil.Event{Summary: "flapping", DedupKey: key, Labels: map[string]string{"alertname": name}})
		if first == nil {
			first = inc
		}
		h.clock.Advance(time.Minute)
		if _, err := h.db.ProcessEvents(ctx, []*vigil.Event{{Action: vigil.ActionResolve, ServiceID: s.ID, DedupKey: key, Severity: vigil.SeverityError}}); err != nil {
			t.Fatal(err)
		}
		h.clock.Advance(time.Hour)
	}
	if _, err := h.db.SetIncidentFeedback(ctx, first.ID, vigil.VerdictNoise); err != nil {
		t.Fatal(err)
	}

	rec := h.get("/reports/noise?range=30d&tz=Europe/Berlin")
	wantStatus(t, rec, http.StatusOK)
	body := rec.Body.String()
	for _, want := range []string{
		`href="/reports/noise" aria-current="page"`,
		`&lt;b&gt;edge&lt;/b&gt;`,
		`in Europe/Berlin`,
		`<dt>Alerts</dt><dd>5</dd>`, `<dt>Marked noise</dt><dd>1</dd>`,
		`<svg class="bars"`, `class="bar-noise" x="0.00" y="1" width="20.00"`, `class="bar-unmarked" x="20.00" y="1" width="80.00"`,
		`<option value="30d" selected>`,
		`Silence &#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt; on &lt;b&gt;edge&lt;/b&gt;`,
		`href="/silences/new?comment=`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("report page lacks %s", want)
		}
	}
	row := regexp.MustCompile(`(?s)<td class="title"><a href="/services/\d+">&lt;b&gt;edge&lt;/b&gt;</a></td>\s*<td class="num">5</td><td class="num">5</td><td class="num">0</td>`)
	if !row.MatchString(body) {
		t.Errorf("service row with 5 alerts, 5 incidents, 0 pages not found:\n%s", excerpt(body))
	}
	for _, bad := range []string{"<b>edge", "<script>alert", ` style=`, `<script>`} {
		if strings.Contains(strings.ReplaceAll(body, `<script src=`, ``), bad) {
			t.Errorf("report page contains %q", bad)
		}
	}

	if rec := h.do(req{path: "/reports/noise"}); rec.Code == http.StatusOK || strings.Contains(rec.Body.String(), "edge") {
		t.Errorf("the report without a session: %d", rec.Code)
	}
	for _, c := range []struct{ query, want string }{
		{"tz=Mars/Olympus", "tz: "},
		{"range=2y", "range: "},
		{"since=yesterday", "since: "},
		{"since=2026-03-01T00:00:00Z&until=2026-02-01T00:00:00Z", "until: "},
	} {
		rec := h.get("/reports/noise?" + c.query)
		wantStatus(t, rec, http.StatusBadRequest)
		if !strings.Contains(rec.Body.String(), `id="noise-error">`+c.want) {
			t.Errorf("%s: no error naming %q:\n%s", c.query, c.want, excerpt(rec.Body.String()))
		}
	}
}
