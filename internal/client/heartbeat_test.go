package client

import (
	"context"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// The change and heartbeat methods: method, path, query, body and the
// decoded answer.
func TestChangeAndHeartbeatRequests(t *testing.T) {
	ctx := context.Background()
	since := time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("x", 3600))
	hb := `{"id":3,"service_id":4,"name":"nightly","interval":1,"interval_unit":"days","enabled":true,"alert_tags":[],
		"alert_priority":"P3","due_at":"2026-01-02T00:00:00Z"}`
	tests := []struct {
		name, resp          string
		status              int
		call                func(c *Client) error
		method, path, query string
		body                string
	}{
		{
			name: "list changes", status: 200, resp: `{"items":[{"id":1,"service_id":4,"summary":"deploy"}],"total":9}`,
			call: func(c *Client) error {
				items, total, err := c.ListChanges(ctx, ChangeQuery{ServiceID: 4, Since: since, Until: since.Add(time.Hour), Offset: 2, Limit: 1})
				if err == nil && (total != 9 || len(items) != 1 || items[0].Summary != "deploy") {
					t.Errorf("got %d %+v", total, items)
				}
				return err
			},
			method: "GET", path: "/api/v1/changes",
			query: "limit=1&offset=2&service_id=4&since=2026-01-02T02%3A04%3A05Z&until=2026-01-02T03%3A04%3A05Z",
		},
		{
			name: "incident changes", status: 200, resp: `{"items":null,"total":0}`,
			call: func(c *Client) error {
				items, _, err := c.IncidentChanges(ctx, 42, 0, 0)
				if err == nil && (items == nil || len(items) != 0) {
					t.Errorf("items %#v, want empty non-nil", items)
				}
				return err
			},
			method: "GET", path: "/api/v1/incidents/42/changes",
		},
		{
			name: "list heartbeats", status: 200, resp: `{"items":[` + hb + `],"total":1}`,
			call: func(c *Client) error {
				items, total, err := c.ListHeartbeats(ctx, 4, 0, 10)
				if err == nil && (total != 1 || items[0].Name != "nightly" || items[0].Period() != 24*time.Hour) {
					t.Errorf("got %d %+v", total, items)
				}
				return err
			},
			method: "GET", path: "/api/v1/services/4/heartbeats", query: "limit=10",
		},
		{
			name: "create heartbeat", status: 201, resp: hb,
			call: func(c *Client) error {
				off := false
				h, err := c.CreateHeartbeat(ctx, 4, HeartbeatCreate{Name: "nightly", Interval: 1, IntervalUnit: "days", Enabled: &off, AlertTags: []string{"db"}})
				if err == nil && h.ID != 3 {
					t.Errorf("heartbeat %+v", h)
				}
				return err
			},
			method: "POST", path: "/api/v1/services/4/heartbeats",
			body: `{"name":"nightly","interval":1,"interval_unit":"days","enabled":false,"alert_tags":["db"]}`,
		},
		{
			name: "get heartbeat", status: 200, resp: hb,
			call: func(c *Client) error {
				_, err := c.GetHeartbeat(ctx, 3)
				return err
			},
			method: "GET", path: "/api/v1/heartbeats/3",
		},
		{
			name: "update heartbeat", status: 200, resp: hb,
			call: func(c *Client) error {
				n, on := 2, true
				_, err := c.UpdateHeartbeat(ctx, 3, vigil.HeartbeatUpdate{Interval: &n, Enabled: &on})
				return err
			},
			method: "PATCH", path: "/api/v1/heartbeats/3", body: `{"interval":2,"enabled":true}`,
		},
		{
			name: "ping heartbeat", status: 200, resp: hb,
			call: func(c *Client) error {
				_, err := c.PingHeartbeat(ctx, 3)
				return err
			},
			method: "POST", path: "/api/v1/heartbeats/3/ping",
		},
		{
			name: "delete heartbeat", status: 204,
			call:   func(c *Client) error { return c.DeleteHeartbeat(ctx, 3) },
			method: "DELETE", path: "/api/v1/heartbeats/3",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, tt.status, tt.resp)
			c := New(f.srv.URL, "tok", WithSource(vigil.SourceCLI))
			if err := tt.call(c); err != nil {
				t.Fatalf("call: %v", err)
			}
			r := f.last()
			if r.Method != tt.method || r.Path != tt.path || r.RawQuery != tt.query {
				t.Errorf("request %s %s?%s, want %s %s?%s", r.Method, r.Path, r.RawQuery, tt.method, tt.path, tt.query)
			}
			if got := r.Header.Get("Authorization"); got != "Bearer tok" {
				t.Errorf("Authorization %q", got)
			}
			if tt.body == "" && r.Body != "" {
				t.Errorf("unexpected body %q", r.Body)
			} else if tt.body != "" {
				jsonEqual(t, r.Body, tt.body)
			}
		})
	}
}

// Pinging by name speaks Opsgenie: the GenieKey header, and errors in
// Opsgenie's envelope become *vigil.Error with the server's message.
func TestPingHeartbeatByName(t *testing.T) {
	ctx := context.Background()
	f := newFake(t, 202, `{"result":"PONG - Heartbeat received","took":0,"requestId":"r"}`)
	c := New(f.srv.URL, "tok")
	if err := c.PingHeartbeatByName(ctx, "vgi_key", "db/backup"); err != nil {
		t.Fatal(err)
	}
	r := f.last()
	if r.Method != "POST" || r.Path != "/v2/heartbeats/db/backup/ping" || r.Header.Get("Authorization") != "GenieKey vgi_key" {
		t.Errorf("request %s %s %q", r.Method, r.Path, r.Header.Get("Authorization"))
	}
	for status, want := range map[int]struct{ body, code, msg string }{
		404: {`{"message":"Heartbeat with name [x] does not exist.","took":0}`, vigil.CodeNotFound, "Heartbeat with name [x] does not exist."},
		401: {`{"message":"Could not authenticate"}`, vigil.CodeUnauthorized, "Could not authenticate"},
		502: {`<html>bad gateway</html>`, vigil.CodeUnavailable, "HTTP 502 Bad Gateway"},
	} {
		f.mu.Lock()
		f.status, f.body = status, want.body
		f.mu.Unlock()
		err := c.PingHeartbeatByName(ctx, "vgi_key", "x")
		if vigil.ErrorCode(err) != want.code || vigil.ErrorMessage(err) != want.msg {
			t.Errorf("%d: %v (code %s), want %s %q", status, err, vigil.ErrorCode(err), want.code, want.msg)
		}
	}
}
