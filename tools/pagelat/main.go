// Command pagelat measures page latency: the time from the 2xx answer to
// an alert that opens a new incident to the arrival of that incident's
// first page at the vendor (a webhook contact method, no delays anywhere).
//
// It starts a webhook receiver, starts `vigil serve` replicas (one on a
// fresh SQLite database, or -replicas on a fresh PostgreSQL database it
// creates and drops), sets up a user, policy, service and integration key
// through the API, then posts alerts with distinct dedup keys at -rate per
// second for -duration, spread over the replicas, and reports how many
// were paged, lost (2xx but no page within -timeout) or paged twice, and
// the latency percentiles.
//
//	go build -o /tmp/vigil ./cmd/vigil
//	go run ./tools/pagelat -vigil /tmp/vigil -rate 100 -duration 20s
//	go run ./tools/pagelat -vigil /tmp/vigil -db postgres \
//	    -database-url 'postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable' -rate 1000 -duration 10s -out pg-1000.json
//
// These machines are shared and noisy: compare runs made together.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/vigil-oss/vigil/internal/client"
	"github.com/vigil-oss/vigil/internal/seal"
	"github.com/vigil-oss/vigil/internal/vigil"
)

type options struct {
	vigil       string // the vigil binary
	db          string // sqlite or postgres
	databaseURL string // PostgreSQL server to create the run's database on
	replicas    int
	rate        int
	duration    time.Duration
	timeout     time.Duration // a 2xx without a page for this long is lost
	settle      time.Duration // waited after the last first page, for duplicates
	concurrency int           // posts in flight at most
	out         string        // JSON report file
	progress    io.Writer     // human-readable progress and summary
}

// report is the JSON result of a run.
type report struct {
	Started     time.Time `json:"started"`
	DB          string    `json:"db"`
	Replicas    int       `json:"replicas"`
	TargetRate  int       `json:"target_rate"`
	Duration    string    `json:"duration"`
	Concurrency int       `json:"concurrency"`
	Timeout     string    `json:"timeout"`

	Posted       int     `json:"posted"`        // posts attempted
	PostFailed   int     `json:"post_failed"`   // errors and non-2xx answers
	NotNew       int     `json:"not_new"`       // 2xx answers that did not open an incident
	AchievedRate float64 `json:"achieved_rate"` // 2xx answers per second of sending
	// PageRate is pages per second from the first to the last page: the
	// engine's delivery throughput when it falls behind.
	PageRate    float64 `json:"page_rate"`
	FirstError  string  `json:"first_error,omitempty"`
	PostLatency latency `json:"post_latency_ms"`

	stats
	OtherWebhooks   int      `json:"other_webhooks"` // not pages (none expected)
	BadPayloads     int      `json:"bad_payloads"`
	BadSignatures   int      `json:"bad_signatures"`
	ServerErrorLogs []string `json:"server_error_logs,omitempty"`
}

func main() {
	var o options
	flag.StringVar(&o.vigil, "vigil", "", "path of a built vigil binary (go build -o /tmp/vigil ./cmd/vigil); required")
	flag.StringVar(&o.db, "db", "sqlite", "sqlite or postgres")
	flag.StringVar(&o.databaseURL, "database-url", os.Getenv("VIGIL_TEST_DATABASE_URL"),
		"with -db postgres: a PostgreSQL server URL whose user may create databases; the run creates a fresh database there and drops it (default $VIGIL_TEST_DATABASE_URL)")
	flag.IntVar(&o.replicas, "replicas", 0, "vigil processes sharing the database (default 1 on SQLite, 2 on PostgreSQL)")
	flag.IntVar(&o.rate, "rate", 100, "new alerts (incidents) per second")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "how long to send")
	flag.DurationVar(&o.timeout, "timeout", 60*time.Second, "an alert not paged this long after its 2xx counts as lost")
	flag.DurationVar(&o.settle, "settle", 2*time.Second, "how long to keep listening after every incident was paged, to catch duplicates")
	flag.IntVar(&o.concurrency, "concurrency", 256, "posts in flight at most")
	flag.StringVar(&o.out, "out", "", "write the JSON report to this file")
	flag.Parse()
	o.progress = os.Stdout
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	rep, err := run(ctx, o)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "pagelat:", err)
		os.Exit(1)
	}
	if rep.Lost > 0 || rep.Duplicates > 0 {
		os.Exit(3)
	}
}

