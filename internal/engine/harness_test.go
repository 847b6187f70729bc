package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/notify"
	"github.com/vigil-oss/vigil/internal/store"
	"github.com/vigil-oss/vigil/internal/storetest"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// The engine's tests run the real store (SQLite always, PostgreSQL when
// VIGIL_TEST_DATABASE_URL is set) on a manual clock, with a recording
// sender in place of the vendors: time moves by hand and cycles run on
// demand, so a 15-minute escalation takes milliseconds.

var t0 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC) // a Monday

type backend struct {
	name string
	// open returns a fresh database and, for PostgreSQL, its URL.
	open func(t testing.TB, clock vigil.Clock) (*store.DB, string)
}

func backends() []backend {
	list := []backend{{"sqlite", func(t testing.TB, clock vigil.Clock) (*store.DB, string) {
		dir := storetest.SQLiteDir(t, func(dir string) (io.Closer, error) {
			return store.Open(context.Background(), store.Config{DataDir: dir})
		})
		db, err := store.Open(context.Background(), store.Config{DataDir: dir, Clock: clock})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db, ""
	}}}
	list = append(list, backend{"postgres", func(t testing.TB, clock vigil.Clock) (*store.DB, string) {
		url := storetest.NewMigratedPostgresURL(t, func(url string) (io.Closer, error) { // skips without the variable
			return store.Open(context.Background(), store.Config{URL: url})
		})
		db, err := store.Open(context.Background(), store.Config{URL: url, Clock: clock})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db, url
	}})
	return list
}

// TestMain drops the template database of the PostgreSQL backend.
func TestMain(m *testing.M) { storetest.Main(m) }

// eachBackend runs fn once per backend as a subtest.
func eachBackend(t *testing.T, fn func(t *testing.T, h *harness)) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			clock := vigil.NewManualClock(t0)
			st, _ := b.open(t, clock)
			h := &harness{t: t, clock: clock, st: st, rec: &recorder{fail: map[string][]error{}},
				ctx: vigil.WithActor(context.Background(), vigil.Actor{Kind: vigil.ActorToken, ID: 1, Name: "ops", Source: vigil.SourceCLI})}
			h.eng = h.engine("replica-a")
			fn(t, h)
		})
	}
}

type harness struct {
	t     testing.TB
	clock *vigil.ManualClock
	st    *store.DB
	eng   *Engine
	rec   *recorder
	ctx   context.Context
}

func (h *harness) engine(replica string) *Engine {
	return New(Config{Store: h.st, Sender: h.rec, Clock: h.clock, Replica: replica, Jitter: func() float64 { return 0.5 }})
}

// delivery is one message the recorder accepted.
type delivery struct {
	to  string
	msg notify.Message
	at  time.Time
}

// recorder is the fake vendor: it records accepted messages and fails
// addresses by script (one scripted error per attempt, in order).
type recorder struct {
	mu    sync.Mutex
	clock *vigil.ManualClock
	got   []delivery
	tries int
	fail  map[string][]error
}

func (r *recorder) Send(ctx context.Context, to notify.Destination, m notify.Message) (notify.Receipt, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.tries++
	if errs := r.fail[to.Address]; len(errs) > 0 {
		r.fail[to.Address] = errs[1:]
		return notify.Receipt{}, errs[0]
	}
	var at time.Time
	if r.clock != nil {
		at = r.clock.Now()
	}
	r.got = append(r.got, delivery{to: to.Address, msg: m, at: at})
	return notify.Receipt{ProviderID: fmt.Sprint(len(r.got))}, nil
}

func (r *recorder) deliveries() []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]delivery(nil), r.got...)
}

// to lists "kind:address" of the deliveries since index from.
func (r *recorder) since(from int) []string {
	var out []string
	for _, d := range r.deliveries()[from:] {
		out = append(out, d.msg.Kind+":"+d.to)
	}
	return out
}

