// Package opsgenie decodes the subset of Opsgenie's Alert API that senders
// use (create, close, acknowledge) into Vigil events. It is pure: no I/O,
// no HTTP; the API layer authenticates the GenieKey and stores the event.
//
// Mapping of a create request:
//   - message (required, at most 130 characters) is the summary;
//   - alias (at most 512 characters) is the dedup key; an alias longer than
//     Vigil's 255-byte dedup key becomes "og:" + sha256 hex of the alias, so
//     it still deduplicates; without an alias the key is derived from source
//     and message (triage.DedupKey);
//   - priority P1..P5 (default P3) maps to severity (P1 critical, P2 error,
//     P3 warning, P4 and P5 info) and is kept as the label "priority";
//   - each tag becomes the label "tag:<tag>" = "true";
//   - source is the alert's source; description, details, entity, user,
//     note, responders, visibleTo, actions and alias are kept in the
//     alert's details under their Opsgenie names. Unknown fields are ignored.
package opsgenie

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/vigil-oss/vigil/internal/triage"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// MaxBodyBytes bounds one request body.
const MaxBodyBytes = 512 << 10

// Opsgenie's field limits, in characters.
const (
	MaxMessageLen     = 130
	MaxAliasLen       = 512
	MaxDescriptionLen = 15000
	MaxTags           = 20
	MaxTagLen         = 50
	MaxEntityLen      = 512
	MaxUserLen        = 100
	MaxNoteLen        = 25000
)

// Limits of free-form values: databases choke on very deep documents and on
// numbers no float can hold.
const (
	maxDepth         = 32
	maxNumberLiteral = 64
)

// Create is the body of POST /v2/alerts. Responders, VisibleTo and Actions
// are kept as the sender sent them (numbers as json.Number).
type Create struct {
	Message     string            `json:"message"`
	Alias       string            `json:"alias,omitempty"`
	Description string            `json:"description,omitempty"`
	Responders  any               `json:"responders,omitempty"`
	VisibleTo   any               `json:"visibleTo,omitempty"`
	Actions     any               `json:"actions,omitempty"`
	Tags        []string          `json:"tags,omitempty"`
	Details     map[string]string `json:"details,omitempty"`
	Entity      string            `json:"entity,omitempty"`
	Source      string            `json:"source,omitempty"`
	Priority    string            `json:"priority,omitempty"`
	User        string            `json:"user,omitempty"`
	Note        string            `json:"note,omitempty"`
}

// Action is the optional body of close and acknowledge.
type Action struct {
	User   string `json:"user,omitempty"`
	Source string `json:"source,omitempty"`
	Note   string `json:"note,omitempty"`
}

// ErrInvalidJSON is returned for a body that is not JSON at all; Opsgenie
// answers it with 400 ("Bad Request (Syntax Error only)").
var ErrInvalidJSON = vigil.Errorf(vigil.CodeInvalid, "Invalid JSON body.")

// ErrUnprocessable is returned for JSON that is not an object of the
// expected shape; Opsgenie answers it with 422.
var ErrUnprocessable = vigil.Errorf(vigil.CodeInvalid, "Request body is not processable. Please check the errors.")

// DecodeCreate decodes and maps a create request: the event is normalized
// and valid, with DedupKey set. Errors are CodeInvalid and name the field.
func DecodeCreate(body []byte) (*Create, *vigil.Event, error) {
	var c Create
	if err := decode(body, &c); err != nil {
		return nil, nil, err
	}
	e, err := c.Event()
	if err != nil {
		return nil, nil, err
	}
	return &c, e, nil
}

// DecodeAction decodes the optional body of close or acknowledge; an empty
// body is an empty Action.
func DecodeAction(body []byte) (*Action, error) {
	var a Action
	if len(bytes.TrimSpace(body)) == 0 {
		return &a, nil
	}
	if err := decode(body, &a); err != nil {
		return nil, err
	}
	for _, f := range []struct {
		name, v string
		max     int
	}{{"user", a.User, MaxUserLen}, {"source", a.Source, MaxUserLen}, {"note", a.Note, MaxNoteLen}} {
		if err := checkField(f.name, f.v, f.max); err != nil {
			return nil, err
		}
	}
	return &a, nil
}

func decode(body []byte, v any) error {
	body = bytes.TrimSpace(body)
	if !json.Valid(body) {
		return ErrInvalidJSON
	}
	if body[0] != '{' {
		return ErrUnprocessable
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			field := te.Field
			if i := strings.IndexByte(field, '.'); i >= 0 {
				field = field[:i]
			}
			return vigil.FieldError(field, "%s has an invalid type.", field)
		}
		return ErrUnprocessable
	}
	if _, err := dec.Token(); err != io.EOF {
		return ErrUnprocessable
	}
	return nil
}