func (o *options) check() error {
	if o.vigil == "" {
		return errors.New("-vigil: the path of a vigil binary is required (go build -o /tmp/vigil ./cmd/vigil)")
	}
	switch o.db {
	case "sqlite":
		if o.replicas == 0 {
			o.replicas = 1
		}
		if o.replicas != 1 {
			return errors.New("-replicas: SQLite has one writer; use -db postgres for replicas")
		}
	case "postgres":
		if o.replicas == 0 {
			o.replicas = 2
		}
		if o.databaseURL == "" {
			return errors.New("-db postgres needs -database-url (or VIGIL_TEST_DATABASE_URL)")
		}
	default:
		return fmt.Errorf("-db: sqlite or postgres, not %q", o.db)
	}
	if o.replicas < 1 || o.rate < 1 || o.duration <= 0 || o.timeout <= 0 || o.concurrency < 1 {
		return errors.New("-replicas, -rate, -duration, -timeout and -concurrency must be positive")
	}
	if o.progress == nil {
		o.progress = io.Discard
	}
	return nil
}

// run does one measurement and returns its report (also written to o.out).
func run(ctx context.Context, o options) (*report, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	bin, err := filepath.Abs(o.vigil)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "vigil-pagelat-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)

	token := vigil.NewSecret(vigil.TokenPrefix)
	secret := vigil.NewSecret("whsec_")
	recv, err := newReceiver(secret)
	if err != nil {
		return nil, err
	}
	defer recv.close()

	args := []string{"--ingest-rate-limit", "0", "--log-level", "warn"}
	if o.db == "sqlite" {
		args = append(args, "--data-dir", filepath.Join(dir, "data"))
	} else {
		dbURL, drop, err := createDatabase(ctx, o.databaseURL)
		if err != nil {
			return nil, err
		}
		defer func() {
			if err := drop(); err != nil {
				fmt.Fprintln(o.progress, "pagelat: drop database:", err)
			}
		}()
		args = append(args, "--database-url", dbURL)
	}
	// The page receiver listens on loopback, which contact methods may not
	// reach unless allowed. The replicas share one key for secrets at rest
	// (PostgreSQL requires one).
	env := serverEnv("VIGIL_ADMIN_TOKEN="+token, "VIGIL_WEBHOOK_SECRET="+secret, "VIGIL_OUTBOUND_ALLOW=127.0.0.0/8,::1",
		"VIGIL_SECRET_KEY="+seal.NewKeyText())
	var reps []*replica
	defer func() {
		var wg sync.WaitGroup
		for _, r := range reps {
			wg.Add(1)
			go func() { defer wg.Done(); r.stop() }()
		}
		wg.Wait()
	}()
	// One at a time: the first applies the migrations.
	for i := 0; i < o.replicas; i++ {
		r, err := startReplica(bin, dir, i, args, env)
		if err != nil {
			return nil, err
		}
		reps = append(reps, r)
	}
	clients := make([]*client.Client, len(reps))
	for i, r := range reps {
		clients[i] = client.New(r.url, token)
	}
	key, err := setup(ctx, clients[0], recv.url)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(o.progress, "pagelat: %s, %d replica(s), %d alerts/s for %s\n", o.db, o.replicas, o.rate, o.duration)

	// Warm up: one alert through each replica, paged before measuring, so
	// first connections and caches are not in the figures (and a broken
	// setup fails here, clearly).
	warm := map[int64]bool{}
	for i, c := range clients {
		res, err := c.SendEvent(ctx, key, vigil.Event{Action: vigil.ActionTrigger, DedupKey: fmt.Sprintf("warmup-%d", i),
			Summary: "pagelat warm-up", Severity: vigil.SeverityCritical, Source: "pagelat"})
		if err != nil {
			return nil, fmt.Errorf("warm-up alert: %w", err)
		}
		warm[res.IncidentID] = true
		if err := waitPaged(ctx, recv, []int64{res.IncidentID}, 30*time.Second, 0); err != nil {
			return nil, fmt.Errorf("warm-up alert on replica %d was not paged: %w\n%s", i, err, reps[i].tail())
		}
	}

	rep := &report{Started: time.Now().UTC(), DB: o.db, Replicas: o.replicas, TargetRate: o.rate, Duration: o.duration.String(),
		Concurrency: o.concurrency, Timeout: o.timeout.String()}
	acks, sent := load(ctx, o, clients, key, rep)
	fmt.Fprintf(o.progress, "pagelat: %d posted, %d answered 2xx (%.0f/s), %d failed; waiting for pages\n",
		rep.Posted, len(acks), rep.AchievedRate, rep.PostFailed)

	incidents := make([]int64, len(acks))
	lastAck := sent
	for i, a := range acks {
		incidents[i] = a.Incident
		if a.At.After(lastAck) {
			lastAck = a.At
		}
	}
	if err := waitPaged(ctx, recv, incidents, time.Until(lastAck.Add(o.timeout)), o.settle); err != nil {
		fmt.Fprintln(o.progress, "pagelat:", err)
	}

	pages, other, bad, badSig, firstBadSig := recv.snapshot()
	var measured []page
	for _, p := range pages {
		if !warm[p.Incident] {
			measured = append(measured, p)
		}
	}
	rep.stats = analyze(acks, measured, o.timeout)
	rep.PageRate = pageRate(measured)
	rep.OtherWebhooks, rep.BadPayloads, rep.BadSignatures = other, bad, badSig
	if badSig > 0 && rep.FirstError == "" {
		rep.FirstError = "webhook signature: " + firstBadSig
	}
	for _, r := range reps {
		rep.ServerErrorLogs = append(rep.ServerErrorLogs, r.errorLines()...)
	}
	rep.print(o.progress)
	if o.out != "" {
		b, _ := json.MarshalIndent(rep, "", "  ")
		if err := os.WriteFile(o.out, append(b, '\n'), 0o644); err != nil {
			return rep, err
		}
	}
	return rep, ctx.Err()
}

