package api

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestAlertmanagerRoute(t *testing.T) {
	var found *Route
	for _, rt := range New(Deps{}).Routes() {
		if rt.Method == "POST" && rt.Pattern == "/api/v1/integrations/alertmanager" {
			found = &rt
		}
	}
	if found == nil {
		t.Fatal("route missing")
	}
	if found.Auth != AuthIntegration || found.Format != FormatAlertmanager || found.Status != http.StatusOK {
		t.Errorf("route %+v", *found)
	}
	// Mounted without IntegrationAuth, the handler refuses rather than
	// storing events for no service.
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("POST", found.Pattern, strings.NewReader(`{"alerts":[{"labels":{"a":"b"}}]}`))
	req.Header.Set("Content-Type", "application/json")
	found.Handler.ServeHTTP(rec, req)
	if rec.Code != http.StatusInternalServerError {
		t.Errorf("status %d without a key", rec.Code)
	}
}
