package app

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/storetest"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// replica is one running App with a service and an integration key to
// talk Opsgenie to it.
type replica struct {
	t   *testing.T
	app *App
	key string
}

func startApp(t *testing.T, cfg Config) *App {
	t.Helper()
	if cfg.AdminToken == "" {
		cfg.AdminToken = vigil.NewSecret(vigil.TokenPrefix)
	}
	cfg.Addr = "127.0.0.1:0"
	if cfg.Channels.OutboundAllow == nil {
		// The vendor fakes listen on loopback, which contact methods may
		// not reach by default (guard_test.go tests that refusal).
		cfg.Channels.OutboundAllow = loopback
	}
	a, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		a.Shutdown(ctx)
	})
	return a
}

// seed creates the service "batch" with an integration key on a's store.
func seed(t *testing.T, a *App) (*vigil.Service, string) {
	t.Helper()
	ctx := vigil.WithActor(context.Background(), vigil.Actor{Kind: vigil.ActorToken, Name: "seed", Source: vigil.SourceAPI})
	s := &vigil.Service{Name: "batch", AutoResolve: true}
	if err := a.Store().CreateService(ctx, s); err != nil {
		t.Fatal(err)
	}
	k, err := a.Store().CreateIntegrationKey(ctx, s.ID, "cron")
	if err != nil {
		t.Fatal(err)
	}
	return s, k.Secret
}

// og sends an Opsgenie request and returns the status and body.
func (r replica) og(method, path, body string) (int, string) {
	r.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, r.app.URL()+path, rd)
	if err != nil {
		r.t.Fatal(err)
	}
	req.Header.Set("Authorization", "GenieKey "+r.key)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (r replica) must(status int, method, path, body string) string {
	r.t.Helper()
	got, b := r.og(method, path, body)
	if got != status {
		r.t.Fatalf("%s %s: %d %s, want %d", method, path, got, b, status)
	}
	return b
}

// heartbeatAlerts returns the alerts of the heartbeat name, newest first,
// and the number of incidents.
func heartbeatAlerts(t *testing.T, a *App, name string) ([]*vigil.Alert, int) {
	t.Helper()
	key := vigil.HeartbeatDedupKey(name)
	list, _, err := a.Store().FindAlerts(context.Background(), vigil.AlertFilter{DedupKey: &key})
	if err != nil {
		t.Fatal(err)
	}
	_, incidents, err := a.Store().FindIncidents(context.Background(), vigil.IncidentFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return list, incidents
}

// The heartbeat lifecycle through the housekeeping loop with a manual
// clock: no alert before the interval, one alert and one incident at
// expiry however often the sweep runs, the ping resolves them, a disabled
// heartbeat stays quiet.
func TestHeartbeatExpiryThroughSweep(t *testing.T) {
	ctx := context.Background()
	clock := vigil.NewManualClock(time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC))
	a := startApp(t, Config{DataDir: t.TempDir(), Clock: clock})
	_, key := seed(t, a)
	r := replica{t: t, app: a, key: key}
	r.must(201, "POST", "/v2/heartbeats", `{"name":"nightly","interval":1,"intervalUnit":"minutes","enabled":true,"alertPriority":"P1"}`)
	a.Sweep(ctx)

	for range 5 { // 50 s: not due yet
		clock.Advance(10 * time.Second)
		a.Sweep(ctx)
	}
	if alerts, _ := heartbeatAlerts(t, a, "nightly"); len(alerts) != 0 {
		t.Fatalf("%d alerts before the interval passed", len(alerts))
	}
	clock.Advance(10 * time.Second) // 60 s: due
	if n := a.Sweep(ctx); n == 0 {
		t.Fatal("no job ran")
	}
	alerts, incidents := heartbeatAlerts(t, a, "nightly")
	if len(alerts) != 1 || incidents != 1 || alerts[0].Status != vigil.AlertFiring || alerts[0].Severity != vigil.SeverityCritical ||
		alerts[0].Summary != "nightly is expired" || alerts[0].Source != "heartbeat" {
		t.Fatalf("after the interval: %d incidents, alerts %+v", incidents, alerts)
	}
	var got struct {
		Data struct {
			Expired bool `json:"expired"`
		} `json:"data"`
	}
	json.Unmarshal([]byte(r.must(200, "GET", "/v2/heartbeats/nightly", "")), &got)
	if !got.Data.Expired {
		t.Error("the heartbeat does not say expired")
	}
	for range 6 { // a minute of sweeps while still expired
		clock.Advance(10 * time.Second)
		a.Sweep(ctx)
	}
	alerts, incidents = heartbeatAlerts(t, a, "nightly")
	if len(alerts) != 1 || incidents != 1 || alerts[0].Occurrences != 1 {
		t.Fatalf("repeated sweeps: %d alerts, %d incidents, occurrences %d", len(alerts), incidents, alerts[0].Occurrences)
	}

	r.must(202, "GET", "/v2/heartbeats/nightly/ping", "")
	alerts, _ = heartbeatAlerts(t, a, "nightly")
	inc, err := a.Store().FindIncidentByID(ctx, alerts[0].IncidentID)
	if err != nil {
		t.Fatal(err)
	}
	if alerts[0].Status != vigil.AlertResolved || inc.Status != vigil.IncidentResolved {
		t.Fatalf("after the ping: alert %s, incident %s", alerts[0].Status, inc.Status)
	}

	r.must(200, "POST", "/v2/heartbeats/nightly/disable", "")
	for range 30 { // five minutes without a ping, disabled
		clock.Advance(10 * time.Second)
		a.Sweep(ctx)
	}
	if alerts, _ := heartbeatAlerts(t, a, "nightly"); len(alerts) != 1 {
		t.Errorf("a disabled heartbeat alerted: %d alerts", len(alerts))
	}
}

