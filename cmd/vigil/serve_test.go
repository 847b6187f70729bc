package main

import (
	"bytes"
	"context"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer lets the test read what a running command writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func getenvFrom(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestVersion(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"version"}, getenvFrom(nil), nil, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if !strings.HasPrefix(out.String(), "vigil ") {
		t.Fatalf("unexpected version output %q", out.String())
	}
}

// TestServeAdminTokenAndShutdown mints a token offline, starts the server on
// that database, uses the token, and stops the server by cancelling its
// context (what SIGTERM does in main).
func TestServeAdminTokenAndShutdown(t *testing.T) {
	dir := t.TempDir()
	var tokOut, errOut bytes.Buffer
	if code := run(context.Background(), []string{"admin", "token", "create", "--data-dir", dir, "--name", "ci"}, getenvFrom(nil), nil, &tokOut, &errOut); code != 0 {
		t.Fatalf("admin token create: exit %d: %s", code, errOut.String())
	}
	token := strings.TrimSpace(tokOut.String())
	if !strings.HasPrefix(token, "vgt_") {
		t.Fatalf("minted token %q lacks its prefix", token)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &lockedBuffer{}
	exit := make(chan int, 1)
	env := getenvFrom(map[string]string{"VIGIL_DATA_DIR": dir, "VIGIL_ADDR": "127.0.0.1:0", "VIGIL_LOG_LEVEL": "warn"})
	go func() { exit <- run(ctx, []string{"serve"}, env, nil, out, out) }()

	urlRe := regexp.MustCompile(`Web UI: (http://\S+?)/?\n`)
	var base string
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline) && base == ""; time.Sleep(10 * time.Millisecond) {
		if m := urlRe.FindStringSubmatch(out.String()); m != nil {
			base = m[1]
		}
	}
	if base == "" {
		t.Fatalf("serve never printed the web UI's URL; output:\n%s", out.String())
	}
	if strings.Contains(out.String(), "First start") {
		t.Error("a token already existed, so serve must not create another")
	}

	req, _ := http.NewRequest("GET", base+"/api/v1/services", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET /api/v1/services with the minted token: %d", resp.StatusCode)
	}

	cancel()
	select {
	case code := <-exit:
		if code != 0 {
			t.Fatalf("serve exited %d after shutdown; output:\n%s", code, out.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop after its context was cancelled")
	}
}

func TestServeGeneratesAdminTokenOnFirstStart(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &lockedBuffer{}
	exit := make(chan int, 1)
	go func() {
		exit <- run(ctx, []string{"serve", "--data-dir", t.TempDir(), "--addr", "127.0.0.1:0"}, getenvFrom(nil), nil, out, &lockedBuffer{})
	}()
	tokRe := regexp.MustCompile(`(vgt_[a-z0-9]+)`)
	var token string
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline) && token == ""; time.Sleep(10 * time.Millisecond) {
		if m := tokRe.FindStringSubmatch(out.String()); m != nil && strings.Contains(out.String(), "Web UI") {
			token = m[1]
		}
	}
	if token == "" {
		t.Fatalf("no generated token printed; output:\n%s", out.String())
	}
	cancel()
	if code := <-exit; code != 0 {
		t.Fatalf("exit %d", code)
	}
}

func TestServeRefusesBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--ingest-rate-limit", "lots"},
		{"--engine-lease", "5s"}, // shorter than a send may take
		{"--engine-lease", "soon"},
		{"--action-link-ttl", "10s"},
	} {
		var out, errOut bytes.Buffer
		code := run(context.Background(), append([]string{"serve", "--data-dir", t.TempDir()}, args...), getenvFrom(nil), nil, &out, &errOut)
		if code == 0 || !strings.Contains(errOut.String(), args[0]) {
			t.Errorf("%v: exit %d, stderr %q: want a refusal naming the flag", args, code, errOut.String())
		}
	}
}
