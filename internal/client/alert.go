package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// AlertQuery selects alerts. Zero fields do not filter.
type AlertQuery struct {
	ServiceID  int64
	IncidentID int64
	Status     string // firing or resolved
	DedupKey   string
	Offset     int
	Limit      int // 0: the server's default page size
}

func (q AlertQuery) values() url.Values {
	v := url.Values{}
	if q.ServiceID != 0 {
		v.Set("service_id", strconv.FormatInt(q.ServiceID, 10))
	}
	if q.IncidentID != 0 {
		v.Set("incident_id", strconv.FormatInt(q.IncidentID, 10))
	}
	if q.Status != "" {
		v.Set("status", q.Status)
	}
	if q.DedupKey != "" {
		v.Set("dedup_key", q.DedupKey)
	}
	page(v, q.Offset, q.Limit)
	return v
}

// ListAlerts lists alerts, newest first, with the total matching count.
func (c *Client) ListAlerts(ctx context.Context, q AlertQuery) ([]*vigil.Alert, int, error) {
	var out list[*vigil.Alert]
	if err := c.do(ctx, http.MethodGet, "/api/v1/alerts", q.values(), c.token, nil, &out); err != nil {
		return nil, 0, err
	}
	return nonNil(out.Items), out.Total, nil
}

// GetAlert returns one alert. CodeNotFound.
func (c *Client) GetAlert(ctx context.Context, alertID int64) (*vigil.Alert, error) {
	var out vigil.Alert
	if err := c.do(ctx, http.MethodGet, "/api/v1/alerts/"+id(alertID), nil, c.token, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
