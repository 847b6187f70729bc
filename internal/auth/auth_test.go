package auth_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/vigil-oss/vigil/internal/auth"
	"github.com/vigil-oss/vigil/internal/store"
	"github.com/vigil-oss/vigil/internal/vigil"
)

func TestAuthenticate(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, store.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	secret := vigil.NewSecret(vigil.TokenPrefix)
	if _, err := db.CreateAPIToken(ctx, "ops", vigil.RoleAdmin, secret); err != nil {
		t.Fatal(err)
	}
	a := &auth.Authenticator{Tokens: db, Accounts: db, Passwords: cheap}
	user := &vigil.User{Name: "Ops", Email: "ops@example.com"}
	if err := db.CreateUser(ctx, user); err != nil {
		t.Fatal(err)
	}
	sess, err := a.StartSession(ctx, user.ID, auth.Client{})
	if err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name       string
		req        func(*http.Request)
		wantSource string // "" means refused
	}{
		{"no credential", func(*http.Request) {}, ""},
		{"bearer", func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+secret) }, vigil.SourceAPI},
		{"bearer lower-case scheme", func(r *http.Request) { r.Header.Set("Authorization", "bearer "+secret) }, vigil.SourceAPI},
		{"bearer from the CLI", func(r *http.Request) {
			r.Header.Set("Authorization", "Bearer "+secret)
			r.Header.Set(auth.SourceHeader, "cli")
		}, vigil.SourceCLI},
		{"unknown source header stays api", func(r *http.Request) {
			r.Header.Set("Authorization", "Bearer "+secret)
			r.Header.Set(auth.SourceHeader, "integration")
		}, vigil.SourceAPI},
		{"the session cookie is not an API credential", func(r *http.Request) {
			r.AddCookie(&http.Cookie{Name: auth.SessionCookie, Value: secret})
		}, ""},
		{"wrong token", func(r *http.Request) { r.Header.Set("Authorization", "Bearer vgt_nope") }, ""},
		{"basic auth is not a token", func(r *http.Request) { r.SetBasicAuth("x", secret) }, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			c.req(r)
			actor, err := a.Authenticate(ctx, r)
			if c.wantSource == "" {
				if vigil.ErrorCode(err) != vigil.CodeUnauthorized {
					t.Fatalf("want unauthorized, got %v (%+v)", err, actor)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if actor.Name != "ops" || actor.Kind != vigil.ActorToken || actor.Source != c.wantSource {
				t.Fatalf("actor %+v, want source %s", actor, c.wantSource)
			}
		})
	}

	// The web UI's check takes a session cookie only: not a token.
	for _, c := range []struct {
		name       string
		req        func(*http.Request)
		wantSource string
	}{
		{"cookie", func(r *http.Request) { r.AddCookie(&http.Cookie{Name: auth.SessionCookie, Value: sess.Secret}) }, vigil.SourceWeb},
		{"a token is not a session", func(r *http.Request) { r.AddCookie(&http.Cookie{Name: auth.SessionCookie, Value: secret}) }, ""},
		{"bearer is not a session", func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+secret) }, ""},
		{"unknown cookie", func(r *http.Request) { r.AddCookie(&http.Cookie{Name: auth.SessionCookie, Value: "vgt_nope"}) }, ""},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		c.req(r)
		actor, err := a.AuthenticateSession(ctx, r)
		if c.wantSource == "" {
			if vigil.ErrorCode(err) != vigil.CodeUnauthorized {
				t.Errorf("session %s: want unauthorized, got %v", c.name, err)
			}
			continue
		}
		if err != nil || actor.Source != c.wantSource || actor.Name != "Ops" || actor.Kind != vigil.ActorUser || actor.ID != user.ID {
			t.Errorf("session %s: %+v, %v", c.name, actor, err)
		}
	}

	// The middleware puts the actor in the context or calls fail.
	var got vigil.Actor
	h := a.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = vigil.ActorFromContext(r.Context())
	}), func(w http.ResponseWriter, r *http.Request, err error) { w.WriteHeader(http.StatusUnauthorized) })
	rec := httptest.NewRecorder()
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer "+secret)
	h.ServeHTTP(rec, r)
	if rec.Code != 200 || got.Name != "ops" {
		t.Fatalf("middleware: code %d actor %+v", rec.Code, got)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Code != http.StatusUnauthorized {
		t.Fatalf("middleware without a token: %d", rec.Code)
	}
}
