package slack_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/vigil-oss/vigil/internal/notify"
	"github.com/vigil-oss/vigil/internal/notify/slack"
	"github.com/vigil-oss/vigil/internal/notify/slack/slacktest"
)

const token = "xoxb-1111-2222-s3cr3tT0k3n"

func newSender(t *testing.T, fake *slacktest.Server) *slack.Sender {
	t.Helper()
	s, err := slack.New(slack.Config{BaseURL: fake.URL, Token: token})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func page() notify.Message {
	return notify.Message{
		ID:         "m-1",
		Kind:       notify.KindPage,
		IncidentID: 42,
		Title:      "disk full on db-1",
		Body:       "/var is at 99%",
		Severity:   "critical",
		Status:     "triggered",
		Service:    "api",
		URL:        "https://vigil.example/incidents/42",
		CreatedAt:  time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
	}
}

func TestSendWireFormat(t *testing.T) {
	fake := slacktest.New(t, token)
	s := newSender(t, fake)

	rcpt, err := s.Send(context.Background(), notify.Destination{Type: "slack", Address: "U024BE7LH"}, page())
	if err != nil {
		t.Fatal(err)
	}
	posts := fake.Posts()
	if len(posts) != 1 {
		t.Fatalf("got %d posts, want 1", len(posts))
	}
	p := posts[0]
	if rcpt.ProviderID != p.TS || p.TS == "" {
		t.Errorf("receipt %q, fake answered ts %q", rcpt.ProviderID, p.TS)
	}
	if p.ContentType != "application/json; charset=utf-8" {
		t.Errorf("Content-Type %q", p.ContentType)
	}

	var got map[string]any
	if err := json.Unmarshal(p.Raw, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"channel":      "U024BE7LH",
		"text":         "[Vigil] #42 critical: disk full on db-1 (api)",
		"unfurl_links": false,
		"unfurl_media": false,
		"blocks": []any{
			map[string]any{
				"type": "section",
				"text": map[string]any{
					"type": "mrkdwn",
					"text": "*#42 disk full on db-1*\n*Severity:* critical   *Service:* api   *Status:* triggered\n/var is at 99%",
				},
			},
			map[string]any{
				"type":     "actions",
				"block_id": "vigil_actions",
				"elements": []any{
					map[string]any{
						"type": "button", "action_id": "vigil_ack", "value": "42", "style": "primary",
						"text": map[string]any{"type": "plain_text", "text": "Acknowledge"},
					},
					map[string]any{
						"type": "button", "action_id": "vigil_resolve", "value": "42",
						"text": map[string]any{"type": "plain_text", "text": "Resolve"},
					},
					map[string]any{
						"type": "button", "action_id": "vigil_open", "url": "https://vigil.example/incidents/42",
						"text": map[string]any{"type": "plain_text", "text": "Open"},
					},
				},
			},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("chat.postMessage body (-want +got):\n%s", diff)
	}
}

func TestSendChannel(t *testing.T) {
	fake := slacktest.New(t, token)
	s := newSender(t, fake)
	if _, err := s.Send(context.Background(), notify.Destination{Type: "slack", Address: " C0123ABCD "}, page()); err != nil {
		t.Fatal(err)
	}
	if got := fake.Posts()[0].Channel; got != "C0123ABCD" {
		t.Errorf("channel %q, want C0123ABCD", got)
	}
}

func TestSendEscapesMrkdwn(t *testing.T) {
	fake := slacktest.New(t, token)
	s := newSender(t, fake)
	m := page()
	m.Title = "<script>&alert(1)</script> <!channel>"
	m.Body = "see <https://evil.example|here> & <@U999>"
	m.Service = "a<b>"
	if _, err := s.Send(context.Background(), notify.Destination{Address: "C1"}, m); err != nil {
		t.Fatal(err)
	}
	p := fake.Posts()[0]
	section := p.Section()
	for _, want := range []string{
		"&lt;script&gt;&amp;alert(1)&lt;/script&gt; &lt;!channel&gt;",
		"see &lt;https://evil.example|here&gt; &amp; &lt;@U999&gt;",
		"*Service:* a&lt;b&gt;",
	} {
		if !strings.Contains(section, want) {
			t.Errorf("section lacks %q:\n%s", want, section)
		}
	}
	for _, text := range []string{section, p.Text} {
		if strings.ContainsAny(text, "<>") {
			t.Errorf("unescaped < or > in %q", text)
		}
	}
	if want := "[Vigil] #42 critical: &lt;script&gt;&amp;alert(1)&lt;/script&gt; &lt;!channel&gt; (a&lt;b&gt;)"; p.Text != want {
		t.Errorf("fallback text\n got %q\nwant %q", p.Text, want)
	}
}

func TestSendLateNote(t *testing.T) {
	fake := slacktest.New(t, token)
	s := newSender(t, fake)
	m := page()
	m.Late = 7*time.Minute + 3*time.Second
	if _, err := s.Send(context.Background(), notify.Destination{Address: "U1"}, m); err != nil {
		t.Fatal(err)
	}
	p := fake.Posts()[0]
	if want := ":warning: " + notify.LateNote(m); p.Context() != want {
		t.Errorf("context %q, want %q", p.Context(), want)
	}
	if p.Blocks[1].Type != "context" {
		t.Errorf("the late note should follow the section, blocks: %+v", p.Blocks)
	}

	m.Late = 10 * time.Second
	if _, err := s.Send(context.Background(), notify.Destination{Address: "U1"}, m); err != nil {
		t.Fatal(err)
	}
	if got := fake.Posts()[1].Context(); got != "" {
		t.Errorf("on-time message has context %q", got)
	}
}

func TestSendButtonsByKind(t *testing.T) {
	tests := []struct {
		name string
		edit func(*notify.Message)
		want []string
	}{
		{"page", func(*notify.Message) {}, []string{"vigil_ack", "vigil_resolve", "vigil_open"}},
		{"manual", func(m *notify.Message) { m.Kind = notify.KindManual }, []string{"vigil_ack", "vigil_resolve", "vigil_open"}},
		{"bundle", func(m *notify.Message) { m.Kind = notify.KindBundle; m.Bundled = 3 }, []string{"vigil_ack", "vigil_resolve", "vigil_open"}},
		{"ack", func(m *notify.Message) { m.Kind = notify.KindAck }, []string{"vigil_resolve", "vigil_open"}},
		{"resolve", func(m *notify.Message) { m.Kind = notify.KindResolve }, []string{"vigil_open"}},
		{"status update", func(m *notify.Message) { m.Kind = notify.KindStatus }, []string{"vigil_open"}},
		{"no url", func(m *notify.Message) { m.URL = "" }, []string{"vigil_ack", "vigil_resolve"}},
		{"not a web url", func(m *notify.Message) { m.URL = "javascript:alert(1)" }, []string{"vigil_ack", "vigil_resolve"}},
		{"test", func(m *notify.Message) { *m = notify.Message{Kind: notify.KindTest, Title: "hello"} }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := slacktest.New(t, token)
			s := newSender(t, fake)
			m := page()
			tt.edit(&m)
			if _, err := s.Send(context.Background(), notify.Destination{Address: "U1"}, m); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, b := range fake.Posts()[0].Blocks {
				for _, e := range b.Elements {
					if e.Type == "button" {
						got = append(got, e.ActionID)
					}
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("buttons (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSendBundleAndKindLabels(t *testing.T) {
	fake := slacktest.New(t, token)
	s := newSender(t, fake)
	m := page()
	m.Kind = notify.KindBundle
	m.Bundled = 3
	if _, err := s.Send(context.Background(), notify.Destination{Address: "U1"}, m); err != nil {
		t.Fatal(err)
	}
	m = page()
	m.Kind = notify.KindResolve
	if _, err := s.Send(context.Background(), notify.Destination{Address: "U1"}, m); err != nil {
		t.Fatal(err)
	}
	m = page()
	m.Kind, m.Body = notify.KindStatus, "We are rolling back."
	if _, err := s.Send(context.Background(), notify.Destination{Address: "#customer-support"}, m); err != nil {
		t.Fatal(err)
	}
	posts := fake.Posts()
	if p := posts[2]; !strings.HasPrefix(p.Section(), "*Status update: #42 disk full on db-1*") || !strings.Contains(p.Section(), "We are rolling back.") ||
		p.Channel != "#customer-support" || !strings.HasPrefix(p.Text, "[Vigil] Status update: #42") {
		t.Errorf("status update: channel %q, text %q, section %q", p.Channel, p.Text, p.Section())
	}
	if !strings.Contains(posts[0].Section(), "_and 3 more incidents_") {
		t.Errorf("bundle section: %q", posts[0].Section())
	}
	if !strings.HasPrefix(posts[1].Section(), "*Resolved: #42 disk full on db-1*") {
		t.Errorf("resolve section: %q", posts[1].Section())
	}
}

func TestSendFitsSlackLimits(t *testing.T) {
	fake := slacktest.New(t, token)
	s := newSender(t, fake)
	m := page()
	m.Title = strings.Repeat("<title>\n", 400)
	m.Body = strings.Repeat("&<>", 5000)
	// The fake answers invalid_blocks if a limit is broken.
	if _, err := s.Send(context.Background(), notify.Destination{Address: "U1"}, m); err != nil {
		t.Fatal(err)
	}
	p := fake.Posts()[0]
	section := p.Section()
	if len(section) > 3000 {
		t.Errorf("section is %d bytes", len(section))
	}
	if !strings.Contains(section, "[truncated]") {
		t.Errorf("cut text must say so: %q", section[len(section)-40:])
	}
	// Truncation never splits an entity.
	trimmed := strings.NewReplacer("&amp;", "", "&lt;", "", "&gt;", "").Replace(section)
	if strings.Contains(trimmed, "&") {
		t.Errorf("section has a broken entity")
	}
	if strings.Contains(strings.SplitN(section, "\n", 2)[0], "title&gt;\n") {
		t.Errorf("title newlines must be folded")
	}
}

// TestResponseClasses is the retry decision for every kind of answer.
func TestResponseClasses(t *testing.T) {
	type want struct {
		ok         bool
		permanent  bool
		retryAfter time.Duration
		contains   string
	}
	tests := []struct {
		name   string
		answer *slacktest.Answer
		want   want
	}{
		{"ok", nil, want{ok: true}},
		{"channel_not_found", ptr(slacktest.Fail("channel_not_found")), want{permanent: true, contains: "channel_not_found"}},
		{"not_in_channel", ptr(slacktest.Fail("not_in_channel")), want{permanent: true, contains: "not_in_channel"}},
		{"invalid_auth", ptr(slacktest.Fail("invalid_auth")), want{permanent: true, contains: "invalid_auth"}},
		{"account_inactive", ptr(slacktest.Fail("account_inactive")), want{permanent: true, contains: "account_inactive"}},
		{"token_revoked", ptr(slacktest.Fail("token_revoked")), want{permanent: true, contains: "token_revoked"}},
		{"is_archived", ptr(slacktest.Fail("is_archived")), want{permanent: true, contains: "is_archived"}},
		{"msg_too_long", ptr(slacktest.Fail("msg_too_long")), want{permanent: true, contains: "msg_too_long"}},
		{"unknown code is permanent", ptr(slacktest.Fail("something_new")), want{permanent: true, contains: "something_new"}},
		{"internal_error", ptr(slacktest.Fail("internal_error")), want{contains: "internal_error"}},
		{"fatal_error", ptr(slacktest.Fail("fatal_error")), want{contains: "fatal_error"}},
		{"service_unavailable", ptr(slacktest.Fail("service_unavailable")), want{contains: "service_unavailable"}},
		{"ratelimited in a 200", ptr(slacktest.Answer{Error: "ratelimited", RetryAfter: 7 * time.Second}), want{retryAfter: 7 * time.Second, contains: "ratelimited"}},
		{"429 Retry-After", ptr(slacktest.RateLimited(30 * time.Second)), want{retryAfter: 30 * time.Second, contains: "429"}},
		{"429 without Retry-After", ptr(slacktest.Answer{Status: 429, Error: "ratelimited"}), want{contains: "ratelimited"}},
		{"500", ptr(slacktest.ServerError()), want{contains: "500"}},
		{"503 Retry-After", ptr(slacktest.Answer{Status: 503, RetryAfter: time.Minute}), want{retryAfter: time.Minute, contains: "503"}},
		{"404", ptr(slacktest.Answer{Status: 404, Error: "unknown_method"}), want{permanent: true, contains: "unknown_method"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := slacktest.New(t, token)
			s := newSender(t, fake)
			if tt.answer != nil {
				fake.Enqueue(*tt.answer)
			}
			rcpt, err := s.Send(context.Background(), notify.Destination{Address: "U1"}, page())
			checkErr(t, err, tt.want.ok, tt.want.permanent, tt.want.retryAfter, tt.want.contains)
			if tt.want.ok && rcpt.ProviderID == "" {
				t.Error("no ts in the receipt")
			}
			if n := len(fake.Posts()); n != 1 {
				t.Errorf("%d calls, want 1", n)
			}
		})
	}
}

func TestWrongToken(t *testing.T) {
	fake := slacktest.New(t, "xoxb-the-right-one")
	s := newSender(t, fake)
	_, err := s.Send(context.Background(), notify.Destination{Address: "U1"}, page())
	checkErr(t, err, false, true, 0, "invalid_auth")
	if fake.Rejected() != 1 || len(fake.Posts()) != 0 {
		t.Errorf("rejected %d, posts %d", fake.Rejected(), len(fake.Posts()))
	}
}

func TestConnectionRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	s, err := slack.New(slack.Config{BaseURL: "http://" + addr + "/api/", Token: token})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Send(context.Background(), notify.Destination{Address: "U1"}, page())
	checkErr(t, err, false, false, 0, "chat.postMessage")
}

func TestHangEndsAtDeadline(t *testing.T) {
	fake := slacktest.New(t, token)
	s := newSender(t, fake)
	fake.Enqueue(slacktest.Hang())
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := s.Send(ctx, notify.Destination{Address: "U1"}, page())
	checkErr(t, err, false, false, 0, "")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want context.DeadlineExceeded", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("took %s", time.Since(start))
	}
}

func TestBadAddressIsPermanent(t *testing.T) {
	fake := slacktest.New(t, token)
	s := newSender(t, fake)
	for _, addr := range []string{"", "  ", "U1 U2"} {
		_, err := s.Send(context.Background(), notify.Destination{Address: addr}, page())
		checkErr(t, err, false, true, 0, "")
	}
	if n := len(fake.Posts()); n != 0 {
		t.Errorf("%d calls for bad addresses", n)
	}
}

// A proxy that echoes the request must not carry the token into errors.
func TestErrorsNeverShowTheToken(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		switch strings.Split(r.URL.Path, "/")[1] {
		case "json":
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(map[string]any{"ok": false, "error": "bad " + r.Header.Get("Authorization")})
		case "html200":
			io.WriteString(w, "<html>"+r.Header.Get("Authorization")+"</html>")
		default:
			w.WriteHeader(http.StatusBadGateway)
			io.WriteString(w, r.Header.Get("Authorization")+" "+string(b))
		}
	}))
	defer srv.Close()
	for _, mode := range []string{"json", "html200", "502"} {
		s, err := slack.New(slack.Config{BaseURL: srv.URL + "/" + mode + "/", Token: token})
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.Send(context.Background(), notify.Destination{Address: "U1"}, page())
		if err == nil {
			t.Fatalf("%s: no error", mode)
		}
		if strings.Contains(err.Error(), token) {
			t.Errorf("%s: error shows the token: %v", mode, err)
		}
	}
}

func TestNewChecksConfig(t *testing.T) {
	if _, err := slack.New(slack.Config{}); err == nil {
		t.Error("no token: want an error")
	}
	if _, err := slack.New(slack.Config{Token: token, BaseURL: "ftp://x"}); err == nil {
		t.Error("ftp base URL: want an error")
	}
	if _, err := slack.New(slack.Config{Token: token}); err != nil {
		t.Errorf("default base URL: %v", err)
	}
}

func checkErr(t *testing.T, err error, ok, permanent bool, retryAfter time.Duration, contains string) {
	t.Helper()
	if ok {
		if err != nil {
			t.Fatalf("want success, got %v", err)
		}
		return
	}
	if err == nil {
		t.Fatal("want an error, got nil")
	}
	if got := notify.IsPermanent(err); got != permanent {
		t.Errorf("IsPermanent = %v, want %v (%v)", got, permanent, err)
	}
	if got := notify.RetryAfterOf(err); got != retryAfter {
		t.Errorf("RetryAfterOf = %s, want %s (%v)", got, retryAfter, err)
	}
	if !strings.Contains(err.Error(), contains) {
		t.Errorf("error %q lacks %q", err, contains)
	}
	if strings.Contains(err.Error(), token) {
		t.Errorf("error shows the token: %v", err)
	}
}

func ptr[T any](v T) *T { return &v }

// TestHostileTextInert (catalog H4): no raw markup or mrkdwn link reaches
// Slack from alert text, and buttons never open a non-http(s) URL.
func TestHostileTextInert(t *testing.T) {
	fake := slacktest.New(t, token)
	s := newSender(t, fake)
	m := page()
	m.Title = `<script>window.__xss=1</script><img src=x onerror="window.__xss=2"> <javascript:alert(1)|click>`
	m.URL = "javascript:window.__xss=5"
	m.AckURL = "data:text/html,<script>window.__xss=6</script>"
	if _, err := s.Send(context.Background(), notify.Destination{Address: "C1"}, m); err != nil {
		t.Fatal(err)
	}
	p := fake.Posts()[0]
	var all strings.Builder
	all.WriteString(p.Text)
	all.WriteString(p.Section())
	all.WriteString(p.Context())
	for _, bad := range []string{"<script", "<img", "<javascript:"} {
		if strings.Contains(all.String(), bad) {
			t.Errorf("message holds %q: %s", bad, all.String())
		}
	}
	for _, b := range p.Blocks {
		for _, e := range b.Elements {
			if e.URL != "" && !strings.HasPrefix(e.URL, "https://") && !strings.HasPrefix(e.URL, "http://") {
				t.Errorf("button %s opens %q", e.ActionID, e.URL)
			}
		}
	}
}
