package main

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"
)

var change9 = `{"id":9,"service_id":3,"summary":"Deploy v1.2.3\u001b[2J","source":"ci.example","timestamp":"` + created + `",
	"received_at":"` + created + `","links":[{"href":"https://ci.example/builds/9","text":"build"}]}`

func TestChangeList(t *testing.T) {
	f := newAPIFake(t, map[string]answer{
		"GET /api/v1/changes": {200, `{"items":[` + change9 + `],"total":4,"offset":0,"limit":1}`},
	})
	before := time.Now()
	r := vigilCLI(t, envFor(f), "", "change", "list", "--service", "3", "--since", "2h", "--until", "2026-11-21T10:00:00Z", "--limit", "1")
	wantOK(t, r)
	lines := strings.Split(strings.TrimRight(r.stdout, "\n"), "\n")
	if len(lines) != 2 || !regexp.MustCompile(`^AT\s+AGE\s+SERVICE\s+SOURCE\s+SUMMARY\s+LINK$`).MatchString(lines[0]) {
		t.Fatalf("table:\n%s", r.stdout)
	}
	if !regexp.MustCompile(`^\S+Z\s+\d+m ago\s+3\s+ci\.example\s+Deploy v1\.2\.3 \[2J\s+https://ci\.example/builds/9$`).MatchString(lines[1]) {
		t.Errorf("row %q", lines[1])
	}
	if !strings.Contains(r.stderr, "Showing 1-1 of 4 change events") {
		t.Errorf("stderr %q lacks the paging hint", r.stderr)
	}
	req := f.only()
	wantCLIHeaders(t, req, "vgt_test")
	q := req.query
	if q.Get("service_id") != "3" || q.Get("limit") != "1" || q.Get("until") != "2026-11-21T10:00:00Z" {
		t.Errorf("query %v", q)
	}
	since, err := time.Parse(time.RFC3339, q.Get("since"))
	if err != nil || since.Before(before.Add(-2*time.Hour-time.Second)) || since.After(time.Now().Add(-2*time.Hour)) {
		t.Errorf("since = %q, want about 2h ago (%v)", q.Get("since"), err)
	}

	f.set("GET /api/v1/changes", answer{200, `{"items":[],"total":0}`})
	r = vigilCLI(t, envFor(f), "", "change", "list", "-o", "json")
	wantOK(t, r)
	if strings.TrimSpace(r.stdout) != "[]" {
		t.Errorf("empty JSON list %q", r.stdout)
	}
	r = vigilCLI(t, envFor(f), "", "changes", "list")
	wantOK(t, r)
	if r.stdout != "" || !strings.Contains(r.stderr, "No change events found") {
		t.Errorf("empty table: %q / %q", r.stdout, r.stderr)
	}

	n := len(f.requests())
	r = vigilCLI(t, envFor(f), "", "change", "list", "--since", "yesterday")
	if r.code == 0 || !strings.Contains(r.stderr, `invalid --since "yesterday"`) {
		t.Errorf("bad --since: exit %d stderr %q", r.code, r.stderr)
	}
	if len(f.requests()) != n {
		t.Error("a request was sent for bad input")
	}
}

func TestIncidentChanges(t *testing.T) {
	f := newAPIFake(t, map[string]answer{
		"GET /api/v1/incidents/42/changes": {200, `{"items":[` + change9 + `],"total":1}`},
	})
	r := vigilCLI(t, envFor(f), "", "incident", "changes", "#42")
	wantOK(t, r)
	if !strings.Contains(r.stdout, "Deploy v1.2.3") || !strings.HasPrefix(r.stdout, "AT ") {
		t.Errorf("stdout:\n%s", r.stdout)
	}
	wantCLIHeaders(t, f.only(), "vgt_test")

	r = vigilCLI(t, envFor(f), "", "incident", "changes", "42", "-o", "json")
	wantOK(t, r)
	var items []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &items); err != nil || len(items) != 1 || items[0]["summary"] != "Deploy v1.2.3\u001b[2J" {
		t.Errorf("JSON %v: %s", err, r.stdout)
	}

	f.set("GET /api/v1/incidents/42/changes", answer{404, `{"error":{"code":"not_found","message":"incident 42 not found"}}`})
	r = vigilCLI(t, envFor(f), "", "incident", "changes", "42")
	if r.code == 0 || !strings.Contains(r.stderr, "error: incident 42 not found") {
		t.Errorf("unknown incident: exit %d stderr %q", r.code, r.stderr)
	}
	r = vigilCLI(t, envFor(f), "", "incident", "changes")
	if r.code == 0 || !strings.Contains(r.stderr, "expects one incident ID") {
		t.Errorf("no ID: exit %d stderr %q", r.code, r.stderr)
	}
}
