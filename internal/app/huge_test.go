package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/vigil-oss/vigil/internal/api"
	"github.com/vigil-oss/vigil/internal/ingest/native"
	"github.com/vigil-oss/vigil/internal/notify/email/smtptest"
	"github.com/vigil-oss/vigil/internal/notify/slack/slacktest"
	"github.com/vigil-oss/vigil/internal/notify/smsgateway"
	"github.com/vigil-oss/vigil/internal/notify/smsgateway/smsgatewaytest"
	"github.com/vigil-oss/vigil/internal/notify/teams/teamstest"
	"github.com/vigil-oss/vigil/internal/notify/twilio/twiliotest"
	"github.com/vigil-oss/vigil/internal/notify/webhook/webhooktest"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// truncMarker is what notify.Truncate appends when it cuts text (E11).
const truncMarker = "… [truncated]"

// hugeAlerts and hugeDetailsBytes are the size of catalog item E11: a
// huge incident of 10,000 alerts carrying 2 MB of details.
const (
	hugeAlerts       = 10000
	hugeDetailsBytes = 2 << 20
)

// hugeTitle is a summary of exactly vigil.MaxSummaryLen bytes made of
// multi-byte characters and of everything some channel must escape or
// defuse: HTML and XML (<, &, quotes, ]]>), Slack mrkdwn (<!channel>,
// <@U…>), Adaptive Card functions ({{DATE(…)}}, also after a third
// brace), Markdown. Single spaces only, so channels that fold whitespace
// show it as it is.
func hugeTitle() string {
	const unit = `Ünïcødé <b>bold</b> & "quoted" 'single' {{DATE(2026-11-23T10:00:00Z, SHORT)}} {{{TIME(2026-11-23T10:00:00Z)}}} ` +
		`<!channel> <@U0VIGIL> *star* _under_ [click](https://evil.example/) ]]> 🔥 日本語のテキスト `
	var b strings.Builder
	for b.Len()+len(unit) <= vigil.MaxSummaryLen {
		b.WriteString(unit)
	}
	for b.Len()+len("€") <= vigil.MaxSummaryLen {
		b.WriteString("€")
	}
	for b.Len() < vigil.MaxSummaryLen {
		b.WriteString("x")
	}
	return b.String()
}

