package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// SilenceCreate is a new silence (POST /api/v1/silences).
type SilenceCreate struct {
	// Matchers in Alertmanager's syntax: alertname="Disk full",
	// env!=dev, instance=~"web-.*". All must match.
	Matchers []string `json:"matchers"`
	// StartsAt defaults to now.
	StartsAt *time.Time `json:"starts_at,omitempty"`
	// EndsAt, or Duration from the start, is required.
	EndsAt   *time.Time      `json:"ends_at,omitempty"`
	Duration *vigil.Duration `json:"duration,omitempty"`
	// CreatedBy defaults to the API token's name.
	CreatedBy string `json:"created_by,omitempty"`
	Comment   string `json:"comment"`
	// ServiceID limits the silence to one service's alerts.
	ServiceID       int64             `json:"service_id,omitempty"`
	ExpireOnResolve bool              `json:"expire_on_resolve,omitempty"`
	Annotations     map[string]string `json:"annotations,omitempty"`
}

// SilenceQuery selects silences. Zero fields do not filter.
type SilenceQuery struct {
	States    []string // vigil.SilencePending, SilenceActive, SilenceExpired
	ServiceID int64
	// Global, with ServiceID, includes the silences of every service.
	Global bool
	// UnusedFor lists active silences that held no alert for this long.
	UnusedFor time.Duration
	Offset    int
	Limit     int
}

func (q SilenceQuery) values() url.Values {
	v := url.Values{}
	if len(q.States) > 0 {
		v.Set("state", strings.Join(q.States, ","))
	}
	if q.ServiceID != 0 {
		v.Set("service_id", strconv.FormatInt(q.ServiceID, 10))
	}
	if q.Global {
		v.Set("global", "true")
	}
	if q.UnusedFor > 0 {
		v.Set("unused_for", q.UnusedFor.String())
	}
	page(v, q.Offset, q.Limit)
	return v
}

// ListSilences lists silences, newest first, with the total count.
func (c *Client) ListSilences(ctx context.Context, q SilenceQuery) ([]*vigil.Silence, int, error) {
	var out list[*vigil.Silence]
	if err := c.do(ctx, http.MethodGet, "/api/v1/silences", q.values(), c.token, nil, &out); err != nil {
		return nil, 0, err
	}
	return nonNil(out.Items), out.Total, nil
}

// CreateSilence creates a silence. CodeInvalid naming the field.
func (c *Client) CreateSilence(ctx context.Context, in SilenceCreate) (*vigil.Silence, error) {
	var out vigil.Silence
	if err := c.do(ctx, http.MethodPost, "/api/v1/silences", nil, c.token, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetSilence returns a silence by its id or its UUID (the id amtool and
// Alertmanager's API show). CodeNotFound.
func (c *Client) GetSilence(ctx context.Context, ref string) (*vigil.Silence, error) {
	var out vigil.Silence
	if err := c.do(ctx, http.MethodGet, "/api/v1/silences/"+url.PathEscape(ref), nil, c.token, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ExpireSilence ends a silence now, by id or UUID, and returns it.
// CodeNotFound.
func (c *Client) ExpireSilence(ctx context.Context, ref string) (*vigil.Silence, error) {
	var out vigil.Silence
	if err := c.do(ctx, http.MethodDelete, "/api/v1/silences/"+url.PathEscape(ref), nil, c.token, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
