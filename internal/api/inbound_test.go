package api_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigil-oss/vigil/internal/api"
	"github.com/vigil-oss/vigil/internal/notify/slack/slacktest"
	"github.com/vigil-oss/vigil/internal/notify/twilio/twiliotest"
	"github.com/vigil-oss/vigil/internal/server"
	"github.com/vigil-oss/vigil/internal/store"
	"github.com/vigil-oss/vigil/internal/vigil"
)

const (
	slackSecret = "8f742231b10e8888abcd99yyyzzz85a5"
	twilioToken = "12345678901234567890123456789012"
	twilioSID   = "AC00000000000000000000000000000001"
	vigilNumber = "+14155550100"
	anaSlackID  = "U024BE7LH"
)

// inboundEnv is a real server (SQLite) with the inbound callbacks
// configured, one user (Ana) with Slack, SMS and voice contact methods,
// and one open incident.
type inboundEnv struct {
	t        *testing.T
	db       *store.DB
	clock    *vigil.ManualClock
	url      string
	ana      *vigil.User
	incident *vigil.Incident
	voice    *vigil.ContactMethod
}

func newInboundEnv(t *testing.T, in api.Inbound) *inboundEnv {
	t.Helper()
	ctx := context.Background()
	clock := vigil.NewManualClock(ocNow)
	logs := &lockedBuffer{}
	logger := slog.New(slog.NewJSONHandler(logs, nil))
	db, err := store.Open(ctx, store.Config{DataDir: migratedDir(t), Clock: clock, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	in.PublicURL = base
	srv.Config.Handler = server.New(server.Deps{Store: db, Clock: clock, Logger: logger, Registry: prometheus.NewRegistry(),
		Inbound: in}).Handler()
	srv.Start()
	t.Cleanup(func() {
		srv.Close()
		db.Close()
		out := logs.String()
		for _, secret := range []string{slackSecret, twilioToken} {
			if strings.Contains(out, secret) {
				t.Errorf("a secret is in the log:\n%s", out)
			}
		}
		if strings.Contains(out, `"level":"ERROR"`) {
			t.Errorf("error lines in the log:\n%s", out)
		}
	})
	e := &inboundEnv{t: t, db: db, clock: clock, url: base}
	e.ana = &vigil.User{Name: "Ana", Email: "ana@example.com"}
	if err := db.CreateUser(ctx, e.ana); err != nil {
		t.Fatal(err)
	}
	for _, m := range []*vigil.ContactMethod{
		{UserID: e.ana.ID, Type: vigil.ContactSlack, Address: anaSlackID},
		{UserID: e.ana.ID, Type: vigil.ContactSMS, Address: anaPhone},
	} {
		if err := db.CreateContactMethod(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	e.voice = &vigil.ContactMethod{UserID: e.ana.ID, Type: vigil.ContactVoice, Address: anaPhone}
	if err := db.CreateContactMethod(ctx, e.voice); err != nil {
		t.Fatal(err)
	}
	svc := &vigil.Service{Name: "checkout"}
	if err := db.CreateService(ctx, svc); err != nil {
		t.Fatal(err)
	}
	e.incident, err = db.DeclareIncident(ctx, vigil.IncidentDeclaration{ServiceID: svc.ID, Title: "checkout down"})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *inboundEnv) post(path string, header http.Header, body []byte) (int, string) {
	e.t.Helper()
	req, err := http.NewRequest("POST", e.url+path, strings.NewReader(string(body)))
	if err != nil {
		e.t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// status is the incident's status now, and the timeline's last line.
func (e *inboundEnv) status() (string, string) {
	e.t.Helper()
	inc, err := e.db.FindIncidentByID(context.Background(), e.incident.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	tl, err := e.db.FindTimeline(context.Background(), e.incident.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return inc.Status, tl[len(tl)-1].Message
}

// H1 for Slack: only a request signed with the signing secret within five
// minutes acts, and it acts as the Vigil user linked to the Slack user.
func TestSlackActions(t *testing.T) {
	e := newInboundEnv(t, api.Inbound{SlackSigningSecret: slackSecret})
	now := e.clock.Now()
	id := e.incident.ID

	refused := []struct {
		name   string
		header func() (http.Header, []byte)
		status int
	}{
		{"no signature", func() (http.Header, []byte) {
			body, h := slacktest.SignedAction(slackSecret, now, "ack", id, anaSlackID)
			h.Del("X-Slack-Signature")
			return h, body
		}, 401},
		{"forged with another secret", func() (http.Header, []byte) {
			body, h := slacktest.SignedAction("not-the-secret", now, "ack", id, anaSlackID)
			return h, body
		}, 401},
		{"stale: 6 minutes old", func() (http.Header, []byte) {
			body, h := slacktest.SignedAction(slackSecret, now.Add(-6*time.Minute), "ack", id, anaSlackID)
			return h, body
		}, 401},
		{"from the future: 6 minutes ahead", func() (http.Header, []byte) {
			body, h := slacktest.SignedAction(slackSecret, now.Add(6*time.Minute), "ack", id, anaSlackID)
			return h, body
		}, 401},
		{"replayed timestamp on a changed body", func() (http.Header, []byte) {
			_, h := slacktest.SignedAction(slackSecret, now, "ack", id, anaSlackID)
			body, _ := slacktest.SignedAction(slackSecret, now, "resolve", id, anaSlackID)
			return h, body
		}, 401},
		{"signature of another timestamp", func() (http.Header, []byte) {
			body, h := slacktest.SignedAction(slackSecret, now, "ack", id, anaSlackID)
			h.Set("X-Slack-Request-Timestamp", strconv.FormatInt(now.Unix()+1, 10))
			return h, body
		}, 401},
	}
	for _, c := range refused {
		h, body := c.header()
		if status, out := e.post(api.SlackActionsPath, h, body); status != c.status {
			t.Errorf("%s: %d %s, want %d", c.name, status, out, c.status)
		}
		if st, _ := e.status(); st != vigil.IncidentTriggered {
			t.Fatalf("%s: the incident became %s", c.name, st)
		}
	}

	// Signed but not actionable: answered 200 (Slack shows an error
	// otherwise) and nothing changes.
	body, h := slacktest.SignedAction(slackSecret, now, "vigil_open", id, anaSlackID)
	if status, _ := e.post(api.SlackActionsPath, h, body); status != 200 {
		t.Errorf("open button: %d", status)
	}
	body, h = slacktest.SignedAction(slackSecret, now, "ack", id, "U0STRANGER")
	if status, out := e.post(api.SlackActionsPath, h, body); status != 200 || !strings.Contains(out, "not linked") {
		t.Errorf("unlinked user: %d %s", status, out)
	}
	if st, _ := e.status(); st != vigil.IncidentTriggered {
		t.Fatalf("the incident became %s without a valid action", st)
	}

	// Four minutes old is inside the window.
	body, h = slacktest.SignedAction(slackSecret, now.Add(-4*time.Minute), "ack", id, anaSlackID)
	if status, out := e.post(api.SlackActionsPath, h, body); status != 200 || !strings.Contains(out, "acknowledged") {
		t.Fatalf("ack: %d %s", status, out)
	}
	if st, line := e.status(); st != vigil.IncidentAcknowledged || line != "Acknowledged by Ana via slack" {
		t.Errorf("after ack: %s, %q", st, line)
	}
	tl, _ := e.db.FindTimeline(context.Background(), id)
	if last := tl[len(tl)-1]; last.ActorKind != vigil.ActorUser || last.Actor != "Ana" || last.Source != vigil.SourceSlack {
		t.Errorf("timeline actor %+v", last)
	}
	body, h = slacktest.SignedAction(slackSecret, now, "resolve", id, anaSlackID)
	if status, out := e.post(api.SlackActionsPath, h, body); status != 200 || !strings.Contains(out, "resolved") {
		t.Fatalf("resolve: %d %s", status, out)
	}
	if st, line := e.status(); st != vigil.IncidentResolved || !strings.HasPrefix(line, "Resolved by Ana via slack") {
		t.Errorf("after resolve: %s, %q", st, line)
	}
	body, h = slacktest.SignedAction(slackSecret, now, "ack", 99999, anaSlackID)
	if status, out := e.post(api.SlackActionsPath, h, body); status != 200 || !strings.Contains(out, "no incident #99999") {
		t.Errorf("unknown incident: %d %s", status, out)
	}
}

// Without a signing secret the endpoint refuses everything, even a
// request "signed" with the empty key.
func TestSlackActionsUnconfigured(t *testing.T) {
	e := newInboundEnv(t, api.Inbound{})
	body, h := slacktest.SignedAction("", e.clock.Now(), "ack", e.incident.ID, anaSlackID)
	if status, _ := e.post(api.SlackActionsPath, h, body); status != 401 {
		t.Errorf("status %d, want 401", status)
	}
	if st, _ := e.status(); st != vigil.IncidentTriggered {
		t.Errorf("the incident became %s", st)
	}
}

func twilioPost(e *inboundEnv, token, path string, params url.Values) (int, string) {
	e.t.Helper()
	return e.post(path, twiliotest.SignedForm(token, e.url+path, params), []byte(params.Encode()))
}

// H1 for Twilio SMS: only requests signed with the auth token over the
// URL Twilio called act; replies act as the person whose number sent them.
func TestTwilioSMS(t *testing.T) {
	e := newInboundEnv(t, api.Inbound{TwilioAuthToken: twilioToken})
	id := strconv.FormatInt(e.incident.ID, 10)
	sms := func(from, body string) url.Values { return twiliotest.SMSParams(twilioSID, from, vigilNumber, body) }

	if status, _ := twilioPost(e, "wrong-token-wrong-token-wrong-to", api.TwilioSMSPath, sms(anaPhone, "ack "+id)); status != 403 {
		t.Errorf("forged: %d, want 403", status)
	}
	// Signed for another URL (a replay against another endpoint).
	params := sms(anaPhone, "ack "+id)
	h := twiliotest.SignedForm(twilioToken, e.url+api.TwilioVoicePath, params)
	if status, _ := e.post(api.TwilioSMSPath, h, []byte(params.Encode())); status != 403 {
		t.Errorf("signed for another URL: %d, want 403", status)
	}
	// Body changed after signing.
	h = twiliotest.SignedForm(twilioToken, e.url+api.TwilioSMSPath, sms(anaPhone, "hello"))
	if status, _ := e.post(api.TwilioSMSPath, h, []byte(params.Encode())); status != 403 {
		t.Errorf("tampered body: %d, want 403", status)
	}
	if st, _ := e.status(); st != vigil.IncidentTriggered {
		t.Fatalf("the incident became %s", st)
	}

	for _, c := range []struct {
		name, from, body, want string
	}{
		{"gibberish", anaPhone, "what is going on", "Not understood"},
		{"stranger", "+15005550006", "ack " + id, "not linked to a Vigil user"},
		{"unknown incident", anaPhone, "ack 99999", "no incident #99999"},
	} {
		status, out := twilioPost(e, twilioToken, api.TwilioSMSPath, sms(c.from, c.body))
		if status != 200 || !strings.Contains(out, c.want) || !strings.HasPrefix(out, "<?xml") {
			t.Errorf("%s: %d %s, want TwiML with %q", c.name, status, out, c.want)
		}
	}
	if st, _ := e.status(); st != vigil.IncidentTriggered {
		t.Fatalf("the incident became %s", st)
	}
	status, out := twilioPost(e, twilioToken, api.TwilioSMSPath, sms(anaPhone, " ACK #"+id+" "))
	if status != 200 || !strings.Contains(out, "Incident #"+id+" acknowledged.") {
		t.Fatalf("ack: %d %s", status, out)
	}
	if st, line := e.status(); st != vigil.IncidentAcknowledged || line != "Acknowledged by Ana via sms" {
		t.Errorf("after ack: %s %q", st, line)
	}
	if _, out := twilioPost(e, twilioToken, api.TwilioSMSPath, sms(anaPhone, "r "+id)); !strings.Contains(out, "resolved") {
		t.Errorf("resolve: %s", out)
	}
	if _, out := twilioPost(e, twilioToken, api.TwilioSMSPath, sms(anaPhone, "ack "+id)); !strings.Contains(out, "already resolved") {
		t.Errorf("ack after resolve: %s", out)
	}
}

// A key pressed during a voice page acts on the incident of the message
// the call delivered, as the person it was sent to.
func TestTwilioVoice(t *testing.T) {
	e := newInboundEnv(t, api.Inbound{TwilioAuthToken: twilioToken})
	ctx := context.Background()
	call := &vigil.Notification{Kind: vigil.MessagePage, IncidentID: e.incident.ID, UserID: e.ana.ID,
		ContactMethodID: e.voice.ID, DestType: vigil.ContactVoice, DestAddress: anaPhone, Title: "checkout down"}
	if err := e.db.CreateNotifications(ctx, call); err != nil {
		t.Fatal(err)
	}
	path := api.TwilioVoicePath + "?message=vigil-" + strconv.FormatInt(call.ID, 10)
	gather := func(digits string) url.Values {
		return twiliotest.GatherParams(twilioSID, "CA0001", vigilNumber, anaPhone, digits)
	}
	if status, _ := twilioPost(e, "wrong-token-wrong-token-wrong-to", path, gather("4")); status != 403 {
		t.Errorf("forged: %d", status)
	}
	// The signature covers the query: another message ID is refused.
	h := twiliotest.SignedForm(twilioToken, e.url+path, gather("4"))
	if status, _ := e.post(path+"0", h, []byte(gather("4").Encode())); status != 403 {
		t.Errorf("query changed after signing: %d", status)
	}
	if status, out := twilioPost(e, twilioToken, api.TwilioVoicePath+"?message=42", gather("4")); status != 400 ||
		!strings.Contains(out, `"field":"message"`) {
		t.Errorf("bad message parameter: %d %s", status, out)
	}
	if status, out := twilioPost(e, twilioToken, path, gather("9")); status != 200 || !strings.Contains(out, "not understood") {
		t.Errorf("unknown key: %d %s", status, out)
	}
	if st, _ := e.status(); st != vigil.IncidentTriggered {
		t.Fatalf("the incident became %s", st)
	}
	status, out := twilioPost(e, twilioToken, path, gather("4"))
	if status != 200 || !strings.Contains(out, "<Say") || !strings.Contains(out, "acknowledged") {
		t.Fatalf("key 4: %d %s", status, out)
	}
	if st, line := e.status(); st != vigil.IncidentAcknowledged || line != "Acknowledged by Ana via voice" {
		t.Errorf("after key 4: %s %q", st, line)
	}
	// A message that was not a voice page cannot be used.
	test := &vigil.Notification{Kind: vigil.MessageTest, UserID: e.ana.ID, ContactMethodID: e.voice.ID,
		DestType: vigil.ContactSMS, DestAddress: anaPhone, Title: "test"}
	if err := e.db.CreateNotifications(ctx, test); err != nil {
		t.Fatal(err)
	}
	other := api.TwilioVoicePath + "?message=vigil-" + strconv.FormatInt(test.ID, 10)
	if status, _ := twilioPost(e, twilioToken, other, gather("6")); status != 400 {
		t.Errorf("non-voice message: %d", status)
	}
	if st, _ := e.status(); st != vigil.IncidentAcknowledged {
		t.Errorf("the incident became %s", st)
	}
}

// Acting from a message needs a right to respond: a viewer who was not
// sent anything about the incident is told no and nothing changes; made a
// responder of the service's team, or sent a page about the incident,
// they may.
func TestSlackActionsNeedARightToRespond(t *testing.T) {
	e := newInboundEnv(t, api.Inbound{SlackSigningSecret: slackSecret})
	ctx := context.Background()
	if err := e.db.SetUserRole(ctx, e.ana.ID, vigil.RoleViewer); err != nil {
		t.Fatal(err)
	}
	press := func(action string) string {
		t.Helper()
		body, h := slacktest.SignedAction(slackSecret, e.clock.Now(), action, e.incident.ID, anaSlackID)
		status, out := e.post(api.SlackActionsPath, h, body)
		if status != 200 {
			t.Fatalf("%s: %d %s", action, status, out)
		}
		return out
	}
	if out := press("ack"); !strings.Contains(out, "may not act") {
		t.Errorf("a viewer's ack: %s", out)
	}
	if st, _ := e.status(); st != vigil.IncidentTriggered {
		t.Fatalf("a viewer's ack made the incident %s", st)
	}

	team := &vigil.Team{Name: "checkout", Responders: []int64{e.ana.ID}}
	if err := e.db.CreateTeam(ctx, team); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.UpdateService(ctx, e.incident.ServiceID, vigil.ServiceUpdate{TeamID: &team.ID}); err != nil {
		t.Fatal(err)
	}
	if out := press("ack"); !strings.Contains(out, "acknowledged") {
		t.Errorf("a team responder's ack: %s", out)
	}

	team.Responders = nil
	if err := e.db.UpdateTeam(ctx, team); err != nil {
		t.Fatal(err)
	}
	if out := press("resolve"); !strings.Contains(out, "may not act") {
		t.Errorf("resolve after leaving the team's responders: %s", out)
	}
	page := &vigil.Notification{Kind: vigil.MessagePage, IncidentID: e.incident.ID, UserID: e.ana.ID,
		ContactMethodID: e.voice.ID, DestType: vigil.ContactVoice, DestAddress: anaPhone, Title: "checkout down"}
	if err := e.db.CreateNotifications(ctx, page); err != nil {
		t.Fatal(err)
	}
	if out := press("resolve"); !strings.Contains(out, "resolved") {
		t.Errorf("resolve by a viewer who was paged: %s", out)
	}
	if st, _ := e.status(); st != vigil.IncidentResolved {
		t.Errorf("incident %s, want resolved", st)
	}
}
