package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/app"
)

// apiFake speaks the JSON API contract on the wire: canned answers per
// "METHOD /path", every request recorded.
type apiFake struct {
	t      *testing.T
	srv    *httptest.Server
	mu     sync.Mutex
	routes map[string]answer
	reqs   []seenReq
}

type answer struct {
	status int
	body   string
}

type seenReq struct {
	method, path string
	query        url.Values
	header       http.Header
	body         string
}

func newAPIFake(t *testing.T, routes map[string]answer) *apiFake {
	t.Helper()
	f := &apiFake{t: t, routes: routes}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.reqs = append(f.reqs, seenReq{r.Method, r.URL.Path, r.URL.Query(), r.Header.Clone(), string(b)})
		a, ok := f.routes[r.Method+" "+r.URL.Path]
		f.mu.Unlock()
		if !ok {
			a = answer{404, `{"error":{"code":"not_found","message":"no route ` + r.Method + " " + r.URL.Path + `"}}`}
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(a.status)
		io.WriteString(w, a.body)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

// only returns the single request the fake saw.
func (f *apiFake) only() seenReq {
	f.t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.reqs) != 1 {
		f.t.Fatalf("server saw %d requests, want 1: %+v", len(f.reqs), f.reqs)
	}
	return f.reqs[0]
}

func (f *apiFake) set(route string, a answer) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.routes[route] = a
}

func (f *apiFake) requests() []seenReq {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]seenReq(nil), f.reqs...)
}

type result struct {
	code           int
	stdout, stderr string
}

// vigilCLI runs one command line in-process with the given environment.
func vigilCLI(t *testing.T, environ map[string]string, stdin string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	getenv := func(k string) string { return environ[k] }
	code := run(context.Background(), args, getenv, strings.NewReader(stdin), &out, &errb)
	return result{code, out.String(), errb.String()}
}

// envFor points the CLI at f with a token.
func envFor(f *apiFake) map[string]string {
	return map[string]string{"VIGIL_URL": f.srv.URL, "VIGIL_TOKEN": "vgt_test"}
}

func wantOK(t *testing.T, r result) {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("exit %d, stderr %q, stdout %q", r.code, r.stderr, r.stdout)
	}
}

func wantCLIHeaders(t *testing.T, r seenReq, bearer string) {
	t.Helper()
	if got := r.header.Get("Authorization"); got != "Bearer "+bearer {
		t.Errorf("Authorization = %q, want Bearer %s", got, bearer)
	}
	if got := r.header.Get("X-Vigil-Source"); got != "cli" {
		t.Errorf("X-Vigil-Source = %q, want cli", got)
	}
}

func jsonSame(t *testing.T, got, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Fatalf("not JSON: %q: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad want: %v", err)
	}
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	if string(gb) != string(wb) {
		t.Errorf("JSON\n got %s\nwant %s", gb, wb)
	}
}

// created is three minutes before the test binary started; the table tests
// accept any number of minutes ago, since a loaded machine (-race) can run
// them minutes later. TestAgo checks the wording itself.
var (
	created = time.Now().Add(-3 * time.Minute).UTC().Format(time.RFC3339)
	inc42   = `{"id":42,"title":"Database down","description":"primary unreachable","service_id":3,"service_name":"payments",
		"severity":"critical","status":"triggered","alert_count":1,"created_at":"` + created + `","created_by":"prometheus","updated_at":"` + created + `"}`
	inc7 = `{"id":7,"title":"Slow checkout","service_id":3,"service_name":"payments","severity":"warning",
		"status":"acknowledged","alert_count":12,"created_at":"2026-01-02T03:04:05Z","created_by":"ops","updated_at":"2026-01-02T03:04:05Z"}`
)

