package app

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

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
