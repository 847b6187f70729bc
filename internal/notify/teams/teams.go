// Package teams posts messages to a Microsoft Teams channel or chat through
// a Workflows webhook ("When a Teams webhook request is received"). The
// Office 365 connector webhooks and their MessageCard format are retired;
// Workflows accepts only Adaptive Cards, wrapped in a message with one
// attachment, and answers 202 Accepted.
//
// The webhook URL is a credential (its sig query parameter authorises
// posting), so it never appears in errors: they name the host only.
package teams

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/vigil-oss/vigil/internal/notify"
)

// Wire constants of the Workflows webhook body.
const (
	ContentTypeAdaptiveCard = "application/vnd.microsoft.card.adaptive"
	CardSchema              = "http://adaptivecards.io/schemas/adaptive-card.json"
	// CardVersion 1.4 is what Teams renders on every client today.
	CardVersion = "1.4"
)

// Limits keep a card well under Teams' ~28 KB message size, where it
// would be refused outright (E11: cut and say so instead).
const (
	maxTitle = 400
	maxField = 200
	maxBody  = 3000
)

// Payload is the request body: {"type":"message","attachments":[...]}.
type Payload struct {
	Type        string       `json:"type"`
	Attachments []Attachment `json:"attachments"`
}

// Attachment carries one card. ContentURL is always null: Workflows wants
// the field present.
type Attachment struct {
	ContentType string  `json:"contentType"`
	ContentURL  *string `json:"contentUrl"`
	Content     Card    `json:"content"`
}

// Card is the subset of an Adaptive Card that Vigil uses.
type Card struct {
	Schema  string    `json:"$schema"`
	Type    string    `json:"type"`
	Version string    `json:"version"`
	Body    []Element `json:"body"`
	Actions []Action  `json:"actions,omitempty"`
	MSTeams *MSTeams  `json:"msteams,omitempty"`
}

// Element is a TextBlock (Text) or a RichTextBlock (Inlines).
type Element struct {
	Type     string    `json:"type"`
	Text     string    `json:"text,omitempty"`
	Inlines  []TextRun `json:"inlines,omitempty"`
	Wrap     bool      `json:"wrap,omitempty"`
	IsSubtle bool      `json:"isSubtle,omitempty"`
}

// TextRun is a span of a RichTextBlock. Unlike a TextBlock's text, a
// TextRun is never read as Markdown, which is why every text that comes
// from users goes in one: a title like "[click](https://evil)" or "**x**"
// shows as typed instead of becoming a link or bold text.
type TextRun struct {
	Type   string `json:"type"`
	Text   string `json:"text"`
	Weight string `json:"weight,omitempty"`
	Size   string `json:"size,omitempty"`
	Color  string `json:"color,omitempty"`
}

// Action is an Action.OpenUrl button.
type Action struct {
	Type  string `json:"type"`
	Title string `json:"title"`
	URL   string `json:"url"`
	Style string `json:"style,omitempty"`
}

// MSTeams holds Teams-only card options.
type MSTeams struct {
	Width string `json:"width,omitempty"`
}

// Config configures a Sender.
type Config struct {
	// HTTPClient sends the requests. Nil means a client that does not
	// follow redirects: a redirected POST would arrive as a GET without
	// its card, and a 3xx from Workflows means the URL is wrong.
	HTTPClient *http.Client
}

// Sender posts cards to Workflows webhook URLs. It is safe for concurrent
// use.
type Sender struct {
	client *http.Client
}

var _ notify.Sender = (*Sender)(nil)

// New returns a Sender for cfg.
func New(cfg Config) *Sender {
	c := cfg.HTTPClient
	if c == nil {
		c = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}}
	}
	return &Sender{client: c}
}

// Send posts m as an Adaptive Card to the Workflows URL in to.Address. The
// receipt's ProviderID is the workflow run id when Workflows sends one.
func (s *Sender) Send(ctx context.Context, to notify.Destination, m notify.Message) (notify.Receipt, error) {
	u, err := url.Parse(to.Address)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return notify.Receipt{}, notify.Permanent(errors.New("teams: the address is not an http or https URL"))
	}
	body, err := json.Marshal(NewPayload(m))
	if err != nil {
		return notify.Receipt{}, notify.Permanent(fmt.Errorf("teams: encoding card: %w", err))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return notify.Receipt{}, notify.Permanent(fmt.Errorf("teams: building request to %s failed", u.Host))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Vigil")

	resp, err := s.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // drop the URL and its sig
		}
		return notify.Receipt{}, fmt.Errorf("teams: POST to %s: %w", u.Host, err)
	}
	defer resp.Body.Close()
	detail := excerpt(resp.Body)
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if err := notify.CheckResponse(resp, detail); err != nil {
		return notify.Receipt{}, fmt.Errorf("teams: %w", err)
	}
	return notify.Receipt{ProviderID: resp.Header.Get("x-ms-workflow-run-id")}, nil
}

