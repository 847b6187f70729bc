package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// ChangeQuery selects change events. Zero fields do not filter.
type ChangeQuery struct {
	ServiceID int64
	Since     time.Time // changed at or after
	Until     time.Time // changed before
	Offset    int
	Limit     int // 0: the server's default page size
}

// ListChanges lists change events (deploys, config changes), newest first,
// with the total matching count.
func (c *Client) ListChanges(ctx context.Context, q ChangeQuery) ([]*vigil.ChangeEvent, int, error) {
	v := url.Values{}
	if q.ServiceID != 0 {
		v.Set("service_id", strconv.FormatInt(q.ServiceID, 10))
	}
	if !q.Since.IsZero() {
		v.Set("since", q.Since.UTC().Format(time.RFC3339Nano))
	}
	if !q.Until.IsZero() {
		v.Set("until", q.Until.UTC().Format(time.RFC3339Nano))
	}
	page(v, q.Offset, q.Limit)
	return c.changes(ctx, "/api/v1/changes", v)
}

// IncidentChanges lists the change events of an incident's service from an
// hour before the incident opened, newest first, with their total.
// CodeNotFound.
func (c *Client) IncidentChanges(ctx context.Context, incidentID int64, offset, limit int) ([]*vigil.ChangeEvent, int, error) {
	v := url.Values{}
	page(v, offset, limit)
	return c.changes(ctx, incidentPath(incidentID)+"/changes", v)
}

func (c *Client) changes(ctx context.Context, path string, v url.Values) ([]*vigil.ChangeEvent, int, error) {
	var out list[*vigil.ChangeEvent]
	if err := c.do(ctx, http.MethodGet, path, v, c.token, nil, &out); err != nil {
		return nil, 0, err
	}
	return nonNil(out.Items), out.Total, nil
}
