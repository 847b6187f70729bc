package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/vigil-oss/vigil/internal/auth"
	"github.com/vigil-oss/vigil/internal/notify"
	"github.com/vigil-oss/vigil/internal/notify/slack"
	"github.com/vigil-oss/vigil/internal/notify/twilio"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// Inbound configures the vendor callbacks: people acknowledging or
// resolving from the message itself. An empty secret turns its endpoint
// off (it refuses every request, since an empty key verifies nothing).
type Inbound struct {
	// SlackSigningSecret is the Slack app's signing secret.
	SlackSigningSecret string
	// TwilioAuthToken is the Twilio account's auth token.
	TwilioAuthToken string
	// PublicURL is the base URL Vigil was given to Twilio as: Twilio signs
	// the full URL it called, which a proxy may have rewritten.
	PublicURL string
}

// Inbound callback paths, also used to build the URLs put in messages.
const (
	SlackActionsPath = "/api/v1/inbound/slack/actions"
	TwilioSMSPath    = "/api/v1/inbound/twilio/sms"
	TwilioVoicePath  = "/api/v1/inbound/twilio/voice"
)

// maxInboundBody bounds a vendor callback's body (Slack's payloads carry
// the whole message, a few KiB).
const maxInboundBody = 256 << 10

func (a *API) inboundRoutes() []Route {
	signed := func(pattern, summary string, h handlerFunc, q ...Param) Route {
		return Route{Method: "POST", Pattern: pattern, Auth: AuthSignature, Summary: summary, Response: "",
			Handler: a.handle(h), Query: q}
	}
	return []Route{
		signed(SlackActionsPath, "Slack interactivity: the Acknowledge and Resolve buttons (form body, "+
			"verified with the Slack signing secret within 5 minutes)", a.slackActions),
		signed(TwilioSMSPath, "Twilio incoming SMS: a reply such as 'ack 42' or 'resolve 42' from a person's "+
			"number (verified with X-Twilio-Signature; answers TwiML)", a.twilioSMS),
		signed(TwilioVoicePath, "Twilio <Gather> result of a voice page: 4 acknowledges, 6 resolves "+
			"(verified with X-Twilio-Signature; answers TwiML)", a.twilioVoice,
			Param{Name: "message", Description: "the message the call delivered (vigil-<id>)"}),
	}
}

// readInbound reads a callback's raw body, which its signature covers.
func readInbound(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxInboundBody))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, vigil.Errorf(vigil.CodeTooLarge, "body is larger than %d bytes", maxInboundBody)
	}
	return body, err
}

// act acknowledges or resolves an incident as user, from source, and says
// what happened in a sentence for the person's reply.
func (a *API) act(ctx context.Context, user *vigil.User, source, kind string, incidentID int64) string {
	ctx = vigil.WithActor(ctx, vigil.Actor{Kind: vigil.ActorUser, ID: user.ID, Name: user.Name, Source: source})
	// They see (and may act on) what they were paged about, and other
	// incidents they could see when signed in.
	ctx = vigil.WithViewer(ctx, vigil.ViewerOf(vigil.ActorFromContext(ctx), user.Role))
	number := "#" + strconv.FormatInt(incidentID, 10)
	verb := "acknowledged"
	if kind == notify.KindResolve {
		verb = "resolved"
	}
	err := a.mayActFromMessage(ctx, user, incidentID)
	switch {
	case vigil.ErrorCode(err) == vigil.CodeNotFound:
		return fmt.Sprintf("There is no incident %s.", number)
	case vigil.ErrorCode(err) == vigil.CodeForbidden:
		LoggerFrom(ctx).Info("inbound action refused", "source", source, "incident", incidentID, "user", user.ID)
		return fmt.Sprintf("You may not act on incident %s: it was not sent to you and your role does not let you respond to it.", number)
	case err != nil:
		LoggerFrom(ctx).Error("inbound action failed", "source", source, "incident", incidentID, "err", err)
		return fmt.Sprintf("Incident %s could not be %s; please try again or use the web page.", number, verb)
	}
	if kind == notify.KindResolve {
		_, err = a.store.ResolveIncident(ctx, incidentID)
	} else {
		_, err = a.store.AcknowledgeIncident(ctx, incidentID)
	}
	switch vigil.ErrorCode(err) {
	case "":
		return fmt.Sprintf("Incident %s %s.", number, verb)
	case vigil.CodeNotFound:
		return fmt.Sprintf("There is no incident %s.", number)
	case vigil.CodeConflict:
		return fmt.Sprintf("Incident %s is already resolved.", number)
	}
	LoggerFrom(ctx).Error("inbound action failed", "source", source, "incident", incidentID, "err", err)
	return fmt.Sprintf("Incident %s could not be %s; please try again or use the web page.", number, verb)
}

// mayActFromMessage says whether user may acknowledge or resolve the
// incident from a chat button, an SMS or a call: people who were paged or
// notified about it, and whoever may respond on it when signed in (a
// global responder, or a responder or manager of its service's team).
// CodeNotFound for an incident they may not see, CodeForbidden otherwise.
func (a *API) mayActFromMessage(ctx context.Context, user *vigil.User, incidentID int64) error {
	inc, err := a.store.FindIncidentByID(ctx, incidentID)
	if err != nil {
		return err
	}
	sent, err := a.store.FindNotifications(ctx, vigil.NotificationFilter{IncidentID: &incidentID, UserID: &user.ID, Limit: 1})
	if err != nil || len(sent) > 0 {
		return err
	}
	// Otherwise the rule of the incident's respond routes, for the person
	// as if signed in.
	p := auth.Principal{UserID: user.ID, Role: user.Role}
	return auth.Authorize(auth.WithPrincipal(ctx, p), a.store, vigil.PermRespond, func() ([]int64, error) {
		return ownerOfServiceID(ctx, a.store, inc.ServiceID)
	})
}

