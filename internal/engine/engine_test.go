package engine

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigil-oss/vigil/internal/notify"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// C1: a 3-step policy (0, +5, +15 min): each step fires no earlier than
// due and within one cycle after; C2: acknowledging cancels later steps and
// tells whoever was paged.
func TestEscalationSteps(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *harness) {
		ana, bo, cy := h.user("Ana"), h.user("Bo"), h.user("Cy")
		svc, _ := h.policyService("api", 0, step(5*time.Minute, userT(ana)), step(10*time.Minute, userT(bo)), step(time.Minute, userT(cy)))
		id := h.trigger(svc, "disk", vigil.SeverityCritical)

		h.cycle()
		if got := h.rec.since(0); !slices.Equal(got, []string{"page:" + addr("Ana")}) {
			t.Fatalf("at 0: %v", got)
		}
		h.advance(5*time.Minute - time.Second)
		h.cycle()
		if got := h.rec.since(1); len(got) != 0 {
			t.Fatalf("step 2 fired early: %v", got)
		}
		h.advance(time.Second)
		h.cycle()
		if got := h.rec.since(1); !slices.Equal(got, []string{"page:" + addr("Bo")}) {
			t.Fatalf("at +5m: %v", got)
		}
		// C2: acknowledged at +8m: step 3 (due at +15m) never fires, and
		// Ana and Bo hear of it.
		h.advance(3 * time.Minute)
		if _, err := h.st.AcknowledgeIncident(h.ctx, id); err != nil {
			t.Fatal(err)
		}
		h.cycle()
		got := h.rec.since(2)
		slices.Sort(got)
		if want := []string{"ack:" + addr("Ana"), "ack:" + addr("Bo")}; !slices.Equal(got, want) {
			t.Fatalf("after ack: %v, want %v", got, want)
		}
		h.advance(20 * time.Minute)
		h.cycle()
		if got := h.rec.since(4); len(got) != 0 {
			t.Fatalf("pages after acknowledgement: %v", got)
		}
		tl := h.timeline(id)
		for _, want := range []string{`Escalation step 1 of "api": paging Ana (webhook)`, `Escalation step 2 of "api": paging Bo (webhook)`,
			"Paged Ana by webhook", "Told Bo by webhook of the acknowledgement"} {
			if !strings.Contains(tl, want) {
				t.Errorf("timeline lacks %q:\n%s", want, tl)
			}
		}
		if strings.Contains(tl, "Cy") {
			t.Errorf("step 3 reached the timeline after the acknowledgement:\n%s", tl)
		}
		// The message carries what a reader needs, and a stable id.
		d := h.rec.deliveries()[0]
		if d.msg.IncidentID != id || d.msg.Severity != "critical" || d.msg.Service != "api" || !strings.Contains(d.msg.Title, "disk full") || d.msg.ID == "" {
			t.Errorf("message %+v", d.msg)
		}
	})
}

// Resolving stops everything: pending personal-rule pages are cancelled
// and the resolution reaches the destinations that were paged.
func TestResolveCancelsPendingRules(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *harness) {
		ana := h.user("Ana")
		sms := h.contact(ana, vigil.ContactSMS, "+4915112345678")
		hook, _ := h.st.ListContactMethods(h.ctx, ana.ID)
		for _, r := range []*vigil.NotificationRule{
			{UserID: ana.ID, ContactMethodID: hook[0].ID},
			{UserID: ana.ID, ContactMethodID: sms.ID, Delay: vigil.Duration(2 * time.Minute)},
		} {
			if err := h.st.CreateNotificationRule(h.ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		svc, _ := h.policyService("db", 0, step(0, userT(ana)))
		id := h.trigger(svc, "replica-lag", vigil.SeverityError)
		h.cycle()
		h.advance(time.Minute)
		h.cycle()
		if got := h.rec.since(0); !slices.Equal(got, []string{"page:" + addr("Ana")}) {
			t.Fatalf("first minute: %v (the SMS rule waits 2m)", got)
		}
		if _, err := h.st.ResolveIncident(h.ctx, id); err != nil {
			t.Fatal(err)
		}
		h.advance(5 * time.Minute)
		h.cycle()
		if got := h.rec.since(1); !slices.Equal(got, []string{"resolve:" + addr("Ana")}) {
			t.Fatalf("after resolve: %v (the SMS must be cancelled, the webhook told)", got)
		}
		var statuses []string
		for _, n := range h.notifications(id) {
			statuses = append(statuses, n.Kind+"/"+n.DestType+"/"+n.Status)
		}
		slices.Sort(statuses)
		want := []string{"page/sms/cancelled", "page/webhook/sent", "resolve/webhook/sent"}
		if !slices.Equal(statuses, want) {
			t.Errorf("notifications %v, want %v", statuses, want)
		}
	})
}

