// Package twiliotest is a local fake of Twilio's REST API (Messages and
// Calls) for tests of Vigil's Twilio sender, and a builder of signed
// webhook requests (inbound SMS, key presses) for tests of Vigil's Twilio
// endpoints.
//
// The fake is written from Twilio's documentation, not from the sender's
// code, and imports nothing of Vigil.
package twiliotest

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

// Answer scripts the fake's reply to one REST call.
type Answer struct {
	// Status is the HTTP status; 0 means 201 Created.
	Status int
	// Code and Message fill Twilio's error body
	// {"code":…,"message":…,"more_info":…,"status":…}.
	Code    int
	Message string
	// RetryAfter is sent as a Retry-After header in whole seconds.
	RetryAfter time.Duration
	// Hang makes the fake never answer.
	Hang bool
}

// InvalidNumber answers 400 with Twilio error 21211.
func InvalidNumber() Answer {
	return Answer{Status: http.StatusBadRequest, Code: 21211, Message: "Invalid 'To' Phone Number"}
}

// TooManyRequests answers 429 with Twilio error 20429 and Retry-After.
func TooManyRequests(after time.Duration) Answer {
	return Answer{Status: http.StatusTooManyRequests, Code: 20429, Message: "Too Many Requests", RetryAfter: after}
}

// ServerError answers 500 with Twilio error 20500.
func ServerError() Answer {
	return Answer{Status: http.StatusInternalServerError, Code: 20500, Message: "Internal Server Error"}
}

// Hang never answers.
func Hang() Answer { return Answer{Hang: true} }

// Message is one POST to Messages.json with valid credentials.
type Message struct {
	SID            string // "" unless Accepted
	To, From, Body string
	StatusCallback string
	Form           url.Values
	Accepted       bool // the fake answered 201
}

// Call is one POST to Calls.json with valid credentials.
type Call struct {
	SID            string // "" unless Accepted
	To, From       string
	Twiml          string // inline TwiML, when the call used it
	URL            string // TwiML URL, when the call used one
	StatusCallback string
	Form           url.Values
	Accepted       bool
}

// TwiML is the part of a voice document the fake reads.
type TwiML struct {
	XMLName xml.Name `xml:"Response"`
	Gather  *struct {
		NumDigits string   `xml:"numDigits,attr"`
		Action    string   `xml:"action,attr"`
		Method    string   `xml:"method,attr"`
		Timeout   string   `xml:"timeout,attr"`
		Say       []string `xml:"Say"`
	} `xml:"Gather"`
	Say []string `xml:"Say"`
}

// ParseTwiML parses inline TwiML the way Twilio would: it must be
// well-formed XML with a <Response> root.
func ParseTwiML(doc string) (TwiML, error) {
	var t TwiML
	err := xml.Unmarshal([]byte(doc), &t)
	return t, err
}

// Server is a fake Twilio REST API for one account.
type Server struct {
	// URL is the API root: twilio.Config.BaseURL.
	URL        string
	AccountSID string
	AuthToken  string

	srv  *httptest.Server
	done chan struct{}
	once sync.Once

	mu       sync.Mutex
	messages []Message
	calls    []Call
	answers  []Answer
	rejects  int
	next     int
	arrived  chan struct{} // closed and replaced when a request is recorded
}

// New starts a fake for accountSID and authToken, closed when tb ends.
func New(tb testing.TB, accountSID, authToken string) *Server {
	tb.Helper()
	s := &Server{AccountSID: accountSID, AuthToken: authToken, done: make(chan struct{}), arrived: make(chan struct{})}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	tb.Cleanup(s.Close)
	return s
}

// Close stops the fake, ending hung calls first.
func (s *Server) Close() {
	s.once.Do(func() {
		close(s.done)
		s.srv.Close()
	})
}

// Enqueue scripts the answers to the next calls (Messages or Calls, in
// arrival order); once they are used up the fake accepts again.
func (s *Server) Enqueue(answers ...Answer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.answers = append(s.answers, answers...)
}

// Messages returns the Messages.json calls received so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.messages)
}

// Calls returns the Calls.json calls received so far.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

// WaitForMessages waits until at least n Messages.json calls arrived and
// returns them, or errors after timeout.
func (s *Server) WaitForMessages(n int, timeout time.Duration) ([]Message, error) {
	return waitFor(s, n, timeout, "Messages.json", func() []Message { return slices.Clone(s.messages) })
}

