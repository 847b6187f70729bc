package vigil

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"strings"
)

// Secret prefixes tell at a glance what a credential is (and let secret
// scanners find leaked ones).
const (
	TokenPrefix          = "vgt_" // API tokens
	IntegrationKeyPrefix = "vgi_" // integration keys
)

var secretEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewSecret returns prefix followed by 160 random bits.
func NewSecret(prefix string) string {
	var b [20]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return prefix + strings.ToLower(secretEncoding.EncodeToString(b[:]))
}

// HashSecret is how secrets are stored: SHA-256, hex. The secrets carry 160
// random bits, so a fast hash is enough (no password stretching needed).
func HashSecret(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// SecretDisplayPrefix is the part of a secret safe to show again.
func SecretDisplayPrefix(secret string) string {
	if len(secret) > 10 {
		return secret[:10]
	}
	return secret
}
