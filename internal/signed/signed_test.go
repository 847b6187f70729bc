package signed

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

var (
	key   = []byte("0123456789abcdef0123456789abcdef")
	other = []byte("fedcba9876543210fedcba9876543210")
	now   = time.Date(2026, 11, 21, 3, 14, 0, 0, time.UTC)
)

func sample() Action {
	return Action{Kind: vigil.MessageAck, IncidentID: 42, UserID: 7, Channel: vigil.ContactEmail, Expires: now.Add(DefaultTTL)}
}

func TestActionRoundTrip(t *testing.T) {
	s := New(key)
	for _, a := range []Action{
		sample(),
		{Kind: vigil.MessageResolve, IncidentID: 1, UserID: 1 << 40, Channel: vigil.ContactSMSGateway, Expires: now.Add(time.Second)},
	} {
		tok := s.SignAction(a)
		got, err := s.VerifyAction(tok, now)
		if err != nil || got != a {
			t.Errorf("%s: got %+v %v, want %+v", tok, got, err, a)
		}
		if strings.ContainsAny(tok, "/?#&=+ %") {
			t.Errorf("token %q needs escaping in a URL path", tok)
		}
	}
}

func TestActionRefused(t *testing.T) {
	s := New(key)
	good := s.SignAction(sample())
	payload := good[:strings.LastIndexByte(good, '.')]
	sig := good[len(payload)+1:]
	resign := func(p string) string { return p + "." + s.mac("action", p) }
	for _, c := range []struct {
		name, token string
		want        error
	}{
		{"other key", New(other).SignAction(sample()), ErrInvalid},
		{"resolve instead of ack", strings.Replace(payload, ".a.", ".r.", 1) + "." + sig, ErrInvalid},
		{"other incident", strings.Replace(payload, ".42.", ".43.", 1) + "." + sig, ErrInvalid},
		{"other user", strings.Replace(payload, ".7.", ".8.", 1) + "." + sig, ErrInvalid},
		{"later expiry", payload[:len(payload)-1] + "9." + sig, ErrInvalid},
		{"signature cut", good[:len(good)-1], ErrInvalid},
		{"signature padded", good + "=", ErrInvalid},
		{"upper-cased", strings.ToUpper(good), ErrInvalid},
		{"empty", "", ErrInvalid},
		{"no dot", "abc", ErrInvalid},
		{"huge", strings.Repeat("1.", 200) + sig, ErrInvalid},
		// Correctly signed but not canonical: refused all the same, so no
		// claims have two tokens.
		{"leading zero", resign(strings.Replace(payload, ".42.", ".042.", 1)), ErrInvalid},
		{"plus sign", resign(strings.Replace(payload, ".42.", ".+42.", 1)), ErrInvalid},
		{"zero user", resign(strings.Replace(payload, ".7.", ".0.", 1)), ErrInvalid},
		{"unknown kind", resign(strings.Replace(payload, ".a.", ".x.", 1)), ErrInvalid},
		{"unknown channel", resign(strings.Replace(payload, ".email.", ".pager.", 1)), ErrInvalid},
		{"other version", resign("2" + payload[1:]), ErrInvalid},
		{"extra field", resign(payload + ".1"), ErrInvalid},
		{"feed token as action", s.Feed("schedule", 42), ErrInvalid},
	} {
		if _, err := s.VerifyAction(c.token, now); !errors.Is(err, c.want) {
			t.Errorf("%s (%q): %v, want %v", c.name, c.token, err, c.want)
		}
	}
}

func TestActionExpiry(t *testing.T) {
	s := New(key)
	a := sample()
	tok := s.SignAction(a)
	if _, err := s.VerifyAction(tok, a.Expires.Add(-time.Second)); err != nil {
		t.Errorf("a second before expiry: %v", err)
	}
	got, err := s.VerifyAction(tok, a.Expires)
	if !errors.Is(err, ErrExpired) || got.IncidentID != 42 {
		t.Errorf("at expiry: %+v %v (want ErrExpired with the claims, for a helpful page)", got, err)
	}
}

func TestActionSignPanicsOnBadClaims(t *testing.T) {
	for _, a := range []Action{
		{Kind: vigil.MessagePage, IncidentID: 1, UserID: 1, Channel: vigil.ContactEmail},
		{Kind: vigil.MessageAck, IncidentID: 1, UserID: 1, Channel: "a.b"},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("SignAction(%+v) did not panic", a)
				}
			}()
			New(key).SignAction(a)
		}()
	}
}

func TestFeed(t *testing.T) {
	s := New(key)
	tok := s.Feed("schedule", 7)
	if !s.VerifyFeed("schedule", 7, tok) {
		t.Fatal("own token refused")
	}
	for _, c := range []struct {
		kind string
		id   int64
		tok  string
	}{
		{"schedule", 8, tok},
		{"user", 7, tok},
		{"schedule", 7, New(other).Feed("schedule", 7)},
		{"schedule", 7, ""},
		{"schedule", 7, tok[:len(tok)-1]},
		{"schedule", 7, strings.ToUpper(tok)},
	} {
		if s.VerifyFeed(c.kind, c.id, c.tok) {
			t.Errorf("VerifyFeed(%s, %d, %q) accepted", c.kind, c.id, c.tok)
		}
	}
}

// FuzzVerifyAction: any text is refused or names claims whose token is
// exactly that text (one token per claims), and nothing panics.
func FuzzVerifyAction(f *testing.F) {
	s := New(key)
	f.Add(s.SignAction(sample()))
	f.Add("1.a.42.7.email.1763780040.AAAAAAAAAAAAAAAAAAAAAA")
	f.Add("")
	f.Add("....")
	f.Fuzz(func(t *testing.T, token string) {
		a, err := s.VerifyAction(token, now)
		if err != nil && !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrExpired) {
			t.Fatalf("unexpected error %v", err)
		}
		if err == nil || errors.Is(err, ErrExpired) {
			if again := s.SignAction(a); again != token {
				t.Fatalf("accepted %q but its claims sign as %q", token, again)
			}
		}
	})
}
