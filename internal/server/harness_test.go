package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigil-oss/vigil/internal/store"
	"github.com/vigil-oss/vigil/internal/storetest"
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

	dir       string  // SQLite: the data directory, for clone
	rateLimit float64 // the ingest rate limit, for clone
	closeOnce *sync.Once
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
	cfg := store.Config{URL: pgURL}
	if pgURL == "" {
		cfg.DataDir = storetest.SQLiteDir(t, openSQLite)
	}
	e := startEnv(t, cfg, ingestRateLimit)
	e.token = vigil.NewSecret(vigil.TokenPrefix)
	if _, err := e.store.CreateAPIToken(ctx, "admin", vigil.RoleAdmin, e.token); err != nil {
		t.Fatal(err)
	}
	actx := vigil.WithActor(ctx, vigil.Actor{Kind: vigil.ActorToken, Name: "seed", Source: vigil.SourceAPI})
	e.service = &vigil.Service{Name: "checkout", AutoResolve: true}
	e.service.Normalize()
	if err := e.store.CreateService(actx, e.service); err != nil {
		t.Fatal(err)
	}
	var err error
	if e.key, err = e.store.CreateIntegrationKey(actx, e.service.ID, "prometheus"); err != nil {
		t.Fatal(err)
	}
	e.vars["svc"] = itoa(e.service.ID)
	e.vars["token"] = e.token
	e.vars["keyid"] = itoa(e.key.ID)
	return e
}

// openSQLite opens a store on a SQLite database in dir.
func openSQLite(dir string) (io.Closer, error) {
	return store.Open(context.Background(), store.Config{DataDir: dir})
}

// migratedPostgresURL returns the URL of a new PostgreSQL database holding
// the migrated schema without rows (see storetest.NewMigratedPostgresURL).
func migratedPostgresURL(t *testing.T) string {
	return storetest.NewMigratedPostgresURL(t, func(url string) (io.Closer, error) {
		return store.Open(context.Background(), store.Config{URL: url})
	})
}

// TestMain drops the template database behind migratedPostgresURL.
func TestMain(m *testing.M) { storetest.Main(m) }

// startEnv opens the store cfg names and a server over it, not yet seeded.
func startEnv(t *testing.T, cfg store.Config, ingestRateLimit float64) *env {
	t.Helper()
	clock := vigil.NewManualClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	logs := &syncBuffer{}
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg.Clock, cfg.Logger = clock, logger
	db, err := store.Open(context.Background(), cfg)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	e := &env{t: t, store: db, clock: clock, logs: logs, vars: map[string]string{}, rateLimit: ingestRateLimit, closeOnce: &sync.Once{}}
	if cfg.URL == "" {
		e.dir = cfg.DataDir
	}
	s := New(Deps{Store: db, Clock: clock, Logger: logger, Registry: prometheus.NewRegistry(), UI: panicUI{}, IngestRateLimit: ingestRateLimit})
	e.srv = httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		e.close()
		out := logs.String()
		for _, secret := range []string{e.token, e.keySecret()} {
			if secret != "" && strings.Contains(out, secret) {
				t.Errorf("a secret appears in the log")
			}
		}
		if !e.allowErrorLogs && strings.Contains(out, `"level":"ERROR"`) {
			t.Errorf("unexpected error-level log lines:\n%s", out)
		}
	})
	return e
}

func (e *env) keySecret() string {
	if e.key == nil {
		return "" // seeding failed
	}
	return e.key.Secret
}

// close stops the server and closes the store; later calls do nothing.
func (e *env) close() {
	e.closeOnce.Do(func() {
		e.srv.Close()
		e.store.Close()
	})
}

// clone starts a server over a copy of e's SQLite database, as e left it:
// the same rows, tokens and secrets, without running the migrations and
// the seeding again. e must be closed first, so its database file is
// whole; the clone is a new env of t's, with its own clock and log.
func (e *env) clone(t *testing.T) *env {
	t.Helper()
	if e.dir == "" {
		t.Fatal("clone needs a SQLite env")
	}
	c := startEnv(t, store.Config{DataDir: storetest.CopySQLiteDir(t, e.dir)}, e.rateLimit)
	c.token, c.service, c.key, c.vars = e.token, e.service, e.key, maps.Clone(e.vars)
	c.allowErrorLogs = e.allowErrorLogs
	return c
}

// on is e with requests made on behalf of t, for subtests sharing one env.
func (e *env) on(t *testing.T) *env {
	c := *e
	c.t = t
	return &c
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
