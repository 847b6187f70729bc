package opsgenie

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// The bodies of Opsgenie's Heartbeat API: create (POST /v2/heartbeats) and
// update (PATCH /v2/heartbeats/{name}) share these fields:
//
//   - name (create only; at most 200 characters), description (10000);
//   - interval (an integer of at least 1) and intervalUnit (minutes, hours,
//     days), both required on create;
//   - enabled (false when absent, as in Opsgenie: SDKs leave a false out);
//   - alertMessage, alertTags (an array of strings, or one string of
//     comma-separated tags, as one SDK sends it), alertPriority (P1..P5).
//
// ownerTeam and unknown fields are accepted and ignored: in Vigil the
// integration key's service owns the heartbeat. Errors are CodeInvalid and
// name the field in Opsgenie's words.

// HeartbeatCreate documents the body of POST /v2/heartbeats.
type HeartbeatCreate struct {
	Name          string   `json:"name"`
	Description   string   `json:"description,omitempty"`
	Interval      int      `json:"interval"`
	IntervalUnit  string   `json:"intervalUnit"`
	Enabled       bool     `json:"enabled"`
	OwnerTeam     any      `json:"ownerTeam,omitempty"`
	AlertMessage  string   `json:"alertMessage,omitempty"`
	AlertTags     []string `json:"alertTags,omitempty"`
	AlertPriority string   `json:"alertPriority,omitempty"`
}

// HeartbeatUpdate documents the body of PATCH /v2/heartbeats/{name}: every
// field is optional and an absent one stays as it is.
type HeartbeatUpdate struct {
	Description   *string  `json:"description,omitempty"`
	Interval      *int     `json:"interval,omitempty"`
	IntervalUnit  *string  `json:"intervalUnit,omitempty"`
	Enabled       *bool    `json:"enabled,omitempty"`
	AlertMessage  *string  `json:"alertMessage,omitempty"`
	AlertTags     []string `json:"alertTags,omitempty"`
	AlertPriority *string  `json:"alertPriority,omitempty"`
}

// heartbeatFields maps the domain's field names to Opsgenie's.
var heartbeatFields = map[string]string{
	"name": "name", "description": "description", "interval": "interval", "interval_unit": "intervalUnit",
	"enabled": "enabled", "alert_message": "alertMessage", "alert_tags": "alertTags", "alert_priority": "alertPriority",
}

// HeartbeatField returns the Opsgenie name of a domain heartbeat field
// (interval_unit is intervalUnit); other names pass unchanged.
func HeartbeatField(field string) string {
	if f, ok := heartbeatFields[field]; ok {
		return f
	}
	return field
}

// HeartbeatError renames the field of a domain validation error to
// Opsgenie's name for it; other errors pass unchanged.
func HeartbeatError(err error) error {
	var ve *vigil.Error
	if !errors.As(err, &ve) || ve.Code != vigil.CodeInvalid || ve.Field == "" {
		return err
	}
	f := HeartbeatField(ve.Field)
	return vigil.FieldError(f, "%s %s", f, ve.Message)
}

// DecodeHeartbeatCreate decodes a create body into a normalized heartbeat
// that is valid once its ServiceID is set.
func DecodeHeartbeatCreate(body []byte) (*vigil.Heartbeat, error) {
	f, err := decodeHeartbeatFields(body)
	if err != nil {
		return nil, err
	}
	h := &vigil.Heartbeat{Name: f.str("name"), Description: f.str("description"), IntervalUnit: f.str("intervalUnit"),
		Enabled: f.boolean("enabled"), AlertMessage: f.str("alertMessage"), AlertTags: f.tags("alertTags"),
		AlertPriority: f.str("alertPriority")}
	if n := f.integer("interval"); n != nil {
		h.Interval = *n
	}
	if f.err != nil {
		return nil, f.err
	}
	switch {
	case strings.TrimSpace(h.Name) == "":
		return nil, vigil.FieldError("name", "name can not be empty.")
	case !f.has("interval"):
		return nil, vigil.FieldError("interval", "interval can not be empty.")
	case strings.TrimSpace(h.IntervalUnit) == "":
		return nil, vigil.FieldError("intervalUnit", "intervalUnit can not be empty.")
	}
	h.Normalize()
	probe := *h
	probe.ServiceID = 1 // the service is the API's to set; check the rest
	if err := probe.Validate(); err != nil {
		return nil, HeartbeatError(err)
	}
	return h, nil
}

