// Command loadgen posts native events to Vigil and reports alerts/s and
// request latency, next to a baseline measured in the same run: the same
// load against a trivial handler that only decodes the JSON and answers 202.
// Read the result as a ratio; these machines are shared and noisy.
//
// With no -url it starts Vigil in-process on a fresh SQLite (or
// -database-url) database, creates a service and an integration key, and
// tears it down afterwards:
//
//	go run ./tools/loadgen -concurrency 8 -batch 1 -duration 10s
//	go run ./tools/loadgen -concurrency 4 -batch 100 -duration 10s
//	go run ./tools/loadgen -rate 2000 -duration 10s
//	go run ./tools/loadgen -list -seed 1000000
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/pprof"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigil-oss/vigil/internal/app"
	"github.com/vigil-oss/vigil/internal/vigil"
)

type options struct {
	url, key, token, databaseURL string
	concurrency, batch, rate     int
	duration                     time.Duration
	baseline, list               bool
	seed, listRequests           int
	cpuProfile                   string
	format                       string
	randomKeys                   bool
}

func main() {
	var o options
	flag.StringVar(&o.url, "url", "", "Vigil base URL; empty starts Vigil in-process on a fresh database")
	flag.StringVar(&o.key, "key", "", "integration key (with -url)")
	flag.StringVar(&o.token, "token", "", "admin API token (with -url and -list)")
	flag.StringVar(&o.databaseURL, "database-url", "", "in-process Vigil on this PostgreSQL database instead of SQLite")
	flag.IntVar(&o.concurrency, "concurrency", 8, "concurrent clients")
	flag.IntVar(&o.batch, "batch", 1, "alerts per request (1 sends an object, more sends an array)")
	flag.IntVar(&o.rate, "rate", 0, "target alerts per second (0: as fast as possible)")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "how long to send")
	flag.BoolVar(&o.baseline, "baseline", true, "also measure the trivial-handler baseline")
	flag.BoolVar(&o.list, "list", false, "measure the incident list API instead of ingest")
	flag.IntVar(&o.seed, "seed", 1000000, "with -list: alerts to store first")
	flag.IntVar(&o.listRequests, "list-requests", 500, "with -list: list requests to time")
	flag.StringVar(&o.format, "format", "native", "what to post: native, alertmanager (webhook; -batch alerts per group), prometheus (Alertmanager API v2 as Prometheus posts it), pagerduty (Events v2) or opsgenie (alert create); the last two one per request")
	keys := flag.String("keys", "sequential", "dedup keys of native, PagerDuty, Opsgenie and webhook loads: sequential (each new key sorts after the last) or random (scattered like hashes; Prometheus' fingerprints always are)")
	flag.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the Vigil load phase to this file")
	flag.Parse()
	switch *keys {
	case "sequential":
	case "random":
		o.randomKeys = true
	default:
		fmt.Fprintln(os.Stderr, "loadgen: -keys must be sequential or random")
		os.Exit(2)
	}
	if err := run(context.Background(), o); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) error {
	if o.concurrency < 1 || o.batch < 1 {
		return fmt.Errorf("-concurrency and -batch must be at least 1")
	}
	wf, ok := formats[o.format]
	if !ok {
		return fmt.Errorf("-format: unknown format %q", o.format)
	}
	if (o.format == "pagerduty" || o.format == "opsgenie") && o.batch != 1 {
		return fmt.Errorf("-format %s sends one event per request: use -batch 1", o.format)
	}
	target := o.url
	if target == "" {
		dir, err := os.MkdirTemp("", "vigil-loadgen-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		o.token = vigil.NewSecret(vigil.TokenPrefix)
		a, err := app.New(ctx, app.Config{
			Addr: "127.0.0.1:0", DataDir: dir, DatabaseURL: o.databaseURL, AdminToken: o.token,
			Logger: slog.New(slog.DiscardHandler),
		})
		if err != nil {
			return err
		}
		if err := a.Start(); err != nil {
			return err
		}
		defer a.Shutdown(context.Background())
		target = a.URL()
		grouping := "time"
		if o.list {
			grouping = "none" // one incident per alert: the hardest list
		}
		if o.key, err = setup(target, o.token, grouping); err != nil {
			return err
		}
		store := "SQLite"
		if o.databaseURL != "" {
			store = "PostgreSQL"
		}
		fmt.Printf("vigil in-process on %s at %s\n", store, target)
	}
	if o.list {
		return runList(target, o)
	}
	fmt.Printf("load: %s format, %d clients, %d alerts/request, %s, rate %s, %s keys\n", o.format, o.concurrency, o.batch, o.duration, rateText(o.rate), keyText(o))
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	res := load(target+wf.path, o, wf)
	pprof.StopCPUProfile()
	res.print("vigil")
	if o.baseline {
		base, stop := baselineServer()
		defer stop()
		b := load(base, o, format{write: wf.write, status: http.StatusAccepted})
		b.print("baseline")
		fmt.Printf("ratio      vigil/baseline throughput %.2f, p99 latency %.2fx\n", res.rate/b.rate, float64(res.p99)/float64(b.p99))
	}
	if res.failed > 0 {
		return fmt.Errorf("%d requests failed", res.failed)
	}
	return nil
}

func keyText(o options) string {
	if o.randomKeys || o.format == "prometheus" {
		return "random"
	}
	return "sequential"
}

func rateText(r int) string {
	if r == 0 {
		return "unlimited"
	}
	return fmt.Sprintf("%d alerts/s", r)
}

// setup creates a service and an integration key through the API.
func setup(base, token, grouping string) (string, error) {
	var svc struct{ ID int64 }
	body := fmt.Sprintf(`{"name":"loadgen-%d","grouping":{"mode":%q}}`, time.Now().UnixNano(), grouping)
	if err := call("POST", base+"/api/v1/services", token, body, &svc); err != nil {
		return "", err
	}
	var key struct{ Secret string }
	if err := call("POST", fmt.Sprintf("%s/api/v1/services/%d/integration-keys", base, svc.ID), token, `{"name":"loadgen"}`, &key); err != nil {
		return "", err
	}
	return key.Secret, nil
}

func call(method, url, token, body string, out any) error {
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %d %s", method, url, resp.StatusCode, b)
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

type result struct {
	alerts, requests, failed int64
	elapsed                  time.Duration
	rate                     float64
	p50, p99, max            time.Duration
	firstErr                 string
}

func (r result) print(name string) {
	fmt.Printf("%-10s %9.0f alerts/s  %7d requests  %d failed  p50 %-10s p99 %-10s max %s\n",
		name, r.rate, r.requests, r.failed, r.p50.Round(time.Microsecond), r.p99.Round(time.Microsecond), r.max.Round(time.Microsecond))
	if r.firstErr != "" {
		fmt.Printf("           first failure: %s\n", r.firstErr)
	}
}

var runID = time.Now().UnixNano()

// load sends events for o.duration and measures them.
func load(url string, o options, wf format) result {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: o.concurrency * 2, MaxConnsPerHost: o.concurrency * 2}}
	var (
		seq, alerts, requests, failed atomic.Int64
		firstErr                      atomic.Value
		mu                            sync.Mutex
		lat                           []time.Duration
		wg                            sync.WaitGroup
	)
	// With a rate, a ticker hands out request slots; without one, clients
	// send back to back.
	var slots chan struct{}
	start := time.Now()
	deadline := start.Add(o.duration)
	if o.rate > 0 {
		slots = make(chan struct{}, o.concurrency)
		perReq := time.Duration(float64(time.Second) * float64(o.batch) / float64(o.rate))
		go func() {
			defer close(slots)
			next := time.Now()
			for next.Before(deadline) {
				time.Sleep(time.Until(next))
				slots <- struct{}{}
				next = next.Add(perReq)
			}
		}()
	}
	for c := 0; c < o.concurrency; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			var buf bytes.Buffer
			for time.Now().Before(deadline) {
				if slots != nil {
					if _, ok := <-slots; !ok {
						break
					}
				}
				buf.Reset()
				wf.write(&buf, o.batch, &seq, &o)
				req, _ := http.NewRequest("POST", url, bytes.NewReader(buf.Bytes()))
				req.Header.Set("Authorization", "Bearer "+o.key)
				req.Header.Set("Content-Type", "application/json")
				t0 := time.Now()
				resp, err := client.Do(req)
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != wf.status {
						err = fmt.Errorf("status %d", resp.StatusCode)
					}
				}
				mine = append(mine, time.Since(t0))
				requests.Add(1)
				if err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				alerts.Add(int64(o.batch))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	r := result{alerts: alerts.Load(), requests: requests.Load(), failed: failed.Load(), elapsed: elapsed}
	r.rate = float64(r.alerts) / elapsed.Seconds()
	r.p50, r.p99, r.max = percentiles(lat)
	if e, ok := firstErr.Load().(string); ok {
		r.firstErr = e
	}
	return r
}

