package client

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// recorded is one request the fake server saw.
type recorded struct {
	Method, Path, RawQuery string
	Header                 http.Header
	Body                   string
}

// fake answers every request with status and body and records it.
type fake struct {
	t      *testing.T
	srv    *httptest.Server
	mu     sync.Mutex
	reqs   []recorded
	status int
	body   string
	conns  atomic.Int32
}

func newFake(t *testing.T, status int, body string) *fake {
	t.Helper()
	f := &fake{t: t, status: status, body: body}
	f.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.reqs = append(f.reqs, recorded{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Clone(), string(b)})
		status, body := f.status, f.body
		f.mu.Unlock()
		if body != "" {
			w.Header().Set("Content-Type", "application/json")
		}
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	f.srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			f.conns.Add(1)
		}
	}
	f.srv.Start()
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fake) last() recorded {
	f.t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.reqs) == 0 {
		f.t.Fatal("no request reached the server")
	}
	return f.reqs[len(f.reqs)-1]
}

func jsonEqual(t *testing.T, got, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Fatalf("request body %q is not JSON: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad want %q: %v", want, err)
	}
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	if string(gb) != string(wb) {
		t.Errorf("request body\n got %s\nwant %s", gb, wb)
	}
}

const incidentJSON = `{"id":42,"title":"DB down","description":"","service_id":3,"service_name":"payments",
"severity":"critical","status":"triggered","alert_count":2,"created_at":"2026-01-02T03:04:05Z","created_by":"prom",
"updated_at":"2026-01-02T03:04:05Z"}`

