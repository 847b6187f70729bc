package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/vigil-oss/vigil/internal/ingest/pagerduty"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// FormatPagerDuty is the metrics label of PagerDuty's Events API.
const FormatPagerDuty = "pagerduty"

// PagerDutyV2Event documents the body of POST /v2/enqueue.
type PagerDutyV2Event struct {
	RoutingKey  string            `json:"routing_key"`
	EventAction string            `json:"event_action" enum:"trigger,acknowledge,resolve"`
	DedupKey    string            `json:"dedup_key,omitempty"`
	Payload     *PagerDutyPayload `json:"payload,omitempty"`
	Images      []PagerDutyImage  `json:"images,omitempty"`
	Links       []vigil.Link      `json:"links,omitempty"`
	Client      string            `json:"client,omitempty"`
	ClientURL   string            `json:"client_url,omitempty"`
}

// PagerDutyPayload is the payload of a v2 trigger.
type PagerDutyPayload struct {
	Summary       string         `json:"summary"`
	Source        string         `json:"source"`
	Severity      vigil.Severity `json:"severity"`
	Timestamp     string         `json:"timestamp,omitempty"`
	Component     string         `json:"component,omitempty"`
	Group         string         `json:"group,omitempty"`
	Class         string         `json:"class,omitempty"`
	CustomDetails map[string]any `json:"custom_details,omitempty"`
}

// PagerDutyImage is an image of a v2 event, kept in the alert's details.
type PagerDutyImage struct {
	Src  string `json:"src"`
	Href string `json:"href,omitempty"`
	Alt  string `json:"alt,omitempty"`
}

// PagerDutyV1Event documents the body of POST
// /generic/2010-04-15/create_event.json.
type PagerDutyV1Event struct {
	ServiceKey  string         `json:"service_key"`
	EventType   string         `json:"event_type" enum:"trigger,acknowledge,resolve"`
	IncidentKey string         `json:"incident_key,omitempty"`
	Description string         `json:"description,omitempty"`
	Details     map[string]any `json:"details,omitempty"`
	Client      string         `json:"client,omitempty"`
	ClientURL   string         `json:"client_url,omitempty"`
}

// PagerDutyResponse is every answer of the PagerDuty endpoints, in
// PagerDuty's shape: {"status","message","dedup_key"|"incident_key","errors"}.
type PagerDutyResponse struct {
	Status      string   `json:"status"`
	Message     string   `json:"message"`
	DedupKey    string   `json:"dedup_key,omitempty"`
	IncidentKey string   `json:"incident_key,omitempty"`
	Errors      []string `json:"errors,omitempty"`
}

// pagerdutyRoutes are the PagerDuty-compatible endpoints. The credential is
// the routing_key (service_key) in the body, so the handler authenticates
// it itself after decoding.
func (a *API) pagerdutyRoutes() []Route {
	return []Route{
		{Method: "POST", Pattern: "/v2/enqueue", Auth: AuthNone, Format: FormatPagerDuty,
			Summary: "PagerDuty Events API v2: trigger, acknowledge or resolve an alert (routing_key = an integration key)",
			Request: PagerDutyV2Event{}, Response: PagerDutyResponse{}, Status: http.StatusAccepted,
			Handler: a.pagerduty(pagerduty.DecodeV2, http.StatusAccepted, false)},
		{Method: "POST", Pattern: "/generic/2010-04-15/create_event.json", Auth: AuthNone, Format: FormatPagerDuty,
			Summary: "PagerDuty Events API v1 (service_key = an integration key)",
			Request: PagerDutyV1Event{}, Response: PagerDutyResponse{}, Status: http.StatusOK,
			Handler: a.pagerduty(pagerduty.DecodeV1, http.StatusOK, true)},
	}
}

