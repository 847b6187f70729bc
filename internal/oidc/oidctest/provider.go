// Package oidctest is a small OpenID Connect provider for tests: discovery,
// JWKS, an authorize endpoint that approves a configured person at once,
// and a token endpoint issuing RS256-signed ID tokens. It checks what a
// real provider checks (client, redirect URL, PKCE, one use per code) and
// can be told to misbehave, so tests see that Vigil refuses bad tokens.
package oidctest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"html/template"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Fault makes the provider misbehave in one way.
type Fault int

const (
	OK            Fault = iota
	WrongAudience       // the ID token is for another client
	Expired             // the ID token expired an hour ago
	BadSignature        // signed with a key that is not in the JWKS
	WrongNonce          // the ID token carries another nonce
	WrongIssuer         // the ID token names another issuer
	Unsigned            // alg "none"-like: a token signed with HS256 by the client secret
	NoIDToken           // the token answer has no id_token
)

// Person is who the authorize endpoint signs in.
type Person struct {
	Subject       string
	Email         string
	EmailVerified bool
	Name          string
	Groups        []string
}

// Provider is a running test provider; its URL is the issuer.
type Provider struct {
	URL          string
	ClientID     string
	ClientSecret string

	srv   *httptest.Server
	key   *rsa.PrivateKey
	other *rsa.PrivateKey

	mu      sync.Mutex
	now     func() time.Time
	consent bool
	person  Person
	fault   Fault
	codes   map[string]grant
	tokens  int
}

type grant struct {
	person              Person
	nonce, redirect     string
	challenge, clientID string
}

const kid = "test-key-1"

// New starts a provider for client id "vigil" with a generated secret;
// it stops when the test ends.
func New(t testing.TB) *Provider {
	t.Helper()
	p := &Provider{ClientID: "vigil", ClientSecret: "test-client-secret-" + rand.Text(), now: time.Now, codes: map[string]grant{}}
	var err error
	if p.key, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		t.Fatal(err)
	}
	if p.other, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", p.discovery)
	mux.HandleFunc("GET /jwks", p.jwks)
	mux.HandleFunc("GET /authorize", p.authorize)
	mux.HandleFunc("POST /authorize", p.authorize)
	mux.HandleFunc("POST /token", p.token)
	p.srv = httptest.NewServer(mux)
	p.URL = p.srv.URL
	t.Cleanup(p.srv.Close)
	return p
}

// UseHost makes the issuer URL name host instead of 127.0.0.1 (say
// "localhost", so that a browser sees the provider as another site).
// Call it before anything uses the provider.
func (p *Provider) UseHost(host string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.URL = strings.Replace(p.URL, "127.0.0.1", host, 1)
}

// SetClientSecret changes the secret the token endpoint wants (a secret
// rotated at the provider).
func (p *Provider) SetClientSecret(secret string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ClientSecret = secret
}

func (p *Provider) issuer() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.URL
}

// SetClock sets the provider's clock (default time.Now).
func (p *Provider) SetClock(now func() time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.now = now
}

// SetConsent makes the authorize endpoint show a page whose button
// (#approve) approves, as a real provider's login page does: the
// navigation back to the client then starts on the provider's site.
func (p *Provider) SetConsent(on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.consent = on
}

// SetPerson sets who the next sign-ins approve.
func (p *Provider) SetPerson(who Person) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.person = who
}

// SetFault makes the following tokens misbehave (OK: behave again).
func (p *Provider) SetFault(f Fault) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.fault = f
}

// Tokens counts the token requests answered with a token.
func (p *Provider) Tokens() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.tokens
}

func (p *Provider) discovery(w http.ResponseWriter, r *http.Request) {
	iss := p.issuer()
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                iss,
		"authorization_endpoint":                iss + "/authorize",
		"token_endpoint":                        iss + "/token",
		"jwks_uri":                              iss + "/jwks",
		"response_types_supported":              []string{"code"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"code_challenge_methods_supported":      []string{"S256"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post"},
	})
}

func (p *Provider) jwks(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: &p.key.PublicKey, KeyID: kid, Algorithm: string(jose.RS256), Use: "sig"},
	}})
}

