package twilio_test

import (
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/vigil-oss/vigil/internal/notify"
	"github.com/vigil-oss/vigil/internal/notify/twilio"
	"github.com/vigil-oss/vigil/internal/notify/twilio/twiliotest"
)

// The test vector of Twilio's helper libraries (twilio-go's
// request_validator_test.go).
var (
	vectorToken  = "12345"
	vectorURL    = "https://mycompany.com/myapp.php?foo=1&bar=2"
	vectorParams = url.Values{
		"Digits":  {"1234"},
		"CallSid": {"CA1234567890ABCDE"},
		"To":      {"+18005551212"},
		"Caller":  {"+14158675309"},
		"From":    {"+14158675309"},
	}
	vectorSignature = "RSOYDt4T1cUTdK1PDd93/VVr8B8="
)

func TestVerifySignatureTwilioVector(t *testing.T) {
	if err := twilio.VerifySignature(vectorToken, vectorURL, vectorParams, vectorSignature); err != nil {
		t.Fatal(err)
	}
	if got := twiliotest.Sign(vectorToken, vectorURL, vectorParams); got != vectorSignature {
		t.Errorf("twiliotest.Sign = %q, want %q", got, vectorSignature)
	}
	// Twilio may have signed with or without the default port.
	if err := twilio.VerifySignature(vectorToken, "https://mycompany.com:443/myapp.php?foo=1&bar=2", vectorParams, vectorSignature); err != nil {
		t.Errorf("explicit :443: %v", err)
	}
	withPort := twiliotest.Sign(vectorToken, "https://mycompany.com:443/myapp.php?foo=1&bar=2", vectorParams)
	if err := twilio.VerifySignature(vectorToken, vectorURL, vectorParams, withPort); err != nil {
		t.Errorf("signed with :443: %v", err)
	}
	// Another port is another URL.
	if err := twilio.VerifySignature(vectorToken, "https://mycompany.com:8443/myapp.php?foo=1&bar=2", vectorParams, vectorSignature); !errors.Is(err, twilio.ErrSignature) {
		t.Errorf(":8443: %v", err)
	}
}

func TestVerifySignature(t *testing.T) {
	const hook = "https://vigil.example/twilio/sms?team=ops"
	params := twiliotest.SMSParams(accountSID, callee, vigilFrom, "ack 42")
	sig := twiliotest.SignedForm(authToken, hook, params).Get("X-Twilio-Signature")

	edited := func(edit func(url.Values)) url.Values {
		v := url.Values{}
		for k, vs := range params {
			v[k] = append([]string(nil), vs...)
		}
		edit(v)
		return v
	}
	tests := []struct {
		name   string
		token  string
		url    string
		params url.Values
		sig    string
		ok     bool
	}{
		{"genuine", authToken, hook, params, sig, true},
		{"tampered body", authToken, hook, edited(func(v url.Values) { v.Set("Body", "resolve 42") }), sig, false},
		{"tampered sender", authToken, hook, edited(func(v url.Values) { v.Set("From", "+19005550000") }), sig, false},
		{"added param", authToken, hook, edited(func(v url.Values) { v.Set("Extra", "1") }), sig, false},
		{"removed param", authToken, hook, edited(func(v url.Values) { v.Del("MessageSid") }), sig, false},
		{"tampered URL path", authToken, "https://vigil.example/twilio/voice?team=ops", params, sig, false},
		{"tampered URL query", authToken, "https://vigil.example/twilio/sms?team=dev", params, sig, false},
		{"tampered URL host", authToken, "https://evil.example/twilio/sms?team=ops", params, sig, false},
		{"http instead of https", authToken, "http://vigil.example/twilio/sms?team=ops", params, sig, false},
		{"wrong token", "another-token", hook, params, sig, false},
		{"empty token", "", hook, params, twiliotest.Sign("", hook, params), false},
		{"no signature", authToken, hook, params, "", false},
		{"not base64", authToken, hook, params, "%%%", false},
		{"short signature", authToken, hook, params, sig[:10], false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := twilio.VerifySignature(tt.token, tt.url, tt.params, tt.sig)
			if tt.ok != (err == nil) {
				t.Fatalf("VerifySignature = %v, want ok=%v", err, tt.ok)
			}
			if err != nil && !errors.Is(err, twilio.ErrSignature) {
				t.Errorf("err %v is not ErrSignature", err)
			}
		})
	}
}

// An endpoint as Vigil's server would write it: the URL is the public one
// Twilio was given, not what the request's Host header says.
func TestVerifySignatureOverHTTP(t *testing.T) {
	const public = "https://vigil.example"
	var got struct {
		kind string
		id   int64
		err  error
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			t.Error(err)
		}
		if err := twilio.VerifySignature(authToken, public+r.URL.RequestURI(), r.PostForm, r.Header.Get("X-Twilio-Signature")); err != nil {
			got.err = err
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		got.kind, got.id, got.err = twilio.ParseSMSReply(r.PostForm.Get("Body"))
		w.Header().Set("Content-Type", "text/xml")
		io.WriteString(w, twilio.MessageTwiML("Acknowledged #42"))
	}))
	defer srv.Close()

	params := twiliotest.SMSParams(accountSID, callee, vigilFrom, "ACK #42")
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/twilio/sms?team=ops", strings.NewReader(params.Encode()))
	req.Header = twiliotest.SignedForm(authToken, public+"/twilio/sms?team=ops", params)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || got.err != nil || got.kind != notify.KindAck || got.id != 42 {
		t.Errorf("status %d, got %+v", resp.StatusCode, got)
	}
}

