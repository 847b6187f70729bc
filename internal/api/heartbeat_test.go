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

// hbStore is pdStore plus the heartbeat calls of the Opsgenie handlers,
// each failing with err when set; any other call panics.
type hbStore struct {
	pdStore
	err    error
	pinged []int64
	actor  vigil.Actor
}

func (s *hbStore) FindHeartbeatByName(_ context.Context, serviceID int64, name string) (*vigil.Heartbeat, error) {
	if s.err != nil {
		return nil, s.err
	}
	if serviceID != 3 || name != "nightly" {
		return nil, vigil.Errorf(vigil.CodeNotFound, "no such heartbeat")
	}
	return &vigil.Heartbeat{ID: 9, ServiceID: 3, Name: name}, nil
}

func (s *hbStore) PingHeartbeat(ctx context.Context, id int64) (*vigil.Heartbeat, error) {
	s.pinged, s.actor = append(s.pinged, id), vigil.ActorFromContext(ctx)
	return &vigil.Heartbeat{ID: id, ServiceID: 3, Name: "nightly"}, nil
}

// A ping finds the heartbeat on the key's service and pings it as the
// key; store failures answer in Opsgenie's envelope without details.
func TestOpsgenieHeartbeatPingHandler(t *testing.T) {
	for _, tt := range []struct {
		name, path string
		err        error
		status     int
		message    string
		logs       string
	}{
		{name: "pinged", path: "/v2/heartbeats/nightly/ping", status: 202},
		{name: "unknown", path: "/v2/heartbeats/other/ping", status: 404, message: "Heartbeat with name [other] does not exist."},
		{name: "control character", path: "/v2/heartbeats/a%0Ab/ping", status: 404},
		{name: "database down", path: "/v2/heartbeats/nightly/ping", err: vigil.Errorf(vigil.CodeUnavailable, "db down"), status: 503, logs: "service unavailable"},
		{name: "bug", path: "/v2/heartbeats/nightly/ping", err: errors.New("secret detail"), status: 500, message: "internal error", logs: "internal error"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			st := &hbStore{err: tt.err}
			a := New(Deps{Store: st, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			mux := http.NewServeMux()
			for _, rt := range a.Routes() {
				mux.Handle(rt.Method+" "+rt.Pattern, rt.Handler)
			}
			req := httptest.NewRequest("PUT", tt.path, nil)
			req.Header.Set("Authorization", "GenieKey vgi_good")
			rec := httptest.NewRecorder()
			mux.ServeHTTP(rec, req)
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
				if resp.Result != heartbeatPinged || len(st.pinged) != 1 || st.pinged[0] != 9 ||
					st.actor.Kind != vigil.ActorIntegration || st.actor.ID != 7 {
					t.Errorf("answer %+v, pinged %v as %+v", resp, st.pinged, st.actor)
				}
			} else if len(st.pinged) != 0 {
				t.Errorf("pinged %v on a refusal", st.pinged)
			}
		})
	}
}

func TestOgHeartbeatError(t *testing.T) {
	for _, tt := range []struct {
		in          error
		code, field string
		msg         string
	}{
		{vigil.FieldError("interval_unit", "must be one of minutes, hours, days"), vigil.CodeInvalid, "intervalUnit", "intervalUnit must be one of minutes, hours, days"},
		{vigil.FieldError("alert_tags", "at most 20 tags"), vigil.CodeInvalid, "alertTags", "alertTags at most 20 tags"},
		{&vigil.Error{Code: vigil.CodeConflict, Field: "name", Message: "taken"}, vigil.CodeConflict, "", "Heartbeat with name [hb] already exists."},
		{vigil.Errorf(vigil.CodeNotFound, "heartbeat 9 not found"), vigil.CodeNotFound, "", "Heartbeat with name [hb] does not exist."},
		{vigil.Errorf(vigil.CodeUnavailable, "down"), vigil.CodeUnavailable, "", "down"},
	} {
		err := ogHeartbeatError(tt.in, "hb")
		if vigil.ErrorCode(err) != tt.code || vigil.ErrorField(err) != tt.field || vigil.ErrorMessage(err) != tt.msg {
			t.Errorf("%v → %v (code %s field %q)", tt.in, err, vigil.ErrorCode(err), vigil.ErrorField(err))
		}
	}
}
