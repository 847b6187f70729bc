package email_test

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/notify"
	"github.com/vigil-oss/vigil/internal/notify/email"
	"github.com/vigil-oss/vigil/internal/notify/email/smtptest"
)

const (
	user     = "vigil"
	password = "SMTP-PASSWORD-4b7e"
)

var fixedNow = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

func message() notify.Message {
	return notify.Message{
		ID:         "msg-1",
		Kind:       notify.KindPage,
		IncidentID: 42,
		Title:      `<script>alert("x")</script> & disk full`,
		// A lone dot and a leading dot test SMTP dot-stuffing both ways.
		Body:       "first line\n.\n.hidden dot line\n<b>not bold</b>",
		Severity:   "critical",
		Status:     "triggered",
		Service:    "api",
		URL:        "https://vigil.example/incidents/42",
		AckURL:     "https://vigil.example/a/tok1?x=1&y=2",
		ResolveURL: "https://vigil.example/r/tok2",
		Late:       2 * time.Minute,
	}
}

func newSender(t *testing.T, srv *smtptest.Server, mut ...func(*email.Config)) *email.Sender {
	t.Helper()
	cfg := email.Config{
		Host: srv.Host, Port: srv.Port,
		Username: user, Password: password,
		From: "Vigil <vigil@example.com>",
		TLS:  email.TLSNone,
		HELO: "vigil.test",
		Now:  func() time.Time { return fixedNow },
	}
	for _, f := range mut {
		f(&cfg)
	}
	s, err := email.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSendRoundTrip(t *testing.T) {
	srv := smtptest.New(t, smtptest.Options{Username: user, Password: password})
	s := newSender(t, srv)
	rc, err := s.Send(context.Background(), notify.Destination{Type: "email", Address: "Oncall <oncall@example.org>"}, message())
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	msgs := srv.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages", len(msgs))
	}
	got := msgs[0]
	if got.ParseErr != nil {
		t.Fatalf("parse: %v\n%s", got.ParseErr, got.Data)
	}
	if got.From != "vigil@example.com" || strings.Join(got.To, ",") != "oncall@example.org" || got.AuthUser != user {
		t.Errorf("envelope: from %q to %v auth %q", got.From, got.To, got.AuthUser)
	}
	if want := notify.Subject(message()); got.Subject != want {
		t.Errorf("Subject = %q, want %q", got.Subject, want)
	}
	if id := got.Header.Get("Message-Id"); id != "<vigil.msg-1@example.com>" || rc.ProviderID != "vigil.msg-1@example.com" {
		t.Errorf("Message-Id = %q, receipt %q", id, rc.ProviderID)
	}
	for k, want := range map[string]string{
		"Auto-Submitted":           "auto-generated",
		"X-Auto-Response-Suppress": "All",
		"Vigil-Message-Id":         "msg-1",
		"Date":                     "Wed, 01 May 2024 12:00:00 +0000",
	} {
		if v := got.Header.Get(k); v != want {
			t.Errorf("%s = %q, want %q", k, v, want)
		}
	}

	// Plain part: the text as typed, dots intact after the SMTP round trip.
	for _, want := range []string{
		message().Body,
		"Severity: critical\n",
		"Acknowledge: https://vigil.example/a/tok1?x=1&y=2\n",
		"Resolve: https://vigil.example/r/tok2\n",
		"Open incident: https://vigil.example/incidents/42\n",
		"Sent 2m0s late: delivery was delayed.",
	} {
		if !strings.Contains(norm(got.Text), want) {
			t.Errorf("plain part lacks %q:\n%s", want, got.Text)
		}
	}

	// HTML part: user text is escaped text, never markup.
	html := norm(got.HTML)
	for _, want := range []string{
		`&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; disk full`,
		`&lt;b&gt;not bold&lt;/b&gt;`,
		"\n.\n.hidden dot line",
		`<a href="https://vigil.example/a/tok1?x=1&amp;y=2">Acknowledge</a>`,
		`<a href="https://vigil.example/incidents/42">Open incident</a>`,
		`Sent 2m0s late: delivery was delayed.`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("HTML part lacks %q:\n%s", want, html)
		}
	}
	for _, bad := range []string{"<script>", "<b>not"} {
		if strings.Contains(html, bad) {
			t.Errorf("HTML part contains raw %q", bad)
		}
	}

	// The wire keeps RFC 5321 order, and the credentials are not logged.
	cmds := strings.Join(srv.Commands(), "|")
	if !strings.HasPrefix(cmds, "EHLO vigil.test|AUTH …|MAIL FROM:<vigil@example.com>") || !strings.HasSuffix(cmds, "DATA|QUIT") {
		t.Errorf("commands: %s", cmds)
	}
}

func norm(s string) string { return strings.ReplaceAll(s, "\r\n", "\n") }

