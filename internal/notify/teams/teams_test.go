package teams_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/notify"
	"github.com/vigil-oss/vigil/internal/notify/teams"
	"github.com/vigil-oss/vigil/internal/notify/teams/teamstest"
)

func message() notify.Message {
	return notify.Message{
		ID:         "msg-1",
		Kind:       notify.KindPage,
		IncidentID: 42,
		Title:      `<script>alert("x")</script> [click](https://evil.example) **disk** full`,
		Body:       "line 1\nline 2 & {{DATE(2017-02-14T06:08:39Z, SHORT)}}",
		Severity:   "critical",
		Service:    "api",
		URL:        "https://vigil.example/incidents/42",
		AckURL:     "https://vigil.example/a/tok1",
		ResolveURL: "https://vigil.example/r/tok2",
		Bundled:    2,
		Late:       3 * time.Minute,
	}
}

func TestSendWireContent(t *testing.T) {
	srv := teamstest.New(t)
	rc, err := teams.New(teams.Config{}).Send(context.Background(), notify.Destination{Type: "teams", Address: srv.URL}, message())
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if rc.ProviderID != teamstest.RunID {
		t.Errorf("ProviderID = %q", rc.ProviderID)
	}
	reqs := srv.Requests()
	if len(reqs) != 1 {
		t.Fatalf("got %d requests", len(reqs))
	}
	r := reqs[0]
	if r.CardErr != nil {
		t.Fatalf("fake rejected the card: %v", r.CardErr)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}

	want := `{"type":"message","attachments":[{"contentType":"application/vnd.microsoft.card.adaptive","contentUrl":null,
	"content":{"$schema":"http://adaptivecards.io/schemas/adaptive-card.json","type":"AdaptiveCard","version":"1.4",
	"body":[
	 {"type":"RichTextBlock","inlines":[{"type":"TextRun","text":"#42 \u003cscript\u003ealert(\"x\")\u003c/script\u003e [click](https://evil.example) **disk** full (and 2 more)","weight":"Bolder","size":"Medium","color":"Attention"}]},
	 {"type":"RichTextBlock","inlines":[{"type":"TextRun","text":"Severity: ","weight":"Bolder"},{"type":"TextRun","text":"critical"}]},
	 {"type":"RichTextBlock","inlines":[{"type":"TextRun","text":"Service: ","weight":"Bolder"},{"type":"TextRun","text":"api"}]},
	 {"type":"RichTextBlock","inlines":[{"type":"TextRun","text":"line 1\nline 2 \u0026 {\u200b{DATE(2017-02-14T06:08:39Z, SHORT)}}"}]},
	 {"type":"TextBlock","text":"Sent 3m0s late: delivery was delayed.","wrap":true,"isSubtle":true}],
	"actions":[
	 {"type":"Action.OpenUrl","title":"Acknowledge","url":"https://vigil.example/a/tok1","style":"positive"},
	 {"type":"Action.OpenUrl","title":"Resolve","url":"https://vigil.example/r/tok2"},
	 {"type":"Action.OpenUrl","title":"Open incident","url":"https://vigil.example/incidents/42"}],
	"msteams":{"width":"Full"}}}]}`
	var compact bytes.Buffer
	if err := json.Compact(&compact, []byte(want)); err != nil {
		t.Fatal(err)
	}
	// json.Compact keeps the \u escapes as written, as encoding/json
	// writes them; \u200b is written raw by encoding/json.
	wantBody := strings.ReplaceAll(compact.String(), `\u200b`, "\u200b")
	if got := string(r.Body); got != wantBody {
		t.Errorf("body:\n got %s\nwant %s", got, wantBody)
	}

	// Decoded, the user's text is the literal text: no markup was added
	// or removed on the way.
	texts := r.Texts()
	if !strings.HasPrefix(texts[0], "#42 "+message().Title) {
		t.Errorf("heading = %q", texts[0])
	}
}

func TestActionsFollowKind(t *testing.T) {
	tests := []struct {
		kind string
		want []string
	}{
		{notify.KindPage, []string{"Acknowledge", "Resolve", "Open incident"}},
		{notify.KindAck, []string{"Resolve", "Open incident"}},
		{notify.KindResolve, []string{"Open incident"}},
		// Stakeholders do not respond, whatever links the message holds.
		{notify.KindStatus, []string{"Open incident"}},
	}
	for _, tt := range tests {
		m := message()
		m.Kind = tt.kind
		c := teams.NewPayload(m).Attachments[0].Content
		var got []string
		for _, a := range c.Actions {
			got = append(got, a.Title)
		}
		if strings.Join(got, ",") != strings.Join(tt.want, ",") {
			t.Errorf("%s: actions %v, want %v", tt.kind, got, tt.want)
		}
	}

	m := message()
	m.AckURL = "javascript:alert(1)"
	m.URL = "/relative"
	c := teams.NewPayload(m).Attachments[0].Content
	if len(c.Actions) != 1 || c.Actions[0].Title != "Resolve" {
		t.Errorf("unsafe links kept: %+v", c.Actions)
	}
}

