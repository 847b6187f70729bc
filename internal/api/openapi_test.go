package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

func TestOpenAPIListsEveryRoute(t *testing.T) {
	a := New(Deps{})
	rec := httptest.NewRecorder()
	a.handle(a.openAPI).ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/openapi.json", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d", rec.Code)
	}
	var doc struct {
		OpenAPI    string                                `json:"openapi"`
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components struct {
			Schemas         map[string]json.RawMessage `json:"schemas"`
			SecuritySchemes map[string]struct {
				Type   string `json:"type"`
				Scheme string `json:"scheme"`
			} `json:"securitySchemes"`
		} `json:"components"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Errorf("openapi = %q", doc.OpenAPI)
	}
	if s := doc.Components.SecuritySchemes["apiToken"]; s.Type != "http" || s.Scheme != "bearer" {
		t.Errorf("apiToken scheme = %+v", s)
	}
	for _, name := range []string{"Service", "Incident", "Alert", "TimelineEntry", "IntegrationKey", "NativeEvent", "EventResult", "ErrorResponse", "IncidentDetail"} {
		if doc.Components.Schemas[name] == nil {
			t.Errorf("schema %s missing", name)
		}
	}
	routes := a.Routes()
	n := 0
	for _, ops := range doc.Paths {
		n += len(ops)
	}
	if n != len(routes) {
		t.Errorf("document has %d operations, route table %d", n, len(routes))
	}
	for _, rt := range routes {
		raw := doc.Paths[rt.Pattern][strings.ToLower(rt.Method)]
		if raw == nil {
			t.Errorf("%s %s missing from the document", rt.Method, rt.Pattern)
			continue
		}
		var op struct {
			Security   []map[string][]string       `json:"security"`
			Responses  map[string]json.RawMessage  `json:"responses"`
			Parameters []struct{ Name, In string } `json:"parameters"`
		}
		if err := json.Unmarshal(raw, &op); err != nil {
			t.Fatal(err)
		}
		want := map[string]string{AuthToken: "apiToken", AuthIntegration: "integrationKey"}[rt.Auth]
		if (rt.Auth == AuthNone && rt.Format != "") || rt.Auth == AuthSignature || rt.Auth == AuthURLSecret {
			// Drop-in ingest formats carry their credential in the body;
			// vendor callbacks are signed by the vendor; feeds carry a
			// secret in their URL.
			if len(op.Security) != 0 {
				t.Errorf("%s %s: security %v, want none", rt.Method, rt.Pattern, op.Security)
			}
		} else if rt.Auth == AuthTokenOrIntegration {
			if len(op.Security) != 2 || op.Security[0]["apiToken"] == nil || op.Security[1]["integrationKey"] == nil {
				t.Errorf("%s %s: security %v, want apiToken or integrationKey", rt.Method, rt.Pattern, op.Security)
			}
		} else if len(op.Security) != 1 || op.Security[0][want] == nil {
			t.Errorf("%s %s: security %v, want %s", rt.Method, rt.Pattern, op.Security, want)
		}
		status := rt.Status
		if status == 0 {
			status = 200
		}
		if op.Responses[strconv.Itoa(status)] == nil || op.Responses["default"] == nil {
			t.Errorf("%s %s: responses %v", rt.Method, rt.Pattern, op.Responses)
		}
		if got, want := len(pathParamRE.FindAllStringSubmatch(rt.Pattern, -1)), strings.Count(rt.Pattern, "{"); got != want {
			t.Errorf("%s %s: %d of %d path parameters recognised", rt.Method, rt.Pattern, got, want)
		}
		for _, m := range pathParamRE.FindAllStringSubmatch(rt.Pattern, -1) {
			found := false
			for _, p := range op.Parameters {
				found = found || (p.Name == m[1] && p.In == "path")
			}
			if !found {
				t.Errorf("%s %s: path parameter %s undocumented", rt.Method, rt.Pattern, m[1])
			}
		}
	}
}

func TestRouteTable(t *testing.T) {
	seen := map[string]bool{}
	for _, rt := range New(Deps{}).Routes() {
		key := rt.Method + " " + rt.Pattern
		if seen[key] {
			t.Errorf("duplicate route %s", key)
		}
		seen[key] = true
		if rt.Handler == nil || rt.Summary == "" {
			t.Errorf("incomplete route %s", key)
		}
		if rt.Format != "" && rt.Auth == AuthNone {
			// A drop-in ingest format (PagerDuty) at the sender's own path,
			// authenticated by the key in its body.
			continue
		}
		if !strings.HasPrefix(rt.Pattern, "/api/v1/") && !(rt.Format != "" && strings.HasPrefix(rt.Pattern, "/api/v2/")) {
			// /api/v2/ is Alertmanager's API, served for its senders and readers.
			t.Errorf("route %s outside /api/v1/", key)
		}
		if rt.Auth != AuthToken && rt.Auth != AuthIntegration && rt.Auth != AuthTokenOrIntegration && rt.Auth != AuthSignature && rt.Auth != AuthURLSecret {
			t.Errorf("%s: auth %q; every API route needs a credential", key, rt.Auth)
		}
	}
}
