package app

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-oss/vigil/internal/api"
	"github.com/vigil-oss/vigil/internal/netguard"
	"github.com/vigil-oss/vigil/internal/notify"
	"github.com/vigil-oss/vigil/internal/notify/email"
	"github.com/vigil-oss/vigil/internal/notify/slack"
	"github.com/vigil-oss/vigil/internal/notify/smsgateway"
	"github.com/vigil-oss/vigil/internal/notify/teams"
	"github.com/vigil-oss/vigil/internal/notify/twilio"
	"github.com/vigil-oss/vigil/internal/notify/webhook"
	"github.com/vigil-oss/vigil/internal/signed"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// Channels configures the notification channels. Webhooks and Microsoft
// Teams need nothing (the contact method holds the URL); the others are
// enabled by their credentials. Every vendor takes a base URL so it can be
// pointed at a local fake (`vigil dev fake-vendors`, tests).
type Channels struct {
	// WebhookSecret signs outgoing webhooks (Vigil-Signature); empty
	// sends them unsigned.
	WebhookSecret string

	SlackToken   string
	SlackBaseURL string // default https://slack.com/api/
	// SlackSigningSecret verifies the Acknowledge/Resolve button clicks
	// Slack posts to /api/v1/inbound/slack/actions; empty refuses them.
	SlackSigningSecret string

	TwilioAccountSID string
	TwilioAuthToken  string
	TwilioFrom       string // the E.164 number messages come from
	TwilioBaseURL    string // default https://api.twilio.com

	SMTPHost     string
	SMTPPort     int // default 587
	SMTPUsername string
	SMTPPassword string
	SMTPFrom     string
	SMTPTLS      string // mandatory (default), opportunistic or none

	// SMSGatewayURL is a URL template ({{.To}}, {{.Text}}) of a generic
	// HTTP SMS gateway; SMSGatewayBody an optional body template.
	SMSGatewayURL  string
	SMSGatewayBody string

	// OutboundAllow lists the private, loopback or link-local ranges that
	// outbound HTTP may reach. Every HTTP sender (webhook, Teams, Slack,
	// Twilio, the SMS gateway; so pages, test notifications and status
	// updates alike) connects through internal/netguard, which refuses
	// those ranges when the connection is made: a contact method cannot
	// reach cloud metadata or an internal admin port. Webhook and Teams
	// URLs come from users; the vendor endpoints above are the
	// administrator's, but an SMS gateway URL carries the user's number,
	// and one rule for all is easier to trust. An internal SMS gateway or
	// a local vendor fake needs its range here. SMTP is not HTTP and goes
	// to the administrator's relay unchecked.
	OutboundAllow []netip.Prefix
}