// WaitForCalls waits until at least n Calls.json calls arrived and returns
// them, or errors after timeout.
func (s *Server) WaitForCalls(n int, timeout time.Duration) ([]Call, error) {
	return waitFor(s, n, timeout, "Calls.json", func() []Call { return slices.Clone(s.calls) })
}

// waitFor polls list (called with s.mu held) until it has n items.
func waitFor[T any](s *Server, n int, timeout time.Duration, what string, list func() []T) ([]T, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		items, ch := list(), s.arrived
		s.mu.Unlock()
		if len(items) >= n {
			return items, nil
		}
		select {
		case <-ch:
		case <-deadline.C:
			return nil, fmt.Errorf("twiliotest: %d of %d %s calls arrived within %s", len(items), n, what, timeout)
		}
	}
}

// Rejected counts requests refused for bad credentials or a wrong account.
func (s *Server) Rejected() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rejects
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/2010-04-01/Accounts/")
	account, resource, ok2 := strings.Cut(rest, "/")
	if !ok || !ok2 || (resource != "Messages.json" && resource != "Calls.json") {
		writeError(w, http.StatusNotFound, 20404, "The requested resource "+r.URL.Path+" was not found", 0)
		return
	}
	user, pass, ok := r.BasicAuth()
	if !ok || !hmac.Equal([]byte(user), []byte(s.AccountSID)) || !hmac.Equal([]byte(pass), []byte(s.AuthToken)) {
		s.reject(w, http.StatusUnauthorized, 20003, "Authenticate")
		return
	}
	if account != s.AccountSID {
		s.reject(w, http.StatusForbidden, 20003, "The account in the URL is not the authenticated account")
		return
	}
	if r.Method != http.MethodPost {
		writeError(w, http.StatusMethodNotAllowed, 20004, "Method not allowed", 0)
		return
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
		writeError(w, http.StatusBadRequest, 400, "Content-Type must be application/x-www-form-urlencoded", 0)
		return
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		writeError(w, http.StatusBadRequest, 400, "unreadable body", 0)
		return
	}
	form, err := url.ParseQuery(string(raw))
	if err != nil {
		writeError(w, http.StatusBadRequest, 400, "malformed form body", 0)
		return
	}

	s.mu.Lock()
	var a Answer
	if len(s.answers) > 0 {
		a, s.answers = s.answers[0], s.answers[1:]
	} else {
		a = check(resource, form)
	}
	accepted := a.Status == 0 && !a.Hang
	sid := ""
	if accepted {
		s.next++
		prefix := "SM"
		if resource == "Calls.json" {
			prefix = "CA"
		}
		sid = fmt.Sprintf("%s%032x", prefix, s.next)
	}
	if resource == "Messages.json" {
		s.messages = append(s.messages, Message{
			SID: sid, To: form.Get("To"), From: form.Get("From"), Body: form.Get("Body"),
			StatusCallback: form.Get("StatusCallback"), Form: form, Accepted: accepted,
		})
	} else {
		s.calls = append(s.calls, Call{
			SID: sid, To: form.Get("To"), From: form.Get("From"), Twiml: form.Get("Twiml"), URL: form.Get("Url"),
			StatusCallback: form.Get("StatusCallback"), Form: form, Accepted: accepted,
		})
	}
	close(s.arrived)
	s.arrived = make(chan struct{})
	s.mu.Unlock()

	if a.Hang {
		select {
		case <-r.Context().Done():
		case <-s.done:
		}
		return
	}
	if !accepted {
		writeError(w, a.Status, a.Code, a.Message, a.RetryAfter)
		return
	}
	now := time.Now().UTC().Format(time.RFC1123Z)
	body := map[string]any{
		"sid": sid, "account_sid": s.AccountSID, "to": form.Get("To"), "from": form.Get("From"),
		"status": "queued", "date_created": now, "date_updated": now, "api_version": "2010-04-01",
		"uri": "/2010-04-01/Accounts/" + s.AccountSID + "/" + strings.TrimSuffix(resource, ".json") + "/" + sid + ".json",
	}
	if resource == "Messages.json" {
		body["body"] = form.Get("Body")
		body["direction"] = "outbound-api"
	} else {
		body["direction"] = "outbound-api"
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	json.NewEncoder(w).Encode(body)
}

func (s *Server) reject(w http.ResponseWriter, status, code int, msg string) {
	s.mu.Lock()
	s.rejects++
	s.mu.Unlock()
	writeError(w, status, code, msg, 0)
}

