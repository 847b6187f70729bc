package twilio

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/vigil-oss/vigil/internal/notify"
)

// Errors of the inbound helpers. An endpoint answers 403 to ErrSignature;
// ErrReply and ErrKey are the caller's mistakes, worth a helpful answer
// (MessageTwiML, SayTwiML).
var (
	ErrSignature = errors.New("twilio: request signature is missing or wrong")
	ErrReply     = errors.New("twilio: reply not understood; send 'ack 42' or 'resolve 42'")
	ErrKey       = errors.New("twilio: key not understood; press 4 to acknowledge or 6 to resolve")
)

// VerifySignature checks that a webhook request came from Twilio: signature
// (the X-Twilio-Signature header) must be base64(HMAC-SHA1(authToken,
// fullURL + each POST parameter's name and value, sorted by name)).
//
// fullURL is the URL exactly as Twilio called it, scheme, host, path and
// query string included: behind a proxy, build it from the public base URL
// Twilio was given, not from the Host header. form is the POST body's
// parameters (nil for a GET, whose parameters are in the URL). Because
// Twilio is not consistent about default ports, the URL is also tried with
// :443 (or :80) added or removed, as Twilio's own libraries do.
//
// The scheme joins names and values without delimiters, so it cannot tell
// Body="ack 42" from a parameter named "Bodyack 42": read only the
// parameters you expect.
func VerifySignature(authToken, fullURL string, form url.Values, signature string) error {
	if authToken == "" {
		// An empty key would let anyone compute a valid signature.
		return fmt.Errorf("%w: no auth token is configured", ErrSignature)
	}
	got, err := base64.StdEncoding.DecodeString(signature)
	if err != nil || len(got) != sha1.Size {
		return ErrSignature
	}
	for _, u := range urlVariants(fullURL) {
		if hmac.Equal(got, sign(authToken, u, form)) {
			return nil
		}
	}
	return ErrSignature
}

func sign(authToken, fullURL string, form url.Values) []byte {
	mac := hmac.New(sha1.New, []byte(authToken))
	mac.Write([]byte(fullURL))
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	slices.Sort(keys) // byte order: Twilio's "Unix-style case-sensitive sort"
	for _, k := range keys {
		for _, v := range form[k] {
			mac.Write([]byte(k))
			mac.Write([]byte(v))
		}
	}
	return mac.Sum(nil)
}

// urlVariants is fullURL as given, then with its scheme's default port
// added when it has none, or removed when it has it.
func urlVariants(fullURL string) []string {
	out := []string{fullURL}
	u, err := url.Parse(fullURL)
	if err != nil || u.Host == "" {
		return out
	}
	def := map[string]string{"https": "443", "http": "80"}[u.Scheme]
	if def == "" {
		return out
	}
	before := "://"
	if u.User != nil {
		before = "@"
	}
	switch u.Port() {
	case "":
		out = append(out, strings.Replace(fullURL, before+u.Host, before+u.Host+":"+def, 1))
	case def:
		out = append(out, strings.Replace(fullURL, before+u.Host, before+strings.TrimSuffix(u.Host, ":"+def), 1))
	}
	return out
}

// ParseSMSReply reads an SMS answer to a page. The grammar, ignoring case
// and surrounding white space, is a verb, optional white space, an
// optional "#", and the incident number in ASCII digits:
//
//	ack 42, a 42, acknowledge 42, ACK #42, a42   -> notify.KindAck, 42
//	resolve 42, r 42, res #42, R42               -> notify.KindResolve, 42
//
// Anything else (no number, another word, text after the number) is an
// error wrapping ErrReply, whose message tells the sender the grammar.
func ParseSMSReply(body string) (kind string, incidentID int64, err error) {
	s := strings.ToLower(strings.TrimSpace(body))
	i := strings.IndexFunc(s, func(r rune) bool { return r < 'a' || r > 'z' })
	if i < 0 {
		i = len(s)
	}
	verb, rest := s[:i], s[i:]
	switch verb {
	case "ack", "a", "acknowledge":
		kind = notify.KindAck
	case "resolve", "r", "res":
		kind = notify.KindResolve
	default:
		return "", 0, ErrReply
	}
	rest = strings.TrimLeftFunc(rest, unicode.IsSpace)
	rest = strings.TrimPrefix(rest, "#")
	if rest == "" || len(rest) > 19 || strings.Trim(rest, "0123456789") != "" {
		return "", 0, ErrReply
	}
	id, err := strconv.ParseInt(rest, 10, 64)
	if err != nil || id <= 0 {
		return "", 0, ErrReply
	}
	return kind, id, nil
}

// ParseGather reads the Digits parameter of a <Gather> request: "4"
// acknowledges, "6" resolves; anything else is ErrKey.
func ParseGather(digits string) (kind string, err error) {
	switch strings.TrimSpace(digits) {
	case KeyAck:
		return notify.KindAck, nil
	case KeyResolve:
		return notify.KindResolve, nil
	}
	return "", ErrKey
}