// senders builds the registry of the configured channels. A contact type
// without a configured channel still has an entry that fails visibly.
// publicURL is where vendors call back (Twilio's key presses).
func (c Channels) senders(publicURL string) (notify.Registry, error) {
	guard := netguard.Guard{Allow: c.OutboundAllow}
	reg := notify.Registry{
		vigil.ContactWebhook: refusedIsPermanent(webhook.New(webhook.Config{Secret: c.WebhookSecret, HTTPClient: noRedirects(guard)})),
		vigil.ContactTeams:   refusedIsPermanent(teams.New(teams.Config{HTTPClient: noRedirects(guard)})),
	}
	notConfigured := func(what, how string) notify.Sender {
		return notify.SenderFunc(func(_ context.Context, _ notify.Destination, _ notify.Message) (notify.Receipt, error) {
			return notify.Receipt{}, notify.Permanent(fmt.Errorf("%s is not configured on this server (%s)", what, how))
		})
	}
	if c.SlackToken != "" {
		s, err := slack.New(slack.Config{Token: c.SlackToken, BaseURL: c.SlackBaseURL, HTTPClient: guard.Client(30 * time.Second)})
		if err != nil {
			return nil, fmt.Errorf("slack: %w", err)
		}
		reg[vigil.ContactSlack] = refusedIsPermanent(s)
	} else {
		reg[vigil.ContactSlack] = notConfigured("Slack", "set VIGIL_SLACK_TOKEN")
	}
	if c.TwilioAccountSID != "" {
		gather := strings.TrimRight(publicURL, "/") + api.TwilioVoicePath + "?message="
		t, err := twilio.New(twilio.Config{AccountSID: c.TwilioAccountSID, AuthToken: c.TwilioAuthToken, From: c.TwilioFrom,
			BaseURL: c.TwilioBaseURL, HTTPClient: guard.Client(30 * time.Second), GatherURL: func(m notify.Message) string { return gather + url.QueryEscape(m.ID) }})
		if err != nil {
			return nil, fmt.Errorf("twilio: %w", err)
		}
		reg[vigil.ContactSMS], reg[vigil.ContactVoice] = refusedIsPermanent(t), refusedIsPermanent(t)
	} else {
		reg[vigil.ContactSMS] = notConfigured("Twilio SMS", "set VIGIL_TWILIO_ACCOUNT_SID, _AUTH_TOKEN and _FROM")
		reg[vigil.ContactVoice] = notConfigured("Twilio voice", "set VIGIL_TWILIO_ACCOUNT_SID, _AUTH_TOKEN and _FROM")
	}
	if c.SMTPHost != "" {
		port := c.SMTPPort
		if port == 0 {
			port = 587
		}
		e, err := email.New(email.Config{Host: c.SMTPHost, Port: port, Username: c.SMTPUsername, Password: c.SMTPPassword,
			From: c.SMTPFrom, TLS: email.TLSPolicy(strings.ToLower(c.SMTPTLS))})
		if err != nil {
			return nil, fmt.Errorf("smtp: %w", err)
		}
		reg[vigil.ContactEmail] = e
	} else {
		reg[vigil.ContactEmail] = notConfigured("E-mail", "set VIGIL_SMTP_HOST and VIGIL_SMTP_FROM")
	}
	if c.SMSGatewayURL != "" {
		g, err := smsgateway.New(smsgateway.Config{URLTemplate: c.SMSGatewayURL, BodyTemplate: c.SMSGatewayBody, HTTPClient: noRedirects(guard)})
		if err != nil {
			return nil, fmt.Errorf("sms gateway: %w", err)
		}
		reg[vigil.ContactSMSGateway] = refusedIsPermanent(g)
	} else {
		reg[vigil.ContactSMSGateway] = notConfigured("The SMS gateway", "set VIGIL_SMS_GATEWAY_URL")
	}
	return reg, nil
}

// noRedirects is an HTTP client through the guard that reports a 3xx
// instead of following it, as the webhook and Teams senders want.
func noRedirects(g netguard.Guard) *http.Client {
	return &http.Client{Transport: g.Transport(), CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
}

// refusedIsPermanent makes a destination the guard refused a permanent
// failure: retrying cannot help, and the timeline should say so at once.
func refusedIsPermanent(s notify.Sender) notify.Sender {
	return notify.SenderFunc(func(ctx context.Context, to notify.Destination, m notify.Message) (notify.Receipt, error) {
		r, err := s.Send(ctx, to, m)
		if err != nil && errors.Is(err, netguard.ErrBlocked) && !notify.IsPermanent(err) {
			err = notify.Permanent(err)
		}
		return r, err
	})
}

// inbound is what the API needs to verify vendor callbacks.
func (c Channels) inbound(publicURL string) api.Inbound {
	return api.Inbound{SlackSigningSecret: c.SlackSigningSecret, TwilioAuthToken: c.TwilioAuthToken, PublicURL: publicURL}
}

// links gives messages the incident's page and, for messages to a person
// about an open incident, signed links that acknowledge or resolve it as
// that person without signing in (valid for ttl).
type links struct {
	base   string
	signer *signed.Signer
	clock  vigil.Clock
	ttl    time.Duration
}

func (l links) of(n *vigil.ClaimedNotification) (view, ack, resolve string) {
	view = l.base + "/incidents/" + strconv.FormatInt(n.IncidentID, 10)
	if l.signer == nil || n.UserID == 0 || n.IncidentStatus == vigil.IncidentResolved {
		return view, "", ""
	}
	action := signed.Action{IncidentID: n.IncidentID, UserID: n.UserID, Channel: n.DestType,
		Expires: l.clock.Now().Add(l.ttl).Truncate(time.Second)}
	if n.IncidentStatus == vigil.IncidentTriggered {
		action.Kind = vigil.MessageAck
		ack = l.base + signed.ActionPath + l.signer.SignAction(action)
	}
	action.Kind = vigil.MessageResolve
	resolve = l.base + signed.ActionPath + l.signer.SignAction(action)
	return view, ack, resolve
}
