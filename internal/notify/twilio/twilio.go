// Package twilio sends Vigil pages as SMS and voice calls through Twilio's
// REST API, and reads the replies: SMS answers ("ack 42") and key presses
// during a call.
//
// The two REST calls (a form POST with basic auth to Messages.json and
// Calls.json) and the X-Twilio-Signature check are written here by hand
// rather than taken from github.com/twilio/twilio-go: its root package
// compiles every Twilio product into the binary, its generated clients turn
// the HTTP status and Retry-After header into their own error type, and the
// request validator in its client package is forty lines that are clearer
// to own (and to fuzz) than to import. The signature code is checked
// against the test vector of Twilio's own libraries. A local fake lives in
// twiliotest.
package twilio

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/vigil-oss/vigil/internal/notify"
)

// DefaultBaseURL is Twilio's REST API root.
const DefaultBaseURL = "https://api.twilio.com"

// Destination types this sender handles.
const (
	TypeSMS   = "sms"
	TypeVoice = "voice"
)

// Keys a callee presses during a call; ParseGather maps them back.
const (
	KeyAck     = "4"
	KeyResolve = "6"
)

// Twilio's limits: a message body of 1600 characters, an inline Twiml
// parameter of 4000. Vigil measures bytes, which is never less.
const (
	maxSMS      = 1600
	maxTwiML    = 4000
	maxResponse = 64 << 10
)

// Config configures a Sender.
type Config struct {
	// BaseURL is the REST API root; DefaultBaseURL when empty. Tests point
	// it at twiliotest.Server.URL.
	BaseURL    string
	AccountSID string
	AuthToken  string
	// From is the Twilio number messages and calls come from, in E.164
	// (+14155550100).
	From       string
	HTTPClient *http.Client // defaults to a client with a 30 second timeout
	// StatusCallbackURL, when set, is passed as StatusCallback so Twilio
	// reports delivery (queued, sent, delivered, failed...) there.
	StatusCallbackURL string
	// GatherURL returns the public URL Twilio posts the key pressed during
	// a voice call about m to (the action of <Gather>), including whatever
	// identifies m, e.g. "https://vigil.example/twilio/gather?incident=42".
	// The endpoint verifies the request with VerifySignature and reads the
	// key with ParseGather. When nil, calls read the message and offer no
	// keys.
	GatherURL func(m notify.Message) string
}

// Sender sends SMS and voice calls. It implements notify.Sender.
type Sender struct {
	base   string
	sid    string
	token  string
	from   string
	status string
	gather func(notify.Message) string
	client *http.Client
}

var _ notify.Sender = (*Sender)(nil)

// New checks cfg and returns a Sender.
func New(cfg Config) (*Sender, error) {
	switch {
	case cfg.AccountSID == "":
		return nil, errors.New("twilio: an account SID is required")
	case strings.ContainsAny(cfg.AccountSID, "/?#% "):
		return nil, fmt.Errorf("twilio: account SID %q is malformed", cfg.AccountSID)
	case cfg.AuthToken == "":
		return nil, errors.New("twilio: an auth token is required")
	case !isE164(cfg.From):
		return nil, fmt.Errorf("twilio: from number %q is not in E.164 form (+14155550100)", cfg.From)
	}
	base := cfg.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("twilio: base URL %q is not an http(s) URL", base)
	}
	client := cfg.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	return &Sender{
		base:   strings.TrimRight(base, "/"),
		sid:    cfg.AccountSID,
		token:  cfg.AuthToken,
		from:   cfg.From,
		status: cfg.StatusCallbackURL,
		gather: cfg.GatherURL,
		client: client,
	}, nil
}

