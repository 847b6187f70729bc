package store

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/storetest"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// The engine's store side shares one transaction among many incidents
// (EscalateDue) and many sends (CompleteNotifications). These tests hold
// what that must not cost: one bad item fails alone, and replicas working
// at once still fire each step once.

var engineT0 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

// eachEngineDB runs fn on SQLite and (when configured) PostgreSQL. open
// returns another handle on the same database: a second replica on
// PostgreSQL; on SQLite, where one process owns the file, the same one.
func eachEngineDB(t *testing.T, fn func(t *testing.T, clock *vigil.ManualClock, db *DB, open func() *DB)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		clock := vigil.NewManualClock(engineT0)
		db := openSQLite(t, clock)
		fn(t, clock, db, func() *DB { return db })
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		url := storetest.NewPostgresURL(t) // skips without VIGIL_TEST_DATABASE_URL
		clock := vigil.NewManualClock(engineT0)
		db := openPostgres(t, url, clock)
		fn(t, clock, db, func() *DB { return openPostgres(t, url, clock) })
	})
}

// pagedService makes a user with a webhook and a service whose policy
// pages them in steps.
func pagedService(t *testing.T, db *DB, name string, steps ...time.Duration) (*vigil.Service, *vigil.EscalationPolicy) {
	t.Helper()
	ctx := context.Background()
	u := &vigil.User{Name: "Ana " + name, Email: "ana-" + name + "@example.com"}
	if err := db.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateContactMethod(ctx, &vigil.ContactMethod{UserID: u.ID, Type: vigil.ContactWebhook, Address: "https://hooks.example/" + name}); err != nil {
		t.Fatal(err)
	}
	p := &vigil.EscalationPolicy{Name: name}
	for _, d := range steps {
		p.Steps = append(p.Steps, vigil.EscalationStep{Delay: vigil.Duration(d), Targets: []vigil.Target{{Type: vigil.TargetUser, ID: u.ID}}})
	}
	if err := db.CreateEscalationPolicy(ctx, p); err != nil {
		t.Fatal(err)
	}
	s := &vigil.Service{Name: name, EscalationPolicyID: p.ID, Grouping: vigil.GroupingRule{Mode: vigil.GroupNone, Storm: &vigil.StormLimit{}}}
	if err := db.CreateService(ctx, s); err != nil {
		t.Fatal(err)
	}
	return s, p
}

func triggerIncident(t *testing.T, db *DB, s *vigil.Service, key string) int64 {
	t.Helper()
	ctx := vigil.WithActor(context.Background(), vigil.Actor{Kind: vigil.ActorIntegration, Name: "test", Source: vigil.SourceIntegration})
	res, err := db.ProcessEvents(ctx, []*vigil.Event{{ServiceID: s.ID, Action: vigil.ActionTrigger, DedupKey: key, Summary: key, Severity: vigil.SeverityError}})
	if err != nil || !res[0].IncidentNew {
		t.Fatalf("trigger %s: %+v %v", key, res, err)
	}
	return res[0].IncidentID
}

func rawExec(t *testing.T, db *DB, query string, args ...any) {
	t.Helper()
	ctx := context.Background()
	if err := db.write(ctx, func(q querier, _ time.Time) error { _, err := q.exec(ctx, query, args...); return err }); err != nil {
		t.Fatal(err)
	}
}

func pagesOf(t *testing.T, db *DB, incidentID int64) []*vigil.Notification {
	t.Helper()
	ns, err := db.FindNotifications(context.Background(), vigil.NotificationFilter{IncidentID: &incidentID})
	if err != nil {
		t.Fatal(err)
	}
	return ns
}

// An incident that cannot escalate (here its policy no longer reads)
// fails the shared transaction; the others still fire, it alone reports
// an error, and it stays due rather than being dropped.
func TestEscalateDueIsolatesAFailingIncident(t *testing.T) {
	eachEngineDB(t, func(t *testing.T, clock *vigil.ManualClock, db *DB, _ func() *DB) {
		ctx := context.Background()
		good, _ := pagedService(t, db, "good", time.Hour)
		bad, badPolicy := pagedService(t, db, "bad", time.Hour)
		ids := []int64{triggerIncident(t, db, good, "a"), triggerIncident(t, db, bad, "b"), triggerIncident(t, db, good, "c"), triggerIncident(t, db, good, "d")}
		rawExec(t, db, "UPDATE escalation_policies SET steps = 'not json' WHERE id = $1", badPolicy.ID)

		for attempt := range 2 { // and it keeps failing visibly, without holding the others
			n, err := db.EscalateDue(ctx, 10)
			if want := []int{3, 0}[attempt]; n != want {
				t.Fatalf("attempt %d: escalated %d, want %d (err %v)", attempt, n, want, err)
			}
			if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("incident %d", ids[1])) {
				t.Fatalf("attempt %d: error %v, want one naming incident %d", attempt, err, ids[1])
			}
		}
		for i, id := range ids {
			got := len(pagesOf(t, db, id))
			if want := map[bool]int{true: 0, false: 1}[i == 1]; got != want {
				t.Errorf("incident %d: %d pages, want %d", id, got, want)
			}
		}
		next, err := db.NextWakeup(ctx)
		if err != nil || next == nil || next.After(clock.Now()) {
			t.Errorf("next wakeup %v (%v): the failing incident should still be due", next, err)
		}
		// Once its policy reads again, it escalates.
		rawExec(t, db, `UPDATE escalation_policies SET steps = (SELECT steps FROM escalation_policies WHERE id = $1) WHERE id = $2`, good.EscalationPolicyID, badPolicy.ID)
		if n, err := db.EscalateDue(ctx, 10); n != 1 || err != nil {
			t.Fatalf("after the repair: escalated %d: %v", n, err)
		}
		if got := len(pagesOf(t, db, ids[1])); got != 1 {
			t.Errorf("after the repair: %d pages", got)
		}
	})
}

