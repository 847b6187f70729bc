// Package api is Vigil's JSON API: handlers, wire types, the route table
// and the OpenAPI document generated from it. It speaks to storage only
// through the domain interfaces of package vigil; internal/server mounts the
// routes and applies authentication by each route's Auth.
package api

import (
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/vigil-oss/vigil/internal/ingest/alertmanager"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// Authentication a route needs.
const (
	AuthToken       = "token"       // an API token (or the web session), checked by internal/auth
	AuthIntegration = "integration" // an integration key, checked by (*API).IntegrationAuth
	// AuthTokenOrIntegration takes either: an integration key (vgi_...)
	// sees its own service, an API token everything. Alertmanager-style
	// readers send either as a bearer token or a basic-auth password.
	AuthTokenOrIntegration = "token-or-integration"
	AuthNone               = "none"
	// AuthSignature: the caller is a vendor (Slack, Twilio) calling back,
	// and the handler checks the vendor's signature of the request.
	AuthSignature = "signature"
	// AuthURLSecret: the credential is a secret in the path (calendar
	// feed URLs, which calendar apps fetch without headers), checked by
	// the handler.
	AuthURLSecret = "url-secret"
)

// Deps are what the API needs.
type Deps struct {
	Store   vigil.Store
	Clock   vigil.Clock
	Logger  *slog.Logger
	Metrics *Metrics // nil counts nothing
	// IngestRateLimit is the requests per second each integration key may
	// send (bursts of two seconds' worth); 0 means no limit.
	IngestRateLimit float64
	// ResolveTimeout is how long an alert posted to the Alertmanager API
	// without endsAt fires without a re-send (default 5 minutes).
	ResolveTimeout time.Duration
	// Inbound configures the vendor callbacks (replies to messages).
	Inbound Inbound
	// PublicURL is the base URL people reach Vigil at, for the secret
	// addresses the API hands out (calendar feeds).
	PublicURL string
}

// API serves the JSON API.
type API struct {
	store   vigil.Store
	clock   vigil.Clock
	log     *slog.Logger
	metrics *Metrics
	limiter *keyLimiter
	rules   ruleCache // compiled mapping rules per integration key
	// resolveTimeout and started serve the Alertmanager API.
	resolveTimeout time.Duration
	started        time.Time
	inbound        Inbound
	publicURL      string

	routes  []Route
	docOnce sync.Once
	doc     []byte
	docErr  error
}

// New returns the API.
func New(d Deps) *API {
	a := &API{store: d.Store, clock: d.Clock, log: d.Logger, metrics: d.Metrics, limiter: newKeyLimiter(d.IngestRateLimit)}
	if a.clock == nil {
		a.clock = vigil.SystemClock{}
	}
	if a.log == nil {
		a.log = discardLogger
	}
	a.resolveTimeout, a.started, a.inbound, a.publicURL = d.ResolveTimeout, a.clock.Now(), d.Inbound, d.PublicURL
	if a.resolveTimeout <= 0 {
		a.resolveTimeout = alertmanager.DefaultResolveTimeout
	}
	a.routes = a.buildRoutes()
	return a
}

// Param documents a query parameter of a route.
type Param struct {
	Name        string
	Type        string // "string", "integer", "date-time"
	Description string
	Repeated    bool
}

// Route is one endpoint. The server mounts Handler at Method+" "+Pattern
// behind the authentication Auth names; the OpenAPI document is generated
// from the same values.
type Route struct {
	Method  string
	Pattern string // "/api/v1/incidents/{id}"
	Auth    string // AuthToken, AuthIntegration, AuthTokenOrIntegration or AuthNone
	Summary string
	// Request is the zero value of the body type, or nil for no body.
	Request any
	// Response is the zero value of the success body type, or nil.
	Response any
	// Status is the success status (200 when zero).
	Status int
	// Query lists the query parameters the handler reads.
	Query []Param
	// Format labels ingest metrics ("native"); empty for other routes.
	Format string
	// Perm is the permission (vigil.PermRead, ...) a caller needs on a
	// route that takes an API token, set from the access table of
	// authz.go, which also enforces it. TeamScoped says the owning team's
	// managers (or, on respond routes, its responders and managers) may
	// use the route; Self that the user of the path may.
	Perm       string
	TeamScoped bool
	Self       bool
	Handler    http.Handler
}

// Routes returns every route of the API.
func (a *API) Routes() []Route { return append([]Route(nil), a.routes...) }

// handlerFunc is a handler that returns its error instead of writing it.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

func (a *API) handle(f handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := f(w, r); err != nil {
			a.writeError(w, r, err)
		}
	})
}

