// Package pagerduty decodes PagerDuty's Events API (v2 and the older v1)
// into Vigil events. It is pure: no I/O, no HTTP; the API layer
// authenticates the routing key and stores the event.
package pagerduty

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/vigil-oss/vigil/internal/triage"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// MaxBodyBytes is PagerDuty's limit of one event.
const MaxBodyBytes = 512 << 10

// Limits of details beyond vigil.MaxDetailsLen: databases choke on very
// deep documents and on numbers no float can hold.
const (
	maxDetailsDepth  = 32
	maxNumberLiteral = 64
)

// Request is a decoded event: the integration key it names and either the
// event or PagerDuty's list of what is wrong with it.
type Request struct {
	// Key is routing_key (v2) or service_key (v1); "" when missing.
	Key string
	// Event is normalized and valid, with DedupKey set; nil when Errors.
	Event *vigil.Event
	// Errors name the fields the way PagerDuty does
	// ("'payload.summary' is missing or blank").
	Errors []string
}

// ErrUnrecognized is returned when the body is not a JSON object; PagerDuty
// answers it with "Unrecognized object".
var ErrUnrecognized = vigil.Errorf(vigil.CodeInvalid, "Event object format is unrecognized")

// DecodeV2 decodes an Events API v2 alert event (POST /v2/enqueue).
// A trigger without dedup_key gets a random one, as PagerDuty does.
func DecodeV2(body []byte) (*Request, error) {
	o, err := object(body)
	if err != nil {
		return nil, err
	}
	d := &decoder{o: o}
	req := &Request{Key: d.key("routing_key")}
	action := d.action("event_action")
	e := &vigil.Event{Action: action, DedupKey: d.str("dedup_key")}
	if action == vigil.ActionTrigger {
		p := &decoder{o: d.obj("payload")}
		p.prefix, p.errs = "payload.", d.errs
		e.Summary = p.required("summary")
		e.Source = p.required("source")
		e.Severity = vigil.Severity(strings.ToLower(p.required("severity")))
		if e.Severity != "" && !e.Severity.Valid() {
			p.fail("severity", "must be one of critical, error, warning, info")
		}
		details := map[string]any{}
		for _, f := range []string{"component", "group", "class"} {
			if v := p.str(f); v != "" {
				details[f] = v
				if e.Labels == nil {
					e.Labels = map[string]string{}
				}
				e.Labels[f] = v
			}
		}
		if v := p.str("timestamp"); v != "" {
			details["timestamp"] = v
		}
		if v := p.details("custom_details"); v != nil {
			details["custom_details"] = v
		}
		d.errs = p.errs
		client, clientURL := d.str("client"), d.str("client_url")
		for k, v := range map[string]string{"client": client, "client_url": clientURL} {
			if v != "" {
				details[k] = v
			}
		}
		if imgs := d.images(); len(imgs) > 0 {
			details["images"] = imgs
		}
		e.Links = d.links()
		if ValidLink(clientURL) {
			e.Links = append(e.Links, vigil.Link{Href: clientURL, Text: client})
		}
		e.Details = d.encode("payload.custom_details", details)
	}
	return finish(req, d, e, "dedup_key", "payload.")
}

// DecodeV1 decodes a v1 generic event (POST
// /generic/2010-04-15/create_event.json).
func DecodeV1(body []byte) (*Request, error) {
	o, err := object(body)
	if err != nil {
		return nil, err
	}
	d := &decoder{o: o}
	req := &Request{Key: d.key("service_key")}
	action := d.action("event_type")
	e := &vigil.Event{Action: action, DedupKey: d.str("incident_key")}
	if action == vigil.ActionTrigger {
		e.Summary = d.required("description")
		details := map[string]any{}
		if v := d.details("details"); v != nil {
			details["details"] = v
		}
		client, clientURL := d.str("client"), d.str("client_url")
		for k, v := range map[string]string{"client": client, "client_url": clientURL} {
			if v != "" {
				details[k] = v
			}
		}
		if ValidLink(clientURL) {
			e.Links = []vigil.Link{{Href: clientURL, Text: client}}
		}
		e.Details = d.encode("details", details)
	}
	return finish(req, d, e, "incident_key", "")
}

