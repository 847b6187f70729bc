package webhook_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/notify"
	"github.com/vigil-oss/vigil/internal/notify/webhook"
	"github.com/vigil-oss/vigil/internal/notify/webhook/webhooktest"
)

const secret = "whsec-TOPSECRET-7f3a"

var fixedNow = time.Unix(1700000000, 0)

func message() notify.Message {
	return notify.Message{
		ID:         "msg-1",
		Kind:       notify.KindPage,
		IncidentID: 42,
		Title:      `<script>alert("x")</script> & disk full`,
		Body:       "line 1\nline 2",
		Severity:   "critical",
		Status:     "triggered",
		Service:    "api",
		URL:        "https://vigil.example/incidents/42",
		AckURL:     "https://vigil.example/a/tok1",
		ResolveURL: "https://vigil.example/r/tok2",
		Bundled:    2,
		CreatedAt:  time.Date(2024, 5, 1, 12, 0, 0, 0, time.FixedZone("X", 3600)),
		Late:       90*time.Second + 400*time.Millisecond,
	}
}

func TestSendWireContent(t *testing.T) {
	srv := webhooktest.New(t, secret)
	s := webhook.New(webhook.Config{Secret: secret, Now: func() time.Time { return fixedNow }})

	if _, err := s.Send(context.Background(), notify.Destination{Type: "webhook", Address: srv.URL + "/hook?x=1"}, message()); err != nil {
		t.Fatalf("Send: %v", err)
	}
	reqs := srv.Requests()
	if len(reqs) != 1 {
		t.Fatalf("got %d requests, want 1", len(reqs))
	}
	r := reqs[0]

	wantBody := `{"id":"msg-1","kind":"page","incident_id":42,` +
		`"title":"\u003cscript\u003ealert(\"x\")\u003c/script\u003e \u0026 disk full",` +
		`"body":"line 1\nline 2","severity":"critical","status":"triggered","service":"api",` +
		`"url":"https://vigil.example/incidents/42","ack_url":"https://vigil.example/a/tok1",` +
		`"resolve_url":"https://vigil.example/r/tok2","bundled":2,` +
		`"created_at":"2024-05-01T11:00:00Z","late_seconds":90}`
	if got := string(r.Body); got != wantBody {
		t.Errorf("body:\n got %s\nwant %s", got, wantBody)
	}
	if r.Method != http.MethodPost || r.Path != "/hook" {
		t.Errorf("request line: %s %s", r.Method, r.Path)
	}
	if r.PayloadErr != nil || r.Payload.Title != message().Title {
		t.Errorf("payload: %+v (%v)", r.Payload, r.PayloadErr)
	}

	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("1700000000." + wantBody))
	wantSig := "v1=" + hex.EncodeToString(mac.Sum(nil))
	for name, want := range map[string]string{
		"Content-Type":     "application/json",
		"User-Agent":       "Vigil",
		"Vigil-Message-Id": "msg-1",
		"Vigil-Timestamp":  "1700000000",
		"Vigil-Signature":  wantSig,
	} {
		if got := r.Header.Get(name); got != want {
			t.Errorf("header %s = %q, want %q", name, got, want)
		}
	}
	if err := r.VerifyAt(secret, fixedNow.Add(time.Minute)); err != nil {
		t.Errorf("Verify: %v", err)
	}
	// The fake verifies with the real clock, which is years past fixedNow.
	if !errors.Is(r.SignatureErr, webhook.ErrTimestamp) {
		t.Errorf("fake's verdict = %v, want ErrTimestamp", r.SignatureErr)
	}
}

func TestSendSignsWithRealClockAndStableID(t *testing.T) {
	srv := webhooktest.New(t, secret)
	srv.Enqueue(webhooktest.Reply{Status: 503})
	s := webhook.New(webhook.Config{Secret: secret})
	to := notify.Destination{Type: "webhook", Address: srv.URL}

	if _, err := s.Send(context.Background(), to, message()); err == nil {
		t.Fatal("first attempt: want error for 503")
	}
	if _, err := s.Send(context.Background(), to, message()); err != nil {
		t.Fatalf("retry: %v", err)
	}
	got := srv.ByMessageID()["msg-1"]
	if len(got) != 2 {
		t.Fatalf("want 2 attempts under one message id, got %v", srv.ByMessageID())
	}
	for i, r := range got {
		if r.SignatureErr != nil {
			t.Errorf("attempt %d: signature: %v", i, r.SignatureErr)
		}
	}
}

