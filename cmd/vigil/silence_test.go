package main

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"
)

var (
	silenceEnds = time.Now().Add(2 * time.Hour).UTC().Format(time.RFC3339)
	silence5    = `{"id":5,"uuid":"3f0c1b9e-2d4a-4c8e-9f00-0123456789ab","matchers":[{"name":"alertname","value":"DiskFull","is_regex":false,"is_equal":true},
		{"name":"instance","value":"db-.*","is_regex":true,"is_equal":true}],"starts_at":"2026-01-02T03:04:05Z","ends_at":"` + silenceEnds + `",
		"created_by":"ops","comment":"disk swap","expire_on_resolve":false,"created_at":"2026-01-02T03:04:05Z","updated_at":"2026-01-02T03:04:05Z",
		"state":"active","unused":true}`
)

func TestSilenceAdd(t *testing.T) {
	f := newAPIFake(t, map[string]answer{"POST /api/v1/silences": {201, silence5}})
	r := vigilCLI(t, envFor(f), "", "silence", "add", "DiskFull", `instance=~"db-.*"`, "--matcher", "env!=dev",
		"--duration", "2h", "--comment", "disk swap", "--expire-on-resolve")
	wantOK(t, r)
	if !strings.Contains(r.stdout, "Silence 5 created (3f0c1b9e-2d4a-4c8e-9f00-0123456789ab), active until") {
		t.Errorf("stdout %q", r.stdout)
	}
	req := f.only()
	wantCLIHeaders(t, req, "vgt_test")
	jsonSame(t, req.body, `{"matchers":["alertname=\"DiskFull\"","instance=~\"db-.*\"","env!=\"dev\""],"duration":"2h0m0s",
		"comment":"disk swap","expire_on_resolve":true}`)
}

func TestSilenceAddEndAndService(t *testing.T) {
	f := newAPIFake(t, map[string]answer{
		"POST /api/v1/silences": {201, silence5},
		"GET /api/v1/services":  {200, `{"items":[{"id":3,"name":"payments"}],"total":1}`},
	})
	r := vigilCLI(t, envFor(f), "", "silence", "add", "-m", `alertname="Backup failed"`, "--end", "2030-05-01T06:00:00Z",
		"--start", "2030-05-01T02:00:00Z", "--service", "payments", "-c", "NAS migration", "--author", "ana", "-o", "json")
	wantOK(t, r)
	var got map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || got["uuid"] != "3f0c1b9e-2d4a-4c8e-9f00-0123456789ab" {
		t.Errorf("JSON output %q (%v)", r.stdout, err)
	}
	reqs := f.requests()
	jsonSame(t, reqs[len(reqs)-1].body, `{"matchers":["alertname=\"Backup failed\""],"starts_at":"2030-05-01T02:00:00Z",
		"ends_at":"2030-05-01T06:00:00Z","created_by":"ana","comment":"NAS migration","service_id":3}`)
}

func TestSilenceAddRefusesBeforeSending(t *testing.T) {
	f := newAPIFake(t, map[string]answer{})
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"silence", "add", "--comment", "x"}, "no matchers"},
		{[]string{"silence", "add", "a=b", "c", "--comment", "x"}, `invalid matcher "c"`},
		{[]string{"silence", "add", `a=~"("`, "--comment", "x"}, "invalid matcher"},
		{[]string{"silence", "add", "a=b"}, "--comment is required"},
		{[]string{"silence", "add", "a=b", "-c", "x", "--duration", "soon"}, "invalid --duration"},
		{[]string{"silence", "add", "a=b", "-c", "x", "--duration", "2h", "--end", "2030-01-01T00:00:00Z"}, "not both"},
		{[]string{"silence", "add", "a=b", "-c", "x", "--end", "tomorrow"}, "invalid --end"},
		{[]string{"silence", "expire"}, "at least one silence"},
		{[]string{"silence", "expire", "abc"}, `invalid silence "abc"`},
		{[]string{"silence", "list", "--state", "muted"}, "invalid --state"},
	} {
		r := vigilCLI(t, envFor(f), "", c.args...)
		if r.code == 0 || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", c.args, r.code, r.stderr, c.want)
		}
	}
	if n := len(f.requests()); n != 0 {
		t.Errorf("%d requests sent for refused commands", n)
	}
}