// finish normalizes and validates e, generating a dedup key for a trigger
// without one. keyField and payload name the fields in error messages.
func finish(req *Request, d *decoder, e *vigil.Event, keyField, payload string) (*Request, error) {
	if e.Action != "" && e.Action != vigil.ActionTrigger && strings.TrimSpace(e.DedupKey) == "" {
		d.fail(keyField, "is missing or blank")
	}
	if len(d.errs) > 0 {
		req.Errors = d.errs
		return req, nil
	}
	if e.DedupKey == "" {
		e.DedupKey = NewDedupKey()
	}
	e.Normalize()
	if err := e.Validate(); err != nil {
		field := vigil.ErrorField(err)
		switch {
		case field == "dedup_key":
			field = keyField
		case field == "summary" && payload == "":
			field = "description"
		case strings.HasPrefix(field, "labels."):
			field = payload + strings.TrimPrefix(field, "labels.")
		case field == "summary" || field == "source" || field == "severity":
			field = payload + field
		}
		req.Errors = []string{fmt.Sprintf("'%s' %s", field, vigil.ErrorMessage(err))}
		return req, nil
	}
	e.DedupKey = triage.DedupKey(e)
	req.Event = e
	return req, nil
}

// NewDedupKey returns a random key: 32 hex digits of a version 4 UUID.
func NewDedupKey() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return hex.EncodeToString(b[:])
}

// ValidLink reports whether href is an absolute http or https URL Vigil
// keeps as a link; senders' other links are dropped.
func ValidLink(href string) bool { return href != "" && vigil.ValidateLink(href) == nil }

func object(body []byte) (map[string]json.RawMessage, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '{' {
		return nil, ErrUnrecognized
	}
	var o map[string]json.RawMessage
	if err := json.Unmarshal(body, &o); err != nil {
		return nil, ErrUnrecognized
	}
	return o, nil
}

// decoder reads the fields of one JSON object, collecting errors.
type decoder struct {
	o      map[string]json.RawMessage
	prefix string
	errs   []string
}

func (d *decoder) fail(field, format string, args ...any) {
	d.errs = append(d.errs, fmt.Sprintf("'%s%s' %s", d.prefix, field, fmt.Sprintf(format, args...)))
}

// str returns a string field; null or absent is "".
func (d *decoder) str(name string) string {
	raw, ok := d.o[name]
	if !ok || isNull(raw) {
		return ""
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		d.fail(name, "must be a string")
		return ""
	}
	if strings.IndexByte(s, 0) >= 0 {
		d.fail(name, "must not contain NUL characters")
		return ""
	}
	return s
}

func (d *decoder) required(name string) string {
	n := len(d.errs)
	s := d.str(name)
	if len(d.errs) == n && strings.TrimSpace(s) == "" {
		d.fail(name, "is missing or blank")
	}
	return s
}

func (d *decoder) key(name string) string {
	n := len(d.errs)
	s := strings.TrimSpace(d.str(name))
	if len(d.errs) == n && s == "" {
		d.fail(name, "is missing")
	}
	return s
}

func (d *decoder) action(name string) string {
	n := len(d.errs)
	s := d.str(name)
	switch a := strings.ToLower(strings.TrimSpace(s)); {
	case len(d.errs) > n:
	case a == "":
		d.fail(name, "is missing or blank")
	case a == vigil.ActionTrigger || a == vigil.ActionAcknowledge || a == vigil.ActionResolve:
		return a
	default:
		d.fail(name, "must be one of trigger, acknowledge, resolve")
	}
	return ""
}

// obj returns an object field, or nil (and an error when it is not one).
func (d *decoder) obj(name string) map[string]json.RawMessage {
	raw, ok := d.o[name]
	if !ok || isNull(raw) {
		return nil
	}
	var o map[string]json.RawMessage
	if err := json.Unmarshal(raw, &o); err != nil {
		d.fail(name, "must be an object")
		return nil
	}
	return o
}