func TestRequests(t *testing.T) {
	ctx := context.Background()
	since := time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("x", 3600))
	tests := []struct {
		name   string
		status int
		resp   string
		call   func(c *Client) error
		method string
		path   string
		query  string // raw, as sent
		body   string // JSON, compared semantically; "" means no body
		bearer string
	}{
		{
			name: "list incidents with every filter", status: 200,
			resp: `{"items":[` + incidentJSON + `],"total":7,"offset":5,"limit":1}`,
			call: func(c *Client) error {
				items, total, err := c.ListIncidents(ctx, IncidentQuery{
					Statuses: []string{"triggered", "acknowledged"}, ServiceID: 3, Severity: vigil.SeverityCritical,
					Since: since, Until: since.Add(time.Hour), Query: "db down", Offset: 5, Limit: 1,
				})
				if err != nil {
					return err
				}
				if total != 7 || len(items) != 1 || items[0].ID != 42 || items[0].ServiceName != "payments" ||
					!items[0].CreatedAt.Equal(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)) {
					t.Errorf("got %d %+v", total, items)
				}
				return nil
			},
			method: "GET", path: "/api/v1/incidents",
			query:  "limit=1&offset=5&q=db+down&service_id=3&severity=critical&since=2026-01-02T02%3A04%3A05Z&status=triggered%2Cacknowledged&until=2026-01-02T03%3A04%3A05Z",
			bearer: "tok",
		},
		{
			name: "list incidents without filters", status: 200, resp: `{"items":null,"total":0}`,
			call: func(c *Client) error {
				items, _, err := c.ListIncidents(ctx, IncidentQuery{})
				if items == nil || len(items) != 0 {
					t.Errorf("items = %#v, want empty non-nil", items)
				}
				return err
			},
			method: "GET", path: "/api/v1/incidents", bearer: "tok",
		},
		{
			name: "get incident with alerts", status: 200,
			resp: strings.TrimSuffix(incidentJSON, "}") + `,"alerts":[{"id":9,"service_id":3,"incident_id":42,"dedup_key":"k","summary":"s","labels":{"a":"b"},"links":[],"severity":"critical","source":"","status":"firing","first_seen":"2026-01-02T03:04:05Z","last_seen":"2026-01-02T03:04:05Z","occurrences":3}]}`,
			call: func(c *Client) error {
				inc, alerts, err := c.GetIncident(ctx, 42)
				if err != nil {
					return err
				}
				if inc.ID != 42 || inc.Title != "DB down" || len(alerts) != 1 || alerts[0].Labels["a"] != "b" || alerts[0].Occurrences != 3 {
					t.Errorf("got %+v %+v", inc, alerts)
				}
				return nil
			},
			method: "GET", path: "/api/v1/incidents/42", bearer: "tok",
		},
		{
			name: "declare", status: 201, resp: incidentJSON,
			call: func(c *Client) error {
				_, err := c.DeclareIncident(ctx, vigil.IncidentDeclaration{ServiceID: 3, Title: "DB down", Severity: "critical"})
				return err
			},
			method: "POST", path: "/api/v1/incidents", body: `{"service_id":3,"title":"DB down","severity":"critical"}`, bearer: "tok",
		},
		{
			name: "acknowledge", status: 200, resp: incidentJSON,
			call:   func(c *Client) error { _, err := c.AcknowledgeIncident(ctx, 42); return err },
			method: "POST", path: "/api/v1/incidents/42/acknowledge", bearer: "tok",
		},
		{
			name: "resolve", status: 200, resp: incidentJSON,
			call:   func(c *Client) error { _, err := c.ResolveIncident(ctx, 42); return err },
			method: "POST", path: "/api/v1/incidents/42/resolve", bearer: "tok",
		},
		{
			name: "reopen", status: 200, resp: incidentJSON,
			call:   func(c *Client) error { _, err := c.ReopenIncident(ctx, 42); return err },
			method: "POST", path: "/api/v1/incidents/42/reopen", bearer: "tok",
		},
		{
			name: "update incident", status: 200, resp: incidentJSON,
			call: func(c *Client) error {
				sev := vigil.SeverityWarning
				_, err := c.UpdateIncident(ctx, 42, vigil.IncidentUpdate{Severity: &sev})
				return err
			},
			method: "PATCH", path: "/api/v1/incidents/42", body: `{"severity":"warning"}`, bearer: "tok",
		},
		{
			name: "add note", status: 201,
			resp: `{"id":5,"incident_id":42,"at":"2026-01-02T03:04:05Z","kind":"note","actor":"ops","actor_kind":"token","source":"cli","message":"looking"}`,
			call: func(c *Client) error {
				e, err := c.AddNote(ctx, 42, "looking")
				if err == nil && (e.ID != 5 || e.Source != "cli" || e.Message != "looking") {
					t.Errorf("entry %+v", e)
				}
				return err
			},
			method: "POST", path: "/api/v1/incidents/42/notes", body: `{"body":"looking"}`, bearer: "tok",
		},
		{
			name: "timeline", status: 200,
			resp: `{"items":[{"id":1,"incident_id":42,"at":"2026-01-02T03:04:05Z","kind":"created","actor":"vigil","actor_kind":"system","source":"system","message":"opened"}],"total":1}`,
			call: func(c *Client) error {
				items, err := c.Timeline(ctx, 42)
				if err == nil && (len(items) != 1 || items[0].Kind != vigil.EntryCreated) {
					t.Errorf("timeline %+v", items)
				}
				return err
			},
			method: "GET", path: "/api/v1/incidents/42/timeline", bearer: "tok",
		},
		{
			name: "list services", status: 200,
			resp: `{"items":[{"id":3,"name":"payments","description":"","grouping":{"mode":"time","window":"5m0s"},"auto_resolve":true,"created_at":"2026-01-02T03:04:05Z","updated_at":"2026-01-02T03:04:05Z"}],"total":1,"offset":0,"limit":50}`,
			call: func(c *Client) error {
				items, total, err := c.ListServices(ctx, ServiceQuery{Name: "pay", Limit: 10})
				if err == nil && (total != 1 || items[0].Grouping.Window != vigil.Duration(5*time.Minute)) {
					t.Errorf("services %+v", items[0])
				}
				return err
			},
			method: "GET", path: "/api/v1/services", query: "limit=10&name=pay", bearer: "tok",
		},
		{
			name: "create service", status: 201, resp: `{"id":3,"name":"payments"}`,
			call: func(c *Client) error {
				on := false
				s, err := c.CreateService(ctx, ServiceCreate{Name: "payments", Description: "d",
					Grouping: vigil.GroupingRule{Mode: "labels", Labels: []string{"cluster"}}, AutoResolve: &on})
				if err == nil && s.ID != 3 {
					t.Errorf("service %+v", s)
				}
				return err
			},
			method: "POST", path: "/api/v1/services",
			body:   `{"name":"payments","description":"d","grouping":{"mode":"labels","labels":["cluster"]},"auto_resolve":false}`,
			bearer: "tok",
		},
		{
			name: "create service with default grouping", status: 201, resp: `{"id":3,"name":"payments"}`,
			call: func(c *Client) error {
				_, err := c.CreateService(ctx, ServiceCreate{Name: "payments"})
				return err
			},
			method: "POST", path: "/api/v1/services", body: `{"name":"payments","grouping":{"mode":""}}`, bearer: "tok",
		},
		{
			name: "get service", status: 200, resp: `{"id":3,"name":"payments"}`,
			call:   func(c *Client) error { _, err := c.GetService(ctx, 3); return err },
			method: "GET", path: "/api/v1/services/3", bearer: "tok",
		},
		{
			name: "update service", status: 200, resp: `{"id":3,"name":"pay"}`,
			call: func(c *Client) error {
				name := "pay"
				_, err := c.UpdateService(ctx, 3, vigil.ServiceUpdate{Name: &name})
				return err
			},
			method: "PATCH", path: "/api/v1/services/3", body: `{"name":"pay"}`, bearer: "tok",
		},
		{
			name: "delete service", status: 204,
			call:   func(c *Client) error { return c.DeleteService(ctx, 3) },
			method: "DELETE", path: "/api/v1/services/3", bearer: "tok",
		},
		{
			name: "create integration key", status: 201,
			resp: `{"id":7,"service_id":3,"name":"prom","prefix":"vgi_abcdef","created_at":"2026-01-02T03:04:05Z","secret":"vgi_abcdefsecret"}`,
			call: func(c *Client) error {
				k, err := c.CreateIntegrationKey(ctx, 3, "prom")
				if err == nil && k.Secret != "vgi_abcdefsecret" {
					t.Errorf("key %+v", k)
				}
				return err
			},
			method: "POST", path: "/api/v1/services/3/integration-keys", body: `{"name":"prom"}`, bearer: "tok",
		},
		{
			name: "list integration keys", status: 200, resp: `{"items":[{"id":7,"service_id":3,"name":"prom","prefix":"vgi_abcdef"}]}`,
			call: func(c *Client) error {
				ks, err := c.ListIntegrationKeys(ctx, 3)
				if err == nil && (len(ks) != 1 || ks[0].ID != 7) {
					t.Errorf("keys %+v", ks)
				}
				return err
			},
			method: "GET", path: "/api/v1/services/3/integration-keys", bearer: "tok",
		},
		{
			name: "revoke integration key", status: 204,
			call:   func(c *Client) error { return c.RevokeIntegrationKey(ctx, 3, 7) },
			method: "DELETE", path: "/api/v1/services/3/integration-keys/7", bearer: "tok",
		},
		{
			name: "list alerts", status: 200, resp: `{"items":[],"total":0}`,
			call: func(c *Client) error {
				_, _, err := c.ListAlerts(ctx, AlertQuery{ServiceID: 3, IncidentID: 42, Status: "firing", DedupKey: "k 1", Offset: 2, Limit: 3})
				return err
			},
			method: "GET", path: "/api/v1/alerts", query: "dedup_key=k+1&incident_id=42&limit=3&offset=2&service_id=3&status=firing", bearer: "tok",
		},
		{
			name: "get alert", status: 200, resp: `{"id":9,"summary":"s"}`,
			call: func(c *Client) error {
				a, err := c.GetAlert(ctx, 9)
				if err == nil && a.Summary != "s" {
					t.Errorf("alert %+v", a)
				}
				return err
			},
			method: "GET", path: "/api/v1/alerts/9", bearer: "tok",
		},
		{
			name: "send event uses the integration key", status: 202,
			resp: `{"action":"trigger","dedup_key":"disk","alert_id":9,"alert_new":true,"incident_id":42,"incident_new":true,"changed":true}`,
			call: func(c *Client) error {
				r, err := c.SendEvent(ctx, "vgi_key", vigil.Event{
					Summary: "disk full", DedupKey: "disk", Action: "trigger", Severity: "warning", Source: "host1",
					Details: json.RawMessage(`{"used":"97%"}`), Labels: map[string]string{"env": "prod"},
					Links: []vigil.Link{{Href: "https://runbook", Text: "Runbook"}},
				})
				want := vigil.EventResult{Action: "trigger", DedupKey: "disk", AlertID: 9, AlertNew: true, IncidentID: 42, IncidentNew: true, Changed: true}
				if err == nil && r != want {
					t.Errorf("result %+v", r)
				}
				return err
			},
			method: "POST", path: "/api/v1/events",
			body: `{"summary":"disk full","dedup_key":"disk","action":"trigger","severity":"warning","source":"host1",
				"details":{"used":"97%"},"labels":{"env":"prod"},"links":[{"href":"https://runbook","text":"Runbook"}]}`,
			bearer: "vgi_key",
		},
		{
			name: "send batch", status: 202,
			resp: `{"results":[{"index":0,"action":"trigger","dedup_key":"a","alert_id":1,"alert_new":true,"incident_id":2,"changed":true},
				{"index":1,"error":{"code":"invalid","message":"is required for a trigger","field":"summary"}}]}`,
			call: func(c *Client) error {
				rs, err := c.SendEvents(ctx, "vgi_key", []vigil.Event{{Summary: "a", DedupKey: "a"}, {DedupKey: "b"}})
				if err != nil {
					return err
				}
				if len(rs) != 2 || rs[0].Err != nil || rs[0].AlertID != 1 || rs[1].Index != 1 ||
					vigil.ErrorCode(rs[1].Err) != vigil.CodeInvalid || vigil.ErrorField(rs[1].Err) != "summary" {
					t.Errorf("results %+v", rs)
				}
				return nil
			},
			method: "POST", path: "/api/v1/events",
			body:   `[{"summary":"a","dedup_key":"a","action":"","severity":"","source":""},{"summary":"","dedup_key":"b","action":"","severity":"","source":""}]`,
			bearer: "vgi_key",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, tt.status, tt.resp)
			c := New(f.srv.URL+"/", "tok", WithSource(vigil.SourceCLI))
			if err := tt.call(c); err != nil {
				t.Fatalf("call: %v", err)
			}
			r := f.last()
			if r.Method != tt.method || r.Path != tt.path || r.RawQuery != tt.query {
				t.Errorf("request %s %s?%s, want %s %s?%s", r.Method, r.Path, r.RawQuery, tt.method, tt.path, tt.query)
			}
			if got := r.Header.Get("Authorization"); got != "Bearer "+tt.bearer {
				t.Errorf("Authorization %q, want Bearer %s", got, tt.bearer)
			}
			if got := r.Header.Get(SourceHeader); got != "cli" {
				t.Errorf("%s = %q, want cli", SourceHeader, got)
			}
			if tt.body == "" {
				if r.Body != "" {
					t.Errorf("unexpected body %q", r.Body)
				}
			} else {
				if ct := r.Header.Get("Content-Type"); ct != "application/json" {
					t.Errorf("Content-Type %q", ct)
				}
				jsonEqual(t, r.Body, tt.body)
			}
		})
	}
}

