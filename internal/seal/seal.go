// Package seal encrypts the secrets Vigil keeps in its database (webhook
// and Teams URLs that carry keys, stakeholder channels, signing keys, TOTP
// secrets) with AES-256-GCM under a key from configuration.
//
// A sealed value is text, so both databases store it in the same TEXT
// column as before:
//
//	vgs1:<key id>:<base64 of nonce || ciphertext>
//
// The key id is derived from the key itself, so an operator never names
// keys: to rotate, configure the new key first and the old ones after it;
// values sealed under an old key still open, and a re-seal (vigil admin
// secrets rotate) moves them to the new one. Standard library only.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// KeyLen is the length of a key in bytes (AES-256).
const KeyLen = 32

// prefix marks a sealed value; anything else is legacy plaintext.
const prefix = "vgs1:"

// ErrKeyUnknown means a value was sealed under a key that is not
// configured. ErrDamaged means it does not open under the key it names
// (a wrong key with a colliding id, or an altered value).
var (
	ErrKeyUnknown = errors.New("sealed with a key that is not configured")
	ErrDamaged    = errors.New("does not decrypt: wrong key or altered value")
)

// Keys is a key ring: the first key seals, every key opens. It is safe for
// concurrent use once built.
type Keys struct {
	ids   []string
	aeads map[string]cipher.AEAD
}

// New builds a ring from raw keys, the current one first.
func New(keys ...[]byte) (*Keys, error) {
	if len(keys) == 0 {
		return nil, errors.New("no secret key")
	}
	k := &Keys{aeads: map[string]cipher.AEAD{}}
	for i, key := range keys {
		if len(key) != KeyLen {
			return nil, fmt.Errorf("secret key %d: want %d bytes, have %d", i+1, KeyLen, len(key))
		}
		block, err := aes.NewCipher(key)
		if err != nil {
			return nil, err
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		id := KeyID(key)
		if _, dup := k.aeads[id]; dup {
			continue
		}
		k.ids = append(k.ids, id)
		k.aeads[id] = aead
	}
	return k, nil
}

// KeyID names a key without revealing it: 8 bytes of a hash, in hex.
func KeyID(key []byte) string {
	sum := sha256.Sum256(append([]byte("vigil secret key id\x00"), key...))
	return hex.EncodeToString(sum[:8])
}

// Parse reads keys written as base64 (standard or URL alphabet, padding
// optional), separated by commas, spaces or new lines; the current key
// first. Lines starting with # are comments.
func Parse(text string) (*Keys, error) {
	var raw [][]byte
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		for _, f := range strings.FieldsFunc(line, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\r' }) {
			key, err := decodeKey(f)
			if err != nil {
				return nil, fmt.Errorf("secret key %d: %w", len(raw)+1, err)
			}
			raw = append(raw, key)
		}
	}
	return New(raw...)
}

func decodeKey(s string) ([]byte, error) {
	s = strings.TrimRight(s, "=")
	for _, enc := range []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			if len(b) != KeyLen {
				return nil, fmt.Errorf("want %d bytes of base64, have %d", KeyLen, len(b))
			}
			return b, nil
		}
	}
	return nil, errors.New("not base64")
}

// NewKeyText returns a fresh random key as base64 text.
func NewKeyText() string {
	b := make([]byte, KeyLen)
	rand.Read(b) // never fails (crypto/rand since Go 1.24)
	return base64.StdEncoding.EncodeToString(b)
}

// LoadOrCreate reads the key file at path, creating it (mode 0600, with one
// fresh key) when it does not exist. created says whether it did.
func LoadOrCreate(path string) (k *Keys, created bool, err error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, false, err
		}
		text := "# Vigil's key for secrets at rest. Keep it with the database backups, apart from them.\n" + NewKeyText() + "\n"
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, os.ErrExist) {
			return LoadOrCreate(path) // another process made it first
		}
		if err != nil {
			return nil, false, err
		}
		if _, err := f.WriteString(text); err != nil {
			f.Close()
			return nil, false, err
		}
		if err := f.Close(); err != nil {
			return nil, false, err
		}
		k, err := Parse(text)
		return k, true, err
	}
	if err != nil {
		return nil, false, err
	}
	k, err = Parse(string(b))
	if err != nil {
		return nil, false, fmt.Errorf("%s: %w", path, err)
	}
	return k, false, nil
}

// Current returns the id of the key that seals.
func (k *Keys) Current() string { return k.ids[0] }

// IDs returns every key id, the current one first.
func (k *Keys) IDs() []string { return append([]string(nil), k.ids...) }

// IsSealed says whether s has the sealed form (not whether it opens).
func IsSealed(s string) bool { return strings.HasPrefix(s, prefix) }

// KeyOf returns the key id a sealed value names, or "" for plaintext.
func KeyOf(s string) string {
	if !IsSealed(s) {
		return ""
	}
	id, _, _ := strings.Cut(s[len(prefix):], ":")
	return id
}

// Seal encrypts plaintext under the current key. The empty string stays
// empty, so "is it set" checks keep working on the column.
func (k *Keys) Seal(plaintext string) string {
	if plaintext == "" {
		return ""
	}
	id := k.ids[0]
	aead := k.aeads[id]
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plaintext)+aead.Overhead())
	rand.Read(nonce)
	out := aead.Seal(nonce, nonce, []byte(plaintext), []byte(id))
	return prefix + id + ":" + base64.RawStdEncoding.EncodeToString(out)
}

// Open decrypts a sealed value. Plaintext (a row written before sealing)
// comes back unchanged, so old rows keep working until they are re-sealed.
func (k *Keys) Open(s string) (string, error) {
	if !IsSealed(s) {
		return s, nil
	}
	id, body, ok := strings.Cut(s[len(prefix):], ":")
	if !ok {
		return "", ErrDamaged
	}
	aead, ok := k.aeads[id]
	if !ok {
		return "", fmt.Errorf("key id %s: %w", id, ErrKeyUnknown)
	}
	raw, err := base64.RawStdEncoding.DecodeString(body)
	if err != nil || len(raw) < aead.NonceSize() {
		return "", fmt.Errorf("key id %s: %w", id, ErrDamaged)
	}
	plain, err := aead.Open(nil, raw[:aead.NonceSize()], raw[aead.NonceSize():], []byte(id))
	if err != nil {
		return "", fmt.Errorf("key id %s: %w", id, ErrDamaged)
	}
	return string(plain), nil
}

// Stale says whether s should be re-sealed: plaintext, or sealed under a
// key other than the current one.
func (k *Keys) Stale(s string) bool {
	return s != "" && KeyOf(s) != k.ids[0]
}