// details returns a free-form field as a JSON value (json.Number for
// numbers), checked so that it can be stored and encoded again.
func (d *decoder) details(name string) any {
	raw, ok := d.o[name]
	if !ok || isNull(raw) {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		d.fail(name, "must be valid JSON")
		return nil
	}
	if msg := checkValue(v, 1); msg != "" {
		d.fail(name, "%s", msg)
		return nil
	}
	return v
}

func checkValue(v any, depth int) string {
	switch t := v.(type) {
	case map[string]any:
		if depth > maxDetailsDepth {
			return fmt.Sprintf("must not nest deeper than %d levels", maxDetailsDepth)
		}
		for k, x := range t {
			if strings.IndexByte(k, 0) >= 0 {
				return "must not contain NUL characters"
			}
			if msg := checkValue(x, depth+1); msg != "" {
				return msg
			}
		}
	case []any:
		if depth > maxDetailsDepth {
			return fmt.Sprintf("must not nest deeper than %d levels", maxDetailsDepth)
		}
		for _, x := range t {
			if msg := checkValue(x, depth+1); msg != "" {
				return msg
			}
		}
	case string:
		if strings.IndexByte(t, 0) >= 0 {
			return "must not contain NUL characters"
		}
	case json.Number:
		if len(t) > maxNumberLiteral {
			return fmt.Sprintf("numbers must be at most %d characters", maxNumberLiteral)
		}
		if _, err := t.Float64(); err != nil {
			return "has a number out of range"
		}
	}
	return ""
}

// links returns links[] with http(s) hrefs; other entries are dropped.
func (d *decoder) links() []vigil.Link {
	var raw []json.RawMessage
	if r, ok := d.o["links"]; !ok || isNull(r) || json.Unmarshal(r, &raw) != nil {
		return nil
	}
	var out []vigil.Link
	for _, r := range raw {
		var l struct {
			Href any `json:"href"`
			Text any `json:"text"`
		}
		if json.Unmarshal(r, &l) != nil {
			continue
		}
		href, _ := l.Href.(string)
		text, _ := l.Text.(string)
		if ValidLink(href) && strings.IndexByte(text, 0) < 0 {
			out = append(out, vigil.Link{Href: href, Text: text})
		}
	}
	return out
}

// images returns images[] entries with an http(s) src, keeping src, href
// (when http or https) and alt.
func (d *decoder) images() []map[string]string {
	var raw []json.RawMessage
	if r, ok := d.o["images"]; !ok || isNull(r) || json.Unmarshal(r, &raw) != nil {
		return nil
	}
	var out []map[string]string
	for _, r := range raw {
		var im struct {
			Src, Href, Alt any
		}
		if json.Unmarshal(r, &im) != nil {
			continue
		}
		src, _ := im.Src.(string)
		if !ValidLink(src) {
			continue
		}
		m := map[string]string{"src": src}
		if href, _ := im.Href.(string); ValidLink(href) {
			m["href"] = href
		}
		if alt, _ := im.Alt.(string); alt != "" && strings.IndexByte(alt, 0) < 0 {
			m["alt"] = alt
		}
		out = append(out, m)
	}
	return out
}

// encode returns details as a compact JSON object (keys sorted), or nil;
// field names the sender's details in errors.
func (d *decoder) encode(field string, details map[string]any) json.RawMessage {
	if len(details) == 0 {
		return nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(details); err != nil {
		d.fail(field, "cannot be encoded")
		return nil
	}
	b := bytes.TrimSpace(buf.Bytes())
	if len(b) > vigil.MaxDetailsLen {
		d.fail(field, "must be at most %d bytes", vigil.MaxDetailsLen)
		return nil
	}
	return b
}

func isNull(raw json.RawMessage) bool { return bytes.Equal(bytes.TrimSpace(raw), []byte("null")) }