func TestSilenceAddServerError(t *testing.T) {
	f := newAPIFake(t, map[string]answer{"POST /api/v1/silences": {400,
		`{"error":{"code":"invalid","message":"at least one matcher must not match the empty string (an absent label)","field":"matchers"}}`}})
	r := vigilCLI(t, envFor(f), "", "silence", "add", `env!="prod"`, "-c", "x")
	if r.code != 1 || !strings.Contains(r.stderr, "error: at least one matcher must not match the empty string (an absent label) (field: matchers)") {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestSilenceList(t *testing.T) {
	f := newAPIFake(t, map[string]answer{"GET /api/v1/silences": {200, `{"items":[` + silence5 + `],"total":3,"offset":0,"limit":1}`}})
	r := vigilCLI(t, envFor(f), "", "silence", "list", "--limit", "1")
	wantOK(t, r)
	lines := strings.Split(strings.TrimRight(r.stdout, "\n"), "\n")
	if len(lines) != 2 || !regexp.MustCompile(`^ID\s+UUID\s+STATE\s+STARTS\s+ENDS\s+MATCHERS\s+SERVICE\s+CREATED BY\s+COMMENT$`).MatchString(lines[0]) {
		t.Fatalf("table:\n%s", r.stdout)
	}
	if !regexp.MustCompile(`^5\s+3f0c1b9e-\S+\s+active \(unused\)\s+\S+ ago\s+in 1h\s+alertname="DiskFull" instance=~"db-\.\*"\s+all\s+ops\s+disk swap$`).MatchString(lines[1]) {
		t.Errorf("row %q", lines[1])
	}
	if !strings.Contains(r.stderr, "Showing 1-1 of 3 silences") {
		t.Errorf("stderr %q", r.stderr)
	}
	if q := f.only().query; q.Get("state") != "active,pending" || q.Get("limit") != "1" {
		t.Errorf("query %v: by default active and pending", q)
	}

	f = newAPIFake(t, map[string]answer{"GET /api/v1/silences": {200, `{"items":[],"total":0}`}})
	r = vigilCLI(t, envFor(f), "", "silence", "list", "--expired", "--unused", "7d")
	wantOK(t, r)
	if q := f.only().query; q.Get("state") != "expired" || q.Get("unused_for") != "168h0m0s" {
		t.Errorf("query %v", q)
	}
	if !strings.Contains(r.stderr, "No silences found.") {
		t.Errorf("stderr %q", r.stderr)
	}
}

func TestSilenceExpireAndShow(t *testing.T) {
	expired := strings.Replace(silence5, `"state":"active"`, `"state":"expired"`, 1)
	f := newAPIFake(t, map[string]answer{
		"DELETE /api/v1/silences/3f0c1b9e-2d4a-4c8e-9f00-0123456789ab": {200, expired},
		"DELETE /api/v1/silences/5":                                    {200, expired},
		"GET /api/v1/silences/5":                                       {200, silence5},
	})
	// As amtool prints it, and as Vigil numbers it.
	r := vigilCLI(t, envFor(f), "", "silence", "expire", "3F0C1B9E-2D4A-4C8E-9F00-0123456789AB", "#5")
	wantOK(t, r)
	if strings.Count(r.stdout, "Silence 5 (3f0c1b9e-2d4a-4c8e-9f00-0123456789ab) expired.") != 2 {
		t.Errorf("stdout %q", r.stdout)
	}
	reqs := f.requests()
	if len(reqs) != 2 || reqs[0].method != "DELETE" || reqs[0].path != "/api/v1/silences/3f0c1b9e-2d4a-4c8e-9f00-0123456789ab" || reqs[1].path != "/api/v1/silences/5" {
		t.Errorf("requests %+v", reqs)
	}
	r = vigilCLI(t, envFor(f), "", "silence", "show", "5")
	wantOK(t, r)
	for _, s := range []string{regexp.QuoteMeta("Silence 5 (3f0c1b9e-2d4a-4c8e-9f00-0123456789ab): active"), `Matcher:\s+instance=~"db-.*"`,
		`Ends:\s+\S+ \(in 1h\)`, `Last matched:\s+never`, `Unused:\s+yes`} {
		if !regexp.MustCompile(s).MatchString(r.stdout) {
			t.Errorf("show lacks %s:\n%s", s, r.stdout)
		}
	}
	f.set("DELETE /api/v1/silences/6", answer{404, `{"error":{"code":"not_found","message":"silence 6 not found"}}`})
	r = vigilCLI(t, envFor(f), "", "silence", "expire", "6")
	if r.code != 1 || !strings.Contains(r.stderr, "silence 6 not found") {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
}

// A held alert has no incident: alert list says which silence holds it.
func TestAlertListShowsSilenced(t *testing.T) {
	f := newAPIFake(t, map[string]answer{"GET /api/v1/alerts": {200, `{"items":[{"id":9,"service_id":3,"dedup_key":"disk","summary":"Disk full",
		"severity":"critical","status":"firing","labels":{},"links":[],"first_seen":"2026-01-02T03:04:05Z","last_seen":"2026-01-02T03:04:05Z",
		"occurrences":1,"silenced_by":5}],"total":1}`}})
	r := vigilCLI(t, envFor(f), "", "alert", "list")
	wantOK(t, r)
	if !regexp.MustCompile(`\n9\s+firing\s+critical\s+silenced by 5\s+3\s`).MatchString(r.stdout) {
		t.Errorf("alert list:\n%s", r.stdout)
	}
}
