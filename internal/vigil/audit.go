package vigil

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"
)

// AuditEntry is one change recorded in the audit log: who (the actor and
// where they acted from), what (an action like "service.update" on one
// object) and the object as it was before and after, as JSON without
// secrets. The log is append-only: the database itself refuses to update
// or delete an entry, and no interface offers either.
type AuditEntry struct {
	ID         int64           `json:"id"`
	At         time.Time       `json:"at"`
	Actor      Actor           `json:"actor"`
	Action     string          `json:"action"`
	ObjectType string          `json:"object_type"`
	ObjectID   int64           `json:"object_id,omitempty"`
	Before     json.RawMessage `json:"before,omitempty"`
	After      json.RawMessage `json:"after,omitempty"`
	// Address is the network address the request came from, when there
	// was a request.
	Address string `json:"address,omitempty"`
}

// AuditFilter selects audit entries; nil and empty fields match all.
type AuditFilter struct {
	Actor      string     // the actor's name, exactly
	Action     string     // a prefix of the action: "service" or "service.update"
	ObjectType string     // exactly
	ObjectID   *int64     // exactly
	Since      *time.Time // at or after
	Until      *time.Time // before
	Search     string     // text in before or after (case-insensitive)
	Offset     int
	Limit      int // 0 means DefaultPageSize; capped at MaxPageSize
}

// Validate checks the filter's text. CodeInvalid naming the field.
func (f *AuditFilter) Validate() error {
	for _, c := range []struct{ field, v string }{
		{"actor", f.Actor}, {"action", f.Action}, {"object_type", f.ObjectType}, {"search", f.Search},
	} {
		if err := ValidateText(c.field, c.v, MaxNameLen); err != nil {
			return err
		}
	}
	if f.ObjectID != nil && *f.ObjectID <= 0 {
		return FieldError("object_id", "must be a positive integer")
	}
	if f.Since != nil && f.Until != nil && !f.Until.After(*f.Since) {
		return FieldError("until", "must be after since")
	}
	if f.Offset < 0 {
		return FieldError("offset", "must not be negative")
	}
	return nil
}

// ParseAuditObject reads "type" or "type:id" (the CLI's --object and the
// web form's object field): "service:3", "incident".
func ParseAuditObject(s string) (typ string, id *int64, err error) {
	s = strings.TrimSpace(s)
	if err := ValidateText("object", s, MaxNameLen); err != nil {
		return "", nil, err
	}
	typ, rest, found := strings.Cut(s, ":")
	if !found {
		return typ, nil, nil
	}
	n, perr := strconv.ParseInt(rest, 10, 64)
	if perr != nil || n <= 0 || typ == "" {
		return "", nil, FieldError("object", "must be a type or type:id, like service:3")
	}
	return typ, &n, nil
}

// AuditService reads the audit log. Entries are written by the store
// itself, in the transaction of the change they record.
type AuditService interface {
	// FindAuditEntries lists entries, newest first, with the total
	// matching count (capped at MaxCountedTotal+1). CodeInvalid.
	FindAuditEntries(ctx context.Context, f AuditFilter) ([]*AuditEntry, int, error)
}

type addressKey struct{}

// WithAddress returns a context carrying the network address of the
// request being served, for the audit log.
func WithAddress(ctx context.Context, addr string) context.Context {
	return context.WithValue(ctx, addressKey{}, addr)
}

// AddressFromContext returns the address WithAddress put in ctx, or "".
func AddressFromContext(ctx context.Context) string {
	s, _ := ctx.Value(addressKey{}).(string)
	return s
}

// AuditChange is one top-level field an audited change touched, with its
// value before and after as compact JSON ("" when absent on that side).
type AuditChange struct {
	Field  string `json:"field"`
	Before string `json:"before"`
	After  string `json:"after"`
}

// Changes lists the top-level fields whose values differ between Before
// and After, in name order; for a creation or deletion every field of the
// side that exists. Documents that are not objects compare whole, as
// field "". Timestamps that every change moves (updated_at) are left out.
func (e *AuditEntry) Changes() []AuditChange {
	before, okB := auditFields(e.Before)
	after, okA := auditFields(e.After)
	if !okB || !okA {
		if string(e.Before) == string(e.After) {
			return nil
		}
		return []AuditChange{{Before: string(e.Before), After: string(e.After)}}
	}
	names := make([]string, 0, len(before)+len(after))
	for k := range before {
		names = append(names, k)
	}
	for k := range after {
		if _, ok := before[k]; !ok {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	var out []AuditChange
	for _, k := range names {
		b, a := compactJSON(before[k]), compactJSON(after[k])
		if b == a || k == "updated_at" {
			continue
		}
		out = append(out, AuditChange{Field: k, Before: b, After: a})
	}
	return out
}

// auditFields splits a JSON object into its fields; a missing document is
// an empty object. ok is false for any other JSON.
func auditFields(doc json.RawMessage) (map[string]json.RawMessage, bool) {
	m := map[string]json.RawMessage{}
	if len(doc) == 0 {
		return m, true
	}
	if err := json.Unmarshal(doc, &m); err != nil {
		return nil, false
	}
	return m, true
}

func compactJSON(v json.RawMessage) string {
	if len(v) == 0 {
		return ""
	}
	var b bytes.Buffer
	if err := json.Compact(&b, v); err != nil {
		return string(v)
	}
	return b.String()
}
