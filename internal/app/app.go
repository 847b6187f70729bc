// Package app is the composition root as a library: it opens storage, wires
// the API, the web UI and the server, and runs them. It never touches
// signals, so tests start the real server in-process on port 0.
package app

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigil-oss/vigil/internal/auth"
	"github.com/vigil-oss/vigil/internal/engine"
	"github.com/vigil-oss/vigil/internal/oidc"
	"github.com/vigil-oss/vigil/internal/seal"
	"github.com/vigil-oss/vigil/internal/server"
	"github.com/vigil-oss/vigil/internal/signed"
	"github.com/vigil-oss/vigil/internal/store"
	"github.com/vigil-oss/vigil/internal/sweep"
	"github.com/vigil-oss/vigil/internal/vigil"
	"github.com/vigil-oss/vigil/internal/web"
)

// Config is everything the server needs; cmd/vigil fills it from flags and
// environment.
type Config struct {
	// Addr is the listen address, e.g. 127.0.0.1:8080 (":0" picks a port).
	Addr string
	// DataDir holds the SQLite database when DatabaseURL is empty.
	DataDir string
	// DatabaseURL selects PostgreSQL (postgres://...).
	DatabaseURL string
	// SecretKeys encrypt the secrets kept in the database (webhook and
	// Teams URLs, stakeholder channels, signing keys, TOTP secrets); nil
	// keeps them in plaintext (tests). vigil serve always sets it.
	SecretKeys *seal.Keys
	// AdminToken becomes the first admin API token on first start; when
	// empty a random one is generated and printed once.
	AdminToken string
	// PublicURL is how users reach this server (for links and curl
	// examples); derived from the listen address when empty.
	PublicURL string
	// IngestRateLimit is the requests per second each integration key may
	// send to this process (bursts of two seconds' worth); 0 means none.
	IngestRateLimit float64
	// ResolveTimeout is how long an alert posted to the Alertmanager API
	// without endsAt stays firing unless re-sent (default 5 minutes).
	ResolveTimeout time.Duration
	// IngestRequestRetention is how long the outcomes of Opsgenie requests
	// (GET /v2/alerts/requests/{id}) are kept; default 7 days.
	IngestRequestRetention time.Duration
	// Channels configures the notification channels.
	Channels Channels
	// EngineLease is how long a replica's claim on a message holds
	// (default 1m): a replica that dies mid-send is covered by another
	// after at most this.
	EngineLease time.Duration
	// ActionLinkTTL is how long the acknowledge and resolve links in
	// messages work (default signed.DefaultTTL, a day).
	ActionLinkTTL time.Duration
	// EngineInterval is the longest wait between engine cycles (default
	// 1s; new incidents wake it at once). Negative disables the background
	// engine: tests with a manual clock call EngineCycle.
	EngineInterval time.Duration
	// Clock defaults to the system clock.
	Clock vigil.Clock
	// SweepTick is how often (by the wall clock) the housekeeping loop
	// looks for due jobs; default one second. Tests with a manual clock
	// call Sweep instead.
	SweepTick time.Duration
	// Logger defaults to discarding.
	Logger *slog.Logger
	// Out receives the one-time messages meant for the person starting the
	// server (the web UI's URL, a generated admin token). Defaults to discard.
	Out io.Writer
	// TLSCert and TLSKey are PEM files: with both, the server speaks HTTPS
	// (and its cookies are Secure).
	TLSCert, TLSKey string
	// TrustedProxies are the reverse proxies whose X-Forwarded-For and
	// X-Forwarded-Proto are believed; none by default.
	TrustedProxies auth.Proxies
	// Passwords are the argon2id costs of new password hashes; zero means
	// auth.DefaultPasswordParams.
	Passwords auth.PasswordParams
	// OIDC is single sign-on through an OpenID Connect provider; off when
	// its Issuer is empty.
	OIDC oidc.Config
}

// App is a running Vigil server.
type App struct {
	cfg    Config
	log    *slog.Logger
	store  *store.DB
	server *server.Server
	http   *http.Server
	ln     net.Listener
	served chan error
	sweep  *sweep.Runner
	stop   context.CancelFunc // stops the housekeeping loop
	swept  chan struct{}      // closed when the housekeeping loop returned
	engine *engine.Engine
	kick   atomic.Pointer[engine.Engine] // the engine that new work wakes, once running
	estop  context.CancelFunc            // stops the engine loop
	edone  chan struct{}                 // closed when the engine loop returned
	links  links                         // the URLs messages carry
}

