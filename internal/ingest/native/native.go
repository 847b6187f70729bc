// Package native decodes Vigil's own ingest format (POST /api/v1/events)
// into domain events. Like the other senders' decoders it does no I/O.
package native

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/vigil-oss/vigil/internal/ingest/jsonerr"
	"github.com/vigil-oss/vigil/internal/triage"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// MaxBatchEvents is the most events one native request may carry.
const MaxBatchEvents = 1000

// Limits of an event's details beyond vigil.MaxDetailsLen: databases choke
// on very deep documents and on numbers no float can hold.
const (
	maxDetailsDepth  = 32
	maxNumberLiteral = 64
)

// Event is one event of Vigil's own ingest format (POST /api/v1/events).
// Unknown fields are ignored so senders can evolve.
type Event struct {
	Summary  string            `json:"summary"`
	DedupKey string            `json:"dedup_key,omitempty"`
	Action   string            `json:"action,omitempty" enum:"trigger,acknowledge,resolve"`
	Severity vigil.Severity    `json:"severity,omitempty"`
	Source   string            `json:"source,omitempty"`
	Details  json.RawMessage   `json:"details,omitempty"`
	Labels   map[string]string `json:"labels,omitempty"`
	Links    []EventLink       `json:"links,omitempty"`
}

// EventLink is a link of a native event: {"href","text"} or a plain
// string taken as the href.
type EventLink vigil.Link

// UnmarshalJSON accepts an object or a string.
func (l *EventLink) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*l = EventLink{Href: s}
		return nil
	}
	if len(b) > 0 && b[0] != '{' && !bytes.Equal(b, []byte("null")) {
		return vigil.FieldError("links", "each link must be a URL string or an object with href and text")
	}
	var v vigil.Link
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*l = EventLink(v)
	return nil
}

// DecodeEvents decodes a native ingest body: one event object, or an
// array of them (isBatch). A non-nil err refuses the whole body (malformed
// JSON, not an object or array, an empty or oversized batch). Otherwise
// events and itemErrs have one entry per item, in order: a normalized,
// validated event with its DedupKey set, or nil and the item's error
// (CodeInvalid, naming the field). The caller binds events to a service.
func DecodeEvents(body []byte) (events []*vigil.Event, itemErrs []error, isBatch bool, err error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil, nil, false, vigil.Errorf(vigil.CodeInvalid, "request body is empty; a JSON object or array is required")
	}
	if !json.Valid(body) {
		return nil, nil, false, jsonerr.Translate(json.Unmarshal(body, new(any)))
	}
	switch body[0] {
	case '{':
		e, err := decodeEvent(body)
		return []*vigil.Event{e}, []error{err}, false, nil
	case '[':
	default:
		return nil, nil, false, vigil.Errorf(vigil.CodeInvalid, "request body must be a JSON object (one event) or an array of objects (a batch)")
	}
	var items []json.RawMessage
	if err := json.Unmarshal(body, &items); err != nil {
		return nil, nil, true, jsonerr.Translate(err)
	}
	if len(items) == 0 {
		return nil, nil, true, vigil.Errorf(vigil.CodeInvalid, "the batch is empty")
	}
	if len(items) > MaxBatchEvents {
		return nil, nil, true, vigil.Errorf(vigil.CodeInvalid, "a batch holds at most %d events, not %d", MaxBatchEvents, len(items))
	}
	events = make([]*vigil.Event, len(items))
	itemErrs = make([]error, len(items))
	for i, raw := range items {
		events[i], itemErrs[i] = decodeEvent(raw)
	}
	return events, itemErrs, true, nil
}