// load posts o.rate new alerts per second for o.duration, round robin over
// the replicas, and returns the acks and when sending ended.
func load(ctx context.Context, o options, clients []*client.Client, key string, rep *report) ([]ack, time.Time) {
	var (
		mu       sync.Mutex
		acks     []ack
		postLat  []time.Duration
		failed   int
		notNew   int
		firstErr string
		wg       sync.WaitGroup
	)
	sem := make(chan struct{}, o.concurrency)
	runID := time.Now().UnixNano()
	interval := time.Second / time.Duration(o.rate)
	start := time.Now()
	n := int(o.duration / interval)
	posted := 0
loop:
	for i := 0; i < n; i++ {
		if d := time.Until(start.Add(time.Duration(i) * interval)); d > 0 {
			select {
			case <-time.After(d):
			case <-ctx.Done():
				break loop
			}
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			break loop
		}
		posted++
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			c := clients[i%len(clients)]
			ev := vigil.Event{Action: vigil.ActionTrigger, DedupKey: fmt.Sprintf("pl-%d-%07d", runID, i),
				Summary: fmt.Sprintf("pagelat alert %d", i), Severity: vigil.SeverityCritical, Source: "pagelat"}
			t0 := time.Now()
			res, err := c.SendEvent(ctx, key, ev)
			at := time.Now()
			mu.Lock()
			defer mu.Unlock()
			postLat = append(postLat, at.Sub(t0))
			switch {
			case err != nil:
				failed++
				if firstErr == "" {
					firstErr = err.Error()
				}
			case !res.IncidentNew || res.IncidentID == 0:
				notNew++
			default:
				acks = append(acks, ack{Incident: res.IncidentID, At: at})
			}
		}()
	}
	sendEnd := time.Now()
	wg.Wait()
	rep.Posted, rep.PostFailed, rep.NotNew, rep.FirstError = posted, failed, notNew, firstErr
	rep.AchievedRate = float64(len(acks)) / max(sendEnd.Sub(start), o.duration).Seconds()
	rep.PostLatency = summarize(postLat)
	return acks, time.Now()
}

// waitPaged waits until every incident has a page, then settle longer;
// it gives up after timeout.
func waitPaged(ctx context.Context, r *receiver, incidents []int64, timeout, settle time.Duration) error {
	deadline := time.Now().Add(timeout)
	for r.pagedCount(incidents) < len(incidents) {
		if time.Now().After(deadline) {
			return fmt.Errorf("%d of %d incidents not paged after %s", len(incidents)-r.pagedCount(incidents), len(incidents), timeout.Round(time.Millisecond))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(settle):
	}
	return nil
}

func (r *report) print(w io.Writer) {
	l := r.Latency
	fmt.Fprintf(w, "pagelat: %s x%d at %d/s: %d incidents, %d paged, %d lost, %d duplicates (%d redelivered), %d unexpected\n",
		r.DB, r.Replicas, r.TargetRate, r.Acked, r.Paged, r.Lost, r.Duplicates, r.Redelivered, r.Unexpected)
	fmt.Fprintf(w, "pagelat: 2xx -> first page ms: p50 %.1f  p90 %.1f  p99 %.1f  max %.1f  (min %.1f, mean %.1f)\n",
		l.P50, l.P90, l.P99, l.Max, l.Min, l.Mean)
	fmt.Fprintf(w, "pagelat: post latency ms: p50 %.1f  p99 %.1f  max %.1f; achieved %.0f incidents/s, paged %.0f/s\n",
		r.PostLatency.P50, r.PostLatency.P99, r.PostLatency.Max, r.AchievedRate, r.PageRate)
	if r.FirstError != "" {
		fmt.Fprintf(w, "pagelat: first error: %s\n", r.FirstError)
	}
	if n := len(r.ServerErrorLogs); n > 0 {
		fmt.Fprintf(w, "pagelat: %d ERROR lines in the servers' logs, first: %s\n", n, strings.TrimSpace(r.ServerErrorLogs[0]))
	}
}
