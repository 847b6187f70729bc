package server

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// An API token of the ingest scope posts native events to the service its
// path names: one event, a batch with a bad item, an unknown service,
// and an integration key, which this route does not take. Each token has
// its own rate limit bucket, apart from the integration keys'.
func TestIngestWithToken(t *testing.T) {
	e := newEnvConfig(t, "", 1) // 1 request/s, bursts of 2
	ctx := context.Background()
	tok, err := e.store.CreateToken(ctx, vigil.TokenSpec{Name: "ci-sender", Scopes: []string{vigil.PermIngest}})
	if err != nil {
		t.Fatal(err)
	}
	send := func(path, secret, body string) response {
		t.Helper()
		return e.do("POST", path, strings.NewReader(body), map[string]string{"Authorization": "Bearer " + secret})
	}
	path := "/api/v1/services/" + itoa(e.service.ID) + "/events"

	res := eventResult(t, send(path, tok.Secret, `{"summary":"disk full on db-1","dedup_key":"disk","severity":"critical"}`))
	if res.AlertID == 0 || res.IncidentID == 0 {
		t.Fatalf("no alert or incident: %+v", res)
	}
	var a vigil.Alert
	e.call("GET", "/api/v1/alerts/"+itoa(res.AlertID), "").want(t, 200).json(t, &a)
	if a.ServiceID != e.service.ID || a.IntegrationKeyID != nil || a.Summary != "disk full on db-1" {
		t.Errorf("stored alert: service %d key %v summary %q", a.ServiceID, a.IntegrationKeyID, a.Summary)
	}

	var batch struct {
		Results []struct {
			Index   int                     `json:"index"`
			AlertID int64                   `json:"alert_id"`
			Error   *struct{ Field string } `json:"error"`
		} `json:"results"`
	}
	send(path, tok.Secret, `[{"summary":"b","dedup_key":"b"},{"summary":""}]`).want(t, 202).json(t, &batch)
	if len(batch.Results) != 2 || batch.Results[0].AlertID == 0 || batch.Results[1].Error == nil || batch.Results[1].Error.Field != "summary" {
		t.Errorf("batch results: %+v", batch.Results)
	}

	e.clock.Advance(time.Minute)
	send(path, tok.Secret, `{"summary":"x","severity":"loud"}`).want(t, 400)
	send(path, tok.Secret, `{"summary":"y"}`).want(t, 202)

	// The token's bucket is spent (two requests); the key's is not.
	if r := send(path, tok.Secret, `{"summary":"c"}`).want(t, 429); r.header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	e.ingest(`{"summary":"from the key"}`).want(t, 202)
	e.clock.Advance(time.Second)
	send(path, tok.Secret, `{"summary":"c"}`).want(t, 202)

	send("/api/v1/services/999999/events", tok.Secret, `{"summary":"x"}`).want(t, 404)
	send(path, e.key.Secret, `{"summary":"x"}`).want(t, 401)
}