func TestSecretFor(t *testing.T) {
	srv := webhooktest.New(t, "per-destination")
	s := webhook.New(webhook.Config{
		Secret: secret,
		SecretFor: func(d notify.Destination) string {
			if strings.HasSuffix(d.Address, "/special") {
				return "per-destination"
			}
			return ""
		},
	})
	ctx := context.Background()
	if _, err := s.Send(ctx, notify.Destination{Address: srv.URL + "/special"}, message()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Send(ctx, notify.Destination{Address: srv.URL + "/other"}, message()); err != nil {
		t.Fatal(err)
	}
	reqs := srv.Requests()
	if reqs[0].SignatureErr != nil {
		t.Errorf("override secret: %v", reqs[0].SignatureErr)
	}
	if err := reqs[1].VerifyAt(secret, time.Now()); err != nil {
		t.Errorf("fallback secret: %v", err)
	}
}

func TestUnsignedWithoutSecret(t *testing.T) {
	srv := webhooktest.New(t, "")
	s := webhook.New(webhook.Config{})
	if _, err := s.Send(context.Background(), notify.Destination{Address: srv.URL}, message()); err != nil {
		t.Fatal(err)
	}
	if h := srv.Requests()[0].Header; h.Get(webhook.HeaderSignature) != "" || h.Get(webhook.HeaderTimestamp) == "" {
		t.Errorf("headers without a secret: %v", h)
	}
}

// TestResponseClasses is the retry-decision contract: each kind of answer
// maps to ok, permanent, temporary, or temporary with a wait. The URL
// carries a token and the sender a secret: neither may show in an error.
func TestResponseClasses(t *testing.T) {
	const urlToken = "URLTOKEN-9c1e"
	tests := []struct {
		name       string
		reply      *webhooktest.Reply // nil: connection refused
		wantErr    bool
		permanent  bool
		retryAfter time.Duration
		deadline   bool
	}{
		{name: "200", reply: &webhooktest.Reply{Status: 200}},
		{name: "202", reply: &webhooktest.Reply{Status: 202}},
		{name: "204", reply: &webhooktest.Reply{Status: 204}},
		{name: "302 not followed", reply: &webhooktest.Reply{Status: 302}, wantErr: true, permanent: true},
		{name: "400", reply: &webhooktest.Reply{Status: 400, Body: "bad payload"}, wantErr: true, permanent: true},
		{name: "401", reply: &webhooktest.Reply{Status: 401}, wantErr: true, permanent: true},
		{name: "404", reply: &webhooktest.Reply{Status: 404}, wantErr: true, permanent: true},
		{name: "408", reply: &webhooktest.Reply{Status: 408}, wantErr: true},
		{name: "429 Retry-After", reply: &webhooktest.Reply{Status: 429, RetryAfter: "30"}, wantErr: true, retryAfter: 30 * time.Second},
		{name: "500", reply: &webhooktest.Reply{Status: 500}, wantErr: true},
		{name: "503", reply: &webhooktest.Reply{Status: 503}, wantErr: true},
		{name: "dropped connection", reply: &webhooktest.Reply{Drop: true}, wantErr: true},
		{name: "hang", reply: &webhooktest.Reply{Hang: true}, wantErr: true, deadline: true},
		{name: "connection refused", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var base string
			if tt.reply != nil {
				srv := webhooktest.New(t, secret)
				srv.Enqueue(*tt.reply)
				base = srv.URL
			} else {
				base = strings.TrimSuffix(webhooktest.ClosedURL(t), "/")
			}
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			s := webhook.New(webhook.Config{Secret: secret})
			_, err := s.Send(ctx, notify.Destination{Address: base + "/hooks/" + urlToken + "?token=" + urlToken}, message())

			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if err == nil {
				return
			}
			if got := notify.IsPermanent(err); got != tt.permanent {
				t.Errorf("IsPermanent = %v, want %v (%v)", got, tt.permanent, err)
			}
			if got := notify.RetryAfterOf(err); got != tt.retryAfter {
				t.Errorf("RetryAfterOf = %v, want %v", got, tt.retryAfter)
			}
			if tt.deadline && !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("want a deadline error, got %v", err)
			}
			for _, leak := range []string{secret, urlToken} {
				if strings.Contains(err.Error(), leak) {
					t.Errorf("error leaks %q: %v", leak, err)
				}
			}
		})
	}
}

func TestBadAddressIsPermanent(t *testing.T) {
	s := webhook.New(webhook.Config{Secret: secret})
	for _, addr := range []string{"", "ftp://example.com/x", "not a url", "http://", "mailto:a@b.c", "javascript:alert(1)"} {
		_, err := s.Send(context.Background(), notify.Destination{Address: addr}, message())
		if err == nil || !notify.IsPermanent(err) {
			t.Errorf("%q: err = %v, want permanent", addr, err)
		}
	}
}

func TestResponseDetailIsShort(t *testing.T) {
	srv := webhooktest.New(t, "")
	srv.Enqueue(webhooktest.Reply{Status: 400, Body: strings.Repeat("é", 1000) + "\x00\n"})
	_, err := webhook.New(webhook.Config{}).Send(context.Background(), notify.Destination{Address: srv.URL}, message())
	if err == nil {
		t.Fatal("want error")
	}
	_, detail, _ := strings.Cut(err.Error(), "answered 400: ")
	if len(detail) > 200 || !strings.HasSuffix(detail, "[truncated]") {
		t.Errorf("detail (%d bytes) = %q", len(detail), detail)
	}
}
