package oidc

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// Paths of the flow in the web UI.
const (
	StartPath    = "/login/oidc"
	CallbackPath = "/login/oidc/callback"
)

// FlowTTL bounds the time between leaving for the provider and coming back.
const FlowTTL = 10 * time.Minute

// maxFlowLen bounds the flow cookie a browser sends back (it is ours, but
// arrives from outside).
const maxFlowLen = 1024

// Connector runs the OpenID Connect flow for one provider. The provider's
// discovery document is read on first use (and again after a failure), so
// Vigil starts while the provider is down.
type Connector struct {
	cfg    Config
	clock  vigil.Clock
	client *http.Client

	mu       sync.Mutex
	provider *gooidc.Provider
}

// New checks cfg and builds a Connector; it does not contact the provider.
// client nil means a client with a 10 second timeout.
func New(cfg Config, publicURL string, clock vigil.Clock, client *http.Client) (*Connector, error) {
	cfg, err := cfg.withDefaults(publicURL)
	if err != nil {
		return nil, err
	}
	if clock == nil {
		clock = vigil.SystemClock{}
	}
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	return &Connector{cfg: cfg, clock: clock, client: client}, nil
}

// Label is the sign-in button's text.
func (c *Connector) Label() string { return c.cfg.ButtonLabel }

// Issuer is the configured issuer URL.
func (c *Connector) Issuer() string { return c.cfg.Issuer }

func (c *Connector) ctx(ctx context.Context) context.Context {
	ctx = gooidc.ClientContext(ctx, c.client)
	return context.WithValue(ctx, oauth2.HTTPClient, c.client)
}

// discover returns the provider, reading its discovery document once.
func (c *Connector) discover(ctx context.Context) (*gooidc.Provider, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.provider != nil {
		return c.provider, nil
	}
	// The key set keeps this context for later key fetches: it must not
	// be the request's, which ends with the request.
	p, err := gooidc.NewProvider(c.ctx(context.WithoutCancel(ctx)), c.cfg.Issuer)
	if err != nil {
		return nil, failed("the sign-in provider could not be reached or answered wrongly; try again later", err)
	}
	c.provider = p
	return p, nil
}

func (c *Connector) oauth(p *gooidc.Provider) *oauth2.Config {
	return &oauth2.Config{
		ClientID:     c.cfg.ClientID,
		ClientSecret: c.cfg.ClientSecret,
		RedirectURL:  c.cfg.RedirectURL,
		Endpoint:     p.Endpoint(),
		Scopes:       append([]string{gooidc.ScopeOpenID}, c.cfg.Scopes...),
	}
}

// flow is what the browser keeps (in an HttpOnly cookie) between leaving
// for the provider and coming back.
type flow struct {
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"`
	Expires  int64  `json:"e"` // Unix seconds
}

// Begin starts a sign-in: the URL to send the browser to, and the flow
// value to keep in its cookie until the callback.
func (c *Connector) Begin(ctx context.Context) (authURL, flowValue string, err error) {
	p, err := c.discover(ctx)
	if err != nil {
		return "", "", err
	}
	f := flow{State: random(), Nonce: random(), Verifier: oauth2.GenerateVerifier(),
		Expires: c.clock.Now().Add(FlowTTL).Unix()}
	b, err := json.Marshal(f)
	if err != nil {
		return "", "", err
	}
	authURL = c.oauth(p).AuthCodeURL(f.State, gooidc.Nonce(f.Nonce), oauth2.S256ChallengeOption(f.Verifier))
	return authURL, base64.RawURLEncoding.EncodeToString(b), nil
}

// decodeFlow reads a flow cookie value; CodeUnauthorized when it is not one.
func decodeFlow(v string) (flow, error) {
	var f flow
	if len(v) > maxFlowLen {
		return f, errFlow
	}
	b, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil || json.Unmarshal(b, &f) != nil || f.State == "" || f.Nonce == "" || f.Verifier == "" {
		return flow{}, errFlow
	}
	return f, nil
}

var errFlow = vigil.Errorf(vigil.CodeUnauthorized, "this sign-in was not started here, or took too long; start again")

// failed is a refused sign-in: the message is for people, the cause for
// the log.
func failed(msg string, cause error) error {
	return &vigil.Error{Code: vigil.CodeUnauthorized, Message: msg, Err: cause}
}

