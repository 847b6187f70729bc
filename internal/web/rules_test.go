package web_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// ruleSet is the stored classification rule set.
func (h *harness) ruleSet() *vigil.ClassificationRuleSet {
	h.t.Helper()
	s, err := h.db.ClassificationRules(context.Background())
	if err != nil {
		h.t.Fatal(err)
	}
	return s
}

const payRulesYAML = `time_zone: Europe/Berlin
rules:
- name: payments-5xx
  when: service == "payments" && labels.code startsWith "5"
  set:
    sev: SEV1
    priority: P1
`

// withDevQuiet is payRulesYAML plus a rule that suppresses dev alerts.
const withDevQuiet = payRulesYAML + `- name: dev-is-quiet
  when: labels.env == "dev"
  set:
    suppress: true
`

// TestRulesEditSaveConflict: the page shows the stored rules as the CLI's
// YAML; a save is checked and versioned; a second editor working from the
// old version gets a conflict with both texts, not a lost update.
func TestRulesEditSaveConflict(t *testing.T) {
	h := newHarness(t)
	h.service("payments")

	body := h.get("/rules").Body.String()
	noInlineCode(t, body)
	if !strings.Contains(body, `<a href="/rules" aria-current="page">Rules</a>`) {
		t.Error("the navigation does not mark Rules")
	}
	if !strings.Contains(body, `name="version" value="0"`) || !strings.Contains(body, ">time_zone: UTC\nrules: []\n</textarea>") {
		t.Errorf("empty rule set form:\n%s", excerpt(section(t, body, "rules-editor")))
	}

	rec := h.post("/rules", url.Values{"rules": {payRulesYAML}, "version": {"0"}})
	wantRedirect(t, rec, "/rules")
	page := h.follow(rec).Body.String()
	if !strings.Contains(text(page), "Saved 1 classification rule (version 1).") {
		t.Errorf("after saving:\n%s", excerpt(text(page)))
	}
	set := h.ruleSet()
	if set.Version != 1 || set.TimeZone != "Europe/Berlin" || len(set.Rules) != 1 || set.Rules[0].Set.Sev != "SEV1" || set.UpdatedBy != "alice" {
		t.Fatalf("stored %+v", set)
	}
	if v := text(section(t, page, "rules-version")); !strings.Contains(v, "version 1") || !strings.Contains(v, "by alice") || !strings.Contains(v, "2026-03-14 09:26:53 UTC") {
		t.Errorf("version line %q", v)
	}
	if !strings.Contains(html.UnescapeString(page), payRulesYAML+"</textarea>") || !strings.Contains(page, `name="version" value="1"`) {
		t.Errorf("the editor does not hold the saved document:\n%s", excerpt(section(t, page, "rules-editor")))
	}

	// Bob opened the page at version 1 too; alice saves first.
	wantRedirect(t, h.post("/rules", url.Values{"rules": {withDevQuiet}, "version": {"1"}}), "/rules")
	bobs := strings.Replace(payRulesYAML, "SEV1", "SEV2", 1)
	rec = h.post("/rules", url.Values{"rules": {bobs}, "version": {"1"}})
	wantStatus(t, rec, http.StatusConflict)
	body = rec.Body.String()
	noInlineCode(t, body)
	if msg := text(section(t, body, "rules-editor")); !strings.Contains(msg, "Not saved: someone saved the rules since you opened them (now version 2)") {
		t.Errorf("conflict message: %s", msg)
	}
	if !strings.Contains(html.UnescapeString(body), bobs+"</textarea>") || !strings.Contains(body, `name="version" value="1"`) {
		t.Error("the conflict lost the editor's text or moved its version (a second save would overwrite)")
	}
	if theirs := html.UnescapeString(section(t, body, "rules-conflict")); !strings.Contains(theirs, "dev-is-quiet") || !strings.Contains(theirs, "version 2, saved by alice") {
		t.Errorf("the conflict does not show the stored rules: %s", theirs)
	}
	// A page opened before the first save (version 0), or a form without
	// its version, is checked too.
	for _, v := range []string{"0", ""} {
		rec = h.post("/rules", url.Values{"rules": {bobs}, "version": {v}})
		wantStatus(t, rec, http.StatusConflict)
		if !strings.Contains(text(rec.Body.String()), "now version 2") {
			t.Errorf("version %q: no conflict message", v)
		}
	}
	if s := h.ruleSet(); s.Version != 2 || len(s.Rules) != 2 || s.Rules[0].Set.Sev != "SEV1" {
		t.Fatalf("the conflicting save changed the rules: %+v", s)
	}
}