func TestIncidentListTable(t *testing.T) {
	f := newAPIFake(t, map[string]answer{
		"GET /api/v1/incidents": {200, `{"items":[` + inc42 + `,` + inc7 + `],"total":5,"offset":0,"limit":2}`},
	})
	before := time.Now()
	r := vigilCLI(t, envFor(f), "", "incident", "list", "--status", "triggered,acknowledged", "--service", "3",
		"--severity", "critical", "--since", "2h", "-q", "db", "--limit", "2")
	wantOK(t, r)

	lines := strings.Split(strings.TrimRight(r.stdout, "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("want header and 2 rows, got:\n%s", r.stdout)
	}
	if !regexp.MustCompile(`^ID\s+STATUS\s+SEVERITY\s+SERVICE\s+ALERTS\s+AGE\s+TITLE$`).MatchString(lines[0]) {
		t.Errorf("header %q", lines[0])
	}
	if !regexp.MustCompile(`^#42\s+triggered\s+critical\s+payments \(3\)\s+1\s+\d+m ago\s+Database down$`).MatchString(lines[1]) {
		t.Errorf("row %q", lines[1])
	}
	if !strings.HasPrefix(lines[2], "#7 ") || !strings.Contains(lines[2], "Slow checkout") {
		t.Errorf("row %q", lines[2])
	}
	// Aligned columns: each header starts where its cells start.
	for _, col := range []string{"STATUS", "SEVERITY", "TITLE"} {
		i := strings.Index(lines[0], col)
		if lines[1][i-2:i] != "  " || lines[1][i] == ' ' {
			t.Errorf("column %s not aligned:\n%s", col, r.stdout)
		}
	}
	if !strings.Contains(r.stderr, "Showing 1-2 of 5 incidents") {
		t.Errorf("stderr %q lacks the paging hint", r.stderr)
	}

	req := f.only()
	wantCLIHeaders(t, req, "vgt_test")
	q := req.query
	if q.Get("status") != "triggered,acknowledged" || q.Get("service_id") != "3" || q.Get("severity") != "critical" ||
		q.Get("q") != "db" || q.Get("limit") != "2" {
		t.Errorf("query %v", q)
	}
	since, err := time.Parse(time.RFC3339, q.Get("since"))
	if err != nil || since.Before(before.Add(-2*time.Hour-time.Second)) || since.After(time.Now().Add(-2*time.Hour)) {
		t.Errorf("since = %q, want about 2h ago (%v)", q.Get("since"), err)
	}
}

func TestIncidentListJSON(t *testing.T) {
	f := newAPIFake(t, map[string]answer{
		"GET /api/v1/incidents": {200, `{"items":[` + inc42 + `],"total":1}`},
	})
	r := vigilCLI(t, envFor(f), "", "incident", "list", "-o", "json")
	wantOK(t, r)
	var items []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &items); err != nil {
		t.Fatalf("stdout is not a JSON array: %v\n%s", err, r.stdout)
	}
	if len(items) != 1 || items[0]["id"] != float64(42) || items[0]["service_name"] != "payments" {
		t.Errorf("items %v", items)
	}

	f.set("GET /api/v1/incidents", answer{200, `{"items":[],"total":0}`})
	r = vigilCLI(t, envFor(f), "", "incident", "list", "--output=JSON")
	wantOK(t, r)
	if strings.TrimSpace(r.stdout) != "[]" {
		t.Errorf("empty list as %q, want []", r.stdout)
	}
	r = vigilCLI(t, envFor(f), "", "incident", "list")
	wantOK(t, r)
	if r.stdout != "" || !strings.Contains(r.stderr, "No incidents found") {
		t.Errorf("empty table: stdout %q stderr %q", r.stdout, r.stderr)
	}
}

