package client

import (
	"context"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// The on-call methods: method, path, query, body and the decoded answer.
// (cmd/vigil runs them against the real server too.)
func TestOnCallRequests(t *testing.T) {
	ctx := context.Background()
	from := time.Date(2026, 3, 1, 13, 0, 0, 0, time.FixedZone("x", 3600))
	tests := []struct {
		name, resp          string
		status              int
		call                func(c *Client) error
		method, path, query string
		body                string
	}{
		{
			name: "create user", status: 201, resp: `{"id":1,"name":"Ana","email":"ana@example.com","time_zone":"UTC"}`,
			call: func(c *Client) error {
				u, err := c.CreateUser(ctx, UserInput{Name: "Ana", Email: "ana@example.com"})
				if err == nil && u.ID != 1 {
					t.Errorf("user %+v", u)
				}
				return err
			},
			method: "POST", path: "/api/v1/users", body: `{"name":"Ana","email":"ana@example.com"}`,
		},
		{
			name: "list users", status: 200, resp: `{"items":null}`,
			call: func(c *Client) error {
				users, err := c.ListUsers(ctx)
				if err == nil && (users == nil || len(users) != 0) {
					t.Errorf("users %#v, want empty non-nil", users)
				}
				return err
			},
			method: "GET", path: "/api/v1/users",
		},
		{
			name: "update contact method", status: 200, resp: `{"id":3,"user_id":1,"type":"webhook","address":"https://h.example/…"}`,
			call: func(c *Client) error {
				off := true
				m, err := c.UpdateContactMethod(ctx, 1, 3, ContactMethodUpdate{Disabled: &off})
				if err == nil && m.Address != "https://h.example/…" {
					t.Errorf("method %+v", m)
				}
				return err
			},
			method: "PUT", path: "/api/v1/users/1/contact-methods/3", body: `{"disabled":true}`,
		},
		{
			name: "test contact method", status: 202, resp: `{"id":9,"kind":"test","dest_type":"sms","dest_address":"••••5678"}`,
			call: func(c *Client) error {
				n, err := c.TestContactMethod(ctx, 1, 3)
				if err == nil && (n.ID != 9 || n.DestAddress != "••••5678") {
					t.Errorf("notification %+v", n)
				}
				return err
			},
			method: "POST", path: "/api/v1/users/1/contact-methods/3/test",
		},
		{
			name: "add rule", status: 201, resp: `{"id":2,"user_id":1,"contact_method_id":3,"delay":"2m0s"}`,
			call: func(c *Client) error {
				r, err := c.CreateNotificationRule(ctx, 1, NotificationRuleCreate{ContactMethodID: 3, Delay: vigil.Duration(2 * time.Minute)})
				if err == nil && time.Duration(r.Delay) != 2*time.Minute {
					t.Errorf("rule %+v", r)
				}
				return err
			},
			method: "POST", path: "/api/v1/users/1/notification-rules", body: `{"contact_method_id":3,"delay":"2m0s"}`,
		},
		{
			name: "shifts", status: 200, resp: `{"schedule_id":4,"items":[{"user_id":1,"user_name":"Ana"}]}`,
			call: func(c *Client) error {
				l, err := c.ListShifts(ctx, 4, from, from.Add(time.Hour))
				if err == nil && (len(l.Items) != 1 || l.Items[0].UserName != "Ana") {
					t.Errorf("shifts %+v", l)
				}
				return err
			},
			method: "GET", path: "/api/v1/schedules/4/shifts", query: "from=2026-03-01T12%3A00%3A00Z&to=2026-03-01T13%3A00%3A00Z",
		},
		{
			name: "shifts with the server's defaults", status: 200, resp: `{"schedule_id":4}`,
			call: func(c *Client) error {
				l, err := c.ListShifts(ctx, 4, time.Time{}, time.Time{})
				if err == nil && l.Items == nil {
					t.Error("nil items")
				}
				return err
			},
			method: "GET", path: "/api/v1/schedules/4/shifts",
		},
		{
			name: "on call", status: 200,
			resp: `{"at":"2026-03-01T12:00:00Z","schedules":[{"schedule_id":4,"user":{"id":1,"name":"Ana"},"next":null}],"escalation_policies":[]}`,
			call: func(c *Client) error {
				oc, err := c.OnCall(ctx, from)
				if err == nil && (len(oc.Schedules) != 1 || oc.Schedules[0].User.Name != "Ana" || oc.Schedules[0].Next != nil) {
					t.Errorf("on call %+v", oc)
				}
				return err
			},
			method: "GET", path: "/api/v1/on-call", query: "at=2026-03-01T12%3A00%3A00Z",
		},
		{
			name: "override", status: 201, resp: `{"id":5,"schedule_id":4,"user_id":2}`,
			call: func(c *Client) error {
				_, err := c.CreateOverride(ctx, 4, OverrideCreate{UserID: 2, Start: from.UTC(), End: from.Add(time.Hour).UTC()})
				return err
			},
			method: "POST", path: "/api/v1/schedules/4/overrides",
			body: `{"user_id":2,"start":"2026-03-01T12:00:00Z","end":"2026-03-01T13:00:00Z"}`,
		},
		{
			name: "delete override", status: 204,
			call:   func(c *Client) error { return c.DeleteOverride(ctx, 4, 5) },
			method: "DELETE", path: "/api/v1/schedules/4/overrides/5",
		},
		{
			name: "page", status: 202, resp: `{"items":[{"id":7,"kind":"manual","user_name":"Ana"}]}`,
			call: func(c *Client) error {
				list, err := c.Page(ctx, PageRequest{TeamID: 2, Message: "help"})
				if err == nil && (len(list) != 1 || list[0].UserName != "Ana") {
					t.Errorf("page %+v", list)
				}
				return err
			},
			method: "POST", path: "/api/v1/page", body: `{"team_id":2,"message":"help"}`,
		},
		{
			name: "incident notifications", status: 200, resp: `{"items":[]}`,
			call: func(c *Client) error {
				_, err := c.IncidentNotifications(ctx, 42, 10)
				return err
			},
			method: "GET", path: "/api/v1/incidents/42/notifications", query: "limit=10",
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

// The iCalendar feed comes back as text; errors as *vigil.Error.
func TestScheduleICal(t *testing.T) {
	ctx := context.Background()
	f := newFake(t, 200, "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")
	c := New(f.srv.URL, "tok", WithSource(vigil.SourceCLI))
	got, err := c.ScheduleICal(ctx, 4)
	if err != nil || got != "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n" {
		t.Fatalf("got %q, %v", got, err)
	}
	r := f.last()
	if r.Path != "/api/v1/schedules/4/ical" || r.Header.Get("Authorization") != "Bearer tok" || r.Header.Get(SourceHeader) != vigil.SourceCLI {
		t.Errorf("request %s %v", r.Path, r.Header)
	}
	f = newFake(t, 404, `{"error":{"code":"not_found","message":"schedule 4 not found"}}`)
	_, err = New(f.srv.URL, "tok").ScheduleICal(ctx, 4)
	if vigil.ErrorCode(err) != vigil.CodeNotFound || vigil.ErrorMessage(err) != "schedule 4 not found" {
		t.Errorf("error %v", err)
	}
}
