package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-oss/vigil/internal/ingest/opsgenie"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// FormatOpsgenie is the metrics label of Opsgenie's Alert API.
const FormatOpsgenie = "opsgenie"

// Opsgenie request actions, as GET /v2/alerts/requests/{id} reports them.
const (
	opsgenieCreate      = "Create"
	opsgenieClose       = "Close"
	opsgenieAcknowledge = "Acknowledge"
)

// OpsgenieResponse is every answer of the Opsgenie endpoints but the
// request status: {"result"|"message","took","requestId"}; validation errors
// also name the field in "errors".
type OpsgenieResponse struct {
	Result    string            `json:"result,omitempty"`
	Message   string            `json:"message,omitempty"`
	Errors    map[string]string `json:"errors,omitempty"`
	Took      float64           `json:"took"`
	RequestID string            `json:"requestId"`
}

// OpsgenieRequestStatus is the answer of GET /v2/alerts/requests/{id}.
type OpsgenieRequestStatus struct {
	Data      OpsgenieRequestData `json:"data"`
	Took      float64             `json:"took"`
	RequestID string              `json:"requestId"`
}

// OpsgenieRequestData is the outcome of one earlier request.
type OpsgenieRequestData struct {
	Success       bool      `json:"success"`
	Action        string    `json:"action"`
	ProcessedAt   time.Time `json:"processedAt"`
	IntegrationID string    `json:"integrationId"`
	IsSuccess     bool      `json:"isSuccess"`
	Status        string    `json:"status"`
	AlertID       string    `json:"alertId"`
	Alias         string    `json:"alias"`
}

var identifierTypeParam = Param{Name: "identifierType", Type: "string",
	Description: "id (Vigil's alert id, the default), tiny (the same) or alias"}

// opsgenieRoutes are the Opsgenie-compatible endpoints. The credential is
// "Authorization: GenieKey <integration key>" (a bearer token or the basic
// auth password are accepted too), checked by the handlers themselves so
// that errors come in Opsgenie's envelope.
func (a *API) opsgenieRoutes() []Route {
	return []Route{
		{Method: "POST", Pattern: "/v2/alerts", Auth: AuthNone, Format: FormatOpsgenie,
			Summary: "Opsgenie Alert API: create an alert (Authorization: GenieKey <integration key>)",
			Request: opsgenie.Create{}, Response: OpsgenieResponse{}, Status: http.StatusAccepted,
			Handler: a.opsgenieHandler(true, a.opsgenieCreate)},
		{Method: "POST", Pattern: "/v2/alerts/{identifier}/close", Auth: AuthNone, Format: FormatOpsgenie,
			Summary: "Opsgenie Alert API: close (resolve) an alert by id or alias",
			Request: opsgenie.Action{}, Response: OpsgenieResponse{}, Status: http.StatusAccepted, Query: []Param{identifierTypeParam},
			Handler: a.opsgenieHandler(true, a.opsgenieAct(opsgenieClose))},
		{Method: "POST", Pattern: "/v2/alerts/{identifier}/acknowledge", Auth: AuthNone, Format: FormatOpsgenie,
			Summary: "Opsgenie Alert API: acknowledge an alert by id or alias",
			Request: opsgenie.Action{}, Response: OpsgenieResponse{}, Status: http.StatusAccepted, Query: []Param{identifierTypeParam},
			Handler: a.opsgenieHandler(true, a.opsgenieAct(opsgenieAcknowledge))},
		{Method: "GET", Pattern: "/v2/alerts/requests/{requestId}", Auth: AuthNone, Format: FormatOpsgenie,
			Summary:  "Opsgenie Alert API: the outcome of an earlier request of the same key",
			Response: OpsgenieRequestStatus{}, Status: http.StatusOK,
			Handler: a.opsgenieHandler(false, a.opsgenieRequest)},
	}
}

// opsgenieCall is one Opsgenie request after authentication.
type opsgenieCall struct {
	start time.Time
	id    string // the requestId of this answer
	key   *vigil.IntegrationKey
}

func (c *opsgenieCall) took() float64 {
	return float64(time.Since(c.start).Round(time.Millisecond)) / float64(time.Second)
}

