// Package storetest is the conformance suite of vigil.Store: every backend
// runs the same tests (storetest.Run), each on a fresh database.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// OpenFunc opens a store on a fresh, empty database that uses clock. It
// registers its own cleanup (closing the store) with t.
type OpenFunc func(t *testing.T, clock vigil.Clock) vigil.Store

// Run runs the conformance suite against the stores that open returns.
func Run(t *testing.T, open func(t *testing.T, clock vigil.Clock) vigil.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, open OpenFunc)
	}{
		{"Services", testServices},
		{"ServiceDelete", testServiceDelete},
		{"IntegrationKeys", testIntegrationKeys},
		{"MappingRules", testMappingRules},
		{"APITokens", testAPITokens},
		{"ScopedTokens", testScopedTokens},
		{"TriggerNewAlert", testTriggerNewAlert},
		{"RepeatTrigger", testRepeatTrigger},
		{"AckResolveUnknownKey", testAckResolveUnknownKey},
		{"TriggerAfterResolve", testTriggerAfterResolve},
		{"SameKeyTwoServices", testSameKeyTwoServices},
		{"GroupByTime", testGroupByTime},
		{"GroupByLabels", testGroupByLabels},
		{"GroupNone", testGroupNone},
		{"StormProtection", testStormProtection},
		{"FlapControl", testFlapControl},
		{"AdapterGroupKey", testAdapterGroupKey},
		{"AutoResolve", testAutoResolve},
		{"SeverityRaise", testSeverityRaise},
		{"AcknowledgeEvent", testAcknowledgeEvent},
		{"EventsAtomic", testEventsAtomic},
		{"EventsInvalid", testEventsInvalid},
		{"EventDataDefaults", testEventDataDefaults},
		{"IncidentLifecycle", testIncidentLifecycle},
		{"IncidentNotFound", testIncidentNotFound},
		{"UpdateIncident", testUpdateIncident},
		{"Notes", testNotes},
		{"FindIncidents", testFindIncidents},
		{"PrivateReadPaths", testPrivateReadPaths},
		{"PrivateToggle", testPrivateToggle},
		{"PrivateStatusUpdates", testPrivateStatusUpdates},
		{"PrivateNoiseReport", testPrivateNoiseReport},
		{"StakeholderMembers", testStakeholderMembers},
		{"StakeholderVisibility", testStakeholderVisibility},
		{"FindAlerts", testFindAlerts},
		{"CappedTotals", testCappedTotals},
		{"ConcurrentFirstTrigger", testConcurrentFirstTrigger},
		{"ConcurrentRequestsIsolated", testConcurrentRequestsIsolated},
		{"TimeRoundTrip", testTimeRoundTrip},
		{"PingAndCounts", testPingAndCounts},
		{"IngestRequests", testIngestRequests},
		{"ChangeEvents", testChangeEvents},
		{"IngestRequestPrune", testIngestRequestPrune},
		{"Heartbeats", testHeartbeats},
		{"ProcessEventsRecorded", testProcessEventsRecorded},
		{"AlertExpiry", testAlertExpiry},
		{"AlertExpiryConcurrent", testAlertExpiryConcurrent},
		{"FindFiringAlerts", testFindFiringAlerts},
		{"OnCallConfig", testOnCallConfig},
		{"ManualNotifications", testManualNotifications},
		{"Silences", RunSilences},
		{"Holds", RunHolds},
		{"Stakeholders", RunStakeholders},
		{"Classification", RunClassification},
		{"TriageSettings", RunTriageSettings},
		{"Noise", RunNoise},
		{"IncidentRoles", RunIncidentRoles},
		{"SigningKeys", testSigningKeys},
		{"ContactMethodsByAddress", testContactMethodsByAddress},
		{"Audit", RunAudit},
		{"Accounts", RunAccounts},
		{"Identities", RunIdentities},
		{"IdentityUnlink", RunIdentityUnlink},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, open)
		})
	}
}

// t0 has a microsecond part, so a store that drops it fails round trips.
var t0 = time.Date(2026, 3, 14, 9, 26, 53, 589793000, time.UTC)

// The actors of the suite: a sender's integration key and an operator's
// token used from the CLI.
var (
	integrationActor = vigil.Actor{Kind: vigil.ActorIntegration, ID: 11, Name: "prometheus-key", Source: vigil.SourceIntegration}
	cliActor         = vigil.Actor{Kind: vigil.ActorToken, ID: 7, Name: "ops-token", Source: vigil.SourceCLI}
)

