package auth_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/auth"
	"github.com/vigil-oss/vigil/internal/store"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// cheap argon2id costs keep the tests fast; the costs travel in the hash.
var cheap = auth.PasswordParams{Memory: 64, Time: 1, Threads: 1}

func newAccounts(t *testing.T) (*auth.Authenticator, *store.DB, *vigil.ManualClock) {
	t.Helper()
	clock := vigil.NewManualClock(time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC))
	db, err := store.Open(context.Background(), store.Config{DataDir: t.TempDir(), Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &auth.Authenticator{Tokens: db, Accounts: db, Clock: clock, Passwords: cheap}, db, clock
}

func TestSignInThrottle(t *testing.T) {
	ctx := context.Background()
	a, db, clock := newAccounts(t)
	u := &vigil.User{Name: "Ana", Email: "ana@example.com"}
	if err := db.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if err := a.SetPassword(ctx, u.ID, "short"); vigil.ErrorField(err) != "password" {
		t.Errorf("short password: %v", err)
	}
	const pw = "correct horse battery"
	if err := a.SetPassword(ctx, u.ID, pw); err != nil {
		t.Fatal(err)
	}
	c := auth.Client{Address: "192.0.2.1"}
	// Unknown user and wrong password: the same error.
	_, errUnknown := a.SignIn(ctx, "nobody@example.com", pw, c)
	_, errWrong := a.SignIn(ctx, "ana@example.com", "wrong password!", c)
	if errUnknown != auth.ErrBadLogin || errWrong != auth.ErrBadLogin {
		t.Fatalf("unknown user: %v; wrong password: %v", errUnknown, errWrong)
	}
	for range 4 {
		a.SignIn(ctx, "Ana", "wrong password!", c) // by name: the same account
	}
	_, err := a.SignIn(ctx, "ana@example.com", pw, c)
	var le *auth.LimitError
	if vigil.ErrorCode(err) != vigil.CodeRateLimited || !errors.As(err, &le) || le.After <= 0 || le.After > 15*time.Minute {
		t.Fatalf("sixth attempt with the right password = %v, want rate limited", err)
	}
	// The window passes; the right password works and clears the count.
	clock.Advance(15*time.Minute + time.Second)
	s, err := a.SignIn(ctx, "ana@example.com", pw, c)
	if err != nil || s.Pending || s.Address != "192.0.2.1" {
		t.Fatalf("after the window: %+v, %v", s, err)
	}

	// Per address: 20 failures from one address block every account there.
	b := auth.Client{Address: "198.51.100.9"}
	for i := range 20 {
		if _, err := a.SignIn(ctx, "guess"+string(rune('a'+i))+"@example.com", "x", b); err != auth.ErrBadLogin {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	if _, err := a.SignIn(ctx, "ana@example.com", pw, b); vigil.ErrorCode(err) != vigil.CodeRateLimited {
		t.Errorf("address over its limit: %v", err)
	}
	if _, err := a.SignIn(ctx, "ana@example.com", pw, c); err != nil {
		t.Errorf("another address: %v", err)
	}
}

func TestSignInTOTP(t *testing.T) {
	ctx := context.Background()
	a, db, clock := newAccounts(t)
	u := &vigil.User{Name: "Ana", Email: "ana@example.com"}
	if err := db.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	const pw = "correct horse battery"
	if err := a.SetPassword(ctx, u.ID, pw); err != nil {
		t.Fatal(err)
	}
	secret := auth.NewTOTPSecret()
	code := func() string {
		c, _ := auth.TOTPCode(secret, uint64(clock.Now().Unix()/30))
		return c
	}
	if err := a.EnableTOTP(ctx, u.ID, secret, "000000x"); vigil.ErrorField(err) != "code" {
		t.Errorf("enable with a bad code: %v", err)
	}
	if err := a.EnableTOTP(ctx, u.ID, secret, code()); err != nil {
		t.Fatal(err)
	}
	clock.Advance(30 * time.Second)
	p, err := a.SignIn(ctx, "ana@example.com", pw, auth.Client{})
	if err != nil || !p.Pending {
		t.Fatalf("SignIn with TOTP = %+v, %v; want a pending session", p, err)
	}
	// A pending session is not a sign-in.
	r := httptest.NewRequest("GET", "/", nil)
	r.AddCookie(&http.Cookie{Name: auth.SessionCookie, Value: p.Secret})
	if _, err := a.AuthenticateSession(ctx, r); vigil.ErrorCode(err) != vigil.CodeUnauthorized {
		t.Errorf("pending session authenticated: %v", err)
	}
	if _, err := a.VerifyCode(ctx, p.Secret, "123456", auth.Client{}); err != auth.ErrBadCode {
		t.Errorf("wrong code: %v", err)
	}
	full, err := a.VerifyCode(ctx, p.Secret, code(), auth.Client{})
	if err != nil || full.Pending || full.Secret == p.Secret {
		t.Fatalf("VerifyCode = %+v, %v", full, err)
	}
	if _, err := a.PendingSession(ctx, p.Secret); vigil.ErrorCode(err) != vigil.CodeUnauthorized {
		t.Errorf("the pending session lives on: %v", err)
	}
	// The same code does not finish a second sign-in.
	p2, err := a.SignIn(ctx, "ana@example.com", pw, auth.Client{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.VerifyCode(ctx, p2.Secret, code(), auth.Client{}); err != auth.ErrBadCode {
		t.Errorf("replayed code: %v", err)
	}
	if err := a.DisableTOTP(ctx, u.ID, "wrong"); vigil.ErrorField(err) != "current" {
		t.Errorf("disable with a wrong password: %v", err)
	}
	if err := a.DisableTOTP(ctx, u.ID, pw); err != nil {
		t.Fatal(err)
	}
	if s, err := a.SignIn(ctx, "ana@example.com", pw, auth.Client{}); err != nil || s.Pending {
		t.Errorf("after disabling TOTP: %+v, %v", s, err)
	}
}

func TestProxies(t *testing.T) {
	if _, err := auth.ParseProxies("10.0.0.0/8, nonsense"); err == nil {
		t.Error("a bad proxy was accepted")
	}
	trusted, err := auth.ParseProxies("10.0.0.0/8,192.0.2.7")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name      string
		proxies   auth.Proxies
		peer, xff string
		proto     string
		wantAddr  string
		wantHTTPS bool
	}{
		{"no proxies: headers ignored", nil, "203.0.113.5:1234", "198.51.100.1", "https", "203.0.113.5", false},
		{"untrusted peer: headers ignored", trusted, "203.0.113.5:1234", "198.51.100.1", "https", "203.0.113.5", false},
		{"trusted proxy", trusted, "10.1.2.3:1234", "198.51.100.1", "https", "198.51.100.1", true},
		{"chain of trusted proxies", trusted, "192.0.2.7:80", "198.51.100.1, 10.9.9.9", "http", "198.51.100.1", false},
		{"spoofed left entry ignored", trusted, "10.1.2.3:1234", "1.1.1.1, 198.51.100.1", "", "198.51.100.1", false},
		{"garbage hop", trusted, "10.1.2.3:1234", "198.51.100.1, junk", "", "10.1.2.3", false},
		{"ipv6 peer", nil, "[2001:db8::1]:443", "", "", "2001:db8::1", false},
	}
	for _, c := range cases {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = c.peer
		if c.xff != "" {
			r.Header.Set("X-Forwarded-For", c.xff)
		}
		if c.proto != "" {
			r.Header.Set("X-Forwarded-Proto", c.proto)
		}
		if got := c.proxies.ClientAddr(r); got != c.wantAddr {
			t.Errorf("%s: ClientAddr = %q, want %q", c.name, got, c.wantAddr)
		}
		if got := c.proxies.HTTPS(r); got != c.wantHTTPS {
			t.Errorf("%s: HTTPS = %v, want %v", c.name, got, c.wantHTTPS)
		}
	}
}

// FuzzClientAddr: whatever a client puts in X-Forwarded-For and -Proto,
// the address is a parseable IP (or the raw peer) and never a header's
// text from an untrusted peer.
func FuzzClientAddr(f *testing.F) {
	f.Add("10.1.2.3:80", "198.51.100.1, 10.9.9.9", "https")
	f.Add("203.0.113.5:1", "1.1.1.1", "http")
	f.Add("[::ffff:10.0.0.1]:443", "junk,,", "HTTPS")
	trusted, err := auth.ParseProxies("10.0.0.0/8,::ffff:10.0.0.0/104")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, peer, xff, proto string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = peer
		r.Header.Set("X-Forwarded-For", xff)
		r.Header.Set("X-Forwarded-Proto", proto)
		got := trusted.ClientAddr(r)
		if got != peer {
			if _, err := netip.ParseAddr(got); err != nil {
				t.Fatalf("ClientAddr(%q, %q) = %q, not an address", peer, xff, got)
			}
		}
		// Without trusted proxies the headers change nothing.
		var none auth.Proxies
		if none.HTTPS(r) || none.ClientAddr(r) != none.ClientAddr(&http.Request{RemoteAddr: peer}) {
			t.Fatalf("no proxies, yet the headers were believed (%q, %q)", xff, proto)
		}
	})
}
