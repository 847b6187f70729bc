// Package alertmanager decodes the webhook of Prometheus Alertmanager
// (webhook_configs, payload version 4) into Vigil events. It is pure: no
// I/O, only the standard library and the domain.
//
// Mapping, per alert of the payload:
//
//   - DedupKey is "am:" + fingerprint, so each alert has its own lifecycle
//     (a resolved alert of a still-firing group resolves alone). Without a
//     fingerprint, one is derived from the label set as Alertmanager does.
//   - Action is trigger for status firing, resolve for resolved (an alert
//     without a status takes the payload's).
//   - GroupKey is the payload's groupKey, so one group is one incident
//     (hashed when longer than 255 bytes).
//   - Summary is the annotation summary, else description, else the
//     alertname label, else "Alertmanager alert"; cut at a UTF-8 boundary
//     to vigil.MaxSummaryLen rather than refused.
//   - Details holds the annotations, startsAt, endsAt, receiver, groupKey
//     and externalURL; Labels the alert's labels (empty values mean
//     absent and are dropped); Source "alertmanager/<receiver>".
//   - generatorURL becomes a link when it is an absolute http or https URL;
//     anything else (javascript:, data:, relative) is dropped silently.
//   - Severity comes from the severity label, case-insensitively, by
//     the table below.
//
// Severity label value -> Vigil severity:
//
//	critical, crit, page, p1, high, fatal, emergency, alert -> critical
//	error, err, major, p2                                    -> error
//	warning, warn, minor, p3, medium                         -> warning
//	info, informational, low, none, p4, p5, notice, debug    -> info
//	absent or anything else                                  -> error
//
// Bad input: a body that is not a JSON object, malformed JSON, a known
// top-level field of the wrong type, invalid UTF-8 or NUL in a top-level
// field, or no alerts refuse the whole payload (err). Otherwise each alert
// is judged alone: one with no labels, an invalid label name (not
// [a-zA-Z_][a-zA-Z0-9_]*), more than vigil.MaxLabels labels, invalid UTF-8,
// an unparsable time, endsAt before startsAt, or a field over its limit is
// refused with an ItemError naming the field (alerts[2].labels) while the
// others go on. Alertmanager does not retry a 4xx, so the caller should
// store the valid alerts, list the refused ones and answer 200 when at
// least one alert was accepted (400 when none was). Re-sending the same
// payload stores nothing twice: the dedup key is the fingerprint.
package alertmanager

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// Webhook is the payload Alertmanager posts to a webhook receiver. Unknown
// fields are ignored.
type Webhook struct {
	Version           string            `json:"version"`
	GroupKey          string            `json:"groupKey"`
	TruncatedAlerts   int               `json:"truncatedAlerts"`
	Status            string            `json:"status"`
	Receiver          string            `json:"receiver"`
	GroupLabels       map[string]string `json:"groupLabels"`
	CommonLabels      map[string]string `json:"commonLabels"`
	CommonAnnotations map[string]string `json:"commonAnnotations"`
	ExternalURL       string            `json:"externalURL"`
	Alerts            []WebhookAlert    `json:"alerts"`
}

