package engine

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigil-oss/vigil/internal/notify"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// Reliability catalog items C4, C10 and E7, on both databases, under the
// manual clock.

// paged is one page seen by the recorder: who, and when on the test's
// timeline (offset from t0).
type paged struct {
	At  time.Duration
	Who string
}

// C4: an escalation policy replaced while an incident is mid-escalation.
// The defined behaviour (vigil.EscalationPolicyService, PUT
// /api/v1/escalation-policies/{id}, escalation.Run): the incident continues
// at the same step index of the new steps, with the due time it already
// had; the new steps' delays count from the next step that fires. When the
// index no longer exists the pass ends: the escalation finishes, or starts
// over if the new policy repeats. An escalation that had already finished
// is not revived by adding steps.
//
// Each case drives one incident through an hour in 30-second cycles and
// compares every page with its time; all due times are whole minutes, so
// a page at another time (a delay taken from the wrong policy) shows.
func TestPolicyEditedMidIncident(t *testing.T) {
	type spec struct {
		delay time.Duration
		who   string
	}
	for _, c := range []struct {
		name         string
		old          []spec
		oldRepeat    int
		editAt       time.Duration
		new          []spec
		newRepeat    int
		want         []paged
		wantTimeline []string
	}{{
		name: "more steps: the next index of the new policy fires, then its delays",
		old:  []spec{{10 * time.Minute, "Ana"}, {10 * time.Minute, "Bo"}}, editAt: time.Minute,
		new: []spec{{10 * time.Minute, "Ana"}, {5 * time.Minute, "Cy"}, {10 * time.Minute, "Bo"}, {0, "Dee"}},
		// Cy is the new step 2 (index 1), due when the old step 2 was;
		// then Cy's new 5 minutes, then Bo's 10.
		want:         []paged{{0, "Ana"}, {10 * time.Minute, "Cy"}, {15 * time.Minute, "Bo"}, {25 * time.Minute, "Dee"}},
		wantTimeline: []string{`Escalation step 2 of "p": paging Cy (webhook)`, `Escalation step 4 of "p": paging Dee (webhook)`},
	}, {
		name: "fewer steps: the current index is gone, the escalation finishes",
		old:  []spec{{10 * time.Minute, "Ana"}, {10 * time.Minute, "Bo"}, {0, "Cy"}}, editAt: 12 * time.Minute,
		new:          []spec{{10 * time.Minute, "Ana"}},
		want:         []paged{{0, "Ana"}, {10 * time.Minute, "Bo"}},
		wantTimeline: []string{`Escalation policy "p" finished`},
	}, {
		name: "fewer steps with a repeat: the policy starts over at step 1",
		old:  []spec{{10 * time.Minute, "Ana"}, {10 * time.Minute, "Bo"}, {0, "Cy"}}, editAt: 12 * time.Minute,
		new: []spec{{10 * time.Minute, "Dee"}}, newRepeat: 1,
		// At +20m (the old step 3's due time) index 2 is past the end: the
		// pass ends and the repeat pages Dee; that was the last pass.
		want:         []paged{{0, "Ana"}, {10 * time.Minute, "Bo"}, {20 * time.Minute, "Dee"}},
		wantTimeline: []string{`Escalation policy "p" starts over (repeat 1 of 1)`, `Escalation step 1 of "p": paging Dee (webhook) (repeat 1)`},
	}, {
		name: "different targets: the new target of the same step is paged, not the old",
		old:  []spec{{10 * time.Minute, "Ana"}, {0, "Bo"}}, editAt: time.Minute,
		new:  []spec{{10 * time.Minute, "Ana"}, {0, "Cy"}},
		want: []paged{{0, "Ana"}, {10 * time.Minute, "Cy"}},
	}, {
		name: "shorter delay: the step already scheduled keeps its time",
		old:  []spec{{30 * time.Minute, "Ana"}, {0, "Bo"}}, editAt: time.Minute,
		new:  []spec{{5 * time.Minute, "Ana"}, {0, "Bo"}},
		want: []paged{{0, "Ana"}, {30 * time.Minute, "Bo"}},
	}, {
		name: "longer delay: the step already scheduled keeps its time",
		old:  []spec{{5 * time.Minute, "Ana"}, {0, "Bo"}}, editAt: time.Minute,
		new:  []spec{{30 * time.Minute, "Ana"}, {0, "Bo"}},
		want: []paged{{0, "Ana"}, {5 * time.Minute, "Bo"}},
	}, {
		name: "steps added after the escalation finished: nothing more",
		old:  []spec{{5 * time.Minute, "Ana"}}, editAt: time.Minute,
		new:  []spec{{5 * time.Minute, "Ana"}, {0, "Bo"}},
		want: []paged{{0, "Ana"}},
	}} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			eachBackend(t, func(t *testing.T, h *harness) {
				users := map[string]*vigil.User{}
				for _, n := range []string{"Ana", "Bo", "Cy", "Dee"} {
					users[n] = h.user(n)
				}
				byAddr := map[string]string{}
				for n := range users {
					byAddr[addr(n)] = n
				}
				steps := func(specs []spec) []vigil.EscalationStep {
					var out []vigil.EscalationStep
					for _, s := range specs {
						out = append(out, step(s.delay, userT(users[s.who])))
					}
					return out
				}
				svc, p := h.policyService("p", c.oldRepeat, steps(c.old)...)
				id := h.trigger(svc, "edited", vigil.SeverityCritical)
				var got []paged
				seen := 0
				for at := time.Duration(0); at <= time.Hour; at += 30 * time.Second {
					if at == c.editAt {
						p.Steps, p.Repeat = steps(c.new), c.newRepeat
						if err := h.st.UpdateEscalationPolicy(h.ctx, p); err != nil {
							t.Fatalf("replace the policy: %v", err)
						}
					}
					h.cycle() // fails the test on any error
					for _, d := range h.rec.deliveries()[seen:] {
						if d.msg.Kind != notify.KindPage || d.msg.IncidentID != id {
							t.Errorf("at +%s: unexpected %s message to %s", at, d.msg.Kind, d.to)
						}
						got = append(got, paged{at, byAddr[d.to]})
					}
					seen = len(h.rec.deliveries())
					h.advance(30 * time.Second)
				}
				if diff := cmp.Diff(c.want, got); diff != "" {
					t.Errorf("pages over the hour (-want +got):\n%s", diff)
				}
				tl := h.timeline(id)
				for _, w := range c.wantTimeline {
					if !strings.Contains(tl, w) {
						t.Errorf("timeline lacks %q:\n%s", w, tl)
					}
				}
			})
		})
	}
}