func TestMessageIDStableAcrossRetries(t *testing.T) {
	srv := smtptest.New(t, smtptest.Options{})
	s := newSender(t, srv, func(c *email.Config) { c.Username, c.Password = "", "" })
	for range 2 {
		if _, err := s.Send(context.Background(), notify.Destination{Address: "a@example.org"}, message()); err != nil {
			t.Fatal(err)
		}
	}
	msgs := srv.Messages()
	if a, b := msgs[0].Header.Get("Message-Id"), msgs[1].Header.Get("Message-Id"); a != b || a == "" {
		t.Errorf("Message-Ids %q, %q", a, b)
	}
}

func TestHeaderInjection(t *testing.T) {
	srv := smtptest.New(t, smtptest.Options{})
	s := newSender(t, srv, func(c *email.Config) { c.Username, c.Password = "", "" })
	m := message()
	m.Title = "x\r\nBcc: victim@example.net\r\n\r\nbody"
	m.ID = "id\r\nX-Evil: 1"
	if _, err := s.Send(context.Background(), notify.Destination{Address: "a@example.org"}, m); err != nil {
		t.Fatal(err)
	}
	got := srv.Messages()[0]
	if got.Header.Get("Bcc") != "" || got.Header.Get("X-Evil") != "" || len(got.To) != 1 {
		t.Errorf("header injected: %v", got.Header)
	}
	if !strings.Contains(got.Subject, "Bcc: victim@example.net") {
		t.Errorf("subject = %q", got.Subject)
	}
}

// TestErrorClasses: each SMTP answer maps to the retry decision, and no
// error carries the password.
func TestErrorClasses(t *testing.T) {
	tests := []struct {
		name      string
		setup     func(*smtptest.Server)
		mut       func(*email.Config)
		wantErr   bool
		permanent bool
		deadline  bool
	}{
		{name: "accepted"},
		{name: "greeting 554", setup: func(s *smtptest.Server) { s.Respond("GREETING", 554, "5.3.2 No service") }, wantErr: true, permanent: true},
		{name: "EHLO 421", setup: func(s *smtptest.Server) { s.Respond("EHLO", 421, "4.3.2 Shutting down") }, wantErr: true},
		{name: "AUTH 535", setup: func(s *smtptest.Server) { s.Respond("AUTH", 535, "5.7.8 Bad credentials") }, wantErr: true, permanent: true},
		{name: "wrong password", mut: func(c *email.Config) { c.Password = "WRONG-" + password }, wantErr: true, permanent: true},
		{name: "AUTH 454", setup: func(s *smtptest.Server) { s.Respond("AUTH", 454, "4.7.0 Temporary authentication failure") }, wantErr: true},
		{name: "MAIL 451", setup: func(s *smtptest.Server) { s.Respond("MAIL", 451, "4.3.0 Try later") }, wantErr: true},
		{name: "MAIL 550", setup: func(s *smtptest.Server) { s.Respond("MAIL", 550, "5.7.1 Sender rejected") }, wantErr: true, permanent: true},
		{name: "RCPT 451", setup: func(s *smtptest.Server) { s.Respond("RCPT", 451, "4.3.0 Greylisted") }, wantErr: true},
		{name: "RCPT 550", setup: func(s *smtptest.Server) { s.Respond("RCPT", 550, "5.1.1 No such user") }, wantErr: true, permanent: true},
		{name: "DATA 554", setup: func(s *smtptest.Server) { s.Respond("DATA", 554, "5.5.1 No valid recipients") }, wantErr: true, permanent: true},
		{name: "message 452", setup: func(s *smtptest.Server) { s.Respond("MESSAGE", 452, "4.3.1 Out of storage") }, wantErr: true},
		{name: "message 552", setup: func(s *smtptest.Server) { s.Respond("MESSAGE", 552, "5.3.4 Too big") }, wantErr: true, permanent: true},
		{name: "QUIT fails after acceptance", setup: func(s *smtptest.Server) { s.Respond("QUIT", 421, "4.4.2 Bye") }},
		{name: "hang on RCPT", setup: func(s *smtptest.Server) { s.Hang("RCPT") }, wantErr: true, deadline: true},
		{name: "hang on greeting", setup: func(s *smtptest.Server) { s.Hang("GREETING") }, wantErr: true, deadline: true},
		{name: "hang after data", setup: func(s *smtptest.Server) { s.Hang("MESSAGE") }, wantErr: true, deadline: true},
		{name: "STARTTLS required but absent", mut: func(c *email.Config) { c.TLS = email.TLSMandatory }, wantErr: true},
		{name: "connection refused", setup: func(s *smtptest.Server) { s.Close() }, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := smtptest.New(t, smtptest.Options{Username: user, Password: password})
			if tt.setup != nil {
				tt.setup(srv)
			}
			s := newSender(t, srv, func(c *email.Config) {
				if tt.mut != nil {
					tt.mut(c)
				}
			})
			ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
			defer cancel()
			start := time.Now()
			_, err := s.Send(ctx, notify.Destination{Address: "oncall@example.org"}, message())
			if time.Since(start) > 2*time.Second {
				t.Errorf("Send took %s, past the caller's deadline", time.Since(start))
			}
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if err == nil {
				return
			}
			if got := notify.IsPermanent(err); got != tt.permanent {
				t.Errorf("IsPermanent = %v, want %v (%v)", got, tt.permanent, err)
			}
			if tt.deadline && !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("want deadline error, got %v", err)
			}
			if strings.Contains(err.Error(), password) {
				t.Errorf("error leaks the password: %v", err)
			}
		})
	}
}