// TestRulesErrorsNameTheField: every refused save is a 4xx with the field
// and its line next to the editor, and the text kept.
func TestRulesErrorsNameTheField(t *testing.T) {
	h := newHarness(t)
	h.service("payments")
	for _, c := range []struct {
		name, doc, version string
		status             int
		want               string
	}{
		{"expression", strings.Replace(payRulesYAML, `startsWith "5"`, `startsWith`, 1), "0", 422, "rules[0].when (line 4): "},
		{"level", strings.Replace(payRulesYAML, "SEV1", "SEV9", 1), "0", 422, "rules[0].set.sev (line 6): must be one of SEV1, SEV2, SEV3, SEV4"},
		{"service", payRulesYAML + "- name: route\n  set:\n    service: nowhere\n", "0", 422, "rules[1].set.service (line 10): there is no service named \"nowhere\""},
		{"zone", strings.Replace(payRulesYAML, "Europe/Berlin", "Mars/Olympus", 1), "0", 422, "time_zone (line 1)"},
		{"unknown key", "rulez: []\n", "0", 422, "rulez"},
		{"duplicate", payRulesYAML + "- name: payments-5xx\n", "0", 422, "rules[1].name (line 8): \"payments-5xx\" is used by an earlier rule"},
		{"version", payRulesYAML, "abc", 422, "reload the page"},
		{"stale version", payRulesYAML, "5", 409, "now version 0"},
	} {
		rec := h.post("/rules", url.Values{"rules": {c.doc}, "version": {c.version}})
		if rec.Code != c.status {
			t.Errorf("%s: status %d, want %d", c.name, rec.Code, c.status)
			continue
		}
		body := rec.Body.String()
		if !strings.Contains(html.UnescapeString(text(section(t, body, "rules-editor"))), c.want) {
			t.Errorf("%s: the editor does not say %q:\n%s", c.name, c.want, text(section(t, body, "rules-editor")))
		}
		if c.status == 422 && c.name != "version" && !errorNextTo(body, "rules-doc") {
			t.Errorf("%s: the error is not next to the editor", c.name)
		}
		if !strings.Contains(html.UnescapeString(body), c.doc+"</textarea>") {
			t.Errorf("%s: the submitted text was lost", c.name)
		}
	}
	if s := h.ruleSet(); s.Version != 0 {
		t.Errorf("a refused save was stored: %+v", s)
	}
}

// TestRulesBackTest: the back-test runs the edited text against the
// stored alerts of the range, shows pages added and removed and each
// changed alert's fields before and after, and saves nothing.
func TestRulesBackTest(t *testing.T) {
	h := newHarness(t)
	pay := h.service("payments")
	wantRedirect(t, h.post("/rules", url.Values{"rules": {payRulesYAML}, "version": {"0"}}), "/rules")
	old := h.send(pay, vigil.Event{Summary: "old dev alert", DedupKey: "old", Labels: map[string]string{"env": "dev"}})
	h.clock.Advance(8 * 24 * time.Hour) // out of the default range
	dev := h.send(pay, vigil.Event{Summary: "dev <b>box</b> down", DedupKey: "dev1", Labels: map[string]string{"env": "dev"}})
	five := h.send(pay, vigil.Event{Summary: "5xx", DedupKey: "p500", Labels: map[string]string{"code": "503"}})
	h.send(pay, vigil.Event{Summary: "quiet", DedupKey: "ok"})

	changed := strings.Replace(withDevQuiet, "SEV1", "SEV2", 1)
	rec := h.post("/rules/backtest", url.Values{"rules": {changed}, "version": {"1"}})
	wantStatus(t, rec, http.StatusOK)
	body := rec.Body.String()
	noInlineCode(t, body)
	sum := text(section(t, body, "backtest-summary"))
	if !strings.Contains(sum, "3 alerts first seen from 2026-03-15 09:26:00 UTC to 2026-03-22 09:26:53 UTC: 2 treated differently; pages added 0, pages removed 1") {
		t.Errorf("summary: %s", sum)
	}
	devRow := text(section(t, body, fmt.Sprintf("backtest-alert-%d", dev.AlertID)))
	if !strings.Contains(devRow, "page removed") || !strings.Contains(devRow, "paged pages suppressed") {
		t.Errorf("dev alert row: %s", devRow)
	}
	if strings.Contains(body, "<b>box") || !strings.Contains(body, "dev &lt;b&gt;box&lt;/b&gt; down") {
		t.Error("an alert summary is not escaped")
	}
	if fiveRow := text(section(t, body, fmt.Sprintf("backtest-alert-%d", five.AlertID))); !strings.Contains(fiveRow, "sev SEV1 SEV2") {
		t.Errorf("5xx alert row: %s", fiveRow)
	}
	if strings.Contains(body, fmt.Sprintf("backtest-alert-%d", old.AlertID)) {
		t.Error("an alert before the range was replayed")
	}
	if !strings.Contains(html.UnescapeString(body), changed+"</textarea>") || !strings.Contains(body, `name="version" value="1"`) {
		t.Error("the back-test lost the edited text or its version")
	}
	if s := h.ruleSet(); s.Version != 1 || len(s.Rules) != 1 {
		t.Fatalf("the back-test saved: %+v", s)
	}

	// A wider range takes the old alert in too.
	rec = h.post("/rules/backtest", url.Values{"rules": {changed}, "version": {"1"}, "since": {"2026-03-01T00:00"}, "until": {"2026-03-30T00:00"}})
	wantStatus(t, rec, http.StatusOK)
	if sum := text(section(t, rec.Body.String(), "backtest-summary")); !strings.Contains(sum, "4 alerts") || !strings.Contains(sum, "pages removed 2") {
		t.Errorf("wider range: %s", sum)
	}

	// Bad ranges and rules name their field.
	for _, c := range []struct {
		form  url.Values
		input string
		want  string
	}{
		{url.Values{"rules": {changed}, "since": {"yesterday"}}, "rules-since", "From: must be a date and time"},
		{url.Values{"rules": {changed}, "since": {"2026-03-20T00:00"}, "until": {"2026-03-10T00:00"}}, "rules-since", "From: must be before until"},
		{url.Values{"rules": {"rules:\n- name: x\n  when: labels.env ==\n"}}, "rules-doc", "rules[0].when (line 3)"},
	} {
		rec := h.post("/rules/backtest", c.form)
		wantStatus(t, rec, http.StatusUnprocessableEntity)
		b := rec.Body.String()
		if !strings.Contains(text(section(t, b, "rules-editor")), c.want) || !errorNextTo(b, c.input) {
			t.Errorf("back-test of %v: no %q next to %s:\n%s", c.form, c.want, c.input, text(section(t, b, "rules-editor")))
		}
	}
}