func TestIncidentTransitions(t *testing.T) {
	for _, tt := range []struct{ args, path, done string }{
		{"ack #42", "/api/v1/incidents/42/acknowledge", "acknowledged"},
		{"acknowledge 42", "/api/v1/incidents/42/acknowledge", "acknowledged"},
		{"resolve #42", "/api/v1/incidents/42/resolve", "resolved"},
		{"reopen 42", "/api/v1/incidents/42/reopen", "reopened"},
	} {
		t.Run(tt.args, func(t *testing.T) {
			f := newAPIFake(t, map[string]answer{"POST " + tt.path: {200, inc42}})
			r := vigilCLI(t, envFor(f), "", append([]string{"incident"}, strings.Fields(tt.args)...)...)
			wantOK(t, r)
			req := f.only()
			wantCLIHeaders(t, req, "vgt_test")
			if req.method != "POST" || req.path != tt.path || req.body != "" {
				t.Errorf("request %s %s %q", req.method, req.path, req.body)
			}
			if want := "Incident #42 " + tt.done + " (status: triggered): Database down\n"; r.stdout != want {
				t.Errorf("stdout %q, want %q", r.stdout, want)
			}
		})
	}
}

func TestIncidentBadID(t *testing.T) {
	f := newAPIFake(t, nil)
	r := vigilCLI(t, envFor(f), "", "incident", "ack", "forty-two")
	if r.code == 0 || !strings.Contains(r.stderr, `error: invalid incident ID "forty-two"`) {
		t.Errorf("exit %d stderr %q", r.code, r.stderr)
	}
	r = vigilCLI(t, envFor(f), "", "incident", "ack")
	if r.code == 0 || !strings.Contains(r.stderr, "error: vigil incident ack expects one incident ID") {
		t.Errorf("exit %d stderr %q", r.code, r.stderr)
	}
	if n := len(f.requests()); n != 0 {
		t.Errorf("%d requests sent for bad input", n)
	}
}

