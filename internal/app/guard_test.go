package app

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/netguard"
	"github.com/vigil-oss/vigil/internal/notify"

	"github.com/vigil-oss/vigil/internal/notify/webhook/webhooktest"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// loopback is the allowlist tests give the app so its vendor fakes, on
// 127.0.0.1, can be reached.
var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}

// TestContactMethodCannotReachPrivateAddresses: by default a webhook
// contact method pointing inside the network is refused when the
// connection is made; the page fails at once, permanently and visibly on
// the timeline, and the internal server never sees a request. The
// allowlist opens it.
func TestContactMethodCannotReachPrivateAddresses(t *testing.T) {
	for _, tc := range []struct {
		name  string
		allow []netip.Prefix
		sent  bool
	}{
		{"refused by default", []netip.Prefix{}, false},
		{"allowed by the allowlist", loopback, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			internal := webhooktest.New(t, "")
			clock := vigil.NewManualClock(time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC))
			a := startApp(t, Config{DataDir: t.TempDir(), Clock: clock, EngineInterval: -1,
				Channels: Channels{OutboundAllow: tc.allow}})
			_, key := pagedService(t, a, internal.URL)
			postEvent(t, a, key, `{"dedup_key":"cpu","summary":"CPU","severity":"critical"}`)
			st, err := a.EngineCycle(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if tc.sent {
				if st.Sent != 1 || len(internal.Requests()) != 1 {
					t.Fatalf("allowed: cycle %+v, %d requests", st, len(internal.Requests()))
				}
				return
			}
			if st.Failed != 1 || st.Retried != 0 {
				t.Errorf("cycle %+v, want one permanent failure and no retry", st)
			}
			if n := len(internal.Requests()); n != 0 {
				t.Fatalf("%d requests reached the internal address", n)
			}
			ns, err := a.Store().FindNotifications(context.Background(), vigil.NotificationFilter{})
			if err != nil || len(ns) != 1 {
				t.Fatalf("notifications %v %v", ns, err)
			}
			if ns[0].Status != vigil.NotificationFailed || !strings.Contains(ns[0].LastError, "not allowed") {
				t.Errorf("notification %s: %q", ns[0].Status, ns[0].LastError)
			}
		})
	}
}

// TestEveryHTTPSenderIsGuarded: every channel that speaks HTTP, whatever
// it carries (a page, a test notification, a status update all go
// through this registry), connects through the outbound guard. Each
// vendor endpoint and each user destination points at a loopback server:
// with no allowlist not one request may reach it, and with loopback
// allowed each channel does reach it (so the test can tell the two
// apart). A new HTTP channel wired without the guard fails here.
func TestEveryHTTPSenderIsGuarded(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"ok":true,"channel":"C1","ts":"1.2","sid":"SM1","status":"queued"}`)
	}))
	defer srv.Close()
	channels := func(allow []netip.Prefix) Channels {
		return Channels{
			SlackToken: "xoxb-guard", SlackBaseURL: srv.URL + "/api/",
			TwilioAccountSID: "AC0", TwilioAuthToken: "guard-token", TwilioFrom: "+15550000000", TwilioBaseURL: srv.URL,
			SMSGatewayURL: srv.URL + "/send?to={{.To | urlquery}}&text={{.Text | urlquery}}",
			OutboundAllow: allow,
		}
	}
	dest := map[string]string{
		vigil.ContactWebhook: srv.URL + "/hook", vigil.ContactTeams: srv.URL + "/teams",
		vigil.ContactSlack: "C024BE91L", vigil.ContactSMS: "+15551234567", vigil.ContactVoice: "+15551234567",
		vigil.ContactSMSGateway: "+15551234567",
	}
	// E-mail is SMTP to the administrator's relay, not HTTP.
	notHTTP := map[string]bool{vigil.ContactEmail: true}
	msg := notify.Message{ID: "m1", Kind: vigil.MessageTest, Title: "guard", CreatedAt: time.Now()}

	blocked, err := channels([]netip.Prefix{}).senders("http://vigil.example")
	if err != nil {
		t.Fatal(err)
	}
	allowed, err := channels(loopback).senders("http://vigil.example")
	if err != nil {
		t.Fatal(err)
	}
	for _, typ := range vigil.ContactTypes {
		if notHTTP[typ] {
			continue
		}
		t.Run(typ, func(t *testing.T) {
			addr, ok := dest[typ]
			if !ok {
				t.Fatalf("no destination for %q: add the new channel to this test", typ)
			}
			hits.Store(0)
			_, err := blocked.Send(context.Background(), notify.Destination{Type: typ, Address: addr}, msg)
			if !errors.Is(err, netguard.ErrBlocked) || !notify.IsPermanent(err) {
				t.Errorf("without an allowlist: %v, want a permanent ErrBlocked", err)
			}
			if n := hits.Load(); n != 0 {
				t.Fatalf("%d requests reached the loopback server without an allowlist", n)
			}
			allowed.Send(context.Background(), notify.Destination{Type: typ, Address: addr}, msg)
			if hits.Load() == 0 {
				t.Errorf("with loopback allowed the channel never reached the server: the test would not notice an unguarded client")
			}
		})
	}
}