// NewPayload renders m as a Workflows webhook body with one Adaptive Card:
// a heading, severity/status/service lines, the body, a lateness note and
// buttons to acknowledge, resolve and open the incident.
func NewPayload(m notify.Message) Payload {
	card := Card{
		Schema:  CardSchema,
		Type:    "AdaptiveCard",
		Version: CardVersion,
		MSTeams: &MSTeams{Width: "Full"},
	}
	card.Body = append(card.Body, rich(TextRun{
		Type: "TextRun", Text: userText(heading(m), maxTitle),
		Weight: "Bolder", Size: "Medium", Color: color(m.Kind),
	}))
	for _, f := range []struct{ label, value string }{
		{"Severity", m.Severity}, {"Status", m.Status}, {"Service", m.Service},
	} {
		if f.value == "" {
			continue
		}
		card.Body = append(card.Body, rich(
			TextRun{Type: "TextRun", Text: f.label + ": ", Weight: "Bolder"},
			TextRun{Type: "TextRun", Text: userText(f.value, maxField)},
		))
	}
	if m.Body != "" {
		card.Body = append(card.Body, rich(TextRun{Type: "TextRun", Text: userText(m.Body, maxBody)}))
	}
	if note := notify.LateNote(m); note != "" {
		card.Body = append(card.Body, Element{Type: "TextBlock", Text: note, Wrap: true, IsSubtle: true})
	}

	// Buttons that would act on a state already reached are left out, and
	// a status update goes to stakeholders, who do not respond.
	if m.Kind != notify.KindAck && m.Kind != notify.KindResolve && m.Kind != notify.KindStatus {
		card.Actions = appendAction(card.Actions, "Acknowledge", m.AckURL, "positive")
	}
	if m.Kind != notify.KindResolve && m.Kind != notify.KindStatus {
		card.Actions = appendAction(card.Actions, "Resolve", m.ResolveURL, "")
	}
	card.Actions = appendAction(card.Actions, "Open incident", m.URL, "")

	return Payload{
		Type:        "message",
		Attachments: []Attachment{{ContentType: ContentTypeAdaptiveCard, Content: card}},
	}
}

func heading(m notify.Message) string {
	var b strings.Builder
	switch m.Kind {
	case notify.KindAck:
		b.WriteString("Acknowledged: ")
	case notify.KindResolve:
		b.WriteString("Resolved: ")
	case notify.KindTest:
		b.WriteString("Test: ")
	case notify.KindStatus:
		b.WriteString("Status update: ")
	}
	if m.IncidentID != 0 {
		fmt.Fprintf(&b, "#%d ", m.IncidentID)
	}
	b.WriteString(m.Title)
	if m.Bundled > 0 {
		fmt.Fprintf(&b, " (and %d more)", m.Bundled)
	}
	return b.String()
}

func color(kind string) string {
	switch kind {
	case notify.KindPage, notify.KindManual, notify.KindBundle:
		return "Attention"
	case notify.KindAck:
		return "Warning"
	case notify.KindResolve:
		return "Good"
	}
	return ""
}

func rich(runs ...TextRun) Element { return Element{Type: "RichTextBlock", Inlines: runs} }

// userText prepares text from users for a TextRun: cut to n bytes with a
// marker, and every "{{" broken with a zero-width space because Adaptive
// Cards replace {{DATE(...)}} and {{TIME(...)}} even in TextRuns.
func userText(s string, n int) string {
	return breakBraces(notify.Truncate(s, n))
}

// breakBraces puts a zero-width space between every two consecutive "{".
// strings.ReplaceAll(s, "{{", …) is not enough: its matches do not
// overlap, so "{{{DATE(…)}}}" would keep a "{{" after the first brace.
func breakBraces(s string) string {
	if !strings.Contains(s, "{{") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 3*strings.Count(s, "{"))
	for i := 0; i < len(s); i++ {
		b.WriteByte(s[i])
		if s[i] == '{' && i+1 < len(s) && s[i+1] == '{' {
			b.WriteString("\u200b") // '{' is ASCII: never inside a multi-byte rune
		}
	}
	return b.String()
}

// appendAction adds a button for an http(s) link; anything else (empty,
// javascript:, relative) is dropped rather than offered to a click.
func appendAction(as []Action, title, link, style string) []Action {
	u, err := url.Parse(link)
	if link == "" || err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return as
	}
	return append(as, Action{Type: "Action.OpenUrl", Title: title, URL: link, Style: style})
}

// excerpt reads the start of a response body as one printable line of at
// most 200 bytes, for the delivery record.
func excerpt(r io.Reader) string {
	b, _ := io.ReadAll(io.LimitReader(r, 512))
	s := strings.ToValidUTF8(string(b), "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	return notify.Truncate(strings.Join(strings.Fields(s), " "), 200)
}