// C10: the engine is stopped for 45 minutes while incidents open and
// escalation steps come due. On recovery each incident fires the one step
// that is due for it (never the ones after it: no stampede, nothing twice),
// the later steps count from then, and messages that waited in the queue
// say how late they are (notify.Message.Late, ", 30m0s late" on the
// timeline).
func TestHaltedDeliveryRecovers(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *harness) {
		h.rec.clock = h.clock
		ana, bo, cy := h.user("Ana"), h.user("Bo"), h.user("Cy")
		svc, _ := h.policyService("api", 0, step(10*time.Minute, userT(ana)), step(10*time.Minute, userT(bo)), step(0, userT(cy)))
		// Before the halt: two incidents page Ana (step 1).
		running, acked := h.trigger(svc, "running", vigil.SeverityCritical), h.trigger(svc, "acked", vigil.SeverityCritical)
		h.cycle()
		if got := len(h.rec.deliveries()); got != 2 {
			t.Fatalf("%d pages before the halt, want 2", got)
		}
		// The halt: no cycle from t0 to t0+45m. An incident opens every
		// minute; running's steps 2 and 3 come due (+10m, +20m); acked is
		// acknowledged at +15m (Ana is due to hear of it then); a message
		// is queued by hand at +20m.
		var opened []int64
		for m := 1; m <= 44; m++ {
			h.advance(time.Minute)
			opened = append(opened, h.trigger(svc, fmt.Sprintf("during-%02d", m), vigil.SeverityError))
			switch m {
			case 15:
				if _, err := h.st.AcknowledgeIncident(h.ctx, acked); err != nil {
					t.Fatal(err)
				}
			case 20:
				if err := h.st.CreateNotifications(h.ctx, &vigil.Notification{Kind: notify.KindManual, DestType: vigil.ContactWebhook,
					DestAddress: addr("oncall-lead"), Title: "by hand"}); err != nil {
					t.Fatal(err)
				}
			}
		}
		h.advance(time.Minute) // t0+45m: the engine is back
		recovery := h.clock.Now()
		h.cycle()
		got := h.rec.deliveries()[2:]
		count := map[string]int{}
		var kinds []string
		for _, d := range got {
			count[d.msg.ID]++
			kinds = append(kinds, fmt.Sprintf("%s:%d:%s", d.msg.Kind, d.msg.IncidentID, d.to))
		}
		var want []string
		for _, id := range opened {
			want = append(want, fmt.Sprintf("page:%d:%s", id, addr("Ana"))) // step 1 of each, once
		}
		want = append(want, fmt.Sprintf("page:%d:%s", running, addr("Bo")), // step 2 only, not step 3
			fmt.Sprintf("ack:%d:%s", acked, addr("Ana")), "manual:0:"+addr("oncall-lead"))
		slices.Sort(kinds)
		slices.Sort(want)
		if diff := cmp.Diff(want, kinds); diff != "" {
			t.Fatalf("sent on recovery (-want +got):\n%s", diff)
		}
		for id, n := range count {
			if n != 1 {
				t.Errorf("message %s sent %d times", id, n)
			}
		}
		// Lateness, exact under the manual clock: the acknowledgement
		// notice was due at +15m, the message by hand at +20m.
		for _, d := range got {
			var late time.Duration
			switch d.msg.Kind {
			case notify.KindAck:
				late = 30 * time.Minute
			case notify.KindManual:
				late = 25 * time.Minute
			default:
				continue
			}
			if d.msg.Late != late || !d.at.Equal(recovery) {
				t.Errorf("%s message: late %s at +%s, want %s late at +45m", d.msg.Kind, d.msg.Late, d.at.Sub(t0), late)
			}
		}
		if tl := h.timeline(acked); !strings.Contains(tl, "Told Ana by webhook of the acknowledgement, 30m0s late") {
			t.Errorf("the acknowledged incident's timeline does not say how late:\n%s", tl)
		}
		// No burst: cycles right after recovery send nothing more.
		for range 3 {
			h.cycle()
		}
		if n := len(h.rec.deliveries()) - 2 - len(got); n != 0 {
			more := h.rec.since(2 + len(got))
			t.Fatalf("%d more messages in further cycles at recovery, first %v", n, more[:min(3, len(more))])
		}
		// The later steps count from the recovery: nothing before +55m,
		// then step 2 of the 44 new incidents and step 3 of running
		// together, then step 3 of the new ones at +65m. Nothing after.
		sent := len(h.rec.deliveries())
		h.advance(10*time.Minute - time.Second)
		h.cycle()
		if got := h.rec.since(sent); len(got) != 0 {
			t.Fatalf("steps fired before their delay after recovery: %v", got)
		}
		h.advance(time.Second)
		h.cycle()
		byTo := map[string]int{}
		for _, d := range h.rec.deliveries()[sent:] {
			byTo[d.msg.Kind+":"+d.to]++
		}
		if diff := cmp.Diff(map[string]int{"page:" + addr("Bo"): 44, "page:" + addr("Cy"): 1}, byTo); diff != "" {
			t.Errorf("at +55m (-want +got):\n%s", diff)
		}
		sent = len(h.rec.deliveries())
		h.advance(10 * time.Minute)
		h.cycle()
		if got := h.rec.since(sent); len(got) != 44 || slices.ContainsFunc(got, func(s string) bool { return s != "page:"+addr("Cy") }) {
			t.Errorf("at +65m: %d messages %v, want Cy paged for each of the 44 new incidents", len(got), got)
		}
		sent = len(h.rec.deliveries())
		for range 6 {
			h.advance(10 * time.Minute)
			h.cycle()
		}
		if got := h.rec.since(sent); len(got) != 0 {
			t.Errorf("messages after every escalation ended: %v", got)
		}
	})
}

