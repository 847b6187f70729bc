package api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

type limited struct{ after time.Duration }

func (l limited) Error() string             { return "slow down" }
func (l limited) RetryAfter() time.Duration { return l.after }

func TestWriteError(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		wantStatus int
		wantBody   string
		wantHeader map[string]string
		wantLog    string // substring of the log; "" means nothing at error level
	}{
		{name: "field error", err: vigil.FieldError("summary", "is required"), wantStatus: 400,
			wantBody: `{"error":{"code":"invalid","message":"is required","field":"summary"}}`},
		{name: "not found omits field", err: vigil.Errorf(vigil.CodeNotFound, "no incident 7"), wantStatus: 404,
			wantBody: `{"error":{"code":"not_found","message":"no incident 7"}}`},
		{name: "conflict", err: vigil.Errorf(vigil.CodeConflict, "resolved"), wantStatus: 409},
		{name: "unauthorized", err: vigil.Errorf(vigil.CodeUnauthorized, "no"), wantStatus: 401,
			wantHeader: map[string]string{"WWW-Authenticate": `Bearer realm="vigil"`}},
		{name: "forbidden", err: vigil.Errorf(vigil.CodeForbidden, "no"), wantStatus: 403},
		{name: "too large", err: errBodyTooLarge, wantStatus: 413},
		{name: "media", err: vigil.Errorf(vigil.CodeUnsupportedMedia, "json"), wantStatus: 415},
		{name: "rate limited default", err: vigil.Errorf(vigil.CodeRateLimited, "slow"), wantStatus: 429,
			wantHeader: map[string]string{"Retry-After": "1"}},
		{name: "rate limited with hint", err: &vigil.Error{Code: vigil.CodeRateLimited, Message: "slow", Err: limited{2500 * time.Millisecond}}, wantStatus: 429,
			wantHeader: map[string]string{"Retry-After": "3"}},
		{name: "unavailable", err: &vigil.Error{Code: vigil.CodeUnavailable, Message: "database unavailable", Err: errors.New("dial tcp")}, wantStatus: 503},
		{name: "deadline is unavailable", err: fmt.Errorf("query: %w", context.DeadlineExceeded), wantStatus: 503},
		{name: "plain error is internal", err: errors.New("pq: secret detail"), wantStatus: 500,
			wantBody: `{"error":{"code":"internal","message":"internal error"}}`, wantLog: "pq: secret detail"},
		{name: "internal code", err: &vigil.Error{Code: vigil.CodeInternal, Message: "bug detail", Err: errors.New("cause")}, wantStatus: 500,
			wantBody: `{"error":{"code":"internal","message":"internal error"}}`, wantLog: "cause"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			log := slog.New(slog.NewTextHandler(&logs, nil))
			r := httptest.NewRequest("GET", "/x", nil)
			r = r.WithContext(WithLogger(r.Context(), log))
			rec := httptest.NewRecorder()
			WriteError(rec, r, tt.err)
			if rec.Code != tt.wantStatus {
				t.Errorf("status %d, want %d", rec.Code, tt.wantStatus)
			}
			if tt.wantBody != "" && strings.TrimSpace(rec.Body.String()) != tt.wantBody {
				t.Errorf("body %s, want %s", rec.Body.String(), tt.wantBody)
			}
			if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("content type %q", ct)
			}
			for k, v := range tt.wantHeader {
				if rec.Header().Get(k) != v {
					t.Errorf("header %s = %q, want %q", k, rec.Header().Get(k), v)
				}
			}
			errLines := strings.Count(logs.String(), "level=ERROR")
			if tt.wantLog == "" && errLines != 0 {
				t.Errorf("unexpected error log: %s", logs.String())
			}
			if tt.wantLog != "" && (errLines != 1 || !strings.Contains(logs.String(), tt.wantLog)) {
				t.Errorf("want one error line with %q, got: %s", tt.wantLog, logs.String())
			}
			if strings.Contains(rec.Body.String(), "secret detail") || strings.Contains(rec.Body.String(), "bug detail") {
				t.Errorf("internal detail leaked: %s", rec.Body.String())
			}
		})
	}
}

func TestStatusOfCoversEveryCode(t *testing.T) {
	for _, code := range []string{vigil.CodeInvalid, vigil.CodeNotFound, vigil.CodeConflict, vigil.CodeUnauthorized, vigil.CodeForbidden,
		vigil.CodeTooLarge, vigil.CodeUnsupportedMedia, vigil.CodeRateLimited, vigil.CodeUnavailable} {
		if StatusOf(code) == http.StatusInternalServerError {
			t.Errorf("code %s maps to 500", code)
		}
	}
}
