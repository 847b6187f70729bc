// Package email sends messages over SMTP (with github.com/wneessen/go-mail)
// as multipart/alternative mail: a plain-text part and an HTML part built
// with html/template, so every text from users is escaped.
//
// Each Send opens its own connection. Paging mail is rare and must not
// queue behind a stuck connection, and a fresh dial per message keeps the
// error of one message from bleeding into the next.
package email

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/textproto"
	"strconv"
	"strings"
	"sync"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/vigil-oss/vigil/internal/notify"
)

// TLSPolicy says how the connection is protected.
type TLSPolicy string

// TLS policies. Mandatory is the default: an SMTP password and incident
// details should not cross a network in clear text unless someone chose
// that on purpose.
const (
	// TLSMandatory requires STARTTLS; a server without it is an error.
	TLSMandatory TLSPolicy = "mandatory"
	// TLSOpportunistic uses STARTTLS when the server offers it.
	TLSOpportunistic TLSPolicy = "opportunistic"
	// TLSNone never uses TLS (a relay on localhost, tests).
	TLSNone TLSPolicy = "none"
)

// DefaultPort is the mail submission port (RFC 6409).
const DefaultPort = 587

// Config configures a Sender.
type Config struct {
	// Host and Port of the SMTP server; Port 0 means DefaultPort.
	Host string
	Port int
	// Username and Password for SMTP AUTH; empty Username means no AUTH.
	// Credentials are only sent over TLS or to localhost (go-mail's PLAIN
	// and LOGIN refuse otherwise), whatever the TLS policy.
	Username string
	Password string
	// From is the sender, e.g. "Vigil <vigil@example.com>". Required.
	From string
	// TLS is the TLS policy; empty means TLSMandatory.
	TLS TLSPolicy
	// TLSConfig overrides the TLS settings (a private CA); nil means
	// system roots and Host as the server name.
	TLSConfig *tls.Config
	// HELO is the name sent in EHLO; empty means this machine's hostname.
	HELO string
	// DialContext opens the TCP connection; nil means net.Dialer.
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
	// Now stamps the Date header; nil means time.Now.
	Now func() time.Time
}

// Sender sends messages by e-mail. It is safe for concurrent use.
type Sender struct {
	cfg    Config
	from   *mail.Address
	domain string // of From, for Message-IDs
}

var _ notify.Sender = (*Sender)(nil)

// New checks cfg and returns a Sender.
func New(cfg Config) (*Sender, error) {
	if cfg.Host == "" {
		return nil, errors.New("email: Host is required")
	}
	if cfg.Port == 0 {
		cfg.Port = DefaultPort
	}
	if cfg.Port < 0 || cfg.Port > 65535 {
		return nil, fmt.Errorf("email: Port %d is out of range", cfg.Port)
	}
	switch cfg.TLS {
	case "":
		cfg.TLS = TLSMandatory
	case TLSMandatory, TLSOpportunistic, TLSNone:
	default:
		return nil, fmt.Errorf("email: TLS policy %q is not none, opportunistic or mandatory", cfg.TLS)
	}
	from, err := mail.ParseAddress(cfg.From)
	if err != nil {
		return nil, fmt.Errorf("email: From %q is not an address: %v", cfg.From, err)
	}
	if cfg.DialContext == nil {
		cfg.DialContext = (&net.Dialer{}).DialContext
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	_, domain, _ := strings.Cut(from.Address, "@")
	return &Sender{cfg: cfg, from: from, domain: domain}, nil
}

// Send mails m to to.Address. The receipt's ProviderID is the
// Message-ID, which is derived from m.ID and so the same on every retry:
// mail clients fold the duplicates an at-least-once retry can cause.
func (s *Sender) Send(ctx context.Context, to notify.Destination, m notify.Message) (notify.Receipt, error) {
	rcpt, err := mail.ParseAddress(to.Address)
	if err != nil {
		return notify.Receipt{}, notify.Permanent(fmt.Errorf("email: %q is not an e-mail address", to.Address))
	}
	msg, msgID, err := s.compose(rcpt, m)
	if err != nil {
		return notify.Receipt{}, notify.Permanent(fmt.Errorf("email: composing message: %w", err))
	}
	if err := s.deliver(ctx, msg); err != nil {
		return notify.Receipt{}, err
	}
	return notify.Receipt{ProviderID: msgID}, nil
}

func (s *Sender) compose(to *mail.Address, m notify.Message) (*gomail.Msg, string, error) {
	c, err := Render(m)
	if err != nil {
		return nil, "", err
	}
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	msg.FromMailAddress(s.from)
	msg.ToMailAddress(to)
	msg.Subject(c.Subject)
	msgID := messageID(m.ID, s.domain)
	if msgID == "" {
		msg.SetMessageID()
		msgID = strings.Trim(msg.GetMessageID(), "<>")
	} else {
		msg.SetMessageIDWithValue(msgID)
	}
	msg.SetDateWithValue(s.cfg.Now())
	msg.SetGenHeader(gomail.HeaderXMailer, "Vigil")
	// Keep vacation responders and ticket systems from answering a page
	// (RFC 3834; the second header is Exchange's spelling).
	msg.SetGenHeader(gomail.Header("Auto-Submitted"), "auto-generated")
	msg.SetGenHeader(gomail.HeaderXAutoResponseSuppress, "All")
	if m.ID != "" {
		msg.SetGenHeader(gomail.Header("Vigil-Message-Id"), headerSafe(m.ID))
	}
	msg.SetBodyString(gomail.TypeTextPlain, c.Text)
	msg.AddAlternativeString(gomail.TypeTextHTML, c.HTML)
	return msg, msgID, nil
}

// messageID builds "<id>@<domain>" from the message ID, keeping only
// characters that are safe in a Message-ID; "" when nothing is left.
func messageID(id, domain string) string {
	id = strings.Map(func(r rune) rune {
		if r < 0x80 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(".-_+=", r)) {
			return r
		}
		return '_'
	}, id)
	if strings.Trim(id, "_") == "" {
		return ""
	}
	if domain == "" || strings.ContainsAny(domain, "<>\"\\ \r\n[]") {
		domain = "vigil.invalid"
	}
	return "vigil." + strings.Trim(id, ".") + "@" + domain
}

