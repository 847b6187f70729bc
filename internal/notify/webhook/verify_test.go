package webhook_test

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/notify/webhook"
)

func TestVerify(t *testing.T) {
	body := []byte(`{"id":"m1"}`)
	ts := fixedNow.Unix()
	good := webhook.Signature(secret, ts, body)
	hdr := func(kv ...string) http.Header {
		h := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			h.Add(kv[i], kv[i+1])
		}
		return h
	}
	tsText := strconv.FormatInt(ts, 10)
	tests := []struct {
		name   string
		secret string
		header http.Header
		body   []byte
		now    time.Time
		want   error
	}{
		{"valid", secret, hdr("Vigil-Timestamp", tsText, "Vigil-Signature", good), body, fixedNow, nil},
		{"valid at edge of window", secret, hdr("Vigil-Timestamp", tsText, "Vigil-Signature", good), body, fixedNow.Add(5 * time.Minute), nil},
		{"rotation: second value matches", secret, hdr("Vigil-Timestamp", tsText, "Vigil-Signature", "v1=00ff, "+good), body, fixedNow, nil},
		{"rotation: repeated header", secret, hdr("Vigil-Timestamp", tsText, "Vigil-Signature", "v1=abcd", "Vigil-Signature", good), body, fixedNow, nil},
		{"wrong secret", "other", hdr("Vigil-Timestamp", tsText, "Vigil-Signature", good), body, fixedNow, webhook.ErrBadSignature},
		{"tampered body", secret, hdr("Vigil-Timestamp", tsText, "Vigil-Signature", good), []byte(`{"id":"m2"}`), fixedNow, webhook.ErrBadSignature},
		{"too old", secret, hdr("Vigil-Timestamp", tsText, "Vigil-Signature", good), body, fixedNow.Add(6 * time.Minute), webhook.ErrTimestamp},
		{"from the future", secret, hdr("Vigil-Timestamp", tsText, "Vigil-Signature", good), body, fixedNow.Add(-6 * time.Minute), webhook.ErrTimestamp},
		{"timestamp changed", secret, hdr("Vigil-Timestamp", strconv.FormatInt(ts+1, 10), "Vigil-Signature", good), body, fixedNow, webhook.ErrBadSignature},
		{"timestamp not canonical", secret, hdr("Vigil-Timestamp", "+"+tsText, "Vigil-Signature", good), body, fixedNow, webhook.ErrNoTimestamp},
		{"huge timestamp", secret, hdr("Vigil-Timestamp", "9223372036854775807", "Vigil-Signature", good), body, fixedNow, webhook.ErrTimestamp},
		{"tiny timestamp", secret, hdr("Vigil-Timestamp", "-9223372036854775808", "Vigil-Signature", good), body, fixedNow, webhook.ErrTimestamp},
		{"missing timestamp", secret, hdr("Vigil-Signature", good), body, fixedNow, webhook.ErrNoTimestamp},
		{"missing signature", secret, hdr("Vigil-Timestamp", tsText), body, fixedNow, webhook.ErrNoSignature},
		{"other scheme only", secret, hdr("Vigil-Timestamp", tsText, "Vigil-Signature", "v0="+good[3:]), body, fixedNow, webhook.ErrBadSignature},
		{"upper-case hex", secret, hdr("Vigil-Timestamp", tsText, "Vigil-Signature", "v1="+strings.ToUpper(good[3:])), body, fixedNow, webhook.ErrBadSignature},
		{"not hex", secret, hdr("Vigil-Timestamp", tsText, "Vigil-Signature", "v1=zz"), body, fixedNow, webhook.ErrBadSignature},
		{"truncated signature", secret, hdr("Vigil-Timestamp", tsText, "Vigil-Signature", good[:20]), body, fixedNow, webhook.ErrBadSignature},
		{"no secret", "", hdr("Vigil-Timestamp", tsText, "Vigil-Signature", good), body, fixedNow, webhook.ErrNoSecret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := webhook.Verify(tt.secret, tt.header, tt.body, tt.now, 0)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Errorf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
}

// FuzzVerify feeds Verify arbitrary headers and bodies: it must never
// panic, and a signature made by Signature must always verify.
func FuzzVerify(f *testing.F) {
	f.Add("s", "1700000000", "v1=00", []byte("{}"), int64(1700000000))
	f.Add("", "", "", []byte(nil), int64(0))
	f.Add("k", "-1", "v1=,v1=zz,,v2=1", []byte("x"), int64(-1))
	f.Add("k", "9223372036854775807", "v1="+webhook.Signature("k", 1, nil)[3:], []byte{}, int64(1))
	f.Fuzz(func(t *testing.T, secret, ts, sig string, body []byte, now int64) {
		h := http.Header{}
		h.Set(webhook.HeaderTimestamp, ts)
		h.Set(webhook.HeaderSignature, sig)
		_ = webhook.Verify(secret, h, body, time.Unix(now, 0), time.Minute)

		if secret == "" {
			return
		}
		h.Set(webhook.HeaderTimestamp, strconv.FormatInt(now, 10))
		h.Set(webhook.HeaderSignature, webhook.Signature(secret, now, body))
		if err := webhook.Verify(secret, h, body, time.Unix(now, 0), time.Minute); err != nil {
			t.Fatalf("own signature rejected: %v", err)
		}
	})
}