// decodeEvent decodes, normalizes and validates one event object.
func decodeEvent(raw []byte) (*vigil.Event, error) {
	if raw = bytes.TrimSpace(raw); len(raw) == 0 || raw[0] != '{' {
		return nil, vigil.Errorf(vigil.CodeInvalid, "an event must be a JSON object")
	}
	var n Event
	if err := json.Unmarshal(raw, &n); err != nil {
		return nil, jsonerr.Translate(err)
	}
	e := &vigil.Event{
		Action:   n.Action,
		DedupKey: n.DedupKey,
		Summary:  n.Summary,
		Severity: n.Severity,
		Source:   n.Source,
	}
	if len(n.Labels) > 0 {
		e.Labels = n.Labels
	}
	for _, l := range n.Links {
		e.Links = append(e.Links, vigil.Link(l))
	}
	details, err := canonicalDetails(n.Details)
	if err != nil {
		return nil, err
	}
	e.Details = details
	e.Normalize()
	if err := checkNUL(e); err != nil {
		return nil, err
	}
	// Validate before deriving the dedup key: an acknowledge or resolve
	// naming neither key nor summary is refused, not matched to nothing.
	if err := e.Validate(); err != nil {
		return nil, err
	}
	e.DedupKey = triage.DedupKey(e)
	return e, nil
}

// canonicalDetails checks details (an object or null) and returns it
// compacted, so encoding and decoding it again gives the same bytes.
func canonicalDetails(raw json.RawMessage) (json.RawMessage, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, nil
	}
	if raw[0] != '{' {
		return nil, vigil.FieldError("details", "must be an object")
	}
	if len(raw) > vigil.MaxDetailsLen {
		return nil, vigil.FieldError("details", "must be at most %d bytes", vigil.MaxDetailsLen)
	}
	if !utf8.Valid(raw) {
		return nil, vigil.FieldError("details", "must be valid UTF-8")
	}
	if err := checkDetails(raw); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return nil, vigil.FieldError("details", "must be valid JSON")
	}
	return buf.Bytes(), nil
}

// checkDetails walks the details tokens: depth, number size, and the NUL
// character (which PostgreSQL cannot store in text or jsonb).
func checkDetails(raw []byte) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	depth := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			if depth == 0 {
				return nil // io.EOF after the object
			}
			return vigil.FieldError("details", "must be valid JSON")
		}
		switch t := tok.(type) {
		case json.Delim:
			if t == '{' || t == '[' {
				depth++
				if depth > maxDetailsDepth {
					return vigil.FieldError("details", "must not nest deeper than %d levels", maxDetailsDepth)
				}
			} else {
				depth--
			}
		case json.Number:
			if len(t) > maxNumberLiteral {
				return vigil.FieldError("details", "numbers must be at most %d characters", maxNumberLiteral)
			}
			if _, err := t.Float64(); err != nil {
				return vigil.FieldError("details", "number %.20s... is out of range", string(t))
			}
		case string:
			if strings.IndexByte(t, 0) >= 0 {
				return vigil.FieldError("details", "must not contain NUL characters")
			}
		}
	}
}

// checkNUL refuses the NUL character in text fields: PostgreSQL cannot
// store it, and no sender means it.
func checkNUL(e *vigil.Event) error {
	for _, f := range []struct{ name, v string }{
		{"summary", e.Summary}, {"dedup_key", e.DedupKey}, {"source", e.Source},
		{"action", e.Action}, {"severity", string(e.Severity)},
	} {
		if strings.IndexByte(f.v, 0) >= 0 {
			return vigil.FieldError(f.name, "must not contain NUL characters")
		}
	}
	for k, v := range e.Labels {
		if strings.IndexByte(k, 0) >= 0 {
			return vigil.FieldError("labels", "label names must not contain NUL characters")
		}
		if strings.IndexByte(v, 0) >= 0 {
			return vigil.FieldError(fmt.Sprintf("labels.%s", k), "must not contain NUL characters")
		}
	}
	for _, l := range e.Links {
		if strings.IndexByte(l.Href, 0) >= 0 || strings.IndexByte(l.Text, 0) >= 0 {
			return vigil.FieldError("links", "must not contain NUL characters")
		}
	}
	return nil
}