// Replicas escalating the same due incidents at once, in small batches
// that interleave, fire each step of each incident exactly once.
func TestEscalateDueConcurrentReplicasFireEachStepOnce(t *testing.T) {
	eachEngineDB(t, func(t *testing.T, clock *vigil.ManualClock, db *DB, open func() *DB) {
		ctx := context.Background()
		svc, _ := pagedService(t, db, "api", time.Minute, time.Minute)
		const incidents = 150
		var ids []int64
		for i := range incidents {
			ids = append(ids, triggerIncident(t, db, svc, fmt.Sprintf("k%d", i)))
		}
		replicas := []*DB{db, open(), open()}
		for step := range 2 {
			var (
				wg    sync.WaitGroup
				mu    sync.Mutex
				total int
			)
			for _, r := range replicas {
				for range 2 { // two workers per replica
					wg.Go(func() {
						for {
							n, err := r.EscalateDue(ctx, 7)
							if err != nil {
								t.Error(err)
								return
							}
							mu.Lock()
							total += n
							mu.Unlock()
							if n == 0 {
								return
							}
						}
					})
				}
			}
			wg.Wait()
			if total != incidents {
				t.Fatalf("step %d: escalated %d, want %d", step+1, total, incidents)
			}
			clock.Advance(time.Minute)
		}
		for _, id := range ids {
			ns := pagesOf(t, db, id)
			steps := map[int]int{}
			for _, n := range ns {
				steps[*n.Step]++
			}
			if len(ns) != 2 || steps[0] != 1 || steps[1] != 1 {
				t.Fatalf("incident %d: pages per step %v, want one each of steps 1 and 2", id, steps)
			}
			entries, err := db.FindTimeline(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			var paging int
			for _, e := range entries {
				if strings.Contains(e.Message, "paging") {
					paging++
				}
			}
			if paging != 2 {
				t.Fatalf("incident %d: %d paging entries, want 2", id, paging)
			}
		}
	})
}

// A send whose result the database refuses (PostgreSQL stores no NUL in
// text) fails alone; the sends recorded with it in one batch keep their
// results, and a lost lease is a conflict of its own item only.
func TestCompleteNotificationsIsolatesAFailingItem(t *testing.T) {
	eachEngineDB(t, func(t *testing.T, clock *vigil.ManualClock, db *DB, _ func() *DB) {
		ctx := context.Background()
		var ns []*vigil.Notification
		for i := range 4 {
			ns = append(ns, &vigil.Notification{Kind: vigil.MessagePage, DestType: vigil.ContactWebhook,
				DestAddress: fmt.Sprintf("https://hooks.example/%d", i), Title: "test"})
		}
		if err := db.CreateNotifications(ctx, ns...); err != nil {
			t.Fatal(err)
		}
		claimed, err := db.ClaimNotifications(ctx, "a", 10, time.Minute)
		if err != nil || len(claimed) != 4 {
			t.Fatalf("claimed %d: %v", len(claimed), err)
		}
		for i, c := range claimed {
			if c.ID != ns[i].ID || c.Status != vigil.NotificationSending || c.Attempts != 1 {
				t.Fatalf("claim %d: %+v, want notification %d sending, attempt 1", i, c.Notification, ns[i].ID)
			}
		}
		clock.Advance(time.Second)
		errs, err := db.CompleteNotifications(ctx, "b", nil)
		if err != nil || len(errs) != 0 {
			t.Fatalf("nothing to complete: %v %v", errs, err)
		}
		errs, err = db.CompleteNotifications(ctx, "a", []vigil.Completion{
			{ID: ns[0].ID, Outcome: vigil.Outcome{Sent: true, ProviderID: "p0"}},
			{ID: ns[1].ID, Outcome: vigil.Outcome{Error: "vendor said \x00"}},
			{ID: ns[2].ID, Outcome: vigil.Outcome{Sent: true, ProviderID: "p2"}},
			{ID: ns[2].ID, Outcome: vigil.Outcome{Sent: true, ProviderID: "again"}},
			{ID: ns[3].ID + 1000, Outcome: vigil.Outcome{Sent: true}},
		})
		if err != nil {
			t.Fatal(err)
		}
		if errs[0] != nil || errs[2] != nil {
			t.Errorf("the good sends failed: %v", errs)
		}
		if db.dialect == postgresDialect && errs[1] == nil {
			t.Errorf("the NUL byte was stored on PostgreSQL?")
		}
		if vigil.ErrorCode(errs[3]) != vigil.CodeConflict || vigil.ErrorCode(errs[4]) != vigil.CodeNotFound {
			t.Errorf("a second result for one send: %v; an unknown send: %v", errs[3], errs[4])
		}
		for i, want := range []string{vigil.NotificationSent, "", vigil.NotificationSent, vigil.NotificationSending} {
			n, err := db.FindNotification(ctx, ns[i].ID)
			if err != nil {
				t.Fatal(err)
			}
			if want != "" && n.Status != want {
				t.Errorf("notification %d: %s, want %s", i, n.Status, want)
			}
			if i == 2 && n.ProviderID != "p2" {
				t.Errorf("provider id %q", n.ProviderID)
			}
		}
		attempts, err := db.FindNotificationAttempts(ctx, ns[2].ID)
		if err != nil || len(attempts) != 1 || attempts[0].Outcome != "sent" || attempts[0].Replica != "a" {
			t.Errorf("attempts %+v %v", attempts, err)
		}
	})
}
