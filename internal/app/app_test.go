package app

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
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
			token := vigil.NewSecret(vigil.TokenPrefix)
			a, err := New(context.Background(), Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), AdminToken: token, PublicURL: c.publicURL})
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
			client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			req, _ := http.NewRequest("POST", base+"/login", strings.NewReader(url.Values{"token": {token}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Origin", base)
			req.Header.Set("Sec-Fetch-Site", "same-origin")
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			var session *http.Cookie
			for _, ck := range resp.Cookies() {
				if ck.Name == "vigil_session" {
					session = ck
				}
			}
			if session == nil {
				t.Fatalf("sign-in answered %d without a session cookie", resp.StatusCode)
			}
			if session.Secure != c.wantSecure || !session.HttpOnly || session.SameSite != http.SameSiteStrictMode {
				t.Errorf("cookie Secure=%v HttpOnly=%v SameSite=%v, want Secure=%v, HttpOnly, Strict", session.Secure, session.HttpOnly, session.SameSite, c.wantSecure)
			}
		})
	}
}
