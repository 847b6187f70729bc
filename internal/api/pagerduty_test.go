package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// pdStore answers the two calls the PagerDuty handler makes; any other
// call panics through the nil embedded interface.
type pdStore struct {
	vigil.Store
	processErr error
	got        []*vigil.Event
	actor      vigil.Actor
}

func (s *pdStore) AuthenticateIntegrationKey(_ context.Context, secret string) (*vigil.IntegrationKey, error) {
	if secret != "vgi_good" {
		return nil, vigil.Errorf(vigil.CodeUnauthorized, "unknown key")
	}
	return &vigil.IntegrationKey{ID: 7, ServiceID: 3, Name: "nagios"}, nil
}

func (s *pdStore) ProcessEvents(ctx context.Context, events []*vigil.Event) ([]vigil.EventResult, error) {
	s.got, s.actor = events, vigil.ActorFromContext(ctx)
	if s.processErr != nil {
		return nil, s.processErr
	}
	return []vigil.EventResult{{Action: events[0].Action, DedupKey: events[0].DedupKey, Changed: true}}, nil
}

func pdServe(t *testing.T, a *API, path string, body io.Reader, contentType string) (int, http.Header, PagerDutyResponse) {
	t.Helper()
	h := map[string]http.Handler{}
	for _, rt := range a.Routes() {
		h[rt.Pattern] = rt.Handler
	}
	req := httptest.NewRequest("POST", path, body)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	rec := httptest.NewRecorder()
	h[path].ServeHTTP(rec, req)
	var resp PagerDutyResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
		t.Fatalf("answer is not JSON: %s", rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q", ct) // go-pagerduty reads error bodies only when JSON
	}
	return rec.Code, rec.Header(), resp
}

func TestPagerDutyHandler(t *testing.T) {
	const good = `{"routing_key":"vgi_good","event_action":"trigger","dedup_key":"d","payload":{"summary":"s","source":"h","severity":"info"}}`
	big := `{"routing_key":"vgi_good","event_action":"trigger","payload":{"summary":"s","source":"h","severity":"info","custom_details":{"x":"` +
		strings.Repeat("x", 512<<10) + `"}}}`
	tests := []struct {
		name        string
		path        string
		body        io.Reader
		contentType string
		processErr  error
		status      int
		wantStatus  string
		logs        string
	}{
		{name: "v2 accepted", body: strings.NewReader(good), contentType: "application/json", status: 202, wantStatus: "success"},
		{name: "v1 accepted", path: "/generic/2010-04-15/create_event.json", body: strings.NewReader(`{"service_key":"vgi_good","event_type":"trigger","description":"d"}`),
			status: 200, wantStatus: "success"},
		{name: "no content type", body: strings.NewReader(good), status: 202, wantStatus: "success"},
		{name: "vendor json type", body: strings.NewReader(good), contentType: "application/vnd.pagerduty+json;version=2", status: 202, wantStatus: "success"},
		{name: "xml", body: strings.NewReader(good), contentType: "application/xml", status: 415, wantStatus: "invalid event"},
		{name: "declared too large", body: strings.NewReader(big), status: 413, wantStatus: "invalid event"},
		{name: "chunked too large", body: io.MultiReader(strings.NewReader(big)), status: 413, wantStatus: "invalid event"},
		{name: "exactly 512 KB is read", body: bytes.NewReader(append([]byte(good), bytes.Repeat([]byte(" "), 512<<10-len(good))...)), status: 202, wantStatus: "success"},
		{name: "empty", body: strings.NewReader(""), status: 400, wantStatus: "Unrecognized object"},
		{name: "unknown key", body: strings.NewReader(strings.Replace(good, "vgi_good", "vgi_bad", 1)), status: 400, wantStatus: "invalid event"},
		{name: "database down", body: strings.NewReader(good), processErr: vigil.Errorf(vigil.CodeUnavailable, "db down"), status: 503, wantStatus: "unavailable", logs: "service unavailable"},
		{name: "deadline is unavailable", body: strings.NewReader(good), processErr: context.DeadlineExceeded, status: 503, wantStatus: "unavailable"},
		{name: "bug", body: strings.NewReader(good), processErr: errors.New("secret detail"), status: 500, wantStatus: "error", logs: "internal error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			st := &pdStore{processErr: tt.processErr}
			a := New(Deps{Store: st, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			path := tt.path
			if path == "" {
				path = "/v2/enqueue"
			}
			status, _, resp := pdServe(t, a, path, tt.body, tt.contentType)
			if status != tt.status || resp.Status != tt.wantStatus {
				t.Fatalf("answer %d %+v, want %d %q", status, resp, tt.status, tt.wantStatus)
			}
			if strings.Contains(resp.Message, "secret detail") || !strings.Contains(logs.String(), tt.logs) {
				t.Errorf("message %q, logs %s", resp.Message, logs.String())
			}
			if status < 300 {
				e := st.got[0]
				if e.ServiceID != 3 || e.IntegrationKeyID == nil || *e.IntegrationKeyID != 7 ||
					st.actor != (vigil.Actor{Kind: vigil.ActorIntegration, ID: 7, Name: "nagios", Source: vigil.SourceIntegration}) {
					t.Errorf("event %+v, actor %+v", e, st.actor)
				}
			}
		})
	}
}