// TestHugeIncident is catalog item E11 end to end: 10,000 alerts with
// 2 MB of details arrive through the real ingest API into one incident,
// none is refused, and the page reaches every channel once, cut to that
// channel's limit with a visible marker, still valid UTF-8 and escaped for
// its format. The incident's API and web page stay fast and bounded.
func TestHugeIncident(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 10,000 alerts")
	}
	started := time.Now()
	const (
		webhookSecret = "whsec-huge-0123456789"
		slackToken    = "xoxb-huge-test"
		twilioSID     = "AC0000000000000000000000000000e11a"
		twilioToken   = "twilio-huge-token"
		twilioFrom    = "+15005550006"
		phone         = "+15555550100"
		slackChannel  = "C0VIGILE11"
	)
	hook := webhooktest.New(t, webhookSecret)
	teamsFake := teamstest.New(t)
	slackFake := slacktest.New(t, slackToken)
	twilioFake := twiliotest.New(t, twilioSID, twilioToken)
	smtpFake := smtptest.New(t, smtptest.Options{Hostname: "smtp.e11.test"})
	gateway := smsgatewaytest.New(t)

	token := vigil.NewSecret(vigil.TokenPrefix)
	clock := vigil.NewManualClock(time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC))
	a := startApp(t, Config{
		DataDir: t.TempDir(), Clock: clock, EngineInterval: -1, AdminToken: token,
		IngestRateLimit: 1000, // the production default: a huge incident is still a handful of requests
		Channels: Channels{
			WebhookSecret: webhookSecret,
			SlackToken:    slackToken, SlackBaseURL: slackFake.URL,
			TwilioAccountSID: twilioSID, TwilioAuthToken: twilioToken, TwilioFrom: twilioFrom, TwilioBaseURL: twilioFake.URL,
			SMTPHost: smtpFake.Host, SMTPPort: smtpFake.Port, SMTPFrom: "Vigil <vigil@vigil.test>", SMTPTLS: "none",
			SMSGatewayURL:  gateway.URL + "/send",
			SMSGatewayBody: `{"to":{{json .To}},"text":{{json .Text}}}`,
		},
	})

	// One person with a contact method of every type, paged by the
	// service's policy; the service groups by the cluster label.
	ctx := vigil.WithActor(context.Background(), vigil.Actor{Kind: vigil.ActorToken, Name: "seed", Source: vigil.SourceAPI})
	st := a.Store()
	u := &vigil.User{Name: "Ana", Email: "ana@example.com"}
	if err := st.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	address := map[string]string{
		vigil.ContactEmail:      "oncall@example.com",
		vigil.ContactSMS:        phone,
		vigil.ContactVoice:      phone,
		vigil.ContactSlack:      slackChannel,
		vigil.ContactTeams:      teamsFake.URL,
		vigil.ContactWebhook:    hook.URL + "/page",
		vigil.ContactSMSGateway: phone,
	}
	for _, typ := range vigil.ContactTypes {
		addr, ok := address[typ]
		if !ok {
			t.Fatalf("contact type %q is new: give it a fake and assertions in this test", typ)
		}
		if err := st.CreateContactMethod(ctx, &vigil.ContactMethod{UserID: u.ID, Type: typ, Address: addr}); err != nil {
			t.Fatalf("contact method %s: %v", typ, err)
		}
	}
	p := &vigil.EscalationPolicy{Name: "primary", Steps: []vigil.EscalationStep{{Delay: vigil.Duration(30 * time.Minute),
		Targets: []vigil.Target{{Type: vigil.TargetUser, ID: u.ID}}}}}
	if err := st.CreateEscalationPolicy(ctx, p); err != nil {
		t.Fatal(err)
	}
	svc := &vigil.Service{Name: "checkout", EscalationPolicyID: p.ID,
		Grouping: vigil.GroupingRule{Mode: vigil.GroupByLabels, Labels: []string{"cluster"}}}
	if err := st.CreateService(ctx, svc); err != nil {
		t.Fatal(err)
	}
	k, err := st.CreateIntegrationKey(ctx, svc.ID, "prometheus")
	if err != nil {
		t.Fatal(err)
	}

	// 1. Ingest: 10,000 alerts in batches as large as the API takes.
	title := hugeTitle()
	if len(title) != vigil.MaxSummaryLen || !utf8.ValidString(title) {
		t.Fatalf("test bug: title is %d bytes, valid UTF-8 %v", len(title), utf8.ValidString(title))
	}
	filler := strings.Repeat("données-été-€-", 9) // 162 bytes of multi-byte text: ~213 bytes of details per alert
	events := make([]map[string]any, hugeAlerts)
	detailsBytes := 0
	for i := range events {
		details := map[string]any{"host": fmt.Sprintf("node-%05d", i), "n": i, "trace": filler}
		d, _ := json.Marshal(details)
		detailsBytes += len(d)
		summary := fmt.Sprintf("replica %d of the checkout fleet is unhealthy", i)
		if i == 0 {
			summary = title
		}
		events[i] = map[string]any{
			"summary": summary, "dedup_key": fmt.Sprintf("huge-%05d", i), "severity": "critical", "source": "e11",
			"labels":  map[string]string{"cluster": "eu-1", "host": fmt.Sprintf("node-%05d", i)},
			"details": details,
		}
	}
	if detailsBytes < hugeDetailsBytes {
		t.Fatalf("test bug: only %d bytes of details", detailsBytes)
	}
	ingestStart := time.Now()
	var incidentID int64
	accepted, requests, maxBody := 0, 0, 0
	for start := 0; start < len(events); start += native.MaxBatchEvents {
		batch := events[start:min(start+native.MaxBatchEvents, len(events))]
		body, err := json.Marshal(batch)
		if err != nil {
			t.Fatal(err)
		}
		if len(body) > api.MaxBodyBytes {
			t.Fatalf("test bug: a batch of %d bytes is over the %d byte body limit", len(body), api.MaxBodyBytes)
		}
		maxBody = max(maxBody, len(body))
		req, _ := http.NewRequest("POST", a.URL()+"/api/v1/events", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+k.Secret)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		requests++
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("batch at %d refused: %d %.500s", start, resp.StatusCode, raw)
		}
		var br api.BatchResponse
		if err := json.Unmarshal(raw, &br); err != nil || len(br.Results) != len(batch) {
			t.Fatalf("batch at %d: %d results for %d events (%v)", start, len(br.Results), len(batch), err)
		}
		for i, r := range br.Results {
			if r.Error != nil || r.EventResult == nil || !r.AlertNew {
				t.Fatalf("event %d: %+v %+v", start+i, r.EventResult, r.Error)
			}
			if incidentID == 0 {
				incidentID = r.IncidentID
			}
			if r.IncidentID != incidentID {
				t.Fatalf("event %d went to incident %d, not %d: grouping split the incident", start+i, r.IncidentID, incidentID)
			}
			accepted++
		}
	}
	if accepted != hugeAlerts {
		t.Fatalf("%d alerts accepted, want %d", accepted, hugeAlerts)
	}
	t.Logf("ingest: %d alerts, %d bytes of details, %d requests (largest body %d bytes), %s",
		accepted, detailsBytes, requests, maxBody, time.Since(ingestStart).Round(time.Millisecond))

	// 2. The page goes out on every channel, once.
	want := map[string]func() int{
		"webhook":     func() int { return len(hook.Requests()) },
		"teams":       func() int { return len(teamsFake.Requests()) },
		"slack":       func() int { return len(slackFake.Posts()) },
		"sms":         func() int { return len(twilioFake.Messages()) },
		"voice":       func() int { return len(twilioFake.Calls()) },
		"email":       func() int { return len(smtpFake.Messages()) },
		"sms_gateway": func() int { return len(gateway.Requests()) },
	}
	arrived := func() bool {
		for _, n := range want {
			if n() < 1 {
				return false
			}
		}
		return true
	}
	for i := 0; i < 10 && !arrived(); i++ {
		if _, err := a.EngineCycle(context.Background()); err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Second)
	}
	// More cycles must not page again (nothing is due for 30 minutes).
	for range 3 {
		if _, err := a.EngineCycle(context.Background()); err != nil {
			t.Fatal(err)
		}
		clock.Advance(10 * time.Second)
	}
	for ch, n := range want {
		if got := n(); got != 1 {
			t.Errorf("%s received %d messages, want exactly 1", ch, got)
		}
	}
	// The timeline records each delivery as a success.
	tl, err := st.FindTimeline(context.Background(), incidentID)
	if err != nil {
		t.Fatal(err)
	}
	var deliveries []string
	for _, e := range tl {
		if e.Kind == vigil.EntryNotification {
			deliveries = append(deliveries, e.Message)
		}
	}
	if len(deliveries) != len(vigil.ContactTypes) {
		t.Errorf("%d notification entries, want %d: %q", len(deliveries), len(vigil.ContactTypes), deliveries)
	}
	for _, d := range deliveries {
		if !strings.HasPrefix(d, "Paged Ana by ") {
			t.Errorf("delivery entry %q", d)
		}
	}
	if t.Failed() {
		for _, e := range tl {
			if e.Kind != vigil.EntryAlertJoined {
				t.Logf("timeline: %s %s", e.Kind, e.Message)
			}
		}
		t.FailNow()
	}
	prefix := fmt.Sprintf("#%d ", incidentID)
	subject := fmt.Sprintf("[Vigil] #%d critical: %s (checkout)", incidentID, title)

	t.Run("webhook", func(t *testing.T) {
		r := hook.Requests()[0]
		if r.SignatureErr != nil || r.PayloadErr != nil {
			t.Fatalf("signature %v, payload %v", r.SignatureErr, r.PayloadErr)
		}
		// No vendor limit: the receiver gets the whole title, as sent.
		if r.Payload.Title != title || r.Payload.IncidentID != incidentID || r.Payload.Kind != "page" {
			t.Errorf("payload: kind %q incident %d title %q", r.Payload.Kind, r.Payload.IncidentID, r.Payload.Title)
		}
		t.Logf("webhook: %d byte body, full %d byte title", len(r.Body), len(r.Payload.Title))
	})

	t.Run("slack", func(t *testing.T) {
		post := slackFake.Posts()[0]
		if !post.Delivered || post.Channel != slackChannel {
			t.Fatalf("post to %q delivered=%v", post.Channel, post.Delivered)
		}
		section := post.Section()
		// Block Kit: a section's text is at most 3000 characters; Vigil's
		// notification text (the fallback) stays under the 4000 Slack
		// recommends (it cuts messages only past 40,000).
		if n := utf8.RuneCountInString(section); n > 3000 || len(section) > 3000 {
			t.Errorf("section text is %d characters, %d bytes: over Slack's 3000", n, len(section))
		}
		if n := utf8.RuneCountInString(post.Text); n > 3000 {
			t.Errorf("fallback text is %d characters", n)
		}
		for name, s := range map[string]string{"section": section, "text": post.Text} {
			checkMrkdwn(t, name, s)
		}
		// The title line, unescaped, is a visible cut of the title.
		line, _, _ := strings.Cut(section, "\n")
		shown := strings.TrimSuffix(strings.TrimPrefix(line, "*"+prefix), "*")
		checkCut(t, "slack title", unMrkdwn(shown), title, 200)
		// The fallback carries the whole subject (it fits 3000 bytes escaped).
		if unMrkdwn(post.Text) != subject {
			t.Errorf("fallback text %q, want the subject", post.Text)
		}
		if _, ok := post.Button("vigil_ack"); !ok {
			t.Error("no Acknowledge button")
		}
		t.Logf("slack: section %d bytes (%d characters), fallback %d bytes, request %d bytes",
			len(section), utf8.RuneCountInString(section), len(post.Text), len(post.Raw))
	})

	t.Run("teams", func(t *testing.T) {
		r := teamsFake.Requests()[0]
		if r.CardErr != nil || r.Reply.Status != 0 {
			t.Fatalf("card refused: %v", r.CardErr)
		}
		// Teams refuses messages over about 28 KB.
		if len(r.Body) > 28000 {
			t.Errorf("card is %d bytes, over Teams' ~28 KB", len(r.Body))
		}
		texts := r.Texts()
		for _, s := range texts {
			if !utf8.ValidString(s) {
				t.Errorf("text is not valid UTF-8: %q", s)
			}
			if strings.Contains(s, "{{") {
				t.Errorf("a card text still holds {{, which Teams evaluates as a function: %q", s)
			}
		}
		heading := strings.ReplaceAll(texts[0], "\u200b", "")
		checkCut(t, "teams heading", heading, prefix+title, 200)
		if c := r.Card(); c == nil || len(c.Actions) != 3 {
			t.Errorf("actions: %+v", c)
		}
		t.Logf("teams: card %d bytes, heading %d bytes", len(r.Body), len(texts[0]))
	})

	t.Run("sms", func(t *testing.T) {
		m := twilioFake.Messages()[0]
		if !m.Accepted || m.To != phone {
			t.Fatalf("SMS to %s accepted=%v", m.To, m.Accepted)
		}
		if n := utf8.RuneCountInString(m.Body); n > 1600 || len(m.Body) > 1600 {
			t.Errorf("SMS is %d characters, %d bytes: over Twilio's 1600", n, len(m.Body))
		}
		if !utf8.ValidString(m.Body) {
			t.Error("SMS is not valid UTF-8")
		}
		// 1024 bytes of title fit in 1600: it arrives whole, with the
		// reply instructions.
		if !strings.Contains(m.Body, subject) || strings.Contains(m.Body, truncMarker) {
			t.Errorf("SMS does not carry the whole subject: %q", m.Body)
		}
		if want := fmt.Sprintf("Reply 'ack %d'", incidentID); !strings.Contains(m.Body, want) {
			t.Errorf("SMS lost its reply hint %q: %q", want, m.Body)
		}
		t.Logf("sms: %d bytes, %d characters", len(m.Body), utf8.RuneCountInString(m.Body))
	})

	t.Run("voice", func(t *testing.T) {
		c := twilioFake.Calls()[0]
		if !c.Accepted || c.Twiml == "" {
			t.Fatalf("call accepted=%v twiml %q", c.Accepted, c.Twiml)
		}
		if n := utf8.RuneCountInString(c.Twiml); n > 4000 || len(c.Twiml) > 4000 {
			t.Errorf("TwiML is %d characters, %d bytes: over Twilio's 4000", n, len(c.Twiml))
		}
		doc, err := twiliotest.ParseTwiML(c.Twiml) // XML-escaped or it would not parse
		if err != nil {
			t.Fatalf("TwiML: %v\n%s", err, c.Twiml)
		}
		if doc.Gather == nil || len(doc.Gather.Say) != 1 || !strings.Contains(doc.Gather.Action, "/api/v1/inbound/twilio/voice") {
			t.Fatalf("gather: %+v", doc.Gather)
		}
		if strings.Contains(c.Twiml, "<b>") || strings.Contains(c.Twiml, "<!channel>") {
			t.Error("the title's markup reached the TwiML unescaped")
		}
		said := doc.Gather.Say[0]
		head := fmt.Sprintf("This is Vigil. Incident %d, severity critical: ", incidentID)
		if !strings.HasPrefix(said, head) || !strings.Contains(said, "Press 4 to acknowledge") {
			t.Fatalf("call says %q", said)
		}
		shown, _, cut := strings.Cut(strings.TrimPrefix(said, head), truncMarker)
		if !cut {
			t.Errorf("the call reads a %d byte title without saying it was cut: %q", len(title), said)
		}
		checkCut(t, "voice title", shown+truncMarker, title, 200)
		t.Logf("voice: TwiML %d bytes, %d characters", len(c.Twiml), utf8.RuneCountInString(c.Twiml))
	})

	t.Run("email", func(t *testing.T) {
		m := smtpFake.Messages()[0]
		if m.ParseErr != nil {
			t.Fatalf("mail does not parse: %v", m.ParseErr)
		}
		// RFC 5322 2.1.1: no line over 998 characters, headers included
		// (a long subject must be folded).
		for i, line := range strings.Split(string(m.Data), "\r\n") {
			if len(line) > 998 {
				t.Errorf("line %d of the mail is %d bytes", i, len(line))
			}
		}
		if !utf8.ValidString(m.Subject) || !utf8.ValidString(m.Text) || !utf8.ValidString(m.HTML) {
			t.Error("mail is not valid UTF-8")
		}
		checkCut(t, "email subject", m.Subject, subject, 200)
		if len(m.Subject) > 300 {
			t.Errorf("subject is %d bytes", len(m.Subject))
		}
		if !strings.HasPrefix(m.Text, m.Subject+"\n") && !strings.HasPrefix(m.Text, m.Subject+"\r\n") {
			t.Errorf("text part does not start with the subject: %.200q", m.Text)
		}
		h2 := regexp.MustCompile(`(?s)<h2[^>]*>(.*?)</h2>`).FindStringSubmatch(m.HTML)
		if h2 == nil {
			t.Fatalf("no heading in the HTML part: %.500s", m.HTML)
		}
		if strings.ContainsAny(h2[1], `<>"`) || html.UnescapeString(h2[1]) != m.Subject {
			t.Errorf("HTML heading is not the escaped subject: %q", h2[1])
		}
		if strings.Contains(m.HTML, "<b>bold") || strings.Contains(m.HTML, "<!channel>") {
			t.Error("the title's markup reached the HTML unescaped")
		}
		t.Logf("email: subject %d bytes, message %d bytes", len(m.Subject), len(m.Data))
	})

	t.Run("sms_gateway", func(t *testing.T) {
		r := gateway.Requests()[0]
		var body struct{ To, Text string }
		if err := r.JSON(&body); err != nil {
			t.Fatalf("body is not JSON: %v %q", err, r.Body)
		}
		if body.To != phone {
			t.Errorf("to %q", body.To)
		}
		if len(body.Text) > smsgateway.MaxText || !utf8.ValidString(body.Text) {
			t.Errorf("text is %d bytes (max %d), valid UTF-8 %v", len(body.Text), smsgateway.MaxText, utf8.ValidString(body.Text))
		}
		head, link, ok := strings.Cut(body.Text, " Ack: ")
		if !ok || !strings.HasPrefix(link, a.URL()+"/act/") {
			t.Fatalf("the ack link is missing or cut: %q", body.Text)
		}
		checkCut(t, "sms gateway text", head, subject, 100)
		t.Logf("sms_gateway: text %d bytes, %d characters", len(body.Text), utf8.RuneCountInString(body.Text))
	})

	// 3. The incident's API answer and web page: bounded (their times are
	// logged, not asserted: shared machines are noisy).
	t.Run("api", func(t *testing.T) {
		t0 := time.Now()
		code, raw := getWith(t, a.URL()+"/api/v1/incidents/"+strconv.FormatInt(incidentID, 10), func(r *http.Request) {
			r.Header.Set("Authorization", "Bearer "+token)
		})
		took := time.Since(t0)
		if code != 200 {
			t.Fatalf("GET incident: %d %.300s", code, raw)
		}
		var inc api.IncidentDetail
		if err := json.Unmarshal(raw, &inc); err != nil {
			t.Fatal(err)
		}
		if inc.AlertCount != hugeAlerts || inc.Title != title || inc.Severity != vigil.SeverityCritical {
			t.Errorf("incident: alert_count %d, severity %s, title %d bytes", inc.AlertCount, inc.Severity, len(inc.Title))
		}
		if len(inc.Alerts) == 0 || len(inc.Alerts) > 100 || len(raw) > 1<<20 {
			t.Errorf("answer embeds %d alerts in %d bytes", len(inc.Alerts), len(raw))
		}
		t.Logf("api: %d bytes, %d alerts embedded, %s", len(raw), len(inc.Alerts), took.Round(time.Millisecond))
	})

	t.Run("web", func(t *testing.T) {
		t0 := time.Now()
		code, raw := getWith(t, a.URL()+"/incidents/"+strconv.FormatInt(incidentID, 10), func(r *http.Request) {
			r.AddCookie(sessionCookie(t, a))
		})
		took := time.Since(t0)
		if code != 200 {
			t.Fatalf("GET /incidents/%d: %d %.300s", incidentID, code, raw)
		}
		page := string(raw)
		rows := strings.Count(page, `<td class="title">`)
		entries := strings.Count(page, `<li class="entry`)
		if rows == 0 || rows > vigil.MaxPageSize || !strings.Contains(page, "(10000)") {
			t.Errorf("page shows %d alert rows (at most %d), total (10000) shown %v", rows, vigil.MaxPageSize, strings.Contains(page, "(10000)"))
		}
		if !strings.Contains(page, "Ünïcødé &lt;b&gt;bold&lt;/b&gt;") || strings.Contains(page, "<b>bold</b>") {
			t.Error("page does not show the title escaped")
		}
		if len(raw) > 1<<20 {
			t.Errorf("page is %d bytes (%d alert rows, %d timeline entries): not bounded", len(raw), rows, entries)
		}
		t.Logf("web: %d bytes, %d alert rows, %d timeline entries, %s", len(raw), rows, entries, took.Round(time.Millisecond))
	})
	t.Logf("total %s", time.Since(started).Round(time.Millisecond))
}

