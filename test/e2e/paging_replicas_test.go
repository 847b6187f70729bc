package e2e

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/notify/webhook/webhooktest"
	"github.com/vigil-oss/vigil/internal/storetest"
)

// pagingSetup creates, through the API of base, users whose one contact
// method is a webhook to hook (path /<name>), a policy paging them all at
// once, a service (no grouping: one incident per alert) and its key.
// noStorm is a grouping of one incident per alert without storm
// protection: these tests need every alert to page.
var noStorm = map[string]any{"mode": "none", "storm": map[string]any{"incidents": 0}}

func pagingSetup(t *testing.T, base, hook string, users ...string) (key string) {
	t.Helper()
	ctx := context.Background()
	var targets []map[string]any
	for _, name := range users {
		var u struct{ ID int64 }
		if _, err := apiCall(ctx, "POST", base+"/api/v1/users", adminToken,
			map[string]any{"name": name, "email": strings.ToLower(name) + "@example.com"}, &u); err != nil {
			t.Fatal(err)
		}
		if _, err := apiCall(ctx, "POST", fmt.Sprintf("%s/api/v1/users/%d/contact-methods", base, u.ID), adminToken,
			map[string]any{"type": "webhook", "address": hook + "/" + strings.ToLower(name)}, nil); err != nil {
			t.Fatal(err)
		}
		targets = append(targets, map[string]any{"type": "user", "id": u.ID})
	}
	var pol struct{ ID int64 }
	if _, err := apiCall(ctx, "POST", base+"/api/v1/escalation-policies", adminToken,
		map[string]any{"name": "everyone", "steps": []any{map[string]any{"delay": "0s", "targets": targets}}}, &pol); err != nil {
		t.Fatal(err)
	}
	var svc struct{ ID int64 }
	if _, err := apiCall(ctx, "POST", base+"/api/v1/services", adminToken,
		map[string]any{"name": "payments", "grouping": noStorm, "escalation_policy_id": pol.ID}, &svc); err != nil {
		t.Fatal(err)
	}
	var k struct{ Secret string }
	if _, err := apiCall(ctx, "POST", fmt.Sprintf("%s/api/v1/services/%d/integration-keys", base, svc.ID), adminToken,
		map[string]any{"name": "load"}, &k); err != nil {
		t.Fatal(err)
	}
	return k.Secret
}

