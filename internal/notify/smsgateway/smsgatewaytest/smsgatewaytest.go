// Package smsgatewaytest is a local stand-in for an HTTP SMS gateway: it
// records every request (method, path, decoded query, headers, body) and
// answers with a scripted sequence of replies, 200 by default.
package smsgatewaytest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Reply is how the server answers one request.
type Reply struct {
	Status     int    // 0 means 200
	RetryAfter string // sent as Retry-After when set
	Body       string
	Hang       bool // hold the request until the client gives up or the server closes
	Drop       bool // close the connection without an answer
}

// Request is one recorded request.
type Request struct {
	Method string
	Path   string // decoded
	Query  url.Values
	Header http.Header
	Body   []byte
	Reply  Reply
}

// JSON decodes the body into v.
func (r Request) JSON(v any) error { return json.Unmarshal(r.Body, v) }

// Form decodes a form-encoded body.
func (r Request) Form() (url.Values, error) { return url.ParseQuery(string(r.Body)) }

// Server is a running fake gateway; safe for concurrent use.
type Server struct {
	URL string

	srv  *httptest.Server
	done chan struct{}
	once sync.Once

	mu      sync.Mutex
	script  []Reply
	reqs    []Request
	arrived chan struct{}
}

// New starts a server, closed when t ends.
func New(t testing.TB) *Server {
	t.Helper()
	s := &Server{done: make(chan struct{}), arrived: make(chan struct{})}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	t.Cleanup(s.Close)
	return s
}

// Close stops the server, releasing hanging requests first.
func (s *Server) Close() {
	s.once.Do(func() {
		close(s.done)
		s.srv.Close()
	})
}

// Enqueue adds replies answered in order; after them the fake answers 200.
func (s *Server) Enqueue(replies ...Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.script = append(s.script, replies...)
}

// Requests returns a copy of every request so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.reqs...)
}

// WaitFor waits until at least n requests arrived, or errors after
// timeout.
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
			return nil, fmt.Errorf("smsgatewaytest: %d of %d requests arrived within %s", got, n, timeout)
		}
	}
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rec := Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Header: r.Header.Clone(), Body: body}

	s.mu.Lock()
	var reply Reply
	if len(s.script) > 0 {
		reply, s.script = s.script[0], s.script[1:]
	}
	rec.Reply = reply
	s.reqs = append(s.reqs, rec)
	close(s.arrived)
	s.arrived = make(chan struct{})
	s.mu.Unlock()

	switch {
	case reply.Hang:
		select {
		case <-r.Context().Done():
		case <-s.done:
		}
		return
	case reply.Drop:
		panic(http.ErrAbortHandler) // net/http drops the connection
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
