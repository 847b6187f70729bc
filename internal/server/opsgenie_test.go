package server

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/vigil-oss/vigil/internal/api"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// ogDo sends an Opsgenie request with "Authorization: GenieKey <key>".
func (e *env) ogDo(method, path, body string, headers ...string) response {
	e.t.Helper()
	h := map[string]string{"Authorization": "GenieKey " + e.key.Secret}
	for i := 0; i+1 < len(headers); i += 2 {
		h[headers[i]] = headers[i+1]
	}
	if body == "" {
		return e.do(method, path, nil, h)
	}
	return e.do(method, path, strings.NewReader(body), h)
}

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func ogAnswer(t *testing.T, r response, status int) api.OpsgenieResponse {
	t.Helper()
	var o api.OpsgenieResponse
	r.want(t, status).json(t, &o)
	if !uuidRE.MatchString(o.RequestID) || o.Took < 0 {
		t.Fatalf("answer without a request id or took: %s", r.body)
	}
	if status == http.StatusAccepted && o.Result != "Request will be processed" {
		t.Fatalf("202 answer %s", r.body)
	}
	if status != http.StatusAccepted && o.Message == "" {
		t.Fatalf("error answer without message: %s", r.body)
	}
	return o
}

func (e *env) ogRequest(id string) api.OpsgenieRequestData {
	e.t.Helper()
	var s api.OpsgenieRequestStatus
	e.ogDo("GET", "/v2/alerts/requests/"+id, "").want(e.t, 200).json(e.t, &s)
	if !uuidRE.MatchString(s.RequestID) || s.RequestID == id {
		e.t.Fatalf("request status answer id %q", s.RequestID)
	}
	return s.Data
}

const ogCreate = `{"message":"DB down on db1","alias":"db1/down","description":"no answer","priority":"P1",
	"tags":["prod","db"],"details":{"host":"db1"},"entity":"db1","source":"nagios","responders":[{"type":"team","name":"dba"}]}`

// Create, repeat, request status, close by alias: the alert and its
// incident resolve; the request statuses say what happened.
func TestOpsgenieLifecycle(t *testing.T) {
	for _, db := range []string{"sqlite", "postgres"} {
		t.Run(db, func(t *testing.T) {
			pg := ""
			if db == "postgres" {
				pg = migratedPostgresURL(t) // skips when PostgreSQL is not configured
			}
			e := newEnvOn(t, pg)
			created := ogAnswer(t, e.ogDo("POST", "/v2/alerts", ogCreate), 202)
			d := e.ogRequest(created.RequestID)
			if !d.Success || !d.IsSuccess || d.Action != "Create" || d.Status != "Created alert" || d.Alias != "db1/down" ||
				d.IntegrationID != itoa(e.key.ID) || d.AlertID == "" || !d.ProcessedAt.Equal(e.clock.Now()) {
				t.Fatalf("create status %+v", d)
			}
			again := ogAnswer(t, e.ogDo("POST", "/v2/alerts", ogCreate), 202)
			if again.RequestID == created.RequestID {
				t.Fatal("two requests, one id")
			}
			if d2 := e.ogRequest(again.RequestID); d2.AlertID != d.AlertID || !d2.Success {
				t.Fatalf("repeat create: %+v, want alert %s", d2, d.AlertID)
			}
			alerts := e.pdAlerts("db1%2Fdown")
			if len(alerts) != 1 || alerts[0].Occurrences != 2 || itoa(alerts[0].ID) != d.AlertID {
				t.Fatalf("alerts %+v", alerts)
			}
			a := alerts[0]
			if a.Summary != "DB down on db1" || a.Severity != vigil.SeverityCritical || a.Source != "nagios" ||
				a.Labels["priority"] != "P1" || a.Labels["tag:prod"] != "true" || a.Labels["tag:db"] != "true" ||
				!strings.Contains(string(a.Details), `"details":{"host":"db1"}`) || !strings.Contains(string(a.Details), `"description":"no answer"`) ||
				!strings.Contains(string(a.Details), `"entity":"db1"`) || !strings.Contains(string(a.Details), `"responders":[`) {
				t.Errorf("alert %+v details %s", a, a.Details)
			}

			closed := ogAnswer(t, e.ogDo("POST", "/v2/alerts/db1%2Fdown/close?identifierType=alias", `{"user":"ops","source":"am","note":"fixed"}`), 202)
			if d := e.ogRequest(closed.RequestID); !d.Success || d.Action != "Close" || d.Status != "Closed alert" || d.AlertID != itoa(a.ID) {
				t.Fatalf("close status %+v", d)
			}
			if s := e.pdIncident(a.IncidentID).Status; s != vigil.IncidentResolved {
				t.Errorf("after close: incident %s", s)
			}
			var tl api.Timeline
			e.call("GET", "/api/v1/incidents/"+itoa(a.IncidentID)+"/timeline", "").want(t, 200).json(t, &tl)
			note := false
			for _, en := range tl.Items {
				note = note || (en.Kind == vigil.EntryNote && strings.Contains(en.Message, "fixed"))
			}
			if !note {
				t.Errorf("the close note is not on the timeline: %+v", tl.Items)
			}

			// Closing again: nothing firing under that alias.
			again = ogAnswer(t, e.ogDo("POST", "/v2/alerts/db1%2Fdown/close?identifierType=alias", ""), 202)
			if d := e.ogRequest(again.RequestID); d.Success || d.Status != "Alert does not exist" {
				t.Errorf("second close %+v", d)
			}
		})
	}
}

