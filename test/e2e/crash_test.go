package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/storetest"
)

// TestKillNineKeepsAcceptedAlerts is catalog A1: kill -9 the server every
// 0.2–2 s while 8 clients post 1,000 distinct alerts and retry failures;
// every alert that got a 2xx must exist exactly once afterwards.
func TestKillNineKeepsAcceptedAlerts(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and restarts the server for several seconds")
	}
	t.Run("sqlite", func(t *testing.T) {
		killNine(t, "--data-dir", t.TempDir())
	})
	t.Run("postgres", func(t *testing.T) {
		killNine(t, "--database-url", storetest.NewPostgresURL(t))
	})
}

func killNine(t *testing.T, dbArgs ...string) {
	p := newProc(t, dbArgs...)
	p.start()
	_, key := createServiceAndKey(t, p.url(), "crash")

	const clients, perClient = 8, 125
	var (
		mu       sync.Mutex
		acked    = map[string]bool{}
		done     atomic.Bool
		attempts atomic.Int64
		wg       sync.WaitGroup
	)
	ctx := context.Background()
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < perClient; i++ {
				dk := fmt.Sprintf("crash-%d-%d", c, i)
				for {
					attempts.Add(1)
					var res struct {
						AlertID int64 `json:"alert_id"`
					}
					rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
					status, err := apiCall(rctx, "POST", p.url()+"/api/v1/events", key,
						map[string]any{"summary": "crash test " + dk, "dedup_key": dk, "severity": "warning"}, &res)
					cancel()
					if err == nil && status == 202 && res.AlertID > 0 {
						mu.Lock()
						acked[dk] = true
						mu.Unlock()
						// Pace the clients so the run spans several kills;
						// unpaced, 1,000 alerts are in before the first one.
						time.Sleep(40 * time.Millisecond)
						break
					}
					time.Sleep(10 * time.Millisecond)
				}
			}
		}()
	}
	// The killer: SIGKILL at random moments, restart at once.
	kills := 0
	killerDone := make(chan struct{})
	go func() {
		defer close(killerDone)
		for !done.Load() {
			time.Sleep(time.Duration(200+rand.IntN(1800)) * time.Millisecond)
			if done.Load() {
				return
			}
			p.kill()
			kills++
			p.start()
		}
	}()
	wg.Wait()
	done.Store(true)
	<-killerDone
	if kills < 2 {
		t.Fatalf("the server was killed %d times; the test proved nothing", kills)
	}

	// One last kill -9 right after the last answer, then count.
	p.kill()
	p.start()
	counts := map[string]int{}
	for offset := 0; ; offset += 500 {
		var page struct {
			Items []struct {
				DedupKey string `json:"dedup_key"`
			} `json:"items"`
			Total int `json:"total"`
		}
		if _, err := apiCall(ctx, "GET", fmt.Sprintf("%s/api/v1/alerts?limit=500&offset=%d", p.url(), offset), adminToken, nil, &page); err != nil {
			t.Fatal(err)
		}
		for _, a := range page.Items {
			counts[a.DedupKey]++
		}
		if len(page.Items) < 500 {
			break
		}
	}
	if len(acked) != clients*perClient {
		t.Fatalf("only %d of %d alerts were ever accepted", len(acked), clients*perClient)
	}
	for dk := range acked {
		if counts[dk] != 1 {
			t.Errorf("alert %s got a 2xx but is stored %d times", dk, counts[dk])
		}
	}
	t.Logf("%d kills, %d attempts, %d alerts stored", kills, attempts.Load(), len(counts))
	if t.Failed() {
		fmt.Fprintln(os.Stderr, p.out.String())
	}
}