// C5: a step whose schedule has no one on call says so on the timeline
// and escalation moves on at once.
func TestNobodyOnCallMovesOn(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *harness) {
		ana, bo := h.user("Ana"), h.user("Bo")
		// Ana's layer starts tomorrow: nobody is on call now.
		s := &vigil.Schedule{Name: "primary", TimeZone: "UTC", Layers: []vigil.Layer{{Name: "l", Start: t0.Add(24 * time.Hour),
			TurnUnit: vigil.UnitDay, TurnCount: 1, Members: []int64{ana.ID}}}}
		if err := h.st.CreateSchedule(h.ctx, s); err != nil {
			t.Fatal(err)
		}
		svc, _ := h.policyService("edge", 0, step(5*time.Minute, vigil.Target{Type: vigil.TargetSchedule, ID: s.ID}), step(5*time.Minute, userT(bo)))
		id := h.trigger(svc, "tls", vigil.SeverityWarning)
		h.cycle()
		if got := h.rec.since(0); !slices.Equal(got, []string{"page:" + addr("Bo")}) {
			t.Fatalf("got %v, want Bo paged at once", got)
		}
		tl := h.timeline(id)
		for _, want := range []string{`no one is on call on schedule "primary"`, "No one on call for escalation step 1: moving on"} {
			if !strings.Contains(tl, want) {
				t.Errorf("timeline lacks %q:\n%s", want, tl)
			}
		}
		// An override puts Bo on the schedule: the next incident pages
		// him through it.
		o := &vigil.Override{ScheduleID: s.ID, UserID: bo.ID, Start: t0, End: t0.Add(time.Hour)}
		if err := h.st.CreateOverride(h.ctx, o); err != nil {
			t.Fatal(err)
		}
		h.trigger(svc, "tls-2", vigil.SeverityWarning)
		h.cycle()
		if got := h.rec.since(1); !slices.Equal(got, []string{"page:" + addr("Bo")}) {
			t.Fatalf("with the override: %v", got)
		}
	})
}

// E2: a permanent failure is not retried, is on the timeline with its
// reason, and the next step still fires.
func TestPermanentFailure(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *harness) {
		ana, bo := h.user("Ana"), h.user("Bo")
		h.rec.fail[addr("Ana")] = []error{errForbidden}
		svc, _ := h.policyService("pay", 0, step(5*time.Minute, userT(ana)), step(5*time.Minute, userT(bo)))
		id := h.trigger(svc, "5xx", vigil.SeverityCritical)
		st := h.cycle()
		if st.Failed != 1 || h.rec.tries != 1 {
			t.Fatalf("stats %+v, tries %d", st, h.rec.tries)
		}
		h.advance(time.Hour)
		h.cycle()
		if h.rec.tries != 2 {
			t.Errorf("%d tries: the permanent failure was retried", h.rec.tries)
		}
		if got := h.rec.since(0); !slices.Equal(got, []string{"page:" + addr("Bo")}) {
			t.Fatalf("got %v: step 2 must still page Bo", got)
		}
		if tl := h.timeline(id); !strings.Contains(tl, "Could not notify Ana by webhook after 1 attempt(s): 403 forbidden: bad token") {
			t.Errorf("timeline:\n%s", tl)
		}
	})
}