// getWith fetches url with the request changed by set; status and body.
func getWith(t *testing.T, url string, set func(*http.Request)) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	set(req)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

// sessionCookie makes a user with a password, signs in to the web UI with
// it as the sign-in form does, and returns the session cookie.
func sessionCookie(t *testing.T, a *App) *http.Cookie {
	t.Helper()
	c := signIn(t, a.URL(), a.Store())
	if c == nil {
		t.Fatal("sign-in gave no session cookie")
	}
	return c
}

// checkCut checks that shown is a visible cut of full: valid UTF-8, ending
// with the truncation marker, and what comes before the marker (at least
// minShown bytes of it) is where full starts.
func checkCut(t *testing.T, what, shown, full string, minShown int) {
	t.Helper()
	if !utf8.ValidString(shown) {
		t.Errorf("%s is not valid UTF-8: %q", what, shown)
	}
	kept, ok := strings.CutSuffix(shown, truncMarker)
	if !ok {
		t.Errorf("%s was cut without the visible marker %q: %q", what, truncMarker, shown)
		return
	}
	if !strings.HasPrefix(full, kept) || len(kept) < minShown {
		t.Errorf("%s shows %d bytes that are not the start of the text: %q", what, len(kept), kept)
	}
}

// checkMrkdwn checks that s is escaped for Slack: the message's own text
// uses no < or >, so any would come from the title (<!channel> would ping
// everyone), and every & starts one of the three entities.
func checkMrkdwn(t *testing.T, what, s string) {
	t.Helper()
	if !utf8.ValidString(s) {
		t.Errorf("slack %s is not valid UTF-8", what)
	}
	if strings.ContainsAny(s, "<>") {
		t.Errorf("slack %s holds an unescaped < or >: %q", what, s)
	}
	for i := strings.IndexByte(s, '&'); i >= 0; {
		rest := s[i:]
		if !strings.HasPrefix(rest, "&amp;") && !strings.HasPrefix(rest, "&lt;") && !strings.HasPrefix(rest, "&gt;") {
			t.Errorf("slack %s holds an unescaped &: %q", what, rest[:min(len(rest), 20)])
			return
		}
		j := strings.IndexByte(s[i+1:], '&')
		if j < 0 {
			break
		}
		i += 1 + j
	}
}

var mrkdwnUnescaper = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&")

func unMrkdwn(s string) string { return mrkdwnUnescaper.Replace(s) }
