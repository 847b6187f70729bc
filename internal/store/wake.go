package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// Cross-replica wake-ups on PostgreSQL. A commit that makes engine work
// due wakes this process's engine at once (Config.OnWork) and, through
// NOTIFY on workChannel, every other replica's: whichever engine is free
// claims the work first, and a replica whose own engine is busy or off
// (ingest only) still gets its pages out without waiting for a tick.
//
// Notifications are hints, not the source of truth: the outbox rows are.
// A lost NOTIFY (listener reconnecting) costs at most one engine interval,
// and a listener that reconnects wakes its engine once for anything it may
// have missed.

// workChannel is the NOTIFY channel; the payload is the sending
// process's id, so a replica ignores its own.
const workChannel = "vigil_work"

type pgWake struct {
	id     string
	signal chan struct{} // capacity 1: bursts of commits send one NOTIFY
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// startWake starts the notifier (always, so ingest-only replicas wake the
// others) and, when this process has an engine to wake, the listener.
func (db *DB) startWake() {
	b := make([]byte, 8)
	rand.Read(b)
	ctx, cancel := context.WithCancel(context.Background())
	w := &pgWake{id: hex.EncodeToString(b), signal: make(chan struct{}, 1), cancel: cancel}
	db.wakeup = w
	w.wg.Go(func() { db.notifyLoop(ctx, w) })
	if db.onWork != nil {
		w.wg.Go(func() { db.listenLoop(ctx, w) })
	}
}

// stopWake ends both loops; called before the pool closes.
func (db *DB) stopWake() {
	if db.wakeup != nil {
		db.wakeup.cancel()
		db.wakeup.wg.Wait()
	}
}

// notifyOthers asks the notifier to send one NOTIFY; it never blocks.
func (w *pgWake) notifyOthers() {
	select {
	case w.signal <- struct{}{}:
	default:
	}
}

func (db *DB) notifyLoop(ctx context.Context, w *pgWake) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-w.signal:
		}
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		_, err := db.pg.Exec(sctx, "SELECT pg_notify($1, $2)", workChannel, w.id)
		cancel()
		if err != nil && ctx.Err() == nil {
			db.log.Warn("could not wake the other replicas (they will find the work at their next tick)", "err", err)
		}
	}
}

// listenLoop holds its own connection (outside the pool) in LISTEN and
// wakes the engine on every other replica's NOTIFY, reconnecting with
// backoff when the connection breaks.
func (db *DB) listenLoop(ctx context.Context, w *pgWake) {
	backoff := time.Second
	for first := true; ctx.Err() == nil; first = false {
		err := db.listen(ctx, w, !first)
		if ctx.Err() != nil {
			return
		}
		db.log.Warn("replica wake-up listener lost its connection; reconnecting", "err", err, "in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 30*time.Second)
	}
}

func (db *DB) listen(ctx context.Context, w *pgWake, reconnected bool) error {
	conn, err := pgx.ConnectConfig(ctx, db.pg.Config().ConnConfig.Copy())
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+workChannel); err != nil {
		return err
	}
	if reconnected {
		db.onWork() // anything sent while we were away
	}
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		if n.Payload != w.id {
			db.onWork()
		}
	}
}
