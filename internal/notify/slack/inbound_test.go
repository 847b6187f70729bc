package slack_test

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/notify"
	"github.com/vigil-oss/vigil/internal/notify/slack"
	"github.com/vigil-oss/vigil/internal/notify/slack/slacktest"
)

const secret = "8f742231b10e8888abcd99yyyzzz85a5"

// The worked example of Slack's "Verifying requests from Slack" page.
func TestVerifyRequestSlackExample(t *testing.T) {
	body := []byte("token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c")
	h := http.Header{}
	h.Set("X-Slack-Request-Timestamp", "1531420618")
	h.Set("X-Slack-Signature", "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503")
	if err := slack.VerifyRequest(secret, h, body, time.Unix(1531420618+30, 0)); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyRequest(t *testing.T) {
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	body, h := slacktest.SignedAction(secret, now, "ack", 42, "U024BE7LH")

	tests := []struct {
		name string
		edit func(secret *string, h http.Header, body *[]byte, now *time.Time)
		want error
	}{
		{"genuine", func(*string, http.Header, *[]byte, *time.Time) {}, nil},
		{"4 minutes old", func(_ *string, _ http.Header, _ *[]byte, n *time.Time) { *n = n.Add(4 * time.Minute) }, nil},
		{"forged body", func(_ *string, _ http.Header, b *[]byte, _ *time.Time) {
			forged, _ := slacktest.SignedAction(secret, now, "resolve", 42, "U024BE7LH")
			*b = forged
		}, slack.ErrSignature},
		{"one byte more", func(_ *string, _ http.Header, b *[]byte, _ *time.Time) { *b = append(append([]byte{}, *b...), '&') }, slack.ErrSignature},
		{"wrong secret", func(s *string, _ http.Header, _ *[]byte, _ *time.Time) { *s = "another-secret" }, slack.ErrSignature},
		{"empty secret", func(s *string, _ http.Header, _ *[]byte, _ *time.Time) { *s = "" }, slack.ErrSignature},
		{"stale, 6 minutes old", func(_ *string, _ http.Header, _ *[]byte, n *time.Time) { *n = n.Add(6 * time.Minute) }, slack.ErrTimestamp},
		{"future, 6 minutes ahead", func(_ *string, _ http.Header, _ *[]byte, n *time.Time) { *n = n.Add(-6 * time.Minute) }, slack.ErrTimestamp},
		{"timestamp changed", func(_ *string, h http.Header, _ *[]byte, _ *time.Time) {
			h.Set("X-Slack-Request-Timestamp", strconv.FormatInt(now.Unix()+1, 10))
		}, slack.ErrSignature},
		{"no timestamp", func(_ *string, h http.Header, _ *[]byte, _ *time.Time) { h.Del("X-Slack-Request-Timestamp") }, slack.ErrTimestamp},
		{"huge timestamp", func(_ *string, h http.Header, _ *[]byte, _ *time.Time) {
			h.Set("X-Slack-Request-Timestamp", "9223372036854775807")
		}, slack.ErrTimestamp},
		{"no signature", func(_ *string, h http.Header, _ *[]byte, _ *time.Time) { h.Del("X-Slack-Signature") }, slack.ErrSignature},
		{"not v0", func(_ *string, h http.Header, _ *[]byte, _ *time.Time) {
			h.Set("X-Slack-Signature", "v1="+h.Get("X-Slack-Signature")[3:])
		}, slack.ErrSignature},
		{"not hex", func(_ *string, h http.Header, _ *[]byte, _ *time.Time) { h.Set("X-Slack-Signature", "v0=zz") }, slack.ErrSignature},
		{"truncated signature", func(_ *string, h http.Header, _ *[]byte, _ *time.Time) {
			h.Set("X-Slack-Signature", h.Get("X-Slack-Signature")[:20])
		}, slack.ErrSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, hh, b, n := secret, h.Clone(), body, now
			tt.edit(&s, hh, &b, &n)
			err := slack.VerifyRequest(s, hh, b, n)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("VerifyRequest = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestParseAction(t *testing.T) {
	for _, tc := range []struct {
		kind string
		want string
	}{{"ack", notify.KindAck}, {"resolve", notify.KindResolve}} {
		body, _ := slacktest.SignedAction(secret, time.Now(), tc.kind, 42, "U024BE7LH")
		a, err := slack.ParseAction(body)
		if err != nil {
			t.Fatalf("%s: %v", tc.kind, err)
		}
		want := slack.Action{
			Kind:        tc.want,
			IncidentID:  42,
			SlackUserID: "U024BE7LH",
			UserName:    "u024be7lh",
			TeamID:      slacktest.TeamID,
			ResponseURL: "https://hooks.slack.com/actions/" + slacktest.TeamID + "/1234567890/" + tc.kind,
		}
		if a != want {
			t.Errorf("%s:\n got %+v\nwant %+v", tc.kind, a, want)
		}
	}
}

func TestParseActionRejects(t *testing.T) {
	form := func(payload string) []byte { return []byte(url.Values{"payload": {payload}}.Encode()) }
	open, _ := slacktest.SignedAction(secret, time.Now(), "vigil_open", 42, "U1")
	other, _ := slacktest.SignedAction(secret, time.Now(), "delete_everything", 42, "U1")
	zero, _ := slacktest.SignedAction(secret, time.Now(), "ack", 0, "U1")
	noUser, _ := slacktest.SignedAction(secret, time.Now(), "ack", 42, "")
	tests := []struct {
		name    string
		body    []byte
		unknown bool
	}{
		{"open link button", open, true},
		{"unknown action", other, true},
		{"view submission", form(`{"type":"view_submission","user":{"id":"U1"}}`), true},
		{"no actions", form(`{"type":"block_actions","user":{"id":"U1"},"actions":[]}`), true},
		{"incident 0", zero, false},
		{"no user", noUser, false},
		{"value not a number", form(`{"type":"block_actions","user":{"id":"U1"},"actions":[{"action_id":"vigil_ack","value":"42; drop"}]}`), false},
		{"negative", form(`{"type":"block_actions","user":{"id":"U1"},"actions":[{"action_id":"vigil_ack","value":"-4"}]}`), false},
		{"no payload", []byte("foo=bar"), false},
		{"not JSON", form("{"), false},
		{"not a form", []byte("%zz"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := slack.ParseAction(tt.body)
			if err == nil {
				t.Fatalf("want an error, got %+v", a)
			}
			if errors.Is(err, slack.ErrUnknownAction) != tt.unknown {
				t.Errorf("errors.Is(ErrUnknownAction) = %v, want %v: %v", !tt.unknown, tt.unknown, err)
			}
		})
	}
}

func TestParseActionDropsNonHTTPSResponseURL(t *testing.T) {
	body := []byte(url.Values{"payload": {`{"type":"block_actions","user":{"id":"U1","name":"ann"},"response_url":"http://169.254.169.254/","actions":[{"action_id":"vigil_resolve","value":"7"}]}`}}.Encode())
	a, err := slack.ParseAction(body)
	if err != nil {
		t.Fatal(err)
	}
	if a.ResponseURL != "" || a.UserName != "ann" || a.Kind != notify.KindResolve || a.IncidentID != 7 {
		t.Errorf("%+v", a)
	}
}

func FuzzParseAction(f *testing.F) {
	for _, kind := range []string{"ack", "resolve", "vigil_open"} {
		body, _ := slacktest.SignedAction(secret, time.Unix(1700000000, 0), kind, 42, "U1")
		f.Add(body)
	}
	f.Add([]byte("payload=%7B%7D"))
	f.Add([]byte(`payload={"type":"block_actions","actions":[{"action_id":"vigil_ack","value":"9223372036854775807"}],"user":{"id":"U"}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		a, err := slack.ParseAction(body)
		if err != nil {
			return
		}
		if a.IncidentID <= 0 || a.SlackUserID == "" || (a.Kind != notify.KindAck && a.Kind != notify.KindResolve) {
			t.Fatalf("accepted an incomplete action %+v", a)
		}
	})
}

func FuzzVerifyRequest(f *testing.F) {
	now := time.Unix(1700000000, 0)
	body, h := slacktest.SignedAction(secret, now, "ack", 42, "U1")
	f.Add(secret, h.Get("X-Slack-Request-Timestamp"), h.Get("X-Slack-Signature"), body, int64(0))
	f.Add("", "", "", []byte{}, int64(-400))
	f.Add(secret, "-1", "v0=", []byte("x"), int64(1<<62))
	f.Fuzz(func(t *testing.T, s, ts, sig string, body []byte, offset int64) {
		hh := http.Header{}
		hh.Set("X-Slack-Request-Timestamp", ts)
		hh.Set("X-Slack-Signature", sig)
		err := slack.VerifyRequest(s, hh, body, now.Add(time.Duration(offset)))
		if err == nil {
			// Accepting means the signature really is ours.
			want := slacktest.Sign(s, time.Unix(mustInt(t, ts), 0), body)
			if s == "" || want.Get("X-Slack-Signature") != sig {
				t.Fatalf("accepted a forged request: secret %q ts %q sig %q", s, ts, sig)
			}
		}
	})
}

func mustInt(t *testing.T, s string) int64 {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatalf("accepted timestamp %q", s)
	}
	return n
}
