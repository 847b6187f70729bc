package store

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// Group commit. Every commit on SQLite with synchronous=FULL costs an fsync,
// so one transaction per request caps ingest at the disk's fsync rate.
// ProcessEvents instead queues its request; a writer goroutine takes
// everything queued, runs it in one transaction, commits once and wakes
// every caller. While it commits, the next batch piles up.

// maxBatchEvents bounds one transaction; a larger request runs alone.
const maxBatchEvents = 1000

// batchTimeout bounds one batch transaction on PostgreSQL, so a hung server
// cannot hold the writer (and Close) for long; its callers give up at
// maxEventWait.
const batchTimeout = maxEventWait

type request struct {
	ctx    context.Context
	actor  vigil.Actor
	events []*vigil.Event
	data   []eventData // the events' JSON, encoded by the caller, off the writer
	res    []vigil.EventResult
	// record, when set, is written in the same transaction (the outcome of
	// an ingest request, for senders that ask for it later).
	record *vigil.IngestRequest
	// complete, when set, makes the record from the events' results,
	// inside the transaction (and again if the request re-runs alone).
	complete func([]vigil.EventResult) *vigil.IngestRequest
	err      error
	done     chan struct{} // closed when res or err is set
}

type batcher struct {
	db     *DB
	queue  chan *request
	mu     sync.RWMutex // guards closed against sends on a closed queue
	closed bool
	wg     sync.WaitGroup

	batches, requests atomic.Int64 // transactions run and requests they carried
}

func newBatcher(db *DB, writers int) *batcher {
	b := &batcher{db: db, queue: make(chan *request, 4096)}
	b.wg.Add(writers)
	for range writers {
		go b.run()
	}
	return b
}

// size is what a request weighs in a batch: its events, and its record.
func (r *request) size() int {
	if r.record != nil || r.complete != nil {
		return len(r.events) + 1
	}
	return len(r.events)
}

func (b *batcher) submit(ctx context.Context, r *request) error {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.closed {
		return vigil.Errorf(vigil.CodeUnavailable, "store is closed")
	}
	select {
	case b.queue <- r:
		return nil
	case <-ctx.Done():
		return unavailable(ctx.Err())
	}
}

// close stops taking requests, lets the writers finish what is queued and
// waits for them.
func (b *batcher) close() {
	b.mu.Lock()
	if !b.closed {
		b.closed = true
		close(b.queue)
	}
	b.mu.Unlock()
	b.wg.Wait()
}

func (b *batcher) run() {
	defer b.wg.Done()
	var (
		next *request // taken from the queue but left for the next batch
		last int      // requests in the previous batch
	)
	for {
		first := next
		next = nil
		if first == nil {
			var ok bool
			if first, ok = <-b.queue; !ok {
				return
			}
		}
		batch, n := []*request{first}, first.size()
		// The callers of the previous batch were just woken and are about to
		// send their next requests: give them a moment (a few yields, well
		// under the cost of an fsync) to join this batch.
		deadline := time.Now().Add(gatherWait)
	fill:
		for n < maxBatchEvents {
			select {
			case r, ok := <-b.queue:
				if !ok {
					break fill
				}
				if n+r.size() > maxBatchEvents {
					next = r
					break fill
				}
				batch, n = append(batch, r), n+r.size()
			default:
				if len(batch) >= last || time.Now().After(deadline) {
					break fill
				}
				runtime.Gosched()
			}
		}
		last = len(batch)
		b.batches.Add(1)
		b.requests.Add(int64(len(batch)))
		b.db.runBatch(batch)
	}
}

// gatherWait bounds how long a batch waits for the callers of the previous
// one to come back.
const gatherWait = 100 * time.Microsecond

// runBatch applies the requests in one transaction. If that fails, each
// request runs again in its own transaction, so one bad request fails alone
// and every caller gets its own error.
func (db *DB) runBatch(batch []*request) {
	live := batch[:0]
	for _, r := range batch {
		if err := r.ctx.Err(); err != nil {
			r.err = unavailable(err) // its caller is gone: do not apply
			close(r.done)
			continue
		}
		live = append(live, r)
	}
	if len(live) == 0 {
		return
	}
	// The batch outlives any one caller's context. On SQLite it gets none
	// that can end: the driver watches a cancellable context with a
	// goroutine per statement, and a local statement cannot hang anyway
	// (busy_timeout bounds the wait for the lock).
	ctx := context.Background()
	if db.dialect == postgresDialect {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, batchTimeout)
		defer cancel()
	}
	run := func(reqs []*request) error {
		return db.write(ctx, func(q querier, now time.Time) error {
			return db.applyBatch(ctx, q, now, reqs)
		})
	}
	err := run(live)
	// Re-run each request alone only when the batch failed for a reason one
	// request can cause; when the database is unavailable, each re-run
	// would only wait out the same timeout again.
	if err != nil && len(live) > 1 && vigil.ErrorCode(err) != vigil.CodeUnavailable {
		for _, r := range live {
			r.err = run([]*request{r})
		}
	} else {
		for _, r := range live {
			r.err = err
		}
	}
	for _, r := range live {
		if r.err != nil {
			r.res = nil
			if vigil.ErrorCode(r.err) == vigil.CodeInternal {
				db.log.Error("process events", "err", r.err)
			}
		}
		close(r.done)
	}
}