// Acknowledge and close by Vigil's alert id (identifierType id, the
// default, and tiny); another service's alert does not exist for the key.
func TestOpsgenieByID(t *testing.T) {
	e := newEnv(t)
	created := ogAnswer(t, e.ogDo("POST", "/v2/alerts", `{"message":"cpu hot","alias":"cpu"}`), 202)
	id := e.ogRequest(created.RequestID).AlertID
	ack := ogAnswer(t, e.ogDo("POST", "/v2/alerts/"+id+"/acknowledge", `{"note":"looking"}`), 202)
	if d := e.ogRequest(ack.RequestID); !d.Success || d.Action != "Acknowledge" || d.Status != "Acknowledged alert" || d.AlertID != id || d.Alias != "cpu" {
		t.Fatalf("ack status %+v", d)
	}
	alerts := e.pdAlerts("cpu")
	if len(alerts) != 1 || e.pdIncident(alerts[0].IncidentID).Status != vigil.IncidentAcknowledged {
		t.Fatalf("after acknowledge: %+v", alerts)
	}
	closed := ogAnswer(t, e.ogDo("POST", "/v2/alerts/"+id+"/close?identifierType=tiny", ""), 202)
	if d := e.ogRequest(closed.RequestID); !d.Success || d.Status != "Closed alert" {
		t.Fatalf("close status %+v", d)
	}
	if e.pdIncident(alerts[0].IncidentID).Status != vigil.IncidentResolved {
		t.Fatal("close by id did not resolve")
	}
	// A new alert under the same alias is not reached through the old id.
	ogAnswer(t, e.ogDo("POST", "/v2/alerts", `{"message":"cpu hot","alias":"cpu"}`), 202)
	ack = ogAnswer(t, e.ogDo("POST", "/v2/alerts/"+id+"/acknowledge", ""), 202)
	if d := e.ogRequest(ack.RequestID); d.Success || d.Status != "Alert is already closed" {
		t.Errorf("ack of a closed alert: %+v", d)
	}
	for _, bad := range []string{"999999", "abc", "-1"} {
		r := ogAnswer(t, e.ogDo("POST", "/v2/alerts/"+bad+"/close", ""), 202)
		if d := e.ogRequest(r.RequestID); d.Success || d.Status != "Alert does not exist" {
			t.Errorf("close %s: %+v", bad, d)
		}
	}

	// Another service's key sees neither the alert nor the requests.
	var other vigil.Service
	e.call("POST", "/api/v1/services", `{"name":"other"}`).want(t, 201).json(t, &other)
	var k vigil.IntegrationKey
	e.call("POST", "/api/v1/services/"+itoa(other.ID)+"/integration-keys", `{"name":"og"}`).want(t, 201).json(t, &k)
	r := ogAnswer(t, e.ogDo("POST", "/v2/alerts/"+id+"/close", "", "Authorization", "GenieKey "+k.Secret), 202)
	var s api.OpsgenieRequestStatus
	e.ogDo("GET", "/v2/alerts/requests/"+r.RequestID, "", "Authorization", "GenieKey "+k.Secret).want(t, 200).json(t, &s)
	if s.Data.Success || s.Data.Status != "Alert does not exist" {
		t.Errorf("other service's close: %+v", s.Data)
	}
	ogAnswer(t, e.ogDo("GET", "/v2/alerts/requests/"+created.RequestID, "", "Authorization", "GenieKey "+k.Secret), 404)
}

// The GenieKey scheme in any case; a bearer token works too; missing,
// malformed and unknown keys are 401 in Opsgenie's envelope.
func TestOpsgenieAuth(t *testing.T) {
	e := newEnv(t)
	body := `{"message":"m"}`
	for _, h := range []string{"GenieKey " + e.key.Secret, "geniekey " + e.key.Secret, "GENIEKEY  " + e.key.Secret, "Bearer " + e.key.Secret} {
		ogAnswer(t, e.ogDo("POST", "/v2/alerts", body, "Authorization", h), 202)
	}
	for h, msg := range map[string]string{
		"":                   "Key format is not valid!",
		"GenieKey":           "Key format is not valid!",
		"GenieKey ":          "Key format is not valid!",
		"GenieKey vgi_nope":  "Could not authenticate",
		"Basic Zm9vOmJhcg==": "Could not authenticate",
	} {
		// "" sends no Authorization header at all.
		r := e.do("POST", "/v2/alerts", strings.NewReader(body), map[string]string{"Authorization": h})
		if o := ogAnswer(t, r, 401); o.Message != msg {
			t.Errorf("%q: message %q, want %q", h, o.Message, msg)
		}
	}
	ogAnswer(t, e.do("GET", "/v2/alerts/requests/x", nil, map[string]string{"Authorization": ""}), 401)
	// Revoked keys stop working.
	e.call("DELETE", "/api/v1/services/{svc}/integration-keys/{keyid}", "").want(t, 204)
	ogAnswer(t, e.ogDo("POST", "/v2/alerts", body), 401)
}

