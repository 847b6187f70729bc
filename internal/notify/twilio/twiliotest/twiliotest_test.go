package twiliotest_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/notify/twilio/twiliotest"
)

const (
	sid   = "AC00000000000000000000000000000001"
	token = "tok"
)

func post(t *testing.T, s *twiliotest.Server, user, pass, resource string, form url.Values) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/2010-04-01/Accounts/"+sid+"/"+resource, strings.NewReader(form.Encode()))
	req.SetBasicAuth(user, pass)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err) // not Fatal: called from goroutines too
		return 0, nil
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func TestFakeChecksRequests(t *testing.T) {
	s := twiliotest.New(t, sid, token)
	msg := func(to, body string) url.Values {
		return url.Values{"To": {to}, "From": {"+14155550100"}, "Body": {body}}
	}
	call := func(twiml string) url.Values {
		return url.Values{"To": {"+14155550199"}, "From": {"+14155550100"}, "Twiml": {twiml}}
	}
	tests := []struct {
		name       string
		pass       string
		resource   string
		form       url.Values
		wantStatus int
		wantCode   float64
	}{
		{"sms", token, "Messages.json", msg("+14155550199", "hi"), 201, 0},
		{"wrong token", "nope", "Messages.json", msg("+14155550199", "hi"), 401, 20003},
		{"invalid number", token, "Messages.json", msg("555-0199", "hi"), 400, 21211},
		{"no body", token, "Messages.json", msg("+14155550199", ""), 400, 21602},
		{"body too long", token, "Messages.json", msg("+14155550199", strings.Repeat("x", 1601)), 400, 21617},
		{"call", token, "Calls.json", call("<Response><Say>hi</Say></Response>"), 201, 0},
		{"bad TwiML", token, "Calls.json", call("<Response><Say>a & b</Say></Response>"), 400, 400},
		{"TwiML too long", token, "Calls.json", call("<Response><Say>" + strings.Repeat("x", 4000) + "</Say></Response>"), 400, 400},
	}
	for _, tt := range tests {
		status, out := post(t, s, sid, tt.pass, tt.resource, tt.form)
		if status != tt.wantStatus || (tt.wantCode != 0 && out["code"] != tt.wantCode) {
			t.Errorf("%s: %d %v", tt.name, status, out)
		}
		if status == 201 && !strings.HasPrefix(out["sid"].(string), map[string]string{"Messages.json": "SM", "Calls.json": "CA"}[tt.resource]) {
			t.Errorf("%s: sid %v", tt.name, out["sid"])
		}
	}
}

func TestWaitFor(t *testing.T) {
	s := twiliotest.New(t, sid, token)
	go func() {
		time.Sleep(20 * time.Millisecond)
		post(t, s, sid, token, "Messages.json", url.Values{"To": {"+14155550199"}, "From": {"+14155550100"}, "Body": {"x"}})
	}()
	msgs, err := s.WaitForMessages(1, 5*time.Second)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("%v, %d messages", err, len(msgs))
	}
	if _, err := s.WaitForCalls(1, 20*time.Millisecond); err == nil {
		t.Error("WaitForCalls(1) should time out")
	}
}
