// Package client is a Go client of Vigil's JSON API (/api/v1). The CLI, the
// end-to-end tests and the load generator use it.
//
// Every method takes a context first and speaks the domain types of package
// vigil. An API error (a non-2xx answer) comes back as a *vigil.Error carrying
// the server's code, message and field, so callers can use vigil.ErrorCode
// and vigil.ErrorField on it; a failure to reach the server is wrapped with
// the request it was making.
//
// A Client is safe for concurrent use and reuses its HTTP connections: make
// one and share it.
package client

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

	"github.com/vigil-oss/vigil/internal/vigil"
)

// SourceHeader tells the server which first-party client made a request, so
// the incident timeline can say "cli" instead of "api". Same value as
// auth.SourceHeader (the client does not import the server's packages).
const SourceHeader = "X-Vigil-Source"

// DefaultTimeout bounds one request of a Client made without WithHTTPClient.
const DefaultTimeout = 30 * time.Second

// maxErrorBody is how much of an error answer is read to decode it.
const maxErrorBody = 1 << 20

// Client calls one Vigil server.
type Client struct {
	baseURL   string // without trailing slash
	token     string
	source    string
	userAgent string
	hc        *http.Client
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient makes the client send its requests through hc (for custom
// timeouts, transports or TLS settings).
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) {
		if hc != nil {
			c.hc = hc
		}
	}
}

// WithSource sends the X-Vigil-Source header with every request; the CLI
// passes vigil.SourceCLI. Without it no header is sent and the server records
// the source "api".
func WithSource(source string) Option {
	return func(c *Client) { c.source = source }
}

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option {
	return func(c *Client) { c.userAgent = ua }
}

// New returns a client of the server at baseURL (for example
// "http://127.0.0.1:8080"; a path prefix is kept) authenticating with the API
// token. An empty token sends no Authorization header.
func New(baseURL, token string, opts ...Option) *Client {
	c := &Client{
		baseURL:   strings.TrimRight(strings.TrimSpace(baseURL), "/"),
		token:     token,
		userAgent: "vigil-client",
	}
	for _, o := range opts {
		o(c)
	}
	if c.hc == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		// The load generator sends from many goroutines to one host; keep
		// their connections alive instead of the default 2 per host.
		t.MaxIdleConnsPerHost = 64
		c.hc = &http.Client{Transport: t, Timeout: DefaultTimeout}
	}
	return c
}

// BaseURL returns the server address the client talks to.
func (c *Client) BaseURL() string { return c.baseURL }

// list is the envelope of list answers.
type list[T any] struct {
	Items  []T `json:"items"`
	Total  int `json:"total"`
	Offset int `json:"offset"`
	Limit  int `json:"limit"`
}

// errorEnvelope is the body of every non-2xx answer.
type errorEnvelope struct {
	Error *wireError `json:"error"`
}

type wireError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

func (w *wireError) domain() *vigil.Error {
	return &vigil.Error{Code: w.Code, Message: w.Message, Field: w.Field}
}

// do sends one request. in, when not nil, is sent as JSON; out, when not
// nil, receives the decoded 2xx answer. bearer overrides the client's token.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, bearer string, in, out any) error {
	u := c.baseURL + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("%s %s: encode request: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if c.userAgent != "" {
		req.Header.Set("User-Agent", c.userAgent)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	if c.source != "" {
		req.Header.Set(SourceHeader, c.source)
	}

	resp, err := c.hc.Do(req)
	if err != nil {
		// *url.Error repeats method and URL; keep its cause, wrapped, so
		// errors.Is(err, context.Canceled) and friends still work.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("%s %s: %w", method, u, err)
	}
	defer func() {
		// Drain what is left so the connection goes back to the pool.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
		resp.Body.Close()
	}()

	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return decodeError(resp)
	}
	if out == nil || resp.StatusCode == http.StatusNoContent {
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("%s %s: decode response (HTTP %d): %w", method, path, resp.StatusCode, err)
	}
	return nil
}

// decodeError turns a non-2xx answer into a *vigil.Error: the server's
// envelope when there is one, else a code guessed from the status.
func decodeError(resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	var env errorEnvelope
	if err := json.Unmarshal(b, &env); err == nil && env.Error != nil && (env.Error.Code != "" || env.Error.Message != "") {
		e := env.Error.domain()
		if e.Code == "" {
			e.Code = codeForStatus(resp.StatusCode)
		}
		if e.Message == "" {
			e.Message = http.StatusText(resp.StatusCode)
		}
		return e
	}
	// Not our envelope: a proxy, a load balancer or a server of something
	// else. Say what came back, briefly.
	msg := fmt.Sprintf("HTTP %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
	if s := strings.TrimSpace(string(b)); s != "" {
		if len(s) > 200 {
			s = s[:200] + "…"
		}
		msg += ": " + s
	}
	return &vigil.Error{Code: codeForStatus(resp.StatusCode), Message: msg}
}

// codeForStatus is the reverse of the server's code → status table.
func codeForStatus(status int) string {
	switch status {
	case http.StatusBadRequest, http.StatusUnprocessableEntity:
		return vigil.CodeInvalid
	case http.StatusUnauthorized:
		return vigil.CodeUnauthorized
	case http.StatusForbidden:
		return vigil.CodeForbidden
	case http.StatusNotFound:
		return vigil.CodeNotFound
	case http.StatusConflict:
		return vigil.CodeConflict
	case http.StatusRequestEntityTooLarge:
		return vigil.CodeTooLarge
	case http.StatusUnsupportedMediaType:
		return vigil.CodeUnsupportedMedia
	case http.StatusTooManyRequests:
		return vigil.CodeRateLimited
	case http.StatusServiceUnavailable, http.StatusBadGateway, http.StatusGatewayTimeout:
		return vigil.CodeUnavailable
	}
	return vigil.CodeInternal
}

func id(n int64) string { return strconv.FormatInt(n, 10) }

// page adds offset and limit to q when set.
func page(q url.Values, offset, limit int) {
	if offset > 0 {
		q.Set("offset", strconv.Itoa(offset))
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
}

// nonNil makes empty lists encode as [] for callers that re-encode them.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
