// Package teamstest is a local stand-in for a Microsoft Teams Workflows
// webhook: it parses and records every card, refuses malformed bodies with
// 400 as Workflows does, answers 202 by default, and can be scripted to
// answer other statuses, hang or drop the connection.
package teamstest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/notify/teams"
)

// RunID is the x-ms-workflow-run-id the fake answers with.
const RunID = "08584000000000000000000000000CU00"

// Reply is how the server answers one request.
type Reply struct {
	Status     int    // 0 means 202
	RetryAfter string // sent as Retry-After when set
	Body       string
	Hang       bool // hold the request until the client gives up or the server closes
	Drop       bool // close the connection without an answer
}

// Request is one recorded request.
type Request struct {
	Header http.Header
	Body   []byte
	// Payload is Body decoded; CardErr says why it is not a card Workflows
	// would accept (then the fake answered 400).
	Payload teams.Payload
	CardErr error
	Reply   Reply
}

// Card returns the request's card, or nil.
func (r Request) Card() *teams.Card {
	if len(r.Payload.Attachments) == 0 {
		return nil
	}
	return &r.Payload.Attachments[0].Content
}

// Texts returns every text on the card in order: each TextBlock, and each
// RichTextBlock's runs joined.
func (r Request) Texts() []string {
	c := r.Card()
	if c == nil {
		return nil
	}
	var out []string
	for _, e := range c.Body {
		t := e.Text
		for _, run := range e.Inlines {
			t += run.Text
		}
		out = append(out, t)
	}
	return out
}

// Server is a running fake Workflows endpoint; safe for concurrent use.
type Server struct {
	// URL is the webhook URL to configure, shaped like a real one (with a
	// sig query parameter, so tests can check it does not leak).
	URL string
	// Sig is the secret part of URL.
	Sig string

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
	s := &Server{done: make(chan struct{}), arrived: make(chan struct{}), Sig: "SIG-teamstest-0a1b2c3d"}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL + "/workflows/abc/triggers/manual/paths/invoke?api-version=1&sig=" + s.Sig
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

// Enqueue adds replies answered in order; after them the fake answers 202.
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
			return nil, fmt.Errorf("teamstest: %d of %d requests arrived within %s", got, n, timeout)
		}
	}
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rec := Request{Header: r.Header.Clone(), Body: body}
	rec.CardErr = check(r, body, &rec.Payload)

	s.mu.Lock()
	var reply Reply
	if len(s.script) > 0 {
		reply, s.script = s.script[0], s.script[1:]
	}
	if rec.CardErr != nil && reply.Status == 0 && !reply.Hang && !reply.Drop {
		msg, _ := json.Marshal(rec.CardErr.Error())
		reply = Reply{Status: http.StatusBadRequest, Body: `{"error":{"code":"InvalidRequestContent","message":` + string(msg) + `}}`}
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
		status = http.StatusAccepted
		w.Header().Set("x-ms-workflow-run-id", RunID)
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(reply.Body)))
	w.WriteHeader(status)
	_, _ = io.WriteString(w, reply.Body)
}

// check decodes body strictly and applies the rules Workflows enforces on
// the "post card" template: a message with an Adaptive Card attachment.
func check(r *http.Request, body []byte, p *teams.Payload) error {
	if r.Method != http.MethodPost {
		return fmt.Errorf("method %s", r.Method)
	}
	if r.URL.Query().Get("sig") == "" {
		return errors.New("missing sig")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields() // catches typos in field names
	if err := dec.Decode(p); err != nil {
		return fmt.Errorf("body is not a message: %v", err)
	}
	if p.Type != "message" || len(p.Attachments) == 0 {
		return errors.New(`want type "message" with attachments`)
	}
	for _, a := range p.Attachments {
		c := a.Content
		if a.ContentType != teams.ContentTypeAdaptiveCard || c.Type != "AdaptiveCard" || c.Version == "" {
			return errors.New("attachment is not an Adaptive Card")
		}
		for _, e := range c.Body {
			switch e.Type {
			case "TextBlock", "RichTextBlock":
			default:
				return fmt.Errorf("unexpected element %q", e.Type)
			}
		}
		for _, act := range c.Actions {
			if act.Type != "Action.OpenUrl" || act.URL == "" || act.Title == "" {
				return fmt.Errorf("bad action %+v", act)
			}
		}
	}
	return nil
}
