// Package slacktest is a local fake of the Slack Web API for tests of
// Vigil's Slack sender, and a builder of signed interactivity requests for
// tests of Vigil's Slack endpoint.
//
// The fake is written from Slack's documentation, not from the sender's
// code, and imports nothing of Vigil, so a test that passes against it
// says the sender speaks Slack's wire format.
package slacktest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

// Answer scripts the fake's reply to one chat.postMessage call.
type Answer struct {
	// Status is the HTTP status; 0 means 200.
	Status int
	// Error, when set, makes the body {"ok":false,"error":Error}.
	Error string
	// RetryAfter is sent as a Retry-After header in whole seconds.
	RetryAfter time.Duration
	// Hang makes the fake never answer; the caller's deadline must end
	// the call.
	Hang bool
}

// Fail answers 200 {"ok":false,"error":code}, the way Slack reports most
// errors (channel_not_found, invalid_auth, internal_error...).
func Fail(code string) Answer { return Answer{Error: code} }

// RateLimited answers 429 with Retry-After and {"ok":false,"error":"ratelimited"}.
func RateLimited(after time.Duration) Answer {
	return Answer{Status: http.StatusTooManyRequests, Error: "ratelimited", RetryAfter: after}
}

// ServerError answers 500 with a non-JSON body, as a broken edge would.
func ServerError() Answer { return Answer{Status: http.StatusInternalServerError} }

// Hang never answers.
func Hang() Answer { return Answer{Hang: true} }

// Post is one chat.postMessage call the fake received with a valid token.
type Post struct {
	Channel     string
	Text        string
	Blocks      []Block
	UnfurlLinks *bool
	// TS is the ts the fake answered, "" when it answered an error.
	TS string
	// Delivered reports whether the fake answered ok:true.
	Delivered bool
	// Raw is the request body as sent.
	Raw []byte
	// ContentType is the request's Content-Type header.
	ContentType string
}

// Block is a Block Kit block as the fake read it.
type Block struct {
	Type     string    `json:"type"`
	BlockID  string    `json:"block_id"`
	Text     *Text     `json:"text"`
	Elements []Element `json:"elements"`
}

// Text is a text object.
type Text struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// Element is an element of a context block (a text object: Type "mrkdwn"
// or "plain_text" and Text) or of an actions block (a button: Type
// "button", Text is its label).
type Element struct {
	Type     string
	Text     string
	ActionID string
	Value    string
	URL      string
	Style    string
}

