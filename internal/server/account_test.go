package server

import (
	"context"
	"strings"
	"testing"

	"github.com/vigil-oss/vigil/internal/auth"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// The admin's sign-in actions through the API: a reset link, listing and
// ending a person's sessions; no answer ever carries a password hash or a
// TOTP secret.
func TestAccountAPI(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	a := &auth.Authenticator{Tokens: e.store, Accounts: e.store, Clock: e.clock, Passwords: auth.PasswordParams{Memory: 64, Time: 1, Threads: 1}}
	u := &vigil.User{Name: "Ana", Email: "ana@example.com"}
	if err := e.store.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if err := a.SetPassword(ctx, u.ID, "ana's long password"); err != nil {
		t.Fatal(err)
	}
	const totpSecret = "JBSWY3DPEHPK3PXPJBSWY3DP"
	if err := e.store.SetTOTP(ctx, u.ID, totpSecret, 1); err != nil {
		t.Fatal(err)
	}
	s, err := a.StartSession(ctx, u.ID, auth.Client{Address: "192.0.2.8", UserAgent: "Firefox"})
	if err != nil {
		t.Fatal(err)
	}
	e.vars["ana"] = itoa(u.ID)

	var link struct {
		UserID int64  `json:"user_id"`
		URL    string `json:"url"`
	}
	e.call("POST", "/api/v1/users/{ana}/password-reset", "").want(t, 201).json(t, &link)
	if link.UserID != u.ID || !strings.HasPrefix(link.URL, e.srv.URL+"/reset/vgr_") {
		t.Errorf("reset link = %+v", link)
	}
	if got, err := e.store.FindPasswordReset(ctx, strings.TrimPrefix(link.URL, e.srv.URL+"/reset/")); err != nil || got.ID != u.ID {
		t.Errorf("the link does not work: %v", err)
	}

	list := e.call("GET", "/api/v1/users/{ana}/sessions", "").want(t, 200)
	if !strings.Contains(list.body, `"address":"192.0.2.8"`) || strings.Contains(list.body, s.Secret) {
		t.Errorf("sessions = %s", list.body)
	}
	var ended struct{ Ended int }
	e.call("DELETE", "/api/v1/users/{ana}/sessions", "").want(t, 200).json(t, &ended)
	if ended.Ended != 1 {
		t.Errorf("ended %d sessions, want 1", ended.Ended)
	}
	if _, _, err := e.store.AuthenticateSession(ctx, s.Secret, 0); vigil.ErrorCode(err) != vigil.CodeUnauthorized {
		t.Errorf("the session lives on: %v", err)
	}

	// Bad input and unknown users are 4xx; no token is 401.
	e.call("POST", "/api/v1/users/999/password-reset", "").want(t, 404)
	e.call("DELETE", "/api/v1/users/999/sessions", "").want(t, 404)
	e.call("DELETE", "/api/v1/users/x/sessions", "").want(t, 400)
	e.do("POST", "/api/v1/users/{ana}/password-reset", nil, map[string]string{"Authorization": ""}).want(t, 401)
	e.do("DELETE", "/api/v1/users/{ana}/sessions", nil, map[string]string{"Authorization": ""}).want(t, 401)

	// Nothing shows a secret of the account.
	for _, path := range []string{"/api/v1/users", "/api/v1/users/{ana}", "/api/v1/users/{ana}/sessions"} {
		b := e.call("GET", path, "").want(t, 200).body
		for _, secret := range []string{"argon2id", totpSecret, "password_hash", "totp_secret"} {
			if strings.Contains(b, secret) {
				t.Errorf("GET %s shows %q: %s", path, secret, b)
			}
		}
		if strings.HasSuffix(path, "/sessions") {
			continue
		}
		if !strings.Contains(b, `"has_password":true`) || !strings.Contains(b, `"totp_enabled":true`) {
			t.Errorf("GET %s does not say the user has a password and TOTP: %s", path, b)
		}
	}
	b := e.call("PUT", "/api/v1/users/{ana}", `{"name":"Ana B","email":"ana@example.com"}`).want(t, 200).body
	if strings.Contains(b, "argon2id") || !strings.Contains(b, `"role":"responder"`) {
		t.Errorf("PUT answer = %s", b)
	}
}