// format is one wire format the load generator can post.
type format struct {
	path   string // appended to the base URL
	write  func(buf *bytes.Buffer, n int, seq *atomic.Int64, o *options)
	status int // the success status
}

var formats = map[string]format{
	"native":       {path: "/api/v1/events", write: writeNative, status: http.StatusAccepted},
	"alertmanager": {path: "/api/v1/integrations/alertmanager", write: writeAlertmanager, status: http.StatusOK},
	"prometheus":   {path: "/api/v2/alerts", write: writePrometheus, status: http.StatusOK},
	"pagerduty":    {path: "/v2/enqueue", write: writePagerDuty, status: http.StatusAccepted},
	"opsgenie":     {path: "/v2/alerts", write: writeOpsgenie, status: http.StatusAccepted},
}

// writeOpsgenie writes one Opsgenie alert create (the key goes in the
// Authorization header, which Vigil also takes as a bearer token).
func writeOpsgenie(buf *bytes.Buffer, _ int, seq *atomic.Int64, o *options) {
	id := seq.Add(1)
	fmt.Fprintf(buf, `{"message":"disk usage high on host-%d","alias":%q,"priority":"P3","source":"loadgen",`+
		`"tags":["storage"],"details":{"used_pct":"93"}}`, id%500, o.dedupKey(id))
}