// UnmarshalJSON reads "text" both as a string (text objects) and as a
// text object (buttons).
func (e *Element) UnmarshalJSON(b []byte) error {
	var raw struct {
		Type     string          `json:"type"`
		Text     json.RawMessage `json:"text"`
		ActionID string          `json:"action_id"`
		Value    string          `json:"value"`
		URL      string          `json:"url"`
		Style    string          `json:"style"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*e = Element{Type: raw.Type, ActionID: raw.ActionID, Value: raw.Value, URL: raw.URL, Style: raw.Style}
	if len(raw.Text) == 0 {
		return nil
	}
	if raw.Text[0] == '"' {
		return json.Unmarshal(raw.Text, &e.Text)
	}
	var t Text
	if err := json.Unmarshal(raw.Text, &t); err != nil {
		return err
	}
	e.Text = t.Text
	return nil
}

// Button returns the button with actionID, if the post has one.
func (p Post) Button(actionID string) (Element, bool) {
	for _, b := range p.Blocks {
		if b.Type != "actions" {
			continue
		}
		for _, e := range b.Elements {
			if e.Type == "button" && e.ActionID == actionID {
				return e, true
			}
		}
	}
	return Element{}, false
}

// Section returns the text of the first section block.
func (p Post) Section() string {
	for _, b := range p.Blocks {
		if b.Type == "section" && b.Text != nil {
			return b.Text.Text
		}
	}
	return ""
}

// Context returns the texts of all context blocks, one per line.
func (p Post) Context() string {
	var lines []string
	for _, b := range p.Blocks {
		if b.Type != "context" {
			continue
		}
		for _, e := range b.Elements {
			lines = append(lines, e.Text)
		}
	}
	return strings.Join(lines, "\n")
}

// Server is a fake Slack Web API. It answers chat.postMessage and records
// every call that carried the right bearer token.
type Server struct {
	// URL is the API root with a trailing slash: slack.Config.BaseURL.
	URL   string
	Token string

	srv  *httptest.Server
	done chan struct{}
	once sync.Once

	mu      sync.Mutex
	posts   []Post
	answers []Answer
	rejects int
	next    int
	arrived chan struct{} // closed and replaced when a post is recorded
}

// New starts a fake that accepts token, closed when tb ends.
func New(tb testing.TB, token string) *Server {
	tb.Helper()
	s := &Server{Token: token, done: make(chan struct{}), arrived: make(chan struct{})}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL + "/api/"
	tb.Cleanup(s.Close)
	return s
}

// Close stops the fake, ending hung calls first.
func (s *Server) Close() {
	s.once.Do(func() {
		close(s.done)
		s.srv.Close()
	})
}

// Enqueue scripts the answers to the next calls, in order; once they are
// used up the fake answers ok:true again.
func (s *Server) Enqueue(answers ...Answer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.answers = append(s.answers, answers...)
}

// Posts returns the chat.postMessage calls received so far.
func (s *Server) Posts() []Post {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Post(nil), s.posts...)
}

// WaitFor waits until at least n chat.postMessage calls arrived and
// returns them, or errors after timeout; for tests where a background
// engine sends.
func (s *Server) WaitFor(n int, timeout time.Duration) ([]Post, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		if len(s.posts) >= n {
			out := append([]Post(nil), s.posts...)
			s.mu.Unlock()
			return out, nil
		}
		ch, got := s.arrived, len(s.posts)
		s.mu.Unlock()
		select {
		case <-ch:
		case <-deadline.C:
			return nil, fmt.Errorf("slacktest: %d of %d chat.postMessage calls arrived within %s", got, n, timeout)
		}
	}
}

// Delivered returns the posts the fake answered ok:true.
func (s *Server) Delivered() []Post {
	var out []Post
	for _, p := range s.Posts() {
		if p.Delivered {
			out = append(out, p)
		}
	}
	return out
}

// Rejected counts calls refused for a missing or wrong token.
func (s *Server) Rejected() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rejects
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	method, ok := strings.CutPrefix(r.URL.Path, "/api/")
	if !ok || method != "chat.postMessage" {
		writeJSON(w, http.StatusNotFound, "", map[string]any{"ok": false, "error": "unknown_method"})
		return
	}
	if r.Method != http.MethodPost {
		writeJSON(w, http.StatusMethodNotAllowed, "", map[string]any{"ok": false, "error": "method_not_supported_for_channel_type"})
		return
	}
	// Slack reports auth problems with 200 and ok:false.
	auth := r.Header.Get("Authorization")
	if auth == "" {
		s.reject(w, "not_authed")
		return
	}
	if tok, ok := strings.CutPrefix(auth, "Bearer "); !ok || !hmac.Equal([]byte(tok), []byte(s.Token)) {
		s.reject(w, "invalid_auth")
		return
	}

	raw, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, "", map[string]any{"ok": false, "error": "invalid_form_data"})
		return
	}
	p := Post{Raw: raw, ContentType: r.Header.Get("Content-Type")}
	check := s.parse(&p)

	s.mu.Lock()
	var a Answer
	scripted := len(s.answers) > 0
	if scripted {
		a, s.answers = s.answers[0], s.answers[1:]
	}
	if !scripted && check != "" {
		a = Fail(check)
	}
	if a.Status == 0 && a.Error == "" && !a.Hang {
		s.next++
		p.TS = fmt.Sprintf("1700000000.%06d", s.next)
		p.Delivered = true
	}
	s.posts = append(s.posts, p)
	close(s.arrived)
	s.arrived = make(chan struct{})
	s.mu.Unlock()

	if a.Hang {
		select {
		case <-r.Context().Done():
		case <-s.done:
		}
		return
	}
	status := a.Status
	if status == 0 {
		status = http.StatusOK
	}
	retry := ""
	if a.RetryAfter > 0 {
		retry = strconv.Itoa(int(a.RetryAfter.Round(time.Second) / time.Second))
	}
	switch {
	case p.Delivered:
		writeJSON(w, status, retry, map[string]any{
			"ok": true, "channel": p.Channel, "ts": p.TS,
			"message": map[string]any{"type": "message", "text": p.Text, "ts": p.TS},
		})
	case a.Error != "":
		writeJSON(w, status, retry, map[string]any{"ok": false, "error": a.Error})
	default:
		if retry != "" {
			w.Header().Set("Retry-After", retry)
		}
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(status)
		io.WriteString(w, "<html><body>upstream error</body></html>")
	}
}

func (s *Server) reject(w http.ResponseWriter, code string) {
	s.mu.Lock()
	s.rejects++
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, "", map[string]any{"ok": false, "error": code})
}

// parse fills p from its raw body and returns the error Slack would give
// an invalid request, or "".
func (s *Server) parse(p *Post) string {
	mt, _, _ := mime.ParseMediaType(p.ContentType)
	if mt != "application/json" {
		return "invalid_arguments"
	}
	var body struct {
		Channel     string  `json:"channel"`
		Text        string  `json:"text"`
		Blocks      []Block `json:"blocks"`
		UnfurlLinks *bool   `json:"unfurl_links"`
	}
	if err := json.Unmarshal(p.Raw, &body); err != nil {
		return "invalid_json"
	}
	p.Channel, p.Text, p.Blocks, p.UnfurlLinks = body.Channel, body.Text, body.Blocks, body.UnfurlLinks
	switch {
	case p.Channel == "":
		return "channel_not_found"
	case p.Text == "" && len(p.Blocks) == 0:
		return "no_text"
	case utf8.RuneCountInString(p.Text) > 40000:
		return "msg_too_long"
	}
	return checkBlocks(p.Blocks)
}

// checkBlocks enforces the Block Kit limits Slack documents, answering
// invalid_blocks as Slack does.
func checkBlocks(blocks []Block) string {
	n := utf8.RuneCountInString
	if len(blocks) > 50 {
		return "invalid_blocks"
	}
	for _, b := range blocks {
		switch b.Type {
		case "section":
			if b.Text == nil || b.Text.Text == "" || n(b.Text.Text) > 3000 {
				return "invalid_blocks"
			}
		case "context":
			if len(b.Elements) == 0 || len(b.Elements) > 10 {
				return "invalid_blocks"
			}
			for _, e := range b.Elements {
				if (e.Type != "mrkdwn" && e.Type != "plain_text") || e.Text == "" {
					return "invalid_blocks"
				}
			}
		case "actions":
			if len(b.Elements) == 0 || len(b.Elements) > 25 {
				return "invalid_blocks"
			}
			for _, e := range b.Elements {
				if e.Type != "button" || e.Text == "" || n(e.Text) > 75 || e.ActionID == "" ||
					n(e.ActionID) > 255 || n(e.Value) > 2000 || n(e.URL) > 3000 {
					return "invalid_blocks"
				}
				if e.Style != "" && e.Style != "primary" && e.Style != "danger" {
					return "invalid_blocks"
				}
			}
		case "header", "divider":
		default:
			return "invalid_blocks"
		}
		if n(b.BlockID) > 255 {
			return "invalid_blocks"
		}
	}
	return ""
}

func writeJSON(w http.ResponseWriter, status int, retryAfter string, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	if retryAfter != "" {
		w.Header().Set("Retry-After", retryAfter)
	}
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// Sign returns the headers Slack would send with body at ts, signed with
// secret: X-Slack-Request-Timestamp and X-Slack-Signature.
func Sign(secret string, ts time.Time, body []byte) http.Header {
	stamp := strconv.FormatInt(ts.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("v0:" + stamp + ":"))
	mac.Write(body)
	h := http.Header{}
	h.Set("X-Slack-Request-Timestamp", stamp)
	h.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
	return h
}

// Team and app IDs the fake's interactivity payloads carry.
const (
	TeamID = "T0VIGIL01"
	AppID  = "A0VIGIL01"
)

// ActionPayload is the block_actions JSON Slack sends when userID clicks
// the button of kind "ack" or "resolve" (action_id vigil_ack or
// vigil_resolve) for incidentID; any other kind is used as the action_id
// as it is, to test unknown buttons.
func ActionPayload(kind string, incidentID int64, userID string) []byte {
	actionID := kind
	switch kind {
	case "ack":
		actionID = "vigil_ack"
	case "resolve":
		actionID = "vigil_resolve"
	}
	name := strings.ToLower(userID)
	payload := map[string]any{
		"type": "block_actions",
		"user": map[string]any{
			"id": userID, "username": name, "name": name, "team_id": TeamID,
		},
		"api_app_id": AppID,
		"token":      "legacy-verification-token",
		"container": map[string]any{
			"type": "message", "message_ts": "1700000000.000001", "channel_id": "D0VIGIL01", "is_ephemeral": false,
		},
		"trigger_id": "1234567890.1234567890.abcdef",
		"team":       map[string]any{"id": TeamID, "domain": "vigil-test"},
		"channel":    map[string]any{"id": "D0VIGIL01", "name": "directmessage"},
		"message":    map[string]any{"type": "message", "ts": "1700000000.000001", "text": "[Vigil] page"},
		"response_url": "https://hooks.slack.com/actions/" + TeamID + "/1234567890/" +
			url.PathEscape(strings.ToLower(kind)),
		"actions": []map[string]any{{
			"action_id": actionID,
			"block_id":  "vigil_actions",
			"text":      map[string]any{"type": "plain_text", "text": kind},
			"value":     strconv.FormatInt(incidentID, 10),
			"type":      "button",
			"action_ts": "1700000001.000001",
		}},
	}
	b, err := json.Marshal(payload)
	if err != nil {
		panic(err)
	}
	return b
}

// SignedAction builds the interactivity request Slack sends when userID
// clicks a button (see ActionPayload) at ts: the form-encoded body
// (payload=<json>) and its headers, Content-Type and signature included.
func SignedAction(secret string, ts time.Time, kind string, incidentID int64, userID string) (body []byte, header http.Header) {
	body = []byte(url.Values{"payload": {string(ActionPayload(kind, incidentID, userID))}}.Encode())
	header = Sign(secret, ts, body)
	header.Set("Content-Type", "application/x-www-form-urlencoded")
	return body, header
}