// E1: the vendor is down for 10 minutes (refused, then 503): retried with
// capped backoff, delivered once after recovery, and the timeline says how
// late. E3: a Retry-After is waited out.
func TestVendorOutage(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *harness) {
		h.rec.clock = h.clock
		ana := h.user("Ana")
		var outage []error
		for range 3 {
			outage = append(outage, errDown)
		}
		for range 30 {
			outage = append(outage, err503)
		}
		h.rec.fail[addr("Ana")] = outage
		svc, _ := h.policyService("api", 0, step(0, userT(ana)))
		id := h.trigger(svc, "down", vigil.SeverityCritical)
		var attemptsAt []time.Duration
		for elapsed := time.Duration(0); elapsed <= 20*time.Minute; elapsed += time.Second {
			if elapsed == 10*time.Minute {
				h.rec.mu.Lock()
				h.rec.fail[addr("Ana")] = nil // the vendor recovers
				h.rec.mu.Unlock()
			}
			before := h.rec.tries
			h.cycle()
			if h.rec.tries > before {
				attemptsAt = append(attemptsAt, elapsed)
			}
			h.advance(time.Second)
		}
		got := h.rec.deliveries()
		if len(got) != 1 {
			t.Fatalf("%d deliveries, want exactly 1", len(got))
		}
		if late := got[0].at.Sub(t0); late < 10*time.Minute || late > 15*time.Minute {
			t.Errorf("delivered %s after the incident; want soon after the 10-minute outage (backoff capped at 5m)", late)
		}
		if len(attemptsAt) < 5 || len(attemptsAt) > 12 {
			t.Errorf("%d attempts at %v: want backoff, neither a hammering nor a give-up", len(attemptsAt), attemptsAt)
		}
		for i := 2; i < len(attemptsAt); i++ {
			if gap, prev := attemptsAt[i]-attemptsAt[i-1], attemptsAt[i-1]-attemptsAt[i-2]; gap < prev && gap < 4*time.Minute {
				t.Errorf("backoff shrank: %v", attemptsAt)
			}
		}
		if !strings.Contains(got[0].msg.Kind, "page") || got[0].msg.Late < 10*time.Minute {
			t.Errorf("the message does not say it is late: %+v", got[0].msg)
		}
		if tl := h.timeline(id); !strings.Contains(tl, "Paged Ana by webhook after") || !strings.Contains(tl, "late") {
			t.Errorf("timeline does not show the delay:\n%s", tl)
		}
	})
}

func TestRetryAfterHonoured(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *harness) {
		h.rec.clock = h.clock
		ana := h.user("Ana")
		h.rec.fail[addr("Ana")] = []error{notify.RetryAfter(err503, 90*time.Second)}
		svc, _ := h.policyService("api", 0, step(0, userT(ana)))
		h.trigger(svc, "busy", vigil.SeverityCritical)
		h.cycle()
		h.advance(89 * time.Second)
		h.cycle()
		if len(h.rec.deliveries()) != 0 {
			t.Fatal("sent before the vendor's Retry-After")
		}
		h.advance(time.Second)
		h.cycle()
		if len(h.rec.deliveries()) != 1 {
			t.Fatal("not sent once Retry-After passed")
		}
	})
}

// C9: a backlog of 300 warning pages waits; a critical page that comes
// due later leaves in the first batch.
func TestCriticalOvertakesBacklog(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *harness) {
		ana := h.user("Ana")
		for i := range 300 {
			h.st.CreateNotifications(h.ctx, &vigil.Notification{Kind: notify.KindManual, DestType: vigil.ContactWebhook,
				DestAddress: addr("backlog"), Priority: 2, Title: "warning " + string(rune('a'+i%26))})
		}
		svc, _ := h.policyService("core", 0, step(0, userT(ana)))
		h.advance(time.Minute)
		h.trigger(svc, "outage", vigil.SeverityCritical)
		h.eng.cfg.Batch = 10
		claimed, err := h.st.EscalateDue(context.Background(), 10)
		if err != nil || claimed != 1 {
			t.Fatalf("EscalateDue = %d, %v", claimed, err)
		}
		first, err := h.st.ClaimNotifications(context.Background(), "r", 10, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if len(first) != 10 || first[0].Kind != "page" || first[0].DestAddress != addr("Ana") {
			t.Fatalf("first claimed: %+v", first[0])
		}
	})
}