// Finish checks the provider's answer (the callback's query) against the
// flow, exchanges the code, verifies the ID token and maps the person's
// groups. Every refusal is a *vigil.Error: CodeUnauthorized, or
// CodeForbidden when the groups give no access.
func (c *Connector) Finish(ctx context.Context, flowValue string, query url.Values) (*vigil.IdentitySignIn, error) {
	f, err := decodeFlow(flowValue)
	if err != nil {
		return nil, err
	}
	if c.clock.Now().Unix() > f.Expires {
		return nil, errFlow
	}
	if e := query.Get("error"); e != "" {
		msg := "the sign-in provider refused: " + clip(e, 100)
		if d := query.Get("error_description"); d != "" {
			msg += " (" + clip(d, 300) + ")"
		}
		return nil, failed(msg, nil)
	}
	if subtle.ConstantTimeCompare([]byte(query.Get("state")), []byte(f.State)) != 1 {
		return nil, failed("the answer from the sign-in provider does not belong to this sign-in (state); start again", nil)
	}
	code := query.Get("code")
	if code == "" {
		return nil, failed("the sign-in provider sent no code; start again", nil)
	}
	p, err := c.discover(ctx)
	if err != nil {
		return nil, err
	}
	tok, err := c.oauth(p).Exchange(c.ctx(ctx), code, oauth2.VerifierOption(f.Verifier))
	if err != nil {
		return nil, failed("the sign-in provider did not accept the sign-in code", err)
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok || raw == "" {
		return nil, failed("the sign-in provider sent no ID token", nil)
	}
	idt, err := p.Verifier(&gooidc.Config{ClientID: c.cfg.ClientID, Now: c.clock.Now}).Verify(c.ctx(ctx), raw)
	if err != nil {
		return nil, failed("the ID token from the sign-in provider is not valid", err)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(f.Nonce)) != 1 {
		return nil, failed("the ID token does not belong to this sign-in (nonce); start again", nil)
	}
	return c.identity(idt)
}

// claims are the standard claims Vigil reads.
type claims struct {
	Email             string `json:"email"`
	EmailVerified     any    `json:"email_verified"` // some providers send "true"
	Name              string `json:"name"`
	PreferredUsername string `json:"preferred_username"`
}

func (c *Connector) identity(idt *gooidc.IDToken) (*vigil.IdentitySignIn, error) {
	var std claims
	var all map[string]any
	if err := idt.Claims(&std); err != nil {
		return nil, failed("the ID token's claims could not be read", err)
	}
	if err := idt.Claims(&all); err != nil {
		return nil, failed("the ID token's claims could not be read", err)
	}
	groups, err := Groups(all, c.cfg.GroupsClaim)
	if err != nil {
		return nil, failed("the ID token's "+c.cfg.GroupsClaim+" claim is not a list of names", err)
	}
	m, err := c.cfg.Map(groups)
	if err != nil {
		return nil, err
	}
	in := &vigil.IdentitySignIn{
		Issuer: idt.Issuer, Subject: idt.Subject,
		Name:   strings.TrimSpace(std.Name),
		Create: c.cfg.CreateUsers,
		Role:   m.Role, NewUserRole: m.NewUserRole, Teams: m.Teams, Managed: m.Managed,
	}
	if in.Name == "" {
		in.Name = strings.TrimSpace(std.PreferredUsername)
	}
	if std.Email != "" && (c.cfg.TrustEmail || verified(std.EmailVerified)) {
		in.Email = strings.TrimSpace(std.Email)
	}
	return in, nil
}

func verified(v any) bool {
	switch v := v.(type) {
	case bool:
		return v
	case string:
		return strings.EqualFold(v, "true")
	}
	return false
}

// Groups reads the group names from claims at path (dots walk into
// objects). A missing claim is no groups; a string is one group.
func Groups(claims map[string]any, path string) ([]string, error) {
	var v any = claims
	for part := range strings.SplitSeq(path, ".") {
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, nil
		}
		if v, ok = obj[part]; !ok {
			return nil, nil
		}
	}
	switch v := v.(type) {
	case nil:
		return nil, nil
	case string:
		return []string{v}, nil
	case []any:
		out := make([]string, 0, len(v))
		for _, g := range v {
			s, ok := g.(string)
			if !ok {
				return nil, errors.New("a group is not a string")
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, errors.New("not a list")
}

func random() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// clip shortens s to at most n bytes, on a character boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return strings.ToValidUTF8(s, "")
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}
