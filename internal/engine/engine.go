// Package engine is Vigil's background loop: it fires due escalation steps
// and delivers the notification outbox. The decisions live elsewhere (the
// escalation package decides steps, the store claims work under locks);
// the engine drives them on the injected clock and talks to the channels.
//
// Delivery guarantee: at-least-once. A notification is claimed under a
// lease; if the replica holding it dies before recording the result, the
// lease runs out and another replica sends it again. Every message carries
// a stable id (notify.Message.ID) so receivers can drop the duplicate.
// A replica starts no send that could outlive its lease, and none once it
// found it cannot record results (the database is unreachable): those
// messages wait for the lease to end, so a replica cut off from the
// database does not send what another replica is about to send (D3).
package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigil-oss/vigil/internal/notify"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// Config configures an Engine. Zero values take the defaults noted.
type Config struct {
	Store  vigil.EngineService
	Sender notify.Sender
	Clock  vigil.Clock  // default vigil.SystemClock
	Logger *slog.Logger // default discard
	// Replica names this process in claims and attempts (default host-pid).
	Replica string
	// Interval is the longest wait between cycles (default 1s); Kick
	// starts one at once.
	Interval time.Duration
	// Batch is how many notifications one claim takes (default 50), and
	// Workers how many sends run at once (default 16).
	Batch, Workers int
	// SendTimeout bounds one send (default 10s); Lease is how long a claim
	// holds (default 1m, longer than a send); a dead replica's messages are
	// sent by another after at most Lease.
	SendTimeout, Lease time.Duration
	// MaxAge: a message still failing this long after it could first be
	// sent (sendableSince) is given up, visibly (default 1h).
	MaxAge time.Duration
	// Links gives a message its incident, acknowledge and resolve URLs.
	Links func(n *vigil.ClaimedNotification) (view, ack, resolve string)
	// Jitter returns a number in [0,1) to spread retries (default rand).
	Jitter func() float64
}

// Engine runs cycles. Safe for concurrent use; Cycle calls are serialized.
type Engine struct {
	cfg  Config
	kick chan struct{}
	mu   sync.Mutex // one cycle at a time in this process
}

// New returns an engine with defaults filled.
func New(cfg Config) *Engine {
	if cfg.Clock == nil {
		cfg.Clock = vigil.SystemClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Replica == "" {
		host, _ := os.Hostname()
		cfg.Replica = host + "-" + strconv.Itoa(os.Getpid())
	}
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&cfg.Interval, time.Second)
	def(&cfg.SendTimeout, 10*time.Second)
	def(&cfg.Lease, time.Minute)
	def(&cfg.MaxAge, time.Hour)
	if cfg.Batch <= 0 {
		cfg.Batch = 50
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 16
	}
	if cfg.Jitter == nil {
		cfg.Jitter = rand.Float64
	}
	return &Engine{cfg: cfg, kick: make(chan struct{}, 1)}
}

// Replica is the name this engine claims work under.
func (e *Engine) Replica() string { return e.cfg.Replica }

// Kick asks for a cycle now (new work arrived). It never blocks.
func (e *Engine) Kick() {
	select {
	case e.kick <- struct{}{}:
	default:
	}
}

// Run runs cycles until ctx ends: after each cycle it waits for a Kick or
// the interval. Sends in flight when ctx ends finish (bounded by
// SendTimeout) so their results are recorded.
func (e *Engine) Run(ctx context.Context) {
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-e.kick:
		}
		if _, err := e.Cycle(context.WithoutCancel(ctx)); err != nil && ctx.Err() == nil {
			e.cfg.Logger.Warn("engine cycle failed", "err", err)
		}
		if !t.Stop() {
			select {
			case <-t.C:
			default:
			}
		}
		t.Reset(e.cfg.Interval)
	}
}

// Stats is what one cycle did. Held counts claimed messages the cycle did
// not send (see sendAll): they go out once their lease ends.
type Stats struct {
	Reclaimed, Escalated, Sent, Retried, Failed, Lost, Held int
}

// maxRounds bounds one cycle, so a huge backlog is worked through over
// several cycles (each one short) instead of one endless one.
const maxRounds = 20

