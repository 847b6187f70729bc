package alertmanager

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// PostableAlert is one alert of Alertmanager's API v2 (POST /api/v2/alerts),
// as Prometheus, Grafana and amtool send it. Unknown fields are ignored.
type PostableAlert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	StartsAt     string            `json:"startsAt,omitempty"`
	EndsAt       string            `json:"endsAt,omitempty"`
	GeneratorURL string            `json:"generatorURL,omitempty"`
}

// APISource is the Source of events posted to the API.
const APISource = "alertmanager-api"

// DefaultResolveTimeout is how long an alert posted without endsAt stays
// firing without being re-sent (Alertmanager's resolve_timeout default).
const DefaultResolveTimeout = 5 * time.Minute

// DecodePostableAlerts decodes the body of POST /api/v2/alerts with
// Alertmanager's and Prometheus' resend semantics, at the receiver's now:
//
//   - endsAt at or before now: the sender says the alert is over (resolve);
//   - endsAt after now: firing, and it resolves on its own at endsAt unless
//     re-sent (Prometheus re-sends firing alerts every evaluation with a
//     fresh endsAt a few intervals ahead);
//   - no endsAt: firing until now + resolveTimeout unless re-sent.
//
// The fingerprint is Alertmanager's (Fingerprint of the labels), so the
// dedup key "am:<fingerprint>" is shared with the same alert arriving in a
// webhook. A fingerprint field in the body is ignored, as Alertmanager
// does. A body that is not a JSON array, or an empty one, is refused whole
// (err); otherwise each alert is judged alone as in DecodeWebhook (errs,
// nil entries in events).
func DecodePostableAlerts(body []byte, now time.Time, resolveTimeout time.Duration) (events []*vigil.Event, errs []ItemError, err error) {
	if resolveTimeout <= 0 {
		resolveTimeout = DefaultResolveTimeout
	}
	trimmed := strings.TrimSpace(string(body))
	if trimmed == "" {
		return nil, nil, vigil.FieldError("body", "is empty; send a JSON array of alerts")
	}
	if trimmed[0] != '[' {
		return nil, nil, vigil.FieldError("body", "must be a JSON array of alerts")
	}
	var raws []json.RawMessage
	if err := json.Unmarshal([]byte(trimmed), &raws); err != nil {
		return nil, nil, vigil.FieldError("body", "is not valid JSON: %v", err)
	}
	if len(raws) == 0 {
		return nil, nil, vigil.FieldError("body", "must hold at least one alert")
	}
	hook := &Webhook{}
	events = make([]*vigil.Event, len(raws))
	for i, raw := range raws {
		field := fmt.Sprintf("[%d]", i)
		e, ierr := decodePostable(hook, raw, field, now, resolveTimeout)
		if ierr != nil {
			errs = append(errs, ItemError{Index: i, Field: vigil.ErrorField(ierr), Message: vigil.ErrorMessage(ierr)})
			continue
		}
		events[i] = e
	}
	return events, errs, nil
}

func decodePostable(hook *Webhook, raw []byte, field string, now time.Time, resolveTimeout time.Duration) (*vigil.Event, error) {
	var p PostableAlert
	if err := unmarshalValid(raw, &p, field); err != nil { // the array was valid JSON
		return nil, err
	}
	if !utf8.Valid(raw) {
		return nil, findInvalidUTF8(raw, field, "")
	}
	if len(p.Labels) == 0 {
		return nil, vigil.FieldError(join(field, "labels"), "must hold at least one label")
	}
	endsAt, err := parseTime(p.EndsAt, join(field, "endsAt"))
	if err != nil {
		return nil, err
	}
	if p.Annotations == nil {
		p.Annotations = map[string]string{} // stored as {} whether sent empty or not at all
	}
	a := &WebhookAlert{Status: StatusFiring, Labels: p.Labels, Annotations: p.Annotations,
		StartsAt: p.StartsAt, EndsAt: p.EndsAt, GeneratorURL: p.GeneratorURL}
	expiry := now.Add(resolveTimeout)
	if !endsAt.IsZero() {
		if !endsAt.After(now) {
			a.Status = StatusResolved
		}
		expiry = endsAt
	}
	e, err := buildEvent(hook, a, field)
	if err != nil {
		return nil, err
	}
	e.Source = APISource
	if e.Action == vigil.ActionTrigger {
		expiry = expiry.UTC().Truncate(time.Microsecond)
		e.EndsAt = &expiry
	}
	return e, nil
}