// pagerduty serves one event of PagerDuty's Events API: read, decode,
// authenticate the key from the body, rate-limit, store, answer 202 (v2)
// or 200 (v1) with the dedup key once the store has committed.
func (a *API) pagerduty(decode func([]byte) (*pagerduty.Request, error), okStatus int, v1 bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		count := func(result string) { a.metrics.CountIngest(FormatPagerDuty, result, 1) }
		body, err := readPagerDutyBody(w, r)
		if err != nil {
			count(IngestInvalid)
			a.pagerdutyError(w, r, err)
			return
		}
		req, err := decode(body)
		if err != nil {
			count(IngestInvalid)
			WriteJSON(w, http.StatusBadRequest, PagerDutyResponse{Status: "Unrecognized object",
				Message: "Event object format is unrecognized", Errors: []string{"JSON parse error"}})
			return
		}
		key := a.pagerdutyKey(w, r, req.Key, req.Errors, count)
		if key == nil {
			return
		}
		if req.Event == nil {
			count(IngestInvalid)
			writePagerDutyInvalid(w, req.Errors)
			return
		}
		e := req.Event
		e.ServiceID, e.IntegrationKeyID = key.ServiceID, &key.ID
		ctx := context.WithValue(r.Context(), integrationKeyCtx{}, key)
		ctx = vigil.WithActor(ctx, vigil.Actor{Kind: vigil.ActorIntegration, ID: key.ID, Name: key.Name, Source: vigil.SourceIntegration})
		a.mapEvents(ctx, key, pagerdutyFormat(v1), []*vigil.Event{e})
		results, err := a.store.ProcessEvents(ctx, []*vigil.Event{e})
		if err == nil && len(results) != 1 {
			err = vigil.Errorf(vigil.CodeInternal, "store answered %d results for 1 event", len(results))
		}
		if err != nil {
			count(ingestResult(err))
			a.pagerdutyError(w, r, err)
			return
		}
		count(IngestAccepted)
		a.metrics.CountAlerts(results)
		resp := PagerDutyResponse{Status: "success", Message: "Event processed"}
		if v1 {
			resp.IncidentKey = e.DedupKey
		} else {
			resp.DedupKey = e.DedupKey
		}
		WriteJSON(w, okStatus, resp)
	})
}

// pagerdutyKey authenticates the routing key a PagerDuty body carries and
// takes one request from its rate limit. On failure it answers the way
// PagerDuty does (a missing key with the decoder's field errors, an unknown
// one as "Invalid routing key"), counts the refusal and returns nil.
func (a *API) pagerdutyKey(w http.ResponseWriter, r *http.Request, routingKey string, fieldErrs []string, count func(string)) *vigil.IntegrationKey {
	if routingKey == "" {
		count(IngestInvalid)
		writePagerDutyInvalid(w, fieldErrs)
		return nil
	}
	key, err := a.store.AuthenticateIntegrationKey(r.Context(), routingKey)
	if err != nil {
		count(ingestResult(err))
		if vigil.ErrorCode(err) == vigil.CodeUnauthorized {
			writePagerDutyInvalid(w, []string{"Invalid routing key"})
			return nil
		}
		a.pagerdutyError(w, r, err)
		return nil
	}
	if err := a.limiter.admit(key.ID, a.clock.Now()); err != nil {
		count(IngestRateLimited)
		a.pagerdutyError(w, r, err)
		return nil
	}
	return key
}

var errPagerDutyTooLarge = vigil.Errorf(vigil.CodeTooLarge, "Event object is too large; the limit is 512 KB")

// readPagerDutyBody reads a body of at most PagerDuty's 512 KB.
func readPagerDutyBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	return readSenderBody(w, r, pagerduty.MaxBodyBytes, errPagerDutyTooLarge)
}

// pagerdutyError answers err with its status in PagerDuty's envelope,
// logging internal errors once, like WriteError.
func (a *API) pagerdutyError(w http.ResponseWriter, r *http.Request, err error) {
	err = classify(err)
	code := vigil.ErrorCode(err)
	status := StatusOf(code)
	log := LoggerFrom(r.Context())
	if log == discardLogger {
		log = a.log
	}
	resp := PagerDutyResponse{Message: vigil.ErrorMessage(err)}
	switch code {
	case vigil.CodeInvalid:
		writePagerDutyInvalid(w, []string{vigil.ErrorMessage(err)})
		return
	case vigil.CodeTooLarge:
		resp.Status, resp.Errors = "invalid event", []string{"Event object exceeds the 512 KB limit"}
	case vigil.CodeUnsupportedMedia:
		resp.Status = "invalid event"
	case vigil.CodeRateLimited:
		resp.Status = "throttle event"
		resp.Message = "Requests for this routing key are arriving too quickly; retry after the Retry-After delay"
		after := time.Second
		var ra RetryAfterer
		if errors.As(err, &ra) && ra.RetryAfter() > 0 {
			after = ra.RetryAfter()
		}
		w.Header().Set("Retry-After", strconv.Itoa(int((after+time.Second-1)/time.Second)))
	case vigil.CodeUnavailable:
		log.WarnContext(r.Context(), "service unavailable", "method", r.Method, "path", r.URL.Path, "err", err)
		resp.Status = "unavailable"
	default:
		log.ErrorContext(r.Context(), "internal error", "method", r.Method, "path", r.URL.Path, "err", err)
		resp.Status = "error"
	}
	WriteJSON(w, status, resp)
}

func writePagerDutyInvalid(w http.ResponseWriter, errs []string) {
	WriteJSON(w, http.StatusBadRequest, PagerDutyResponse{Status: "invalid event", Message: "Event object is invalid", Errors: errs})
}