// Cycle runs one engine pass: take back expired leases, fire due
// escalation steps, then claim and send due notifications, most urgent
// first, until none are due or maxRounds batches went out.
func (e *Engine) Cycle(ctx context.Context) (Stats, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	var st Stats
	var err error
	if st.Reclaimed, err = e.cfg.Store.ReclaimNotifications(ctx); err != nil {
		return st, fmt.Errorf("reclaim: %w", err)
	}
	// An incident that fails to escalate does not stop the others (the
	// store escalates them one by one then) nor the sending of what is
	// already queued: the error is reported after the sends.
	var escErr error
	for round := 0; round < maxRounds; round++ {
		n, err := e.cfg.Store.EscalateDue(ctx, escalateBatch)
		st.Escalated += n
		if err != nil {
			escErr = fmt.Errorf("escalate: %w", err)
			if vigil.ErrorCode(err) == vigil.CodeUnavailable {
				return st, escErr
			}
			break
		}
		if n < escalateBatch {
			break
		}
	}
	for round := 0; round < maxRounds; round++ {
		// Read before the claim, so the lease ends no earlier than
		// claimedAt+Lease.
		claimedAt := e.cfg.Clock.Now()
		claimed, err := e.cfg.Store.ClaimNotifications(ctx, e.cfg.Replica, e.cfg.Batch, e.cfg.Lease)
		if err != nil {
			return st, errors.Join(escErr, fmt.Errorf("claim: %w", err))
		}
		if len(claimed) == 0 {
			break
		}
		// Claim again even after a short batch: a message that waited
		// behind one just sent (same destination, E7) is due now.
		e.sendAll(ctx, claimed, e.startBy(claimedAt), &st)
	}
	return st, escErr
}

// startBy is the last moment a send of a batch claimed at claimedAt may
// start: one that starts later could outlive the lease (a send takes up
// to SendTimeout), and once the lease ends another replica may be sending
// the same message. With a lease shorter than two sends, half the lease.
func (e *Engine) startBy(claimedAt time.Time) time.Time {
	room := e.cfg.Lease - e.cfg.SendTimeout
	if room < e.cfg.Lease/2 {
		room = e.cfg.Lease / 2
	}
	return claimedAt.Add(room)
}

// escalateBatch is how many incidents one EscalateDue call takes.
const escalateBatch = 100

// sendAll sends a claimed batch with at most Workers sends at once. The
// outcomes are recorded by one committer in group commits: whatever
// finished while the previous commit ran goes into the next transaction.
//
// A message whose turn comes after startBy, or after a commit found the
// database unreachable, is not sent (catalog D3): this replica may no
// longer hold it by the time the send ends, or cannot record that it was
// sent, so sending it risks a second delivery. It stays claimed until its
// lease ends; then any replica takes it back and sends it.
func (e *Engine) sendAll(ctx context.Context, claimed []*vigil.ClaimedNotification, startBy time.Time, st *Stats) {
	var (
		wg          sync.WaitGroup
		mu          sync.Mutex
		sem         = make(chan struct{}, e.cfg.Workers)
		done        = make(chan completion, len(claimed))
		unreachable atomic.Bool
		held        int
	)
	committed := make(chan struct{})
	go func() {
		defer close(committed)
		e.commit(ctx, done, &unreachable, func(result string) {
			mu.Lock()
			defer mu.Unlock()
			switch result {
			case "sent":
				st.Sent++
			case "retry":
				st.Retried++
			case "failed":
				st.Failed++
			case "lost":
				st.Lost++
			}
		})
	}()
	for _, n := range claimed {
		sem <- struct{}{}
		if unreachable.Load() || e.cfg.Clock.Now().After(startBy) {
			<-sem
			held++
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			done <- e.send(ctx, n)
		}()
	}
	wg.Wait()
	close(done)
	<-committed
	if held > 0 {
		e.cfg.Logger.Warn("claimed messages left unsent until their lease ends", "messages", held,
			"reason", heldReason(unreachable.Load()))
		st.Held += held
	}
}

func heldReason(unreachable bool) string {
	if unreachable {
		return "the database became unreachable: their sends could not be recorded"
	}
	return "the lease could end during their sends"
}

// completion is a finished send waiting to be recorded.
type completion struct {
	id     int64
	result string // sent, retry or failed
	o      vigil.Outcome
	dest   string
}

// commit records the completions from done until it is closed, batching
// those that are ready together, and reports each final result (lost when
// the lease was gone). It sets unreachable when the database cannot be
// reached.
func (e *Engine) commit(ctx context.Context, done <-chan completion, unreachable *atomic.Bool, report func(string)) {
	for c := range done {
		batch := []completion{c}
	drain:
		for {
			select {
			case c, ok := <-done:
				if !ok {
					break drain
				}
				batch = append(batch, c)
			default:
				break drain
			}
		}
		items := make([]vigil.Completion, len(batch))
		for i, c := range batch {
			items[i] = vigil.Completion{ID: c.id, Outcome: c.o}
		}
		errs, err := e.cfg.Store.CompleteNotifications(ctx, e.cfg.Replica, items)
		for i, c := range batch {
			cerr := err
			if cerr == nil {
				cerr = errs[i]
			}
			if vigil.ErrorCode(cerr) == vigil.CodeUnavailable {
				unreachable.Store(true)
			}
			if cerr != nil {
				// The lease ran out during the send and another replica
				// took the message (or the database failed): it will be
				// sent again (at-least-once).
				e.cfg.Logger.Warn("could not record a send", "notification", c.id, "err", cerr)
				report("lost")
				continue
			}
			if c.result != "sent" {
				e.cfg.Logger.Info("notification not delivered", "notification", c.id, "type", c.dest, "outcome", c.result, "err", c.o.Error)
			}
			report(c.result)
		}
	}
}