func TestIncidentShow(t *testing.T) {
	alert := `{"id":9,"service_id":3,"incident_id":42,"dedup_key":"db-primary","summary":"Postgres down\u001b[31m","labels":{"env":"prod"},
		"links":[],"severity":"critical","source":"db-1","status":"firing","first_seen":"` + created + `","last_seen":"` + created + `","occurrences":4}`
	f := newAPIFake(t, map[string]answer{
		"GET /api/v1/incidents/42": {200, strings.TrimSuffix(strings.TrimSpace(inc42), "}") + `,"alerts":[` + alert + `]}`},
		"GET /api/v1/incidents/42/timeline": {200, `{"items":[
			{"id":1,"incident_id":42,"at":"` + created + `","kind":"created","actor":"prometheus","actor_kind":"integration","source":"integration","message":"Incident opened"},
			{"id":2,"incident_id":42,"at":"` + created + `","kind":"note","actor":"ops","actor_kind":"token","source":"cli","message":"looking"}],"total":2}`},
	})
	r := vigilCLI(t, envFor(f), "", "incident", "show", "#42")
	wantOK(t, r)
	for _, want := range []string{
		"Incident #42: Database down", "Status:    triggered", "Service:   payments (3)", "by prometheus",
		"primary unreachable", "Alerts (1):", "db-primary", "Postgres down [31m",
		"Timeline (2):", "Incident opened", "looking",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "\x1b") {
		t.Errorf("terminal escape from the server reached the output")
	}

	r = vigilCLI(t, envFor(f), "", "incident", "show", "42", "-o", "json")
	wantOK(t, r)
	var got struct {
		ID       int64            `json:"id"`
		Alerts   []map[string]any `json:"alerts"`
		Timeline []map[string]any `json:"timeline"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || got.ID != 42 || len(got.Alerts) != 1 || len(got.Timeline) != 2 {
		t.Errorf("json %+v (%v):\n%s", got, err, r.stdout)
	}
}

func TestIncidentNote(t *testing.T) {
	entry := `{"id":3,"incident_id":42,"at":"2026-01-02T03:04:05Z","kind":"note","actor":"ops","actor_kind":"token","source":"cli","message":"x"}`
	for _, tt := range []struct {
		name  string
		args  []string
		stdin string
		body  string
	}{
		{"argument", []string{"note", "#42", "Rolled back"}, "", "Rolled back"},
		{"flag", []string{"note", "42", "--message", "Paging DB team"}, "", "Paging DB team"},
		{"stdin", []string{"note", "42", "-"}, "line 1\nline 2\n", "line 1\nline 2"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newAPIFake(t, map[string]answer{"POST /api/v1/incidents/42/notes": {201, entry}})
			r := vigilCLI(t, envFor(f), tt.stdin, append([]string{"incident"}, tt.args...)...)
			wantOK(t, r)
			b, _ := json.Marshal(map[string]string{"body": tt.body})
			jsonSame(t, f.only().body, string(b))
			if r.stdout != "Note added to incident #42.\n" {
				t.Errorf("stdout %q", r.stdout)
			}
		})
	}
}

func TestIncidentDeclareByServiceName(t *testing.T) {
	f := newAPIFake(t, map[string]answer{
		"GET /api/v1/services":   {200, `{"items":[{"id":30,"name":"payments-eu"},{"id":3,"name":"payments"}],"total":2}`},
		"POST /api/v1/incidents": {201, inc42},
	})
	r := vigilCLI(t, envFor(f), "", "incident", "declare", "--service", "payments", "--title", "Database down",
		"--severity", "CRITICAL", "--description", "primary unreachable")
	wantOK(t, r)
	reqs := f.requests()
	if len(reqs) != 2 || reqs[0].query.Get("name") != "payments" {
		t.Fatalf("requests %+v", reqs)
	}
	jsonSame(t, reqs[1].body, `{"service_id":3,"title":"Database down","description":"primary unreachable","severity":"critical"}`)
	if !strings.Contains(r.stdout, "Declared incident #42") {
		t.Errorf("stdout %q", r.stdout)
	}
}

func TestAlertSend(t *testing.T) {
	f := newAPIFake(t, map[string]answer{
		"POST /api/v1/events": {202, `{"action":"trigger","dedup_key":"disk-db-1","alert_id":9,"alert_new":true,"incident_id":42,"incident_new":true,"changed":true}`},
	})
	environ := map[string]string{"VIGIL_URL": f.srv.URL, "VIGIL_INTEGRATION_KEY": "vgi_secret"}
	r := vigilCLI(t, environ, "", "alert", "send", "--summary", "Disk 97% full", "--dedup-key", "disk-db-1",
		"--severity", "warning", "--source", "db-1",
		"--label", "host=db-1", "--label", "env=prod,eu", "--detail", "used=97%", "--detail", "query=a=b",
		"--link", "https://runbooks.example.com/disk|Runbook", "--link", "https://grafana.example.com/d/1")
	wantOK(t, r)
	req := f.only()
	wantCLIHeaders(t, req, "vgi_secret")
	jsonSame(t, req.body, `{"action":"trigger","dedup_key":"disk-db-1","summary":"Disk 97% full","severity":"warning","source":"db-1",
		"details":{"used":"97%","query":"a=b"},"labels":{"host":"db-1","env":"prod,eu"},
		"links":[{"href":"https://runbooks.example.com/disk","text":"Runbook"},{"href":"https://grafana.example.com/d/1"}]}`)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 2 || !regexp.MustCompile(`^trigger\s+disk-db-1\s+9\s+yes\s+#42\s+yes\s+yes$`).MatchString(lines[1]) {
		t.Errorf("stdout:\n%s", r.stdout)
	}

	// --key wins over the environment; JSON output is the event result.
	r = vigilCLI(t, environ, "", "alert", "send", "--key", "vgi_other", "--action", "resolve", "--dedup-key", "disk-db-1", "-o", "json")
	wantOK(t, r)
	reqs := f.requests()
	if got := reqs[1].header.Get("Authorization"); got != "Bearer vgi_other" {
		t.Errorf("Authorization %q", got)
	}
	var res map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil || res["alert_id"] != float64(9) {
		t.Errorf("json output %q", r.stdout)
	}
}

