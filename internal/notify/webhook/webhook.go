// Package webhook delivers messages as signed JSON POSTs to a URL the user
// chose (catalog E6), so any tool can react to Vigil events without a
// vendor-specific integration.
//
// Each request carries a Payload as its body and these headers:
//
//	Content-Type:     application/json
//	User-Agent:       Vigil
//	Vigil-Message-Id: the message's ID, the same on every retry (deduplicate on it)
//	Vigil-Timestamp:  Unix seconds when this attempt was signed
//	Vigil-Signature:  v1=<hex HMAC-SHA256 of "<timestamp>.<raw body>">
//
// The signature is sent only when a secret is configured. Receivers check
// it with Verify; the timestamp is part of the signed text so a captured
// request cannot be replayed after the tolerance window.
package webhook

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

// Header names, exported so receivers and tests do not retype them.
const (
	HeaderMessageID = "Vigil-Message-Id"
	HeaderTimestamp = "Vigil-Timestamp"
	HeaderSignature = "Vigil-Signature"
)

// Payload is the JSON body of a webhook request. Every field is always
// present (no omitempty) so receivers can rely on a fixed shape; empty
// strings and zeros mean "not applicable". Add fields, never rename them:
// receivers in the wild parse this.
type Payload struct {
	// ID is stable across retries of one message: receivers drop
	// duplicates with it (delivery is at-least-once).
	ID         string `json:"id"`
	Kind       string `json:"kind"` // notify.KindPage, KindAck, ...
	IncidentID int64  `json:"incident_id"`
	Title      string `json:"title"`
	Body       string `json:"body"`
	Severity   string `json:"severity"`
	Status     string `json:"status"`
	Service    string `json:"service"`
	URL        string `json:"url"`
	AckURL     string `json:"ack_url"`
	ResolveURL string `json:"resolve_url"`
	// Bundled counts other incidents folded into this message.
	Bundled int `json:"bundled"`
	// CreatedAt is when the message became due (RFC 3339, UTC).
	CreatedAt time.Time `json:"created_at"`
	// LateSeconds is how far past CreatedAt this message is being sent.
	LateSeconds int64 `json:"late_seconds"`
}

// NewPayload converts a message to its wire form.
func NewPayload(m notify.Message) Payload {
	return Payload{
		ID:          m.ID,
		Kind:        m.Kind,
		IncidentID:  m.IncidentID,
		Title:       m.Title,
		Body:        m.Body,
		Severity:    m.Severity,
		Status:      m.Status,
		Service:     m.Service,
		URL:         m.URL,
		AckURL:      m.AckURL,
		ResolveURL:  m.ResolveURL,
		Bundled:     m.Bundled,
		CreatedAt:   m.CreatedAt.UTC(),
		LateSeconds: int64(m.Late / time.Second),
	}
}

// Config configures a Sender.
type Config struct {
	// HTTPClient sends the requests. Nil means a client that does not
	// follow redirects: a redirected POST turns into a GET and drops the
	// body, and it would hand the signed payload to a host the user did
	// not configure, so a 3xx is reported (permanently) instead.
	HTTPClient *http.Client
	// Secret signs every request. Empty means requests are not signed.
	Secret string
	// SecretFor, when set, picks the secret per destination (each
	// contact method can have its own); when it returns "", Secret is
	// used.
	SecretFor func(notify.Destination) string
	// Now stamps Vigil-Timestamp; nil means time.Now.
	Now func() time.Time
}

// Sender posts messages to webhook URLs. It is safe for concurrent use.
type Sender struct {
	cfg Config
}

var _ notify.Sender = (*Sender)(nil)

// New returns a Sender for cfg.
func New(cfg Config) *Sender {
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Sender{cfg: cfg}
}

// Send posts m to the URL in to.Address. The caller bounds it with ctx.
// Errors name the host only: webhook URLs often carry tokens in their path
// or query, and the secret never appears in them.
func (s *Sender) Send(ctx context.Context, to notify.Destination, m notify.Message) (notify.Receipt, error) {
	u, err := url.Parse(to.Address)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		// The parse error would quote the whole URL; say less.
		return notify.Receipt{}, notify.Permanent(errors.New("webhook: the address is not an http or https URL"))
	}
	body, err := json.Marshal(NewPayload(m))
	if err != nil {
		return notify.Receipt{}, notify.Permanent(fmt.Errorf("webhook: encoding payload: %w", err))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return notify.Receipt{}, notify.Permanent(fmt.Errorf("webhook: building request to %s failed", u.Host))
	}
	ts := s.cfg.Now().Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Vigil")
	req.Header.Set(HeaderMessageID, m.ID)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	if secret := s.secret(to); secret != "" {
		req.Header.Set(HeaderSignature, Signature(secret, ts, body))
	}

	resp, err := s.cfg.HTTPClient.Do(req)
	if err != nil {
		return notify.Receipt{}, transportError(u.Host, err)
	}
	defer resp.Body.Close()
	detail := excerpt(resp.Body)
	// Drain a little so the connection can be reused; a huge answer is
	// not worth reading.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if err := notify.CheckResponse(resp, detail); err != nil {
		return notify.Receipt{}, fmt.Errorf("webhook: %w", err)
	}
	return notify.Receipt{}, nil
}

func (s *Sender) secret(to notify.Destination) string {
	if s.cfg.SecretFor != nil {
		if v := s.cfg.SecretFor(to); v != "" {
			return v
		}
	}
	return s.cfg.Secret
}

// transportError drops the URL that *url.Error carries (it may hold
// tokens) and keeps the cause, so errors.Is(err, context.DeadlineExceeded)
// still works. A transport failure is temporary: the receiver may be back
// on the next attempt.
func transportError(host string, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return fmt.Errorf("webhook: POST to %s: %w", host, err)
}

// excerpt reads the start of a response body as one printable line of at
// most 200 bytes, for the delivery record.
func excerpt(r io.Reader) string {
	b, _ := io.ReadAll(io.LimitReader(r, 512))
	s := strings.ToValidUTF8(string(b), "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	return notify.Truncate(strings.Join(strings.Fields(s), " "), 200)
}
