package e2e

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	_ "modernc.org/sqlite" // the SQLite driver, to shorten a policy's delay in place

	"github.com/vigil-oss/vigil/internal/notify/webhook"
	"github.com/vigil-oss/vigil/internal/storetest"
)

// F1 and F5: a server stopped mid-escalation (SIGTERM, or SIGKILL) and
// started again on the same database sends the next step once, at the
// time it was due before the stop (the timer lives in the incident row),
// and does not send the step that was already delivered again.

// Timing of the restart tests. stepDelay is the wait between step 1 and
// step 2 (the API requires at least a minute; the test shortens it in the
// database). The server is started again restartAfter after step 1 arrived,
// well before step 2 is due. The engine wakes at least every second
// (engine.Config.Interval), so a due step fires within a second or so of
// its time; cycleSlack allows five such intervals. A timer reset by the
// restart would fire at the earliest restartAfter+stepDelay after step 1,
// which is later than stepDelay+cycleSlack: the bound tells the two apart.
const (
	stepDelay    = 10 * time.Second
	restartAfter = 7 * time.Second
	cycleSlack   = 5 * time.Second
)

func TestSigtermMidEscalation(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { t.Parallel(); restartMidEscalation(t, sqliteDB(t), false) })
	t.Run("postgres", func(t *testing.T) { t.Parallel(); restartMidEscalation(t, postgresDB(t), false) })
}

func TestKillNineKeepsEscalationTimers(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { t.Parallel(); restartMidEscalation(t, sqliteDB(t), true) })
	t.Run("postgres", func(t *testing.T) { t.Parallel(); restartMidEscalation(t, postgresDB(t), true) })
}

// restartMidEscalation pages Ana (step 1) and, stepDelay later, Bo (step
// 2), with a stop and a start of the server between them. SIGTERM (kill
// false) arrives while step 1 is being sent: the server finishes that send
// and records it before it exits. SIGKILL (kill true) comes once step 1 is
// recorded as sent.
func restartMidEscalation(t *testing.T, db testDB, kill bool) {
	if testing.Short() {
		t.Skip("waits for a real escalation delay")
	}
	ctx := context.Background()
	hook := newHeldReceiver(t)
	p := newProc(t, db.args...)
	p.start()
	key, policyID := twoStepSetup(t, p.url(), hook.URL)
	db.setFirstDelay(t, policyID, stepDelay)

	if !kill {
		hook.holdNext() // step 1 stays in flight until the server is stopping
	}
	var ev struct {
		IncidentID int64 `json:"incident_id"`
	}
	if _, err := apiCall(ctx, "POST", p.url()+"/api/v1/events", key,
		map[string]any{"summary": "restart mid-escalation", "dedup_key": "f1", "severity": "critical"}, &ev); err != nil {
		t.Fatal(err)
	}
	first := hook.waitFor(t, 1, 30*time.Second)[0]

	if kill {
		waitFor(t, 30*time.Second, "step 1 recorded as sent", func() bool {
			ns := incidentNotifications(t, p.url(), ev.IncidentID)
			return len(ns) == 1 && ns[0].Status == "sent"
		})
		p.kill()
	} else {
		if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- p.cmd.Wait() }()
		// The server stops listening first; only then does the vendor
		// answer step 1, so the send ends during the shutdown.
		waitFor(t, 10*time.Second, "the server to stop listening", func() bool {
			resp, err := http.Get(p.url() + "/readyz")
			if err == nil {
				resp.Body.Close()
			}
			return err != nil
		})
		if held := time.Since(first.at); held > 8*time.Second {
			// The engine gives up a send after 10s; past that the
			// scenario is another one (a failed send, retried).
			t.Skipf("the server took %s to stop listening; too slow to release step 1 in time", held)
		}
		hook.release()
		select {
		case err := <-exited:
			if err != nil {
				t.Fatalf("vigil exited with %v after SIGTERM; output:\n%s", err, p.out.String())
			}
		case <-time.After(30 * time.Second):
			t.Fatal("vigil did not exit within 30s of SIGTERM")
		}
	}
	time.Sleep(time.Until(first.at.Add(restartAfter)))
	p.start()
	ready := time.Now()

	got := hook.waitFor(t, 2, stepDelay+cycleSlack+30*time.Second)
	time.Sleep(2 * time.Second) // room for a duplicate to arrive
	got = hook.requests()
	var seen []string
	for _, r := range got {
		seen = append(seen, fmt.Sprintf("%s %s %s", r.payload.Kind, r.path, r.id))
	}
	if len(got) != 2 || got[0].path != "/ana" || got[1].path != "/bo" || got[0].id == got[1].id ||
		got[0].payload.Kind != "page" || got[1].payload.Kind != "page" {
		t.Fatalf("the receiver got %q; want step 1 (Ana) once, then step 2 (Bo) once", seen)
	}

	// The server's own record: two pages, each sent on its first attempt
	// (step 1 was not sent again after the restart, and not left claimed).
	ns := incidentNotifications(t, p.url(), ev.IncidentID)
	if len(ns) != 2 {
		t.Fatalf("%d notifications, want 2: %+v", len(ns), ns)
	}
	step1, step2 := ns[1], ns[0] // newest first
	for i, n := range []notificationView{step1, step2} {
		if n.Step == nil || *n.Step != i || n.Status != "sent" || n.Attempts != 1 {
			t.Errorf("notification %d (step index %v): %s after %d attempt(s), want index %d sent after 1", n.ID, deref(n.Step), n.Status, n.Attempts, i)
		}
	}
	// Step 2 fired when it was due before the stop: not earlier, not
	// counted again from the restart.
	due := step1.CreatedAt.Add(stepDelay)
	latest := due
	if ready.After(latest) {
		latest = ready // a slow restart: then it is overdue, and fires at once
	}
	latest = latest.Add(cycleSlack)
	if step2.CreatedAt.Before(due) || step2.CreatedAt.After(latest) {
		t.Errorf("step 2 fired %s after step 1; due %s after it, at the latest %s after it (server ready %s after it)",
			step2.CreatedAt.Sub(step1.CreatedAt), stepDelay, latest.Sub(step1.CreatedAt), ready.Sub(step1.CreatedAt))
	}
	if !ready.Before(due) {
		t.Logf("the restart took until %s after step 1, past the due time: the timer reset could not be told apart", ready.Sub(step1.CreatedAt))
	}
	if strings.Contains(p.out.String(), "level=ERROR") {
		t.Errorf("error-level log lines:\n%s", p.out.String())
	}
	t.Logf("step 2 fired %s after step 1 (due after %s; restarted after %s)",
		step2.CreatedAt.Sub(step1.CreatedAt).Round(time.Millisecond), stepDelay, ready.Sub(step1.CreatedAt).Round(time.Millisecond))
}

