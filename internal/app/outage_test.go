package app

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/notify/webhook/webhooktest"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// The vendor-outage case through the real app and a real HTTP fake: the
// receiver drops connections, then answers 503 for ten simulated minutes,
// then recovers. The page arrives exactly once after the recovery, every
// attempt carries the same message id, the retries back off instead of
// hammering, and the timeline shows how late the page was.
func TestVendorOutageOneDelivery(t *testing.T) {
	hook := webhooktest.New(t, "")
	hook.Enqueue(webhooktest.Reply{Drop: true}, webhooktest.Reply{Drop: true}, webhooktest.Reply{Drop: true})
	hook.SetDefault(webhooktest.Reply{Status: 503})
	start := time.Date(2026, 11, 23, 3, 0, 0, 0, time.UTC)
	clock := vigil.NewManualClock(start)
	a := startApp(t, Config{DataDir: t.TempDir(), Clock: clock, EngineInterval: -1})
	_, key := pagedService(t, a, hook.URL)
	postEvent(t, a, key, `{"dedup_key":"db","summary":"db-1 down","severity":"critical"}`)
	ctx := context.Background()
	for elapsed := time.Duration(0); elapsed <= 20*time.Minute; elapsed += 5 * time.Second {
		if elapsed == 10*time.Minute {
			hook.SetDefault(webhooktest.Reply{}) // the vendor is back
		}
		if _, err := a.EngineCycle(ctx); err != nil {
			t.Fatal(err)
		}
		clock.Advance(5 * time.Second)
	}
	var ok, tries int
	for _, r := range hook.Requests() {
		tries++
		if r.Reply.Status == 0 && !r.Reply.Drop {
			ok++
		}
	}
	if ok != 1 {
		t.Fatalf("%d deliveries after the outage, want exactly 1", ok)
	}
	if ids := hook.ByMessageID(); len(ids) != 1 {
		t.Errorf("%d message ids across %d attempts, want one", len(ids), tries)
	}
	if tries < 5 || tries > 14 {
		t.Errorf("%d attempts in 20 minutes: want backoff (5s doubling to 5m), neither hammering nor giving up", tries)
	}
	inc, _, err := a.Store().FindIncidents(ctx, vigil.IncidentFilter{})
	if err != nil || len(inc) != 1 {
		t.Fatalf("incidents: %v %v", inc, err)
	}
	tl, _ := a.Store().FindTimeline(ctx, inc[0].ID)
	var lines []string
	for _, e := range tl {
		lines = append(lines, e.Message)
	}
	all := strings.Join(lines, "\n")
	if !strings.Contains(all, "Paged Ana by webhook after") || !strings.Contains(all, "late") {
		t.Errorf("the timeline does not show the late delivery:\n%s", all)
	}
}