// C10, the pages: a step that fires late because no engine ran fires as
// a new message, and the reader should still learn how late it is (the
// step was due when the incident opened, or its delay after the step
// before).
// A late page is due when its step was, but is retried like any other:
// the give-up after MaxAge counts from when it could first be sent.
func TestLateStepPagesSayHowLate(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *harness) {
		h.rec.clock = h.clock
		ana, bo := h.user("Ana"), h.user("Bo")
		svc, _ := h.policyService("api", 0, step(10*time.Minute, userT(ana)), step(0, userT(bo)))
		running := h.trigger(svc, "running", vigil.SeverityCritical)
		h.cycle() // Ana, on time; Bo is due at +10m
		h.advance(5 * time.Minute)
		opened := h.trigger(svc, "opened", vigil.SeverityCritical) // due for step 1 at +5m
		h.advance(40 * time.Minute)                                // no cycle until +45m
		h.cycle()
		late := map[int64]time.Duration{}
		for _, d := range h.rec.deliveries()[1:] {
			late[d.msg.IncidentID] = d.msg.Late
		}
		if diff := cmp.Diff(map[int64]time.Duration{running: 35 * time.Minute, opened: 40 * time.Minute}, late); diff != "" {
			t.Errorf("lateness of the pages sent on recovery (-want +got):\n%s", diff)
		}
		if tl := h.timeline(opened); !strings.Contains(tl, "Paged Ana by webhook, 40m0s late") {
			t.Errorf("timeline does not say how late the page was:\n%s", tl)
		}

		// Two hours without cycles, then a failure: the page is retried,
		// not given up as two hours old.
		third := h.trigger(svc, "third", vigil.SeverityCritical)
		h.advance(2 * time.Hour)
		h.rec.mu.Lock()
		h.rec.fail[addr("Ana")] = []error{err503}
		h.rec.mu.Unlock()
		if st := h.cycle(); st.Retried != 1 || st.Failed != 0 {
			t.Fatalf("first try of a 2-hour-late page: %+v, want one retry", st)
		}
		h.advance(time.Minute)
		h.cycle()
		if tl := h.timeline(third); !strings.Contains(tl, "Paged Ana by webhook after 2 attempts, 2h") {
			t.Errorf("the late page was not delivered on its retry:\n%s", tl)
		}
	})
}

