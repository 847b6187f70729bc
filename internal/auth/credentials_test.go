package auth

import (
	"encoding/base32"
	"errors"
	"strings"
	"testing"
	"time"
)

// cheap keeps the tests fast; the format and checks are the same.
var cheap = PasswordParams{Memory: 64, Time: 1, Threads: 1}

func TestPasswordHash(t *testing.T) {
	h, err := HashPassword("correct horse battery staple", cheap)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Errorf("hash %q", h)
	}
	if err := VerifyPassword("correct horse battery staple", h); err != nil {
		t.Errorf("right password: %v", err)
	}
	for _, wrong := range []string{"correct horse battery stapl", "", "Correct horse battery staple", strings.Repeat("x", 5000)} {
		if err := VerifyPassword(wrong, h); !errors.Is(err, ErrPasswordMismatch) {
			t.Errorf("VerifyPassword(%.20q) = %v", wrong, err)
		}
	}
	// Two hashes of one password differ (salt), and both verify.
	h2, _ := HashPassword("correct horse battery staple", cheap)
	if h2 == h || VerifyPassword("correct horse battery staple", h2) != nil {
		t.Error("salting")
	}
	// Unreadable or absurd hashes are errors, not mismatches.
	for _, bad := range []string{"", "plain", "$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=99999999,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", "$argon2id$v=19$m=64,t=1,p=1$!!$aGFzaA"} {
		if err := VerifyPassword("x", bad); err == nil || errors.Is(err, ErrPasswordMismatch) {
			t.Errorf("VerifyPassword on %q = %v", bad, err)
		}
	}
	if !NeedsRehash(h, DefaultPasswordParams) || NeedsRehash(h, cheap) {
		t.Error("NeedsRehash")
	}
	for pw, ok := range map[string]bool{"short": false, "twelve chars": true, strings.Repeat("ü", 256): true, strings.Repeat("a", 257): false, "bad \xff utf8 here": false} {
		if got := CheckPasswordPolicy(pw) == nil; got != ok {
			t.Errorf("CheckPasswordPolicy(%.20q) ok = %v, want %v", pw, got, ok)
		}
	}
}

// TestTOTPVectors checks RFC 6238's SHA-1 test vectors (8 digits there;
// the last 6 here).
func TestTOTPVectors(t *testing.T) {
	secret := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString([]byte("12345678901234567890"))
	for _, v := range []struct {
		unix int64
		code string
	}{
		{59, "287082"}, {1111111109, "081804"}, {1111111111, "050471"}, {1234567890, "005924"}, {2000000000, "279037"}, {20000000000, "353130"},
	} {
		got, err := TOTPCode(secret, uint64(v.unix/30))
		if err != nil || got != v.code {
			t.Errorf("at %d: %q %v, want %s", v.unix, got, err, v.code)
		}
	}
}

func TestVerifyTOTP(t *testing.T) {
	secret := NewTOTPSecret()
	now := time.Unix(1_800_000_000, 0)
	step := uint64(now.Unix() / 30)
	code := func(s uint64) string { c, _ := TOTPCode(secret, s); return c }
	if got, ok := VerifyTOTP(secret, code(step), now, 0); !ok || got != step {
		t.Errorf("current code: %d %v", got, ok)
	}
	if _, ok := VerifyTOTP(secret, code(step-1), now, 0); !ok {
		t.Error("one step of drift refused")
	}
	if _, ok := VerifyTOTP(secret, code(step+1), now, 0); !ok {
		t.Error("one step ahead refused")
	}
	if _, ok := VerifyTOTP(secret, code(step-2), now, 0); ok {
		t.Error("two steps old accepted")
	}
	if _, ok := VerifyTOTP(secret, code(step), now, step); ok {
		t.Error("a used code was accepted again")
	}
	if _, ok := VerifyTOTP(secret, "12345", now, 0); ok {
		t.Error("a short code was accepted")
	}
	if _, ok := VerifyTOTP("not base32!", "123456", now, 0); ok {
		t.Error("a bad secret verified")
	}
	if u := TOTPURI(secret, "Vigil", "ana@example.com"); !strings.HasPrefix(u, "otpauth://totp/Vigil:ana@example.com?") || !strings.Contains(u, "secret="+secret) {
		t.Errorf("uri %s", u)
	}
}
