package client

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// AuditQuery selects audit log entries. Zero fields do not filter.
type AuditQuery struct {
	Actor  string // the actor's name
	Action string // an action or its prefix ("service", "incident.resolve")
	Object string // an object type or type:id ("service:3")
	Since  time.Time
	Until  time.Time
	Search string // text in the object before or after
	Offset int
	Limit  int
}

// ListAudit searches the audit log, newest first, with the total matching
// count. Admins only.
func (c *Client) ListAudit(ctx context.Context, q AuditQuery) ([]*vigil.AuditEntry, int, error) {
	v := url.Values{}
	for name, val := range map[string]string{"actor": q.Actor, "action": q.Action, "object": q.Object, "search": q.Search} {
		if val != "" {
			v.Set(name, val)
		}
	}
	if !q.Since.IsZero() {
		v.Set("since", q.Since.UTC().Format(time.RFC3339Nano))
	}
	if !q.Until.IsZero() {
		v.Set("until", q.Until.UTC().Format(time.RFC3339Nano))
	}
	page(v, q.Offset, q.Limit)
	var out list[*vigil.AuditEntry]
	if err := c.do(ctx, http.MethodGet, "/api/v1/audit", v, c.token, nil, &out); err != nil {
		return nil, 0, err
	}
	return nonNil(out.Items), out.Total, nil
}