// E7: trigger, acknowledge and resolve of one incident reach each
// destination in that order, also when the destination fails for a while
// (the resolution waits behind the acknowledgement being retried) and when
// the page is still being sent by another replica when the incident is
// acknowledged and resolved.
func TestMessagesKeepOrderPerDestination(t *testing.T) {
	order := func(h *harness, id int64, to string) []string {
		var out []string
		for _, d := range h.rec.deliveries() {
			if d.to == to && d.msg.IncidentID == id {
				out = append(out, d.msg.Kind)
			}
		}
		return out
	}
	inOrder := []string{notify.KindPage, notify.KindAck, notify.KindResolve}

	t.Run("retried", func(t *testing.T) {
		eachBackend(t, func(t *testing.T, h *harness) {
			ana, bo := h.user("Ana"), h.user("Bo")
			svc, _ := h.policyService("api", 0, step(0, userT(ana), userT(bo)))
			id := h.trigger(svc, "disk", vigil.SeverityCritical)
			h.cycle()
			// Ana's endpoint goes down after her page: the
			// acknowledgement fails twice (retried at +5s, then +15s).
			h.rec.mu.Lock()
			h.rec.fail[addr("Ana")] = []error{errDown, err503}
			h.rec.mu.Unlock()
			if _, err := h.st.AcknowledgeIncident(h.ctx, id); err != nil {
				t.Fatal(err)
			}
			if st := h.cycle(); st.Retried != 1 {
				t.Fatalf("stats %+v: want Ana's acknowledgement notice to fail once", st)
			}
			if _, err := h.st.ResolveIncident(h.ctx, id); err != nil {
				t.Fatal(err)
			}
			h.cycle()
			// The resolution is due, but waits for the acknowledgement.
			if got := order(h, id, addr("Ana")); !slices.Equal(got, []string{notify.KindPage}) {
				t.Fatalf("Ana got %v while her acknowledgement notice waits for a retry", got)
			}
			if got := order(h, id, addr("Bo")); !slices.Equal(got, inOrder) {
				t.Fatalf("Bo got %v, want %v", got, inOrder)
			}
			for _, step := range []time.Duration{5 * time.Second, 10 * time.Second} {
				h.advance(step)
				h.cycle()
			}
			if got := order(h, id, addr("Ana")); !slices.Equal(got, inOrder) {
				t.Fatalf("Ana got %v, want %v", got, inOrder)
			}
			if h.rec.tries != 2+2+2+2 { // 2 pages, 2+2 acknowledgements (Ana's third try), 2 resolutions
				t.Errorf("%d sends, want 8", h.rec.tries)
			}
		})
	})

	t.Run("page in flight elsewhere", func(t *testing.T) {
		eachBackend(t, func(t *testing.T, h *harness) {
			ana, bo := h.user("Ana"), h.user("Bo")
			svc, _ := h.policyService("api", 0, step(0, userT(ana), userT(bo)))
			id := h.trigger(svc, "disk", vigil.SeverityCritical)
			if _, err := h.st.EscalateDue(context.Background(), 10); err != nil {
				t.Fatal(err)
			}
			// Replica "slow" claims both pages and is still sending them.
			slow, err := h.st.ClaimNotifications(context.Background(), "slow", 10, time.Minute)
			if err != nil || len(slow) != 2 {
				t.Fatalf("claim: %d, %v", len(slow), err)
			}
			if _, err := h.st.AcknowledgeIncident(h.ctx, id); err != nil {
				t.Fatal(err)
			}
			if _, err := h.st.ResolveIncident(h.ctx, id); err != nil {
				t.Fatal(err)
			}
			h.cycle()
			if got := h.rec.since(0); len(got) != 0 {
				t.Fatalf("sent %v while the pages are still being sent by another replica", got)
			}
			// slow delivers and records its pages one after the other;
			// each destination hears of the acknowledgement and the
			// resolution only after its page.
			for i, n := range slow {
				if _, err := h.rec.Send(context.Background(), notify.Destination{Type: n.DestType, Address: n.DestAddress},
					notify.Message{ID: fmt.Sprintf("vigil-%d", n.ID), Kind: n.Kind, IncidentID: n.IncidentID}); err != nil {
					t.Fatal(err)
				}
				if err := h.st.CompleteNotification(context.Background(), n.ID, "slow", vigil.Outcome{Sent: true}); err != nil {
					t.Fatal(err)
				}
				h.cycle()
				if got := order(h, id, n.DestAddress); !slices.Equal(got, inOrder) {
					t.Fatalf("%s got %v, want %v", n.DestAddress, got, inOrder)
				}
				if other := slow[1-i].DestAddress; i == 0 {
					if got := order(h, id, other); len(got) != 0 {
						t.Fatalf("%s got %v while its page is still being sent", other, got)
					}
				}
			}
		})
	})
}

