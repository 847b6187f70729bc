package app

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/notify/webhook/webhooktest"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// pagedService creates a user whose one contact method is a webhook to
// hookURL, a policy paging them, and a service using it with an
// integration key.
func pagedService(t *testing.T, a *App, hookURL string) (*vigil.Service, string) {
	t.Helper()
	ctx := vigil.WithActor(context.Background(), vigil.Actor{Kind: vigil.ActorToken, Name: "seed", Source: vigil.SourceAPI})
	st := a.Store()
	u := &vigil.User{Name: "Ana", Email: "ana@example.com"}
	if err := st.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateContactMethod(ctx, &vigil.ContactMethod{UserID: u.ID, Type: vigil.ContactWebhook, Address: hookURL + "/page"}); err != nil {
		t.Fatal(err)
	}
	p := &vigil.EscalationPolicy{Name: "primary", Steps: []vigil.EscalationStep{{Delay: vigil.Duration(5 * time.Minute),
		Targets: []vigil.Target{{Type: vigil.TargetUser, ID: u.ID}}}}}
	if err := st.CreateEscalationPolicy(ctx, p); err != nil {
		t.Fatal(err)
	}
	s := &vigil.Service{Name: "checkout", AutoResolve: true, EscalationPolicyID: p.ID}
	if err := st.CreateService(ctx, s); err != nil {
		t.Fatal(err)
	}
	k, err := st.CreateIntegrationKey(ctx, s.ID, "prometheus")
	if err != nil {
		t.Fatal(err)
	}
	return s, k.Secret
}

func postEvent(t *testing.T, a *App, key, body string) {
	t.Helper()
	req, _ := http.NewRequest("POST", a.URL()+"/api/v1/events", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST /api/v1/events: %d", resp.StatusCode)
	}
}

// The running server pages: an alert posted over HTTP reaches the
// on-call person's webhook, signed, without anyone running a cycle by
// hand (the new incident wakes the engine).
func TestAlertPagesWebhook(t *testing.T) {
	const secret = "whsec-test-0123456789"
	hook := webhooktest.New(t, secret)
	a := startApp(t, Config{DataDir: t.TempDir(), Channels: Channels{WebhookSecret: secret}, EngineInterval: time.Hour})
	_, key := pagedService(t, a, hook.URL)
	postEvent(t, a, key, `{"dedup_key":"cpu","summary":"CPU at 100% on <db-1>","severity":"critical"}`)
	got, err := hook.WaitFor(1, 10*time.Second)
	if err != nil {
		t.Fatalf("no page arrived (the engine runs hourly here, so only the wake-up can deliver it): %v", err)
	}
	r := got[0]
	if r.SignatureErr != nil {
		t.Errorf("signature: %v", r.SignatureErr)
	}
	if r.Path != "/page" || r.Payload.Kind != "page" || r.Payload.Title != "CPU at 100% on <db-1>" || r.Payload.Severity != "critical" ||
		r.Payload.Service != "checkout" || !strings.HasPrefix(r.Payload.URL, a.URL()+"/incidents/") {
		t.Errorf("payload %+v", r.Payload)
	}
	if r.Header.Get("Vigil-Message-Id") == "" || !bytes.Contains(r.Body, []byte(`"id":"`+r.Header.Get("Vigil-Message-Id")+`"`)) {
		t.Errorf("message id header %q / body %s", r.Header.Get("Vigil-Message-Id"), r.Body)
	}
}

// E5/E6: a webhook that answers 500 is retried, and the retry carries
// the same message id, so the receiver can drop a duplicate.
func TestWebhookRetryKeepsID(t *testing.T) {
	hook := webhooktest.New(t, "")
	hook.Enqueue(webhooktest.Reply{Status: 500})
	clock := vigil.NewManualClock(time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC))
	a := startApp(t, Config{DataDir: t.TempDir(), Clock: clock, EngineInterval: -1})
	_, key := pagedService(t, a, hook.URL)
	postEvent(t, a, key, `{"dedup_key":"cpu","summary":"CPU","severity":"error"}`)
	ctx := context.Background()
	st, err := a.EngineCycle(ctx)
	if err != nil || st.Retried != 1 {
		t.Fatalf("first cycle: %+v %v", st, err)
	}
	clock.Advance(time.Minute)
	if st, err = a.EngineCycle(ctx); err != nil || st.Sent != 1 {
		t.Fatalf("second cycle: %+v %v", st, err)
	}
	ids := hook.ByMessageID()
	if len(ids) != 1 {
		t.Fatalf("%d message ids for one page and its retry: %v", len(ids), ids)
	}
	for _, reqs := range ids {
		if len(reqs) != 2 || reqs[0].Reply.Status != 500 {
			t.Errorf("requests %+v", reqs)
		}
	}
}
