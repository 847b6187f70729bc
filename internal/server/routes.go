package server

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/vigil-oss/vigil/internal/api"
	"github.com/vigil-oss/vigil/internal/auth"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// routes lists every route of the server in one place. The web UI adds its
// own (it owns "/" and its pages; the server owns /api/, /healthz, /readyz
// and /metrics).
func (s *Server) routes(ui UIRegistrar) {
	for _, rt := range s.api.Routes() {
		s.mux.Handle(rt.Method+" "+rt.Pattern, s.authenticate(rt))
	}
	s.mux.HandleFunc("/api/", s.apiFallback)

	s.mux.HandleFunc("GET /healthz", healthz)
	s.mux.HandleFunc("GET /readyz", s.readyz)
	s.mux.Handle("GET /metrics", s.auth.Middleware(
		auth.Viewing(readersOnly(promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{}))), api.WriteError))

	if ui != nil {
		ui.Register(s.mux)
	}
}

// authenticate wraps a route's handler in the check its Auth names. An
// unknown Auth value panics at startup rather than serving a route open.
func (s *Server) authenticate(rt api.Route) http.Handler {
	switch rt.Auth {
	case api.AuthToken:
		return s.auth.Middleware(auth.Viewing(rt.Handler), api.WriteError)
	case api.AuthIntegration:
		return s.api.IntegrationAuth(rt.Format, rt.Handler)
	case api.AuthTokenOrIntegration:
		return s.tokenOrIntegration(rt)
	case api.AuthNone, api.AuthSignature, api.AuthURLSecret:
		// AuthSignature handlers check the vendor's signature themselves,
		// AuthURLSecret ones the secret in the path.
		return rt.Handler
	}
	panic("server: route " + rt.Method + " " + rt.Pattern + " has unknown auth " + rt.Auth)
}

// tokenOrIntegration accepts an integration key or an API token, told
// apart by their prefixes, as a bearer token or a basic-auth password
// (readers of Alertmanager's API, like Grafana, often send basic auth).
func (s *Server) tokenOrIntegration(rt api.Route) http.Handler {
	key := s.api.IntegrationAuth(rt.Format, rt.Handler)
	tok := s.auth.Middleware(auth.Viewing(rt.Handler), api.WriteError)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		secret := auth.BearerToken(r)
		if secret == "" {
			if _, pw, ok := r.BasicAuth(); ok && pw != "" {
				secret = pw
				r = r.Clone(r.Context())
				r.Header.Set("Authorization", "Bearer "+pw)
			}
		}
		if strings.HasPrefix(secret, vigil.IntegrationKeyPrefix) {
			key.ServeHTTP(w, r)
			return
		}
		tok.ServeHTTP(w, r)
	})
}

// apiFallback answers /api/ requests no route matched: 405 with Allow
// when the path exists with other methods, else 404, both as JSON errors.
func (s *Server) apiFallback(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		if m == r.Method {
			continue
		}
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := s.mux.Handler(probe); pattern != "/api/" && pattern != "" {
			allow = append(allow, m)
		}
	}
	if len(allow) > 0 {
		w.Header()["Allow"] = allow
		api.WriteError(w, r, &vigil.Error{Code: api.CodeMethodNotAllowed, Message: "method " + r.Method + " is not allowed here"})
		return
	}
	api.WriteError(w, r, vigil.Errorf(vigil.CodeNotFound, "no such API endpoint"))
}

// healthz says the process serves HTTP; it never touches the database.
func healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte("ok\n"))
}

// readyz says whether the database answers. Any failure is 503: a load
// balancer must take the instance out, whatever the cause.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		if vigil.ErrorCode(err) != vigil.CodeUnavailable {
			err = &vigil.Error{Code: vigil.CodeUnavailable, Message: "the database is unavailable", Err: err}
		}
		api.WriteError(w, r, err)
		return
	}
	api.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readersOnly lets through whoever may read everything: the metrics count
// every incident, so stakeholders (who read only what is shared with
// them) are refused, and so are tokens without the read scope (an ingest
// token that leaked from a sender must not read the figures).
func readersOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := auth.Require(r.Context(), vigil.PermRead); err != nil {
			api.WriteError(w, r, err)
			return
		}
		next.ServeHTTP(w, r)
	})
}