// New opens (and migrates) the database, bootstraps the first admin token
// and builds the HTTP handlers. It does not listen yet.
func New(ctx context.Context, cfg Config) (*App, error) {
	if cfg.Clock == nil {
		cfg.Clock = vigil.SystemClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Out == nil {
		cfg.Out = io.Discard
	}
	if cfg.SweepTick <= 0 {
		cfg.SweepTick = time.Second
	}
	if cfg.IngestRequestRetention <= 0 {
		cfg.IngestRequestRetention = DefaultIngestRequestRetention
	}
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:8080"
	}
	if cfg.DatabaseURL == "" && cfg.DataDir == "" {
		cfg.DataDir = "vigil-data"
	}
	a := &App{cfg: cfg, log: cfg.Logger}
	db, err := store.Open(ctx, store.Config{URL: cfg.DatabaseURL, DataDir: cfg.DataDir, Clock: cfg.Clock, Logger: cfg.Logger, Secrets: cfg.SecretKeys,
		OnWork: func() {
			if e := a.kick.Load(); e != nil {
				e.Kick()
			}
		}})
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	a.store = db
	if err := a.bootstrap(ctx); err != nil {
		db.Close()
		return nil, err
	}
	a.sweep = sweep.New(cfg.Clock, cfg.Logger, a.jobs()...)
	return a, nil
}

// startEngine builds the notification engine once the public URL is known
// (messages link to it) and runs it unless disabled.
func (a *App) startEngine() error {
	senders, err := a.cfg.Channels.senders(a.cfg.PublicURL)
	if err != nil {
		return err
	}
	a.engine = engine.New(engine.Config{Store: a.store, Sender: senders, Clock: a.cfg.Clock, Logger: a.log,
		Interval: a.cfg.EngineInterval, Lease: a.cfg.EngineLease, Links: a.links.of})
	if a.cfg.EngineInterval < 0 {
		return nil
	}
	a.kick.Store(a.engine)
	// The engine reads every incident: it is Vigil itself.
	ctx, stop := context.WithCancel(vigil.WithViewer(context.Background(), vigil.SystemViewer))
	a.estop, a.edone = stop, make(chan struct{})
	go func() {
		defer close(a.edone)
		a.engine.Run(ctx)
	}()
	return nil
}

// EngineCycle runs one engine cycle now (tests move a manual clock and
// call it).
func (a *App) EngineCycle(ctx context.Context) (engine.Stats, error) {
	return a.engine.Cycle(vigil.WithViewer(ctx, vigil.SystemViewer))
}

// bootstrap creates the first admin token on first start.
func (a *App) bootstrap(ctx context.Context) error {
	n, err := a.store.CountAPITokens(ctx)
	if err != nil {
		return fmt.Errorf("count API tokens: %w", err)
	}
	if n > 0 {
		return nil
	}
	secret := a.cfg.AdminToken
	generated := secret == ""
	if generated {
		secret = vigil.NewSecret(vigil.TokenPrefix)
	} else if len(secret) < 16 {
		return errors.New("VIGIL_ADMIN_TOKEN must be at least 16 characters")
	}
	if _, err := a.store.CreateAPIToken(ctx, "admin", vigil.RoleAdmin, secret); err != nil {
		// Two replicas starting together on one PostgreSQL may both see no
		// token; the second insert of the same secret then loses the race,
		// which is fine as long as the token is there.
		if _, aerr := a.store.AuthenticateAPIToken(ctx, secret, ""); aerr != nil {
			return fmt.Errorf("create admin token: %w", err)
		}
		return nil
	}
	if generated {
		fmt.Fprintf(a.cfg.Out, "\nFirst start: created an admin API token. It is shown only this once; keep it safe:\n\n    %s\n\n", secret)
	} else {
		fmt.Fprintln(a.cfg.Out, "First start: the token from VIGIL_ADMIN_TOKEN is now an admin API token.")
	}
	return nil
}

