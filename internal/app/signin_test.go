package app

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/vigil-oss/vigil/internal/auth"
	"github.com/vigil-oss/vigil/internal/vigil"
)

var signInSeq atomic.Int64

// signIn creates a user with a password in st, posts the sign-in form of
// the server at base as a browser would, and returns the session cookie
// it set (nil when none).
func signIn(t *testing.T, base string, st vigil.Store) *http.Cookie {
	t.Helper()
	ctx := context.Background()
	u := &vigil.User{Name: "web", Email: fmt.Sprintf("web%d@example.com", signInSeq.Add(1))}
	if err := st.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	return signInUser(t, base, st, u)
}

// signInUser gives existing user u a password and signs them in as
// signIn does.
func signInUser(t *testing.T, base string, st vigil.Store, u *vigil.User) *http.Cookie {
	t.Helper()
	ctx := context.Background()
	const pw = "a long test password"
	a := &auth.Authenticator{Tokens: st, Accounts: st, Passwords: auth.PasswordParams{Memory: 64, Time: 1, Threads: 1}}
	if err := a.SetPassword(ctx, u.ID, pw); err != nil {
		t.Fatal(err)
	}
	form := url.Values{"login": {u.Email}, "password": {pw}}
	req, _ := http.NewRequest("POST", base+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", base)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for _, c := range resp.Cookies() {
		if c.Name == auth.SessionCookie {
			return c
		}
	}
	t.Logf("sign-in answered %d without a session cookie", resp.StatusCode)
	return nil
}
