package api_test

// The on-call routes, end to end: the real server (authentication,
// middleware) over a fresh SQLite store per scenario, seeded through the
// API itself. An external test package, because internal/server imports
// api.

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigil-oss/vigil/internal/server"
	"github.com/vigil-oss/vigil/internal/store"
	"github.com/vigil-oss/vigil/internal/storetest"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// The secret part of the seeded webhook URL: it must never appear in an
// answer.
const (
	hookSecret = "s3cr3t-token-4711"
	hookURL    = "https://hooks.example.com/services/" + hookSecret
	anaPhone   = "+4915112345678"
)

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// ocEnv is a server on a fresh store with a manual clock at
// 2026-03-01T12:00:00Z (a Sunday).
type ocEnv struct {
	t     *testing.T
	store *store.DB
	clock *vigil.ManualClock
	srv   *httptest.Server
	token string
	vars  map[string]string
}

var ocNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// migratedDir returns a new data directory holding a migrated SQLite
// database without rows (a copy of one made once, see storetest.SQLiteDir).
func migratedDir(t *testing.T) string {
	return storetest.SQLiteDir(t, func(dir string) (io.Closer, error) {
		return store.Open(context.Background(), store.Config{DataDir: dir})
	})
}

func newOCEnv(t *testing.T) *ocEnv {
	t.Helper()
	clock := vigil.NewManualClock(ocNow)
	logs := &lockedBuffer{}
	logger := slog.New(slog.NewJSONHandler(logs, nil))
	db, err := store.Open(context.Background(), store.Config{DataDir: migratedDir(t), Clock: clock, Logger: logger})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	e := &ocEnv{t: t, store: db, clock: clock, token: vigil.NewSecret(vigil.TokenPrefix), vars: map[string]string{}}
	if _, err := db.CreateAPIToken(context.Background(), "admin", vigil.RoleAdmin, e.token); err != nil {
		t.Fatal(err)
	}
	s := server.New(server.Deps{Store: db, Clock: clock, Logger: logger, Registry: prometheus.NewRegistry(), PublicURL: feedBase})
	e.srv = httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		e.srv.Close()
		db.Close()
		if out := logs.String(); strings.Contains(out, `"level":"ERROR"`) || strings.Contains(out, hookSecret) {
			t.Errorf("error lines or the webhook secret in the log:\n%s", out)
		}
	})
	return e
}

func (e *ocEnv) expand(s string) string {
	for k, v := range e.vars {
		s = strings.ReplaceAll(s, "{"+k+"}", v)
	}
	return s
}

type ocResponse struct {
	status int
	header http.Header
	body   string
}

