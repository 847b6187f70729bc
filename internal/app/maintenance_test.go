package app

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// TestSweepReleasesAlertsWhenTheirWindowCloses: an alert held by a
// maintenance window opens its incident when the server's own
// housekeeping runs after the window's end on the injected clock.
func TestSweepReleasesAlertsWhenTheirWindowCloses(t *testing.T) {
	ctx := context.Background()
	clock := vigil.NewManualClock(time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC))
	a := startApp(t, Config{DataDir: t.TempDir(), Clock: clock, SweepTick: time.Hour})
	st := a.Store()
	svc := &vigil.Service{Name: "checkout"}
	svc.Normalize()
	if err := st.CreateService(ctx, svc); err != nil {
		t.Fatal(err)
	}
	key, err := st.CreateIntegrationKey(ctx, svc.ID, "prom")
	if err != nil {
		t.Fatal(err)
	}
	w := &vigil.MaintenanceWindow{Name: "deploy", ServiceIDs: []int64{svc.ID}, Start: clock.Now(), End: clock.Now().Add(30 * time.Minute)}
	if err := st.CreateMaintenanceWindow(ctx, w); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", a.URL()+"/api/v1/events", strings.NewReader(`{"summary":"p99 above 2s","dedup_key":"latency"}`))
	req.Header.Set("Authorization", "Bearer "+key.Secret)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("post: %d", resp.StatusCode)
	}
	incidents := func() int {
		_, n, err := st.FindIncidents(ctx, vigil.IncidentFilter{})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	clock.Advance(29 * time.Minute)
	a.Sweep(ctx)
	if incidents() != 0 {
		t.Fatal("an incident opened while the window was open")
	}
	clock.Advance(time.Minute)
	a.Sweep(ctx)
	if incidents() != 1 {
		t.Fatal("no incident once the window closed")
	}
}