// postAlerts opens n incidents (keys prefix-0 ... prefix-(n-1)) in batches
// of 100, spread over the given servers.
func postAlerts(t *testing.T, key, prefix string, n int, bases ...string) {
	t.Helper()
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, n/100+1)
	for start := 0; start < n; start += 100 {
		batch := []map[string]any{}
		for i := start; i < min(start+100, n); i++ {
			batch = append(batch, map[string]any{"dedup_key": fmt.Sprintf("%s-%d", prefix, i), "summary": "load " + prefix, "severity": "critical"})
		}
		base := bases[(start/100)%len(bases)]
		wg.Go(func() {
			if _, err := apiCall(ctx, "POST", base+"/api/v1/events", key, batch, nil); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// D1: with 2 and with 3 `vigil serve` replicas on one PostgreSQL, all
// running the engine, 1,000 incidents paging two people each reach the
// fake vendor exactly once per (incident, contact method) — no lost and
// no duplicate pages — and every message keeps one id.
func TestReplicasPageExactlyOnce(t *testing.T) {
	for _, replicas := range []int{2, 3} {
		t.Run(fmt.Sprintf("%d replicas", replicas), func(t *testing.T) {
			dbURL := storetest.NewPostgresURL(t)
			hook := webhooktest.New(t, "")
			var bases []string
			for range replicas {
				p := newProc(t, "--database-url", dbURL)
				p.start()
				bases = append(bases, p.url())
			}
			key := pagingSetup(t, bases[0], hook.URL, "Ana", "Bo")
			const incidents = 1000
			postAlerts(t, key, "d1", incidents, bases...)
			if _, err := hook.WaitFor(2*incidents, 90*time.Second); err != nil {
				t.Fatalf("%v (got %d)", err, len(hook.Requests()))
			}
			time.Sleep(2 * time.Second) // time for a duplicate to show up
			perDest := map[string]int{}
			for _, r := range hook.Requests() {
				if r.PayloadErr != nil || r.Payload.Kind != "page" {
					t.Fatalf("request %s: %v %+v", r.Path, r.PayloadErr, r.Payload)
				}
				perDest[fmt.Sprintf("%d%s", r.Payload.IncidentID, r.Path)]++
			}
			if len(perDest) != 2*incidents {
				t.Errorf("%d distinct (incident, contact method) pairs paged, want %d", len(perDest), 2*incidents)
			}
			for dest, n := range perDest {
				if n != 1 {
					t.Errorf("incident/contact %s paged %d times", dest, n)
				}
			}
			for id, reqs := range hook.ByMessageID() {
				if len(reqs) != 1 {
					t.Errorf("message %s arrived %d times", id, len(reqs))
				}
			}
		})
	}
}

// D2/F2: the replica sending a batch is killed with SIGKILL while the
// vendor holds its requests. Another replica takes the messages over once
// their lease ends and delivers every one: the documented at-least-once
// guarantee. A message the dead replica may have handed over is sent
// again with the same message id, so the receiver can drop the copy.
func TestSendingReplicaKilled(t *testing.T) {
	dbURL := storetest.NewPostgresURL(t)
	hook := webhooktest.New(t, "")
	hook.SetDefault(webhooktest.Reply{Hang: true}) // the vendor stalls
	const lease = "15s"
	a := newProc(t, "--database-url", dbURL, "--engine-lease", lease)
	a.start()
	key := pagingSetup(t, a.url(), hook.URL, "Ana")
	const incidents = 20
	postAlerts(t, key, "d2", incidents, a.url())
	if _, err := hook.WaitFor(1, 30*time.Second); err != nil {
		t.Fatalf("replica a never started sending: %v", err)
	}
	time.Sleep(200 * time.Millisecond) // let it claim and start the rest of its batch
	inFlight := len(hook.Requests())
	a.kill()
	killedAt := time.Now()
	hook.SetDefault(webhooktest.Reply{}) // the vendor answers again

	b := newProc(t, "--database-url", dbURL, "--engine-lease", lease)
	b.start()
	deadline := time.Now().Add(60 * time.Second)
	delivered := map[int64]string{} // incident -> message id of its 200
	for len(delivered) < incidents && time.Now().Before(deadline) {
		for _, r := range hook.Requests() {
			if !r.Reply.Hang {
				delivered[r.Payload.IncidentID] = r.Header.Get("Vigil-Message-Id")
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	if len(delivered) != incidents {
		t.Fatalf("%d of %d incidents delivered after the kill (%d were in flight)", len(delivered), incidents, inFlight)
	}
	took := time.Since(killedAt)
	if took > 15*time.Second+20*time.Second {
		t.Errorf("takeover took %s; the bound is the lease (%s) plus a few cycles", took, lease)
	}
	time.Sleep(2 * time.Second)
	// Each incident has one message id; it reached the vendor once from
	// replica b and at most once more from a (the request a was holding).
	for id, reqs := range hook.ByMessageID() {
		ok := 0
		for _, r := range reqs {
			if !r.Reply.Hang {
				ok++
			}
		}
		if ok != 1 || len(reqs) > 2 {
			t.Errorf("message %s: %d requests, %d answered: want one delivery after at most one stalled try", id, len(reqs), ok)
		}
	}
	if n := len(hook.ByMessageID()); n != incidents {
		t.Errorf("%d message ids for %d incidents", n, incidents)
	}
	if inFlight == 0 {
		t.Error("nothing was in flight when the replica was killed; the test proved nothing")
	}
	t.Logf("%d messages were in flight at the kill; all %d delivered %s later", inFlight, incidents, took.Round(time.Second))
}
