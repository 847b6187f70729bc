// Package slack sends Vigil messages to Slack with chat.postMessage and
// reads the Acknowledge/Resolve button clicks Slack posts back.
//
// The two Web API details Vigil needs (one JSON POST with a bearer token,
// and the v0 request signature) are written here by hand rather than taken
// from github.com/slack-go/slack: that client is large, hides the HTTP
// status and the Retry-After header behind its own error types, and the
// retry decision (which `ok:false` codes are worth retrying) is exactly the
// part this package has to own. A local fake lives in slacktest.
package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-oss/vigil/internal/notify"
)

// DefaultBaseURL is the Slack Web API root.
const DefaultBaseURL = "https://slack.com/api/"

// Action IDs of the buttons on a page. ParseAction maps them back.
const (
	ActionAck     = "vigil_ack"
	ActionResolve = "vigil_resolve"
	ActionOpen    = "vigil_open" // the link button; Slack reports its clicks too
)

// Slack's documented limits, in characters; Vigil measures bytes, which is
// never less, so staying under them in bytes is safe.
const (
	maxSectionText = 3000
	maxTitle       = 500
	maxFallback    = 3000
	maxButtonURL   = 3000
	maxResponse    = 64 << 10
)

// Config configures a Sender.
type Config struct {
	// BaseURL is the Web API root; DefaultBaseURL when empty. Tests point
	// it at slacktest.Server.URL.
	BaseURL string
	// Token is a bot token (xoxb-...) with the chat:write scope.
	Token string
	// HTTPClient defaults to a client with a 30 second timeout.
	HTTPClient *http.Client
}

// Sender posts messages with chat.postMessage. It implements notify.Sender.
type Sender struct {
	endpoint string
	token    string
	client   *http.Client
}

var _ notify.Sender = (*Sender)(nil)

// New checks cfg and returns a Sender.
func New(cfg Config) (*Sender, error) {
	if cfg.Token == "" {
		return nil, errors.New("slack: a bot token is required")
	}
	base := cfg.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("slack: base URL %q is not an http(s) URL", base)
	}
	client := cfg.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	return &Sender{
		endpoint: strings.TrimRight(base, "/") + "/chat.postMessage",
		token:    cfg.Token,
		client:   client,
	}, nil
}

// Send posts m to to.Address, a user ID (U…, delivered as a direct message
// from the app) or a conversation ID (C…, G…). The receipt holds the
// message's ts.
func (s *Sender) Send(ctx context.Context, to notify.Destination, m notify.Message) (notify.Receipt, error) {
	channel := strings.TrimSpace(to.Address)
	if channel == "" || strings.ContainsAny(channel, " \t\r\n") {
		return notify.Receipt{}, notify.Permanent(fmt.Errorf("slack: %q is not a Slack user or channel ID", to.Address))
	}
	payload, err := json.Marshal(render(channel, m))
	if err != nil {
		return notify.Receipt{}, notify.Permanent(fmt.Errorf("slack: encoding message: %w", err))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.endpoint, bytes.NewReader(payload))
	if err != nil {
		return notify.Receipt{}, notify.Permanent(fmt.Errorf("slack: %w", err))
	}
	req.Header.Set("Authorization", "Bearer "+s.token)
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("Accept", "application/json")

	resp, err := s.client.Do(req)
	if err != nil {
		// A transport error: the token is only in a header, never in the
		// URL that *url.Error prints. Retried with backoff.
		return notify.Receipt{}, fmt.Errorf("slack: chat.postMessage: %w", err)
	}
	defer resp.Body.Close()
	raw, readErr := io.ReadAll(io.LimitReader(resp.Body, maxResponse))

	var answer struct {
		OK      bool   `json:"ok"`
		Error   string `json:"error"`
		TS      string `json:"ts"`
		Channel string `json:"channel"`
	}
	decodeErr := json.Unmarshal(raw, &answer)

	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		detail := answer.Error
		if decodeErr != nil || detail == "" {
			detail = excerpt(raw)
		}
		return notify.Receipt{}, fmt.Errorf("slack: chat.postMessage: %w", notify.CheckResponse(resp, s.redact(detail)))
	}
	if readErr != nil {
		return notify.Receipt{}, fmt.Errorf("slack: chat.postMessage: reading answer: %w", readErr)
	}
	if decodeErr != nil {
		// Slack always answers JSON; anything else came from something in
		// between (a proxy, a captive portal) and may clear up.
		return notify.Receipt{}, fmt.Errorf("slack: chat.postMessage: answer is not JSON: %s", s.redact(excerpt(raw)))
	}
	if !answer.OK {
		return notify.Receipt{}, s.classify(resp, answer.Error)
	}
	return notify.Receipt{ProviderID: answer.TS}, nil
}

// temporaryErrors are the ok:false codes a later retry can get past.
var temporaryErrors = map[string]bool{
	"ratelimited":         true,
	"rate_limited":        true,
	"internal_error":      true,
	"fatal_error":         true,
	"service_unavailable": true,
	"request_timeout":     true,
	"timeout":             true,
}

// classify turns an ok:false answer into the retry decision. Only the
// codes in temporaryErrors are retried; every other code (channel_not_found,
// not_in_channel, invalid_auth, account_inactive, token_revoked,
// is_archived, msg_too_long, invalid_blocks, and any code Slack adds later)
// is permanent, because Slack gave a deliberate answer to this exact
// request and would give it again.
func (s *Sender) classify(resp *http.Response, code string) error {
	if code == "" {
		code = "unknown error"
	}
	err := fmt.Errorf("slack: chat.postMessage: %s", s.redact(code))
	if !temporaryErrors[code] {
		return notify.Permanent(err)
	}
	if d := notify.ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); d > 0 {
		return notify.RetryAfter(err, d)
	}
	return err
}