// WebhookAlert is one alert of a Webhook. Times are kept as sent (RFC 3339).
type WebhookAlert struct {
	Status       string            `json:"status"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     string            `json:"startsAt,omitempty"`
	EndsAt       string            `json:"endsAt,omitempty"`
	GeneratorURL string            `json:"generatorURL,omitempty"`
	Fingerprint  string            `json:"fingerprint,omitempty"`
}

// ItemError is the refusal of one alert: its index in alerts, the field
// at fault (alerts[2].labels) and why.
type ItemError struct {
	Index   int    `json:"index"`
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (e ItemError) Error() string { return e.Field + ": " + e.Message }

// Statuses of an alert and of a payload.
const (
	StatusFiring   = "firing"
	StatusResolved = "resolved"
)

// SourcePrefix starts the Source of every event.
const SourcePrefix = "alertmanager"

const fallbackSummary = "Alertmanager alert"

// DecodeWebhook decodes a webhook body. A non-nil err (a *vigil.Error,
// CodeInvalid) refuses the whole body. Otherwise events has one entry per
// alert, in order: a normalized, valid event with DedupKey and GroupKey
// set, or nil for a refused alert, which errs lists. The caller binds the
// events to a service.
func DecodeWebhook(body []byte) (w *Webhook, events []*vigil.Event, errs []ItemError, err error) {
	var top struct {
		Webhook
		// Shadows Webhook.Alerts: each alert is decoded alone, so one bad
		// alert refuses only itself.
		Alerts []json.RawMessage `json:"alerts"`
	}
	if err := unmarshalObject(body, &top, ""); err != nil {
		return nil, nil, nil, err
	}
	if !utf8.Valid(body) {
		// Invalid UTF-8 inside alerts refuses only that alert (below).
		if err := findInvalidUTF8(body, "", "alerts"); err != nil {
			return nil, nil, nil, err
		}
	}
	w = &top.Webhook
	for _, f := range []struct{ name, v string }{
		{"version", w.Version}, {"groupKey", w.GroupKey}, {"status", w.Status},
		{"receiver", w.Receiver}, {"externalURL", w.ExternalURL},
	} {
		if err := vigil.ValidateText(f.name, f.v, vigil.MaxDetailsLen); err != nil {
			return nil, nil, nil, err
		}
	}
	if len(top.Alerts) == 0 {
		return nil, nil, nil, vigil.FieldError("alerts", "must be a non-empty array of alerts")
	}
	w.Alerts = make([]WebhookAlert, len(top.Alerts))
	events = make([]*vigil.Event, len(top.Alerts))
	for i, raw := range top.Alerts {
		e, ierr := decodeAlert(w, &w.Alerts[i], raw, fmt.Sprintf("alerts[%d]", i))
		if ierr != nil {
			errs = append(errs, ItemError{Index: i, Field: vigil.ErrorField(ierr), Message: vigil.ErrorMessage(ierr)})
			continue
		}
		events[i] = e
	}
	return w, events, errs, nil
}

// unmarshalObject decodes a JSON object into v; errors name fields under
// prefix.
func unmarshalObject(raw []byte, v any, prefix string) *vigil.Error {
	raw = []byte(strings.TrimSpace(string(raw)))
	if !json.Valid(raw) {
		return &vigil.Error{Code: vigil.CodeInvalid, Field: prefix, Message: "malformed JSON"}
	}
	return unmarshalValid(raw, v, prefix)
}

// unmarshalValid is unmarshalObject for raw already known to be valid JSON
// without surrounding space (an element of a decoded array), sparing the
// extra passes over it.
func unmarshalValid(raw []byte, v any, prefix string) *vigil.Error {
	where := "the body"
	if prefix != "" {
		where = prefix
	}
	if len(raw) == 0 || raw[0] != '{' {
		return &vigil.Error{Code: vigil.CodeInvalid, Field: prefix, Message: where + " must be a JSON object"}
	}
	if err := json.Unmarshal(raw, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			// Fields of the embedded Webhook come as "Webhook.groupKey".
			f := strings.TrimPrefix(te.Field, "Webhook.")
			return vigil.FieldError(join(prefix, f), "must be %s, not %s", kindName(te.Type.String()), strings.SplitN(te.Value, " ", 2)[0])
		}
		return &vigil.Error{Code: vigil.CodeInvalid, Field: prefix, Message: "invalid JSON value", Err: err}
	}
	return nil
}

func kindName(t string) string {
	switch {
	case t == "string":
		return "a string"
	case strings.HasPrefix(t, "int"), strings.HasPrefix(t, "uint"):
		return "an integer in range"
	case strings.HasPrefix(t, "[]"):
		return "an array"
	case strings.HasPrefix(t, "map["):
		return "an object of strings"
	}
	return "an object"
}

func join(prefix, field string) string {
	switch {
	case prefix == "":
		return field
	case field == "":
		return prefix
	}
	return prefix + "." + field
}

// findInvalidUTF8 names the member of a (valid JSON) object that holds
// invalid UTF-8, which encoding/json would silently replace with U+FFFD.
// The member skip is left to the caller; nil when only it is invalid.
func findInvalidUTF8(raw []byte, prefix, skip string) error {
	var members map[string]json.RawMessage
	_ = json.Unmarshal(raw, &members)
	var names []string
	for k, v := range members {
		if !utf8.Valid(v) || !utf8.ValidString(k) {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	if skip != "" && len(names) == 1 && names[0] == skip {
		return nil
	}
	field := prefix
	for _, n := range names {
		if n != skip && utf8.ValidString(n) {
			field = join(prefix, n)
			break
		}
	}
	if field == "" {
		field = "body"
	}
	return vigil.FieldError(field, "must be valid UTF-8")
}

func decodeAlert(w *Webhook, a *WebhookAlert, raw []byte, field string) (*vigil.Event, error) {
	if err := unmarshalObject(raw, a, field); err != nil {
		return nil, err
	}
	if !utf8.Valid(raw) {
		return nil, findInvalidUTF8(raw, field, "")
	}
	return buildEvent(w, a, field)
}

// buildEvent checks a decoded alert and maps it to an event.
func buildEvent(w *Webhook, a *WebhookAlert, field string) (*vigil.Event, error) {
	status := a.Status
	if status == "" {
		status = w.Status
	}
	var action string
	switch status {
	case StatusFiring:
		action = vigil.ActionTrigger
	case StatusResolved:
		action = vigil.ActionResolve
	default:
		return nil, vigil.FieldError(field+".status", "must be firing or resolved")
	}
	labels, err := checkLabels(a.Labels, field+".labels")
	if err != nil {
		return nil, err
	}
	for k, v := range a.Annotations {
		if err := vigil.ValidateText(field+".annotations", k, vigil.MaxLabelNameLen); err != nil {
			return nil, err
		}
		if err := vigil.ValidateText(field+".annotations."+k, v, vigil.MaxDetailsLen); err != nil {
			return nil, err
		}
	}
	startsAt, err := parseTime(a.StartsAt, field+".startsAt")
	if err != nil {
		return nil, err
	}
	endsAt, err := parseTime(a.EndsAt, field+".endsAt")
	if err != nil {
		return nil, err
	}
	if !startsAt.IsZero() && !endsAt.IsZero() && endsAt.Before(startsAt) {
		return nil, vigil.FieldError(field+".endsAt", "must not be before startsAt")
	}
	fp := a.Fingerprint
	if fp == "" {
		fp = Fingerprint(labels)
	}
	if err := vigil.ValidateText(field+".fingerprint", fp, vigil.MaxDedupKeyLen-len("am:")); err != nil {
		return nil, err
	}
	if err := vigil.ValidateText(field+".generatorURL", a.GeneratorURL, vigil.MaxLinkLen); err != nil {
		a.GeneratorURL = "" // only a link; never worth refusing the alert
	}

	details, err := json.Marshal(struct {
		Annotations map[string]string `json:"annotations"`
		StartsAt    string            `json:"startsAt,omitempty"`
		EndsAt      string            `json:"endsAt,omitempty"`
		Receiver    string            `json:"receiver,omitempty"`
		GroupKey    string            `json:"groupKey,omitempty"`
		ExternalURL string            `json:"externalURL,omitempty"`
	}{a.Annotations, a.StartsAt, a.EndsAt, w.Receiver, w.GroupKey, w.ExternalURL})
	if err != nil {
		return nil, vigil.FieldError(field, "cannot be encoded: %v", err)
	}
	e := &vigil.Event{
		Action:   action,
		DedupKey: "am:" + fp,
		Summary:  summary(a.Annotations, labels),
		Severity: Severity(labels["severity"]),
		Source:   truncate(SourcePrefix+"/"+w.Receiver, vigil.MaxSourceLen),
		Details:  details,
		Labels:   labels,
		GroupKey: groupKey(w.GroupKey),
	}
	if w.Receiver == "" {
		e.Source = SourcePrefix
	}
	if a.GeneratorURL != "" && vigil.ValidateLink(a.GeneratorURL) == nil {
		e.Links = []vigil.Link{{Href: a.GeneratorURL, Text: "Generator"}}
	}
	e.Normalize()
	if err := e.Validate(); err != nil {
		// A backstop: the checks above should have caught it. Name the
		// wire field, not the domain one.
		f := vigil.ErrorField(err)
		switch {
		case f == "details":
			f = "annotations"
		case f == "dedup_key":
			f = "fingerprint"
		}
		return nil, vigil.FieldError(join(field, f), "%s", vigil.ErrorMessage(err))
	}
	return e, nil
}

// checkLabels checks an alert's labels and returns those with a value
// (Prometheus: an empty value means the label is absent).
func checkLabels(in map[string]string, field string) (map[string]string, error) {
	out := make(map[string]string, len(in))
	for k, v := range in {
		if v != "" {
			out[k] = v
		}
	}
	if len(out) == 0 {
		return nil, vigil.FieldError(field, "must hold at least one label with a value")
	}
	if len(out) > vigil.MaxLabels {
		return nil, vigil.FieldError(field, "must hold at most %d labels, not %d", vigil.MaxLabels, len(out))
	}
	for k, v := range out {
		if len(k) > vigil.MaxLabelNameLen {
			return nil, vigil.FieldError(field, "label names must be at most %d bytes", vigil.MaxLabelNameLen)
		}
		if !ValidLabelName(k) {
			return nil, vigil.FieldError(field, "label name %q must match [a-zA-Z_][a-zA-Z0-9_]*", k)
		}
		if err := vigil.ValidateText(field+"."+k, v, vigil.MaxLabelValueLen); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ValidLabelName reports whether name matches [a-zA-Z_][a-zA-Z0-9_]*.
func ValidLabelName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c == '_' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || (i > 0 && '0' <= c && c <= '9') {
			continue
		}
		return false
	}
	return true
}

// parseTime parses an RFC 3339 time; empty and Go's zero time (which
// Alertmanager sends as endsAt while an alert fires) are the zero Time.
func parseTime(s, field string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, vigil.FieldError(field, "must be an RFC 3339 time")
	}
	if t.IsZero() {
		return time.Time{}, nil
	}
	return t, nil
}

// Fingerprint is the fingerprint Alertmanager gives a label set (64-bit
// FNV-1a over the sorted names and values, each followed by 0xff, in 16
// hex digits), so an alert posted to the API and the same alert in a
// webhook from Alertmanager share their dedup key.
func Fingerprint(labels map[string]string) string {
	names := make([]string, 0, len(labels))
	for k := range labels {
		names = append(names, k)
	}
	sort.Strings(names)
	h := fnv.New64a()
	sep := []byte{0xff}
	for _, k := range names {
		h.Write([]byte(k))
		h.Write(sep)
		h.Write([]byte(labels[k]))
		h.Write(sep)
	}
	return fmt.Sprintf("%016x", h.Sum64())
}

// groupKey bounds the incident grouping key: Alertmanager's group keys
// hold the group labels and may be long.
func groupKey(k string) string {
	if len(k) <= vigil.MaxDedupKeyLen {
		return k
	}
	h := sha256.Sum256([]byte(k))
	return "sha256:" + hex.EncodeToString(h[:])
}

func summary(annotations, labels map[string]string) string {
	for _, s := range []string{annotations["summary"], annotations["description"], labels["alertname"]} {
		if s = strings.TrimSpace(s); s != "" {
			return truncate(s, vigil.MaxSummaryLen)
		}
	}
	return fallbackSummary
}

// truncate cuts s to at most max bytes without splitting a UTF-8 sequence.
func truncate(s string, max int) string {
	if len(s) <= max {
		return s
	}
	for max > 0 && !utf8.RuneStart(s[max]) {
		max--
	}
	return s[:max]
}

// Severity maps the value of an alert's severity label to a Vigil
// severity (see the package documentation for the table).
func Severity(label string) vigil.Severity {
	switch strings.ToLower(strings.TrimSpace(label)) {
	case "critical", "crit", "page", "p1", "high", "fatal", "emergency", "alert":
		return vigil.SeverityCritical
	case "warning", "warn", "minor", "p3", "medium":
		return vigil.SeverityWarning
	case "info", "informational", "low", "none", "p4", "p5", "notice", "debug":
		return vigil.SeverityInfo
	}
	return vigil.SeverityError // error, err, major, p2, absent, unknown
}