// With --service, the event goes to that service with the API token (of
// the ingest scope), not with an integration key from the environment.
func TestAlertSendWithToken(t *testing.T) {
	f := newAPIFake(t, map[string]answer{
		"POST /api/v1/services/3/events": {202, `{"action":"trigger","dedup_key":"backup","alert_id":9,"alert_new":true,"incident_id":42,"incident_new":true,"changed":true}`},
	})
	environ := map[string]string{"VIGIL_URL": f.srv.URL, "VIGIL_TOKEN": "vgt_ingest", "VIGIL_INTEGRATION_KEY": "vgi_secret"}
	r := vigilCLI(t, environ, "", "alert", "send", "--service", "3", "--summary", "Nightly backup failed", "--dedup-key", "backup")
	wantOK(t, r)
	req := f.only()
	wantCLIHeaders(t, req, "vgt_ingest")
	jsonSame(t, req.body, `{"action":"trigger","dedup_key":"backup","severity":"","source":"","summary":"Nightly backup failed"}`)
	if !strings.Contains(r.stdout, "#42") {
		t.Errorf("stdout %q", r.stdout)
	}
}

func TestAlertSendInputErrors(t *testing.T) {
	f := newAPIFake(t, nil)
	environ := map[string]string{"VIGIL_URL": f.srv.URL, "VIGIL_INTEGRATION_KEY": "vgi_secret"}
	for _, tt := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"--summary", "x"}, map[string]string{"VIGIL_URL": f.srv.URL, "VIGIL_TOKEN": "vgt_not_a_key"}, "error: no integration key: set VIGIL_INTEGRATION_KEY"},
		{[]string{"--dedup-key", "k"}, environ, "error: --summary is required"},
		{[]string{"--summary", "x", "--key", "vgi_x", "--service", "3"}, environ, "error: --key and --service are exclusive"},
		{[]string{"--summary", "x", "--service", "3"}, map[string]string{"VIGIL_URL": f.srv.URL}, "error: no API token"},
		{[]string{"--summary", "x", "--label", "novalue"}, environ, `error: invalid --label "novalue": want name=value`},
		{[]string{"--summary", "x", "--link", "javascript:alert(1)"}, environ, "error: invalid --link"},
		{[]string{"--summary", "x", "--action", "snooze"}, environ, `error: invalid --action "snooze"`},
		{[]string{"--summary", "x", "--severity", "sev1"}, environ, `error: invalid severity "sev1"`},
	} {
		r := vigilCLI(t, tt.env, "", append([]string{"alert", "send"}, tt.args...)...)
		if r.code == 0 || !strings.HasPrefix(r.stderr, tt.want) {
			t.Errorf("%v: exit %d stderr %q, want %q", tt.args, r.code, r.stderr, tt.want)
		}
	}
	if n := len(f.requests()); n != 0 {
		t.Errorf("%d requests sent for bad input", n)
	}
}

func TestMissingToken(t *testing.T) {
	f := newAPIFake(t, nil)
	for _, args := range [][]string{
		{"incident", "list"}, {"incident", "ack", "42"}, {"service", "list"},
		{"integration-key", "list", "--service", "3"}, {"alert", "list"},
	} {
		r := vigilCLI(t, map[string]string{"VIGIL_URL": f.srv.URL}, "", args...)
		if r.code == 0 || r.stdout != "" ||
			r.stderr != "error: no API token: set VIGIL_TOKEN or pass --token (an admin mints one with `vigil admin token create`)\n" {
			t.Errorf("%v: exit %d stdout %q stderr %q", args, r.code, r.stdout, r.stderr)
		}
	}
	if n := len(f.requests()); n != 0 {
		t.Errorf("%d requests sent without a token", n)
	}
}