func TestLongBodyIsCut(t *testing.T) {
	m := message()
	m.Body = strings.Repeat("ü", 10000)
	body := teams.NewPayload(m).Attachments[0].Content.Body
	text := body[3].Inlines[0].Text
	if len(text) > 3000 || !strings.HasSuffix(text, "[truncated]") {
		t.Errorf("body run is %d bytes, ends %q", len(text), text[len(text)-20:])
	}
}

// TestBracesAlwaysBroken (E11): no run of braces in user text survives as
// "{{", which Teams would evaluate as {{DATE(...)}} or {{TIME(...)}};
// overlapping runs ("{{{") included.
func TestBracesAlwaysBroken(t *testing.T) {
	for _, in := range []string{
		"{{DATE(2017-02-14T06:08:39Z, SHORT)}}",
		"{{{TIME(2017-02-14T06:08:39Z)}}}",
		"{{{{ü{{",
		"a{b{ {c} {",
	} {
		m := message()
		m.Title, m.Body, m.Service = in, in, in
		var all []string
		for _, e := range teams.NewPayload(m).Attachments[0].Content.Body {
			for _, r := range e.Inlines {
				if strings.Contains(r.Text, "{{") {
					t.Errorf("%q: run %q still holds {{", in, r.Text)
				}
				all = append(all, r.Text)
			}
		}
		// Title, service and body show the text, with only the breaks added.
		if n := strings.Count(strings.ReplaceAll(strings.Join(all, "\n"), "\u200b", ""), in); n != 3 {
			t.Errorf("%q: shown %d times, want 3: %q", in, n, all)
		}
	}
}

// TestResponseClasses: the retry decision for every kind of answer, and
// the webhook URL's sig never in an error.
func TestResponseClasses(t *testing.T) {
	tests := []struct {
		name       string
		reply      *teamstest.Reply // nil: connection refused
		wantErr    bool
		permanent  bool
		retryAfter time.Duration
		deadline   bool
	}{
		{name: "202", reply: &teamstest.Reply{}},
		{name: "200", reply: &teamstest.Reply{Status: 200}},
		{name: "400", reply: &teamstest.Reply{Status: 400, Body: `{"error":"bad"}`}, wantErr: true, permanent: true},
		{name: "401", reply: &teamstest.Reply{Status: 401}, wantErr: true, permanent: true},
		{name: "404", reply: &teamstest.Reply{Status: 404}, wantErr: true, permanent: true},
		{name: "429 Retry-After", reply: &teamstest.Reply{Status: 429, RetryAfter: "7"}, wantErr: true, retryAfter: 7 * time.Second},
		{name: "500", reply: &teamstest.Reply{Status: 500}, wantErr: true},
		{name: "503", reply: &teamstest.Reply{Status: 503}, wantErr: true},
		{name: "dropped", reply: &teamstest.Reply{Drop: true}, wantErr: true},
		{name: "hang", reply: &teamstest.Reply{Hang: true}, wantErr: true, deadline: true},
		{name: "connection refused", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := teamstest.New(t)
			addr := srv.URL
			if tt.reply != nil {
				srv.Enqueue(*tt.reply)
			} else {
				srv.Close() // nothing listens there any more
			}
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			_, err := teams.New(teams.Config{}).Send(ctx, notify.Destination{Address: addr}, message())
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
				t.Errorf("want deadline error, got %v", err)
			}
			if strings.Contains(err.Error(), srv.Sig) || strings.Contains(err.Error(), "sig=") {
				t.Errorf("error leaks the webhook URL: %v", err)
			}
		})
	}
}

func TestBadAddressIsPermanent(t *testing.T) {
	for _, addr := range []string{"", "ftp://x/y", "teams.example/hook", "http://"} {
		_, err := teams.New(teams.Config{}).Send(context.Background(), notify.Destination{Address: addr}, message())
		if !notify.IsPermanent(err) {
			t.Errorf("%q: err = %v, want permanent", addr, err)
		}
	}
}

func TestStatusUpdateHeading(t *testing.T) {
	m := message()
	m.Kind, m.Title, m.Body = notify.KindStatus, "Checkout down", "We are rolling back."
	c := teams.NewPayload(m).Attachments[0].Content
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"text":"Status update: #42 Checkout down (and 2 more)"`) || !strings.Contains(string(b), "We are rolling back.") {
		t.Errorf("card %s", b)
	}
}

// TestHostileTextInert (catalog H4): the card carries alert text as plain
// text (JSON-escaped, no HTML), and no action opens a URL that is not
// http(s).
func TestHostileTextInert(t *testing.T) {
	m := message()
	m.Title = `<script>window.__xss=1</script><img src=x onerror="window.__xss=2"> [x](javascript:alert(1))`
	m.URL = "javascript:window.__xss=5"
	m.AckURL = "data:text/html,<script>window.__xss=6</script>"
	m.ResolveURL = " JAVASCRIPT:window.__xss=7"
	b, err := json.Marshal(teams.NewPayload(m))
	if err != nil {
		t.Fatal(err)
	}
	wire := strings.ToLower(string(b))
	for _, bad := range []string{`"url":"javascript`, `"url":" javascript`, `"url":"data:`} {
		if strings.Contains(wire, bad) {
			t.Errorf("card holds %q:\n%s", bad, b)
		}
	}
	if strings.Contains(string(b), "<script") || strings.Contains(string(b), "<img") {
		t.Errorf("card holds raw markup:\n%s", b)
	}
}
