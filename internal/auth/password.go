package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Password hashing with argon2id, stored in the PHC string format
// "$argon2id$v=19$m=65536,t=3,p=2$<salt>$<hash>" so that the parameters
// travel with each hash and can be raised later (NeedsRehash).

// PasswordParams are argon2id's costs.
type PasswordParams struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
}

// DefaultPasswordParams follow OWASP's argon2id guidance (m=64 MiB, t=3).
var DefaultPasswordParams = PasswordParams{Memory: 64 * 1024, Time: 3, Threads: 2}

// Password length limits, in characters (the maximum keeps hashing a
// request from becoming a denial of service).
const (
	MinPasswordLen = 12
	MaxPasswordLen = 256
)

const (
	saltLen = 16
	keyLen  = 32
)

// ErrPasswordMismatch is returned by VerifyPassword for a wrong password.
var ErrPasswordMismatch = errors.New("auth: wrong password")

// CheckPasswordPolicy says what is wrong with a new password, or nil.
func CheckPasswordPolicy(pw string) error {
	n := utf8.RuneCountInString(pw)
	switch {
	case !utf8.ValidString(pw):
		return errors.New("must be valid UTF-8")
	case n < MinPasswordLen:
		return fmt.Errorf("must have at least %d characters", MinPasswordLen)
	case n > MaxPasswordLen:
		return fmt.Errorf("must have at most %d characters", MaxPasswordLen)
	}
	return nil
}

// HashPassword hashes pw with p and a fresh random salt.
func HashPassword(pw string, p PasswordParams) (string, error) {
	if len(pw) > 4*MaxPasswordLen {
		return "", errors.New("auth: password too long")
	}
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, keyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// VerifyPassword checks pw against a hash from HashPassword in constant
// time. It returns ErrPasswordMismatch for a wrong password and another
// error for a hash it cannot read.
func VerifyPassword(pw, hash string) error {
	p, salt, key, err := parseHash(hash)
	if err != nil {
		return err
	}
	if len(pw) > 4*MaxPasswordLen {
		return ErrPasswordMismatch
	}
	got := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, uint32(len(key)))
	if subtle.ConstantTimeCompare(got, key) != 1 {
		return ErrPasswordMismatch
	}
	return nil
}

// NeedsRehash reports whether hash was made with weaker parameters than
// p (rehash it at the next successful sign-in).
func NeedsRehash(hash string, p PasswordParams) bool {
	hp, _, _, err := parseHash(hash)
	return err != nil || hp.Memory < p.Memory || hp.Time < p.Time
}

func parseHash(hash string) (PasswordParams, []byte, []byte, error) {
	var p PasswordParams
	bad := errors.New("auth: unreadable password hash")
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return p, nil, nil, bad
	}
	var threads uint32
	if n, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &threads); err != nil || n != 3 {
		return p, nil, nil, bad
	}
	// Bounds keep a forged hash from asking for absurd work.
	if p.Memory < 8 || p.Memory > 1<<21 || p.Time < 1 || p.Time > 16 || threads < 1 || threads > 16 {
		return p, nil, nil, bad
	}
	p.Threads = uint8(threads)
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[4])
	key, err2 := enc.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(salt) < 8 || len(key) < 16 || len(key) > 64 {
		return p, nil, nil, bad
	}
	return p, salt, key, nil
}
