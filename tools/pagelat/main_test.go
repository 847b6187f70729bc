package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func TestAnalyze(t *testing.T) {
	t0 := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	tests := []struct {
		name  string
		acks  []ack
		pages []page
		want  stats
	}{
		{name: "nothing", want: stats{}},
		{
			name:  "each paged once",
			acks:  []ack{{1, at(0)}, {2, at(10)}, {3, at(20)}},
			pages: []page{{3, "m3", at(50)}, {1, "m1", at(5)}, {2, "m2", at(30)}},
			want:  stats{Acked: 3, Paged: 3, Latency: latency{N: 3, Min: 5, Mean: 18.33, P50: 20, P90: 30, P99: 30, Max: 30}},
		},
		{
			name:  "a page before its 2xx is a negative latency, not lost",
			acks:  []ack{{1, at(10)}},
			pages: []page{{1, "m1", at(8)}},
			want:  stats{Acked: 1, Paged: 1, Latency: latency{N: 1, Min: -2, Mean: -2, P50: -2, P90: -2, P99: -2, Max: -2}},
		},
		{
			name:  "never paged and paged too late are lost",
			acks:  []ack{{1, at(0)}, {2, at(0)}, {3, at(0)}},
			pages: []page{{2, "m2", at(1001)}, {3, "m3", at(1000)}},
			want:  stats{Acked: 3, Paged: 1, Lost: 2, Latency: latency{N: 1, Min: 1000, Mean: 1000, P50: 1000, P90: 1000, P99: 1000, Max: 1000}},
		},
		{
			name:  "duplicates: the same message again, and a second message",
			acks:  []ack{{1, at(0)}, {2, at(0)}},
			pages: []page{{1, "m1", at(9)}, {1, "m1", at(4)}, {2, "m2", at(6)}, {2, "m2b", at(7)}, {2, "m2c", at(8)}},
			want: stats{Acked: 2, Paged: 2, Duplicates: 2, Redelivered: 1, ExtraPages: 3,
				Latency: latency{N: 2, Min: 4, Mean: 5, P50: 4, P90: 6, P99: 6, Max: 6}},
		},
		{
			name:  "pages of incidents the run did not open",
			acks:  []ack{{1, at(0)}},
			pages: []page{{1, "m1", at(1)}, {7, "m7", at(2)}, {0, "m0", at(3)}},
			want:  stats{Acked: 1, Paged: 1, Unexpected: 2, Latency: latency{N: 1, Min: 1, Mean: 1, P50: 1, P90: 1, P99: 1, Max: 1}},
		},
		{
			name:  "two 2xx for one incident count once, from the first",
			acks:  []ack{{1, at(5)}, {1, at(0)}},
			pages: []page{{1, "m1", at(10)}},
			want:  stats{Acked: 1, Paged: 1, Latency: latency{N: 1, Min: 10, Mean: 10, P50: 10, P90: 10, P99: 10, Max: 10}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := analyze(tt.acks, tt.pages, time.Second); got != tt.want {
				t.Errorf("analyze:\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestPercentile(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	for _, c := range []struct {
		p    float64
		want time.Duration
	}{{50, 50 * time.Millisecond}, {90, 90 * time.Millisecond}, {99, 99 * time.Millisecond}, {100, 100 * time.Millisecond}, {0.1, time.Millisecond}} {
		if got := percentile(d, c.p); got != c.want {
			t.Errorf("p%v of 1..100ms = %s, want %s", c.p, got, c.want)
		}
	}
	if got := percentile(d[:3], 99); got != 3*time.Millisecond {
		t.Errorf("p99 of three = %s", got)
	}
	if got := percentile(nil, 50); got != 0 {
		t.Errorf("p50 of none = %s", got)
	}
	t0 := time.Unix(0, 0)
	if r := pageRate([]page{{At: t0.Add(2 * time.Second)}, {At: t0}, {At: t0.Add(time.Second)}}); r != 1 {
		t.Errorf("page rate of 3 pages over 2s = %v, want 1", r)
	}
	if r := pageRate([]page{{At: t0}}); r != 0 {
		t.Errorf("page rate of one page = %v", r)
	}
	l := summarize([]time.Duration{3 * time.Millisecond, time.Millisecond, 2 * time.Millisecond})
	if l != (latency{N: 3, Min: 1, Mean: 2, P50: 2, P90: 3, P99: 3, Max: 3}) {
		t.Errorf("summarize: %+v", l)
	}
}

func TestOptions(t *testing.T) {
	for _, o := range []options{
		{db: "sqlite", rate: 1, duration: time.Second, timeout: time.Second, concurrency: 1},                          // no binary
		{vigil: "v", db: "mysql", rate: 1, duration: time.Second, timeout: time.Second, concurrency: 1},               // unknown db
		{vigil: "v", db: "sqlite", replicas: 2, rate: 1, duration: time.Second, timeout: time.Second, concurrency: 1}, // replicas on SQLite
		{vigil: "v", db: "postgres", rate: 1, duration: time.Second, timeout: time.Second, concurrency: 1},            // no URL
		{vigil: "v", db: "sqlite", rate: 0, duration: time.Second, timeout: time.Second, concurrency: 1},              // no rate
		{vigil: "v", db: "postgres", databaseURL: "postgres://x", rate: 1, timeout: time.Second, concurrency: 1},      // no duration
	} {
		if err := o.check(); err == nil {
			t.Errorf("%+v accepted", o)
		}
	}
	o := options{vigil: "v", db: "postgres", databaseURL: "postgres://x", rate: 1, duration: time.Second, timeout: time.Second, concurrency: 1}
	if err := o.check(); err != nil || o.replicas != 2 {
		t.Errorf("postgres defaults: %v, %d replicas", err, o.replicas)
	}
}

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// vigilBinary builds cmd/vigil once per test run.
func vigilBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "pagelat-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "vigil")
		out, err := exec.Command("go", "build", "-o", binPath, "github.com/vigil-oss/vigil/cmd/vigil").CombinedOutput()
		if err != nil {
			buildErr = err
			binPath = string(out)
		}
	})
	if buildErr != nil {
		t.Fatalf("go build: %v\n%s", buildErr, binPath)
	}
	return binPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" && buildErr == nil {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// A short low-rate run on each database pages every incident exactly
// once: the tool's plumbing (replicas, setup, matching) works end to end.
func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs vigil")
	}
	cases := []options{{db: "sqlite"}, {db: "postgres", databaseURL: os.Getenv("VIGIL_TEST_DATABASE_URL"), replicas: 2}}
	for _, o := range cases {
		t.Run(o.db, func(t *testing.T) {
			if o.db == "postgres" && o.databaseURL == "" {
				t.Skip("VIGIL_TEST_DATABASE_URL not set; skipping the PostgreSQL 2-replica run")
			}
			bin := vigilBinary(t)
			var progress bytes.Buffer
			o.vigil, o.rate, o.duration, o.timeout, o.settle, o.concurrency = bin, 20, 2*time.Second, 10*time.Second, 500*time.Millisecond, 16
			o.progress = &progress
			o.out = filepath.Join(t.TempDir(), "report.json")
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			rep, err := run(ctx, o)
			t.Log(progress.String())
			if err != nil {
				t.Fatal(err)
			}
			if rep.Acked < 30 || rep.PostFailed != 0 || rep.NotNew != 0 {
				t.Errorf("%d incidents opened of %d posted, %d failed, %d not new: want about 40, all new", rep.Acked, rep.Posted, rep.PostFailed, rep.NotNew)
			}
			if rep.Lost != 0 || rep.Duplicates != 0 || rep.Unexpected != 0 || rep.Paged != rep.Acked {
				t.Errorf("lost %d, duplicates %d, unexpected %d, paged %d of %d", rep.Lost, rep.Duplicates, rep.Unexpected, rep.Paged, rep.Acked)
			}
			if rep.BadSignatures != 0 || rep.BadPayloads != 0 || rep.OtherWebhooks != 0 {
				t.Errorf("bad signatures %d, bad payloads %d, other webhooks %d", rep.BadSignatures, rep.BadPayloads, rep.OtherWebhooks)
			}
			if rep.Latency.N != rep.Paged || rep.Latency.P50 > rep.Latency.P99 || rep.Latency.P99 > rep.Latency.Max {
				t.Errorf("latency summary %+v", rep.Latency)
			}
			if len(rep.ServerErrorLogs) > 0 {
				t.Errorf("errors in the servers' logs: %v", rep.ServerErrorLogs)
			}
			if b, err := os.ReadFile(o.out); err != nil || !bytes.Contains(b, []byte(`"p99"`)) {
				t.Errorf("report file: %v %s", err, b)
			}
		})
	}
}