// slowSender is a vendor that takes d (on the manual clock) to answer
// each message, after the recorder took it.
type slowSender struct {
	h *harness
	d time.Duration
}

func (s slowSender) Send(ctx context.Context, to notify.Destination, m notify.Message) (notify.Receipt, error) {
	r, err := s.h.rec.Send(ctx, to, m)
	s.h.advance(s.d)
	return r, err
}

// D3 in small, the lease: a replica never starts a send that could
// outlive its lease (SendTimeout after the start), since another replica
// may send the message once the lease ends. A slow vendor takes the whole
// send timeout for each of 8 messages sent one at a time: the sixth starts
// 50s after the claim and may end when the 1-minute lease does; the last
// two stay claimed, and go out once, after the lease ends, from another
// replica.
func TestNoSendThatCouldOutliveTheLease(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *harness) {
		h.rec.clock = h.clock
		for i := range 8 {
			if err := h.st.CreateNotifications(h.ctx, &vigil.Notification{Kind: notify.KindManual, DestType: vigil.ContactWebhook,
				DestAddress: addr(fmt.Sprintf("u%d", i)), Title: "by hand"}); err != nil {
				t.Fatal(err)
			}
		}
		a := New(Config{Store: h.st, Sender: slowSender{h, 10 * time.Second}, Clock: h.clock, Replica: "replica-a", Workers: 1,
			Lease: time.Minute, SendTimeout: 10 * time.Second, Jitter: func() float64 { return 0.5 }})
		st, err := a.Cycle(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		var starts []time.Duration
		for _, d := range h.rec.deliveries() {
			starts = append(starts, d.at.Sub(t0))
		}
		want := []time.Duration{0, 10 * time.Second, 20 * time.Second, 30 * time.Second, 40 * time.Second, 50 * time.Second}
		if diff := cmp.Diff(want, starts); diff != "" || st.Sent != 6 || st.Held != 2 {
			t.Fatalf("replica a: stats %+v; sends started at (-want +got):\n%s", st, diff)
		}
		// At +60s a's lease ends: b takes the two held messages back and
		// sends them; nothing is sent twice.
		b := h.engine("replica-b")
		if st, err := b.Cycle(context.Background()); err != nil || st.Reclaimed != 2 || st.Sent != 2 {
			t.Fatalf("replica b at +60s: %+v, %v", st, err)
		}
		count := map[string]int{}
		for _, d := range h.rec.deliveries() {
			count[d.msg.ID]++
		}
		if len(count) != 8 {
			t.Errorf("%d distinct messages delivered, want 8", len(count))
		}
		for id, n := range count {
			if n != 1 {
				t.Errorf("message %s delivered %d times", id, n)
			}
		}
	})
}