type env struct {
	t     *testing.T
	st    vigil.Store
	clock *vigil.ManualClock
	ctx   context.Context // the operator: an admin token, who sees every incident
	ictx  context.Context // the sender
}

func setup(t *testing.T, open OpenFunc) *env {
	t.Helper()
	clock := vigil.NewManualClock(t0)
	st := open(t, clock)
	ctx := context.Background()
	return &env{t: t, st: st, clock: clock,
		ctx:  vigil.WithViewer(vigil.WithActor(ctx, cliActor), vigil.SystemViewer),
		ictx: vigil.WithActor(ctx, integrationActor),
	}
}

// service creates a service named name, after mod (if any) changed it.
func (e *env) service(name string, mod func(*vigil.Service)) *vigil.Service {
	e.t.Helper()
	s := &vigil.Service{Name: name, AutoResolve: true}
	if mod != nil {
		mod(s)
	}
	if err := e.st.CreateService(e.ctx, s); err != nil {
		e.t.Fatalf("CreateService(%q): %v", name, err)
	}
	return s
}

// send processes events as the sender and fails the test on error.
func (e *env) send(evs ...*vigil.Event) []vigil.EventResult {
	e.t.Helper()
	res, err := e.st.ProcessEvents(e.ictx, evs)
	if err != nil {
		e.t.Fatalf("ProcessEvents: %v", err)
	}
	if len(res) != len(evs) {
		e.t.Fatalf("ProcessEvents: %d results for %d events", len(res), len(evs))
	}
	return res
}

// send1 processes one event and returns its result.
func (e *env) send1(ev *vigil.Event) vigil.EventResult {
	e.t.Helper()
	return e.send(ev)[0]
}

func (e *env) incident(id int64) *vigil.Incident {
	e.t.Helper()
	inc, err := e.st.FindIncidentByID(e.ctx, id)
	if err != nil {
		e.t.Fatalf("FindIncidentByID(%d): %v", id, err)
	}
	return inc
}

func (e *env) alert(id int64) *vigil.Alert {
	e.t.Helper()
	a, err := e.st.FindAlertByID(e.ctx, id)
	if err != nil {
		e.t.Fatalf("FindAlertByID(%d): %v", id, err)
	}
	return a
}

func (e *env) timeline(id int64) []*vigil.TimelineEntry {
	e.t.Helper()
	tl, err := e.st.FindTimeline(e.ctx, id)
	if err != nil {
		e.t.Fatalf("FindTimeline(%d): %v", id, err)
	}
	return tl
}

func (e *env) incidents(f vigil.IncidentFilter) ([]*vigil.Incident, int) {
	e.t.Helper()
	list, total, err := e.st.FindIncidents(e.ctx, f)
	if err != nil {
		e.t.Fatalf("FindIncidents(%+v): %v", f, err)
	}
	return list, total
}

func (e *env) alerts(f vigil.AlertFilter) ([]*vigil.Alert, int) {
	e.t.Helper()
	list, total, err := e.st.FindAlerts(e.ctx, f)
	if err != nil {
		e.t.Fatalf("FindAlerts(%+v): %v", f, err)
	}
	return list, total
}

// trigger, ack and resolve build events as a wire adapter would hand them
// over: normalized, with a dedup key.
func trigger(serviceID int64, key, summary string, sev vigil.Severity) *vigil.Event {
	return &vigil.Event{ServiceID: serviceID, Action: vigil.ActionTrigger, DedupKey: key, Summary: summary, Severity: sev, Source: "test"}
}

func ack(serviceID int64, key string) *vigil.Event {
	return &vigil.Event{ServiceID: serviceID, Action: vigil.ActionAcknowledge, DedupKey: key, Severity: vigil.SeverityError}
}

func resolve(serviceID int64, key string) *vigil.Event {
	return &vigil.Event{ServiceID: serviceID, Action: vigil.ActionResolve, DedupKey: key, Severity: vigil.SeverityError}
}

