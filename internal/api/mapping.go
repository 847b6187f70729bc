package api

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigil-oss/vigil/internal/mapping"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// mapEvents runs the key's mapping rules on events, in place, after they
// are decoded and bound to the key's service and before they are stored.
// format names the sender's format to the rules (mapping.Format*). Nil
// entries are refused items and are skipped.
//
// A key without rules costs one length check. A rule that fails on an
// event leaves that event as decoded (it is still stored: a rule must
// never lose an alert) and is logged, at most once per ruleLogEvery per
// key with a count of the failures not logged.
func (a *API) mapEvents(ctx context.Context, key *vigil.IntegrationKey, format string, events []*vigil.Event) {
	if len(key.Rules) == 0 {
		return
	}
	a.applyRules(ctx, key, format, events)
}

// pagerdutyFormat is the format name rules see for PagerDuty events.
func pagerdutyFormat(v1 bool) string {
	if v1 {
		return mapping.FormatPagerDutyV1
	}
	return mapping.FormatPagerDuty
}

func (a *API) applyRules(ctx context.Context, key *vigil.IntegrationKey, format string, events []*vigil.Event) {
	kr := a.rules.get(ctx, a, key)
	if kr.rules == nil {
		return
	}
	for _, e := range events {
		if e == nil {
			continue
		}
		if err := kr.rules.Apply(e, format, kr.resolve, nil); err != nil {
			kr.report(ctx, a.logger(ctx), key, e, err)
		}
	}
}

// logger is the request's logger, else the API's.
func (a *API) logger(ctx context.Context) *slog.Logger {
	if l := LoggerFrom(ctx); l != discardLogger {
		return l
	}
	return a.log
}

// How long compiled rules trust their service names before looking them
// up again, and how often one key's rule failures are logged.
const (
	ruleServiceTTL = 10 * time.Second
	ruleLogEvery   = 30 * time.Second
)

// ruleCache keeps each key's compiled rules, by key ID and rules
// revision, so events are never compiled for. The zero value is ready.
// It uses the wall clock: it is a cache, not domain time.
type ruleCache struct {
	mu sync.RWMutex
	m  map[int64]*keyRules
}

// keyRules are one key's compiled rules with the IDs of the services
// they name.
type keyRules struct {
	revision int64
	rules    *mapping.Rules // nil: the stored rules do not compile (logged)
	services map[string]int64
	resolve  mapping.Resolver
	expires  time.Time // look the service names up again after this

	lastLog atomic.Int64 // unix nanoseconds of the last logged failure
	unseen  atomic.Int64 // failures not logged since
}

func (c *ruleCache) get(ctx context.Context, a *API, key *vigil.IntegrationKey) *keyRules {
	now := time.Now()
	c.mu.RLock()
	kr := c.m[key.ID]
	c.mu.RUnlock()
	if kr != nil && kr.revision == key.RulesRevision && now.Before(kr.expires) {
		return kr
	}
	next := &keyRules{revision: key.RulesRevision, services: map[string]int64{}, expires: now.Add(ruleServiceTTL)}
	if kr != nil && kr.revision == key.RulesRevision {
		next.rules = kr.rules // only the service names are stale
	} else {
		var err error
		if next.rules, err = mapping.Compile(key.Rules); err != nil {
			// Rules are checked when saved; this means they were saved by
			// a version that accepted more. Events go through unmapped.
			a.logger(ctx).WarnContext(ctx, "integration key rules do not compile; events are stored unmapped",
				"integration_key_id", key.ID, "err", err)
		}
	}
	if next.rules != nil {
		for _, name := range next.rules.Services() {
			id, err := a.lookupService(ctx, name)
			if err != nil {
				// Try again soon rather than misroute for the whole TTL.
				next.expires = now.Add(time.Second)
				continue
			}
			if id != 0 {
				next.services[name] = id
			}
		}
	}
	next.resolve = func(name string) (int64, bool) {
		id, ok := next.services[name]
		return id, ok
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) > 10000 {
		c.m = map[int64]*keyRules{}
	}
	c.m[key.ID] = next
	c.mu.Unlock()
	return next
}

// report logs a rule failure unless one of this key's was logged less
// than ruleLogEvery ago.
func (kr *keyRules) report(ctx context.Context, log *slog.Logger, key *vigil.IntegrationKey, e *vigil.Event, err error) {
	now := time.Now().UnixNano()
	last := kr.lastLog.Load()
	if now-last < int64(ruleLogEvery) || !kr.lastLog.CompareAndSwap(last, now) {
		kr.unseen.Add(1)
		return
	}
	msg := "mapping rule failed; the event is stored as decoded"
	var re *mapping.RuleError
	if errors.As(err, &re) && re.Partial {
		msg = "mapping rule names an unknown service; the event stays in its service"
	}
	log.WarnContext(ctx, msg, "integration_key_id", key.ID, "dedup_key", e.DedupKey,
		"err", err, "failures_not_logged", kr.unseen.Swap(0))
}

// lookupService returns the ID of the service named name, or 0.
func (a *API) lookupService(ctx context.Context, name string) (int64, error) {
	list, _, err := a.store.FindServices(ctx, vigil.ServiceFilter{Name: &name, Limit: 1})
	if err != nil || len(list) == 0 {
		return 0, err
	}
	return list[0].ID, nil
}

// serviceResolver looks service names up in the store, once each, for
// one request (the preview). A failed lookup reads as no such service.
func (a *API) serviceResolver(ctx context.Context) mapping.Resolver {
	seen := map[string]int64{}
	return func(name string) (int64, bool) {
		id, ok := seen[name]
		if !ok {
			id, _ = a.lookupService(ctx, name)
			seen[name] = id
		}
		return id, id != 0
	}
}
