package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigil-oss/vigil/internal/notify/email/smtptest"
	"github.com/vigil-oss/vigil/internal/notify/slack/slacktest"
	"github.com/vigil-oss/vigil/internal/notify/smsgateway/smsgatewaytest"
	"github.com/vigil-oss/vigil/internal/notify/teams/teamstest"
	"github.com/vigil-oss/vigil/internal/notify/twilio/twiliotest"
	"github.com/vigil-oss/vigil/internal/notify/webhook/webhooktest"
)

// The fakes' credentials are fixed, not random: with --port-base the
// printed settings stay the same from one run to the next, so a developer
// can restart the fakes without reconfiguring `vigil serve`. They protect
// nothing.
const (
	fakeWebhookSecret = "whsec-vigil-dev-fake"
	fakeSlackToken    = "xoxb-vigil-dev-fake"
	fakeTwilioSID     = "AC00000000000000000000000000000000"
	fakeTwilioToken   = "vigil-dev-fake-twilio-token"
	fakeTwilioFrom    = "+15005550006"
	fakeSMTPFrom      = "Vigil <vigil@vigil.test>"
	fakeSMSGatewayURL = "/send?to={{.To | urlquery}}&text={{.Text | urlquery}}"
)

// newDevCmd is `vigil dev`: tools for working on Vigil and trying it out
// on one machine.
func newDevCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "dev",
		Short: "Tools for trying Vigil out and developing it locally",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newFakeVendorsCmd(e))
	return cmd
}