// Send texts or calls to.Address (E.164) depending on to.Type ("sms" or
// "voice"). The receipt holds the message or call SID.
func (s *Sender) Send(ctx context.Context, to notify.Destination, m notify.Message) (notify.Receipt, error) {
	number := strings.TrimSpace(to.Address)
	if !isE164(number) {
		return notify.Receipt{}, notify.Permanent(fmt.Errorf("twilio: %q is not a phone number in E.164 form", to.Address))
	}
	form := url.Values{"To": {number}, "From": {s.from}}
	if s.status != "" {
		form.Set("StatusCallback", s.status)
	}
	var resource string
	switch to.Type {
	case TypeSMS:
		resource = "Messages.json"
		form.Set("Body", smsBody(m))
	case TypeVoice:
		resource = "Calls.json"
		gather := ""
		if s.gather != nil {
			gather = s.gather(m)
		}
		twiml, err := voiceTwiML(m, gather)
		if err != nil {
			return notify.Receipt{}, notify.Permanent(err)
		}
		form.Set("Twiml", twiml)
	default:
		return notify.Receipt{}, notify.Permanent(fmt.Errorf("twilio: cannot send to %q contact methods", to.Type))
	}
	return s.post(ctx, resource, form)
}

func (s *Sender) post(ctx context.Context, resource string, form url.Values) (notify.Receipt, error) {
	endpoint := s.base + "/2010-04-01/Accounts/" + url.PathEscape(s.sid) + "/" + resource
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return notify.Receipt{}, notify.Permanent(fmt.Errorf("twilio: %w", err))
	}
	// Basic auth travels in a header, never in the URL that errors print.
	req.SetBasicAuth(s.sid, s.token)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")

	resp, err := s.client.Do(req)
	if err != nil {
		return notify.Receipt{}, fmt.Errorf("twilio: %s: %w", resource, err)
	}
	defer resp.Body.Close()
	raw, readErr := io.ReadAll(io.LimitReader(resp.Body, maxResponse))

	var answer struct {
		SID     string `json:"sid"`
		Code    int    `json:"code"`
		Message string `json:"message"`
	}
	decodeErr := json.Unmarshal(raw, &answer)

	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		var detail string
		switch {
		case decodeErr == nil && answer.Code != 0:
			detail = fmt.Sprintf("Twilio error %d: %s", answer.Code, notify.Truncate(answer.Message, 300))
		case decodeErr == nil && answer.Message != "":
			detail = notify.Truncate(answer.Message, 300)
		default:
			detail = excerpt(raw)
		}
		return notify.Receipt{}, fmt.Errorf("twilio: %s: %w", resource, notify.CheckResponse(resp, s.redact(detail)))
	}
	if readErr != nil || decodeErr != nil {
		// Twilio accepted the request; a garbled answer must not cause a
		// second SMS or call, so this is a success without a SID.
		return notify.Receipt{}, nil
	}
	return notify.Receipt{ProviderID: answer.SID}, nil
}

// redact removes the auth token from text that came from the other side.
func (s *Sender) redact(text string) string {
	return strings.ReplaceAll(text, s.token, "[redacted]")
}

func excerpt(raw []byte) string {
	return notify.Truncate(strings.TrimSpace(strings.ToValidUTF8(string(raw), "\uFFFD")), 200)
}