func TestFlagsOverrideEnvironment(t *testing.T) {
	f := newAPIFake(t, map[string]answer{"GET /api/v1/services": {200, `{"items":[],"total":0}`}})
	environ := map[string]string{"VIGIL_URL": "http://127.0.0.1:1", "VIGIL_TOKEN": "vgt_env"}
	r := vigilCLI(t, environ, "", "service", "list", "--url", f.srv.URL+"/", "--token", "vgt_flag")
	wantOK(t, r)
	wantCLIHeaders(t, f.only(), "vgt_flag")

	r = vigilCLI(t, map[string]string{"VIGIL_URL": "ftp://x", "VIGIL_TOKEN": "t"}, "", "service", "list")
	if r.code == 0 || !strings.Contains(r.stderr, `error: invalid server address "ftp://x"`) {
		t.Errorf("exit %d stderr %q", r.code, r.stderr)
	}
	r = vigilCLI(t, envFor(f), "", "service", "list", "-o", "yaml")
	if r.code == 0 || !strings.Contains(r.stderr, `error: invalid output format "yaml"`) {
		t.Errorf("exit %d stderr %q", r.code, r.stderr)
	}
}

func TestAPIErrorRendering(t *testing.T) {
	f := newAPIFake(t, map[string]answer{
		"POST /api/v1/services":                 {400, `{"error":{"code":"invalid","message":"must be between 0 and 168h","field":"grouping.window"}}`},
		"POST /api/v1/incidents/42/reopen":      {409, `{"error":{"code":"conflict","message":"incident #42 is not resolved"}}`},
		"GET /api/v1/incidents/99":              {404, `{"error":{"code":"not_found","message":"incident #99 not found"}}`},
		"POST /api/v1/incidents/42/acknowledge": {502, `<html>bad gateway</html>`},
	})
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"service", "create", "--name", "x", "--group-window", "200h"}, "error: must be between 0 and 168h (field: grouping.window)\n"},
		{[]string{"incident", "reopen", "42"}, "error: incident #42 is not resolved\n"},
		{[]string{"incident", "show", "99"}, "error: incident #99 not found\n"},
		{[]string{"incident", "ack", "42"}, "error: HTTP 502 Bad Gateway: <html>bad gateway</html>\n"},
	} {
		r := vigilCLI(t, envFor(f), "", tt.args...)
		if r.code != 1 || r.stderr != tt.want || r.stdout != "" {
			t.Errorf("%v: exit %d stderr %q stdout %q, want stderr %q", tt.args, r.code, r.stderr, r.stdout, tt.want)
		}
	}
}

func TestServerUnreachable(t *testing.T) {
	f := newAPIFake(t, nil)
	environ := envFor(f)
	f.srv.Close()
	r := vigilCLI(t, environ, "", "incident", "list")
	if r.code == 0 || !strings.HasPrefix(r.stderr, "error: GET "+f.srv.URL+"/api/v1/incidents") ||
		!strings.Contains(r.stderr, "is Vigil running there? set --url or VIGIL_URL") {
		t.Errorf("exit %d stderr %q", r.code, r.stderr)
	}
}