// opsgenieHandler authenticates the GenieKey, rate-limits the key and runs
// fn, answering its error in Opsgenie's envelope. ingest says whether the
// request counts in the ingest metrics.
func (a *API) opsgenieHandler(ingest bool, fn func(w http.ResponseWriter, r *http.Request, c *opsgenieCall) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := &opsgenieCall{start: time.Now(), id: newRequestID()}
		count := func(result string) {
			if ingest {
				a.metrics.CountIngest(FormatOpsgenie, result, 1)
			}
		}
		secret := genieKey(r)
		if secret == "" {
			count(IngestUnauthorized)
			a.opsgenieError(w, r, c, errGenieKeyFormat)
			return
		}
		key, err := a.store.AuthenticateIntegrationKey(r.Context(), secret)
		if err != nil {
			count(ingestResult(err))
			if vigil.ErrorCode(err) == vigil.CodeUnauthorized {
				err = errGenieKeyUnknown
			}
			a.opsgenieError(w, r, c, err)
			return
		}
		if err := a.limiter.admit(key.ID, a.clock.Now()); err != nil {
			count(IngestRateLimited)
			a.opsgenieError(w, r, c, err)
			return
		}
		c.key = key
		ctx := context.WithValue(r.Context(), integrationKeyCtx{}, key)
		ctx = vigil.WithActor(ctx, vigil.Actor{Kind: vigil.ActorIntegration, ID: key.ID, Name: key.Name, Source: vigil.SourceIntegration})
		// A sender acts on its own service's alerts (opsgenieAlert checks
		// the service), private incidents too; its answers name no incident.
		ctx = vigil.WithViewer(ctx, vigil.SystemViewer)
		if err := fn(w, r.WithContext(ctx), c); err != nil {
			count(ingestResult(err))
			a.opsgenieError(w, r, c, err)
			return
		}
		count(IngestAccepted)
	})
}

var (
	errGenieKeyFormat  = vigil.Errorf(vigil.CodeUnauthorized, "Key format is not valid!")
	errGenieKeyUnknown = vigil.Errorf(vigil.CodeUnauthorized, "Could not authenticate")
)

// genieKey is the integration key of "Authorization: GenieKey <key>" (the
// scheme in any case); a bearer token or basic-auth password also work.
func genieKey(r *http.Request) string {
	h := strings.TrimSpace(r.Header.Get("Authorization"))
	if scheme, rest, ok := strings.Cut(h, " "); ok && strings.EqualFold(scheme, "GenieKey") {
		return strings.TrimSpace(rest)
	}
	return integrationSecret(r)
}

func (a *API) opsgenieCreate(w http.ResponseWriter, r *http.Request, c *opsgenieCall) error {
	body, err := readOpsgenieBody(w, r)
	if err != nil {
		return err
	}
	in, e, err := opsgenie.DecodeCreate(body)
	if err != nil {
		return err
	}
	e.ServiceID, e.IntegrationKeyID = c.key.ServiceID, &c.key.ID
	a.mapEvents(r.Context(), c.key, FormatOpsgenie, []*vigil.Event{e})
	alias := in.Alias
	if strings.TrimSpace(alias) == "" {
		alias = e.DedupKey
	}
	// The alert and the request's outcome commit together: one commit per
	// create, and no alert without its request status.
	results, err := a.store.ProcessEventsRecorded(r.Context(), []*vigil.Event{e}, func(res []vigil.EventResult) *vigil.IngestRequest {
		status := "Created alert"
		if !res[0].AlertNew {
			status = "Alert deduplicated"
		}
		id := res[0].AlertID
		return &vigil.IngestRequest{ID: c.id, IntegrationKeyID: c.key.ID, Action: opsgenieCreate,
			Success: true, Status: status, AlertID: &id, Alias: alias}
	})
	if err == nil && len(results) != 1 {
		err = vigil.Errorf(vigil.CodeInternal, "store answered %d results for 1 event", len(results))
	}
	if err != nil {
		return err
	}
	a.metrics.CountAlerts(results)
	WriteJSON(w, http.StatusAccepted, OpsgenieResponse{Result: "Request will be processed", Took: c.took(), RequestID: c.id})
	return nil
}