// C3: the engine was stopped for 10 minutes while two steps came due:
// each fires once, one at a time, never a burst.
func TestPausedEngineNoBurst(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *harness) {
		ana, bo, cy := h.user("Ana"), h.user("Bo"), h.user("Cy")
		svc, _ := h.policyService("api", 0, step(2*time.Minute, userT(ana)), step(2*time.Minute, userT(bo)), step(2*time.Minute, userT(cy)))
		h.trigger(svc, "x", vigil.SeverityError)
		h.cycle()
		h.advance(10 * time.Minute) // paused: steps 2 and 3 were due at +2m and +4m
		h.cycle()
		if got := h.rec.since(1); !slices.Equal(got, []string{"page:" + addr("Bo")}) {
			t.Fatalf("after the pause: %v, want only step 2", got)
		}
		h.cycle()
		if got := h.rec.since(2); len(got) != 0 {
			t.Fatalf("burst: %v", got)
		}
		h.advance(2 * time.Minute)
		h.cycle()
		if got := h.rec.since(2); !slices.Equal(got, []string{"page:" + addr("Cy")}) {
			t.Fatalf("step 3: %v", got)
		}
	})
}

// Repeat: the policy starts over the given number of times, then stops.
func TestRepeat(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *harness) {
		ana := h.user("Ana")
		svc, _ := h.policyService("api", 2, step(5*time.Minute, userT(ana)))
		id := h.trigger(svc, "x", vigil.SeverityError)
		for range 10 {
			h.cycle()
			h.advance(5 * time.Minute)
		}
		if got := len(h.rec.deliveries()); got != 3 {
			t.Errorf("%d pages, want 3 (once plus 2 repeats)", got)
		}
		if tl := h.timeline(id); !strings.Contains(tl, "starts over (repeat 2 of 2)") {
			t.Errorf("timeline:\n%s", tl)
		}
	})
}

// A replica that dies mid-send (claims, never records) is covered by
// another once the lease runs out; the dead one's late answer is refused.
func TestLeaseTakeover(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *harness) {
		ana := h.user("Ana")
		svc, _ := h.policyService("api", 0, step(0, userT(ana)))
		h.trigger(svc, "x", vigil.SeverityError)
		if _, err := h.st.EscalateDue(context.Background(), 10); err != nil {
			t.Fatal(err)
		}
		dead, err := h.st.ClaimNotifications(context.Background(), "dead", 10, time.Minute)
		if err != nil || len(dead) != 1 {
			t.Fatalf("claim: %v %v", dead, err)
		}
		h.cycle()
		if len(h.rec.deliveries()) != 0 {
			t.Fatal("sent while another replica holds the lease")
		}
		h.advance(time.Minute)
		st := h.cycle()
		if st.Reclaimed != 1 || len(h.rec.deliveries()) != 1 {
			t.Fatalf("stats %+v, %d deliveries", st, len(h.rec.deliveries()))
		}
		err = h.st.CompleteNotification(context.Background(), dead[0].ID, "dead", vigil.Outcome{Sent: true})
		if vigil.ErrorCode(err) != vigil.CodeConflict {
			t.Errorf("the dead replica's result: %v, want conflict", err)
		}
	})
}