// writeAlertmanager writes one webhook notification: n new alerts of one of
// 50 groups (each group is an incident, as the native load's alerts share
// one by time window).
func writeAlertmanager(buf *bytes.Buffer, n int, seq *atomic.Int64, o *options) {
	group := seq.Load() % 50
	fmt.Fprintf(buf, `{"version":"4","groupKey":"{}:{team=\"storage\",g=\"%d-%d\"}","truncatedAlerts":0,"status":"firing","receiver":"vigil",`+
		`"groupLabels":{"team":"storage"},"commonLabels":{"team":"storage"},"commonAnnotations":{},"externalURL":"http://alertmanager:9093","alerts":[`, runID, group)
	for i := 0; i < n; i++ {
		if i > 0 {
			buf.WriteByte(',')
		}
		id := seq.Add(1)
		fmt.Fprintf(buf, `{"status":"firing","labels":{"alertname":"DiskUsageHigh","host":"host-%d","team":"storage","severity":"warning"},`+
			`"annotations":{"summary":"disk usage high on host-%d"},"startsAt":"2026-11-21T09:00:00Z","endsAt":"0001-01-01T00:00:00Z",`+
			`"generatorURL":"http://prometheus:9090/graph","fingerprint":%q}`, id%500, id%500, o.dedupKey(id))
	}
	buf.WriteString(`]}`)
}

// writePrometheus writes n alerts as Prometheus posts them to
// /api/v2/alerts: distinct label sets, endsAt a few minutes ahead.
func writePrometheus(buf *bytes.Buffer, n int, seq *atomic.Int64, _ *options) {
	ends := time.Now().UTC().Add(10 * time.Minute).Format(time.RFC3339)
	buf.WriteByte('[')
	for i := 0; i < n; i++ {
		if i > 0 {
			buf.WriteByte(',')
		}
		id := seq.Add(1)
		fmt.Fprintf(buf, `{"labels":{"alertname":"DiskUsageHigh","host":"host-%d","run":"%d","seq":"%d","team":"storage","severity":"warning"},`+
			`"annotations":{"summary":"disk usage high on host-%d"},"startsAt":"2026-11-21T09:00:00Z","endsAt":%q,`+
			`"generatorURL":"http://prometheus:9090/graph"}`, id%500, runID, id, id%500, ends)
	}
	buf.WriteByte(']')
}

