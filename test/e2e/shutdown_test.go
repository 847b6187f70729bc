package e2e

import (
	"context"
	"syscall"
	"testing"
	"time"
)

// TestSigtermShutsDownCleanly: SIGTERM lets in-flight work finish, exits 0,
// and the accepted alert is there after a restart.
func TestSigtermShutsDownCleanly(t *testing.T) {
	dir := t.TempDir()
	p := newProc(t, "--data-dir", dir)
	p.start()
	_, key := createServiceAndKey(t, p.url(), "sigterm")
	ctx := context.Background()
	if _, err := apiCall(ctx, "POST", p.url()+"/api/v1/events", key, map[string]any{"summary": "before shutdown", "dedup_key": "term-1"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("vigil exited with %v after SIGTERM; output:\n%s", err, p.out.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("vigil did not exit within 20s of SIGTERM")
	}
	p.start()
	var page struct{ Total int }
	if _, err := apiCall(ctx, "GET", p.url()+"/api/v1/alerts?dedup_key=term-1", adminToken, nil, &page); err != nil {
		t.Fatal(err)
	}
	if page.Total != 1 {
		t.Fatalf("alert accepted before SIGTERM: found %d after restart", page.Total)
	}
}