// wantCode fails unless err is a *vigil.Error with code (and field, when
// given).
func wantCode(t *testing.T, err error, code string, field ...string) {
	t.Helper()
	var ve *vigil.Error
	if !errors.As(err, &ve) {
		t.Fatalf("error = %v (%T), want a *vigil.Error with code %q", err, err, code)
	}
	if ve.Code != code {
		t.Fatalf("error code = %q (%v), want %q", ve.Code, err, code)
	}
	if len(field) > 0 && ve.Field != field[0] {
		t.Fatalf("error field = %q (%v), want %q", ve.Field, err, field[0])
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func kinds(tl []*vigil.TimelineEntry) []string {
	var k []string
	for _, e := range tl {
		k = append(k, e.Kind)
	}
	return k
}

// TestDatabaseEnv names the environment variable with the admin URL of a
// PostgreSQL server for tests, e.g.
// postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable.
const TestDatabaseEnv = "VIGIL_TEST_DATABASE_URL"

// NewPostgresURL creates a fresh, uniquely named database on the server of
// VIGIL_TEST_DATABASE_URL, drops it when the test ends and returns its URL.
// It skips the test when the variable is not set.
func NewPostgresURL(t testing.TB) string {
	t.Helper()
	return newPostgresURL(t, "")
}

// newPostgresURL is NewPostgresURL; a template names the database the new
// one is a copy of.
func newPostgresURL(t testing.TB, template string) string {
	t.Helper()
	admin := os.Getenv(TestDatabaseEnv)
	if admin == "" {
		t.Skip(TestDatabaseEnv + " not set; skipping PostgreSQL")
	}
	name, u, err := createDatabase(admin, "vigil_test_", template)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { adminExec(t, admin, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)") })
	return u
}

// createDatabase creates a database named prefix and random hex digits,
// a copy of template unless that is empty, and returns its name and URL.
func createDatabase(admin, prefix, template string) (name, dbURL string, err error) {
	u, err := url.Parse(admin)
	if err != nil {
		return "", "", fmt.Errorf("%s: %v", TestDatabaseEnv, err)
	}
	var b [8]byte
	rand.Read(b[:])
	name = prefix + hex.EncodeToString(b[:])
	stmt := "CREATE DATABASE " + name
	if template != "" {
		stmt += " TEMPLATE " + template
	}
	if err := adminExecErr(admin, stmt); err != nil {
		return "", "", err
	}
	u.Path = "/" + name
	return name, u.String(), nil
}

var pgTemplate struct {
	once sync.Once
	name string
	err  error
}

// NewMigratedPostgresURL is NewPostgresURL, but the new database is not
// empty of tables: it is a copy (CREATE DATABASE ... TEMPLATE) of a
// migrated database without rows, which open made once per test process by
// opening a store on it (store.Open applies the migrations) and closing it
// again. Every caller must pass an equivalent open, and the package's
// TestMain must be Main, which drops the template when the tests are done.
func NewMigratedPostgresURL(t testing.TB, open func(url string) (io.Closer, error)) string {
	t.Helper()
	admin := os.Getenv(TestDatabaseEnv)
	if admin == "" {
		t.Skip(TestDatabaseEnv + " not set; skipping PostgreSQL")
	}
	tmpl := &pgTemplate
	tmpl.once.Do(func() {
		name, u, err := createDatabase(admin, "vigil_template_", "")
		if err != nil {
			tmpl.err = err
			return
		}
		tmpl.name = name // dropped by DropPostgresTemplate even if migrating fails
		db, err := open(u)
		if err == nil {
			err = db.Close()
		}
		tmpl.err = err
	})
	if tmpl.err != nil {
		t.Fatalf("build the PostgreSQL template database: %v", tmpl.err)
	}
	return newPostgresURL(t, tmpl.name)
}

// Main runs the tests of a package that calls NewMigratedPostgresURL, then
// drops the template database: its TestMain calls Main(m).
func Main(m *testing.M) {
	code := m.Run()
	if err := dropPostgresTemplate(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	os.Exit(code)
}

// dropPostgresTemplate drops the database NewMigratedPostgresURL copies, if
// it made one.
func dropPostgresTemplate() error {
	if pgTemplate.name == "" {
		return nil
	}
	return adminExecErr(os.Getenv(TestDatabaseEnv), "DROP DATABASE IF EXISTS "+pgTemplate.name+" WITH (FORCE)")
}

func adminExec(t testing.TB, admin, stmt string) {
	t.Helper()
	if err := adminExecErr(admin, stmt); err != nil {
		t.Fatal(err)
	}
}

func adminExecErr(admin, stmt string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, admin)
	if err != nil {
		return fmt.Errorf("connect to %s: %v", TestDatabaseEnv, err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, stmt); err != nil {
		return fmt.Errorf("%s: %v", stmt, err)
	}
	return nil
}
