package api

import (
	"context"
	"testing"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// A key without rules adds nothing to ingest: no allocation.
func TestMapEventsWithoutRulesAllocatesNothing(t *testing.T) {
	a := New(Deps{})
	ctx := context.Background()
	key := &vigil.IntegrationKey{ID: 1, ServiceID: 1}
	e := &vigil.Event{Summary: "s", Severity: vigil.SeverityError, Labels: map[string]string{"a": "b"}}
	if n := testing.AllocsPerRun(1000, func() { a.mapEvents(ctx, key, FormatNative, []*vigil.Event{e, nil}) }); n != 0 {
		t.Errorf("%v allocations per call without rules, want 0", n)
	}
}

// Rules are compiled once per key and revision, not per event.
func TestRuleCacheCompilesOncePerRevision(t *testing.T) {
	a := New(Deps{})
	ctx := context.Background()
	key := &vigil.IntegrationKey{ID: 1, ServiceID: 1, RulesRevision: 1,
		Rules: []vigil.MappingRule{{Name: "r", Set: vigil.MappingSet{Severity: "critical"}}}}
	first := a.rules.get(ctx, a, key)
	if first.rules == nil || a.rules.get(ctx, a, key) != first {
		t.Fatal("the same revision was compiled again")
	}
	e := &vigil.Event{Action: vigil.ActionTrigger, Summary: "s", Severity: vigil.SeverityError}
	a.mapEvents(ctx, key, FormatNative, []*vigil.Event{nil, e})
	if e.Severity != vigil.SeverityCritical {
		t.Errorf("severity %s, want critical", e.Severity)
	}
	if a.rules.get(ctx, a, key) != first {
		t.Fatal("mapping an event compiled the rules again")
	}
	next := *key
	next.RulesRevision = 2
	next.Rules = []vigil.MappingRule{{Name: "r", Set: vigil.MappingSet{Severity: "info"}}}
	if got := a.rules.get(ctx, a, &next); got == first || got.revision != 2 {
		t.Fatal("a new revision was not compiled")
	}
	e = &vigil.Event{Action: vigil.ActionTrigger, Summary: "s", Severity: vigil.SeverityError}
	a.mapEvents(ctx, &next, FormatNative, []*vigil.Event{e})
	if e.Severity != vigil.SeverityInfo {
		t.Errorf("severity %s after the change, want info", e.Severity)
	}
}
