package app

import (
	"context"
	"strings"
	"testing"

	"github.com/vigil-oss/vigil/internal/notify"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// Every contact type has a sender; one whose channel is not configured
// fails permanently and says which setting is missing, so the timeline
// shows why (never a silent drop).
func TestUnconfiguredChannelsFailVisibly(t *testing.T) {
	reg, err := Channels{}.senders("http://vigil.example")
	if err != nil {
		t.Fatal(err)
	}
	for _, typ := range vigil.ContactTypes {
		if reg[typ] == nil {
			t.Errorf("no sender for %q", typ)
		}
	}
	for typ, setting := range map[string]string{vigil.ContactSMS: "VIGIL_TWILIO_ACCOUNT_SID", vigil.ContactEmail: "VIGIL_SMTP_HOST",
		vigil.ContactSlack: "VIGIL_SLACK_TOKEN", vigil.ContactSMSGateway: "VIGIL_SMS_GATEWAY_URL"} {
		_, err := reg.Send(context.Background(), notify.Destination{Type: typ, Address: "x"}, notify.Message{Title: "t"})
		if !notify.IsPermanent(err) || !strings.Contains(err.Error(), setting) {
			t.Errorf("%s: %v", typ, err)
		}
	}
	if _, err := (Channels{SMSGatewayURL: "ftp://{{.To}}"}).senders("http://vigil.example"); err == nil {
		t.Error("a bad SMS gateway template must stop the start")
	}
}