// Two replicas on one PostgreSQL sweeping at the same moments raise one
// alert per expired heartbeat.
func TestHeartbeatExpiryTwoReplicas(t *testing.T) {
	url := storetest.NewPostgresURL(t) // skips when PostgreSQL is not configured
	ctx := context.Background()
	clock := vigil.NewManualClock(time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC))
	token := vigil.NewSecret(vigil.TokenPrefix)
	a1 := startApp(t, Config{DatabaseURL: url, Clock: clock, AdminToken: token})
	a2 := startApp(t, Config{DatabaseURL: url, Clock: clock, AdminToken: token})
	s, key := seed(t, a1)
	if _, err := a1.Store().UpdateService(ctx, s.ID, vigil.ServiceUpdate{Grouping: &vigil.GroupingRule{Mode: vigil.GroupNone}}); err != nil {
		t.Fatal(err)
	}
	r := replica{t: t, app: a1, key: key}
	const beats = 8
	for i := range beats {
		r.must(201, "POST", "/v2/heartbeats", `{"name":"job-`+string(rune('a'+i))+`","interval":1,"intervalUnit":"minutes","enabled":true}`)
	}
	for range 3 {
		clock.Advance(40 * time.Second)
		var wg sync.WaitGroup
		for _, a := range []*App{a1, a2, a1, a2} {
			wg.Go(func() { a.Sweep(ctx) })
		}
		wg.Wait()
	}
	for i := range beats {
		name := "job-" + string(rune('a'+i))
		if alerts, _ := heartbeatAlerts(t, a2, name); len(alerts) != 1 || alerts[0].Occurrences != 1 {
			t.Errorf("%s: %d alerts", name, len(alerts))
		}
	}
	if _, incidents := heartbeatAlerts(t, a1, "job-a"); incidents != beats {
		t.Errorf("%d incidents, want %d", incidents, beats)
	}
}

// Opsgenie request records are pruned once older than the retention; the
// default retention is a week.
func TestIngestRequestPruneJob(t *testing.T) {
	ctx := context.Background()
	clock := vigil.NewManualClock(time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC))
	a := startApp(t, Config{DataDir: t.TempDir(), Clock: clock, IngestRequestRetention: time.Hour})
	_, key := seed(t, a)
	r := replica{t: t, app: a, key: key}
	var created struct {
		RequestID string `json:"requestId"`
	}
	json.Unmarshal([]byte(r.must(202, "POST", "/v2/alerts", `{"message":"disk full"}`)), &created)
	a.Sweep(ctx)
	clock.Advance(59 * time.Minute)
	a.Sweep(ctx)
	r.must(200, "GET", "/v2/alerts/requests/"+created.RequestID, "")
	clock.Advance(16 * time.Minute) // past the retention, and the job is due again
	a.Sweep(ctx)
	r.must(404, "GET", "/v2/alerts/requests/"+created.RequestID, "")

	d := startApp(t, Config{DataDir: t.TempDir(), Clock: clock})
	if d.cfg.IngestRequestRetention != 7*24*time.Hour {
		t.Errorf("default retention %v, want 7 days", d.cfg.IngestRequestRetention)
	}
}