// deliver runs one SMTP session under ctx. go-mail bounds each step with
// its own timeout but only uses the context to dial, so the connection is
// also closed when ctx ends: a server that stops answering mid-session
// cannot hold the sender past the caller's deadline.
func (s *Sender) deliver(ctx context.Context, msg *gomail.Msg) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("email: sending via %s: %w", s.addr(), err)
	}
	// go-mail's own per-step timeout is a backstop for a caller without a
	// deadline; with one, it is set a little past it so the context ends
	// first and the error says so.
	timeout := 30 * time.Second
	if dl, ok := ctx.Deadline(); ok {
		timeout = time.Until(dl) + time.Second
	}

	var mu sync.Mutex
	var conns []net.Conn
	closeAll := func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	}
	dial := func(dctx context.Context, network, addr string) (net.Conn, error) {
		c, err := s.cfg.DialContext(dctx, network, addr)
		if err != nil {
			return nil, err
		}
		mu.Lock()
		conns = append(conns, c)
		mu.Unlock()
		return c, nil
	}
	stop := context.AfterFunc(ctx, closeAll)
	defer stop()
	defer closeAll() // go-mail leaves the connection open when EHLO, STARTTLS or AUTH fail

	opts := []gomail.Option{
		gomail.WithPort(s.cfg.Port),
		gomail.WithTimeout(timeout),
		gomail.WithDialContextFunc(dial),
		gomail.WithTLSPolicy(map[TLSPolicy]gomail.TLSPolicy{
			TLSMandatory: gomail.TLSMandatory, TLSOpportunistic: gomail.TLSOpportunistic, TLSNone: gomail.NoTLS,
		}[s.cfg.TLS]),
		// A fresh connection needs no NOOP probe, and RSET after a sent
		// message could only turn a delivered message into an error.
		gomail.WithoutNoop(),
		gomail.WithoutRset(),
	}
	if s.cfg.TLSConfig != nil {
		opts = append(opts, gomail.WithTLSConfig(s.cfg.TLSConfig))
	}
	if s.cfg.HELO != "" {
		opts = append(opts, gomail.WithHELO(s.cfg.HELO))
	}
	if s.cfg.Username != "" {
		opts = append(opts,
			gomail.WithOpportunisticSMTPAuth(gomail.SMTPAuthSCRAMSHA256, gomail.SMTPAuthSCRAMSHA1, gomail.SMTPAuthPlain, gomail.SMTPAuthLogin),
			gomail.WithUsername(s.cfg.Username),
			gomail.WithPassword(s.cfg.Password))
	}
	client, err := gomail.NewClient(s.cfg.Host, opts...)
	if err != nil {
		return notify.Permanent(fmt.Errorf("email: %s", s.redact(err.Error())))
	}
	sc, err := client.DialToSMTPClientWithContext(ctx)
	if err == nil {
		err = client.SendWithSMTPClient(sc, msg)
		// The message counts once the server accepted the data; a failed
		// QUIT must not turn it into a retry and a duplicate page.
		_ = client.CloseWithSMTPClient(sc)
	}
	if err != nil && !msg.IsDelivered() {
		return s.classify(ctx, err)
	}
	return nil
}

func (s *Sender) addr() string { return net.JoinHostPort(s.cfg.Host, strconv.Itoa(s.cfg.Port)) }

// classify turns an SMTP failure into the retry decision: a 5xx reply or
// an address the message cannot carry is permanent; 4xx replies, network
// and TLS failures are temporary; the caller's deadline shows as such.
func (s *Sender) classify(ctx context.Context, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("email: sending via %s: %w", s.addr(), ctxErr)
	}
	out := fmt.Errorf("email: sending via %s: %s", s.addr(), s.redact(err.Error()))
	var se *gomail.SendError
	if errors.As(err, &se) {
		if se.ErrorCode() >= 500 || se.Reason == gomail.ErrGetSender || se.Reason == gomail.ErrGetRcpts {
			return notify.Permanent(out)
		}
		return out
	}
	var te *textproto.Error // a refused EHLO or AUTH
	if errors.As(err, &te) && te.Code >= 500 {
		return notify.Permanent(out)
	}
	return out
}

// redact removes the password from error text. go-mail does not put it
// there, but a server echoing a command could, and the error is stored.
func (s *Sender) redact(text string) string {
	if len(s.cfg.Password) < 4 { // shorter would blank out ordinary words
		return text
	}
	return strings.ReplaceAll(text, s.cfg.Password, "[redacted]")
}

// headerSafe flattens text for a header: no line breaks or control
// characters, which would end the header and start another.
func headerSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}
