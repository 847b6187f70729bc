package app

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/api"
	"github.com/vigil-oss/vigil/internal/auth"
	"github.com/vigil-oss/vigil/internal/seal"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// syncBuffer is a log sink shared by the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestSecretScan (catalog H9): with every kind of secret configured, the
// app is driven through its API (every GET route, as admin, anonymous and
// with a wrong token; bad bodies on every POST), the web pages, and
// failing deliveries to vendors that echo what they were sent back into
// their error answers. No answer, no log line, no stored error shows any
// secret, except the one answer that hands a new token or key out once.
func TestSecretScan(t *testing.T) {
	keyText := seal.NewKeyText()
	keys, err := seal.Parse(keyText)
	if err != nil {
		t.Fatal(err)
	}
	// A vendor that fails and echoes the request (headers, body) back.
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"ok":false,"error":"invalid_auth","message":%q,"echo":%q}`, r.Header.Get("Authorization")+" "+r.URL.String(), body)
	}))
	defer echo.Close()

	secrets := map[string]string{
		"slack token":          "xoxb-scan-slack-token-1111",
		"slack signing secret": "scan-slack-signing-2222",
		"twilio auth token":    "scan-twilio-token-3333",
		"smtp password":        "scan-smtp-password-4444",
		"webhook secret":       "scan-webhook-secret-5555",
		"admin token":          vigil.NewSecret(vigil.TokenPrefix),
		"totp secret":          "JBSWY3DPEHPK3PXPSCAN6666",
		"webhook url key":      "hook-key-7777",
		"teams url key":        "teams-key-8888",
		"secret key":           keyText,
	}
	logs := &syncBuffer{}
	clock := vigil.NewManualClock(time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC))
	a := startApp(t, Config{DataDir: t.TempDir(), Clock: clock, EngineInterval: -1, AdminToken: secrets["admin token"],
		SecretKeys: keys,
		Logger:     slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Channels: Channels{
			WebhookSecret: secrets["webhook secret"],
			SlackToken:    secrets["slack token"], SlackBaseURL: echo.URL + "/api/", SlackSigningSecret: secrets["slack signing secret"],
			TwilioAccountSID: "ACscan", TwilioAuthToken: secrets["twilio auth token"], TwilioFrom: "+15550000000", TwilioBaseURL: echo.URL,
			SMTPHost: "127.0.0.1", SMTPPort: 1, SMTPUsername: "vigil", SMTPPassword: secrets["smtp password"], SMTPFrom: "vigil@example.com",
		}})
	ctx := vigil.WithActor(context.Background(), vigil.Actor{Kind: vigil.ActorToken, Name: "seed", Source: vigil.SourceAPI})
	st := a.Store()

	// The data: a person who signs in with TOTP, reachable by webhook,
	// Slack, SMS and e-mail; a Teams stakeholder group; a service with a
	// key, paging the person.
	accounts := &auth.Authenticator{Tokens: st, Accounts: st, Clock: clock, Passwords: auth.PasswordParams{Memory: 64, Time: 1, Threads: 1}}
	u := &vigil.User{Name: "Ana", Email: "ana@example.com"}
	if err := accounts.CreateFirstAdmin(ctx, u, "Ana's long password"); err != nil {
		t.Fatal(err)
	}
	if err := st.SetTOTP(ctx, u.ID, secrets["totp secret"], 1); err != nil {
		t.Fatal(err)
	}
	sess, err := accounts.StartSession(ctx, u.ID, auth.Client{Address: "192.0.2.1", UserAgent: "scan"})
	if err != nil {
		t.Fatal(err)
	}
	for typ, addr := range map[string]string{
		vigil.ContactWebhook: echo.URL + "/hooks/" + secrets["webhook url key"],
		vigil.ContactSlack:   "C024BE91L", vigil.ContactSMS: "+15551234567", vigil.ContactEmail: "ana@example.com",
	} {
		if err := st.CreateContactMethod(ctx, &vigil.ContactMethod{UserID: u.ID, Name: typ, Type: typ, Address: addr}); err != nil {
			t.Fatal(err)
		}
	}
	g := &vigil.StakeholderGroup{Name: "execs", Channels: []vigil.StakeholderChannel{
		{Type: vigil.ContactTeams, Address: echo.URL + "/workflows/" + secrets["teams url key"]}}}
	if err := st.CreateStakeholderGroup(ctx, g); err != nil {
		t.Fatal(err)
	}
	p := &vigil.EscalationPolicy{Name: "primary", Steps: []vigil.EscalationStep{{Delay: vigil.Duration(5 * time.Minute),
		Targets: []vigil.Target{{Type: vigil.TargetUser, ID: u.ID}}}}}
	if err := st.CreateEscalationPolicy(ctx, p); err != nil {
		t.Fatal(err)
	}
	svc := &vigil.Service{Name: "checkout", EscalationPolicyID: p.ID}
	if err := st.CreateService(ctx, svc); err != nil {
		t.Fatal(err)
	}

	type answer struct{ what, body string }
	var answers []answer
	call := func(method, path, bearer, body string, cookie bool) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, a.URL()+path, strings.NewReader(body))
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		if cookie {
			req.AddCookie(&http.Cookie{Name: auth.SessionCookie, Value: sess.Secret})
		}
		if method != http.MethodGet {
			req.Header.Set("Origin", a.URL())
			req.Header.Set("Sec-Fetch-Site", "same-origin")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var hdr strings.Builder
		resp.Header.Write(&hdr)
		answers = append(answers, answer{fmt.Sprintf("%s %s (%d)", method, path, resp.StatusCode), hdr.String() + string(b)})
		return resp.StatusCode, string(b)
	}

	// Secrets handed out once: recorded, then their answers set aside.
	var once []string
	code, b := call("POST", fmt.Sprintf("/api/v1/services/%d/integration-keys", svc.ID), secrets["admin token"], `{"name":"scan"}`, false)
	if code != http.StatusCreated {
		t.Fatalf("create key: %d %s", code, b)
	}
	key := between(b, `"secret":"`, `"`)
	// (No API route mints tokens yet: the store does, as vigil admin
	// token create does.)
	token := vigil.NewSecret(vigil.TokenPrefix)
	if _, err := st.CreateAPIToken(ctx, "scan", vigil.RoleAdmin, token); err != nil {
		t.Fatal(err)
	}
	if key == "" || token == "" {
		t.Fatalf("no key or token handed out: %q %q", key, token)
	}
	secrets["integration key"], secrets["api token"] = key, token
	for _, a := range answers {
		once = append(once, a.what)
	}
	answers = nil

	// Traffic: an alert pages every channel (each vendor fails, echoing),
	// a status update goes to Teams, a test notification.
	if code, b := call("POST", "/api/v1/events", key, `{"summary":"disk full","severity":"critical","dedup_key":"disk"}`, false); code != http.StatusAccepted {
		t.Fatalf("event: %d %s", code, b)
	}
	incidents, _, err := st.FindIncidents(ctx, vigil.IncidentFilter{})
	if err != nil || len(incidents) != 1 {
		t.Fatalf("incidents %v %v", incidents, err)
	}
	inc := incidents[0]
	call("POST", fmt.Sprintf("/api/v1/incidents/%d/status-updates", inc.ID), secrets["admin token"], `{"message":"looking","groups":["execs"]}`, false)
	for range 3 {
		if _, err := a.EngineCycle(context.Background()); err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Minute)
	}

	// Every GET route of the API, as admin, with the responder token,
	// with a wrong token and anonymous; a truncated body on every POST.
	ids := strings.NewReplacer("{id}", fmt.Sprint(inc.ID), "{user}", fmt.Sprint(u.ID), "{service}", fmt.Sprint(svc.ID))
	for _, rt := range api.New(api.Deps{}).Routes() {
		path := ids.Replace(rt.Pattern)
		if i := strings.Index(path, "{"); i >= 0 {
			path = path[:i] + "1" + path[strings.Index(path, "}")+1:]
		}
		switch rt.Method {
		case http.MethodGet:
			for _, bearer := range []string{secrets["admin token"], token, "vgt_" + strings.Repeat("x", 32), ""} {
				call("GET", path, bearer, "", false)
			}
		case http.MethodPost, http.MethodPut, http.MethodPatch:
			call(rt.Method, path, secrets["admin token"], `{"name":`, false)
		}
	}
	call("GET", "/api/v2/status", "", "", false)
	call("GET", fmt.Sprintf("/api/v1/users/%d/contact-methods", u.ID), secrets["admin token"], "", false)
	call("GET", "/api/v1/stakeholder-groups", secrets["admin token"], "", false)
	call("GET", "/api/v1/notifications", secrets["admin token"], "", false)

	// The web pages a person reads.
	for _, path := range []string{"/incidents", fmt.Sprintf("/incidents/%d", inc.ID), fmt.Sprintf("/incidents/%d/notifications", inc.ID),
		"/services", fmt.Sprintf("/services/%d", svc.ID), "/users", fmt.Sprintf("/users/%d", u.ID), "/groups",
		fmt.Sprintf("/groups/%d", g.ID), "/audit", "/account", "/login", "/no/such/page"} {
		call("GET", path, "", "", true)
	}

	// The deliveries did fail, with the vendors' echoes in hand.
	ns, err := st.FindNotifications(ctx, vigil.NotificationFilter{})
	if err != nil {
		t.Fatal(err)
	}
	failed := 0
	for _, n := range ns {
		if n.LastError != "" {
			failed++
		}
		answers = append(answers, answer{fmt.Sprintf("notification %d (%s) last error", n.ID, n.DestType), n.LastError})
	}
	if failed < 3 {
		t.Errorf("only %d deliveries failed; the echoing vendor was not exercised", failed)
	}
	attempts := 0
	for _, n := range ns {
		as, err := st.FindNotificationAttempts(ctx, n.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, at := range as {
			attempts++
			answers = append(answers, answer{fmt.Sprintf("attempt of notification %d", n.ID), fmt.Sprintf("%+v", *at)})
		}
	}
	answers = append(answers, answer{"logs", logs.String()})

	if len(answers) < 100 {
		t.Fatalf("only %d answers scanned", len(answers))
	}
	for _, ans := range answers {
		for name, s := range secrets {
			if strings.Contains(ans.body, s) {
				t.Errorf("%s shows the %s: %.300s", ans.what, name, ans.body[max(0, strings.Index(ans.body, s)-150):])
			}
		}
	}
	t.Logf("scanned %d answers, %d attempts, %d bytes of logs; set aside the one-time answers %v", len(answers), attempts, len(logs.String()), once)
}

// between returns the text of s between the first from and the next to.
func between(s, from, to string) string {
	_, after, ok := strings.Cut(s, from)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(after, to)
	return v
}