// opsgenieAct closes or acknowledges the alert named by the path, by
// Vigil's alert id (identifierType id or tiny) or by alias. An alert that
// does not exist (or belongs to another service) is still a 202: like
// Opsgenie, the request status reports the failure.
func (a *API) opsgenieAct(action string) func(w http.ResponseWriter, r *http.Request, c *opsgenieCall) error {
	verb, done := vigil.ActionResolve, "Closed alert"
	if action == opsgenieAcknowledge {
		verb, done = vigil.ActionAcknowledge, "Acknowledged alert"
	}
	return func(w http.ResponseWriter, r *http.Request, c *opsgenieCall) error {
		ctx := r.Context()
		identifier := r.PathValue("identifier")
		idType := strings.ToLower(strings.TrimSpace(r.URL.Query().Get("identifierType")))
		if idType == "" {
			idType = "id"
		}
		if idType != "id" && idType != "alias" && idType != "tiny" {
			return vigil.FieldError("identifierType", "identifierType should be one of [id, alias, tiny].")
		}
		if strings.TrimSpace(identifier) == "" {
			return vigil.FieldError("identifier", "Identifier can not be empty.")
		}
		body, err := readOpsgenieBody(w, r)
		if err != nil {
			return err
		}
		in, err := opsgenie.DecodeAction(body)
		if err != nil {
			return err
		}
		note := strings.TrimSpace(in.Note)
		if note != "" && in.User != "" {
			note += " (" + strings.TrimSpace(in.User) + ")"
		}
		if err := vigil.ValidateText("note", note, vigil.MaxNoteLen); err != nil {
			return err
		}
		rec := &vigil.IngestRequest{ID: c.id, IntegrationKeyID: c.key.ID, Action: action, Alias: identifier}
		var dedupKey string
		if idType == "alias" {
			if err := vigil.ValidateText("identifier", identifier, opsgenie.MaxAliasLen*4); err != nil {
				return err
			}
			dedupKey = opsgenie.DedupKey(identifier)
		} else {
			rec.Alias = ""
			al, err := a.opsgenieAlert(ctx, identifier, c.key.ServiceID)
			if err != nil {
				return err
			}
			if al == nil {
				rec.Status = "Alert does not exist"
				return a.opsgenieAccepted(w, r, c, rec)
			}
			rec.Alias, rec.AlertID = al.DedupKey, &al.ID
			if al.Status == vigil.AlertResolved {
				// Acting on its dedup key would reach a newer alert.
				rec.Success, rec.Status = action == opsgenieClose, "Alert is already closed"
				if err := a.opsgenieNote(ctx, al.IncidentID, note); err != nil {
					return err
				}
				return a.opsgenieAccepted(w, r, c, rec)
			}
			dedupKey = al.DedupKey
		}
		if dedupKey == "" {
			return vigil.FieldError("identifier", "Identifier can not be empty.")
		}
		e := &vigil.Event{Action: verb, DedupKey: dedupKey, ServiceID: c.key.ServiceID, IntegrationKeyID: &c.key.ID}
		e.Normalize()
		if err := e.Validate(); err != nil {
			return vigil.FieldError("identifier", "identifier %s", vigil.ErrorMessage(err))
		}
		res, err := a.process(ctx, e)
		if err != nil {
			return err
		}
		if res.AlertID == 0 {
			rec.Status = "Alert does not exist"
			return a.opsgenieAccepted(w, r, c, rec)
		}
		rec.Success, rec.Status, rec.AlertID = true, done, &res.AlertID
		if err := a.opsgenieNote(ctx, res.IncidentID, note); err != nil {
			return err
		}
		return a.opsgenieAccepted(w, r, c, rec)
	}
}

// opsgenieAlert returns the alert of an Opsgenie id (Vigil's alert id) if
// it belongs to the service, or nil.
func (a *API) opsgenieAlert(ctx context.Context, identifier string, serviceID int64) (*vigil.Alert, error) {
	id, err := strconv.ParseInt(strings.TrimSpace(identifier), 10, 64)
	if err != nil || id <= 0 {
		return nil, nil
	}
	al, err := a.store.FindAlertByID(ctx, id)
	if vigil.ErrorCode(err) == vigil.CodeNotFound || (err == nil && al.ServiceID != serviceID) {
		return nil, nil
	}
	return al, err
}

// opsgenieNote adds the sender's note to the incident's timeline.
func (a *API) opsgenieNote(ctx context.Context, incidentID int64, note string) error {
	if note == "" || incidentID == 0 {
		return nil
	}
	_, err := a.store.AddNote(ctx, incidentID, note)
	return err
}

