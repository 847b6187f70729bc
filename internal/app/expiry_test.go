package app

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// TestExpiryJobResolvesAlertsAfterTheResolveTimeout: an alert posted to
// the Alertmanager API without endsAt resolves once the configured resolve
// timeout passes on the clock, by the server's own housekeeping.
func TestExpiryJobResolvesAlertsAfterTheResolveTimeout(t *testing.T) {
	ctx := context.Background()
	clock := vigil.NewManualClock(time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC))
	a := startApp(t, Config{DataDir: t.TempDir(), Clock: clock, ResolveTimeout: 2 * time.Minute, SweepTick: time.Hour})
	st := a.Store()
	svc := &vigil.Service{Name: "prom"}
	svc.Normalize()
	if err := st.CreateService(ctx, svc); err != nil {
		t.Fatal(err)
	}
	key, err := st.CreateIntegrationKey(ctx, svc.ID, "prom")
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", a.URL()+"/api/v2/alerts", strings.NewReader(`[{"labels":{"alertname":"Expires"}}]`))
	req.Header.Set("Authorization", "Bearer "+key.Secret)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("post: %d", resp.StatusCode)
	}
	firing := func() int {
		list, err := st.FindFiringAlerts(ctx, svc.ID, 10)
		if err != nil {
			t.Fatal(err)
		}
		return len(list)
	}
	clock.Advance(90 * time.Second)
	a.Sweep(ctx)
	if firing() != 1 {
		t.Fatal("alert resolved before the resolve timeout")
	}
	clock.Advance(time.Minute)
	if n := a.Sweep(ctx); n == 0 {
		t.Fatal("no job was due after the clock moved a minute")
	}
	if firing() != 0 {
		t.Fatal("alert still firing after the resolve timeout")
	}
}
