package twilio_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/vigil-oss/vigil/internal/notify"
	"github.com/vigil-oss/vigil/internal/notify/twilio"
	"github.com/vigil-oss/vigil/internal/notify/twilio/twiliotest"
)

const (
	accountSID = "AC0123456789abcdef0123456789abcdef"
	authToken  = "s3cr3t-auth-t0ken-0123456789abcd"
	vigilFrom  = "+14155550100"
	callee     = "+14155550199"
)

func gatherURL(m notify.Message) string {
	return "https://vigil.example/twilio/gather?incident=" + strconv.FormatInt(m.IncidentID, 10) + "&msg=" + url.QueryEscape(m.ID)
}

func newSender(t *testing.T, fake *twiliotest.Server, edit ...func(*twilio.Config)) *twilio.Sender {
	t.Helper()
	cfg := twilio.Config{
		BaseURL:    fake.URL,
		AccountSID: accountSID,
		AuthToken:  authToken,
		From:       vigilFrom,
		GatherURL:  gatherURL,
	}
	for _, e := range edit {
		e(&cfg)
	}
	s, err := twilio.New(cfg)
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
		Service:    "api",
		URL:        "https://vigil.example/incidents/42",
	}
}

var (
	sms   = notify.Destination{Type: twilio.TypeSMS, Address: callee}
	voice = notify.Destination{Type: twilio.TypeVoice, Address: callee}
)

func TestSendSMSWireFormat(t *testing.T) {
	fake := twiliotest.New(t, accountSID, authToken)
	s := newSender(t, fake, func(c *twilio.Config) { c.StatusCallbackURL = "https://vigil.example/twilio/status" })
	rcpt, err := s.Send(context.Background(), sms, page())
	if err != nil {
		t.Fatal(err)
	}
	msgs := fake.Messages()
	if len(msgs) != 1 || len(fake.Calls()) != 0 {
		t.Fatalf("%d messages, %d calls", len(msgs), len(fake.Calls()))
	}
	m := msgs[0]
	if rcpt.ProviderID != m.SID || !strings.HasPrefix(m.SID, "SM") {
		t.Errorf("receipt %q, fake SID %q", rcpt.ProviderID, m.SID)
	}
	want := url.Values{
		"To":             {callee},
		"From":           {vigilFrom},
		"Body":           {"[Vigil] #42 critical: disk full on db-1 (api)\nhttps://vigil.example/incidents/42\nReply 'ack 42' or 'resolve 42'."},
		"StatusCallback": {"https://vigil.example/twilio/status"},
	}
	if diff := cmp.Diff(want, m.Form); diff != "" {
		t.Errorf("Messages.json form (-want +got):\n%s", diff)
	}
}

