package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// ogStore is pdStore plus the request records; any other call panics.
type ogStore struct {
	pdStore
	recordErr error
	recorded  []*vigil.IngestRequest
}

func (s *ogStore) RecordIngestRequest(_ context.Context, r *vigil.IngestRequest) error {
	if s.recordErr != nil {
		return s.recordErr
	}
	s.recorded = append(s.recorded, r)
	return nil
}

// ProcessEventsRecorded is ProcessEvents then the record, failing whole
// when either fails (as the store's one transaction does).
func (s *ogStore) ProcessEventsRecorded(ctx context.Context, events []*vigil.Event, complete func([]vigil.EventResult) *vigil.IngestRequest) ([]vigil.EventResult, error) {
	res, err := s.ProcessEvents(ctx, events)
	if err != nil {
		return nil, err
	}
	if err := s.RecordIngestRequest(ctx, complete(res)); err != nil {
		return nil, err
	}
	return res, nil
}

func TestGenieKey(t *testing.T) {
	for h, want := range map[string]string{
		"GenieKey abc":      "abc",
		"geniekey  abc ":    "abc",
		"GENIEKEY abc":      "abc",
		"Bearer abc":        "abc",
		"GenieKey":          "",
		"":                  "",
		"GenieKeyabc":       "",
		"Token abc":         "",
		"Basic OmFiYw==":    "abc", // basic auth, the key as password
		"  GenieKey  abc  ": "abc",
	} {
		r := httptest.NewRequest("POST", "/v2/alerts", nil)
		if h != "" {
			r.Header.Set("Authorization", h)
		}
		if got := genieKey(r); got != want {
			t.Errorf("genieKey(%q) = %q, want %q", h, got, want)
		}
	}
}

func TestOpsgenieHandler(t *testing.T) {
	const good = `{"message":"m","alias":"a","priority":"P2"}`
	tests := []struct {
		name       string
		auth       string
		processErr error
		recordErr  error
		status     int
		message    string
		logs       string
	}{
		{name: "accepted", auth: "GenieKey vgi_good", status: 202},
		{name: "no key", status: 401, message: "Key format is not valid!"},
		{name: "unknown key", auth: "GenieKey vgi_bad", status: 401, message: "Could not authenticate"},
		{name: "database down", auth: "GenieKey vgi_good", processErr: vigil.Errorf(vigil.CodeUnavailable, "db down"), status: 503, logs: "service unavailable"},
		{name: "record fails", auth: "GenieKey vgi_good", recordErr: vigil.Errorf(vigil.CodeUnavailable, "db down"), status: 503, logs: "service unavailable"},
		{name: "deadline", auth: "GenieKey vgi_good", processErr: context.DeadlineExceeded, status: 503},
		{name: "bug", auth: "GenieKey vgi_good", processErr: errors.New("secret detail"), status: 500, message: "internal error", logs: "internal error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			st := &ogStore{pdStore: pdStore{processErr: tt.processErr}, recordErr: tt.recordErr}
			a := New(Deps{Store: st, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			var h http.Handler
			for _, rt := range a.Routes() {
				if rt.Method == "POST" && rt.Pattern == "/v2/alerts" {
					h = rt.Handler
				}
			}
			req := httptest.NewRequest("POST", "/v2/alerts", strings.NewReader(good))
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			var resp OpsgenieResponse
			if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
				t.Fatalf("answer is not JSON: %s", rec.Body)
			}
			if rec.Code != tt.status || resp.RequestID == "" || (tt.message != "" && resp.Message != tt.message) {
				t.Fatalf("answer %d %s, want %d %q", rec.Code, rec.Body, tt.status, tt.message)
			}
			if strings.Contains(rec.Body.String(), "secret detail") || !strings.Contains(logs.String(), tt.logs) {
				t.Errorf("body %s, logs %s", rec.Body, logs.String())
			}
			if tt.status == 202 {
				e := st.got[0]
				if e.ServiceID != 3 || *e.IntegrationKeyID != 7 || e.Severity != vigil.SeverityError || e.DedupKey != "a" {
					t.Errorf("event %+v", e)
				}
				if len(st.recorded) != 1 || st.recorded[0].ID != resp.RequestID || st.recorded[0].IntegrationKeyID != 7 ||
					st.recorded[0].Action != "Create" || !st.recorded[0].Success {
					t.Errorf("recorded %+v", st.recorded)
				}
			}
		})
	}
}