// TestRulesBrokenListed: a rule that fails on alerts at run time is
// listed with how many and the error; the rule name is escaped.
func TestRulesBrokenListed(t *testing.T) {
	h := newHarness(t)
	pay := h.service("payments")
	doc := "rules:\n- name: <script>divides</script>\n  when: int(labels.n) > 1\n  set:\n    sev: SEV2\n"
	wantRedirect(t, h.post("/rules", url.Values{"rules": {doc}, "version": {"0"}}), "/rules")
	for i := range 2 {
		h.send(pay, vigil.Event{Summary: "odd", DedupKey: fmt.Sprint("n", i), Labels: map[string]string{"n": "x"}})
	}
	body := h.get("/rules").Body.String()
	noInlineCode(t, body)
	if strings.Contains(body, "<script>divides") {
		t.Fatal("a rule name is not escaped")
	}
	broken := text(section(t, body, "broken-rules"))
	if !strings.Contains(broken, "<script>divides</script> 2 2026-03-14 09:26:53 UTC") {
		t.Errorf("broken rules: %s", broken)
	}
}

// TestRulesCrossSiteRefused: another site cannot save rules or run the
// back-test or route test with the signed-in browser.
func TestRulesCrossSiteRefused(t *testing.T) {
	h := newHarness(t)
	s := h.service("payments")
	evil := map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}
	for path, form := range map[string]url.Values{
		"/rules":          {"rules": {"rules:\n- name: pwned\n  set: {suppress: true}\n"}, "version": {"0"}},
		"/rules/backtest": {"rules": {"rules: []\n"}},
		"/route-test":     {"service_id": {fmt.Sprint(s.ID)}, "payload": {`{"summary":"x"}`}},
	} {
		rec := h.do(req{method: http.MethodPost, path: path, form: form, signed: true, headers: evil})
		if rec.Code != http.StatusForbidden {
			t.Errorf("POST %s from another site: %d, want 403", path, rec.Code)
		}
	}
	if set := h.ruleSet(); set.Version != 0 || len(set.Rules) != 0 {
		t.Errorf("a cross-site save went through: %+v", set)
	}
	// Without a session the pages send people to sign in.
	for _, path := range []string{"/rules", "/route-test"} {
		if rec := h.do(req{path: path}); rec.Code != http.StatusSeeOther || !strings.HasPrefix(rec.Header().Get("Location"), "/login") {
			t.Errorf("GET %s signed out: %d %s", path, rec.Code, rec.Header().Get("Location"))
		}
	}
}
