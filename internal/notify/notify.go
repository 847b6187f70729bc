// Package notify defines how Vigil hands a message to a channel (Slack,
// e-mail, SMS, a webhook...) and how a channel says whether a failed send is
// worth retrying. Each channel lives in its own subpackage with a local fake
// of its vendor in a <name>test package; the engine picks a Sender by the
// contact method's type.
package notify

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// Message kinds (the domain's, under the names the channels use).
const (
	KindPage    = vigil.MessagePage
	KindAck     = vigil.MessageAck
	KindResolve = vigil.MessageResolve
	KindTest    = vigil.MessageTest
	KindManual  = vigil.MessageManual
	KindBundle  = vigil.MessageBundle
	KindStatus  = vigil.MessageStatus
)

// Message is what a channel renders and sends. Every text field is plain
// text from users or senders: a channel must escape it for its format.
type Message struct {
	// ID is stable across retries of the same message, so receivers can
	// drop duplicates (the delivery guarantee is at-least-once).
	ID   string `json:"id"`
	Kind string `json:"kind"`

	IncidentID int64  `json:"incident_id,omitempty"`
	Title      string `json:"title"`
	Body       string `json:"body,omitempty"`
	Severity   string `json:"severity,omitempty"`
	Status     string `json:"status,omitempty"`
	Service    string `json:"service,omitempty"`
	// URL shows the incident; AckURL and ResolveURL act on it without a
	// sign-in (signed, expiring links).
	URL        string `json:"url,omitempty"`
	AckURL     string `json:"ack_url,omitempty"`
	ResolveURL string `json:"resolve_url,omitempty"`

	// Bundled counts other incidents folded into this message (E8).
	Bundled int `json:"bundled,omitempty"`
	// CreatedAt is when the message became due; Late is how far past that
	// it is being sent, shown to the reader when it matters (C10).
	CreatedAt time.Time     `json:"created_at"`
	Late      time.Duration `json:"late,omitempty"`
}

// Destination is where one message goes: a contact method's type and
// address (an e-mail address, an E.164 number, a Slack ID, a URL).
type Destination struct {
	Type    string
	Address string
}

// Sender delivers messages on one channel. Send returns nil only when the
// vendor accepted the message. Any other answer is an error: wrap it with
// Permanent when retrying cannot help, or with RetryAfter when the vendor
// said when to come back; a plain error is retried with backoff.
type Sender interface {
	Send(ctx context.Context, to Destination, m Message) (Receipt, error)
}

// Receipt is what a vendor said about an accepted message.
type Receipt struct {
	// ProviderID is the vendor's id for the message (Twilio's SID, Slack's
	// ts), kept for replies and support questions.
	ProviderID string
}

// SenderFunc adapts a function to Sender.
type SenderFunc func(ctx context.Context, to Destination, m Message) (Receipt, error)

// Send calls f.
func (f SenderFunc) Send(ctx context.Context, to Destination, m Message) (Receipt, error) {
	return f(ctx, to, m)
}

// Error is a failed send with the retry decision attached.
type Error struct {
	Err        error
	Permanent  bool
	RetryAfter time.Duration // the vendor's Retry-After, when it sent one
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Permanent marks err as not worth retrying (a 4xx, a bad address).
func Permanent(err error) error { return &Error{Err: err, Permanent: true} }

// RetryAfter marks err as temporary with a vendor-given wait.
func RetryAfter(err error, d time.Duration) error { return &Error{Err: err, RetryAfter: d} }

// IsPermanent reports whether err says a retry cannot help.
func IsPermanent(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Permanent
}

// RetryAfterOf returns the wait the vendor asked for, or 0.
func RetryAfterOf(err error) time.Duration {
	var e *Error
	if errors.As(err, &e) {
		return e.RetryAfter
	}
	return 0
}

// MaxRetryAfter caps a vendor's Retry-After so a bad header cannot park a
// page for a day.
const MaxRetryAfter = 30 * time.Minute

// CheckResponse turns an HTTP answer into the retry decision: nil for 2xx;
// temporary for 408, 425, 429 (with Retry-After) and 5xx; permanent for any
// other status. detail is a short excerpt of the body for the record. The
// record names only the host: a webhook, Teams or SMS gateway URL is
// itself a credential, so whatever of its path and query the vendor
// echoes back in detail is cut out too (RedactURL).
func CheckResponse(resp *http.Response, detail string) error {
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	detail = RedactURL(detail, resp.Request.URL)
	err := fmt.Errorf("%s answered %d", resp.Request.URL.Host, resp.StatusCode)
	if detail != "" {
		err = fmt.Errorf("%w: %s", err, detail)
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable:
		return RetryAfter(err, ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now()))
	case resp.StatusCode == http.StatusRequestTimeout || resp.StatusCode == http.StatusTooEarly || resp.StatusCode >= 500:
		return err
	default:
		return Permanent(err)
	}
}

// redactMin is the shortest path segment or query value RedactURL cuts
// out on its own: shorter ones ("api", "v1", "send") carry no secret and
// would blot out ordinary words.
const redactMin = 6

// RedactURL replaces in text every part of u that may be a secret (the
// path, the query, their long segments and values, plain and escaped)
// with "…".
func RedactURL(text string, u *url.URL) string {
	if text == "" || u == nil {
		return text
	}
	var parts []string
	add := func(v string) {
		if len(v) >= redactMin {
			parts = append(parts, v, url.PathEscape(v), url.QueryEscape(v))
		}
	}
	add(u.RequestURI())
	add(u.EscapedPath())
	add(u.Path)
	add(u.RawQuery)
	for seg := range strings.SplitSeq(u.Path, "/") {
		add(seg)
	}
	for _, vs := range u.Query() {
		for _, v := range vs {
			add(v)
		}
	}
	// Longest first, so a whole path goes before its segments.
	slices.SortFunc(parts, func(a, b string) int { return len(b) - len(a) })
	for _, p := range parts {
		text = strings.ReplaceAll(text, p, "…")
	}
	return text
}

// ParseRetryAfter reads a Retry-After header (seconds or an HTTP date)
// relative to now; 0 when absent or unreadable; capped at MaxRetryAfter.
func ParseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	var d time.Duration
	if n, err := strconv.Atoi(v); err == nil {
		d = time.Duration(n) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), MaxRetryAfter)
}

// Registry maps contact method types to senders.
type Registry map[string]Sender

// Send finds the sender for to.Type; a type with no sender is a permanent
// failure (the timeline says so), never a silent drop.
func (r Registry) Send(ctx context.Context, to Destination, m Message) (Receipt, error) {
	s, ok := r[to.Type]
	if !ok {
		return Receipt{}, Permanent(fmt.Errorf("no sender is configured for %q contact methods", to.Type))
	}
	return s.Send(ctx, to, m)
}
