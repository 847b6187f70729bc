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

// rules lists every stored inhibition rule.
func (h *harness) rules() []*vigil.InhibitRule {
	h.t.Helper()
	l, err := h.db.ListInhibitRules(context.Background())
	if err != nil {
		h.t.Fatal(err)
	}
	return l
}

// TestInhibitCreateEditDelete: a rule made in the form mutes a target
// while its source fires; the muted alert shows on the rule's page and the
// list with the rule and the source alert's incident; edited it no longer
// matches and the alert pages; deleted after asking.
func TestInhibitCreateEditDelete(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	infra := h.service("infra")
	nodes := h.service("nodes")

	rec := h.post("/inhibit-rules", url.Values{
		"name": {"cluster down mutes its nodes"}, "source": {`{alertname="ClusterDown", severity="critical"}`},
		"target": {`alertname=~"Node.*"`}, "equal": {"cluster, region"},
	})
	wantRedirect(t, rec, "/inhibit-rules/1")
	if page := text(h.follow(rec).Body.String()); !strings.Contains(page, "Inhibition rule cluster down mutes its nodes created") {
		t.Errorf("page after creating:\n%s", excerpt(page))
	}
	rs := h.rules()
	if len(rs) != 1 || strings.Join(rs[0].Source, "|") != `alertname="ClusterDown"|severity="critical"` || strings.Join(rs[0].Target, "|") != `alertname=~"Node.*"` ||
		strings.Join(rs[0].Equal, "|") != "cluster|region" {
		t.Fatalf("stored rules = %+v", rs)
	}

	src := h.send(infra, vigil.Event{Summary: "ClusterDown", Severity: vigil.SeverityCritical, DedupKey: "eu", Labels: map[string]string{"cluster": "eu", "region": "west"}})
	muted := h.send(nodes, vigil.Event{Summary: "NodeDown", DedupKey: "n1", Labels: map[string]string{"cluster": "eu", "region": "west", "node": "1"}})
	other := h.send(nodes, vigil.Event{Summary: "NodeDown", DedupKey: "n2", Labels: map[string]string{"cluster": "us", "region": "west"}})
	if src.IncidentID == 0 || muted.InhibitedByRule != 1 || muted.InhibitedByAlert != src.AlertID || muted.IncidentID != 0 || other.IncidentID == 0 {
		t.Fatalf("source %+v, muted %+v, other cluster %+v", src, muted, other)
	}

	body := h.get("/inhibit-rules/1").Body.String()
	noInlineCode(t, body)
	facts := text(section(t, body, "inhibit-facts"))
	for _, want := range []string{`While firing alertname="ClusterDown" severity="critical"`, `New alerts matching alertname=~"Node.*"`, "With the same cluster, region"} {
		if !strings.Contains(facts, want) {
			t.Errorf("facts lack %q: %s", want, facts)
		}
	}
	if got := text(section(t, body, "held-total")); got != "(1)" {
		t.Errorf("muted total = %q", got)
	}
	held := section(t, body, "held-alerts")
	badge := fmt.Sprintf(`<a class="badge inhibited" href="/inhibit-rules/1">inhibited by cluster down mutes its nodes</a> <span class="muted">while <a href="/incidents/%d">alert #%d</a> fires</span>`, src.IncidentID, src.AlertID)
	if !strings.Contains(held, badge) || !strings.Contains(held, `node</span>=1`) || strings.Contains(held, `cluster</span>=us`) {
		t.Errorf("muted alerts: %s", held)
	}
	for _, want := range []string{">alertname=\"ClusterDown\"\nseverity=\"critical\"</textarea>", `name="equal" value="cluster, region"`} {
		if !strings.Contains(html.UnescapeString(body), want) {
			t.Errorf("edit form lacks %s", want)
		}
	}
	// The source's incident says its alert mutes one, linking to the rule.
	incPage := h.get(fmt.Sprintf("/incidents/%d", src.IncidentID)).Body.String()
	noInlineCode(t, incPage)
	if !strings.Contains(incPage, `<a class="badge inhibited mutes" href="/inhibit-rules/1" title="inhibition rule cluster down mutes its nodes">mutes 1 alert: cluster down mutes its nodes</a>`) {
		t.Errorf("the source's incident does not say what its alert mutes:\n%s", excerpt(text(incPage)))
	}
	if strings.Contains(h.get(fmt.Sprintf("/incidents/%d", other.IncidentID)).Body.String(), "mutes 1") {
		t.Error("an alert that mutes nothing says it does")
	}
	list := h.get("/inhibit-rules").Body.String()
	noInlineCode(t, list)
	if row := text(section(t, list, "inhibit-rule-1")); !strings.Contains(row, "cluster down mutes its nodes") || !strings.HasSuffix(row, " 1") {
		t.Errorf("list row: %s", row)
	}
	if !strings.Contains(section(t, list, "held-alerts"), badge) {
		t.Error("the list does not show the muted alert and why")
	}
	if !strings.Contains(list, `<a href="/inhibit-rules" aria-current="page">Inhibition</a>`) {
		t.Error("the navigation does not mark Inhibition")
	}

	// Edited so the region must be shared too... and the target narrowed
	// to NodeUnreachable: the muted alert no longer matches and pages.
	rec = h.post("/inhibit-rules/1", url.Values{"name": {"cluster down mutes unreachable nodes"}, "source": {`alertname="ClusterDown"`},
		"target": {`alertname="NodeUnreachable"`}, "equal": {"cluster"}})
	wantRedirect(t, rec, "/inhibit-rules/1")
	if page := text(h.follow(rec).Body.String()); !strings.Contains(page, "Inhibition rule cluster down mutes unreachable nodes saved") {
		t.Errorf("page after saving:\n%s", excerpt(page))
	}
	if a, _ := h.db.FindAlertByID(ctx, muted.AlertID); a.IncidentID == 0 || a.InhibitedByRule != nil {
		t.Errorf("the alert the narrowed rule no longer mutes: %+v", a)
	}
	r, _ := h.db.FindInhibitRule(ctx, 1)
	if r.Name != "cluster down mutes unreachable nodes" || strings.Join(r.Target, "|") != `alertname="NodeUnreachable"` || strings.Join(r.Equal, "|") != "cluster" {
		t.Errorf("rule after editing = %+v", r)
	}

	// Delete asks first, then deletes.
	rec = h.post("/inhibit-rules/1/delete", nil)
	wantStatus(t, rec, http.StatusOK)
	if c := text(section(t, rec.Body.String(), "confirm-delete")); !strings.Contains(c, "Delete inhibition rule cluster down mutes unreachable nodes?") {
		t.Errorf("confirmation: %s", c)
	}
	if len(h.rules()) != 1 {
		t.Fatal("the first step deleted the rule")
	}
	rec = h.post("/inhibit-rules/1/delete", url.Values{"confirm": {"yes"}})
	wantRedirect(t, rec, "/inhibit-rules")
	if page := text(h.follow(rec).Body.String()); !strings.Contains(page, "Inhibition rule cluster down mutes unreachable nodes deleted.") {
		t.Errorf("page after deleting:\n%s", excerpt(page))
	}
	if len(h.rules()) != 0 {
		t.Error("the rule was not deleted")
	}
	wantStatus(t, h.get("/inhibit-rules/1"), http.StatusNotFound)
	wantStatus(t, h.get("/inhibit-rules/x"), http.StatusNotFound)
	wantStatus(t, h.post("/inhibit-rules/1", url.Values{"name": {"x"}, "source": {`a="b"`}, "target": {`c="d"`}}), http.StatusNotFound)
}