func (h *harness) cycle() Stats {
	h.t.Helper()
	st, err := h.eng.Cycle(context.Background())
	if err != nil {
		h.t.Fatalf("Cycle: %v", err)
	}
	return st
}

func (h *harness) advance(d time.Duration) { h.clock.Advance(d) }

// user creates a user with one webhook contact method at "hook://<name>".
func (h *harness) user(name string) *vigil.User {
	h.t.Helper()
	u := &vigil.User{Name: name, Email: strings.ToLower(name) + "@example.com"}
	if err := h.st.CreateUser(h.ctx, u); err != nil {
		h.t.Fatal(err)
	}
	h.contact(u, vigil.ContactWebhook, "https://hooks.example/"+strings.ToLower(name))
	return u
}

func (h *harness) contact(u *vigil.User, typ, addr string) *vigil.ContactMethod {
	h.t.Helper()
	m := &vigil.ContactMethod{UserID: u.ID, Type: typ, Address: addr}
	if err := h.st.CreateContactMethod(h.ctx, m); err != nil {
		h.t.Fatal(err)
	}
	return m
}

func addr(name string) string { return "https://hooks.example/" + strings.ToLower(name) }

// policyService creates a policy of steps and a service using it.
func (h *harness) policyService(name string, repeat int, steps ...vigil.EscalationStep) (*vigil.Service, *vigil.EscalationPolicy) {
	h.t.Helper()
	p := &vigil.EscalationPolicy{Name: name, Repeat: repeat, Steps: steps}
	if err := h.st.CreateEscalationPolicy(h.ctx, p); err != nil {
		h.t.Fatal(err)
	}
	s := &vigil.Service{Name: name, AutoResolve: true, EscalationPolicyID: p.ID, Grouping: vigil.GroupingRule{Mode: vigil.GroupNone, Storm: &vigil.StormLimit{}}}
	if err := h.st.CreateService(h.ctx, s); err != nil {
		h.t.Fatal(err)
	}
	return s, p
}

func step(delay time.Duration, targets ...vigil.Target) vigil.EscalationStep {
	return vigil.EscalationStep{Delay: vigil.Duration(delay), Targets: targets}
}

func userT(u *vigil.User) vigil.Target { return vigil.Target{Type: vigil.TargetUser, ID: u.ID} }

// trigger opens an incident on s through the ingest path.
func (h *harness) trigger(s *vigil.Service, key string, sev vigil.Severity) int64 {
	h.t.Helper()
	ctx := vigil.WithActor(context.Background(), vigil.Actor{Kind: vigil.ActorIntegration, ID: 1, Name: "prom", Source: vigil.SourceIntegration})
	res, err := h.st.ProcessEvents(ctx, []*vigil.Event{{ServiceID: s.ID, Action: vigil.ActionTrigger, DedupKey: key, Summary: "disk full " + key, Severity: sev}})
	if err != nil {
		h.t.Fatal(err)
	}
	if !res[0].IncidentNew {
		h.t.Fatalf("trigger %s: no new incident", key)
	}
	return res[0].IncidentID
}

// timeline returns the incident's timeline messages joined by newlines.
func (h *harness) timeline(id int64) string {
	h.t.Helper()
	entries, err := h.st.FindTimeline(h.ctx, id)
	if err != nil {
		h.t.Fatal(err)
	}
	var b strings.Builder
	for _, e := range entries {
		b.WriteString(e.Message)
		b.WriteByte('\n')
	}
	return b.String()
}

func (h *harness) notifications(incidentID int64) []*vigil.Notification {
	h.t.Helper()
	list, err := h.st.FindNotifications(h.ctx, vigil.NotificationFilter{IncidentID: &incidentID})
	if err != nil {
		h.t.Fatal(err)
	}
	return list
}

// Errors a vendor returns.
var (
	errDown      = errors.New("connection refused")
	err503       = errors.New("503 service unavailable")
	errForbidden = notify.Permanent(errors.New("403 forbidden: bad token"))
)