func TestSendSMSByKind(t *testing.T) {
	tests := []struct {
		name string
		edit func(*notify.Message)
		want string
	}{
		{"ack", func(m *notify.Message) { m.Kind = notify.KindAck; m.URL = "" },
			"[Vigil] Acknowledged: #42 disk full on db-1 (api)\nReply 'resolve 42'."},
		{"resolve", func(m *notify.Message) { m.Kind = notify.KindResolve; m.URL = "" },
			"[Vigil] Resolved: #42 disk full on db-1 (api)"},
		{"late", func(m *notify.Message) { m.Late = 5 * time.Minute; m.URL = "" },
			"[Vigil] #42 critical: disk full on db-1 (api)\nSent 5m0s late: delivery was delayed.\nReply 'ack 42' or 'resolve 42'."},
		{"test", func(m *notify.Message) { *m = notify.Message{Kind: notify.KindTest, Title: "hello"} },
			"[Vigil] Test: hello"},
		{"newlines folded", func(m *notify.Message) { m.Title = "a\n\nb"; m.URL = "" },
			"[Vigil] #42 critical: a b (api)\nReply 'ack 42' or 'resolve 42'."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := twiliotest.New(t, accountSID, authToken)
			s := newSender(t, fake)
			m := page()
			tt.edit(&m)
			if _, err := s.Send(context.Background(), sms, m); err != nil {
				t.Fatal(err)
			}
			if got := fake.Messages()[0].Body; got != tt.want {
				t.Errorf("body\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestSendSMSTruncatesButKeepsInstructions(t *testing.T) {
	fake := twiliotest.New(t, accountSID, authToken)
	s := newSender(t, fake)
	m := page()
	m.Title = strings.Repeat("very long title ", 300)
	// The fake refuses bodies over 1600 characters with error 21617.
	if _, err := s.Send(context.Background(), sms, m); err != nil {
		t.Fatal(err)
	}
	body := fake.Messages()[0].Body
	if len(body) > 1600 {
		t.Errorf("body is %d bytes", len(body))
	}
	if !strings.Contains(body, "[truncated]") || !strings.HasSuffix(body, "\nReply 'ack 42' or 'resolve 42'.") {
		t.Errorf("body: %q", body)
	}
}

func TestSendVoiceWireFormat(t *testing.T) {
	fake := twiliotest.New(t, accountSID, authToken)
	s := newSender(t, fake)
	rcpt, err := s.Send(context.Background(), voice, page())
	if err != nil {
		t.Fatal(err)
	}
	calls := fake.Calls()
	if len(calls) != 1 || len(fake.Messages()) != 0 {
		t.Fatalf("%d calls, %d messages", len(calls), len(fake.Messages()))
	}
	c := calls[0]
	if rcpt.ProviderID != c.SID || !strings.HasPrefix(c.SID, "CA") {
		t.Errorf("receipt %q, fake SID %q", rcpt.ProviderID, c.SID)
	}
	if c.To != callee || c.From != vigilFrom || c.URL != "" {
		t.Errorf("call %+v", c)
	}
	want := `<Response><Gather numDigits="1" timeout="10" method="POST" action="https://vigil.example/twilio/gather?incident=42&amp;msg=m-1">` +
		`<Say>This is Vigil. Incident 42, severity critical: disk full on db-1. Service api. Press 4 to acknowledge, or 6 to resolve.</Say>` +
		`</Gather><Say>No key was pressed. Goodbye.</Say></Response>`
	if c.Twiml != want {
		t.Errorf("Twiml\n got %s\nwant %s", c.Twiml, want)
	}
	doc, err := twiliotest.ParseTwiML(c.Twiml)
	if err != nil {
		t.Fatal(err)
	}
	if doc.Gather == nil || doc.Gather.Action != gatherURL(page()) || doc.Gather.NumDigits != "1" {
		t.Errorf("gather %+v", doc.Gather)
	}
	if diff := cmp.Diff([]string{"Twiml", "From", "To"}, keys(c.Form), cmpSorted); diff != "" {
		t.Errorf("Calls.json parameters (-want +got):\n%s", diff)
	}
}

var cmpSorted = cmp.Transformer("sort", func(in []string) []string {
	out := slices.Clone(in)
	slices.Sort(out)
	return out
})

func keys(v url.Values) []string {
	var out []string
	for k := range v {
		out = append(out, k)
	}
	return out
}

func TestSendVoiceWithoutGatherURL(t *testing.T) {
	fake := twiliotest.New(t, accountSID, authToken)
	s := newSender(t, fake, func(c *twilio.Config) { c.GatherURL = nil })
	m := page()
	m.Late = 2 * time.Minute
	if _, err := s.Send(context.Background(), voice, m); err != nil {
		t.Fatal(err)
	}
	want := `<Response><Say>This is Vigil. Incident 42, severity critical: disk full on db-1. Service api. Sent 2m0s late: delivery was delayed.</Say></Response>`
	if got := fake.Calls()[0].Twiml; got != want {
		t.Errorf("Twiml\n got %s\nwant %s", got, want)
	}
}

func TestSendVoiceResolveHasNoGather(t *testing.T) {
	fake := twiliotest.New(t, accountSID, authToken)
	s := newSender(t, fake)
	m := page()
	m.Kind = notify.KindResolve
	if _, err := s.Send(context.Background(), voice, m); err != nil {
		t.Fatal(err)
	}
	doc, err := twiliotest.ParseTwiML(fake.Calls()[0].Twiml)
	if err != nil {
		t.Fatal(err)
	}
	if doc.Gather != nil || len(doc.Say) != 1 || doc.Say[0] != "This is Vigil. Incident 42 was resolved: disk full on db-1." {
		t.Errorf("%+v", doc)
	}
}

func TestEscapesTwiML(t *testing.T) {
	fake := twiliotest.New(t, accountSID, authToken)
	s := newSender(t, fake, func(c *twilio.Config) {
		c.GatherURL = func(notify.Message) string { return `https://vigil.example/g?a=1&b="2"` }
	})
	m := page()
	m.Title = `<script>&alert("x")</script>`
	m.Service = "</Say><Dial>+19005550000</Dial><Say>"
	if _, err := s.Send(context.Background(), voice, m); err != nil {
		t.Fatal(err)
	}
	twiml := fake.Calls()[0].Twiml
	if !strings.Contains(twiml, "&lt;script&gt;&amp;alert(&#34;x&#34;)&lt;/script&gt;") {
		t.Errorf("title not escaped: %s", twiml)
	}
	if strings.Contains(twiml, "<Dial>") || strings.Contains(twiml, "<script>") {
		t.Errorf("markup injected: %s", twiml)
	}
	doc, err := twiliotest.ParseTwiML(twiml)
	if err != nil {
		t.Fatal(err)
	}
	if doc.Gather.Action != `https://vigil.example/g?a=1&b="2"` {
		t.Errorf("action %q", doc.Gather.Action)
	}
	if said := doc.Gather.Say[0]; !strings.Contains(said, `<script>&alert("x")</script>`) || !strings.Contains(said, "Service </Say><Dial>") {
		t.Errorf("said %q", said)
	}
}

func TestVoiceTwiMLFitsLimit(t *testing.T) {
	fake := twiliotest.New(t, accountSID, authToken)
	s := newSender(t, fake)
	m := page()
	m.Title = strings.Repeat(`"&<>'`, 3000)
	m.Service = strings.Repeat("s", 5000)
	m.Severity = strings.Repeat("&", 5000)
	// The fake refuses Twiml over 4000 characters or not well-formed.
	if _, err := s.Send(context.Background(), voice, m); err != nil {
		t.Fatal(err)
	}
	if n := len(fake.Calls()[0].Twiml); n > 4000 {
		t.Errorf("Twiml is %d bytes", n)
	}
}

func TestBadGatherURLIsPermanent(t *testing.T) {
	fake := twiliotest.New(t, accountSID, authToken)
	s := newSender(t, fake, func(c *twilio.Config) {
		c.GatherURL = func(notify.Message) string { return "javascript:alert(1)" }
	})
	_, err := s.Send(context.Background(), voice, page())
	checkErr(t, err, false, true, 0, "gather URL")
	if len(fake.Calls()) != 0 {
		t.Error("called anyway")
	}
}

func TestResponseClasses(t *testing.T) {
	type want struct {
		ok         bool
		permanent  bool
		retryAfter time.Duration
		contains   []string
	}
	tests := []struct {
		name   string
		answer *twiliotest.Answer
		want   want
	}{
		{"201", nil, want{ok: true}},
		{"400 21211", ptr(twiliotest.InvalidNumber()), want{permanent: true, contains: []string{"400", "21211", "Invalid 'To' Phone Number"}}},
		{"400 21610 unsubscribed", ptr(twiliotest.Answer{Status: 400, Code: 21610, Message: "Attempt to send to unsubscribed recipient"}), want{permanent: true, contains: []string{"21610", "unsubscribed"}}},
		{"404", ptr(twiliotest.Answer{Status: 404, Code: 20404, Message: "Not Found"}), want{permanent: true, contains: []string{"404", "20404"}}},
		{"429 Retry-After", ptr(twiliotest.TooManyRequests(30 * time.Second)), want{retryAfter: 30 * time.Second, contains: []string{"429", "20429"}}},
		{"429 without Retry-After", ptr(twiliotest.Answer{Status: 429, Code: 20429, Message: "Too Many Requests"}), want{contains: []string{"429"}}},
		{"500", ptr(twiliotest.ServerError()), want{contains: []string{"500", "20500"}}},
		{"502", ptr(twiliotest.Answer{Status: 502}), want{contains: []string{"502"}}},
		{"503 Retry-After", ptr(twiliotest.Answer{Status: 503, Code: 20503, Message: "Service Unavailable", RetryAfter: 2 * time.Minute}), want{retryAfter: 2 * time.Minute, contains: []string{"503"}}},
	}
	for _, dest := range []notify.Destination{sms, voice} {
		for _, tt := range tests {
			t.Run(dest.Type+"/"+tt.name, func(t *testing.T) {
				fake := twiliotest.New(t, accountSID, authToken)
				s := newSender(t, fake)
				if tt.answer != nil {
					fake.Enqueue(*tt.answer)
				}
				rcpt, err := s.Send(context.Background(), dest, page())
				checkErr(t, err, tt.want.ok, tt.want.permanent, tt.want.retryAfter, tt.want.contains...)
				if tt.want.ok && rcpt.ProviderID == "" {
					t.Error("no SID in the receipt")
				}
				if n := len(fake.Messages()) + len(fake.Calls()); n != 1 {
					t.Errorf("%d requests, want 1", n)
				}
			})
		}
	}
}

func TestFakeRefusesInvalidNumber(t *testing.T) {
	// The number passes Vigil's loose check; Twilio's own check refuses it.
	fake := twiliotest.New(t, accountSID, authToken)
	s := newSender(t, fake)
	fake.Enqueue(twiliotest.InvalidNumber())
	_, err := s.Send(context.Background(), notify.Destination{Type: "sms", Address: "+15005550001"}, page())
	checkErr(t, err, false, true, 0, "21211")
}

func TestWrongCredentials(t *testing.T) {
	for name, edit := range map[string]func(*twilio.Config){
		"wrong token":   func(c *twilio.Config) { c.AuthToken = authToken + "x" },
		"wrong account": func(c *twilio.Config) { c.AccountSID = "ACffffffffffffffffffffffffffffffff" },
	} {
		t.Run(name, func(t *testing.T) {
			fake := twiliotest.New(t, accountSID, authToken)
			s := newSender(t, fake, edit)
			_, err := s.Send(context.Background(), sms, page())
			checkErr(t, err, false, true, 0, "20003")
			if strings.Contains(err.Error(), authToken) {
				t.Errorf("error shows the token: %v", err)
			}
			if fake.Rejected() != 1 || len(fake.Messages()) != 0 {
				t.Errorf("rejected %d, messages %d", fake.Rejected(), len(fake.Messages()))
			}
		})
	}
}

func TestBadDestinationIsPermanent(t *testing.T) {
	fake := twiliotest.New(t, accountSID, authToken)
	s := newSender(t, fake)
	for _, to := range []notify.Destination{
		{Type: "sms", Address: ""},
		{Type: "sms", Address: "4155550199"},
		{Type: "voice", Address: "+1 415 555 0199"},
		{Type: "sms", Address: "+0123456789"},
		{Type: "fax", Address: callee},
	} {
		_, err := s.Send(context.Background(), to, page())
		checkErr(t, err, false, true, 0)
	}
	if n := len(fake.Messages()) + len(fake.Calls()); n != 0 {
		t.Errorf("%d requests for bad destinations", n)
	}
}

func TestConnectionRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	s, err := twilio.New(twilio.Config{BaseURL: "http://" + addr, AccountSID: accountSID, AuthToken: authToken, From: vigilFrom})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Send(context.Background(), sms, page())
	checkErr(t, err, false, false, 0, "Messages.json")
}

func TestHangEndsAtDeadline(t *testing.T) {
	fake := twiliotest.New(t, accountSID, authToken)
	s := newSender(t, fake)
	fake.Enqueue(twiliotest.Hang())
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := s.Send(ctx, voice, page())
	checkErr(t, err, false, false, 0)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want context.DeadlineExceeded", err)
	}
}

// A proxy that echoes the request must not carry the token into errors.
func TestErrorsNeverShowTheToken(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, _ := r.BasicAuth()
		switch strings.Split(r.URL.Path, "/")[1] {
		case "json":
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"code":20003,"message":"bad credentials `+user+`:`+pass+`"}`)
		default:
			w.WriteHeader(http.StatusBadGateway)
			io.WriteString(w, r.Header.Get("Authorization")+" "+pass)
		}
	}))
	defer srv.Close()
	for _, mode := range []string{"json", "text"} {
		s, err := twilio.New(twilio.Config{BaseURL: srv.URL + "/" + mode, AccountSID: accountSID, AuthToken: authToken, From: vigilFrom})
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.Send(context.Background(), sms, page())
		if err == nil {
			t.Fatalf("%s: no error", mode)
		}
		if strings.Contains(err.Error(), authToken) {
			t.Errorf("%s: error shows the token: %v", mode, err)
		}
	}
}

func TestNewChecksConfig(t *testing.T) {
	good := twilio.Config{AccountSID: accountSID, AuthToken: authToken, From: vigilFrom}
	if _, err := twilio.New(good); err != nil {
		t.Fatalf("good config: %v", err)
	}
	for name, edit := range map[string]func(*twilio.Config){
		"no account":       func(c *twilio.Config) { c.AccountSID = "" },
		"account with /":   func(c *twilio.Config) { c.AccountSID = "AC1/../x" },
		"no token":         func(c *twilio.Config) { c.AuthToken = "" },
		"no from":          func(c *twilio.Config) { c.From = "" },
		"from not E.164":   func(c *twilio.Config) { c.From = "415-555-0100" },
		"base URL not web": func(c *twilio.Config) { c.BaseURL = "file:///etc" },
	} {
		cfg := good
		edit(&cfg)
		_, err := twilio.New(cfg)
		if err == nil {
			t.Errorf("%s: want an error", name)
		} else if strings.Contains(err.Error(), authToken) {
			t.Errorf("%s: error shows the token", name)
		}
	}
}

func checkErr(t *testing.T, err error, ok, permanent bool, retryAfter time.Duration, contains ...string) {
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
	for _, c := range contains {
		if !strings.Contains(err.Error(), c) {
			t.Errorf("error %q lacks %q", err, c)
		}
	}
	if strings.Contains(err.Error(), authToken) {
		t.Errorf("error shows the token: %v", err)
	}
}

func ptr[T any](v T) *T { return &v }