// check answers what Twilio would to an invalid request, or a zero Answer.
func check(resource string, form url.Values) Answer {
	bad := func(code int, msg string) Answer {
		return Answer{Status: http.StatusBadRequest, Code: code, Message: msg}
	}
	to, from := form.Get("To"), form.Get("From")
	switch {
	case to == "":
		return bad(21604, "A 'To' phone number is required.")
	case !e164(to):
		return bad(21211, "Invalid 'To' Phone Number: "+to)
	case from == "":
		return bad(21603, "A 'From' phone number is required.")
	case !e164(from):
		return bad(21212, "Invalid From Number (caller ID): "+from)
	}
	if resource == "Messages.json" {
		body := form.Get("Body")
		switch {
		case body == "":
			return bad(21602, "Message body is required.")
		case utf8.RuneCountInString(body) > 1600:
			return bad(21617, "The concatenated message body exceeds the 1600 character limit.")
		}
		return Answer{}
	}
	twiml := form.Get("Twiml")
	switch {
	case twiml == "" && form.Get("Url") == "" && form.Get("ApplicationSid") == "":
		return bad(21205, "Url parameter is required.")
	case utf8.RuneCountInString(twiml) > 4000:
		return bad(400, "Twiml is longer than 4000 characters.")
	case twiml != "":
		if _, err := ParseTwiML(twiml); err != nil {
			return bad(400, "Twiml is not valid: "+err.Error())
		}
	}
	return Answer{}
}

func e164(s string) bool {
	if len(s) < 8 || len(s) > 16 || s[0] != '+' || s[1] == '0' {
		return false
	}
	return strings.Trim(s[1:], "0123456789") == ""
}

func writeError(w http.ResponseWriter, status, code int, msg string, retryAfter time.Duration) {
	w.Header().Set("Content-Type", "application/json")
	if retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(retryAfter.Round(time.Second)/time.Second)))
	}
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{
		"code": code, "message": msg, "status": status,
		"more_info": fmt.Sprintf("https://www.twilio.com/docs/errors/%d", code),
	})
}

// Sign computes the X-Twilio-Signature of a webhook request to fullURL
// with params as its POST body: base64(HMAC-SHA1(authToken, fullURL + each
// name and value, sorted by name)).
func Sign(authToken, fullURL string, params url.Values) string {
	var b strings.Builder
	b.WriteString(fullURL)
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		for _, v := range params[k] {
			b.WriteString(k)
			b.WriteString(v)
		}
	}
	mac := hmac.New(sha1.New, []byte(authToken))
	mac.Write([]byte(b.String()))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// SignedForm returns the headers Twilio sends with a webhook POST of
// params to fullURL: X-Twilio-Signature and the form Content-Type. The
// body is params.Encode().
func SignedForm(authToken, fullURL string, params url.Values) http.Header {
	h := http.Header{}
	h.Set("Content-Type", "application/x-www-form-urlencoded")
	h.Set("X-Twilio-Signature", Sign(authToken, fullURL, params))
	h.Set("User-Agent", "TwilioProxy/1.1")
	return h
}

// SMSParams are the parameters of Twilio's incoming message webhook for an
// SMS from one number to another.
func SMSParams(accountSID, from, to, body string) url.Values {
	return url.Values{
		"ToCountry":     {"US"},
		"ToState":       {"CA"},
		"SmsMessageSid": {"SM00000000000000000000000000000001"},
		"NumMedia":      {"0"},
		"ToCity":        {"SAN FRANCISCO"},
		"FromZip":       {"94107"},
		"SmsSid":        {"SM00000000000000000000000000000001"},
		"FromState":     {"CA"},
		"SmsStatus":     {"received"},
		"FromCity":      {"SAN FRANCISCO"},
		"Body":          {body},
		"FromCountry":   {"US"},
		"To":            {to},
		"ToZip":         {"94105"},
		"NumSegments":   {"1"},
		"MessageSid":    {"SM00000000000000000000000000000001"},
		"AccountSid":    {accountSID},
		"From":          {from},
		"ApiVersion":    {"2010-04-01"},
	}
}

// GatherParams are the parameters Twilio posts to a <Gather> action when
// the callee of an outbound call presses digits: from is the Twilio number
// that placed the call, to the callee.
func GatherParams(accountSID, callSID, from, to, digits string) url.Values {
	return url.Values{
		"AccountSid":    {accountSID},
		"ApiVersion":    {"2010-04-01"},
		"CallSid":       {callSID},
		"CallStatus":    {"in-progress"},
		"Called":        {to},
		"Caller":        {from},
		"Digits":        {digits},
		"Direction":     {"outbound-api"},
		"FinishedOnKey": {""},
		"From":          {from},
		"To":            {to},
	}
}
