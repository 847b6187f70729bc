package server

import (
	"testing"
)

// The clock of the harness is 2026-03-01T12:00:00Z.
func noiseScenarios() []scenario {
	return []scenario{
		{name: "report defaults to the last 7 days in UTC", setup: withAlert, method: "GET", path: "/api/v1/reports/noise", wantStatus: 200,
			wantContains: []string{`"since":"2026-02-22T12:01:00Z"`, `"until":"2026-03-01T12:01:00Z"`, `"time_zone":"UTC"`,
				`"name":"checkout"`, `"name":"prometheus"`, `"alerts":1`, `"incidents":1`, `"suggestions":[]`}},
		{name: "report in a zone", method: "GET", path: "/api/v1/reports/noise?since=2026-02-01T00:00:00Z&until=2026-03-01T00:00:00Z&tz=Europe/Berlin",
			wantStatus: 200, wantContains: []string{`"time_zone":"Europe/Berlin"`, `"services":[]`}},
		{name: "report bad since", method: "GET", path: "/api/v1/reports/noise?since=yesterday", wantStatus: 400,
			wantContains: []string{`"field":"since"`}},
		{name: "report bad until", method: "GET", path: "/api/v1/reports/noise?until=2026-13-01T00:00:00Z", wantStatus: 400,
			wantContains: []string{`"field":"until"`}},
		{name: "report until before since", method: "GET", path: "/api/v1/reports/noise?since=2026-03-01T00:00:00Z&until=2026-02-01T00:00:00Z",
			wantStatus: 400, wantContains: []string{`"field":"until"`}},
		{name: "report range too long", method: "GET", path: "/api/v1/reports/noise?since=2020-01-01T00:00:00Z", wantStatus: 400,
			wantContains: []string{`"field":"since"`}},
		{name: "report unknown zone", method: "GET", path: "/api/v1/reports/noise?tz=Mars/Olympus", wantStatus: 400,
			wantContains: []string{`"field":"tz"`}},
		{name: "report zone with NUL", method: "GET", path: "/api/v1/reports/noise?tz=UTC%00", wantStatus: 400,
			wantContains: []string{`"field":"tz"`}},
		{name: "report needs a token", method: "GET", path: "/api/v1/reports/noise", headers: map[string]string{"Authorization": ""}, wantStatus: 401},

		{name: "feedback of a new incident", setup: withIncident, method: "GET", path: "/api/v1/incidents/{inc}/feedback", wantStatus: 200,
			wantContains: []string{`"verdict":""`}},
		{name: "mark noise", setup: withIncident, method: "PUT", path: "/api/v1/incidents/{inc}/feedback", body: `{"verdict":"noise"}`,
			wantStatus: 200, wantContains: []string{`"verdict":"noise"`, `"by":"admin"`}},
		{name: "clear", setup: withIncident, method: "PUT", path: "/api/v1/incidents/{inc}/feedback", body: `{"verdict":""}`,
			wantStatus: 200, wantContains: []string{`"verdict":""`}},
		{name: "bad verdict", setup: withIncident, method: "PUT", path: "/api/v1/incidents/{inc}/feedback", body: `{"verdict":"meh"}`,
			wantStatus: 400, wantContains: []string{`"field":"verdict"`}},
		{name: "verdict missing", setup: withIncident, method: "PUT", path: "/api/v1/incidents/{inc}/feedback", body: `{}`,
			wantStatus: 400, wantContains: []string{`"field":"verdict"`}},
		{name: "verdict not a string", setup: withIncident, method: "PUT", path: "/api/v1/incidents/{inc}/feedback", body: `{"verdict":1}`,
			wantStatus: 400, wantContains: []string{`"field":"verdict"`}},
		{name: "feedback unknown field", setup: withIncident, method: "PUT", path: "/api/v1/incidents/{inc}/feedback", body: `{"verdict":"noise","why":"x"}`,
			wantStatus: 400, wantContains: []string{`"field":"why"`}},
		{name: "feedback unknown incident", method: "PUT", path: "/api/v1/incidents/999/feedback", body: `{"verdict":"noise"}`, wantStatus: 404},
		{name: "feedback bad id", method: "GET", path: "/api/v1/incidents/x/feedback", wantStatus: 400, wantContains: []string{`"field":"id"`}},
		{name: "feedback needs a token", setup: withIncident, method: "PUT", path: "/api/v1/incidents/{inc}/feedback", body: `{"verdict":"noise"}`,
			headers: map[string]string{"Authorization": "Bearer {key}"}, wantStatus: 401},
	}
}

func TestNoiseScenarios(t *testing.T) {
	for _, sc := range noiseScenarios() {
		t.Run(sc.name, sc.run)
	}
}

func TestNoiseScenariosPostgres(t *testing.T) {
	migratedPostgresURL(t)
	for _, sc := range noiseScenarios() {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			sc.runOn(t, migratedPostgresURL(t))
		})
	}
}
