package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/vigil-oss/vigil/internal/client"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// replica is one `vigil serve` process.
type replica struct {
	url  string
	cmd  *exec.Cmd
	log  string // path of its output
	done chan struct{}
	err  error // of Wait, once done is closed
}

// startReplica runs `vigil serve` on a free port and waits for /readyz.
func startReplica(bin, dir string, n int, args, env []string) (*replica, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	logPath := filepath.Join(dir, fmt.Sprintf("vigil-%d.log", n))
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	r := &replica{url: "http://" + addr, log: logPath, done: make(chan struct{})}
	r.cmd = exec.Command(bin, append([]string{"serve", "--addr", addr}, args...)...)
	r.cmd.Env = env
	r.cmd.Stdout, r.cmd.Stderr = logFile, logFile
	if err := r.cmd.Start(); err != nil {
		logFile.Close()
		return nil, err
	}
	go func() {
		r.err = r.cmd.Wait()
		logFile.Close()
		close(r.done)
	}()
	deadline := time.Now().Add(60 * time.Second)
	hc := &http.Client{Timeout: 2 * time.Second}
	for time.Now().Before(deadline) {
		select {
		case <-r.done:
			return nil, fmt.Errorf("vigil replica %d exited (%v):\n%s", n, r.err, r.tail())
		default:
		}
		if resp, err := hc.Get(r.url + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return r, nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	r.stop()
	return nil, fmt.Errorf("vigil replica %d not ready within 60s:\n%s", n, r.tail())
}

// stop ends the process: SIGTERM, then SIGKILL after 15 seconds.
func (r *replica) stop() {
	select {
	case <-r.done:
		return
	default:
	}
	_ = r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-r.done:
	case <-time.After(15 * time.Second):
		_ = r.cmd.Process.Kill()
		<-r.done
	}
}

// tail is the end of the replica's output, for error messages.
func (r *replica) tail() string {
	b, _ := os.ReadFile(r.log)
	const keep = 4000
	if len(b) > keep {
		b = b[len(b)-keep:]
	}
	return string(bytes.TrimSpace(b))
}

// errorLines returns the replica's log lines at level ERROR.
func (r *replica) errorLines() []string {
	b, _ := os.ReadFile(r.log)
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, "level=ERROR") {
			out = append(out, l)
		}
	}
	return out
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// serverEnv is the replicas' environment: this process's without any
// VIGIL_ setting (so the caller's shell cannot change the run), plus ours.
func serverEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "VIGIL_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// createDatabase makes a fresh database on the server of adminURL and
// returns its URL and a function that drops it.
func createDatabase(ctx context.Context, adminURL string) (string, func() error, error) {
	u, err := url.Parse(adminURL)
	if err != nil {
		return "", nil, fmt.Errorf("-database-url: %w", err)
	}
	var b [6]byte
	rand.Read(b[:])
	name := "vigil_pagelat_" + hex.EncodeToString(b[:])
	if err := adminExec(ctx, adminURL, "CREATE DATABASE "+name); err != nil {
		return "", nil, err
	}
	u.Path = "/" + name
	drop := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		return adminExec(ctx, adminURL, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	}
	return u.String(), drop, nil
}

func adminExec(ctx context.Context, adminURL, stmt string) error {
	c, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return fmt.Errorf("connect to -database-url: %w", err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, stmt); err != nil {
		return fmt.Errorf("%s: %w", stmt, err)
	}
	return nil
}

// setup creates, through the API, a user whose one contact method is a
// webhook to hookURL (with a rule at delay 0), a policy whose first step
// pages that user at once, a service on that policy that opens an
// incident per alert, and an integration key of the service.
func setup(ctx context.Context, c *client.Client, hookURL string) (key string, err error) {
	suffix := fmt.Sprint(time.Now().UnixNano())
	u, err := c.CreateUser(ctx, client.UserInput{Name: "Pagelat " + suffix, Email: "pagelat-" + suffix + "@example.com"})
	if err != nil {
		return "", fmt.Errorf("create user: %w", err)
	}
	m, err := c.CreateContactMethod(ctx, u.ID, client.ContactMethodCreate{Type: vigil.ContactWebhook, Address: hookURL})
	if err != nil {
		return "", fmt.Errorf("create contact method: %w", err)
	}
	if _, err := c.CreateNotificationRule(ctx, u.ID, client.NotificationRuleCreate{ContactMethodID: m.ID, Delay: 0}); err != nil {
		return "", fmt.Errorf("create notification rule: %w", err)
	}
	p, err := c.CreateEscalationPolicy(ctx, client.EscalationPolicyInput{
		Name:  "pagelat " + suffix,
		Steps: []vigil.EscalationStep{{Delay: 0, Targets: []vigil.Target{{Type: vigil.TargetUser, ID: u.ID}}}},
	})
	if err != nil {
		return "", fmt.Errorf("create escalation policy: %w", err)
	}
	// One incident per alert, and no storm protection: every alert must page.
	svc, err := c.CreateService(ctx, client.ServiceCreate{Name: "pagelat " + suffix,
		Grouping: vigil.GroupingRule{Mode: vigil.GroupNone, Storm: &vigil.StormLimit{}}})
	if err != nil {
		return "", fmt.Errorf("create service: %w", err)
	}
	if _, err := c.UpdateService(ctx, svc.ID, vigil.ServiceUpdate{EscalationPolicyID: &p.ID}); err != nil {
		return "", fmt.Errorf("set the service's policy: %w", err)
	}
	k, err := c.CreateIntegrationKey(ctx, svc.ID, "pagelat")
	if err != nil {
		return "", fmt.Errorf("create integration key: %w", err)
	}
	if k.Secret == "" {
		return "", errors.New("create integration key: no secret in the answer")
	}
	return k.Secret, nil
}