// userByAddress finds the person a reply came from: the oldest enabled
// contact method of those types with that address.
func (a *API) userByAddress(ctx context.Context, address string, types ...string) (*vigil.User, error) {
	ms, err := a.store.FindContactMethodsByAddress(ctx, address, types...)
	if err != nil || len(ms) == 0 {
		return nil, err
	}
	return a.store.FindUser(ctx, ms[0].UserID)
}

// slackActions handles a click on a message's Acknowledge or Resolve
// button. Slack wants a 200 within 3 seconds; people see the result as the
// acknowledge/resolve notice that follows in their channel.
func (a *API) slackActions(w http.ResponseWriter, r *http.Request) error {
	body, err := readInbound(w, r)
	if err != nil {
		return err
	}
	if err := slack.VerifyRequest(a.inbound.SlackSigningSecret, r.Header, body, a.clock.Now()); err != nil {
		return vigil.Errorf(vigil.CodeUnauthorized, "%v", err)
	}
	act, err := slack.ParseAction(body)
	if errors.Is(err, slack.ErrUnknownAction) {
		// The Open button and other interactions: nothing to do.
		w.WriteHeader(http.StatusOK)
		return nil
	}
	if err != nil {
		return vigil.Errorf(vigil.CodeInvalid, "%v", err)
	}
	user, err := a.userByAddress(r.Context(), act.SlackUserID, vigil.ContactSlack)
	if err != nil {
		return err
	}
	text := "Your Slack account is not linked to a Vigil user: add your Slack member ID " + act.SlackUserID +
		" as a Slack contact method in Vigil."
	if user != nil {
		text = a.act(r.Context(), user, vigil.SourceSlack, act.Kind, act.IncidentID)
	} else {
		LoggerFrom(r.Context()).Info("slack action from an unlinked user", "slack_user", act.SlackUserID)
	}
	// A block_actions answer's body is not shown; it is kept for logs
	// and for people testing with curl.
	WriteJSON(w, http.StatusOK, map[string]string{"text": text})
	return nil
}

// twilioForm verifies a Twilio callback and returns its parameters. The
// URL Twilio signed is the public base URL plus the path and query it
// called.
func (a *API) twilioForm(w http.ResponseWriter, r *http.Request) (url.Values, error) {
	body, err := readInbound(w, r)
	if err != nil {
		return nil, err
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, vigil.Errorf(vigil.CodeInvalid, "body is not a form: %v", err)
	}
	full := strings.TrimRight(a.inbound.PublicURL, "/") + r.URL.RequestURI()
	if err := twilio.VerifySignature(a.inbound.TwilioAuthToken, full, form, r.Header.Get("X-Twilio-Signature")); err != nil {
		return nil, vigil.Errorf(vigil.CodeForbidden, "%v", err)
	}
	return form, nil
}

func writeTwiML(w http.ResponseWriter, doc string) {
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	io.WriteString(w, doc)
}

// twilioSMS handles an SMS sent to Vigil's number: "ack 42" from a
// person's SMS or voice number acknowledges incident 42 as them.
func (a *API) twilioSMS(w http.ResponseWriter, r *http.Request) error {
	form, err := a.twilioForm(w, r)
	if err != nil {
		return err
	}
	kind, id, err := twilio.ParseSMSReply(form.Get("Body"))
	if err != nil {
		writeTwiML(w, twilio.MessageTwiML("Not understood. Reply 'ack 42' to acknowledge or 'resolve 42' to resolve incident #42."))
		return nil
	}
	user, err := a.userByAddress(r.Context(), form.Get("From"), vigil.ContactSMS, vigil.ContactVoice)
	if err != nil {
		return err
	}
	if user == nil {
		writeTwiML(w, twilio.MessageTwiML("This number is not linked to a Vigil user."))
		return nil
	}
	writeTwiML(w, twilio.MessageTwiML(a.act(r.Context(), user, vigil.SourceSMS, kind, id)))
	return nil
}

// twilioVoice handles the key pressed during a voice page. The message
// parameter names the notification the call delivered, so the person and
// incident come from Vigil's own record, not from the caller's number.
func (a *API) twilioVoice(w http.ResponseWriter, r *http.Request) error {
	form, err := a.twilioForm(w, r)
	if err != nil {
		return err
	}
	idText, ok := strings.CutPrefix(r.URL.Query().Get("message"), "vigil-")
	id, perr := strconv.ParseInt(idText, 10, 64)
	if !ok || perr != nil || id <= 0 {
		return vigil.FieldError("message", "must be a message ID like vigil-42")
	}
	kind, err := twilio.ParseGather(form.Get("Digits"))
	if err != nil {
		writeTwiML(w, twilio.SayTwiML("Key not understood. Goodbye."))
		return nil
	}
	// Twilio's signature vouches for the callback: the message it names is
	// looked up as Vigil, and the person it paged then acts as themselves.
	n, err := a.store.FindNotification(vigil.WithViewer(r.Context(), vigil.SystemViewer), id)
	if err != nil {
		return err
	}
	if n.UserID == 0 || n.IncidentID == 0 || n.DestType != vigil.ContactVoice {
		return vigil.FieldError("message", "is not a voice page of an incident")
	}
	user, err := a.store.FindUser(r.Context(), n.UserID)
	if err != nil {
		return err
	}
	writeTwiML(w, twilio.SayTwiML(a.act(r.Context(), user, vigil.SourceVoice, kind, n.IncidentID)+" Goodbye."))
	return nil
}