// D1/D6 in small: several engines cycling at once on one database send
// each page exactly once.
func TestConcurrentEnginesSendOnce(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *harness) {
		var users []*vigil.User
		for _, n := range []string{"Ana", "Bo"} {
			users = append(users, h.user(n))
		}
		svc, _ := h.policyService("api", 0, step(time.Minute, userT(users[0])), step(time.Minute, userT(users[1])))
		const incidents = 60
		for i := range incidents {
			h.trigger(svc, "k"+string(rune('A'+i/26))+string(rune('a'+i%26)), vigil.SeverityError)
		}
		engines := []*Engine{h.eng, h.engine("replica-b"), h.engine("replica-c")}
		for round := 0; round < 3; round++ {
			var wg sync.WaitGroup
			for _, e := range engines {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if _, err := e.Cycle(context.Background()); err != nil {
						t.Error(err)
					}
				}()
			}
			wg.Wait()
			h.advance(time.Minute)
		}
		count := map[string]int{}
		for _, d := range h.rec.deliveries() {
			count[d.msg.ID]++
		}
		byAddr := map[string]int{}
		for _, d := range h.rec.deliveries() {
			byAddr[d.to]++
		}
		for id, n := range count {
			if n != 1 {
				t.Errorf("message %s delivered %d times", id, n)
			}
		}
		if diff := cmp.Diff(map[string]int{addr("Ana"): incidents, addr("Bo"): incidents}, byAddr); diff != "" {
			t.Errorf("deliveries per person (-want +got):\n%s", diff)
		}
	})
}

// A message still failing MaxAge after it was due is given up, visibly.
func TestGiveUpAfterMaxAge(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *harness) {
		ana := h.user("Ana")
		var always []error
		for range 100 {
			always = append(always, errDown)
		}
		h.rec.fail[addr("Ana")] = always
		svc, _ := h.policyService("api", 0, step(0, userT(ana)))
		id := h.trigger(svc, "x", vigil.SeverityError)
		for range 20 {
			h.cycle()
			h.advance(5 * time.Minute)
		}
		ns := h.notifications(id)
		if len(ns) != 1 || ns[0].Status != vigil.NotificationFailed {
			t.Fatalf("notifications %+v", ns)
		}
		if tl := h.timeline(id); !strings.Contains(tl, "Could not notify Ana by webhook") || !strings.Contains(tl, "gave up 1h0m0s after it was due") {
			t.Errorf("timeline:\n%s", tl)
		}
	})
}

// An acknowledge event from the sender (the ingest path, not the API)
// stops escalation like a person's acknowledgement; reopening starts the
// policy again from step 1.
func TestSenderAckAndReopen(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *harness) {
		ana, bo := h.user("Ana"), h.user("Bo")
		svc, _ := h.policyService("api", 0, step(5*time.Minute, userT(ana)), step(5*time.Minute, userT(bo)))
		id := h.trigger(svc, "disk", vigil.SeverityError)
		h.cycle()
		ctx := vigil.WithActor(context.Background(), vigil.Actor{Kind: vigil.ActorIntegration, ID: 1, Name: "prom", Source: vigil.SourceIntegration})
		if _, err := h.st.ProcessEvents(ctx, []*vigil.Event{{ServiceID: svc.ID, Action: vigil.ActionAcknowledge, DedupKey: "disk", Severity: vigil.SeverityError}}); err != nil {
			t.Fatal(err)
		}
		h.advance(10 * time.Minute)
		h.cycle()
		if got := h.rec.since(0); !slices.Equal(got, []string{"page:" + addr("Ana"), "ack:" + addr("Ana")}) {
			t.Fatalf("after the sender's acknowledgement: %v (Bo must not be paged)", got)
		}
		if _, err := h.st.ResolveIncident(h.ctx, id); err != nil {
			t.Fatal(err)
		}
		if _, err := h.st.ReopenIncident(h.ctx, id); err != nil {
			t.Fatal(err)
		}
		h.cycle()
		if got := h.rec.since(2); !slices.Equal(got, []string{"resolve:" + addr("Ana"), "page:" + addr("Ana")}) {
			t.Fatalf("after reopening: %v, want the resolution notice and step 1 again", got)
		}
	})
}
