package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// These tests run the real vigil binary as separate processes, so they can
// kill -9 it and run two replicas side by side.

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// vigilBinary builds cmd/vigil once per test run.
func vigilBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "vigil-e2e-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "vigil")
		out, err := exec.Command("go", "build", "-o", binPath, "github.com/vigil-oss/vigil/cmd/vigil").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// proc is one `vigil serve` process.
type proc struct {
	t    *testing.T
	args []string
	env  []string
	addr string
	cmd  *exec.Cmd
	out  *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

const adminToken = "vgt_e2e_admin_token_0123456789"

func newProc(t *testing.T, dbArgs ...string) *proc {
	addr := freeAddr(t)
	p := &proc{
		t:    t,
		addr: addr,
		args: append([]string{"serve", "--addr", addr, "--log-level", "warn"}, dbArgs...),
		// The vendor fakes listen on loopback, which contact methods may
		// not reach unless allowed.
		env: append(os.Environ(), "VIGIL_ADMIN_TOKEN="+adminToken, "VIGIL_OUTBOUND_ALLOW=127.0.0.0/8,::1",
			"VIGIL_SECRET_KEY="+e2eSecretKey),
		out: &syncBuffer{},
	}
	t.Cleanup(p.kill)
	return p
}

func (p *proc) url() string { return "http://" + p.addr }

// start launches the process and waits until /readyz answers 200.
func (p *proc) start() {
	p.t.Helper()
	p.cmd = exec.Command(vigilBinary(p.t), p.args...)
	p.cmd.Env = p.env
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(p.url() + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.t.Fatalf("vigil did not become ready; output:\n%s", p.out.String())
}

// kill sends SIGKILL and reaps the process.
func (p *proc) kill() {
	if p.cmd != nil && p.cmd.Process != nil && p.cmd.ProcessState == nil {
		p.cmd.Process.Kill()
		p.cmd.Wait()
	}
}

// apiCall makes a JSON request and decodes the answer into out.
func apiCall(ctx context.Context, method, url, bearer string, body any, out any) (int, error) {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, r)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+bearer)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, err
	}
	if resp.StatusCode >= 300 {
		return resp.StatusCode, fmt.Errorf("%s %s: %d %s", method, url, resp.StatusCode, strings.TrimSpace(string(b)))
	}
	if out != nil {
		return resp.StatusCode, json.Unmarshal(b, out)
	}
	return resp.StatusCode, nil
}

// createServiceAndKey sets up a service with one integration key.
func createServiceAndKey(t *testing.T, base, name string) (serviceID int64, key string) {
	t.Helper()
	ctx := context.Background()
	var svc struct{ ID int64 }
	if _, err := apiCall(ctx, "POST", base+"/api/v1/services", adminToken, map[string]any{"name": name}, &svc); err != nil {
		t.Fatal(err)
	}
	var k struct{ Secret string }
	if _, err := apiCall(ctx, "POST", fmt.Sprintf("%s/api/v1/services/%d/integration-keys", base, svc.ID), adminToken, map[string]any{"name": "e2e"}, &k); err != nil {
		t.Fatal(err)
	}
	if k.Secret == "" {
		t.Fatal("integration key secret missing from create answer")
	}
	return svc.ID, k.Secret
}

// e2eSecretKey encrypts secrets at rest in every process the tests start,
// so replicas on one PostgreSQL share it as production ones must.
const e2eSecretKey = "ZTJlLXNlY3JldC1rZXktb2YtdmlnaWwtcHJvY2VzcyE="