func TestNoSourceHeaderByDefaultAndNoToken(t *testing.T) {
	f := newFake(t, 200, `{"items":[],"total":0}`)
	if _, _, err := New(f.srv.URL, "").ListServices(context.Background(), ServiceQuery{}); err != nil {
		t.Fatal(err)
	}
	r := f.last()
	if _, ok := r.Header[SourceHeader]; ok {
		t.Errorf("%s sent without WithSource", SourceHeader)
	}
	if _, ok := r.Header["Authorization"]; ok {
		t.Errorf("Authorization sent without a token")
	}
}

func TestBaseURLPathPrefix(t *testing.T) {
	f := newFake(t, 200, `{"id":9}`)
	if _, err := New(f.srv.URL+"/vigil/", "tok").GetAlert(context.Background(), 9); err != nil {
		t.Fatal(err)
	}
	if p := f.last().Path; p != "/vigil/api/v1/alerts/9" {
		t.Errorf("path %q", p)
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name                string
		status              int
		body                string
		code, field, inText string
	}{
		{"envelope with field", 400, `{"error":{"code":"invalid","message":"must be one of critical, error, warning, info","field":"severity"}}`,
			vigil.CodeInvalid, "severity", "must be one of critical"},
		{"envelope without field", 409, `{"error":{"code":"conflict","message":"incident #42 is resolved"}}`,
			vigil.CodeConflict, "", "incident #42 is resolved"},
		{"unauthorized", 401, `{"error":{"code":"unauthorized","message":"invalid token"}}`,
			vigil.CodeUnauthorized, "", "invalid token"},
		{"envelope missing code", 404, `{"error":{"message":"no such incident"}}`,
			vigil.CodeNotFound, "", "no such incident"},
		{"proxy page", 502, `<html>Bad Gateway</html>`, vigil.CodeUnavailable, "", "HTTP 502 Bad Gateway: <html>Bad Gateway</html>"},
		{"empty 500", 500, ``, vigil.CodeInternal, "", "HTTP 500"},
		{"rate limited", 429, `slow down`, vigil.CodeRateLimited, "", "HTTP 429"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, tt.status, tt.body)
			_, err := New(f.srv.URL, "tok").AcknowledgeIncident(context.Background(), 42)
			var ve *vigil.Error
			if !errors.As(err, &ve) {
				t.Fatalf("error %T %v is not a *vigil.Error", err, err)
			}
			if ve.Code != tt.code || ve.Field != tt.field || !strings.Contains(ve.Message, tt.inText) {
				t.Errorf("got code=%q field=%q message=%q", ve.Code, ve.Field, ve.Message)
			}
			if vigil.ErrorCode(err) != tt.code {
				t.Errorf("vigil.ErrorCode = %q", vigil.ErrorCode(err))
			}
		})
	}
}