// TestInhibitDeleteReleases: deleting a rule that mutes an alert says so
// first, and the alert pages.
func TestInhibitDeleteReleases(t *testing.T) {
	h := newHarness(t)
	svc := h.service("db")
	rule := &vigil.InhibitRule{Name: "crit mutes warn", Source: []string{`severity="critical"`}, Target: []string{`severity="warning"`}, Equal: []string{"alertname"}}
	if err := h.db.CreateInhibitRule(context.Background(), rule); err != nil {
		t.Fatal(err)
	}
	h.send(svc, vigil.Event{Summary: "Disk", Severity: vigil.SeverityCritical, DedupKey: "c"})
	res := h.send(svc, vigil.Event{Summary: "Disk", Severity: vigil.SeverityWarning, DedupKey: "w"})
	if res.InhibitedByRule != rule.ID {
		t.Fatalf("not muted: %+v", res)
	}
	rec := h.post(fmt.Sprintf("/inhibit-rules/%d/delete", rule.ID), nil)
	if c := text(section(t, rec.Body.String(), "confirm-delete")); !strings.Contains(c, "The 1 alert it mutes now page at once") {
		t.Errorf("confirmation: %s", c)
	}
	rec = h.post(fmt.Sprintf("/inhibit-rules/%d/delete", rule.ID), url.Values{"confirm": {"yes"}})
	if page := text(h.follow(rec).Body.String()); !strings.Contains(page, "The 1 alert it muted now page") {
		t.Errorf("page after deleting:\n%s", excerpt(page))
	}
	if a, _ := h.db.FindAlertByID(context.Background(), res.AlertID); a.IncidentID == 0 {
		t.Errorf("the alert was not released: %+v", a)
	}
}