// Start listens on the configured address and serves in the background.
func (a *App) Start() error {
	ln, err := net.Listen("tcp", a.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", a.cfg.Addr, err)
	}
	a.ln = ln
	tlsConfig, err := a.tlsConfig()
	if err != nil {
		ln.Close()
		return err
	}
	if a.cfg.PublicURL == "" {
		scheme := "http://"
		if tlsConfig != nil {
			scheme = "https://"
		}
		a.cfg.PublicURL = scheme + browsable(ln.Addr().String())
	}
	kctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	key, err := a.store.SigningKey(kctx, vigil.KeyActionLinks)
	cancel()
	if err != nil {
		ln.Close()
		return fmt.Errorf("action link key: %w", err)
	}
	ttl := a.cfg.ActionLinkTTL
	if ttl <= 0 {
		ttl = signed.DefaultTTL
	}
	a.links = links{base: strings.TrimRight(a.cfg.PublicURL, "/"), signer: signed.New(key), clock: a.cfg.Clock, ttl: ttl}
	var sso web.SSO
	if a.cfg.OIDC.Enabled() {
		c, err := oidc.New(a.cfg.OIDC, a.cfg.PublicURL, a.cfg.Clock, nil)
		if err != nil {
			ln.Close()
			return err
		}
		sso = c
	}
	ui, err := web.New(web.Deps{
		SSO:   sso,
		Store: a.store,
		Auth: &auth.Authenticator{Tokens: a.store, Accounts: a.store, Clock: a.cfg.Clock,
			Passwords: a.cfg.Passwords, Proxies: a.cfg.TrustedProxies},
		Clock:       a.cfg.Clock,
		Logger:      a.log,
		PublicURL:   strings.TrimRight(a.cfg.PublicURL, "/"),
		ActionLinks: a.links.signer,
		// People reach Vigil over TLS (ours, or a proxy's in front) when its
		// public URL says https: then every cookie is Secure.
		SecureCookies: strings.HasPrefix(strings.ToLower(a.cfg.PublicURL), "https://"),
	})
	if err != nil {
		ln.Close()
		return fmt.Errorf("web UI: %w", err)
	}
	a.server = server.New(server.Deps{
		Store:           a.store,
		Clock:           a.cfg.Clock,
		Logger:          a.log,
		Registry:        prometheus.NewRegistry(),
		UI:              ui,
		IngestRateLimit: a.cfg.IngestRateLimit,
		ResolveTimeout:  a.cfg.ResolveTimeout,
		Inbound:         a.cfg.Channels.inbound(strings.TrimRight(a.cfg.PublicURL, "/")),
		PublicURL:       strings.TrimRight(a.cfg.PublicURL, "/"),
	})
	if err := a.startEngine(); err != nil {
		ln.Close()
		return fmt.Errorf("notification channels: %w", err)
	}
	a.http = server.HTTPServer(ln.Addr().String(), a.server.Handler())
	if tlsConfig != nil {
		a.http.TLSConfig = tlsConfig
		ln = tls.NewListener(ln, tlsConfig)
	}
	a.served = make(chan error, 1)
	go func() {
		err := a.http.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		a.served <- err
	}()
	sctx, stop := context.WithCancel(vigil.WithViewer(context.Background(), vigil.SystemViewer))
	a.stop, a.swept = stop, make(chan struct{})
	go func() {
		defer close(a.swept)
		a.sweep.Run(sctx, a.cfg.SweepTick)
	}()
	a.log.Info("vigil serving", "addr", ln.Addr().String(), "database", a.store.Dialect())
	return nil
}

// tlsConfig loads the certificate and key when both are set, so a bad file
// fails at start; nil without TLS.
func (a *App) tlsConfig() (*tls.Config, error) {
	if a.cfg.TLSCert == "" && a.cfg.TLSKey == "" {
		return nil, nil
	}
	if a.cfg.TLSCert == "" || a.cfg.TLSKey == "" {
		return nil, errors.New("TLS needs both a certificate and a key file")
	}
	cert, err := tls.LoadX509KeyPair(a.cfg.TLSCert, a.cfg.TLSKey)
	if err != nil {
		return nil, fmt.Errorf("load TLS certificate: %w", err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12, NextProtos: []string{"h2", "http/1.1"}}, nil
}

// Sweep runs the housekeeping jobs due at the clock's now (tests move a
// manual clock and call it) and returns how many ran.
func (a *App) Sweep(ctx context.Context) int {
	return a.sweep.RunDue(vigil.WithViewer(ctx, vigil.SystemViewer))
}

// URL is the base URL of the running server.
func (a *App) URL() string { return strings.TrimRight(a.cfg.PublicURL, "/") }

// Store gives tests and offline commands the database.
func (a *App) Store() vigil.Store { return a.store }

// Run starts the server, prints where the UI is, and serves until ctx is
// cancelled, then shuts down gracefully.
func (a *App) Run(ctx context.Context) error {
	if err := a.Start(); err != nil {
		a.store.Close()
		return err
	}
	fmt.Fprintf(a.cfg.Out, "Vigil is running (%s). Web UI: %s/\n", a.store.Dialect(), a.URL())
	select {
	case <-ctx.Done():
	case err := <-a.served:
		a.store.Close()
		return err
	}
	sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return a.Shutdown(sctx)
}

// Shutdown stops accepting requests, lets in-flight ones finish, then closes
// the database (in that order, so no committed-but-unanswered work is cut).
func (a *App) Shutdown(ctx context.Context) error {
	var errs []error
	if a.http != nil {
		if err := a.http.Shutdown(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	if a.estop != nil {
		a.estop() // a cycle in flight finishes its sends and records them
		<-a.edone
	}
	if a.stop != nil {
		a.stop()
		<-a.swept
	}
	if err := a.store.Close(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// browsable turns a listen address into one a browser can open.
func browsable(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}