// twoStepSetup creates Ana and Bo (webhooks to hook/ana and hook/bo), a
// policy paging Ana, then a minute later Bo, a service and its key.
func twoStepSetup(t *testing.T, base, hook string) (key string, policyID int64) {
	t.Helper()
	ctx := context.Background()
	var targets []map[string]any
	for _, name := range []string{"Ana", "Bo"} {
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
	if _, err := apiCall(ctx, "POST", base+"/api/v1/escalation-policies", adminToken, map[string]any{"name": "two steps", "steps": []any{
		map[string]any{"delay": "1m", "targets": targets[:1]},
		map[string]any{"delay": "0s", "targets": targets[1:]},
	}}, &pol); err != nil {
		t.Fatal(err)
	}
	var svc struct{ ID int64 }
	if _, err := apiCall(ctx, "POST", base+"/api/v1/services", adminToken,
		map[string]any{"name": "checkout", "grouping": noStorm, "escalation_policy_id": pol.ID}, &svc); err != nil {
		t.Fatal(err)
	}
	var k struct{ Secret string }
	if _, err := apiCall(ctx, "POST", fmt.Sprintf("%s/api/v1/services/%d/integration-keys", base, svc.ID), adminToken,
		map[string]any{"name": "restart"}, &k); err != nil {
		t.Fatal(err)
	}
	return k.Secret, pol.ID
}

// testDB is a database for `vigil serve` that the test can also write to.
type testDB struct {
	args []string
	// exec runs one statement on the database directly.
	exec func(t *testing.T, query string, args ...any)
	// query reads one value.
	query func(t *testing.T, dest any, query string, args ...any)
}

func sqliteDB(t *testing.T) testDB {
	dir := t.TempDir()
	open := func(t *testing.T) *sql.DB {
		db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "vigil.db")+"?_pragma=busy_timeout(10000)")
		if err != nil {
			t.Fatal(err)
		}
		return db
	}
	return testDB{
		args: []string{"--data-dir", dir},
		exec: func(t *testing.T, q string, args ...any) {
			db := open(t)
			defer db.Close()
			if _, err := db.Exec(strings.ReplaceAll(q, "$", "?"), args...); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		},
		query: func(t *testing.T, dest any, q string, args ...any) {
			db := open(t)
			defer db.Close()
			if err := db.QueryRow(strings.ReplaceAll(q, "$", "?"), args...).Scan(dest); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		},
	}
}