// isE164 reports whether s looks like +<country code><number>.
func isE164(s string) bool {
	if len(s) < 8 || len(s) > 16 || s[0] != '+' || s[1] == '0' {
		return false
	}
	for _, c := range s[1:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// replyHint tells the reader how to act on m by SMS, or "".
func replyHint(m notify.Message) string {
	if m.IncidentID <= 0 {
		return ""
	}
	switch m.Kind {
	case notify.KindPage, notify.KindManual, notify.KindBundle:
		return fmt.Sprintf("Reply 'ack %d' or 'resolve %d'.", m.IncidentID, m.IncidentID)
	case notify.KindAck:
		return fmt.Sprintf("Reply 'resolve %d'.", m.IncidentID)
	}
	return ""
}

// smsBody is the text of an SMS about m: the subject, the late note, the
// link, and how to reply. Only the subject is cut when it is too long, so
// the reply instructions always arrive.
func smsBody(m notify.Message) string {
	var tail []string
	if note := notify.LateNote(m); note != "" {
		tail = append(tail, note)
	}
	if m.URL != "" && len(m.URL) < 500 {
		tail = append(tail, m.URL)
	}
	if hint := replyHint(m); hint != "" {
		tail = append(tail, hint)
	}
	rest := ""
	if len(tail) > 0 {
		rest = "\n" + strings.Join(tail, "\n")
	}
	subject := strings.Join(strings.Fields(strings.ToValidUTF8(notify.Subject(m), "\uFFFD")), " ")
	return notify.Truncate(subject, maxSMS-len(rest)) + rest
}

// spoken is what a call says about m, before the key instructions.
func spoken(m notify.Message, titleLimit int) string {
	var b strings.Builder
	b.WriteString("This is Vigil. ")
	title := notify.Truncate(strings.Join(strings.Fields(m.Title), " "), titleLimit)
	id := ""
	if m.IncidentID > 0 {
		id = fmt.Sprintf("Incident %d", m.IncidentID)
	}
	switch m.Kind {
	case notify.KindAck:
		fmt.Fprintf(&b, "%s was acknowledged: %s.", or(id, "An incident"), title)
	case notify.KindResolve:
		fmt.Fprintf(&b, "%s was resolved: %s.", or(id, "An incident"), title)
	case notify.KindTest:
		fmt.Fprintf(&b, "This is a test call: %s.", title)
	default:
		if id != "" {
			b.WriteString(id)
			if m.Severity != "" {
				fmt.Fprintf(&b, ", severity %s", notify.Truncate(m.Severity, min(titleLimit, 100)))
			}
			b.WriteString(": ")
		}
		b.WriteString(title)
		b.WriteString(".")
		if m.Service != "" {
			fmt.Fprintf(&b, " Service %s.", notify.Truncate(m.Service, min(titleLimit, 200)))
		}
		if m.Bundled > 0 {
			fmt.Fprintf(&b, " And %d more incidents.", m.Bundled)
		}
	}
	if note := notify.LateNote(m); note != "" {
		b.WriteString(" ")
		b.WriteString(note)
	}
	return b.String()
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// keyHint is the spoken key instruction for m, or "" when there is
// nothing to press.
func keyHint(m notify.Message) string {
	if m.IncidentID <= 0 {
		return ""
	}
	switch m.Kind {
	case notify.KindPage, notify.KindManual, notify.KindBundle:
		return "Press " + KeyAck + " to acknowledge, or " + KeyResolve + " to resolve."
	case notify.KindAck:
		return "Press " + KeyResolve + " to resolve."
	}
	return ""
}

// voiceTwiML is the inline TwiML of a call about m. With a gatherURL and a
// message one can act on, the text is read inside <Gather numDigits="1">
// whose action is gatherURL; otherwise it is only read. The result fits
// Twilio's 4000 character limit on the Twiml parameter.
func voiceTwiML(m notify.Message, gatherURL string) (string, error) {
	hint := keyHint(m)
	if gatherURL != "" {
		u, err := url.Parse(gatherURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return "", fmt.Errorf("twilio: gather URL %q is not an http(s) URL", gatherURL)
		}
	}
	for limit := 1000; ; limit /= 2 {
		text := spoken(m, limit)
		var b strings.Builder
		b.WriteString("<Response>")
		if gatherURL != "" && hint != "" {
			b.WriteString(`<Gather numDigits="1" timeout="10" method="POST" action="`)
			b.WriteString(escape(gatherURL))
			b.WriteString(`"><Say>`)
			b.WriteString(escape(text + " " + hint))
			b.WriteString("</Say></Gather>")
			b.WriteString("<Say>No key was pressed. Goodbye.</Say>")
		} else {
			b.WriteString("<Say>")
			b.WriteString(escape(text))
			b.WriteString("</Say>")
		}
		b.WriteString("</Response>")
		if b.Len() <= maxTwiML {
			return b.String(), nil
		}
		if limit == 0 {
			return "", fmt.Errorf("twilio: the call's TwiML is over %d characters even without a title", maxTwiML)
		}
	}
}

// escape makes s safe as XML character data or an attribute value.
func escape(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s)) // writes to a strings.Builder cannot fail
	return b.String()
}

// MessageTwiML is the reply to an inbound SMS webhook that texts text back.
func MessageTwiML(text string) string {
	return xml.Header + "<Response><Message>" + escape(notify.Truncate(text, maxSMS)) + "</Message></Response>"
}

// SayTwiML is the reply to a voice webhook (a gather) that says text and
// hangs up.
func SayTwiML(text string) string {
	return xml.Header + "<Response><Say>" + escape(text) + "</Say><Hangup/></Response>"
}

// EmptyTwiML is the reply to a webhook that needs no answer.
const EmptyTwiML = xml.Header + "<Response></Response>"