// writePagerDuty writes one PagerDuty Events v2 trigger.
func writePagerDuty(buf *bytes.Buffer, _ int, seq *atomic.Int64, o *options) {
	id := seq.Add(1)
	fmt.Fprintf(buf, `{"routing_key":%q,"event_action":"trigger","dedup_key":%q,"payload":{"summary":"disk usage high on host-%d",`+
		`"source":"host-%d","severity":"warning","custom_details":{"used_pct":93}}}`, o.key, o.dedupKey(id), id%500, id%500)
}

// writeNative writes one event (batch 1) or an array of distinct events.
func writeNative(buf *bytes.Buffer, n int, seq *atomic.Int64, o *options) {
	writeEvents(buf, n, seq, o)
}

// dedupKey names alert id of this run. Sequential keys land at the end of
// the dedup index; random ones (a mixed hash of the id, unique per id) land
// anywhere in it, as real senders' hashes and fingerprints do, and cost the
// store a page write each.
func (o *options) dedupKey(id int64) string {
	if o.randomKeys {
		x := uint64(id) ^ uint64(runID)
		x = (x ^ x>>30) * 0xbf58476d1ce4e5b9 // splitmix64 finaliser: a bijection
		x = (x ^ x>>27) * 0x94d049bb133111eb
		return fmt.Sprintf("%016x", x^x>>31)
	}
	return fmt.Sprintf("lg-%d-%09d", runID, id)
}

// writeEvents writes one event (batch 1) or an array of distinct events.
func writeEvents(buf *bytes.Buffer, n int, seq *atomic.Int64, o *options) {
	if n > 1 {
		buf.WriteByte('[')
	}
	for i := 0; i < n; i++ {
		if i > 0 {
			buf.WriteByte(',')
		}
		id := seq.Add(1)
		fmt.Fprintf(buf, `{"summary":"disk usage high on host-%d","dedup_key":%q,"severity":"warning","source":"loadgen","labels":{"host":"host-%d","team":"storage"},"details":{"used_pct":93}}`, id%500, o.dedupKey(id), id%500)
	}
	if n > 1 {
		buf.WriteByte(']')
	}
}

func percentiles(d []time.Duration) (p50, p99, max time.Duration) {
	if len(d) == 0 {
		return
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return d[len(d)*50/100], d[min(len(d)-1, len(d)*99/100)], d[len(d)-1]
}

// baselineServer is the trivial handler: decode the JSON body, answer 202.
// It runs on its own listener so it pays the same HTTP costs as Vigil.
func baselineServer() (string, func()) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var v any
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&v); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusAccepted)
		io.WriteString(w, `{"alert_new":true}`)
	})}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String() + "/api/v1/events", func() { srv.Close() }
}

// runList seeds alerts, then times the incident list API.
func runList(base string, o options) error {
	fmt.Printf("seeding %d alerts...\n", o.seed)
	t0 := time.Now()
	const seedBatch = 1000
	url := base + "/api/v1/events"
	client := &http.Client{}
	var seq atomic.Int64
	var buf bytes.Buffer
	for sent := 0; sent < o.seed; sent += seedBatch {
		buf.Reset()
		writeEvents(&buf, min(seedBatch, o.seed-sent), &seq, &o)
		req, _ := http.NewRequest("POST", url, &buf)
		req.Header.Set("Authorization", "Bearer "+o.key)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted {
			return fmt.Errorf("seed: status %d", resp.StatusCode)
		}
	}
	fmt.Printf("seeded in %s\n", time.Since(t0).Round(time.Millisecond))
	queries := []string{
		"/api/v1/incidents",
		"/api/v1/incidents?status=triggered,acknowledged",
		"/api/v1/incidents?q=host-42&limit=20",
		"/api/v1/incidents?severity=warning&offset=1000&limit=50",
	}
	for _, q := range queries {
		var lat []time.Duration
		for i := 0; i < o.listRequests/len(queries); i++ {
			t := time.Now()
			if err := call("GET", base+q, o.token, "", nil); err != nil {
				return err
			}
			lat = append(lat, time.Since(t))
		}
		p50, p99, max := percentiles(lat)
		fmt.Printf("GET %-58s p50 %-10s p99 %-10s max %s\n", q, p50.Round(time.Microsecond), p99.Round(time.Microsecond), max.Round(time.Microsecond))
	}
	return nil
}