func postgresDB(t *testing.T) testDB {
	url := storetest.NewPostgresURL(t) // skips without VIGIL_TEST_DATABASE_URL
	conn := func(t *testing.T) *pgx.Conn {
		c, err := pgx.Connect(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	return testDB{
		args: []string{"--database-url", url},
		exec: func(t *testing.T, q string, args ...any) {
			c := conn(t)
			defer c.Close(context.Background())
			if _, err := c.Exec(context.Background(), q, args...); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		},
		query: func(t *testing.T, dest any, q string, args ...any) {
			c := conn(t)
			defer c.Close(context.Background())
			if err := c.QueryRow(context.Background(), q, args...).Scan(dest); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		},
	}
}

// setFirstDelay sets the delay after a policy's first step in the database
// itself: the API refuses delays under a minute when a step follows, and
// the test must not wait minutes. Only the delay changes.
func (db testDB) setFirstDelay(t *testing.T, policyID int64, d time.Duration) {
	t.Helper()
	var raw string
	db.query(t, &raw, "SELECT steps FROM escalation_policies WHERE id = $1", policyID)
	var steps []map[string]any
	if err := json.Unmarshal([]byte(raw), &steps); err != nil || len(steps) < 2 {
		t.Fatalf("steps %s: %v", raw, err)
	}
	steps[0]["delay"] = d.String()
	b, err := json.Marshal(steps)
	if err != nil {
		t.Fatal(err)
	}
	db.exec(t, "UPDATE escalation_policies SET steps = $1 WHERE id = $2", string(b), policyID)
}

type notificationView struct {
	ID        int64     `json:"id"`
	Kind      string    `json:"kind"`
	Step      *int      `json:"step"`
	Status    string    `json:"status"`
	Attempts  int       `json:"attempts"`
	CreatedAt time.Time `json:"created_at"`
	DueAt     time.Time `json:"due_at"`
}

func deref(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}

// incidentNotifications is the incident's message log, newest first.
func incidentNotifications(t *testing.T, base string, incidentID int64) []notificationView {
	t.Helper()
	var page struct{ Items []notificationView }
	if _, err := apiCall(context.Background(), "GET", fmt.Sprintf("%s/api/v1/incidents/%d/notifications", base, incidentID), adminToken, nil, &page); err != nil {
		t.Fatal(err)
	}
	return page.Items
}

// waitFor polls cond every 50ms until it holds, or fails the test.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// heldReceiver is a webhook receiver that records every request and can
// hold the next one open until the test releases it, then answer 200.
type heldReceiver struct {
	URL string

	mu      sync.Mutex
	reqs    []heldRequest
	hold    bool
	gate    chan struct{}
	arrived chan struct{}
}

type heldRequest struct {
	at      time.Time
	path    string
	id      string // Vigil-Message-Id
	payload webhook.Payload
}

func newHeldReceiver(t *testing.T) *heldReceiver {
	r := &heldReceiver{gate: make(chan struct{}), arrived: make(chan struct{})}
	srv := httptest.NewServer(http.HandlerFunc(r.serve))
	r.URL = srv.URL
	t.Cleanup(func() {
		r.release()
		srv.Close()
	})
	return r
}

func (r *heldReceiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	rec := heldRequest{at: time.Now(), path: req.URL.Path, id: req.Header.Get(webhook.HeaderMessageID)}
	_ = json.Unmarshal(body, &rec.payload)
	r.mu.Lock()
	r.reqs = append(r.reqs, rec)
	held, gate := r.hold, r.gate
	r.hold = false
	close(r.arrived)
	r.arrived = make(chan struct{})
	r.mu.Unlock()
	if held {
		<-gate
	}
	w.WriteHeader(http.StatusOK)
}

// holdNext makes the next request wait for release.
func (r *heldReceiver) holdNext() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.hold = true
}

// release answers the held request (idempotent).
func (r *heldReceiver) release() {
	r.mu.Lock()
	defer r.mu.Unlock()
	select {
	case <-r.gate:
	default:
		close(r.gate)
	}
}

func (r *heldReceiver) requests() []heldRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]heldRequest(nil), r.reqs...)
}

// waitFor returns the requests once at least n arrived, or fails the test.
func (r *heldReceiver) waitFor(t *testing.T, n int, timeout time.Duration) []heldRequest {
	t.Helper()
	deadline := time.After(timeout)
	for {
		r.mu.Lock()
		got, ch := append([]heldRequest(nil), r.reqs...), r.arrived
		r.mu.Unlock()
		if len(got) >= n {
			return got
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("%d of %d webhook requests arrived within %s", len(got), n, timeout)
		}
	}
}