// do sends a request with the admin token (none when auth is false).
func (e *ocEnv) do(method, path, body string, auth bool) ocResponse {
	e.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(e.expand(body))
	}
	req, err := http.NewRequest(method, e.srv.URL+e.expand(path), r)
	if err != nil {
		e.t.Fatal(err)
	}
	if auth {
		req.Header.Set("Authorization", "Bearer "+e.token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return ocResponse{res.StatusCode, res.Header, string(b)}
}

// create posts body and records the answer's id as {name}.
func (e *ocEnv) create(name, path, body string, status int) {
	e.t.Helper()
	res := e.do("POST", path, body, true)
	if res.status != status {
		e.t.Fatalf("seeding %s: POST %s: %d %s", name, path, res.status, res.body)
	}
	var v struct {
		ID int64 `json:"id"`
	}
	if err := json.Unmarshal([]byte(res.body), &v); err != nil || v.ID == 0 {
		e.t.Fatalf("seeding %s: answer %s", name, res.body)
	}
	e.vars[name] = strconv.FormatInt(v.ID, 10)
}

func (e *ocEnv) must(method, path, body string, status int) {
	e.t.Helper()
	if res := e.do(method, path, body, true); res.status != status {
		e.t.Fatalf("%s %s: %d %s", method, path, res.status, res.body)
	}
}

// seed creates, through the API: users Ana ({ana}) and Bob ({bob}); Ana's
// SMS ({sms}) and webhook ({hook}) contact methods; team Payments ({team})
// of both; schedule Primary ({sched}), a weekly rotation Ana then Bob from
// Monday 2026-02-23 00:00 UTC (Ana's week until 2026-03-02); policy Page
// ({pol}) paging the schedule; service checkout ({svc}).
func (e *ocEnv) seed() {
	e.create("ana", "/api/v1/users", `{"name":"Ana","email":"ana@example.com","time_zone":"Europe/Berlin"}`, 201)
	e.create("bob", "/api/v1/users", `{"name":"Bob","email":"bob@example.com"}`, 201)
	e.create("sms", "/api/v1/users/{ana}/contact-methods", `{"type":"sms","address":"`+anaPhone+`","name":"mobile"}`, 201)
	e.create("hook", "/api/v1/users/{ana}/contact-methods", `{"type":"webhook","address":"`+hookURL+`"}`, 201)
	e.create("team", "/api/v1/teams", `{"name":"Payments","members":[{ana},{bob}]}`, 201)
	e.create("sched", "/api/v1/schedules", `{"name":"Primary","time_zone":"UTC","layers":[
		{"name":"weekly","start":"2026-02-23T00:00:00Z","turn_unit":"week","turn_count":1,"members":[{ana},{bob}]}]}`, 201)
	e.create("pol", "/api/v1/escalation-policies", `{"name":"Page","repeat":0,"steps":[
		{"delay":"10m","targets":[{"type":"schedule","id":{sched}}]}]}`, 201)
	e.create("svc", "/api/v1/services", `{"name":"checkout"}`, 201)
}

type ocScenario struct {
	name         string
	setup        func(e *ocEnv) // after seed
	method, path string
	body         string
	noAuth       bool
	status       int
	contains     []string
	absent       []string
	contentType  string                      // a prefix of the answer's Content-Type (default JSON)
	check        func(e *ocEnv, body string) // after the request
}

// bobOverride puts Bob on call on Primary for the next two hours.
func bobOverride(e *ocEnv) {
	e.create("ov", "/api/v1/schedules/{sched}/overrides",
		`{"user_id":{bob},"start":"2026-03-01T11:00:00Z","end":"2026-03-01T14:00:00Z"}`, 201)
}

func ocScenarios() []ocScenario {
	masked := []string{hookSecret, anaPhone}
	return []ocScenario{
		// Authentication.
		{name: "users need a token", method: "GET", path: "/api/v1/users", noAuth: true, status: 401, absent: []string{"Ana"}},
		{name: "page needs a token", method: "POST", path: "/api/v1/page", body: `{"user_id":{ana},"message":"x"}`, noAuth: true, status: 401,
			check: func(e *ocEnv, _ string) { wantNotifications(e, 0) }},
		{name: "ical needs a token", method: "GET", path: "/api/v1/schedules/{sched}/ical", noAuth: true, status: 401, absent: []string{"VEVENT"}},
		{name: "on-call needs a token", method: "GET", path: "/api/v1/on-call", noAuth: true, status: 401},

		// Users.
		{name: "list users", method: "GET", path: "/api/v1/users", status: 200,
			contains: []string{`"name":"Ana"`, `"email":"bob@example.com"`, `"time_zone":"Europe/Berlin"`}},
		{name: "create user defaults to UTC", method: "POST", path: "/api/v1/users", body: `{"name":"Cleo","email":"cleo@example.com"}`,
			status: 201, contains: []string{`"name":"Cleo"`, `"time_zone":"UTC"`}},
		{name: "create user without name", method: "POST", path: "/api/v1/users", body: `{"email":"x@example.com"}`,
			status: 400, contains: []string{`"field":"name"`}},
		{name: "create user bad email", method: "POST", path: "/api/v1/users", body: `{"name":"X","email":"nope"}`,
			status: 400, contains: []string{`"field":"email"`}},
		{name: "create user bad zone", method: "POST", path: "/api/v1/users", body: `{"name":"X","email":"x@example.com","time_zone":"Mars/Base"}`,
			status: 400, contains: []string{`"field":"time_zone"`}},
		{name: "create user taken email", method: "POST", path: "/api/v1/users", body: `{"name":"X","email":"ana@example.com"}`,
			status: 409, contains: []string{`"field":"email"`}},
		{name: "create user unknown field", method: "POST", path: "/api/v1/users", body: `{"name":"X","email":"x@example.com","role":"admin"}`,
			status: 400, contains: []string{"role"}},
		{name: "get user", method: "GET", path: "/api/v1/users/{ana}", status: 200, contains: []string{`"name":"Ana"`}},
		{name: "get unknown user", method: "GET", path: "/api/v1/users/9999", status: 404},
		{name: "get user bad id", method: "GET", path: "/api/v1/users/abc", status: 400, contains: []string{`"field":"id"`}},
		{name: "replace user", method: "PUT", path: "/api/v1/users/{bob}", body: `{"name":"Robert","email":"bob@example.com","time_zone":"Asia/Tokyo"}`,
			status: 200, contains: []string{`"name":"Robert"`, `"time_zone":"Asia/Tokyo"`}},
		{name: "replace unknown user", method: "PUT", path: "/api/v1/users/9999", body: `{"name":"X","email":"x@example.com"}`, status: 404},
		{name: "delete user", method: "DELETE", path: "/api/v1/users/{bob}", status: 204,
			check: func(e *ocEnv, _ string) {
				if res := e.do("GET", "/api/v1/users/{bob}", "", true); res.status != 404 {
					e.t.Errorf("deleted user: %d %s", res.status, res.body)
				}
			}},
		{name: "delete unknown user", method: "DELETE", path: "/api/v1/users/9999", status: 404},

		// Contact methods.
		{name: "list contact methods masks addresses", method: "GET", path: "/api/v1/users/{ana}/contact-methods", status: 200,
			contains: []string{`"type":"webhook"`, `"address":"https://hooks.example.com/…"`, `"type":"sms"`, `5678"`, `"name":"mobile"`},
			absent:   masked},
		{name: "list contact methods revealed", method: "GET", path: "/api/v1/users/{ana}/contact-methods?reveal=true", status: 200,
			contains: []string{`"address":"` + anaPhone + `"`, `"address":"` + hookURL + `"`}},
		{name: "list contact methods bad reveal", method: "GET", path: "/api/v1/users/{ana}/contact-methods?reveal=maybe", status: 400,
			contains: []string{`"field":"reveal"`}},
		{name: "list contact methods of unknown user", method: "GET", path: "/api/v1/users/9999/contact-methods", status: 404},
		{name: "add contact method answers masked", method: "POST", path: "/api/v1/users/{bob}/contact-methods",
			body:   `{"type":"teams","address":"https://example.webhook.office.com/workflows/` + hookSecret + `"}`,
			status: 201, contains: []string{`"type":"teams"`, `"name":"teams"`, `"address":"https://example.webhook.office.com/…"`}, absent: masked},
		{name: "add contact method bad address", method: "POST", path: "/api/v1/users/{bob}/contact-methods", body: `{"type":"sms","address":"0151 123"}`,
			status: 400, contains: []string{`"field":"address"`}},
		{name: "add contact method bad URL", method: "POST", path: "/api/v1/users/{bob}/contact-methods", body: `{"type":"webhook","address":"ftp://x"}`,
			status: 400, contains: []string{`"field":"address"`}},
		{name: "add contact method bad type", method: "POST", path: "/api/v1/users/{bob}/contact-methods", body: `{"type":"pigeon","address":"x"}`,
			status: 400, contains: []string{`"field":"type"`}},
		{name: "add contact method to unknown user", method: "POST", path: "/api/v1/users/9999/contact-methods",
			body: `{"type":"email","address":"x@example.com"}`, status: 404},
		{name: "update contact method keeps an omitted address", method: "PUT", path: "/api/v1/users/{ana}/contact-methods/{hook}",
			body: `{"name":"ops hook","disabled":true}`, status: 200, contains: []string{`"name":"ops hook"`, `"disabled":true`}, absent: masked,
			check: func(e *ocEnv, _ string) { wantHookAddress(e, hookURL) }},
		{name: "update contact method with the masked address keeps the secret", method: "PUT",
			path: "/api/v1/users/{ana}/contact-methods/{hook}", body: `{"address":"https://hooks.example.com/…"}`, status: 200, absent: masked,
			check: func(e *ocEnv, _ string) { wantHookAddress(e, hookURL) }},
		{name: "update contact method address", method: "PUT", path: "/api/v1/users/{ana}/contact-methods/{hook}",
			body: `{"address":"https://other.example.com/new"}`, status: 200, contains: []string{`"address":"https://other.example.com/…"`},
			check: func(e *ocEnv, _ string) { wantHookAddress(e, "https://other.example.com/new") }},
		{name: "update contact method bad address", method: "PUT", path: "/api/v1/users/{ana}/contact-methods/{sms}",
			body: `{"address":"12"}`, status: 400, contains: []string{`"field":"address"`}},
		{name: "update another user's contact method", method: "PUT", path: "/api/v1/users/{bob}/contact-methods/{hook}",
			body: `{"name":"x"}`, status: 404, check: func(e *ocEnv, _ string) { wantHookAddress(e, hookURL) }},
		{name: "delete contact method", method: "DELETE", path: "/api/v1/users/{ana}/contact-methods/{sms}", status: 204},
		{name: "delete another user's contact method", method: "DELETE", path: "/api/v1/users/{bob}/contact-methods/{sms}", status: 404},
		{name: "test contact method", method: "POST", path: "/api/v1/users/{ana}/contact-methods/{hook}/test", status: 202,
			contains: []string{`"kind":"test"`, `"title":"Test notification from Vigil"`, `"status":"pending"`, `"user_name":"Ana"`,
				`"dest_type":"webhook"`, `"dest_address":"https://hooks.example.com/…"`, `"priority":0`},
			absent: masked, check: func(e *ocEnv, _ string) { wantNotifications(e, 1) }},
		{name: "test another user's contact method", method: "POST", path: "/api/v1/users/{bob}/contact-methods/{hook}/test", status: 404,
			check: func(e *ocEnv, _ string) { wantNotifications(e, 0) }},

		// Notification rules.
		{name: "add notification rule", method: "POST", path: "/api/v1/users/{ana}/notification-rules",
			body: `{"contact_method_id":{sms},"delay":"2m"}`, status: 201, contains: []string{`"delay":"2m0s"`, `"contact_method_id":{sms}`}},
		{name: "add rule on another user's method", method: "POST", path: "/api/v1/users/{bob}/notification-rules",
			body: `{"contact_method_id":{sms},"delay":"0s"}`, status: 400, contains: []string{`"field":"contact_method_id"`}},
		{name: "add rule with a long delay", method: "POST", path: "/api/v1/users/{ana}/notification-rules",
			body: `{"contact_method_id":{sms},"delay":"25h"}`, status: 400, contains: []string{`"field":"delay"`}},
		{name: "add rule to unknown user", method: "POST", path: "/api/v1/users/9999/notification-rules",
			body: `{"contact_method_id":{sms},"delay":"1m"}`, status: 404},
		{name: "list notification rules", method: "GET", path: "/api/v1/users/{ana}/notification-rules", status: 200,
			setup: func(e *ocEnv) {
				e.create("rule", "/api/v1/users/{ana}/notification-rules", `{"contact_method_id":{sms},"delay":"5m"}`, 201)
			},
			contains: []string{`"id":{rule}`, `"delay":"5m0s"`}},
		{name: "delete notification rule", method: "DELETE", path: "/api/v1/users/{ana}/notification-rules/{rule}", status: 204,
			setup: func(e *ocEnv) {
				e.create("rule", "/api/v1/users/{ana}/notification-rules", `{"contact_method_id":{sms},"delay":"5m"}`, 201)
			}},
		{name: "delete unknown notification rule", method: "DELETE", path: "/api/v1/users/{ana}/notification-rules/9999", status: 404},

		// Teams.
		{name: "list teams", method: "GET", path: "/api/v1/teams", status: 200, contains: []string{`"name":"Payments"`, `"members":[{ana},{bob}]`}},
		{name: "create team", method: "POST", path: "/api/v1/teams", body: `{"name":"Platform","description":"infra","members":[{bob}]}`,
			status: 201, contains: []string{`"name":"Platform"`, `"members":[{bob}]`}},
		{name: "create team unknown member", method: "POST", path: "/api/v1/teams", body: `{"name":"Platform","members":[9999]}`,
			status: 400, contains: []string{`"field":"members"`}},
		{name: "create team taken name", method: "POST", path: "/api/v1/teams", body: `{"name":"Payments","members":[]}`,
			status: 409, contains: []string{`"field":"name"`}},
		{name: "create team without name", method: "POST", path: "/api/v1/teams", body: `{"members":[]}`,
			status: 400, contains: []string{`"field":"name"`}},
		{name: "get team", method: "GET", path: "/api/v1/teams/{team}", status: 200, contains: []string{`"name":"Payments"`}},
		{name: "get unknown team", method: "GET", path: "/api/v1/teams/9999", status: 404},
		{name: "replace team", method: "PUT", path: "/api/v1/teams/{team}", body: `{"name":"Checkout","members":[{bob}]}`,
			status: 200, contains: []string{`"name":"Checkout"`, `"members":[{bob}]`}},
		{name: "delete team", method: "DELETE", path: "/api/v1/teams/{team}", status: 204},
		{name: "delete unknown team", method: "DELETE", path: "/api/v1/teams/9999", status: 404},

		// Schedules.
		{name: "list schedules", method: "GET", path: "/api/v1/schedules", status: 200, contains: []string{`"name":"Primary"`, `"turn_unit":"week"`}},
		{name: "create schedule", method: "POST", path: "/api/v1/schedules", body: `{"name":"Nights","time_zone":"Europe/Berlin","layers":[
			{"start":"2026-03-01T22:00:00+01:00","turn_unit":"day","turn_count":1,"members":[{bob}],
			 "restrictions":[{"kind":"daily","start":"22:00","duration":"10h"}]}]}`,
			status: 201, contains: []string{`"name":"Nights"`, `"start":"22:00"`, `"duration":"10h0m0s"`}},
		{name: "create schedule bad turn unit", method: "POST", path: "/api/v1/schedules", body: `{"name":"X","layers":[
			{"start":"2026-03-01T00:00:00Z","turn_unit":"fortnight","turn_count":1,"members":[{ana}]}]}`,
			status: 400, contains: []string{`"field":"layers[0].turn_unit"`}},
		{name: "create schedule unknown member", method: "POST", path: "/api/v1/schedules", body: `{"name":"X","layers":[
			{"start":"2026-03-01T00:00:00Z","turn_unit":"day","turn_count":1,"members":[9999]}]}`,
			status: 400, contains: []string{`"field":"layers[0].members"`}},
		{name: "create schedule bad restriction", method: "POST", path: "/api/v1/schedules", body: `{"name":"X","layers":[
			{"start":"2026-03-01T00:00:00Z","turn_unit":"day","turn_count":1,"members":[{ana}],
			 "restrictions":[{"kind":"daily","start":"09:00","duration":"25h"}]}]}`,
			status: 400, contains: []string{`"field":"layers[0].restrictions[0].duration"`}},
		{name: "create schedule bad zone", method: "POST", path: "/api/v1/schedules", body: `{"name":"X","time_zone":"Local","layers":[]}`,
			status: 400, contains: []string{`"field":"time_zone"`}},
		{name: "create schedule taken name", method: "POST", path: "/api/v1/schedules", body: `{"name":"Primary","layers":[]}`, status: 409},
		{name: "get schedule", method: "GET", path: "/api/v1/schedules/{sched}", status: 200, contains: []string{`"name":"Primary"`}},
		{name: "get unknown schedule", method: "GET", path: "/api/v1/schedules/9999", status: 404},
		{name: "replace schedule", method: "PUT", path: "/api/v1/schedules/{sched}", body: `{"name":"Primary","layers":[
			{"start":"2026-02-23T00:00:00Z","turn_unit":"week","turn_count":1,"members":[{bob}]}]}`, status: 200,
			check: func(e *ocEnv, _ string) {
				if res := e.do("GET", "/api/v1/schedules/{sched}/on-call", "", true); !strings.Contains(res.body, `"name":"Bob"`) {
					e.t.Errorf("on call after the change: %s", res.body)
				}
			}},
		{name: "replace unknown schedule", method: "PUT", path: "/api/v1/schedules/9999", body: `{"name":"X","layers":[]}`, status: 404},
		{name: "delete schedule a policy pages", method: "DELETE", path: "/api/v1/schedules/{sched}", status: 409,
			contains: []string{"Page", "pages this schedule"}},
		{name: "delete unused schedule", method: "DELETE", path: "/api/v1/schedules/{sched}", status: 204,
			setup: func(e *ocEnv) { e.must("DELETE", "/api/v1/escalation-policies/{pol}", "", 204) }},

		// Who is on call.
		{name: "on call", method: "GET", path: "/api/v1/schedules/{sched}/on-call", status: 200,
			contains: []string{`"user":{"id":{ana},"name":"Ana"}`, `"shift_start":"2026-02-23T00:00:00Z"`, `"shift_end":"2026-03-02T00:00:00Z"`,
				`"override":false`, `"next":{"user_id":{bob},"user_name":"Bob","start":"2026-03-02T00:00:00Z","end":"2026-03-09T00:00:00Z"`,
				`"at":"2026-03-01T12:00:00Z"`}},
		{name: "on call with an override", method: "GET", path: "/api/v1/schedules/{sched}/on-call", setup: bobOverride, status: 200,
			contains: []string{`"user":{"id":{bob},"name":"Bob"}`, `"shift_start":"2026-03-01T11:00:00Z"`, `"shift_end":"2026-03-01T14:00:00Z"`,
				`"override":true`, `"next":{"user_id":{ana},"user_name":"Ana","start":"2026-03-01T14:00:00Z"`},
			absent: []string{`"user":{"id":{ana}`}},
		{name: "on call after the override", method: "GET", path: "/api/v1/schedules/{sched}/on-call?at=2026-03-01T14:00:00Z", setup: bobOverride,
			status: 200, contains: []string{`"user":{"id":{ana},"name":"Ana"}`, `"override":false`}},
		{name: "on call next week", method: "GET", path: "/api/v1/schedules/{sched}/on-call?at=2026-03-03T00:00:00Z", status: 200,
			contains: []string{`"user":{"id":{bob},"name":"Bob"}`}},
		{name: "on call before the rotation starts", method: "GET", path: "/api/v1/schedules/{sched}/on-call?at=2026-01-01T00:00:00Z", status: 200,
			contains: []string{`"user":null`, `"shift_start":null`, `"next":{"user_id":{ana}`}},
		{name: "on call bad time", method: "GET", path: "/api/v1/schedules/{sched}/on-call?at=tomorrow", status: 400,
			contains: []string{`"field":"at"`}},
		{name: "on call in a rotation of one", method: "GET", path: "/api/v1/schedules/{solo}/on-call", status: 200,
			setup: func(e *ocEnv) {
				e.create("solo", "/api/v1/schedules", `{"name":"Solo","layers":[
					{"start":"2025-01-01T00:00:00Z","turn_unit":"day","turn_count":1,"members":[{bob}]}]}`, 201)
			},
			contains: []string{`"user":{"id":{bob},"name":"Bob"}`, `"shift_start":null`, `"shift_end":null`, `"next":null`}},
		{name: "on call unknown schedule", method: "GET", path: "/api/v1/schedules/9999/on-call", status: 404},
		{name: "everyone on call", method: "GET", path: "/api/v1/on-call", status: 200,
			contains: []string{`"schedule_name":"Primary"`, `"user":{"id":{ana},"name":"Ana"}`, `"policy_name":"Page"`,
				`"first_step":[{"id":{ana},"name":"Ana"}]`}},
		{name: "everyone on call with an override", method: "GET", path: "/api/v1/on-call", setup: bobOverride, status: 200,
			contains: []string{`"user":{"id":{bob},"name":"Bob"}`, `"first_step":[{"id":{bob},"name":"Bob"}]`}},
		{name: "everyone on call, team and user targets", method: "GET", path: "/api/v1/on-call?at=2026-03-01T12:00:00Z", status: 200,
			setup: func(e *ocEnv) {
				e.create("pol2", "/api/v1/escalation-policies", `{"name":"All","steps":[
					{"delay":"0s","targets":[{"type":"user","id":{bob}},{"type":"team","id":{team}}]}]}`, 201)
			},
			contains: []string{`"policy_name":"All","first_step":[{"id":{bob},"name":"Bob"},{"id":{ana},"name":"Ana"}]`}},

		// Shifts.
		{name: "shifts default to two weeks", method: "GET", path: "/api/v1/schedules/{sched}/shifts", status: 200,
			contains: []string{`"from":"2026-03-01T12:00:00Z"`, `"to":"2026-03-15T12:00:00Z"`,
				`{"user_id":{ana},"user_name":"Ana","start":"2026-03-01T12:00:00Z","end":"2026-03-02T00:00:00Z","override":false}`,
				`{"user_id":{bob},"user_name":"Bob","start":"2026-03-02T00:00:00Z","end":"2026-03-09T00:00:00Z","override":false}`,
				`{"user_id":{ana},"user_name":"Ana","start":"2026-03-09T00:00:00Z","end":"2026-03-15T12:00:00Z","override":false}`}},
		{name: "shifts with an override", method: "GET", path: "/api/v1/schedules/{sched}/shifts?from=2026-03-01T00:00:00Z&to=2026-03-02T00:00:00Z",
			setup: bobOverride, status: 200,
			contains: []string{`"start":"2026-03-01T11:00:00Z","end":"2026-03-01T14:00:00Z","override":true`}},
		{name: "shifts window too long", method: "GET", path: "/api/v1/schedules/{sched}/shifts?from=2026-01-01T00:00:00Z&to=2027-01-03T00:00:00Z",
			status: 400, contains: []string{`"field":"to"`, "366 days"}},
		{name: "shifts window of exactly 366 days", method: "GET",
			path: "/api/v1/schedules/{sched}/shifts?from=2026-01-01T00:00:00Z&to=2027-01-02T00:00:00Z", status: 200},
		{name: "shifts window backwards", method: "GET", path: "/api/v1/schedules/{sched}/shifts?from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z",
			status: 400, contains: []string{`"field":"to"`}},
		{name: "shifts bad time", method: "GET", path: "/api/v1/schedules/{sched}/shifts?from=yesterday", status: 400,
			contains: []string{`"field":"from"`}},
		{name: "shifts of unknown schedule", method: "GET", path: "/api/v1/schedules/9999/shifts", status: 404},

		// Overrides.
		{name: "create override", method: "POST", path: "/api/v1/schedules/{sched}/overrides",
			body: `{"user_id":{bob},"start":"2026-03-01T13:00:00Z","end":"2026-03-01T15:00:00Z"}`, status: 201,
			contains: []string{`"schedule_id":{sched}`, `"user_id":{bob}`, `"end":"2026-03-01T15:00:00Z"`}},
		{name: "create override ending before it starts", method: "POST", path: "/api/v1/schedules/{sched}/overrides",
			body: `{"user_id":{bob},"start":"2026-03-01T15:00:00Z","end":"2026-03-01T13:00:00Z"}`, status: 400, contains: []string{`"field":"end"`}},
		{name: "create override unknown user", method: "POST", path: "/api/v1/schedules/{sched}/overrides",
			body: `{"user_id":9999,"start":"2026-03-01T13:00:00Z","end":"2026-03-01T15:00:00Z"}`, status: 400, contains: []string{`"field":"user_id"`}},
		{name: "create override unknown schedule", method: "POST", path: "/api/v1/schedules/9999/overrides",
			body: `{"user_id":{bob},"start":"2026-03-01T13:00:00Z","end":"2026-03-01T15:00:00Z"}`, status: 404},
		{name: "list overrides", method: "GET", path: "/api/v1/schedules/{sched}/overrides", setup: bobOverride, status: 200,
			contains: []string{`"id":{ov}`, `"user_name":"Bob"`}},
		{name: "list overrides outside the window", method: "GET", path: "/api/v1/schedules/{sched}/overrides?from=2026-03-02T00:00:00Z",
			setup: bobOverride, status: 200, contains: []string{`"items":[]`}},
		{name: "delete override", method: "DELETE", path: "/api/v1/schedules/{sched}/overrides/{ov}", setup: bobOverride, status: 204,
			check: func(e *ocEnv, _ string) {
				if res := e.do("GET", "/api/v1/schedules/{sched}/on-call", "", true); !strings.Contains(res.body, `"name":"Ana"`) {
					e.t.Errorf("on call after deleting the override: %s", res.body)
				}
			}},
		{name: "delete unknown override", method: "DELETE", path: "/api/v1/schedules/{sched}/overrides/9999", status: 404},

		// iCalendar.
		{name: "ical feed", method: "GET", path: "/api/v1/schedules/{sched}/ical", status: 200, contentType: "text/calendar",
			contains: []string{"BEGIN:VCALENDAR", "BEGIN:VEVENT", "SUMMARY:On call: Ana (Primary)", "SUMMARY:On call: Bob (Primary)",
				"DTSTART:20260301T000000Z", "DTSTART:20260302T000000Z"}},
		{name: "ical of unknown schedule", method: "GET", path: "/api/v1/schedules/9999/ical", status: 404},
		{name: "personal ical feed", method: "GET", path: "/api/v1/users/{bob}/ical", status: 200, contentType: "text/calendar",
			contains: []string{"X-WR-CALNAME:On call: Bob", "SUMMARY:On call: Bob (Primary)", "DTSTART:20260302T000000Z"},
			absent:   []string{"Ana"}},
		{name: "personal ical feed with an override", method: "GET", path: "/api/v1/users/{bob}/ical", setup: bobOverride, status: 200,
			contentType: "text/calendar", contains: []string{"DTSTART:20260301T110000Z", "DESCRIPTION:Override"}},
		{name: "ical of unknown user", method: "GET", path: "/api/v1/users/9999/ical", status: 404},
		{name: "personal ical needs a token", method: "GET", path: "/api/v1/users/{ana}/ical", noAuth: true, status: 401, absent: []string{"VEVENT"}},
		{name: "feed address needs a token", method: "GET", path: "/api/v1/users/{ana}/ical-url", noAuth: true, status: 401, absent: []string{"feeds"}},
		{name: "feed address of unknown schedule", method: "GET", path: "/api/v1/schedules/9999/ical-url", status: 404},
		{name: "feed address", method: "GET", path: "/api/v1/schedules/{sched}/ical-url", status: 200,
			contains: []string{`"url":"` + feedBase + `/api/v1/feeds/schedule/{sched}/`, `.ics"`}},
		{name: "feed rotation needs a token", method: "POST", path: "/api/v1/ical-urls/rotate", noAuth: true, status: 401},

		// Escalation policies.
		{name: "list policies", method: "GET", path: "/api/v1/escalation-policies", status: 200,
			contains: []string{`"name":"Page"`, `"targets":[{"type":"schedule","id":{sched}}]`}},
		{name: "create policy", method: "POST", path: "/api/v1/escalation-policies", body: `{"name":"Two","repeat":1,"steps":[
			{"delay":"5m","targets":[{"type":"user","id":{ana}}]},{"delay":"5m","targets":[{"type":"team","id":{team}}]}]}`,
			status: 201, contains: []string{`"name":"Two"`, `"repeat":1`, `"delay":"5m0s"`}},
		{name: "create policy target without id", method: "POST", path: "/api/v1/escalation-policies", body: `{"name":"X","steps":[
			{"delay":"5m","targets":[{"type":"user","id":0}]}]}`, status: 400, contains: []string{`"field":"steps[0].targets[0].id"`}},
		{name: "create policy unknown target", method: "POST", path: "/api/v1/escalation-policies", body: `{"name":"X","steps":[
			{"delay":"5m","targets":[{"type":"user","id":{ana}}]},{"delay":"5m","targets":[{"type":"schedule","id":9999}]}]}`,
			status: 400, contains: []string{`"field":"steps[1].targets[0].id"`}},
		{name: "create policy bad target type", method: "POST", path: "/api/v1/escalation-policies", body: `{"name":"X","steps":[
			{"delay":"5m","targets":[{"type":"robot","id":1}]}]}`, status: 400, contains: []string{`"field":"steps[0].targets[0].type"`}},
		{name: "create policy without steps", method: "POST", path: "/api/v1/escalation-policies", body: `{"name":"X","steps":[]}`,
			status: 400, contains: []string{`"field":"steps"`}},
		{name: "create policy taken name", method: "POST", path: "/api/v1/escalation-policies", body: `{"name":"Page","steps":[
			{"delay":"5m","targets":[{"type":"user","id":{ana}}]}]}`, status: 409},
		{name: "get policy", method: "GET", path: "/api/v1/escalation-policies/{pol}", status: 200, contains: []string{`"name":"Page"`}},
		{name: "create service with its policy and team", method: "POST", path: "/api/v1/services",
			body: `{"name":"billing","escalation_policy_id":{pol},"team_id":{team}}`, status: 201,
			contains: []string{`"escalation_policy_id":{pol}`, `"team_id":{team}`}},
		{name: "create service with an unknown policy", method: "POST", path: "/api/v1/services",
			body: `{"name":"billing","escalation_policy_id":9999}`, status: 400, contains: []string{"escalation_policy_id"}},
		{name: "create service with noise settings", method: "POST", path: "/api/v1/services",
			body:   `{"name":"noisy","grouping":{"mode":"none","storm":{"incidents":50,"window":"5m"}},"flap":{"changes":6,"window":"10m","quiet":"15m"},"auto_pause":"5m"}`,
			status: 201, contains: []string{`"storm":{"incidents":50,"window":"5m0s"}`, `"flap":{"changes":6,"window":"10m0s","quiet":"15m0s"}`, `"auto_pause":"5m0s"`}},
		{name: "create service with a short auto-pause", method: "POST", path: "/api/v1/services",
			body: `{"name":"noisy","auto_pause":"10s"}`, status: 400, contains: []string{`"field":"auto_pause"`}},
		{name: "create service with a bad flap window", method: "POST", path: "/api/v1/services",
			body: `{"name":"noisy","flap":{"changes":3,"window":"1s","quiet":"5m"}}`, status: 400, contains: []string{`"field":"flap.window"`}},
		{name: "turn noise settings off", method: "PATCH", path: "/api/v1/services/{svc}",
			body: `{"flap":{"changes":0},"auto_pause":0,"grouping":{"mode":"time","storm":{"incidents":0}}}`, status: 200,
			contains: []string{`"flap":{"changes":0}`, `"storm":{"incidents":0,"window":"0s"}`}, absent: []string{`"auto_pause"`}},
		{name: "delete policy a service uses", method: "DELETE", path: "/api/v1/escalation-policies/{pol}", status: 409,
			setup: func(e *ocEnv) { e.must("PATCH", "/api/v1/services/{svc}", `{"escalation_policy_id":{pol}}`, 200) }},
		{name: "get unknown policy", method: "GET", path: "/api/v1/escalation-policies/9999", status: 404},
		{name: "replace policy", method: "PUT", path: "/api/v1/escalation-policies/{pol}", body: `{"name":"Page","steps":[
			{"delay":"5m","targets":[{"type":"user","id":{bob}}]}]}`, status: 200, contains: []string{`"targets":[{"type":"user","id":{bob}}]`}},
		{name: "replace unknown policy", method: "PUT", path: "/api/v1/escalation-policies/9999", body: `{"name":"X","steps":[
			{"delay":"5m","targets":[{"type":"user","id":{bob}}]}]}`, status: 404},
		{name: "delete policy", method: "DELETE", path: "/api/v1/escalation-policies/{pol}", status: 204},
		{name: "delete policy a service uses", method: "DELETE", path: "/api/v1/escalation-policies/{pol}", status: 409,
			setup:    func(e *ocEnv) { e.must("PATCH", "/api/v1/services/{svc}", `{"escalation_policy_id":{pol}}`, 200) },
			contains: []string{"checkout"}},

		// The notification log.
		{name: "incident notifications", method: "GET", path: "/api/v1/incidents/{inc}/notifications", status: 200,
			setup: func(e *ocEnv) {
				e.create("inc", "/api/v1/incidents", `{"service_id":{svc},"title":"Checkout down","severity":"critical"}`, 201)
			},
			contains: []string{`"items":[`}},
		{name: "notifications of unknown incident", method: "GET", path: "/api/v1/incidents/9999/notifications", status: 404},
		{name: "notifications bad limit", method: "GET", path: "/api/v1/incidents/1/notifications?limit=5000", status: 400,
			contains: []string{`"field":"limit"`}},
		{name: "notification attempts", method: "GET", path: "/api/v1/notifications/{n}/attempts", status: 200,
			setup:    func(e *ocEnv) { e.create("n", "/api/v1/users/{ana}/contact-methods/{sms}/test", "", 202) },
			contains: []string{`"items":[]`}},
		{name: "attempts of unknown notification", method: "GET", path: "/api/v1/notifications/99999/attempts", status: 404,
			contains: []string{`notification 99999`}},

		// Manual pages.
		{name: "page a user", method: "POST", path: "/api/v1/page", body: `{"user_id":{ana},"message":"Look at checkout"}`, status: 202,
			contains: []string{`"kind":"manual"`, `"title":"Look at checkout"`, `"dest_type":"sms"`, `"dest_type":"webhook"`, `"user_name":"Ana"`,
				`"dest_address":"https://hooks.example.com/…"`, "Paged by admin"},
			absent: masked, check: func(e *ocEnv, _ string) { wantNotifications(e, 2) }},
		{name: "page skips disabled methods", method: "POST", path: "/api/v1/page", body: `{"user_id":{ana},"message":"x"}`, status: 202,
			setup: func(e *ocEnv) {
				e.must("PUT", "/api/v1/users/{ana}/contact-methods/{hook}", `{"disabled":true}`, 200)
			},
			contains: []string{`"dest_type":"sms"`}, absent: []string{`"dest_type":"webhook"`},
			check: func(e *ocEnv, _ string) { wantNotifications(e, 1) }},
		{name: "page a team", method: "POST", path: "/api/v1/page", body: `{"team_id":{team},"message":"All hands"}`, status: 202,
			setup: func(e *ocEnv) {
				e.create("bobmail", "/api/v1/users/{bob}/contact-methods", `{"type":"email","address":"bob@example.com"}`, 201)
			},
			contains: []string{`"user_name":"Ana"`, `"user_name":"Bob"`, `"dest_type":"email"`},
			check:    func(e *ocEnv, _ string) { wantNotifications(e, 3) }},
		{name: "page nobody", method: "POST", path: "/api/v1/page", body: `{"message":"x"}`, status: 400,
			contains: []string{`"field":"user_id"`}, check: func(e *ocEnv, _ string) { wantNotifications(e, 0) }},
		{name: "page user and team", method: "POST", path: "/api/v1/page", body: `{"user_id":{ana},"team_id":{team},"message":"x"}`,
			status: 400, contains: []string{`"field":"team_id"`}, check: func(e *ocEnv, _ string) { wantNotifications(e, 0) }},
		{name: "page without message", method: "POST", path: "/api/v1/page", body: `{"user_id":{ana},"message":"  "}`,
			status: 400, contains: []string{`"field":"message"`}},
		{name: "page a user nobody can reach", method: "POST", path: "/api/v1/page", body: `{"user_id":{bob},"message":"x"}`,
			status: 409, contains: []string{"Bob", "no enabled contact method"}, check: func(e *ocEnv, _ string) { wantNotifications(e, 0) }},
		{name: "page a team nobody can reach", method: "POST", path: "/api/v1/page", body: `{"team_id":{team2},"message":"x"}`,
			setup: func(e *ocEnv) {
				e.create("team2", "/api/v1/teams", `{"name":"Bobs","members":[{bob}]}`, 201)
			},
			status: 409, contains: []string{"Bobs", "no member", "enabled contact method"}},
		{name: "page an empty team", method: "POST", path: "/api/v1/page", body: `{"team_id":{team2},"message":"x"}`,
			setup: func(e *ocEnv) {
				e.create("team2", "/api/v1/teams", `{"name":"Empty","members":[]}`, 201)
			},
			status: 409, contains: []string{"no members"}},
		{name: "page unknown user", method: "POST", path: "/api/v1/page", body: `{"user_id":9999,"message":"x"}`, status: 404},
	}
}

// wantHookAddress checks the stored address of Ana's webhook.
func wantHookAddress(e *ocEnv, want string) {
	e.t.Helper()
	id, _ := strconv.ParseInt(e.vars["hook"], 10, 64)
	m, err := e.store.FindContactMethod(context.Background(), id)
	if err != nil || m.Address != want {
		e.t.Errorf("stored address %q (%v), want %q", m.Address, err, want)
	}
}

// wantNotifications checks how many notifications are queued.
func wantNotifications(e *ocEnv, n int) {
	e.t.Helper()
	list, err := e.store.FindNotifications(context.Background(), vigil.NotificationFilter{})
	if err != nil || len(list) != n {
		e.t.Errorf("%d notifications queued (%v), want %d", len(list), err, n)
	}
}

func TestOnCallScenarios(t *testing.T) {
	for _, sc := range ocScenarios() {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			e := newOCEnv(t)
			e.seed()
			if sc.setup != nil {
				sc.setup(e)
			}
			res := e.do(sc.method, sc.path, sc.body, !sc.noAuth)
			if res.status != sc.status {
				t.Errorf("status %d, want %d; body: %.800s", res.status, sc.status, res.body)
			}
			for _, s := range sc.contains {
				if !strings.Contains(res.body, e.expand(s)) {
					t.Errorf("body lacks %s: %.1500s", e.expand(s), res.body)
				}
			}
			for _, s := range sc.absent {
				if strings.Contains(res.body, e.expand(s)) {
					t.Errorf("body contains %s: %.1500s", e.expand(s), res.body)
				}
			}
			ct := res.header.Get("Content-Type")
			switch {
			case sc.status == 204:
			case sc.contentType != "":
				if !strings.HasPrefix(ct, sc.contentType) {
					t.Errorf("Content-Type %q, want %s", ct, sc.contentType)
				}
			case !strings.HasPrefix(ct, "application/json"):
				t.Errorf("Content-Type %q, want JSON", ct)
			}
			if res.status >= 400 && !strings.Contains(res.body, `"error":{"code":`) {
				t.Errorf("error answer not in the error shape: %.300s", res.body)
			}
			if strings.Contains(res.body, e.token) {
				t.Error("the token leaked into the answer")
			}
			if sc.check != nil {
				sc.check(e, res.body)
			}
		})
	}
}

// The time defaults follow the injected clock, not the wall clock.
func TestOnCallFollowsTheClock(t *testing.T) {
	e := newOCEnv(t)
	e.seed()
	e.clock.Set(time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC))
	res := e.do("GET", "/api/v1/on-call", "", true)
	var got struct {
		At        time.Time `json:"at"`
		Schedules []struct {
			User *struct{ Name string } `json:"user"`
		} `json:"schedules"`
	}
	if err := json.Unmarshal([]byte(res.body), &got); err != nil {
		t.Fatalf("%v: %s", err, res.body)
	}
	if !got.At.Equal(e.clock.Now()) || len(got.Schedules) != 1 || got.Schedules[0].User == nil || got.Schedules[0].User.Name != "Bob" {
		t.Errorf("answer %s", res.body)
	}
	res = e.do("GET", "/api/v1/schedules/{sched}/shifts", "", true)
	if !strings.Contains(res.body, `"from":"2026-03-04T00:00:00Z","to":"2026-03-18T00:00:00Z"`) {
		t.Errorf("shifts window: %.300s", res.body)
	}
}