func newFakeVendorsCmd(e *env) *cobra.Command {
	var (
		addrBase string
		portBase int
		poll     time.Duration
	)
	cmd := &cobra.Command{
		Use:   "fake-vendors",
		Short: "Run local fakes of every notification vendor and print what they receive",
		Long: `Run local fakes of every vendor Vigil notifies through (webhook receiver,
Microsoft Teams Workflows, Slack Web API, Twilio, SMTP, an HTTP SMS gateway),
print the environment that points 'vigil serve' at them and the contact
method address to use for each channel, then print one line per message
each fake receives until interrupted.

With --port-base N the fakes listen on ports N to N+5 (webhook, teams,
slack, twilio, smtp, sms gateway), so the printed settings stay the same
from one run to the next; by default the system picks free ports.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if portBase < 0 || portBase > 65535-5 {
				return fmt.Errorf("--port-base: want a port number up to %d, not %d", 65535-5, portBase)
			}
			if poll <= 0 {
				return fmt.Errorf("--poll: want a positive duration, not %s", poll)
			}
			return runFakeVendors(cmd.Context(), e.stdout, addrBase, portBase, poll)
		},
	}
	cmd.Flags().StringVar(&addrBase, "addr-base", "127.0.0.1", "address the fakes listen on")
	cmd.Flags().IntVar(&portBase, "port-base", 0, "first of six consecutive ports to listen on; 0 picks free ports")
	cmd.Flags().DurationVar(&poll, "poll", 100*time.Millisecond, "how often the fakes' records are read")
	_ = cmd.Flags().MarkHidden("poll")
	return cmd
}

// fakeVendors is the running set of fakes with the public address of
// each.
type fakeVendors struct {
	webhook *webhooktest.Server
	teams   *teamstest.Server
	slack   *slacktest.Server
	twilio  *twiliotest.Server
	smtp    *smtptest.Server
	gateway *smsgatewaytest.Server

	// Public addresses (through the forwarders), host:port.
	webhookAddr, teamsAddr, slackAddr, twilioAddr, smtpAddr, gatewayAddr string
}

func runFakeVendors(ctx context.Context, out io.Writer, addrBase string, portBase int, poll time.Duration) (err error) {
	tb := &devTB{}
	defer tb.cleanup()
	f, err := startFakes(tb, addrBase, portBase)
	if err != nil {
		return err
	}
	printFakeSettings(out, f)

	w := &fakeWatcher{f: f, out: out}
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			w.check() // what arrived since the last tick
			fmt.Fprintln(out, "# fake vendors stopped")
			return nil
		case <-t.C:
			w.check()
		}
	}
}

// startFakes starts every fake and a forwarder in front of each on
// addrBase (the fakes themselves listen on a free port of 127.0.0.1 and
// offer no way to choose another; see the report on issue 4).
func startFakes(tb *devTB, addrBase string, portBase int) (*fakeVendors, error) {
	f := &fakeVendors{}
	err := tb.run(func() {
		f.webhook = webhooktest.New(tb, fakeWebhookSecret)
		f.teams = teamstest.New(tb)
		f.slack = slacktest.New(tb, fakeSlackToken)
		f.twilio = twiliotest.New(tb, fakeTwilioSID, fakeTwilioToken)
		f.smtp = smtptest.New(tb, smtptest.Options{Hostname: "fake-smtp.vigil.test"})
		f.gateway = smsgatewaytest.New(tb)
	})
	if err != nil {
		return nil, err
	}
	targets := []struct {
		url string // an http URL, or "" for the SMTP server's Addr
		dst *string
	}{
		{f.webhook.URL, &f.webhookAddr},
		{f.teams.URL, &f.teamsAddr},
		{f.slack.URL, &f.slackAddr},
		{f.twilio.URL, &f.twilioAddr},
		{"", &f.smtpAddr},
		{f.gateway.URL, &f.gatewayAddr},
	}
	for i, tg := range targets {
		backend := f.smtp.Addr
		if tg.url != "" {
			u, err := url.Parse(tg.url)
			if err != nil {
				return nil, err
			}
			backend = u.Host
		}
		port := 0
		if portBase > 0 {
			port = portBase + i
		}
		fw, err := newForwarder(net.JoinHostPort(addrBase, strconv.Itoa(port)), backend)
		if err != nil {
			return nil, fmt.Errorf("listen: %w", err)
		}
		tb.Cleanup(fw.close)
		*tg.dst = advertised(fw.addr())
	}
	return f, nil
}

// advertised turns a listening address into one clients can dial: a
// wildcard host (0.0.0.0, ::) becomes the loopback address.
func advertised(addr string) string {
	host, port, _ := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// rehost returns rawURL with its host replaced by hostport.
func rehost(rawURL, hostport string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return rawURL
	}
	u.Host = hostport
	return u.String()
}

// The contact method addresses printed for the channels whose address is
// not a URL: any value of the right form reaches the fake.
const (
	fakeSlackChannel = "C0VIGILDEV"
	fakePhone        = "+15555550100"
	fakeEmail        = "oncall@example.com"
)

func (f *fakeVendors) webhookContact() string { return "http://" + f.webhookAddr + "/hooks/oncall" }
func (f *fakeVendors) teamsContact() string   { return rehost(f.teams.URL, f.teamsAddr) }

// env lists the settings of `vigil serve` in the order they are printed.
func (f *fakeVendors) env() [][2]string {
	host, port, _ := net.SplitHostPort(f.smtpAddr)
	return [][2]string{
		{"VIGIL_WEBHOOK_SECRET", fakeWebhookSecret},
		{"VIGIL_SLACK_TOKEN", fakeSlackToken},
		{"VIGIL_SLACK_API_URL", rehost(f.slack.URL, f.slackAddr)},
		{"VIGIL_TWILIO_ACCOUNT_SID", fakeTwilioSID},
		{"VIGIL_TWILIO_AUTH_TOKEN", fakeTwilioToken},
		{"VIGIL_TWILIO_FROM", fakeTwilioFrom},
		{"VIGIL_TWILIO_API_URL", rehost(f.twilio.URL, f.twilioAddr)},
		{"VIGIL_SMTP_HOST", host},
		{"VIGIL_SMTP_PORT", port},
		{"VIGIL_SMTP_FROM", fakeSMTPFrom},
		{"VIGIL_SMTP_TLS", "none"}, // the fake speaks plain SMTP
		{"VIGIL_SMS_GATEWAY_URL", "http://" + f.gatewayAddr + fakeSMSGatewayURL},
		// Every HTTP channel connects through the outbound guard, which
		// refuses private addresses unless allowed: the fakes are local.
		{"VIGIL_OUTBOUND_ALLOW", outboundAllow(f.webhookAddr, f.teamsAddr, f.slackAddr, f.twilioAddr, f.gatewayAddr)},
	}
}

// outboundAllow is the allowlist that lets the channels reach fakes at
// addrs (host:port): each address itself, or loopback for a name.
func outboundAllow(addrs ...string) string {
	var out []string
	for _, a := range addrs {
		host, _, _ := net.SplitHostPort(a)
		v := "127.0.0.0/8,::1"
		if ip, err := netip.ParseAddr(host); err == nil {
			v = ip.String()
		}
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return strings.Join(out, ",")
}

func printFakeSettings(out io.Writer, f *fakeVendors) {
	fmt.Fprintln(out, "# Fake vendors are running. Configure `vigil serve` with:")
	for _, kv := range f.env() {
		fmt.Fprintf(out, "export %s=%s\n", kv[0], shellQuote(kv[1]))
	}
	fmt.Fprintln(out, "#")
	fmt.Fprintln(out, "# Contact methods that reach the fakes (vigil user contact add USER --type TYPE --address ADDRESS):")
	for _, c := range [][2]string{
		{"webhook", f.webhookContact()},
		{"teams", f.teamsContact()},
		{"slack", fakeSlackChannel + "  (any member or channel ID)"},
		{"sms", fakePhone + "  (any E.164 number)"},
		{"voice", fakePhone + "  (any E.164 number)"},
		{"email", fakeEmail + "  (any address)"},
		{"sms_gateway", fakePhone + "  (any E.164 number)"},
	} {
		fmt.Fprintf(out, "#   %-12s %s\n", c[0], c[1])
	}
	fmt.Fprintln(out, "#")
	fmt.Fprintln(out, "# Messages received (time, channel, destination, text); Ctrl-C to stop:")
}

// fakeWatcher prints what the fakes recorded since it last looked. The
// fakes keep every request in memory and offer no callback, so this reads
// their records from the last index printed on.
type fakeWatcher struct {
	f   *fakeVendors
	out io.Writer

	webhook, teams, slack, slackRejects, messages, calls, twilioRejects, smtp, gateway int
}

func (w *fakeWatcher) line(channel, dest, text string) {
	fmt.Fprintf(w.out, "%s  %-11s %s  %s\n", time.Now().Format("15:04:05.000"), channel, dest, text)
}

func (w *fakeWatcher) check() {
	f := w.f
	reqs := f.webhook.Requests()
	for _, r := range reqs[w.webhook:] {
		dest := "http://" + f.webhookAddr + r.Path
		if r.PayloadErr != nil {
			w.line("webhook", dest, "unreadable payload: "+r.PayloadErr.Error())
			continue
		}
		p := r.Payload
		sig := "signature ok"
		if r.SignatureErr != nil {
			sig = "BAD SIGNATURE: " + r.SignatureErr.Error()
		}
		what := p.Kind
		if p.IncidentID != 0 {
			what += fmt.Sprintf(" #%d", p.IncidentID)
		}
		w.line("webhook", dest, fmt.Sprintf("%s %s (%s)", what, strconv.Quote(p.Title), sig))
	}
	w.webhook = len(reqs)

	cards := f.teams.Requests()
	for _, r := range cards[w.teams:] {
		text := strconv.Quote(strings.Join(r.Texts(), " | "))
		if r.CardErr != nil {
			text += " (REFUSED: " + r.CardErr.Error() + ")"
		}
		w.line("teams", "workflow "+f.teamsAddr, text)
	}
	w.teams = len(cards)

	posts := f.slack.Posts()
	for _, p := range posts[w.slack:] {
		text := strconv.Quote(p.Text)
		if !p.Delivered {
			text += " (REFUSED)"
		}
		w.line("slack", p.Channel, text)
	}
	w.slack = len(posts)
	if n := f.slack.Rejected(); n > w.slackRejects {
		w.line("slack", "-", fmt.Sprintf("%d call(s) REFUSED: missing or wrong token", n-w.slackRejects))
		w.slackRejects = n
	}

	msgs := f.twilio.Messages()
	for _, m := range msgs[w.messages:] {
		text := strconv.Quote(m.Body)
		if !m.Accepted {
			text += " (REFUSED)"
		}
		w.line("sms", m.To, text)
	}
	w.messages = len(msgs)
	calls := f.twilio.Calls()
	for _, c := range calls[w.calls:] {
		text := "TwiML at " + c.URL
		if c.Twiml != "" {
			text = strconv.Quote(spoken(c.Twiml))
		}
		if !c.Accepted {
			text += " (REFUSED)"
		}
		w.line("voice", c.To, text)
	}
	w.calls = len(calls)
	if n := f.twilio.Rejected(); n > w.twilioRejects {
		w.line("twilio", "-", fmt.Sprintf("%d call(s) REFUSED: wrong account or credentials", n-w.twilioRejects))
		w.twilioRejects = n
	}

	mails := f.smtp.Messages()
	for _, m := range mails[w.smtp:] {
		w.line("email", strings.Join(m.To, ", "), strconv.Quote(m.Subject))
	}
	w.smtp = len(mails)

	sms := f.gateway.Requests()
	for _, r := range sms[w.gateway:] {
		to, text := r.Query.Get("to"), r.Query.Get("text")
		if to == "" && text == "" {
			to, text = r.Method+" "+r.Path, string(r.Body)
		}
		w.line("sms_gateway", to, strconv.Quote(text))
	}
	w.gateway = len(sms)
}

// spoken returns what a voice call's TwiML says.
func spoken(doc string) string {
	t, err := twiliotest.ParseTwiML(doc)
	if err != nil {
		return "malformed TwiML: " + err.Error()
	}
	says := t.Say
	if t.Gather != nil {
		says = append(says, t.Gather.Say...)
	}
	return strings.Join(says, " ")
}

// devTB lets the <vendor>test fakes run outside a test: their
// constructors take a testing.TB for Helper, Cleanup and Fatalf only.
// The embedded interface is nil, so any other method panics; a fake
// starting to use one shows up in dev_test.go.
type devTB struct {
	testing.TB

	mu       sync.Mutex
	cleanups []func()
}

// devFatal carries a Fatalf out of a constructor to devTB.run.
type devFatal struct{ err error }

func (*devTB) Helper()             {}
func (*devTB) Name() string        { return "vigil-dev-fake-vendors" }
func (*devTB) Failed() bool        { return false }
func (*devTB) Log(...any)          {}
func (*devTB) Logf(string, ...any) {}
func (*devTB) Fatalf(format string, args ...any) {
	panic(devFatal{fmt.Errorf(format, args...)})
}
func (*devTB) Fatal(args ...any) { panic(devFatal{errors.New(fmt.Sprint(args...))}) }
func (*devTB) Errorf(format string, args ...any) {
	panic(devFatal{fmt.Errorf(format, args...)})
}

func (t *devTB) Cleanup(f func()) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.cleanups = append(t.cleanups, f)
}

// cleanup runs the registered functions, last first.
func (t *devTB) cleanup() {
	t.mu.Lock()
	fs := t.cleanups
	t.cleanups = nil
	t.mu.Unlock()
	for i := len(fs) - 1; i >= 0; i-- {
		fs[i]()
	}
}

// run calls f, turning a Fatalf inside it into an error.
func (t *devTB) run(f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			df, ok := r.(devFatal)
			if !ok {
				panic(r)
			}
			err = df.err
		}
	}()
	f()
	return nil
}

// forwarder accepts connections on one address and pipes each to a
// backend: it puts a fake on the address the user asked for.
type forwarder struct {
	ln      net.Listener
	backend string

	mu     sync.Mutex
	closed bool
	conns  map[net.Conn]struct{}
	wg     sync.WaitGroup
}

func newForwarder(addr, backend string) (*forwarder, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	fw := &forwarder{ln: ln, backend: backend, conns: map[net.Conn]struct{}{}}
	fw.wg.Add(1)
	go fw.accept()
	return fw, nil
}

func (fw *forwarder) addr() string { return fw.ln.Addr().String() }

func (fw *forwarder) track(c net.Conn) bool {
	fw.mu.Lock()
	defer fw.mu.Unlock()
	if fw.closed {
		return false
	}
	fw.conns[c] = struct{}{}
	return true
}

func (fw *forwarder) untrack(c net.Conn) {
	fw.mu.Lock()
	delete(fw.conns, c)
	fw.mu.Unlock()
	_ = c.Close()
}

func (fw *forwarder) accept() {
	defer fw.wg.Done()
	for {
		in, err := fw.ln.Accept()
		if err != nil {
			return
		}
		if !fw.track(in) {
			_ = in.Close()
			return
		}
		fw.wg.Add(1)
		go func() {
			defer fw.wg.Done()
			defer fw.untrack(in)
			out, err := net.DialTimeout("tcp", fw.backend, 5*time.Second)
			if err != nil {
				return
			}
			if !fw.track(out) {
				_ = out.Close()
				return
			}
			defer fw.untrack(out)
			done := make(chan struct{}, 2)
			pipe := func(dst, src net.Conn) {
				_, _ = io.Copy(dst, src)
				// Pass the half-close on, so a client that shuts down
				// writing still gets its answer.
				if tc, ok := dst.(*net.TCPConn); ok {
					_ = tc.CloseWrite()
				}
				done <- struct{}{}
			}
			go pipe(out, in)
			go pipe(in, out)
			<-done
			<-done
		}()
	}
}

// close stops accepting, drops every connection and waits for them.
func (fw *forwarder) close() {
	_ = fw.ln.Close()
	fw.mu.Lock()
	fw.closed = true
	for c := range fw.conns {
		_ = c.Close()
	}
	fw.mu.Unlock()
	fw.wg.Wait()
}
