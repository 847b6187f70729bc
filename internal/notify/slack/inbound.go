package slack

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-oss/vigil/internal/notify"
)

// MaxClockSkew is how far a request's X-Slack-Request-Timestamp may be from
// now, either way: Slack's own recommendation against replays.
const MaxClockSkew = 5 * time.Minute

// Errors of VerifyRequest and ParseAction. An endpoint answers 401 to the
// first two and 200 to ErrUnknownAction (Slack shows the user an error for
// anything else, and the Open link button reports its clicks too).
var (
	ErrSignature     = errors.New("slack: request signature is missing or wrong")
	ErrTimestamp     = errors.New("slack: request timestamp is missing or outside the allowed window")
	ErrUnknownAction = errors.New("slack: not a Vigil acknowledge or resolve action")
)

// VerifyRequest checks that body came from Slack: X-Slack-Signature must be
// "v0=" + hex(HMAC-SHA256(signingSecret, "v0:" + timestamp + ":" + body))
// with X-Slack-Request-Timestamp within MaxClockSkew of now. body is the raw
// request body, read before any form parsing.
func VerifyRequest(signingSecret string, h http.Header, body []byte, now time.Time) error {
	if signingSecret == "" {
		// An empty key would let anyone compute a valid signature.
		return fmt.Errorf("%w: no signing secret is configured", ErrSignature)
	}
	ts := h.Get("X-Slack-Request-Timestamp")
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || sec <= 0 {
		return ErrTimestamp
	}
	// Compare in seconds: time.Unix on a huge value would overflow Sub.
	skew := now.Unix() - sec
	if skew > int64(MaxClockSkew/time.Second) || skew < -int64(MaxClockSkew/time.Second) {
		return ErrTimestamp
	}
	sig, ok := strings.CutPrefix(h.Get("X-Slack-Signature"), "v0=")
	if !ok {
		return ErrSignature
	}
	mac := hmac.New(sha256.New, []byte(signingSecret))
	mac.Write([]byte("v0:" + ts + ":"))
	mac.Write(body)
	// Compared as text: Slack sends lower-case hex, and only the exact
	// signature it sends is accepted (not every spelling of the same bytes).
	if !hmac.Equal([]byte(sig), []byte(hex.EncodeToString(mac.Sum(nil)))) {
		return ErrSignature
	}
	return nil
}

// Action is a click on a Vigil button, read from an interactivity request.
type Action struct {
	Kind        string // notify.KindAck or notify.KindResolve
	IncidentID  int64
	SlackUserID string // U…; map it to a Vigil user before acting
	UserName    string // the Slack username, for the timeline
	TeamID      string // the workspace, T…
	// ResponseURL can replace or follow up on the message for a while
	// after the click; "" unless Slack sent an https URL.
	ResponseURL string
}

// interaction is the part of a block_actions payload Vigil reads.
type interaction struct {
	Type string `json:"type"`
	User struct {
		ID       string `json:"id"`
		Username string `json:"username"`
		Name     string `json:"name"`
		TeamID   string `json:"team_id"`
	} `json:"user"`
	Team struct {
		ID string `json:"id"`
	} `json:"team"`
	ResponseURL string `json:"response_url"`
	Actions     []struct {
		ActionID string `json:"action_id"`
		Value    string `json:"value"`
	} `json:"actions"`
}

// ParseAction reads an interactivity request body (form encoded, the JSON
// in its "payload" field) after VerifyRequest accepted it. Slack sends one
// action per click; anything but a Vigil Acknowledge or Resolve button
// returns an error wrapping ErrUnknownAction.
func ParseAction(body []byte) (Action, error) {
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return Action{}, fmt.Errorf("slack: interactivity body is not a form: %w", err)
	}
	payload := form.Get("payload")
	if payload == "" {
		return Action{}, errors.New("slack: interactivity body has no payload")
	}
	var in interaction
	if err := json.Unmarshal([]byte(payload), &in); err != nil {
		return Action{}, fmt.Errorf("slack: interactivity payload is not JSON: %w", err)
	}
	if in.Type != "block_actions" {
		return Action{}, fmt.Errorf("%w: payload type %q", ErrUnknownAction, notify.Truncate(in.Type, 40))
	}
	if len(in.Actions) == 0 {
		return Action{}, fmt.Errorf("%w: payload has no actions", ErrUnknownAction)
	}
	act := in.Actions[0]
	a := Action{
		SlackUserID: in.User.ID,
		UserName:    in.User.Username,
		TeamID:      in.Team.ID,
	}
	switch act.ActionID {
	case ActionAck:
		a.Kind = notify.KindAck
	case ActionResolve:
		a.Kind = notify.KindResolve
	default:
		return Action{}, fmt.Errorf("%w: action_id %q", ErrUnknownAction, notify.Truncate(act.ActionID, 40))
	}
	if a.UserName == "" {
		a.UserName = in.User.Name
	}
	if a.TeamID == "" {
		a.TeamID = in.User.TeamID
	}
	if a.SlackUserID == "" {
		return Action{}, errors.New("slack: action has no user")
	}
	id, err := strconv.ParseInt(act.Value, 10, 64)
	if err != nil || id <= 0 {
		return Action{}, fmt.Errorf("slack: action value %q is not an incident ID", notify.Truncate(act.Value, 40))
	}
	a.IncidentID = id
	if u, err := url.Parse(in.ResponseURL); err == nil && u.Scheme == "https" && u.Host != "" {
		a.ResponseURL = in.ResponseURL
	}
	return a, nil
}