// redact removes the token from text that came from the other side, in
// case a proxy or a misconfigured fake echoes the request back.
func (s *Sender) redact(text string) string {
	if s.token == "" {
		return text
	}
	return strings.ReplaceAll(text, s.token, "[redacted]")
}

// excerpt keeps the start of a body for the record.
func excerpt(raw []byte) string {
	t := strings.TrimSpace(strings.ToValidUTF8(string(raw), "\uFFFD"))
	return notify.Truncate(t, 200)
}

// message is the chat.postMessage request body.
type message struct {
	Channel     string  `json:"channel"`
	Text        string  `json:"text"`
	Blocks      []block `json:"blocks,omitempty"`
	UnfurlLinks bool    `json:"unfurl_links"`
	UnfurlMedia bool    `json:"unfurl_media"`
}

// block is a Block Kit layout block: a section (text), or a context or
// actions block (elements).
type block struct {
	Type     string `json:"type"`
	BlockID  string `json:"block_id,omitempty"`
	Text     *text  `json:"text,omitempty"`
	Elements []any  `json:"elements,omitempty"`
}

// text is a Block Kit text object ("mrkdwn" or "plain_text").
type text struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// button is a Block Kit button element: an action (ActionID and Value) or
// a link (URL).
type button struct {
	Type     string `json:"type"`
	Text     text   `json:"text"`
	ActionID string `json:"action_id"`
	Value    string `json:"value,omitempty"`
	URL      string `json:"url,omitempty"`
	Style    string `json:"style,omitempty"`
}

// render builds the chat.postMessage body for m: the subject as the
// notification fallback, a section with title, severity, service, status
// and body, a context line when the message is late, and the buttons.
// Every user-supplied string is escaped for mrkdwn.
func render(channel string, m notify.Message) message {
	msg := message{
		Channel: channel,
		Text:    fit(notify.Subject(m), maxFallback),
	}

	var head strings.Builder
	head.WriteString("*")
	switch m.Kind {
	case notify.KindAck:
		head.WriteString("Acknowledged: ")
	case notify.KindResolve:
		head.WriteString("Resolved: ")
	case notify.KindTest:
		head.WriteString("Test: ")
	case notify.KindStatus:
		head.WriteString("Status update: ")
	}
	if m.IncidentID != 0 {
		fmt.Fprintf(&head, "#%d ", m.IncidentID)
	}
	title := m.Title
	if strings.TrimSpace(title) == "" {
		title = "(no title)"
	}
	// A title is one line: a newline inside *…* would end the bold.
	head.WriteString(fit(strings.Join(strings.Fields(title), " "), maxTitle))
	head.WriteString("*")

	var facts []string
	if m.Severity != "" {
		facts = append(facts, "*Severity:* "+fit(m.Severity, 100))
	}
	if m.Service != "" {
		facts = append(facts, "*Service:* "+fit(m.Service, 200))
	}
	if m.Status != "" {
		facts = append(facts, "*Status:* "+fit(m.Status, 100))
	}
	if len(facts) > 0 {
		head.WriteString("\n")
		head.WriteString(strings.Join(facts, "   "))
	}
	if m.Bundled > 0 {
		fmt.Fprintf(&head, "\n_and %d more incidents_", m.Bundled)
	}
	section := head.String()
	if body := strings.TrimSpace(m.Body); body != "" && len(section)+1 < maxSectionText {
		section += "\n" + fit(body, maxSectionText-len(section)-1)
	}
	msg.Blocks = append(msg.Blocks, block{Type: "section", Text: &text{Type: "mrkdwn", Text: section}})

	if note := notify.LateNote(m); note != "" {
		msg.Blocks = append(msg.Blocks, block{
			Type:     "context",
			Elements: []any{text{Type: "mrkdwn", Text: ":warning: " + escape(note)}},
		})
	}

	var buttons []any
	id := strconv.FormatInt(m.IncidentID, 10)
	if m.IncidentID > 0 {
		switch m.Kind {
		case notify.KindPage, notify.KindManual, notify.KindBundle:
			buttons = append(buttons,
				button{Type: "button", Text: plain("Acknowledge"), ActionID: ActionAck, Value: id, Style: "primary"},
				button{Type: "button", Text: plain("Resolve"), ActionID: ActionResolve, Value: id})
		case notify.KindAck:
			buttons = append(buttons,
				button{Type: "button", Text: plain("Resolve"), ActionID: ActionResolve, Value: id})
		}
	}
	if isWebURL(m.URL) && len(m.URL) <= maxButtonURL {
		buttons = append(buttons, button{Type: "button", Text: plain("Open"), ActionID: ActionOpen, URL: m.URL})
	}
	if len(buttons) > 0 {
		msg.Blocks = append(msg.Blocks, block{Type: "actions", BlockID: "vigil_actions", Elements: buttons})
	}
	return msg
}

func plain(s string) text { return text{Type: "plain_text", Text: s} }

func isWebURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

// escape makes s safe inside mrkdwn: Slack reads &, < and > as control
// characters (<@U123>, <!channel>, <http://x|label>), so a title like
// "<!channel>" must not ping a whole channel.
func escape(s string) string {
	return mrkdwnEscaper.Replace(s)
}

var mrkdwnEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// fit escapes s and cuts it so the escaped text is at most n bytes,
// cutting the raw text first so that an entity is never split.
func fit(s string, n int) string {
	if n <= 0 {
		return ""
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	limit := n
	for {
		e := escape(notify.Truncate(s, limit))
		if len(e) <= n || limit == 0 {
			return e
		}
		limit -= max(len(e)-n, 1)
		limit = max(limit, 0)
	}
}