// send delivers one notification and returns the attempt to record.
func (e *Engine) send(ctx context.Context, n *vigil.ClaimedNotification) completion {
	msg := e.message(n)
	sctx, cancel := context.WithTimeout(ctx, e.cfg.SendTimeout)
	started := time.Now()
	rcpt, err := e.cfg.Sender.Send(sctx, notify.Destination{Type: n.DestType, Address: n.DestAddress}, msg)
	cancel()
	now := e.cfg.Clock.Now()
	o := vigil.Outcome{Duration: time.Since(started), Late: msg.Late}
	result := "sent"
	switch {
	case err == nil:
		o.Sent, o.ProviderID = true, rcpt.ProviderID
	case notify.IsPermanent(err):
		result, o.Error = "failed", err.Error()
	case now.Sub(sendableSince(n)) >= e.cfg.MaxAge:
		result = "failed"
		o.Error = fmt.Sprintf("gave up %s after it was due: %v", e.cfg.MaxAge, err)
	default:
		result, o.Error = "retry", err.Error()
		wait := max(e.backoff(n.Attempts), notify.RetryAfterOf(err))
		at := now.Add(wait)
		o.RetryAt = &at
	}
	// Vendor texts go into the database: PostgreSQL refuses NUL bytes
	// and invalid UTF-8, and an unstorable result would be re-sent every
	// lease period.
	o.Error, o.ProviderID = storable(o.Error), storable(o.ProviderID)
	return completion{id: n.ID, result: result, o: o, dest: n.DestType}
}

// sendableSince is when a message could first be sent: when it was due,
// or, for a page of a step that fired late (due before it existed), when
// it was created. A late page gets the same retries as any other.
func sendableSince(n *vigil.ClaimedNotification) time.Time {
	if n.CreatedAt.After(n.DueAt) {
		return n.CreatedAt
	}
	return n.DueAt
}

// storable is s as valid UTF-8 without NUL bytes.
func storable(s string) string {
	return strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", ""), "\uFFFD")
}

// backoff is the wait before attempt+1: 5s doubling to a 5-minute cap,
// with ±20% jitter so many failed messages do not retry in step.
func (e *Engine) backoff(attempt int) time.Duration {
	d := 5 * time.Second
	for i := 1; i < attempt && d < 5*time.Minute; i++ {
		d *= 2
	}
	d = min(d, 5*time.Minute)
	return time.Duration(float64(d) * (0.8 + 0.4*e.cfg.Jitter()))
}

// message renders a claimed notification for the channels.
func (e *Engine) message(n *vigil.ClaimedNotification) notify.Message {
	m := notify.Message{
		ID:         "vigil-" + strconv.FormatInt(n.ID, 10),
		Kind:       n.Kind,
		IncidentID: n.IncidentID,
		Title:      n.Title,
		Body:       n.Body,
		Severity:   string(n.IncidentSeverity),
		Status:     n.IncidentStatus,
		Service:    n.ServiceName,
		CreatedAt:  n.DueAt,
	}
	if m.Title == "" {
		m.Title = n.IncidentTitle
	}
	if late := e.cfg.Clock.Now().Sub(n.DueAt); late > 0 {
		m.Late = late
	}
	if e.cfg.Links != nil && n.IncidentID != 0 {
		m.URL, m.AckURL, m.ResolveURL = e.cfg.Links(n)
	}
	if len(n.Bundle) > 0 {
		// Throttled (E8): this message stands for several incidents. The
		// title stays the first one's; the body names the others.
		m.Kind, m.Bundled = notify.KindBundle, len(n.Bundle)
		var b strings.Builder
		b.WriteString("Also waiting:")
		for i, p := range n.Bundle {
			if i == maxBundleListed {
				fmt.Fprintf(&b, " and %d more", len(n.Bundle)-i)
				break
			}
			fmt.Fprintf(&b, " #%d %s;", p.IncidentID, notify.Truncate(p.Title, 60))
		}
		m.Body = strings.TrimSuffix(b.String(), ";")
	}
	return m
}

// maxBundleListed bounds the incidents a bundle's body names.
const maxBundleListed = 10
