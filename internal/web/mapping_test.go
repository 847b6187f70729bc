package web_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/vigil-oss/vigil/internal/vigil"
)

const webRules = `- name: database team
  when: labels.team == "db"
  set:
    service: database
    severity: critical
    labels:
      routed: '"yes"'
  stop: true
`

// The service page edits a key's rules as YAML (errors next to the text)
// and previews a pasted payload with them, storing nothing.
func TestKeyMappingRules(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	s := h.service("checkout")
	h.service("database")
	key, err := h.db.CreateIntegrationKey(ctx, s.ID, "prometheus")
	if err != nil {
		t.Fatal(err)
	}
	page := fmt.Sprintf("/services/%d", s.ID)
	rulesURL := fmt.Sprintf("%s/integration-keys/%d/rules", page, key.ID)
	previewURL := fmt.Sprintf("%s/integration-keys/%d/preview", page, key.ID)
	textarea := fmt.Sprintf("rules-%d", key.ID)

	body := h.get(page).Body.String()
	for _, want := range []string{`id="key-` + fmt.Sprint(key.ID) + `"`, `id="` + textarea + `"`, `action="` + previewURL + `"`, `hx-post="` + previewURL + `"`, "No rules"} {
		if !strings.Contains(body, want) {
			t.Errorf("service page lacks %s", want)
		}
	}

	// Refused: the error sits next to the rules, which keep what was typed.
	for _, c := range []struct{ doc, msg string }{
		{"- name: a\n  set: {severity: '1 +'}\n", "rules[0].set.severity"},
		{"- name: a\n  set: {service: nowhere}\n", `rules[0].set.service: there is no service named &#34;nowhere&#34;`},
		{"- name: a\n  sett: {}\n", `unknown field`},
		{"- name: <b>x</b>\n  set: {labels: {'two words': '\"x\"'}}\n", "rules[0].set.labels"},
	} {
		rec := h.post(rulesURL, url.Values{"rules": {c.doc}})
		wantStatus(t, rec, http.StatusUnprocessableEntity)
		got := rec.Body.String()
		if !errorNextTo(got, textarea) || !strings.Contains(got, c.msg) {
			t.Errorf("%q: error %q not next to the rules:\n%s", c.doc, c.msg, excerpt(got[strings.Index(got, textarea):]))
		}
		if !strings.Contains(html.UnescapeString(got), c.doc) || strings.Contains(got, "<b>x</b>") {
			t.Errorf("%q: the submitted text is not shown back, escaped", c.doc)
		}
	}
	if k, _ := h.db.FindIntegrationKeyByID(ctx, key.ID); len(k.Rules) != 0 {
		t.Fatalf("a refused save stored rules: %+v", k.Rules)
	}

	rec := h.post(rulesURL, url.Values{"rules": {webRules}})
	wantRedirect(t, rec, fmt.Sprintf("%s#key-%d", page, key.ID))
	k, err := h.db.FindIntegrationKeyByID(ctx, key.ID)
	if err != nil || len(k.Rules) != 1 || k.Rules[0].Set.Service != "database" || k.Rules[0].Set.Labels["routed"] != `"yes"` {
		t.Fatalf("saved rules %+v, %v", k.Rules, err)
	}
	body = h.do(req{path: page, signed: true, cookies: rec.Result().Cookies()}).Body.String()
	if !strings.Contains(body, "Saved 1 mapping rule.") || !strings.Contains(body, "1 rule</summary>") ||
		!strings.Contains(html.UnescapeString(body), `when: labels.team == "db"`) {
		t.Errorf("page after saving:\n%s", excerpt(body[strings.Index(body, "<main>"):]))
	}

	// Preview through htmx: the result table alone, the rule applied.
	payload := `[{"summary":"db <script>alert(1)</script> down","dedup_key":"d1","labels":{"team":"db"}},{"summary":""}]`
	rec = h.do(req{method: http.MethodPost, path: previewURL, signed: true, headers: map[string]string{"HX-Request": "true"},
		form: url.Values{"format": {"native"}, "payload": {payload}}})
	wantStatus(t, rec, http.StatusOK)
	frag := rec.Body.String()
	if strings.Contains(frag, "<html") {
		t.Fatal("htmx got a whole page")
	}
	for _, want := range []string{"1 alert would be sent, 1 part refused", "moved to <strong>database</strong>", "sev-critical",
		"database team: matched", "routed=</span>yes", "&lt;script&gt;alert(1)&lt;/script&gt;", "<code>summary</code>", "is required for a trigger"} {
		if !strings.Contains(frag, want) {
			t.Errorf("preview lacks %q:\n%s", want, frag)
		}
	}
	if strings.Contains(frag, "<script>alert") {
		t.Error("payload text is not escaped")
	}

	// Without JavaScript: the whole page, the result under the form.
	rec = h.post(previewURL, url.Values{"format": {"opsgenie"}, "payload": {`{"message":"db down","tags":["x"]}`}})
	wantStatus(t, rec, http.StatusOK)
	body = rec.Body.String()
	if !strings.Contains(body, "<html") || !strings.Contains(body, `<option value="opsgenie" selected>`) ||
		!strings.Contains(body, "1 alert would be sent") || !strings.Contains(body, "<details open>\n    <summary>Test a payload") {
		t.Errorf("full-page preview:\n%s", excerpt(body[strings.Index(body, fmt.Sprintf(`id="key-%d"`, key.ID)):]))
	}
	rec = h.post(previewURL, url.Values{"format": {"smoke"}, "payload": {`{}`}})
	if !strings.Contains(rec.Body.String(), "format must be one of") && !strings.Contains(rec.Body.String(), "must be one of native") {
		t.Errorf("unknown format not reported:\n%s", excerpt(rec.Body.String()))
	}
	var alerts int
	if _, alerts, err = h.db.FindAlerts(ctx, vigil.AlertFilter{}); err != nil || alerts != 0 {
		t.Errorf("the preview stored %d alerts (%v)", alerts, err)
	}

	// Another service's key, and an unknown one, are not found.
	other := h.service("other")
	wantStatus(t, h.post(fmt.Sprintf("/services/%d/integration-keys/%d/rules", other.ID, key.ID), url.Values{"rules": {""}}), http.StatusNotFound)
	wantStatus(t, h.post(fmt.Sprintf("%s/integration-keys/999999/preview", page), url.Values{"payload": {"{}"}}), http.StatusNotFound)

	// Empty removes the rules.
	wantRedirect(t, h.post(rulesURL, url.Values{"rules": {"  "}}), fmt.Sprintf("%s#key-%d", page, key.ID))
	if k, _ := h.db.FindIntegrationKeyByID(ctx, key.ID); len(k.Rules) != 0 {
		t.Errorf("rules not removed: %+v", k.Rules)
	}
}
