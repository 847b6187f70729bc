// Package webhooktest is a local receiver of Vigil webhooks for tests: it
// records every request, checks signatures, and answers with a scripted
// sequence of replies (statuses, Retry-After, hangs, dropped connections).
package webhooktest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/notify/webhook"
)

// Reply is how the server answers one request.
type Reply struct {
	// Status is the HTTP status; 0 means 200.
	Status int
	// RetryAfter, when set, is sent as the Retry-After header (seconds or
	// an HTTP date).
	RetryAfter string
	// Body is the response body.
	Body string
	// Hang holds the request open until the client gives up (its context
	// ends) or the server closes: the "vendor never answers" case.
	Hang bool
	// Drop closes the connection without any answer.
	Drop bool
}

// Request is one recorded request.
type Request struct {
	Method string
	Path   string
	Header http.Header
	Body   []byte
	// Payload is Body decoded; PayloadErr says why it could not be.
	Payload    webhook.Payload
	PayloadErr error
	// SignatureErr is webhook.Verify's verdict with the server's secret
	// at arrival time (nil when it verified; always set when the server
	// has no secret). Use VerifyAt for a test with a fake clock.
	SignatureErr error
	Received     time.Time
	// Reply is what the server answered.
	Reply Reply
}

// VerifyAt checks the request's signature with secret as of now.
func (r Request) VerifyAt(secret string, now time.Time) error {
	return webhook.Verify(secret, r.Header, r.Body, now, webhook.DefaultTolerance)
}

// Server is a running fake receiver. Its methods are safe for concurrent
// use.
type Server struct {
	// URL is the base URL; any path under it is accepted.
	URL string

	srv    *httptest.Server
	secret string
	done   chan struct{}
	once   sync.Once

	mu       sync.Mutex
	script   []Reply
	fallback Reply
	reqs     []Request
	arrived  chan struct{} // closed and replaced on every request
}

// New starts a server that verifies signatures with secret ("" to skip)
// and answers 200 until told otherwise. It is closed when t ends.
func New(t testing.TB, secret string) *Server {
	t.Helper()
	s := &Server{secret: secret, done: make(chan struct{}), arrived: make(chan struct{})}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	t.Cleanup(s.Close)
	return s
}

// Close stops the server, releasing any hanging requests first (so the
// httptest wait for outstanding requests ends).
func (s *Server) Close() {
	s.once.Do(func() {
		close(s.done)
		s.srv.Close()
	})
}

// Enqueue adds replies answered in order, one per request; after them the
// default reply (SetDefault) is used.
func (s *Server) Enqueue(replies ...Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.script = append(s.script, replies...)
}

// SetDefault sets the reply used when the queue is empty.
func (s *Server) SetDefault(r Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fallback = r
}

// Requests returns a copy of every request so far, in arrival order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.reqs...)
}

// ByMessageID groups the requests by their Vigil-Message-Id header, so a
// test can see retries of one message together.
func (s *Server) ByMessageID() map[string][]Request {
	out := map[string][]Request{}
	for _, r := range s.Requests() {
		id := r.Header.Get(webhook.HeaderMessageID)
		out[id] = append(out[id], r)
	}
	return out
}

// WaitFor waits until at least n requests arrived and returns them, or
// returns an error after timeout.
func (s *Server) WaitFor(n int, timeout time.Duration) ([]Request, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		if len(s.reqs) >= n {
			out := append([]Request(nil), s.reqs...)
			s.mu.Unlock()
			return out, nil
		}
		ch, got := s.arrived, len(s.reqs)
		s.mu.Unlock()
		select {
		case <-ch:
		case <-deadline.C:
			return nil, fmt.Errorf("webhooktest: %d of %d requests arrived within %s", got, n, timeout)
		}
	}
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rec := Request{
		Method:   r.Method,
		Path:     r.URL.Path,
		Header:   r.Header.Clone(),
		Body:     body,
		Received: time.Now(),
	}
	rec.PayloadErr = json.Unmarshal(body, &rec.Payload)
	if s.secret == "" {
		rec.SignatureErr = webhook.ErrNoSecret
	} else {
		rec.SignatureErr = webhook.Verify(s.secret, r.Header, body, rec.Received, webhook.DefaultTolerance)
	}

	s.mu.Lock()
	reply := s.fallback
	if len(s.script) > 0 {
		reply, s.script = s.script[0], s.script[1:]
	}
	rec.Reply = reply
	s.reqs = append(s.reqs, rec)
	close(s.arrived)
	s.arrived = make(chan struct{})
	s.mu.Unlock()

	answer(w, r, reply, s.done)
}

// answer writes reply to w; done ends a hang early.
func answer(w http.ResponseWriter, r *http.Request, reply Reply, done <-chan struct{}) {
	switch {
	case reply.Hang:
		select {
		case <-r.Context().Done():
		case <-done:
		}
		return
	case reply.Drop:
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
				return
			}
		}
		panic(http.ErrAbortHandler) // makes net/http drop the connection
	}
	if reply.RetryAfter != "" {
		w.Header().Set("Retry-After", reply.RetryAfter)
	}
	status := reply.Status
	if status == 0 {
		status = http.StatusOK
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(reply.Body)))
	w.WriteHeader(status)
	_, _ = io.WriteString(w, reply.Body)
}

// ClosedURL returns an http URL on 127.0.0.1 where nothing listens, for
// the "connection refused" case.
func ClosedURL(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("webhooktest: %v", err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		t.Fatalf("webhooktest: %v", err)
	}
	return "http://" + addr + "/"
}