func TestBadSuccessBody(t *testing.T) {
	f := newFake(t, 200, `not json`)
	_, err := New(f.srv.URL, "tok").GetAlert(context.Background(), 1)
	if err == nil || !strings.Contains(err.Error(), "decode response") || !strings.Contains(err.Error(), "/api/v1/alerts/1") {
		t.Fatalf("err = %v", err)
	}
}

func TestNetworkErrors(t *testing.T) {
	f := newFake(t, 200, `{}`)
	url := f.srv.URL
	f.srv.Close()
	_, err := New(url, "tok").GetAlert(context.Background(), 1)
	if err == nil {
		t.Fatal("no error from a closed server")
	}
	var ve *vigil.Error
	if errors.As(err, &ve) {
		t.Errorf("network failure reported as API error %v", err)
	}
	if !strings.Contains(err.Error(), "GET "+url+"/api/v1/alerts/1") {
		t.Errorf("error %q does not name the request", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	f2 := newFake(t, 200, `{}`)
	_, err = New(f2.srv.URL, "tok").GetAlert(ctx, 1)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled in chain", err)
	}
}

// One client reuses its connection across calls, error answers included.
func TestKeepAlive(t *testing.T) {
	f := newFake(t, 200, `{"id":1}`)
	c := New(f.srv.URL, "tok")
	for i := range 5 {
		if i == 2 {
			f.mu.Lock()
			f.status, f.body = 404, `{"error":{"code":"not_found","message":"no such alert"}}`
			f.mu.Unlock()
		}
		_, _ = c.GetAlert(context.Background(), 1)
	}
	if n := f.conns.Load(); n != 1 {
		t.Errorf("%d connections for 5 sequential calls, want 1", n)
	}
}