// Validation errors are 422 naming the field; other refusals have their
// usual status.
func TestOpsgenieRefusals(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		path, body string
		status     int
		field, msg string
	}{
		{"/v2/alerts", `{"alias":"a"}`, 422, "message", "Message can not be empty."},
		{"/v2/alerts", `{"message":""}`, 422, "message", "Message can not be empty."},
		{"/v2/alerts", `{"message":"` + strings.Repeat("x", 131) + `"}`, 422, "message", ""},
		{"/v2/alerts", `{"message":"m","alias":"` + strings.Repeat("x", 513) + `"}`, 422, "alias", ""},
		{"/v2/alerts", `{"message":"m","priority":"P0"}`, 422, "priority", ""},
		{"/v2/alerts", `{"message":"m","tags":{"a":1}}`, 422, "tags", ""},
		{"/v2/alerts", `{"message":"m","details":{"a":["b"]}}`, 422, "details", ""},
		{"/v2/alerts", `not json`, 400, "", "Invalid JSON body."},
		{"/v2/alerts", ``, 400, "", "Invalid JSON body."},
		{"/v2/alerts", `["message"]`, 422, "", "Request body is not processable. Please check the errors."},
		{"/v2/alerts/a/close?identifierType=name", ``, 422, "identifierType", ""},
		{"/v2/alerts/a/acknowledge?identifierType=alias", `{"note":1}`, 422, "note", ""},
		{"/v2/alerts/a/close?identifierType=alias", `[1]`, 422, "", ""},
		{"/v2/alerts/a/close?identifierType=alias", `{`, 400, "", ""},
	} {
		o := ogAnswer(t, e.ogDo("POST", tc.path, tc.body), tc.status)
		if tc.field != "" && o.Errors[tc.field] == "" {
			t.Errorf("%s %.40s: errors %v, want field %s", tc.path, tc.body, o.Errors, tc.field)
		}
		if tc.msg != "" && o.Message != tc.msg {
			t.Errorf("%s %.40s: message %q, want %q", tc.path, tc.body, o.Message, tc.msg)
		}
	}
	ogAnswer(t, e.ogDo("POST", "/v2/alerts", `{"message":"m"}`, "Content-Type", "application/xml"), 415)
	ogAnswer(t, e.ogDo("POST", "/v2/alerts", `{"message":"m","description":"`+strings.Repeat("x", 600<<10)+`"}`), 413)
	ogAnswer(t, e.ogDo("GET", "/v2/alerts/requests/00000000-0000-4000-8000-000000000000", ""), 404)
	// An alias over 255 bytes is hashed, and still deduplicates and closes.
	long := strings.Repeat("ä", 300)
	ogAnswer(t, e.ogDo("POST", "/v2/alerts", `{"message":"m","alias":"`+long+`"}`), 202)
	r := ogAnswer(t, e.ogDo("POST", "/v2/alerts", `{"message":"m","alias":"`+long+`"}`), 202)
	if d := e.ogRequest(r.RequestID); d.Alias != long || d.Status != "Alert deduplicated" {
		t.Errorf("long alias: %+v", d)
	}
	r = ogAnswer(t, e.ogDo("POST", "/v2/alerts/"+long+"/close?identifierType=alias", ""), 202)
	if d := e.ogRequest(r.RequestID); !d.Success {
		t.Errorf("close by long alias: %+v", d)
	}
}

func TestOpsgenieRateLimit(t *testing.T) {
	e := newEnvConfig(t, "", 1) // 1 request/s, bursts of 2
	ogAnswer(t, e.ogDo("POST", "/v2/alerts", `{"message":"m"}`), 202)
	ogAnswer(t, e.ogDo("POST", "/v2/alerts", `{"message":"m"}`), 202)
	r := e.ogDo("POST", "/v2/alerts", `{"message":"m"}`)
	ogAnswer(t, r, 429)
	if ra := r.header.Get("Retry-After"); ra == "" || ra == "0" {
		t.Errorf("429 Retry-After %q", ra)
	}
	e.clock.Advance(2e9)
	ogAnswer(t, e.ogDo("POST", "/v2/alerts", `{"message":"m"}`), 202)
}

func TestOpsgenieDatabaseDown(t *testing.T) {
	e := newEnv(t)
	ogAnswer(t, e.ogDo("POST", "/v2/alerts", `{"message":"m"}`), 202) // caches the key
	e.store.Close()
	ogAnswer(t, e.ogDo("POST", "/v2/alerts", `{"message":"m"}`), 503)
	ogAnswer(t, e.ogDo("POST", "/v2/alerts/x/close?identifierType=alias", ""), 503)
}
