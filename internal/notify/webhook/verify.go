package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// DefaultTolerance is the timestamp window Verify uses when given none:
// wide enough for clock skew and a slow receiver, narrow enough that a
// captured request is soon useless.
const DefaultTolerance = 5 * time.Minute

// Errors returned by Verify.
var (
	ErrNoSecret     = errors.New("webhook: no secret to verify with")
	ErrNoTimestamp  = errors.New("webhook: missing or malformed " + HeaderTimestamp + " header")
	ErrTimestamp    = errors.New("webhook: timestamp outside the tolerance window")
	ErrNoSignature  = errors.New("webhook: missing " + HeaderSignature + " header")
	ErrBadSignature = errors.New("webhook: signature does not match")
)

const (
	signaturePrefix  = "v1="
	maxSignatureSize = 4096 // more than any honest header; bounds the work per request
)

// Signature returns the Vigil-Signature value for body sent at timestamp
// (Unix seconds): "v1=" and the hex HMAC-SHA256 of "<timestamp>.<body>".
func Signature(secret string, timestamp int64, body []byte) string {
	return signaturePrefix + hex.EncodeToString(mac(secret, timestamp, body))
}

func mac(secret string, timestamp int64, body []byte) []byte {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(strconv.FormatInt(timestamp, 10)))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// Verify checks a received request: its Vigil-Timestamp must be within
// tolerance of now (DefaultTolerance when tolerance <= 0) and one of its
// Vigil-Signature values must match body under secret. body must be the
// raw bytes as received, before any JSON decoding. Several comma-separated
// "v1=" values are accepted so a sender can sign with an old and a new
// secret while they are rotated. It returns nil or one of the Err values.
func Verify(secret string, header http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	if secret == "" {
		return ErrNoSecret
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	tsText := header.Get(HeaderTimestamp)
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return ErrNoTimestamp
	}
	// time.Sub saturates, so absurd timestamps cannot overflow into the
	// window; no abs() for the same reason.
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return ErrTimestamp
	}
	values := header.Values(HeaderSignature)
	if len(values) == 0 {
		return ErrNoSignature
	}
	// Sign the timestamp text as received: re-formatting ts would accept
	// "+5" or "007" as if the sender had signed "5" or "7".
	if strconv.FormatInt(ts, 10) != tsText {
		return ErrNoTimestamp
	}
	// Compared as lower-case hex text, as Sign writes it: one spelling
	// per signature, like every other token Vigil checks.
	want := []byte(hex.EncodeToString(mac(secret, ts, body)))
	size := 0
	for _, v := range values {
		size += len(v)
		if size > maxSignatureSize {
			return ErrBadSignature
		}
		for part := range strings.SplitSeq(v, ",") {
			hexSig, ok := strings.CutPrefix(strings.TrimSpace(part), signaturePrefix)
			if !ok {
				continue // another scheme version; not ours to judge
			}
			if hmac.Equal([]byte(hexSig), want) {
				return nil
			}
		}
	}
	return ErrBadSignature
}