func TestParseSMSReply(t *testing.T) {
	tests := []struct {
		in   string
		kind string
		id   int64
	}{
		{"ack 42", notify.KindAck, 42},
		{"ACK #42", notify.KindAck, 42},
		{"  Ack   42  ", notify.KindAck, 42},
		{"a 42", notify.KindAck, 42},
		{"a42", notify.KindAck, 42},
		{"acknowledge 7", notify.KindAck, 7},
		{"ack\t#9", notify.KindAck, 9},
		{"resolve 42", notify.KindResolve, 42},
		{"Resolve #42", notify.KindResolve, 42},
		{"r 42", notify.KindResolve, 42},
		{"R#42", notify.KindResolve, 42},
		{"res 9223372036854775807", notify.KindResolve, 9223372036854775807},
		{"ack", "", 0},
		{"ack #", "", 0},
		{"ack 0", "", 0},
		{"ack -1", "", 0},
		{"ack 42 please", "", 0},
		{"ack 42.", "", 0},
		{"ack # 42", "", 0},
		{"ack 4 2", "", 0},
		{"ack 9223372036854775808", "", 0},
		{"ack ４２", "", 0},
		{"acked 42", "", 0},
		{"42 ack", "", 0},
		{"STOP", "", 0},
		{"", "", 0},
		{"yes", "", 0},
	}
	for _, tt := range tests {
		kind, id, err := twilio.ParseSMSReply(tt.in)
		if kind != tt.kind || id != tt.id {
			t.Errorf("ParseSMSReply(%q) = %q, %d, %v; want %q, %d", tt.in, kind, id, err, tt.kind, tt.id)
		}
		if (tt.kind == "") != errors.Is(err, twilio.ErrReply) {
			t.Errorf("ParseSMSReply(%q) err = %v", tt.in, err)
		}
	}
}

func TestParseGather(t *testing.T) {
	for in, want := range map[string]string{"4": notify.KindAck, "6": notify.KindResolve, " 4 ": notify.KindAck} {
		if got, err := twilio.ParseGather(in); got != want || err != nil {
			t.Errorf("ParseGather(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "1", "5", "44", "46", "#", "*", "four"} {
		if got, err := twilio.ParseGather(in); !errors.Is(err, twilio.ErrKey) || got != "" {
			t.Errorf("ParseGather(%q) = %q, %v; want ErrKey", in, got, err)
		}
	}
}

func TestReplyTwiML(t *testing.T) {
	const text = `<script>&"x"</script>`
	for name, doc := range map[string]string{
		"message": twilio.MessageTwiML(text),
		"say":     twilio.SayTwiML(text),
	} {
		if strings.Contains(doc, "<script>") || !strings.Contains(doc, "&lt;script&gt;&amp;") {
			t.Errorf("%s not escaped: %s", name, doc)
		}
		var r struct {
			Message string `xml:"Message"`
			Say     string `xml:"Say"`
		}
		if err := xml.Unmarshal([]byte(doc), &r); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if r.Message+r.Say != text {
			t.Errorf("%s says %q", name, r.Message+r.Say)
		}
	}
	if err := xml.Unmarshal([]byte(twilio.EmptyTwiML), new(struct{})); err != nil {
		t.Error(err)
	}
}

func FuzzParseSMSReply(f *testing.F) {
	for _, s := range []string{"ack 42", "ACK #42", "r 1", "resolve 9223372036854775807", "a", "", "ack 99999999999999999999", "ack\u00a042"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		kind, id, err := twilio.ParseSMSReply(body)
		if err != nil {
			if kind != "" || id != 0 || !errors.Is(err, twilio.ErrReply) {
				t.Fatalf("error %v with result %q %d", err, kind, id)
			}
			return
		}
		if (kind != notify.KindAck && kind != notify.KindResolve) || id <= 0 {
			t.Fatalf("ParseSMSReply(%q) = %q, %d", body, kind, id)
		}
	})
}

func FuzzVerifySignature(f *testing.F) {
	f.Add(vectorToken, vectorURL, vectorParams.Encode(), vectorSignature)
	f.Add("", "", "", "")
	f.Add("t", "http://[::1]:80/x", "a=1&a=2&b=", "AAAAAAAAAAAAAAAAAAAAAAAAAAA=")
	f.Add("t", "https://u:p@h:443/", "", "not base64")
	f.Fuzz(func(t *testing.T, token, fullURL, body, sig string) {
		form, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		if twilio.VerifySignature(token, fullURL, form, sig) == nil {
			if token == "" {
				t.Fatal("accepted a request with an empty token")
			}
		}
	})
}