// process stores one event and counts what it did.
func (a *API) process(ctx context.Context, e *vigil.Event) (vigil.EventResult, error) {
	results, err := a.store.ProcessEvents(ctx, []*vigil.Event{e})
	if err == nil && len(results) != 1 {
		err = vigil.Errorf(vigil.CodeInternal, "store answered %d results for 1 event", len(results))
	}
	if err != nil {
		return vigil.EventResult{}, err
	}
	a.metrics.CountAlerts(results)
	return results[0], nil
}

// opsgenieAccepted records the outcome under the request id and answers 202.
// The record is its own write after the event's: when it fails the sender
// gets an error and retries, which the dedup key makes safe.
func (a *API) opsgenieAccepted(w http.ResponseWriter, r *http.Request, c *opsgenieCall, rec *vigil.IngestRequest) error {
	if err := a.store.RecordIngestRequest(r.Context(), rec); err != nil {
		return err
	}
	WriteJSON(w, http.StatusAccepted, OpsgenieResponse{Result: "Request will be processed", Took: c.took(), RequestID: c.id})
	return nil
}

func (a *API) opsgenieRequest(w http.ResponseWriter, r *http.Request, c *opsgenieCall) error {
	id := r.PathValue("requestId")
	rec, err := a.store.FindIngestRequest(r.Context(), id, c.key.ID)
	if vigil.ErrorCode(err) == vigil.CodeNotFound {
		return vigil.Errorf(vigil.CodeNotFound, "Request not found. It might not be processed, yet.")
	}
	if err != nil {
		return err
	}
	d := OpsgenieRequestData{Success: rec.Success, Action: rec.Action, ProcessedAt: rec.ProcessedAt,
		IntegrationID: strconv.FormatInt(rec.IntegrationKeyID, 10), IsSuccess: rec.Success, Status: rec.Status, Alias: rec.Alias}
	if rec.AlertID != nil {
		d.AlertID = strconv.FormatInt(*rec.AlertID, 10)
	}
	WriteJSON(w, http.StatusOK, OpsgenieRequestStatus{Data: d, Took: c.took(), RequestID: c.id})
	return nil
}

var errOpsgenieTooLarge = vigil.Errorf(vigil.CodeTooLarge, "Request body is too large; the limit is 512 KB.")

// readOpsgenieBody reads a body of at most Opsgenie's 512 KB.
func readOpsgenieBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	return readSenderBody(w, r, opsgenie.MaxBodyBytes, errOpsgenieTooLarge)
}

// opsgenieError answers err in Opsgenie's envelope: a body that is not JSON
// is 400, other validation errors 422 with the field in "errors", the other
// codes their usual status.
// Internal errors are logged once, like WriteError.
func (a *API) opsgenieError(w http.ResponseWriter, r *http.Request, c *opsgenieCall, err error) {
	err = classify(err)
	code := vigil.ErrorCode(err)
	status := StatusOf(code)
	log := LoggerFrom(r.Context())
	if log == discardLogger {
		log = a.log
	}
	resp := OpsgenieResponse{Message: vigil.ErrorMessage(err), Took: c.took(), RequestID: c.id}
	switch code {
	case vigil.CodeInvalid:
		status = http.StatusUnprocessableEntity
		if errors.Is(err, opsgenie.ErrInvalidJSON) {
			status = http.StatusBadRequest // Opsgenie: "Bad Request (Syntax Error only)"
		}
		if f := vigil.ErrorField(err); f != "" {
			resp.Errors = map[string]string{f: resp.Message}
		}
	case vigil.CodeRateLimited:
		resp.Message = "You are making too many requests! To avoid errors, we recommend you limit requests."
		after := time.Second
		var ra RetryAfterer
		if errors.As(err, &ra) && ra.RetryAfter() > 0 {
			after = ra.RetryAfter()
		}
		w.Header().Set("Retry-After", strconv.Itoa(int((after+time.Second-1)/time.Second)))
	case vigil.CodeUnavailable:
		log.WarnContext(r.Context(), "service unavailable", "method", r.Method, "path", r.URL.Path, "err", err)
	case vigil.CodeUnauthorized:
		w.Header().Set("WWW-Authenticate", `GenieKey realm="vigil"`)
	case vigil.CodeNotFound, vigil.CodeTooLarge, vigil.CodeUnsupportedMedia, vigil.CodeConflict, vigil.CodeForbidden:
	default:
		log.ErrorContext(r.Context(), "internal error", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	WriteJSON(w, status, resp)
}

// newRequestID returns a random version 4 UUID.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
