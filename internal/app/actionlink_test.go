package app

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/notify/webhook/webhooktest"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// Item 7: a page carries signed, expiring links that acknowledge and
// resolve without signing in. Opening a link only shows a button (mail
// scanners fetch links); pressing it acts as the paged person, and the
// timeline names them and the channel. Tampered links are 404, expired
// ones 410.
func TestActionLinks(t *testing.T) {
	hook := webhooktest.New(t, "")
	clock := vigil.NewManualClock(time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC))
	a := startApp(t, Config{DataDir: t.TempDir(), Clock: clock, EngineInterval: -1})
	_, key := pagedService(t, a, hook.URL)
	postEvent(t, a, key, `{"dedup_key":"cpu","summary":"CPU <b>hot</b>","severity":"critical"}`)
	ctx := context.Background()
	if _, err := a.EngineCycle(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := hook.WaitFor(1, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	p := got[0].Payload
	if !strings.HasPrefix(p.AckURL, a.URL()+"/act/") || !strings.HasPrefix(p.ResolveURL, a.URL()+"/act/") || p.AckURL == p.ResolveURL {
		t.Fatalf("links: ack %q resolve %q", p.AckURL, p.ResolveURL)
	}
	id := p.IncidentID
	status := func() string {
		inc, err := a.Store().FindIncidentByID(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return inc.Status
	}
	call := func(method, url string) (int, string, http.Header) {
		t.Helper()
		req, _ := http.NewRequest(method, url, nil)
		if method == "POST" {
			req.Header.Set("Sec-Fetch-Site", "same-origin")
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b), res.Header
	}

	code, body, h := call("GET", p.AckURL)
	if code != 200 || !strings.Contains(body, "<button") || !strings.Contains(body, "Ana") || !strings.Contains(body, "CPU &lt;b&gt;hot&lt;/b&gt;") {
		t.Fatalf("GET ack link: %d %s", code, body)
	}
	if h.Get("Referrer-Policy") != "no-referrer" || h.Get("Content-Security-Policy") == "" {
		t.Errorf("headers: %v", h)
	}
	if status() != vigil.IncidentTriggered {
		t.Fatal("opening the link acknowledged the incident")
	}
	// Another site cannot press the button for you.
	req, _ := http.NewRequest("POST", p.AckURL, nil)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != 403 {
		t.Errorf("cross-site POST: %v %v", res.StatusCode, err)
	}
	tampered := p.AckURL[:len(p.AckURL)-2] + "xx"
	if code, _, _ := call("POST", tampered); code != 404 {
		t.Errorf("tampered link: %d", code)
	}
	if status() != vigil.IncidentTriggered {
		t.Fatal("a refused request acknowledged the incident")
	}

	if code, body, _ := call("POST", p.AckURL); code != 200 || !strings.Contains(body, "acknowledged by Ana") {
		t.Fatalf("POST ack link: %d %s", code, body)
	}
	if status() != vigil.IncidentAcknowledged {
		t.Fatalf("status %s after the ack link", status())
	}
	tl, _ := a.Store().FindTimeline(ctx, id)
	last := tl[len(tl)-1]
	if last.Message != "Acknowledged by Ana via webhook link" || last.ActorKind != vigil.ActorUser {
		t.Errorf("timeline: %+v", last)
	}
	if code, body, _ := call("POST", p.AckURL); code != 200 || !strings.Contains(body, "already acknowledged") {
		t.Errorf("second press: %d %s", code, body)
	}

	// The links work for a day.
	clock.Advance(25 * time.Hour)
	if code, body, _ := call("GET", p.ResolveURL); code != 410 || !strings.Contains(body, "expired") {
		t.Errorf("expired link: %d %s", code, body)
	}
	if code, _, _ := call("POST", p.ResolveURL); code != 410 {
		t.Errorf("expired link POST: %d", code)
	}
	if status() != vigil.IncidentAcknowledged {
		t.Errorf("an expired link changed the incident to %s", status())
	}
}
