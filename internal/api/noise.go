package api

import (
	"net/http"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// Responders' verdicts on incidents and the noise report.

// FeedbackInput is the body of PUT /api/v1/incidents/{id}/feedback.
type FeedbackInput struct {
	// Verdict is "noise", "actionable", or "" to clear it.
	Verdict *string `json:"verdict"`
}

var noiseParams = []Param{
	{Name: "since", Type: "date-time", Description: "start of the range (RFC 3339; default: 7 days before until)"},
	{Name: "until", Type: "date-time", Description: "end of the range, exclusive (RFC 3339; default: the end of the current minute)"},
	{Name: "tz", Type: "string", Description: "IANA time zone in which night (22:00–07:00) is read (default UTC)"},
}

func (a *API) noiseRoutes() []Route {
	tok := func(method, pattern, summary string, req, resp any, h handlerFunc, q ...Param) Route {
		return Route{Method: method, Pattern: pattern, Auth: AuthToken, Summary: summary,
			Request: req, Response: resp, Status: http.StatusOK, Query: q, Handler: a.handle(h)}
	}
	return []Route{
		tok("GET", "/api/v1/incidents/{id}/feedback", "A responder's verdict on an incident: noise, actionable or none",
			nil, &vigil.IncidentFeedback{}, a.getFeedback),
		tok("PUT", "/api/v1/incidents/{id}/feedback", `Mark an incident "noise" or "actionable" ("" clears the verdict); written to the timeline`,
			FeedbackInput{}, &vigil.IncidentFeedback{}, a.setFeedback),
		tok("GET", "/api/v1/reports/noise", "The noise report: alerts, incidents, pages, quick acknowledgements, night pages and verdicts per service, integration key and classification rule, with suggestions",
			nil, &vigil.NoiseReport{}, a.noiseReport, noiseParams...),
	}
}

func (a *API) getFeedback(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	fb, err := a.store.FindIncidentFeedback(r.Context(), id)
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, fb)
	return nil
}

func (a *API) setFeedback(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in FeedbackInput
	if err := decodeStrict(w, r, &in); err != nil {
		return err
	}
	if in.Verdict == nil {
		return vigil.FieldError("verdict", `is required: "noise", "actionable" or "" to clear`)
	}
	fb, err := a.store.SetIncidentFeedback(r.Context(), id, *in.Verdict)
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, fb)
	return nil
}

func (a *API) noiseReport(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r)
	if q.err != nil {
		return q.err
	}
	nq, err := vigil.ParseNoiseQuery(q.v.Get, a.clock.Now())
	if err != nil {
		return err
	}
	rep, err := a.store.NoiseReport(r.Context(), nq)
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, rep)
	return nil
}