func TestServiceCommands(t *testing.T) {
	svc := `{"id":3,"name":"payments","description":"Checkout\nand billing","grouping":{"mode":"labels","labels":["cluster","ns"]},
		"auto_resolve":false,"created_at":"` + created + `","updated_at":"` + created + `"}`
	f := newAPIFake(t, map[string]answer{
		"GET /api/v1/services":  {200, `{"items":[` + svc + `],"total":1}`},
		"POST /api/v1/services": {201, svc},
	})
	r := vigilCLI(t, envFor(f), "", "service", "list")
	wantOK(t, r)
	if !regexp.MustCompile(`(?m)^3\s+payments\s+labels cluster,ns\s+no\s+\d+m ago\s+Checkout$`).MatchString(r.stdout) {
		t.Errorf("list:\n%s", r.stdout)
	}

	r = vigilCLI(t, envFor(f), "", "service", "create", "--name", "payments", "--description", "Checkout",
		"--group-labels", "cluster,ns", "--no-auto-resolve")
	wantOK(t, r)
	reqs := f.requests()
	jsonSame(t, reqs[1].body, `{"name":"payments","description":"Checkout","grouping":{"mode":"labels","labels":["cluster","ns"]},"auto_resolve":false}`)
	if !strings.Contains(r.stdout, "Created service 3: payments") {
		t.Errorf("create: %q", r.stdout)
	}

	r = vigilCLI(t, envFor(f), "", "service", "create", "--name", "api", "--grouping", "time", "--group-window", "10m")
	wantOK(t, r)
	jsonSame(t, f.requests()[2].body, `{"name":"api","grouping":{"mode":"time","window":"10m0s"}}`)

	r = vigilCLI(t, envFor(f), "", "service", "create", "--name", "api", "--grouping", "labels")
	if r.code == 0 || !strings.Contains(r.stderr, "--grouping labels needs --group-labels") {
		t.Errorf("exit %d stderr %q", r.code, r.stderr)
	}
}

func TestIntegrationKeyCommands(t *testing.T) {
	f := newAPIFake(t, map[string]answer{
		"POST /api/v1/services/3/integration-keys": {201, `{"id":7,"service_id":3,"name":"prometheus","prefix":"vgi_abcdef","created_at":"` + created + `","secret":"vgi_abcdefsecret"}`},
		"GET /api/v1/services/3/integration-keys": {200, `{"items":[
			{"id":7,"service_id":3,"name":"prometheus","prefix":"vgi_abcdef","created_at":"` + created + `"},
			{"id":6,"service_id":3,"name":"old","prefix":"vgi_zzzzzz","created_at":"` + created + `","revoked_at":"` + created + `"}]}`},
		"DELETE /api/v1/services/3/integration-keys/7": {204, ``},
	})
	r := vigilCLI(t, envFor(f), "", "integration-key", "create", "--service", "3", "--name", "prometheus")
	wantOK(t, r)
	jsonSame(t, f.requests()[0].body, `{"name":"prometheus"}`)
	for _, want := range []string{
		"Created integration key 7 (prometheus) for service 3.", "\n  vgi_abcdefsecret\n",
		"curl -sS -X POST '" + f.srv.URL + "/api/v1/events'", "-H 'Authorization: Bearer vgi_abcdefsecret'",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("create output lacks %q:\n%s", want, r.stdout)
		}
	}

	r = vigilCLI(t, envFor(f), "", "integration-key", "list", "--service", "3")
	wantOK(t, r)
	if !regexp.MustCompile(`(?m)^7\s+prometheus\s+vgi_abcdef…\s+active\s+\d+m ago$`).MatchString(r.stdout) ||
		!regexp.MustCompile(`(?m)^6\s+old\s+vgi_zzzzzz…\s+revoked \d+m ago`).MatchString(r.stdout) {
		t.Errorf("list:\n%s", r.stdout)
	}
	if strings.Contains(r.stdout, "secret") {
		t.Errorf("list shows a secret")
	}

	r = vigilCLI(t, envFor(f), "", "integration-key", "revoke", "--service", "3", "7")
	wantOK(t, r)
	if last := f.requests()[2]; last.method != "DELETE" || last.path != "/api/v1/services/3/integration-keys/7" {
		t.Errorf("revoke request %s %s", last.method, last.path)
	}
	if r.stdout != "Revoked integration key 7 of service 3.\n" {
		t.Errorf("revoke: %q", r.stdout)
	}
}

