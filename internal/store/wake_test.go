package store

import (
	"context"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/storetest"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// A commit on one replica wakes the engine of another through
// LISTEN/NOTIFY, a replica does not wake itself twice, and a listener whose
// connection is killed reconnects and keeps waking.
func TestPostgresWakesOtherReplicas(t *testing.T) {
	url := storetest.NewPostgresURL(t)
	ctx := context.Background()
	a := openPostgres(t, url, nil) // ingest only: no engine to wake
	woken := make(chan struct{}, 100)
	b, err := Open(ctx, Config{URL: url, OnWork: func() { woken <- struct{}{} }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	svc := &vigil.Service{Name: "checkout"}
	if err := a.CreateService(ctx, svc); err != nil {
		t.Fatal(err)
	}
	waitWoken := func(what string) {
		t.Helper()
		select {
		case <-woken:
		case <-time.After(15 * time.Second):
			t.Fatalf("%s: replica b was not woken", what)
		}
	}
	declare := func(db *DB, title string) {
		t.Helper()
		if _, err := db.DeclareIncident(ctx, vigil.IncidentDeclaration{ServiceID: svc.ID, Title: title}); err != nil {
			t.Fatal(err)
		}
	}
	// The listener may still be connecting: declare until it hears one.
	deadline := time.Now().Add(15 * time.Second)
	for heard := false; !heard; {
		declare(a, "first")
		select {
		case <-woken:
			heard = true
		case <-time.After(200 * time.Millisecond):
			if time.Now().After(deadline) {
				t.Fatal("replica b never heard replica a")
			}
		}
	}
	for len(woken) > 0 {
		<-woken
	}

	declare(b, "own")
	waitWoken("own commit")
	time.Sleep(300 * time.Millisecond)
	if n := len(woken); n != 0 {
		t.Errorf("replica b was woken %d more times by its own NOTIFY", n)
	}

	// Kill the listener's connection: it reconnects (waking once for what
	// it may have missed) and hears a again.
	var killed int
	if err := a.pg.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND query = 'LISTEN `+workChannel+`'`).Scan(&killed); err != nil || killed != 1 {
		t.Fatalf("terminated %d listeners: %v", killed, err)
	}
	waitWoken("reconnect")
	for len(woken) > 0 {
		<-woken
	}
	declare(a, "after reconnect")
	waitWoken("after reconnect")
}