// DecodeHeartbeatUpdate decodes an update body. Each field given is
// checked on its own; whether the result is a valid heartbeat is for the
// store to say (see HeartbeatError for its field names). A "name" in the
// body is ignored: the path names the heartbeat.
func DecodeHeartbeatUpdate(body []byte) (vigil.HeartbeatUpdate, error) {
	var u vigil.HeartbeatUpdate
	if len(bytes.TrimSpace(body)) == 0 {
		return u, nil
	}
	f, err := decodeHeartbeatFields(body)
	if err != nil {
		return u, err
	}
	if f.has("description") {
		s := f.str("description")
		u.Description = &s
	}
	u.Interval = f.integer("interval")
	if f.has("intervalUnit") {
		s := f.str("intervalUnit")
		u.IntervalUnit = &s
	}
	if f.has("enabled") {
		b := f.boolean("enabled")
		u.Enabled = &b
	}
	if f.has("alertMessage") {
		s := f.str("alertMessage")
		u.AlertMessage = &s
	}
	if f.has("alertTags") {
		t := f.tags("alertTags")
		u.AlertTags = &t
	}
	if f.has("alertPriority") {
		s := f.str("alertPriority")
		u.AlertPriority = &s
	}
	if f.err != nil {
		return vigil.HeartbeatUpdate{}, f.err
	}
	if u.Interval != nil && *u.Interval < 1 {
		return vigil.HeartbeatUpdate{}, vigil.FieldError("interval", "interval must be at least 1.")
	}
	return u, nil
}

// fieldSet is a decoded body: its members by name, and the first
// error met reading them.
type fieldSet struct {
	m   map[string]json.RawMessage
	err error
}

func decodeHeartbeatFields(body []byte) (*fieldSet, error) {
	var m map[string]json.RawMessage
	if err := decode(body, &m); err != nil {
		return nil, err
	}
	return &fieldSet{m: m}, nil
}

// has reports whether the member is present and not null.
func (f *fieldSet) has(name string) bool {
	raw, ok := f.m[name]
	return ok && !bytes.Equal(bytes.TrimSpace(raw), []byte("null"))
}

func (f *fieldSet) fail(name, format string, args ...any) {
	if f.err == nil {
		f.err = vigil.FieldError(name, format, args...)
	}
}

func (f *fieldSet) str(name string) string {
	if !f.has(name) {
		return ""
	}
	var s string
	if json.Unmarshal(f.m[name], &s) != nil {
		f.fail(name, "%s has an invalid type.", name)
	}
	return s
}

func (f *fieldSet) boolean(name string) bool {
	if !f.has(name) {
		return false
	}
	var b bool
	if json.Unmarshal(f.m[name], &b) != nil {
		f.fail(name, "%s has an invalid type.", name)
	}
	return b
}

// integer reads a whole number, or a string holding one.
func (f *fieldSet) integer(name string) *int {
	if !f.has(name) {
		return nil
	}
	raw := bytes.TrimSpace(f.m[name])
	var s string
	if json.Unmarshal(raw, &s) == nil {
		raw = []byte(strings.TrimSpace(s))
	}
	n, err := strconv.Atoi(string(raw))
	if err != nil {
		f.fail(name, "%s must be a whole number.", name)
		return nil
	}
	return &n
}

// tags reads an array of strings, or one string of comma-separated tags.
func (f *fieldSet) tags(name string) []string {
	if !f.has(name) {
		return nil
	}
	var list []string
	if json.Unmarshal(f.m[name], &list) == nil {
		return list
	}
	var s string
	if json.Unmarshal(f.m[name], &s) == nil {
		return strings.Split(s, ",")
	}
	f.fail(name, "%s must be an array of strings.", name)
	return nil
}
