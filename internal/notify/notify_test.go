package notify_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/vigil-oss/vigil/internal/notify"
)

func response(status int, retryAfter string) *http.Response {
	h := http.Header{}
	if retryAfter != "" {
		h.Set("Retry-After", retryAfter)
	}
	return &http.Response{
		StatusCode: status,
		Header:     h,
		Request:    &http.Request{URL: &url.URL{Scheme: "https", Host: "hooks.example", Path: "/secret/path", RawQuery: "token=abc"}},
	}
}

func TestCheckResponse(t *testing.T) {
	date := time.Now().Add(2 * time.Minute).UTC().Format(http.TimeFormat)
	tests := []struct {
		name       string
		status     int
		retryAfter string
		wantErr    bool
		permanent  bool
		// retryAfter window; the HTTP-date case is relative to now and
		// has second precision.
		minWait, maxWait time.Duration
	}{
		{name: "200", status: 200},
		{name: "202", status: 202},
		{name: "204", status: 204},
		{name: "301", status: 301, wantErr: true, permanent: true},
		{name: "400", status: 400, wantErr: true, permanent: true},
		{name: "401", status: 401, wantErr: true, permanent: true},
		{name: "403", status: 403, wantErr: true, permanent: true},
		{name: "404", status: 404, wantErr: true, permanent: true},
		{name: "408", status: 408, wantErr: true},
		{name: "425", status: 425, wantErr: true},
		{name: "429 without Retry-After", status: 429, wantErr: true},
		{name: "429 Retry-After seconds", status: 429, retryAfter: "120", wantErr: true, minWait: 120 * time.Second, maxWait: 120 * time.Second},
		{name: "429 Retry-After HTTP-date", status: 429, retryAfter: date, wantErr: true, minWait: 118 * time.Second, maxWait: 120 * time.Second},
		{name: "429 Retry-After capped", status: 429, retryAfter: "86400", wantErr: true, minWait: notify.MaxRetryAfter, maxWait: notify.MaxRetryAfter},
		{name: "429 Retry-After garbage", status: 429, retryAfter: "soon", wantErr: true},
		{name: "500", status: 500, wantErr: true},
		{name: "502", status: 502, wantErr: true},
		{name: "503", status: 503, wantErr: true},
		{name: "503 Retry-After", status: 503, retryAfter: "5", wantErr: true, minWait: 5 * time.Second, maxWait: 5 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := notify.CheckResponse(response(tt.status, tt.retryAfter), "detail text")
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if err == nil {
				return
			}
			if got := notify.IsPermanent(err); got != tt.permanent {
				t.Errorf("IsPermanent = %v, want %v", got, tt.permanent)
			}
			if got := notify.RetryAfterOf(err); got < tt.minWait || got > tt.maxWait {
				t.Errorf("RetryAfterOf = %v, want within [%v, %v]", got, tt.minWait, tt.maxWait)
			}
			msg := err.Error()
			if !strings.Contains(msg, "hooks.example") || !strings.Contains(msg, "detail text") {
				t.Errorf("error %q lacks host or detail", msg)
			}
			if strings.Contains(msg, "secret") || strings.Contains(msg, "token") {
				t.Errorf("error %q shows more of the URL than the host", msg)
			}
		})
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"0", 0},
		{"30", 30 * time.Second},
		{"-5", 0},
		{"1800", 30 * time.Minute},
		{"1801", notify.MaxRetryAfter},
		{"99999999999", notify.MaxRetryAfter},
		{"Wed, 01 May 2024 12:01:30 GMT", 90 * time.Second},
		{"Wed, 01 May 2024 11:00:00 GMT", 0}, // in the past
		{"Thu, 02 May 2024 12:00:00 GMT", notify.MaxRetryAfter},
		{"Wednesday, 01-May-24 12:00:10 GMT", 10 * time.Second}, // RFC 850, still valid
		{"1.5", 0},
		{"later", 0},
	}
	for _, tt := range tests {
		if got := notify.ParseRetryAfter(tt.in, now); got != tt.want {
			t.Errorf("ParseRetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestErrorHelpers(t *testing.T) {
	base := errors.New("boom")
	if p := notify.Permanent(base); !notify.IsPermanent(p) || !errors.Is(p, base) || notify.RetryAfterOf(p) != 0 {
		t.Errorf("Permanent: %v", p)
	}
	wrapped := errors.Join(errors.New("ctx"), notify.RetryAfter(base, time.Minute))
	if notify.IsPermanent(wrapped) || notify.RetryAfterOf(wrapped) != time.Minute {
		t.Errorf("RetryAfter through a wrap: %v", wrapped)
	}
	if notify.IsPermanent(base) || notify.RetryAfterOf(base) != 0 {
		t.Error("a plain error is temporary with no wait")
	}
}

func TestRegistry(t *testing.T) {
	called := false
	r := notify.Registry{"email": notify.SenderFunc(func(context.Context, notify.Destination, notify.Message) (notify.Receipt, error) {
		called = true
		return notify.Receipt{ProviderID: "x"}, nil
	})}
	if rc, err := r.Send(context.Background(), notify.Destination{Type: "email"}, notify.Message{}); err != nil || rc.ProviderID != "x" || !called {
		t.Errorf("Send = %v, %v", rc, err)
	}
	if _, err := r.Send(context.Background(), notify.Destination{Type: "pigeon"}, notify.Message{}); !notify.IsPermanent(err) {
		t.Errorf("unknown type: %v", err)
	}
}

func TestSubject(t *testing.T) {
	tests := []struct {
		name string
		m    notify.Message
		want string
	}{
		{"page", notify.Message{Kind: notify.KindPage, IncidentID: 42, Severity: "critical", Title: "disk full on db-1", Service: "api"},
			"[Vigil] #42 critical: disk full on db-1 (api)"},
		{"ack hides severity", notify.Message{Kind: notify.KindAck, IncidentID: 42, Severity: "critical", Title: "disk full"},
			"[Vigil] Acknowledged: #42 disk full"},
		{"resolve", notify.Message{Kind: notify.KindResolve, IncidentID: 7, Severity: "low", Title: "x", Service: "web"},
			"[Vigil] Resolved: #7 x (web)"},
		{"test", notify.Message{Kind: notify.KindTest, Title: "hello"}, "[Vigil] Test: hello"},
		{"status update", notify.Message{Kind: notify.KindStatus, IncidentID: 42, Severity: "critical", Title: "disk full", Service: "api", Body: "rolling back"},
			"[Vigil] Status update: #42 critical: disk full (api)"},
		{"bundle", notify.Message{Kind: notify.KindBundle, IncidentID: 1, Title: "a", Bundled: 3}, "[Vigil] #1 a and 3 more"},
		{"bare", notify.Message{Title: "only title"}, "[Vigil] only title"},
	}
	for _, tt := range tests {
		if got := notify.Subject(tt.m); got != tt.want {
			t.Errorf("%s: Subject = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestLateNote(t *testing.T) {
	if got := notify.LateNote(notify.Message{Late: 59 * time.Second}); got != "" {
		t.Errorf("under a minute: %q", got)
	}
	if got := notify.LateNote(notify.Message{Late: 3*time.Minute + 400*time.Millisecond}); got != "Sent 3m0s late: delivery was delayed." {
		t.Errorf("late: %q", got)
	}
}

func TestTruncate(t *testing.T) {
	const marker = "… [truncated]"
	tests := []struct {
		s    string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"exactly", 7, "exactly"},
		{strings.Repeat("a", 30), 20, "aaaaa" + marker},
		// "é" is 2 bytes: a cut inside it backs off to the rune start.
		{strings.Repeat("é", 20), 20, "éé" + marker}, // 20-15=5 bytes -> 2 runes (4 bytes)
		{strings.Repeat("日", 20), 21, "日日" + marker}, // 6 bytes -> 2 runes
		// No room for the marker: a plain cut, still on a rune boundary.
		{"日本語テキスト", 7, "日本"},
		{"abcdef", 0, ""},
	}
	for _, tt := range tests {
		if got := notify.Truncate(tt.s, tt.n); got != tt.want {
			t.Errorf("Truncate(%q, %d) = %q, want %q", tt.s, tt.n, got, tt.want)
		}
	}

	// Every cut of mixed-width text stays valid UTF-8 within n bytes, and
	// says it cut when there was room to.
	s := "a€😀é日b" + strings.Repeat("😀x", 20)
	for n := 0; n <= len(s)+1; n++ {
		got := notify.Truncate(s, n)
		if len(got) > n || !utf8.ValidString(got) {
			t.Fatalf("Truncate(s, %d) = %q (%d bytes)", n, got, len(got))
		}
		if n < len(s) && n > len(marker) && !strings.HasSuffix(got, marker) {
			t.Errorf("Truncate(s, %d) = %q lacks the marker", n, got)
		}
	}
}

func TestRedactURL(t *testing.T) {
	u, _ := url.Parse("https://hooks.example.com/services/T000/B000/XXXXsecretXXXX?api_key=k3y-v4lue-123&to=%2B1555")
	for _, echo := range []string{
		"bad path /services/T000/B000/XXXXsecretXXXX",
		"unknown hook XXXXsecretXXXX",
		"query api_key=k3y-v4lue-123 refused",
		"full " + u.String(),
		"escaped " + url.QueryEscape("/services/T000/B000/XXXXsecretXXXX"),
	} {
		got := notify.RedactURL(echo, u)
		if strings.Contains(got, "XXXXsecretXXXX") || strings.Contains(got, "k3y-v4lue-123") {
			t.Errorf("RedactURL(%q) = %q", echo, got)
		}
	}
	if got := notify.RedactURL("invalid_auth: token expired", u); got != "invalid_auth: token expired" {
		t.Errorf("ordinary text changed: %q", got)
	}
	resp := &http.Response{StatusCode: 404, Request: &http.Request{URL: u}}
	if err := notify.CheckResponse(resp, "no hook at /services/T000/B000/XXXXsecretXXXX"); strings.Contains(err.Error(), "XXXXsecretXXXX") {
		t.Errorf("CheckResponse kept the secret: %v", err)
	}
}