func TestInhibitFormErrors(t *testing.T) {
	h := newHarness(t)
	good := url.Values{"name": {"crit mutes warn"}, "source": {`severity="critical"`}, "target": {`severity="warning"`}, "equal": {"alertname"}}
	for _, c := range []struct {
		name  string
		form  url.Values
		input string
		want  string
	}{
		{"no name", with(good, "name", ""), "inhibit-name", "Name: is required"},
		{"no source", with(good, "source", " "), "inhibit-source", "Source matchers: give at least one"},
		{"no target", with(good, "target", ""), "inhibit-target", "Target matchers: give at least one"},
		{"source without operator", with(good, "source", "severity=\"critical\"\nClusterDown"), "inhibit-source", "Source matchers: line 2 (ClusterDown): end of input: expected an operator"},
		{"target bad operator", with(good, "target", `severity~"warning"`), "inhibit-target", `Target matchers: line 1 (severity~"warning"): 8:9: ~: invalid input`},
		{"target bad regexp", with(good, "target", "env=\"prod\"\ninstance=~\"(\""), "inhibit-target", "Target matchers: line 2 (instance=~\"(\"): failed to create matcher"},
		{"source needs a value", with(good, "source", `team!="db"`), "inhibit-source", "Source matchers: at least one matcher must not match the empty string"},
		{"bad equal", with(good, "equal", "cluster, \x01"), "inhibit-equal", "Equal labels: \"\\x01\" is not a label name"},
	} {
		t.Run(c.name, func(t *testing.T) {
			rec := h.post("/inhibit-rules", c.form)
			wantStatus(t, rec, http.StatusUnprocessableEntity)
			body := rec.Body.String()
			noInlineCode(t, body)
			if got := inputError(t, body, c.input); !strings.Contains(got, c.want) {
				t.Errorf("error next to %s = %q, want %q\n%s", c.input, got, c.want, excerpt(text(section(t, body, "inhibit-form"))))
			}
			for _, in := range []string{"source", "target"} {
				if m := strings.TrimSpace(c.form.Get(in)); m != "" && !strings.Contains(body, html.EscapeString(m)) {
					t.Errorf("the %s matchers typed are not kept", in)
				}
			}
			if n := len(h.rules()); n != 0 {
				t.Fatalf("a refused form stored %d rules", n)
			}
		})
	}
	wantRedirect(t, h.post("/inhibit-rules", good), "/inhibit-rules/1")
	rec := h.post("/inhibit-rules", good)
	wantStatus(t, rec, http.StatusConflict)
	if got := inputError(t, rec.Body.String(), "inhibit-name"); !strings.Contains(got, "Name: an inhibit rule with this name already exists") {
		t.Errorf("name taken: %q", got)
	}
	rec = h.post("/inhibit-rules/1", with(good, "target", "nonsense"))
	wantStatus(t, rec, http.StatusUnprocessableEntity)
	if got := inputError(t, rec.Body.String(), "inhibit-target"); !strings.Contains(got, "line 1 (nonsense)") {
		t.Errorf("edit error: %q", got)
	}
	if rs := h.rules(); len(rs) != 1 || rs[0].Target[0] != `severity="warning"` {
		t.Errorf("a refused edit changed the rule: %+v", rs)
	}
}

// TestInhibitEscaping: names and matchers with markup are shown as text.
func TestInhibitEscaping(t *testing.T) {
	h := newHarness(t)
	svc := h.service(xssName)
	rec := h.post("/inhibit-rules", url.Values{"name": {xssName}, "source": {`severity="critical"`}, "target": {`note="` + xssName + `"`}})
	wantRedirect(t, rec, "/inhibit-rules/1")
	noRawXSS(t, h.follow(rec).Body.String())
	h.send(svc, vigil.Event{Summary: "crit", Severity: vigil.SeverityCritical, DedupKey: "c"})
	if r := h.send(svc, vigil.Event{Summary: xssName, DedupKey: "x", Labels: map[string]string{"note": xssName}}); r.InhibitedByRule != 1 {
		t.Fatalf("not muted: %+v", r)
	}
	for _, p := range []string{"/inhibit-rules", "/inhibit-rules/1"} {
		body := h.get(p).Body.String()
		noRawXSS(t, body)
		noInlineCode(t, body)
		if !strings.Contains(body, `id="held-alert-`) {
			t.Errorf("%s lists no muted alert", p)
		}
	}
	noRawXSS(t, h.post("/inhibit-rules/1/delete", nil).Body.String())
	rec = h.post("/inhibit-rules", url.Values{"name": {xssName}, "source": {xssName}, "target": {xssName}})
	wantStatus(t, rec, http.StatusUnprocessableEntity)
	noRawXSS(t, rec.Body.String())
}
