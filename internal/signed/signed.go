// Package signed makes and checks the capability tokens Vigil puts in URLs
// that work without signing in: the acknowledge and resolve links in a
// message, and the secret address of a calendar feed.
//
// Tokens are HMAC-SHA256 over readable fields, truncated to 128 bits (short
// enough for an SMS, far beyond guessing), with the key from the database
// (vigil.SigningKeyService) so every replica accepts every other's links.
// Each set of claims has exactly one token: numbers are canonical and the
// signature is unpadded base64url, so a token cannot be respelled.
package signed

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// Errors of the checks. An endpoint shows ErrExpired as "this link has
// expired" and everything else as not found.
var (
	ErrInvalid = errors.New("signed: token is malformed or its signature is wrong")
	ErrExpired = errors.New("signed: token has expired")
)

// ActionPath is where the web UI serves action links: ActionPath+token.
const ActionPath = "/act/"

// macLen is the signature length in bytes before encoding.
const macLen = 16

// DefaultTTL is how long an action link works: a day covers a night's
// pages and the morning after.
const DefaultTTL = 24 * time.Hour

// Action is what an acknowledge or resolve link allows: one person acting
// on one incident, until Expires.
type Action struct {
	Kind       string // vigil.MessageAck or vigil.MessageResolve
	IncidentID int64
	UserID     int64
	// Channel is the contact type the link went out on (email, sms...),
	// written on the timeline as the source of the action.
	Channel string
	Expires time.Time // whole seconds
}

// Signer makes and checks tokens with one key.
type Signer struct {
	key []byte
}

// New returns a signer with key (vigil.SigningKeyLen random bytes).
func New(key []byte) *Signer {
	return &Signer{key: append([]byte(nil), key...)}
}

func (s *Signer) mac(domain, payload string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(domain))
	m.Write([]byte{0})
	m.Write([]byte(payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:macLen])
}

// check compares a token's signature with the expected one in constant
// time.
func (s *Signer) check(domain, payload, sig string) bool {
	return hmac.Equal([]byte(sig), []byte(s.mac(domain, payload)))
}

var actionCodes = map[string]string{vigil.MessageAck: "a", vigil.MessageResolve: "r"}

// SignAction returns the token for a. It panics on a kind other than
// acknowledge or resolve, or a channel that is not a contact type: both
// are programming errors.
func (s *Signer) SignAction(a Action) string {
	code, ok := actionCodes[a.Kind]
	if !ok || !validChannel(a.Channel) {
		panic("signed: cannot sign action " + a.Kind + " on channel " + a.Channel)
	}
	payload := strings.Join([]string{"1", code, strconv.FormatInt(a.IncidentID, 10), strconv.FormatInt(a.UserID, 10),
		a.Channel, strconv.FormatInt(a.Expires.Unix(), 10)}, ".")
	return payload + "." + s.mac("action", payload)
}

// VerifyAction checks token and returns its claims: ErrInvalid for
// anything not signed by this key, ErrExpired once now reaches Expires.
func (s *Signer) VerifyAction(token string, now time.Time) (Action, error) {
	if len(token) > 200 {
		return Action{}, ErrInvalid
	}
	i := strings.LastIndexByte(token, '.')
	if i < 0 {
		return Action{}, ErrInvalid
	}
	payload, sig := token[:i], token[i+1:]
	if !s.check("action", payload, sig) {
		return Action{}, ErrInvalid
	}
	f := strings.Split(payload, ".")
	if len(f) != 6 || f[0] != "1" {
		return Action{}, ErrInvalid
	}
	var a Action
	for kind, code := range actionCodes {
		if f[1] == code {
			a.Kind = kind
		}
	}
	inc, ok1 := canonicalInt(f[2])
	user, ok2 := canonicalInt(f[3])
	exp, ok3 := canonicalInt(f[5])
	if a.Kind == "" || !ok1 || !ok2 || !ok3 || !validChannel(f[4]) {
		return Action{}, ErrInvalid
	}
	a.IncidentID, a.UserID, a.Channel, a.Expires = inc, user, f[4], time.Unix(exp, 0).UTC()
	if !now.Before(a.Expires) {
		return a, ErrExpired
	}
	return a, nil
}

// Feed returns the secret token of a calendar feed, e.g. Feed("schedule",
// 7). It does not expire; rotating the key revokes every feed.
func (s *Signer) Feed(kind string, id int64) string {
	return s.mac("feed", kind+"."+strconv.FormatInt(id, 10))
}

// Feed kinds: a schedule's shifts, or one person's on every schedule.
const (
	FeedSchedule = "schedule"
	FeedUser     = "user"
)

// FeedPrefix is where the API serves calendar feeds by secret URL:
// FeedPrefix + kind + "/" + id + "/" + token + ".ics".
const FeedPrefix = "/api/v1/feeds/"

// FeedURL is the secret address of the feed (kind, id) under base, the
// public URL of Vigil.
func (s *Signer) FeedURL(base, kind string, id int64) string {
	return strings.TrimRight(base, "/") + FeedPrefix + kind + "/" + strconv.FormatInt(id, 10) + "/" + s.Feed(kind, id) + ".ics"
}

// VerifyFeed reports whether token is the feed token of (kind, id).
func (s *Signer) VerifyFeed(kind string, id int64, token string) bool {
	return len(token) < 64 && s.check("feed", kind+"."+strconv.FormatInt(id, 10), token)
}

// canonicalInt parses a positive decimal with no sign or leading zero.
func canonicalInt(s string) (int64, bool) {
	if s == "" || s[0] < '1' || s[0] > '9' || len(s) > 18 {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

func validChannel(c string) bool {
	for _, t := range vigil.ContactTypes {
		if c == t {
			return true
		}
	}
	return false
}
