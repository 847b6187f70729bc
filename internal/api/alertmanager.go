package api

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/vigil-oss/vigil/internal/ingest/alertmanager"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// FormatAlertmanager is the metrics label of Alertmanager's webhook.
const FormatAlertmanager = "alertmanager"

// AlertmanagerResult is what one accepted alert of a webhook did.
type AlertmanagerResult struct {
	Index       int    `json:"index"`
	Fingerprint string `json:"fingerprint"`
	vigil.EventResult
}

// AlertmanagerResponse answers a webhook. Alertmanager reads only the
// status; the body is for people testing with curl. Error is set (and the
// status is 400) when no alert was accepted.
type AlertmanagerResponse struct {
	Error    *ErrorBody               `json:"error,omitempty"`
	Status   string                   `json:"status"` // success or error
	Accepted int                      `json:"accepted"`
	Results  []AlertmanagerResult     `json:"results"`
	Errors   []alertmanager.ItemError `json:"errors"`
}

// alertmanagerRoutes are the Alertmanager-compatible endpoints.
func (a *API) alertmanagerRoutes() []Route {
	return []Route{{
		Method: "POST", Pattern: "/api/v1/integrations/alertmanager", Auth: AuthIntegration, Format: FormatAlertmanager,
		Summary: "Alertmanager webhook receiver (webhook_configs; the integration key as bearer token or basic-auth password). " +
			"Valid alerts are stored, refused ones listed in errors; 200 when any alert was accepted, 400 when none",
		Request: alertmanager.Webhook{}, Response: AlertmanagerResponse{}, Status: http.StatusOK,
		Handler: a.handle(a.ingestAlertmanager),
	}}
}

// ingestAlertmanager serves the webhook. A partly bad batch is not refused
// whole: Alertmanager does not retry a 4xx, so the good alerts would be
// lost. Valid alerts go to the store in one ProcessEvents call.
func (a *API) ingestAlertmanager(w http.ResponseWriter, r *http.Request) error {
	key := IntegrationKeyFrom(r.Context())
	if key == nil {
		return vigil.Errorf(vigil.CodeInternal, "ingest route mounted without integration key authentication")
	}
	body, err := ReadJSONBody(w, r)
	if err != nil {
		a.metrics.CountIngest(FormatAlertmanager, ingestResult(err), 1)
		return err
	}
	hook, events, itemErrs, err := alertmanager.DecodeWebhook(body)
	if err != nil {
		a.metrics.CountIngest(FormatAlertmanager, IngestInvalid, 1)
		return err
	}
	a.metrics.CountIngest(FormatAlertmanager, IngestInvalid, len(itemErrs))

	valid := make([]*vigil.Event, 0, len(events))
	index := make([]int, 0, len(events)) // alert index of each valid event
	for i, e := range events {
		if e == nil {
			continue
		}
		e.ServiceID = key.ServiceID
		e.IntegrationKeyID = &key.ID
		valid = append(valid, e)
		index = append(index, i)
	}
	a.mapEvents(r.Context(), key, FormatAlertmanager, valid)
	resp := AlertmanagerResponse{Status: "success", Accepted: len(valid), Results: []AlertmanagerResult{}, Errors: itemErrs}
	if resp.Errors == nil {
		resp.Errors = []alertmanager.ItemError{}
	}
	if len(valid) == 0 {
		resp.Status = "error"
		resp.Error = &ErrorBody{Code: vigil.CodeInvalid, Message: "no alert of the webhook was accepted; see errors"}
		WriteJSON(w, http.StatusBadRequest, resp)
		return nil
	}
	results, err := a.store.ProcessEvents(r.Context(), valid)
	if err == nil && len(results) != len(valid) {
		err = vigil.Errorf(vigil.CodeInternal, "store answered %d results for %d events", len(results), len(valid))
	}
	if err != nil {
		a.metrics.CountIngest(FormatAlertmanager, ingestResult(err), len(valid))
		return err
	}
	a.metrics.CountIngest(FormatAlertmanager, IngestAccepted, len(valid))
	a.metrics.CountAlerts(results)
	for j, res := range results {
		resp.Results = append(resp.Results, AlertmanagerResult{
			Index: index[j], Fingerprint: fingerprintOf(valid[j]), EventResult: res})
	}
	if hook.TruncatedAlerts > 0 {
		a.noteTruncation(r, hook, results)
	}
	WriteJSON(w, http.StatusOK, resp)
	return nil
}

func fingerprintOf(e *vigil.Event) string { return e.DedupKey[len("am:"):] }

// noteTruncation records on each incident the webhook touched that
// Alertmanager left alerts out (its max_alerts), once per distinct text so
// re-sent notifications do not flood the timeline. The alerts are already
// stored: a failure here is logged, not answered with a 5xx that would
// make Alertmanager re-send them.
func (a *API) noteTruncation(r *http.Request, hook *alertmanager.Webhook, results []vigil.EventResult) {
	ctx := r.Context()
	log := LoggerFrom(ctx)
	if log == discardLogger {
		log = a.log
	}
	group := hook.GroupKey
	if len(group) > 1024 {
		group = strings.ToValidUTF8(group[:1024], "") + "…"
	}
	text := fmt.Sprintf("Alertmanager truncated %d alerts of group %s", hook.TruncatedAlerts, group)
	seen := map[int64]bool{}
	for _, res := range results {
		id := res.IncidentID
		if id == 0 || seen[id] {
			continue
		}
		seen[id] = true
		if err := a.addNoteOnce(r, id, text); err != nil {
			log.WarnContext(ctx, "could not record Alertmanager truncation", "incident_id", id, "err", err)
		}
	}
}

func (a *API) addNoteOnce(r *http.Request, incidentID int64, text string) error {
	// The sender's own incident, private or not; nothing of it is answered.
	ctx := vigil.WithViewer(r.Context(), vigil.SystemViewer)
	entries, err := a.store.FindTimeline(ctx, incidentID)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.Kind == vigil.EntryNote && e.Message == text {
			return nil
		}
	}
	_, err = a.store.AddNote(ctx, incidentID, text)
	return err
}