func TestPasswordNotSentInClear(t *testing.T) {
	// A server that is not localhost by name: PLAIN must refuse to send
	// the password over a connection without TLS.
	srv := smtptest.New(t, smtptest.Options{Username: user, Password: password})
	s := newSender(t, srv, func(c *email.Config) {
		c.Host = "smtp.example.org"
		c.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, srv.Addr)
		}
	})
	_, err := s.Send(context.Background(), notify.Destination{Address: "oncall@example.org"}, message())
	if err == nil || len(srv.Messages()) != 0 {
		t.Fatalf("err = %v; messages %d", err, len(srv.Messages()))
	}
	if strings.Contains(strings.Join(srv.Commands(), "|"), "AUTH") {
		t.Errorf("credentials were offered in clear: %v", srv.Commands())
	}
}

func TestBadRecipientIsPermanent(t *testing.T) {
	srv := smtptest.New(t, smtptest.Options{})
	s := newSender(t, srv)
	for _, addr := range []string{"", "not an address", "a@b.c\r\nRCPT TO:<x@y.z>"} {
		if _, err := s.Send(context.Background(), notify.Destination{Address: addr}, message()); !notify.IsPermanent(err) {
			t.Errorf("%q: err = %v, want permanent", addr, err)
		}
	}
	if n := len(srv.Commands()); n != 0 {
		t.Errorf("server saw %d commands", n)
	}
}

func TestNewValidates(t *testing.T) {
	tests := []struct {
		name string
		cfg  email.Config
		want string
	}{
		{"no host", email.Config{From: "a@b.c"}, "Host"},
		{"bad from", email.Config{Host: "h", From: "nope"}, "From"},
		{"bad tls", email.Config{Host: "h", From: "a@b.c", TLS: "sometimes"}, "TLS"},
		{"bad port", email.Config{Host: "h", From: "a@b.c", Port: 70000}, strconv.Itoa(70000)},
	}
	for _, tt := range tests {
		if _, err := email.New(tt.cfg); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v", tt.name, err)
		}
	}
	if _, err := email.New(email.Config{Host: "h", From: "a@b.c"}); err != nil {
		t.Errorf("defaults: %v", err)
	}
}

func TestRenderDropsUnsafeLinksAndActedStates(t *testing.T) {
	m := message()
	m.AckURL = "javascript:alert(1)"
	m.Kind = notify.KindAck
	c, err := email.Render(m)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(c.Text+c.HTML, "javascript:") || strings.Contains(c.Text, "Acknowledge:") {
		t.Errorf("unsafe or stale link offered:\n%s\n%s", c.Text, c.HTML)
	}
	if !strings.Contains(c.Text, "Resolve: ") {
		t.Errorf("resolve link missing:\n%s", c.Text)
	}
}

// A status update goes to stakeholders: labelled as one, with the
// incident's link and never an acknowledge or resolve link.
func TestRenderStatusUpdate(t *testing.T) {
	m := message()
	m.Kind, m.Body = notify.KindStatus, "We are rolling back."
	c, err := email.Render(m)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(c.Subject, "[Vigil] Status update: #42 ") || !strings.Contains(c.Text, "We are rolling back.") {
		t.Errorf("subject %q, text:\n%s", c.Subject, c.Text)
	}
	if strings.Contains(c.Text+c.HTML, "Acknowledge") || strings.Contains(c.Text+c.HTML, "Resolve") || !strings.Contains(c.Text, "Open incident: ") {
		t.Errorf("links of a status update:\n%s\n%s", c.Text, c.HTML)
	}
}

// TestHostileTextInert (catalog H4): markup in alert text is escaped in the
// HTML part, and links other than http(s) are not offered at all.
func TestHostileTextInert(t *testing.T) {
	m := message()
	m.Title = `<script>window.__xss=1</script><img src=x onerror="window.__xss=2">`
	m.Body = `<a href="javascript:window.__xss=3">click</a>`
	m.Service = `<svg onload="window.__xss=4">`
	m.URL = "javascript:window.__xss=5"
	m.AckURL = "data:text/html,<script>window.__xss=6</script>"
	m.ResolveURL = " JAVASCRIPT:window.__xss=7"
	c, err := email.Render(m)
	if err != nil {
		t.Fatal(err)
	}
	lower := strings.ToLower(c.HTML)
	for _, bad := range []string{"<script", "<img", "<svg", `href="javascript`, `href=" javascript`, `href="data:`} {
		if strings.Contains(lower, bad) {
			t.Errorf("HTML part holds %q:\n%s", bad, c.HTML)
		}
	}
	if !strings.Contains(c.HTML, "&lt;script&gt;") || !strings.Contains(c.HTML, "&lt;img src=x onerror=") {
		t.Errorf("the text is not shown escaped:\n%s", c.HTML)
	}
}
