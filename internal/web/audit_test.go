package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// The audit page lists changes made in the UI, escapes everything an
// entry holds, filters, and answers a bad filter with a 400 naming it.
func TestAuditPage(t *testing.T) {
	h := newHarness(t)
	evil := `<script>alert("x")</script>`
	rec := h.post("/services", url.Values{"name": {"checkout"}, "description": {evil}, "grouping.mode": {"none"}})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("create service: %d %s", rec.Code, rec.Body)
	}

	rec = h.get("/audit")
	body := rec.Body.String()
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /audit: %d %s", rec.Code, body)
	}
	if strings.Contains(body, evil) || strings.Contains(body, "<script>alert") {
		t.Errorf("the description is not escaped:\n%s", body)
	}
	for _, want := range []string{
		`<a href="/audit" aria-current="page">Audit</a>`,
		`<code>service.create</code>`,
		`<a href="/services/1">service:1</a>`,
		`alice <span class="muted">(user)</span>`,
		`<td>web`,
		`&lt;script&gt;alert(\&#34;x\&#34;)&lt;/script&gt;`,
		`<summary>created</summary>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %s:\n%s", want, body)
		}
	}
	if strings.Count(body, `class="audit-entry"`) != 2 || !strings.Contains(body, `<code>user.create</code>`) {
		t.Errorf("want two entries (the harness's first admin, the service):\n%s", body)
	}

	body = h.get("/audit?action=incident").Body.String()
	if strings.Contains(body, `class="audit-entry"`) || !strings.Contains(body, "No entries match.") {
		t.Errorf("filter by action:\n%s", body)
	}
	body = h.get("/audit?search=" + url.QueryEscape(`alert("x")`) + "&object=service:1&since=2026-03-14&until=2026-03-15T00:00").Body.String()
	if strings.Count(body, `class="audit-entry"`) != 1 {
		t.Errorf("search:\n%s", body)
	}

	for _, c := range []struct{ query, field, msg string }{
		{"since=yesterday", "since", "must be a time in UTC"},
		{"object=service:x", "object", "must be a type or type:id"},
		{"since=2026-03-15&until=2026-03-14", "until", "must be after since"},
	} {
		rec := h.get("/audit?" + c.query)
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), c.msg) ||
			!strings.Contains(rec.Body.String(), `name="`+c.field+`" value="`) {
			t.Errorf("%s: %d\n%s", c.query, rec.Code, rec.Body)
		}
	}

	// Signed out: the sign-in page, not the log.
	if rec := h.do(req{path: "/audit"}); rec.Code == http.StatusOK || strings.Contains(rec.Body.String(), "service.create") {
		t.Errorf("signed out: %d", rec.Code)
	}
	// Nothing in the UI changes the log.
	if rec := h.post("/audit", nil); rec.Code != http.StatusNotFound && rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST /audit: %d", rec.Code)
	}
}
