package server

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

	"github.com/vigil-oss/vigil/internal/store"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// env is a server over a fresh SQLite store, seeded with an admin token,
// a service and an integration key. Every test's log is checked at the end
// for the secrets and for error lines nobody expected.
type env struct {
	t       *testing.T
	store   *store.DB
	clock   *vigil.ManualClock
	srv     *httptest.Server
	logs    *syncBuffer
	token   string
	service *vigil.Service
	key     *vigil.IntegrationKey
	// vars substitute {name} in scenario paths and bodies.
	vars map[string]string
	// allowErrorLogs turns off the check for error-level log lines.
	allowErrorLogs bool
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// panicUI stands in for the web UI: it registers one route that panics.
type panicUI struct{}

func (panicUI) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /boom", func(http.ResponseWriter, *http.Request) { panic("boom: kaput") })
}

func newEnv(t *testing.T) *env { return newEnvOn(t, "") }

// newEnvOn opens a fresh SQLite store, or the PostgreSQL database at pgURL.
func newEnvOn(t *testing.T, pgURL string) *env { return newEnvConfig(t, pgURL, 0) }

// newEnvConfig also sets the ingest rate limit per integration key.
func newEnvConfig(t *testing.T, pgURL string, ingestRateLimit float64) *env {
	t.Helper()
	ctx := context.Background()
	clock := vigil.NewManualClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	logs := &syncBuffer{}
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	db, err := store.Open(ctx, store.Config{URL: pgURL, DataDir: t.TempDir(), Clock: clock, Logger: logger})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	e := &env{t: t, store: db, clock: clock, logs: logs, vars: map[string]string{}}
	e.token = vigil.NewSecret(vigil.TokenPrefix)
	if _, err := db.CreateAPIToken(ctx, "admin", vigil.RoleAdmin, e.token); err != nil {
		t.Fatal(err)
	}
	actx := vigil.WithActor(ctx, vigil.Actor{Kind: vigil.ActorToken, Name: "seed", Source: vigil.SourceAPI})
	e.service = &vigil.Service{Name: "checkout", AutoResolve: true}
	e.service.Normalize()
	if err := db.CreateService(actx, e.service); err != nil {
		t.Fatal(err)
	}
	if e.key, err = db.CreateIntegrationKey(actx, e.service.ID, "prometheus"); err != nil {
		t.Fatal(err)
	}
	s := New(Deps{Store: db, Clock: clock, Logger: logger, Registry: prometheus.NewRegistry(), UI: panicUI{}, IngestRateLimit: ingestRateLimit})
	e.srv = httptest.NewServer(s.Handler())
	e.vars["svc"] = itoa(e.service.ID)
	e.vars["token"] = e.token
	e.vars["keyid"] = itoa(e.key.ID)
	t.Cleanup(func() {
		e.srv.Close()
		db.Close()
		out := logs.String()
		for _, secret := range []string{e.token, e.key.Secret} {
			if strings.Contains(out, secret) {
				t.Errorf("a secret appears in the log")
			}
		}
		if !e.allowErrorLogs && strings.Contains(out, `"level":"ERROR"`) {
			t.Errorf("unexpected error-level log lines:\n%s", out)
		}
	})
	return e
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func (e *env) expand(s string) string {
	for k, v := range e.vars {
		s = strings.ReplaceAll(s, "{"+k+"}", v)
	}
	return s
}

type response struct {
	status int
	header http.Header
	body   string
}

// json decodes the body into v, failing the test when it is not JSON.
func (r response) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(r.body), v); err != nil {
		t.Fatalf("answer is not JSON (%v): %s", err, r.body)
	}
}

// do sends a request. headers may name "Authorization": "" to send none;
// by default the admin token is sent, and a body gets a JSON content type.
func (e *env) do(method, path string, body io.Reader, headers map[string]string) response {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+e.expand(path), body)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+e.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range headers {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, e.expand(v))
		}
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{status: res.StatusCode, header: res.Header, body: string(b)}
}

func (e *env) call(method, path, body string) response {
	e.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(e.expand(body))
	}
	return e.do(method, path, r, nil)
}

// ingest posts to /api/v1/events with the integration key.
func (e *env) ingest(body string) response {
	e.t.Helper()
	return e.do("POST", "/api/v1/events", strings.NewReader(e.expand(body)), map[string]string{"Authorization": "Bearer " + e.key.Secret})
}

// want fails unless the answer has the status.
func (r response) want(t *testing.T, status int) response {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body: %.500s", r.status, status, r.body)
	}
	return r
}
