package app

import (
	"context"
	"net/http"
	"testing"
	"time"
)

// TestSessionCookieSecureBehindHTTPS: with an https public URL (TLS ends at
// a proxy in front) the sign-in cookie is Secure; with plain http it cannot
// be, or the browser would drop it.
func TestSessionCookieSecureBehindHTTPS(t *testing.T) {
	for _, c := range []struct {
		publicURL  string
		wantSecure bool
	}{
		{"", false},
		{"https://vigil.example.com", true},
	} {
		t.Run(c.publicURL, func(t *testing.T) {
			a, err := New(context.Background(), Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), PublicURL: c.publicURL})
			if err != nil {
				t.Fatal(err)
			}
			if err := a.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				a.Shutdown(ctx)
			})
			base := "http://" + a.ln.Addr().String()
			session := signIn(t, base, a.Store())
			if session == nil {
				t.Fatal("sign-in set no session cookie")
			}
			if session.Secure != c.wantSecure || !session.HttpOnly || session.SameSite != http.SameSiteStrictMode {
				t.Errorf("cookie Secure=%v HttpOnly=%v SameSite=%v, want Secure=%v, HttpOnly, Strict", session.Secure, session.HttpOnly, session.SameSite, c.wantSecure)
			}
		})
	}
}