// writeError is WriteError with the API's logger when the server put none
// in the context.
func (a *API) writeError(w http.ResponseWriter, r *http.Request, err error) {
	if LoggerFrom(r.Context()) == discardLogger {
		r = r.WithContext(WithLogger(r.Context(), a.log))
	}
	WriteError(w, r, err)
}

// List is the answer of list endpoints.
type List[T any] struct {
	Items []T `json:"items"`
	// Total counts the matches up to vigil.MaxCountedTotal; beyond that it
	// is MaxCountedTotal and TotalCapped is true ("more than 10,000").
	Total       int  `json:"total"`
	TotalCapped bool `json:"total_capped,omitempty"`
	Offset      int  `json:"offset"`
	Limit       int  `json:"limit"`
}

func newList[T any](items []T, total, offset, limit int) List[T] {
	if items == nil {
		items = []T{}
	}
	l := List[T]{Items: items, Total: total, Offset: offset, Limit: limit}
	if total > vigil.MaxCountedTotal {
		l.Total, l.TotalCapped = vigil.MaxCountedTotal, true
	}
	return l
}

var pageParams = []Param{
	{Name: "offset", Type: "integer", Description: "items to skip (default 0)"},
	{Name: "limit", Type: "integer", Description: "items to return (default 50, at most 500)"},
}

func withPage(ps ...Param) []Param { return append(ps, pageParams...) }