// unrecordable is a store that cannot record sends: the database became
// unreachable after the claim.
type unrecordable struct{ vigil.EngineService }

func (unrecordable) CompleteNotifications(context.Context, string, []vigil.Completion) ([]error, error) {
	return nil, &vigil.Error{Code: vigil.CodeUnavailable, Message: "database unavailable"}
}

// logHook is a slog handler that calls fn with each record's message.
type logHook struct{ fn func(string) }

func (l logHook) Enabled(context.Context, slog.Level) bool      { return true }
func (l logHook) Handle(_ context.Context, r slog.Record) error { l.fn(r.Message); return nil }
func (l logHook) WithAttrs([]slog.Attr) slog.Handler            { return l }
func (l logHook) WithGroup(string) slog.Handler                 { return l }

// D3 in small, the database: once recording a send fails because the
// database is unreachable, the replica sends nothing more of its batch
// (each would be delivered now and again after the lease). The second send
// waits until the first one's result failed to be recorded, so the third
// message's turn always comes after the failure.
func TestNoSendAfterTheDatabaseIsLost(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *harness) {
		for i := range 3 {
			if err := h.st.CreateNotifications(h.ctx, &vigil.Notification{Kind: notify.KindManual, DestType: vigil.ContactWebhook,
				DestAddress: addr(fmt.Sprintf("u%d", i)), Title: "by hand"}); err != nil {
				t.Fatal(err)
			}
		}
		lost := make(chan struct{})
		var once sync.Once
		logger := slog.New(logHook{func(msg string) {
			if msg == "could not record a send" {
				once.Do(func() { close(lost) })
			}
		}})
		sends := 0
		sender := notify.SenderFunc(func(ctx context.Context, to notify.Destination, m notify.Message) (notify.Receipt, error) {
			sends++ // one at a time (Workers 1)
			if sends == 2 {
				select {
				case <-lost:
				case <-time.After(10 * time.Second):
					t.Error("the first send was never recorded as lost")
				}
			}
			return h.rec.Send(ctx, to, m)
		})
		a := New(Config{Store: unrecordable{h.st}, Sender: sender, Clock: h.clock, Replica: "replica-a", Workers: 1, Logger: logger,
			Jitter: func() float64 { return 0.5 }})
		st, _ := a.Cycle(context.Background())
		// The second message may already be held too, if the failed
		// commit came before its turn; the third always is.
		if sends < 1 || sends > 2 || st.Lost != sends || st.Held != 3-sends {
			t.Fatalf("%d sends, stats %+v: want nothing sent once recording failed", sends, st)
		}
		// The lease ends; another replica sends all three: the two that
		// could not be recorded again, with the same ids (at-least-once).
		h.advance(time.Minute)
		b := h.engine("replica-b")
		if st, err := b.Cycle(context.Background()); err != nil || st.Reclaimed != 3 || st.Sent != 3 {
			t.Fatalf("replica b after the lease: %+v, %v", st, err)
		}
		count := map[string]int{}
		for _, d := range h.rec.deliveries() {
			count[d.msg.ID]++
		}
		if len(count) != 3 {
			t.Errorf("%d distinct messages, want 3", len(count))
		}
	})
}