// authorize approves the configured person at once and sends the browser
// back with a code, as a provider does after its login page.
func (p *Provider) authorize(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	q := r.Form
	p.mu.Lock()
	consent := p.consent
	p.mu.Unlock()
	if consent && r.Method == http.MethodGet {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = consentPage.Execute(w, q)
		return
	}
	if q.Get("client_id") != p.ClientID || q.Get("response_type") != "code" {
		http.Error(w, "unknown client or response type", http.StatusBadRequest)
		return
	}
	redirect, err := url.Parse(q.Get("redirect_uri"))
	if err != nil || redirect.Host == "" {
		http.Error(w, "bad redirect_uri", http.StatusBadRequest)
		return
	}
	if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" {
		http.Error(w, "PKCE (S256) is required", http.StatusBadRequest)
		return
	}
	code := rand.Text()
	p.mu.Lock()
	p.codes[code] = grant{person: p.person, nonce: q.Get("nonce"), redirect: redirect.String(),
		challenge: q.Get("code_challenge"), clientID: p.ClientID}
	p.mu.Unlock()
	back := redirect.Query()
	back.Set("code", code)
	back.Set("state", q.Get("state"))
	redirect.RawQuery = back.Encode()
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

func (p *Provider) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		tokenError(w, "invalid_request")
		return
	}
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	p.mu.Lock()
	want := p.ClientSecret
	p.mu.Unlock()
	if id != p.ClientID || secret != want {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client"})
		return
	}
	code := r.PostForm.Get("code")
	p.mu.Lock()
	g, found := p.codes[code]
	delete(p.codes, code) // a code works once
	fault := p.fault
	p.mu.Unlock()
	if r.PostForm.Get("grant_type") != "authorization_code" || !found || r.PostForm.Get("redirect_uri") != g.redirect {
		tokenError(w, "invalid_grant")
		return
	}
	sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	if base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge {
		tokenError(w, "invalid_grant")
		return
	}
	answer := map[string]any{"access_token": rand.Text(), "token_type": "Bearer", "expires_in": 300}
	if fault != NoIDToken {
		idt, err := p.idToken(g, fault)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		answer["id_token"] = idt
	}
	p.mu.Lock()
	p.tokens++
	p.mu.Unlock()
	writeJSON(w, http.StatusOK, answer)
}

// idToken signs the ID token of a grant, spoiled as fault says.
func (p *Provider) idToken(g grant, fault Fault) (string, error) {
	p.mu.Lock()
	now := p.now()
	p.mu.Unlock()
	c := map[string]any{
		"iss": p.issuer(), "sub": g.person.Subject, "aud": g.clientID,
		"iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(),
		"nonce": g.nonce, "email": g.person.Email, "email_verified": g.person.EmailVerified,
		"name": g.person.Name, "groups": g.person.Groups,
	}
	key := jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: p.key, KeyID: kid}}
	switch fault {
	case WrongAudience:
		c["aud"] = "someone-else"
	case Expired:
		c["iat"], c["exp"] = now.Add(-2*time.Hour).Unix(), now.Add(-time.Hour).Unix()
	case BadSignature:
		key.Key = jose.JSONWebKey{Key: p.other, KeyID: kid}
	case WrongNonce:
		c["nonce"] = "not-the-nonce"
	case WrongIssuer:
		c["iss"] = "https://evil.example.com"
	case Unsigned:
		p.mu.Lock()
		key = jose.SigningKey{Algorithm: jose.HS256, Key: []byte(p.ClientSecret)}
		p.mu.Unlock()
	}
	signer, err := jose.NewSigner(key, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return "", err
	}
	payload, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", err
	}
	return jws.CompactSerialize()
}

var consentPage = template.Must(template.New("consent").Parse(`<!doctype html><title>Test provider</title>
<form method="post" action="/authorize">
{{range $k, $v := .}}<input type="hidden" name="{{$k}}" value="{{index $v 0}}">{{end}}
<button type="submit" id="approve">Approve</button>
</form>`))

func tokenError(w http.ResponseWriter, code string) {
	writeJSON(w, http.StatusBadRequest, map[string]string{"error": code})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