// Event maps a create request to a Vigil event.
func (c *Create) Event() (*vigil.Event, error) {
	message := strings.TrimSpace(c.Message)
	if message == "" {
		return nil, vigil.FieldError("message", "Message can not be empty.")
	}
	for _, f := range []struct {
		name, v string
		max     int
	}{
		{"message", c.Message, MaxMessageLen}, {"alias", c.Alias, MaxAliasLen},
		{"description", c.Description, MaxDescriptionLen}, {"entity", c.Entity, MaxEntityLen},
		{"source", c.Source, MaxUserLen}, {"user", c.User, MaxUserLen}, {"note", c.Note, MaxNoteLen},
	} {
		if err := checkField(f.name, f.v, f.max); err != nil {
			return nil, err
		}
	}
	sev, priority, err := Severity(c.Priority)
	if err != nil {
		return nil, err
	}
	labels := map[string]string{"priority": priority}
	if len(c.Tags) > MaxTags {
		return nil, vigil.FieldError("tags", "tags can have at most %d items.", MaxTags)
	}
	for _, tag := range c.Tags {
		tag = strings.TrimSpace(tag)
		if tag == "" {
			continue
		}
		if err := checkField("tags", tag, MaxTagLen); err != nil {
			return nil, err
		}
		labels["tag:"+tag] = "true"
	}
	details := map[string]any{}
	for k, v := range c.Details {
		if err := checkField("details", k, vigil.MaxLabelNameLen); err != nil {
			return nil, err
		}
		if err := checkField("details", v, vigil.MaxLabelValueLen); err != nil {
			return nil, err
		}
	}
	if len(c.Details) > 0 {
		details["details"] = c.Details
	}
	for name, v := range map[string]any{"responders": c.Responders, "visibleTo": c.VisibleTo, "actions": c.Actions} {
		if v == nil {
			continue
		}
		if msg := checkValue(v, 1); msg != "" {
			return nil, vigil.FieldError(name, "%s %s", name, msg)
		}
		details[name] = v
	}
	for name, v := range map[string]string{"description": c.Description, "entity": c.Entity, "user": c.User, "note": c.Note, "alias": c.Alias} {
		if v != "" {
			details[name] = v
		}
	}
	e := &vigil.Event{Action: vigil.ActionTrigger, DedupKey: DedupKey(c.Alias), Summary: message,
		Severity: sev, Source: strings.TrimSpace(c.Source), Labels: labels}
	if len(details) > 0 {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(details); err != nil {
			return nil, vigil.FieldError("details", "details can not be encoded.")
		}
		e.Details = bytes.TrimSpace(buf.Bytes())
	}
	e.Normalize()
	if err := e.Validate(); err != nil {
		field := vigil.ErrorField(err)
		switch {
		case field == "summary":
			field = "message"
		case strings.HasPrefix(field, "labels"):
			field = "tags"
		case field == "dedup_key":
			field = "alias"
		}
		return nil, vigil.FieldError(field, "%s %s", field, vigil.ErrorMessage(err))
	}
	e.DedupKey = triage.DedupKey(e)
	return e, nil
}

// DedupKey is the dedup key of an alias: the alias itself (trimmed) when it
// fits Vigil's limit, else "og:" + the sha256 hex of it; "" for no alias.
func DedupKey(alias string) string {
	alias = strings.TrimSpace(alias)
	if len(alias) <= vigil.MaxDedupKeyLen {
		return alias
	}
	h := sha256.Sum256([]byte(alias))
	return "og:" + hex.EncodeToString(h[:])
}

// Severity maps an Opsgenie priority ("" is P3) to a severity and the
// normalized priority.
func Severity(priority string) (vigil.Severity, string, error) {
	p := strings.ToUpper(strings.TrimSpace(priority))
	switch p {
	case "":
		return vigil.SeverityWarning, "P3", nil
	case "P1":
		return vigil.SeverityCritical, p, nil
	case "P2":
		return vigil.SeverityError, p, nil
	case "P3":
		return vigil.SeverityWarning, p, nil
	case "P4", "P5":
		return vigil.SeverityInfo, p, nil
	}
	return "", "", vigil.FieldError("priority", "Priority should be one of [P1, P2, P3, P4, P5].")
}

// checkField checks a string field: at most max characters, valid UTF-8,
// no NUL. Messages read like Opsgenie's.
func checkField(field, s string, max int) error {
	if n := utf8.RuneCountInString(s); n > max {
		return vigil.FieldError(field, "%s should have at most %d characters.", field, max)
	}
	if !utf8.ValidString(s) {
		return vigil.FieldError(field, "%s must be valid UTF-8.", field)
	}
	if strings.IndexByte(s, 0) >= 0 {
		return vigil.FieldError(field, "%s must not contain NUL characters.", field)
	}
	return nil
}

func checkValue(v any, depth int) string {
	switch t := v.(type) {
	case map[string]any:
		if depth > maxDepth {
			return fmt.Sprintf("must not nest deeper than %d levels.", maxDepth)
		}
		for k, x := range t {
			if strings.IndexByte(k, 0) >= 0 {
				return "must not contain NUL characters."
			}
			if msg := checkValue(x, depth+1); msg != "" {
				return msg
			}
		}
	case []any:
		if depth > maxDepth {
			return fmt.Sprintf("must not nest deeper than %d levels.", maxDepth)
		}
		for _, x := range t {
			if msg := checkValue(x, depth+1); msg != "" {
				return msg
			}
		}
	case string:
		if strings.IndexByte(t, 0) >= 0 {
			return "must not contain NUL characters."
		}
	case json.Number:
		if len(t) > maxNumberLiteral {
			return fmt.Sprintf("numbers must be at most %d characters.", maxNumberLiteral)
		}
		if _, err := t.Float64(); err != nil {
			return "has a number out of range."
		}
	}
	return ""
}
