package main

import (
	"context"
	"math/rand/v2"
	"net"
	"net/netip"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/netguard"
	"github.com/vigil-oss/vigil/internal/notify"
	"github.com/vigil-oss/vigil/internal/notify/email"
	"github.com/vigil-oss/vigil/internal/notify/slack"
	"github.com/vigil-oss/vigil/internal/notify/smsgateway"
	"github.com/vigil-oss/vigil/internal/notify/teams"
	"github.com/vigil-oss/vigil/internal/notify/twilio"
	"github.com/vigil-oss/vigil/internal/notify/webhook"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// TestDevFakeVendors runs `vigil dev fake-vendors` in-process, configures
// every real sender from the settings it printed (read the way `vigil
// serve` reads them), sends one message per channel and expects one line
// per message; then it cancels the context and expects a clean exit.
func TestDevFakeVendors(t *testing.T) {
	portBase := freePortRange(t, 6)
	out, errOut := &lockedBuffer{}, &lockedBuffer{}
	cmd := newDevCmd(&env{getenv: getenvFrom(nil), stdout: out, stderr: errOut})
	cmd.SetArgs([]string{"fake-vendors", "--port-base", strconv.Itoa(portBase), "--poll", "20ms"})
	cmd.SetOut(out)
	cmd.SetErr(errOut)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	exit := make(chan error, 1)
	go func() { exit <- cmd.ExecuteContext(ctx) }()

	waitForOutput(t, out, exit, regexp.MustCompile(`Ctrl-C to stop`))
	vars, contacts := parseFakeVendors(t, out.String())
	ch, err := channelsFromEnv(&env{getenv: getenvFrom(vars)})
	if err != nil {
		t.Fatalf("the printed settings do not load: %v", err)
	}
	// The fakes sit on the ports asked for.
	for _, u := range []string{ch.SlackBaseURL, ch.TwilioBaseURL, ch.SMSGatewayURL, contacts[vigil.ContactWebhook], contacts[vigil.ContactTeams]} {
		if !strings.Contains(u, "127.0.0.1:") {
			t.Errorf("address %q is not on 127.0.0.1", u)
		}
	}
	if ch.SMTPHost != "127.0.0.1" || ch.SMTPPort < portBase || ch.SMTPPort > portBase+5 {
		t.Errorf("SMTP at %s:%d, want 127.0.0.1 and a port in %d-%d", ch.SMTPHost, ch.SMTPPort, portBase, portBase+5)
	}

	// The printed allowlist lets contact methods reach the webhook and
	// Teams fakes, which would be refused as loopback otherwise.
	guard := netguard.Guard{Allow: ch.OutboundAllow}
	for _, c := range []string{contacts[vigil.ContactWebhook], contacts[vigil.ContactTeams]} {
		u, err := url.Parse(c)
		if err != nil {
			t.Fatal(err)
		}
		ip, err := netip.ParseAddr(u.Hostname())
		if err != nil || guard.Check(ip) != nil || (netguard.Guard{}).Check(ip) == nil {
			t.Errorf("contact %s: the allowlist %v does not open it (%v)", c, ch.OutboundAllow, err)
		}
	}

	// The senders as the app builds them from these settings.
	sl, err := slack.New(slack.Config{Token: ch.SlackToken, BaseURL: ch.SlackBaseURL})
	if err != nil {
		t.Fatal(err)
	}
	tw, err := twilio.New(twilio.Config{AccountSID: ch.TwilioAccountSID, AuthToken: ch.TwilioAuthToken, From: ch.TwilioFrom, BaseURL: ch.TwilioBaseURL})
	if err != nil {
		t.Fatal(err)
	}
	em, err := email.New(email.Config{Host: ch.SMTPHost, Port: ch.SMTPPort, Username: ch.SMTPUsername, Password: ch.SMTPPassword,
		From: ch.SMTPFrom, TLS: email.TLSPolicy(ch.SMTPTLS), HELO: "localhost"})
	if err != nil {
		t.Fatal(err)
	}
	gw, err := smsgateway.New(smsgateway.Config{URLTemplate: ch.SMSGatewayURL, BodyTemplate: ch.SMSGatewayBody})
	if err != nil {
		t.Fatal(err)
	}
	senders := map[string]notify.Sender{
		vigil.ContactWebhook:    webhook.New(webhook.Config{Secret: ch.WebhookSecret}),
		vigil.ContactTeams:      teams.New(teams.Config{}),
		vigil.ContactSlack:      sl,
		vigil.ContactSMS:        tw,
		vigil.ContactVoice:      tw,
		vigil.ContactEmail:      em,
		vigil.ContactSMSGateway: gw,
	}
	// What each channel's line shows as its destination.
	shown := map[string]string{
		vigil.ContactWebhook: contacts[vigil.ContactWebhook],
		vigil.ContactTeams:   "workflow 127.0.0.1:",
	}
	for i, typ := range vigil.ContactTypes {
		addr, ok := contacts[typ]
		if !ok {
			t.Fatalf("no contact method printed for %s", typ)
		}
		title := "fake-vendors check " + typ
		m := notify.Message{ID: "msg-" + strconv.Itoa(i), Kind: notify.KindPage, IncidentID: int64(100 + i), Title: title,
			Severity: "critical", Service: "checkout", URL: "http://vigil.test/incidents/1", CreatedAt: time.Now()}
		sendCtx, stop := context.WithTimeout(ctx, 10*time.Second)
		_, err := senders[typ].Send(sendCtx, notify.Destination{Type: typ, Address: addr}, m)
		stop()
		if err != nil {
			t.Fatalf("%s: send through the fake: %v", typ, err)
		}
		dest := shown[typ]
		if dest == "" {
			dest = addr
		}
		want := regexp.MustCompile(`(?m)^\d\d:\d\d:\d\d\.\d{3}  ` + regexp.QuoteMeta(typ) + ` +` + regexp.QuoteMeta(dest) + `.*` + regexp.QuoteMeta(title))
		waitForOutput(t, out, exit, want)
	}
	if s := out.String(); !strings.Contains(s, "(signature ok)") || strings.Contains(s, "REFUSED") || strings.Contains(s, "BAD SIGNATURE") {
		t.Errorf("a fake refused something or a signature failed:\n%s", s)
	}

	cancel()
	select {
	case err := <-exit:
		if err != nil {
			t.Fatalf("exit: %v\n%s", err, errOut.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("fake-vendors did not stop after its context ended")
	}
	if !strings.Contains(out.String(), "# fake vendors stopped") {
		t.Errorf("no stop line:\n%s", out.String())
	}
	// Everything is closed: the ports are free again.
	for p := portBase; p < portBase+6; p++ {
		ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
		if err != nil {
			t.Errorf("port %d still taken after exit: %v", p, err)
			continue
		}
		ln.Close()
	}
}

// Without --port-base the system picks the ports; a taken port is an
// error at startup, not a hang.
func TestDevFakeVendorsPorts(t *testing.T) {
	out := &lockedBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	exit := make(chan error, 1)
	go func() {
		cmd := newDevCmd(&env{getenv: getenvFrom(nil), stdout: out, stderr: &lockedBuffer{}})
		cmd.SetArgs([]string{"fake-vendors"})
		cmd.SetOut(out)
		cmd.SetErr(&lockedBuffer{})
		exit <- cmd.ExecuteContext(ctx)
	}()
	waitForOutput(t, out, exit, regexp.MustCompile(`Ctrl-C to stop`))
	vars, _ := parseFakeVendors(t, out.String())
	if p, _ := strconv.Atoi(vars["VIGIL_SMTP_PORT"]); p == 0 {
		t.Errorf("SMTP port %q", vars["VIGIL_SMTP_PORT"])
	}
	cancel()
	if err := <-exit; err != nil {
		t.Fatal(err)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	taken := ln.Addr().(*net.TCPAddr).Port
	cmd := newDevCmd(&env{getenv: getenvFrom(nil), stdout: &lockedBuffer{}, stderr: &lockedBuffer{}})
	cmd.SetArgs([]string{"fake-vendors", "--port-base", strconv.Itoa(taken)})
	cmd.SetOut(&lockedBuffer{})
	cmd.SetErr(&lockedBuffer{})
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(context.Background()) }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), strconv.Itoa(taken)) {
			t.Errorf("taken port: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a taken port did not fail the command")
	}
}

// parseFakeVendors reads the printed `export KEY='value'` lines and the
// contact method table.
func parseFakeVendors(t *testing.T, s string) (vars, contacts map[string]string) {
	t.Helper()
	vars, contacts = map[string]string{}, map[string]string{}
	exportRE := regexp.MustCompile(`(?m)^export (VIGIL_[A-Z_]+)=(.*)$`)
	for _, m := range exportRE.FindAllStringSubmatch(s, -1) {
		v := m[2]
		if strings.HasPrefix(v, "'") {
			if !strings.HasSuffix(v, "'") || len(v) < 2 {
				t.Fatalf("badly quoted %q", m[0])
			}
			v = strings.ReplaceAll(v[1:len(v)-1], `'\''`, "'")
		}
		vars[m[1]] = v
	}
	contactRE := regexp.MustCompile(`(?m)^#   ([a-z_]+) +(\S+)`)
	for _, m := range contactRE.FindAllStringSubmatch(s, -1) {
		contacts[m[1]] = m[2]
	}
	for _, k := range []string{"VIGIL_WEBHOOK_SECRET", "VIGIL_SLACK_TOKEN", "VIGIL_SLACK_API_URL", "VIGIL_TWILIO_ACCOUNT_SID",
		"VIGIL_TWILIO_AUTH_TOKEN", "VIGIL_TWILIO_FROM", "VIGIL_TWILIO_API_URL", "VIGIL_SMTP_HOST", "VIGIL_SMTP_PORT",
		"VIGIL_SMTP_FROM", "VIGIL_SMTP_TLS", "VIGIL_SMS_GATEWAY_URL", "VIGIL_OUTBOUND_ALLOW"} {
		if vars[k] == "" {
			t.Errorf("%s not printed:\n%s", k, s)
		}
	}
	return vars, contacts
}

// waitForOutput waits until out matches re, failing early when the
// command exits.
func waitForOutput(t *testing.T, out *lockedBuffer, exit <-chan error, re *regexp.Regexp) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !re.MatchString(out.String()) {
		select {
		case err := <-exit:
			t.Fatalf("command exited (%v) before printing %s:\n%s", err, re, out.String())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no line matching %s in:\n%s", re, out.String())
		}
	}
}

// freePortRange finds n consecutive free ports on 127.0.0.1, below the
// ephemeral range: a port the kernel hands out for port 0 may still be
// the local end of a client connection in TIME_WAIT, which a listener
// cannot bind by number.
func freePortRange(t *testing.T, n int) int {
	t.Helper()
	for try := 0; try < 100; try++ {
		base := 20000 + rand.IntN(12000)
		free := true
		for p := base; p < base+n && free; p++ {
			l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
			if err != nil {
				free = false
				continue
			}
			l.Close()
		}
		if free {
			return base
		}
	}
	t.Fatal("no range of free ports")
	return 0
}
