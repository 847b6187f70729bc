// Package server mounts every route of Vigil on one http.ServeMux (see
// routes.go) behind the middleware every answer passes through: security
// headers, panic recovery, request logging and latency metrics.
package server

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigil-oss/vigil/internal/api"
	"github.com/vigil-oss/vigil/internal/auth"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// UIRegistrar mounts the web UI's routes on the server's mux. The UI
// applies its own authentication and CSRF checks (through internal/auth).
type UIRegistrar interface {
	Register(mux *http.ServeMux)
}

// Deps are what the server needs.
type Deps struct {
	Store  vigil.Store
	Clock  vigil.Clock
	Logger *slog.Logger
	// Registry receives Vigil's metrics; nil creates a new one.
	Registry *prometheus.Registry
	// UI is optional.
	UI UIRegistrar
	// IngestRateLimit is passed to the API: requests per second per
	// integration key, 0 for no limit.
	IngestRateLimit float64
	// ResolveTimeout is passed to the API: how long an alert posted to the
	// Alertmanager API without endsAt fires without a re-send.
	ResolveTimeout time.Duration
	// Inbound is passed to the API: the secrets that verify Slack's and
	// Twilio's callbacks, and the public URL Twilio signs.
	Inbound api.Inbound
	// PublicURL is passed to the API: the base of the secret addresses
	// it hands out (calendar feeds).
	PublicURL string
}

// Server is Vigil's HTTP handler.
type Server struct {
	store    vigil.Store
	log      *slog.Logger
	registry *prometheus.Registry
	metrics  *api.Metrics
	api      *api.API
	auth     *auth.Authenticator
	mux      *http.ServeMux
	handler  http.Handler
}

// New builds the server and its routes.
func New(d Deps) *Server {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Clock == nil {
		d.Clock = vigil.SystemClock{}
	}
	if d.Registry == nil {
		d.Registry = prometheus.NewRegistry()
	}
	s := &Server{
		store:    d.Store,
		log:      d.Logger,
		registry: d.Registry,
		metrics:  api.NewMetrics(d.Registry),
		auth:     &auth.Authenticator{Tokens: d.Store},
		mux:      http.NewServeMux(),
	}
	d.Registry.MustRegister(openIncidentsGauge(d.Store, d.Logger))
	s.api = api.New(api.Deps{Store: d.Store, Clock: d.Clock, Logger: d.Logger, Metrics: s.metrics, IngestRateLimit: d.IngestRateLimit,
		ResolveTimeout: d.ResolveTimeout, Inbound: d.Inbound, PublicURL: d.PublicURL})
	s.routes(d.UI)
	s.handler = s.middleware(s.mux)
	return s
}

// Handler returns the server's handler, middleware included.
func (s *Server) Handler() http.Handler { return s.handler }

// API returns the JSON API mounted by the server (for its route table).
func (s *Server) API() *api.API { return s.api }

// HTTPServer returns an http.Server for h with timeouts and limits that
// keep slow or idle clients from holding the server (catalog A10): headers
// within 10 s, a whole 1 MiB body within 30 s, 64 KiB of headers.
func HTTPServer(addr string, h http.Handler) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
}