func (a *API) buildRoutes() []Route {
	tok := func(method, pattern, summary string, req, resp any, status int, h handlerFunc, q ...Param) Route {
		return Route{Method: method, Pattern: pattern, Auth: AuthToken, Summary: summary,
			Request: req, Response: resp, Status: status, Query: q, Handler: a.handle(h)}
	}
	routes := []Route{
		tok("GET", "/api/v1/services", "List services", nil, List[*vigil.Service]{}, 200, a.listServices,
			withPage(Param{Name: "name", Type: "string", Description: "exact service name"})...),
		tok("POST", "/api/v1/services", "Create a service", ServiceCreate{}, &vigil.Service{}, 201, a.createService),
		tok("GET", "/api/v1/services/{id}", "Get a service", nil, &vigil.Service{}, 200, a.getService),
		tok("PATCH", "/api/v1/services/{id}", "Update a service", vigil.ServiceUpdate{}, &vigil.Service{}, 200, a.updateService),
		tok("DELETE", "/api/v1/services/{id}", "Delete a service (refused while it has incidents)", nil, nil, 204, a.deleteService),

		tok("POST", "/api/v1/services/{id}/integration-keys", "Create an integration key; its secret is shown only in this answer",
			IntegrationKeyCreate{}, &vigil.IntegrationKey{}, 201, a.createIntegrationKey),
		tok("GET", "/api/v1/services/{id}/integration-keys", "List a service's integration keys (without secrets)",
			nil, Items[*vigil.IntegrationKey]{}, 200, a.listIntegrationKeys),
		tok("DELETE", "/api/v1/services/{id}/integration-keys/{key_id}", "Revoke an integration key", nil, nil, 204, a.revokeIntegrationKey),
		tok("GET", "/api/v1/integration-keys/{id}/rules", "An integration key's mapping rules", nil, MappingRules{}, 200, a.getMappingRules),
		tok("PUT", "/api/v1/integration-keys/{id}/rules", "Replace an integration key's mapping rules (checked first; [] removes them)",
			MappingRulesUpdate{}, MappingRules{}, 200, a.setMappingRules),

		tok("GET", "/api/v1/incidents", "List incidents, newest first", nil, List[*vigil.Incident]{}, 200, a.listIncidents,
			withPage(
				Param{Name: "status", Type: "string", Repeated: true, Description: "triggered, acknowledged, resolved; comma-separated or repeated"},
				Param{Name: "service_id", Type: "integer"},
				Param{Name: "severity", Type: "string", Description: "critical, error, warning, info"},
				Param{Name: "since", Type: "date-time", Description: "created at or after (RFC 3339)"},
				Param{Name: "until", Type: "date-time", Description: "created before (RFC 3339)"},
				Param{Name: "q", Type: "string", Description: "text in the title"},
			)...),
		tok("POST", "/api/v1/incidents", "Declare an incident", vigil.IncidentDeclaration{}, &vigil.Incident{}, 201, a.declareIncident),
		tok("GET", "/api/v1/incidents/{id}", "Get an incident with its alerts (up to 100)", nil, IncidentDetail{}, 200, a.getIncident),
		tok("PATCH", "/api/v1/incidents/{id}", "Change an incident's title or severity", vigil.IncidentUpdate{}, &vigil.Incident{}, 200, a.updateIncident),
		tok("POST", "/api/v1/incidents/{id}/acknowledge", "Acknowledge an incident", nil, &vigil.Incident{}, 200, a.incidentTransition((vigil.IncidentService).AcknowledgeIncident)),
		tok("POST", "/api/v1/incidents/{id}/resolve", "Resolve an incident and its firing alerts", nil, &vigil.Incident{}, 200, a.incidentTransition((vigil.IncidentService).ResolveIncident)),
		tok("POST", "/api/v1/incidents/{id}/reopen", "Reopen a resolved incident", nil, &vigil.Incident{}, 200, a.incidentTransition((vigil.IncidentService).ReopenIncident)),
		tok("POST", "/api/v1/incidents/{id}/notes", "Add a note to an incident's timeline", NoteCreate{}, &vigil.TimelineEntry{}, 201, a.addNote),
		tok("GET", "/api/v1/incidents/{id}/timeline", "An incident's timeline, oldest first", nil, Timeline{}, 200, a.getTimeline),

		tok("GET", "/api/v1/alerts", "List alerts, newest first", nil, List[*vigil.Alert]{}, 200, a.listAlerts,
			withPage(
				Param{Name: "service_id", Type: "integer"},
				Param{Name: "incident_id", Type: "integer"},
				Param{Name: "status", Type: "string", Description: "firing or resolved"},
				Param{Name: "dedup_key", Type: "string"},
			)...),
		tok("GET", "/api/v1/alerts/{id}", "Get an alert", nil, &vigil.Alert{}, 200, a.getAlert),

		{Method: "POST", Pattern: "/api/v1/events", Auth: AuthIntegration, Format: FormatNative,
			Summary:  "Send one event or a batch (Authorization: Bearer <integration key>)",
			Request:  oneOf{NativeEvent{}, []NativeEvent{}},
			Response: oneOf{vigil.EventResult{}, BatchResponse{}},
			Status:   202, Handler: a.handle(a.ingestNative)},
		{Method: "POST", Pattern: "/api/v1/services/{id}/events", Auth: AuthToken, Format: FormatNative,
			Summary:  "Send one event or a batch to a service with an API token of the ingest scope",
			Request:  oneOf{NativeEvent{}, []NativeEvent{}},
			Response: oneOf{vigil.EventResult{}, BatchResponse{}},
			Status:   202, Handler: a.handle(a.ingestServiceEvents)},

		tok("POST", "/api/v1/integrations/preview", "Show what a sender's payload would become (events, refusals), storing nothing",
			PreviewRequest{}, PreviewResponse{}, 200, a.previewEvents),

		tok("GET", "/api/v1/openapi.json", "This OpenAPI document", nil, map[string]any{}, 200, a.openAPI),
	}
	// The drop-in formats of other senders, one file each.
	routes = append(routes, a.alertmanagerRoutes()...)
	routes = append(routes, a.pagerdutyRoutes()...)
	routes = append(routes, a.pagerdutyChangeRoutes()...)
	routes = append(routes, a.opsgenieRoutes()...)
	routes = append(routes, a.alertmanagerAPIRoutes()...)
	routes = append(routes, a.changeRoutes()...)
	routes = append(routes, a.heartbeatRoutes()...)
	routes = append(routes, a.oncallRoutes()...)
	routes = append(routes, a.inboundRoutes()...)
	routes = append(routes, a.silenceRoutes()...)
	routes = append(routes, a.maintenanceRoutes()...)
	routes = append(routes, a.inhibitRoutes()...)
	routes = append(routes, a.feedRoutes()...)
	routes = append(routes, a.stakeholderRoutes()...)
	routes = append(routes, a.classificationRoutes()...)
	routes = append(routes, a.noiseRoutes()...)
	routes = append(routes, a.incidentRoleRoutes()...)
	routes = append(routes, a.auditRoutes()...)
	routes = append(routes, a.accountRoutes()...)
	routes = append(routes, a.identityRoutes()...)
	routes = append(routes, a.tokenRoutes()...)
	return a.withAccess(routes)
}
