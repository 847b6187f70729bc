package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// PagerDutyChangeEvent documents the body of POST /v2/change/enqueue.
type PagerDutyChangeEvent struct {
	RoutingKey string                  `json:"routing_key"`
	Payload    *PagerDutyChangePayload `json:"payload,omitempty"`
	Links      []vigil.Link            `json:"links,omitempty"`
}

// PagerDutyChangePayload is the payload of a change event.
type PagerDutyChangePayload struct {
	Summary string `json:"summary"`
	Source  string `json:"source,omitempty"`
	// Timestamp is when the change happened (ISO 8601); the received time
	// when absent.
	Timestamp     string         `json:"timestamp,omitempty"`
	CustomDetails map[string]any `json:"custom_details,omitempty"`
}

// pagerdutyChangeRoutes is PagerDuty's change events endpoint.
func (a *API) pagerdutyChangeRoutes() []Route {
	return []Route{
		{Method: "POST", Pattern: "/v2/change/enqueue", Auth: AuthNone, Format: FormatPagerDuty,
			Summary: "PagerDuty change event: record a change (a deploy) on the routing key's service",
			Request: PagerDutyChangeEvent{}, Response: PagerDutyResponse{}, Status: http.StatusAccepted,
			Handler: http.HandlerFunc(a.pagerdutyChange)},
	}
}

// pagerdutyChange serves POST /v2/change/enqueue like the Events v2
// endpoint: read (512 KB), decode, authenticate the routing key from the
// body, rate-limit per key, store, answer 202 once committed.
func (a *API) pagerdutyChange(w http.ResponseWriter, r *http.Request) {
	count := func(result string) { a.metrics.CountIngest(FormatPagerDuty, result, 1) }
	body, err := readPagerDutyBody(w, r)
	if err != nil {
		count(IngestInvalid)
		a.pagerdutyError(w, r, err)
		return
	}
	key, c, errs, ok := decodePagerDutyChange(body)
	if !ok {
		count(IngestInvalid)
		WriteJSON(w, http.StatusBadRequest, PagerDutyResponse{Status: "Unrecognized object",
			Message: "Event object format is unrecognized", Errors: []string{"JSON parse error"}})
		return
	}
	ik := a.pagerdutyKey(w, r, key, errs, count)
	if ik == nil {
		return
	}
	if len(errs) == 0 {
		c.ServiceID, c.IntegrationKeyID = ik.ServiceID, &ik.ID
		if err := c.Validate(); err != nil {
			errs = []string{changeFieldError(err)}
		}
	}
	if len(errs) > 0 {
		count(IngestInvalid)
		writePagerDutyInvalid(w, errs)
		return
	}
	ctx := vigil.WithActor(r.Context(), vigil.Actor{Kind: vigil.ActorIntegration, ID: ik.ID, Name: ik.Name, Source: vigil.SourceIntegration})
	if err := a.store.CreateChangeEvent(ctx, c); err != nil {
		count(ingestResult(err))
		if vigil.ErrorCode(err) == vigil.CodeInvalid {
			writePagerDutyInvalid(w, []string{changeFieldError(err)})
			return
		}
		a.pagerdutyError(w, r, err)
		return
	}
	count(IngestAccepted)
	WriteJSON(w, http.StatusAccepted, PagerDutyResponse{Status: "success", Message: "Change event processed"})
}

// changeFieldError names a validation error's field the way PagerDuty
// does ("'payload.summary' must be at most 1024 bytes").
func changeFieldError(err error) string {
	field := vigil.ErrorField(err)
	switch {
	case field == "summary" || field == "source":
		field = "payload." + field
	case field == "details":
		field = "payload.custom_details"
	case field == "":
		return vigil.ErrorMessage(err)
	}
	return fmt.Sprintf("'%s' %s", field, vigil.ErrorMessage(err))
}

// changeTimeLayouts are the ISO 8601 forms senders use for
// payload.timestamp (PagerDuty's own examples write "+0000").
var changeTimeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999Z0700", "2006-01-02T15:04:05.999999999"}

// decodePagerDutyChange decodes a change event. ok is false when the body
// is not a JSON object. key is the routing key ("" when missing); errs
// name the fields that are wrong; otherwise c is the event without its
// service. Links other than http(s) are dropped, as on /v2/enqueue.
func decodePagerDutyChange(body []byte) (key string, c *vigil.ChangeEvent, errs []string, ok bool) {
	var o map[string]json.RawMessage
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '{' || json.Unmarshal(body, &o) != nil {
		return "", nil, nil, false
	}
	fail := func(field, msg string) { errs = append(errs, fmt.Sprintf("'%s' %s", field, msg)) }
	str := func(o map[string]json.RawMessage, prefix, name string) string {
		raw, ok := o[name]
		if !ok || isJSONNull(raw) {
			return ""
		}
		var s string
		if json.Unmarshal(raw, &s) != nil {
			fail(prefix+name, "must be a string")
		}
		return s
	}
	key = strings.TrimSpace(str(o, "", "routing_key"))
	if key == "" && len(errs) == 0 {
		fail("routing_key", "is missing")
	}
	var p map[string]json.RawMessage
	if raw, has := o["payload"]; has && !isJSONNull(raw) && json.Unmarshal(raw, &p) != nil {
		fail("payload", "must be an object")
	}
	c = &vigil.ChangeEvent{}
	n := len(errs)
	c.Summary = str(p, "payload.", "summary")
	if len(errs) == n && strings.TrimSpace(c.Summary) == "" {
		fail("payload.summary", "is missing or blank")
	}
	c.Source = str(p, "payload.", "source")
	if ts := strings.TrimSpace(str(p, "payload.", "timestamp")); ts != "" {
		var t time.Time
		var err error
		for _, layout := range changeTimeLayouts {
			if t, err = time.Parse(layout, ts); err == nil {
				break
			}
		}
		if err != nil {
			fail("payload.timestamp", "must be an ISO 8601 time")
		}
		c.Timestamp = t
	}
	if raw, has := p["custom_details"]; has && !isJSONNull(raw) {
		var buf bytes.Buffer
		if err := json.Compact(&buf, raw); err != nil {
			fail("payload.custom_details", "must be valid JSON")
		} else if buf.Len() > 0 && buf.Bytes()[0] == '{' {
			c.Details = buf.Bytes()
		} else {
			// Not an object: kept under its name.
			c.Details = json.RawMessage(`{"custom_details":` + buf.String() + `}`)
		}
	}
	var links []json.RawMessage
	if raw, has := o["links"]; has && !isJSONNull(raw) {
		_ = json.Unmarshal(raw, &links)
	}
	for _, raw := range links {
		var l struct {
			Href any `json:"href"`
			Text any `json:"text"`
		}
		if json.Unmarshal(raw, &l) != nil {
			continue
		}
		href, _ := l.Href.(string)
		text, _ := l.Text.(string)
		if vigil.ValidateLink(href) == nil && vigil.ValidateText("links.text", text, vigil.MaxSummaryLen) == nil && len(c.Links) < vigil.MaxLinks {
			c.Links = append(c.Links, vigil.Link{Href: href, Text: text})
		}
	}
	if len(errs) > 0 {
		return key, nil, errs, true
	}
	return key, c, nil, true
}

func isJSONNull(raw json.RawMessage) bool { return bytes.Equal(bytes.TrimSpace(raw), []byte("null")) }