func TestAlertListAndShow(t *testing.T) {
	alert := `{"id":9,"service_id":3,"incident_id":42,"dedup_key":"disk","summary":"Disk full","details":{"used":"97%"},
		"labels":{"host":"db-1"},"links":[{"href":"https://runbook.example.com","text":"Runbook"}],"severity":"warning","source":"db-1",
		"status":"firing","first_seen":"` + created + `","last_seen":"` + created + `","occurrences":2}`
	f := newAPIFake(t, map[string]answer{
		"GET /api/v1/alerts":   {200, `{"items":[` + alert + `],"total":1}`},
		"GET /api/v1/alerts/9": {200, alert},
	})
	r := vigilCLI(t, envFor(f), "", "alert", "list", "--incident", "#42", "--status", "firing")
	wantOK(t, r)
	if q := f.requests()[0].query; q.Get("incident_id") != "42" || q.Get("status") != "firing" {
		t.Errorf("query %v", q)
	}
	if !regexp.MustCompile(`(?m)^9\s+firing\s+warning\s+#42\s+3\s+2\s+\d+m ago\s+disk\s+Disk full$`).MatchString(r.stdout) {
		t.Errorf("list:\n%s", r.stdout)
	}
	r = vigilCLI(t, envFor(f), "", "alert", "show", "9")
	wantOK(t, r)
	for _, want := range []string{"Alert 9: Disk full", "host  db-1", `"used": "97%"`, "Runbook: https://runbook.example.com"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("show lacks %q:\n%s", want, r.stdout)
		}
	}
}

func TestParseWhen(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"90s":                  now.Add(-90 * time.Second),
		"2h":                   now.Add(-2 * time.Hour),
		"7d":                   now.Add(-7 * 24 * time.Hour),
		"1d12h":                now.Add(-36 * time.Hour),
		"2026-03-01T08:00:00Z": time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC),
		"2026-03-01":           time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC),
	} {
		got, err := parseWhen("--since", in, now)
		if err != nil || !got.Equal(want) {
			t.Errorf("parseWhen(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"yesterday", "-2h", "d", "xd"} {
		if _, err := parseWhen("--since", in, now); err == nil {
			t.Errorf("parseWhen(%q) accepted", in)
		}
	}
}

func TestAgo(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	for d, want := range map[time.Duration]string{
		5 * time.Second: "5s ago", 3 * time.Minute: "3m ago", 5 * time.Hour: "5h ago", 72 * time.Hour: "3d ago", -time.Minute: "just now",
	} {
		if got := ago(now.Add(-d), now); got != want {
			t.Errorf("ago(-%v) = %q, want %q", d, got, want)
		}
	}
}

// startServer starts the real app on a free loopback port with cfg and
// shuts it down at the end of the test.
func startServer(t *testing.T, cfg app.Config) *app.App {
	t.Helper()
	cfg.Addr = "127.0.0.1:0"
	a, err := app.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		a.Shutdown(sctx)
	})
	return a
}

// cliSession runs CLI commands against one server with one environment.
type cliSession struct {
	t       *testing.T
	environ map[string]string
}

// in runs a command with stdin and returns its output; it must succeed.
func (s cliSession) in(stdin string, args ...string) string {
	s.t.Helper()
	r := vigilCLI(s.t, s.environ, stdin, args...)
	wantOK(s.t, r)
	return r.stdout
}

// run is in without stdin.
func (s cliSession) run(args ...string) string {
	s.t.Helper()
	return s.in("", args...)
}

// fails runs a command that must fail with want in its error output.
func (s cliSession) fails(want string, args ...string) {
	s.t.Helper()
	r := vigilCLI(s.t, s.environ, "", args...)
	if r.code == 0 || !strings.Contains(r.stderr, want) {
		s.t.Errorf("%v: exit %d, stderr %q, want an error with %q", args, r.code, r.stderr, want)
	}
}

// must fails the test unless out matches pattern.
func (s cliSession) must(out, pattern string) {
	s.t.Helper()
	if !regexp.MustCompile(pattern).MatchString(out) {
		s.t.Errorf("output does not match %s:\n%s", pattern, out)
	}
}
