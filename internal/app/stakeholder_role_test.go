package app

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/storetest"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// A stakeholder through the real server: with a personal API token and in
// the web UI they read the incident a status update told their group
// about, with its timeline and status updates; an incident not shared with
// them is 404; every other route is 403. On SQLite always, on PostgreSQL
// when it is configured.
func TestStakeholderRoleOverHTTP(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testStakeholderOverHTTP(t, "") })
	t.Run("postgres", func(t *testing.T) { testStakeholderOverHTTP(t, storetest.NewPostgresURL(t)) })
}

func testStakeholderOverHTTP(t *testing.T, pgURL string) {
	token := vigil.NewSecret(vigil.TokenPrefix)
	clock := vigil.NewManualClock(time.Now().UTC().Truncate(time.Second))
	cfg := Config{Clock: clock, EngineInterval: -1, AdminToken: token, DatabaseURL: pgURL}
	if pgURL == "" {
		cfg.DataDir = t.TempDir()
	}
	a := startApp(t, cfg)
	st, base := a.Store(), a.URL()
	ctx := vigil.WithViewer(vigil.WithActor(context.Background(), vigil.Actor{Kind: vigil.ActorToken, Name: "seed", Source: vigil.SourceAPI}), vigil.SystemViewer)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	sten := &vigil.User{Name: "Sten", Email: "sten@example.com"}
	must(st.CreateUser(ctx, sten))
	must(st.SetUserRole(ctx, sten.ID, vigil.RoleStakeholder))
	tok, err := st.CreateToken(ctx, vigil.TokenSpec{Name: "sten", UserID: sten.ID, Scopes: vigil.Scopes})
	must(err)
	svc := &vigil.Service{Name: "checkout", Grouping: vigil.GroupingRule{Mode: vigil.GroupNone}}
	must(st.CreateService(ctx, svc))
	key, err := st.CreateIntegrationKey(ctx, svc.ID, "prometheus")
	must(err)
	must(st.CreateStakeholderGroup(ctx, &vigil.StakeholderGroup{Name: "Executives", MinSeverity: vigil.SeverityCritical, Members: []int64{sten.ID},
		Channels: []vigil.StakeholderChannel{{Type: vigil.ContactEmail, Address: "exec@example.com"}}}))

	postEvent(t, a, key.Secret, `{"dedup_key":"pay","summary":"payments failing","severity":"warning"}`)
	postEvent(t, a, key.Secret, `{"dedup_key":"disk","summary":"disk filling on db-2","severity":"warning"}`)
	find := func(q string) string {
		list, _, err := st.FindIncidents(ctx, vigil.IncidentFilter{Query: q})
		if err != nil || len(list) != 1 {
			t.Fatalf("incidents %q: %v %v", q, list, err)
		}
		return strconv.FormatInt(list[0].ID, 10)
	}
	shared, other := find("payments"), find("disk")

	admin := httpCaller{t: t, base: base, header: map[string]string{"Authorization": "Bearer " + token}}
	if code, body := admin.do("POST", "/api/v1/incidents/"+shared+"/status-updates", nil,
		`{"message":"Card payments are failing; a fix is rolling out.","groups":["Executives"]}`); code != http.StatusAccepted {
		t.Fatalf("status update: %d %s", code, excerptOf(body))
	}

	api := httpCaller{t: t, base: base, header: map[string]string{"Authorization": "Bearer " + tok.Secret}}
	for _, path := range []string{"/api/v1/incidents", "/api/v1/incidents?q=payments", "/api/v1/incidents/" + shared,
		"/api/v1/incidents/" + shared + "/timeline", "/api/v1/incidents/" + shared + "/status-updates"} {
		code, body := api.do("GET", path, nil, "")
		if code != http.StatusOK || !strings.Contains(body, "payments failing") && !strings.Contains(body, "a fix is rolling out") {
			t.Errorf("stakeholder GET %s: %d %s", path, code, excerptOf(body))
		}
		if strings.Contains(body, "disk filling") {
			t.Errorf("stakeholder GET %s shows the unshared incident", path)
		}
	}
	if _, body := api.do("GET", "/api/v1/incidents/"+shared+"/status-updates", nil, ""); !strings.Contains(body, "a fix is rolling out") {
		t.Errorf("the status updates miss the message: %s", excerptOf(body))
	}
	if _, body := api.do("GET", "/api/v1/incidents/"+shared, nil, ""); !strings.Contains(body, `"alerts":[]`) {
		t.Errorf("a stakeholder gets the incident's alerts: %s", excerptOf(body))
	}
	for _, path := range []string{"/api/v1/incidents/" + other, "/api/v1/incidents/" + other + "/timeline", "/api/v1/incidents/" + other + "/status-updates"} {
		if code, _ := api.do("GET", path, nil, ""); code != http.StatusNotFound {
			t.Errorf("stakeholder GET %s: %d, want 404", path, code)
		}
	}
	for _, path := range []string{"/api/v1/services", "/api/v1/alerts", "/api/v1/users", "/api/v1/schedules", "/api/v1/audit",
		"/api/v1/reports/noise", "/api/v2/alerts", "/api/v1/incidents/" + shared + "/notifications", "/api/v1/incidents/" + shared + "/roles"} {
		if code, _ := api.do("GET", path, nil, ""); code != http.StatusForbidden {
			t.Errorf("stakeholder GET %s: %d, want 403", path, code)
		}
	}
	if code, _ := api.do("GET", "/metrics", nil, ""); code != http.StatusForbidden {
		t.Errorf("stakeholder GET /metrics: %d, want 403", code)
	}
	if code, _ := admin.do("GET", "/metrics", nil, ""); code != http.StatusOK {
		t.Errorf("admin GET /metrics: %d, want 200", code)
	}
	if code, _ := api.do("POST", "/api/v1/incidents/"+shared+"/acknowledge", nil, "{}"); code != http.StatusForbidden {
		t.Errorf("stakeholder acknowledge: %d, want 403", code)
	}

	web := httpCaller{t: t, base: base, cookie: signInUser(t, base, st, sten)}
	if code, body := web.do("GET", "/incidents", nil, ""); code != http.StatusOK || !strings.Contains(body, "payments failing") || strings.Contains(body, "disk filling") {
		t.Errorf("web incident list: %d, shared shown %v, unshared shown %v", code, strings.Contains(body, "payments failing"), strings.Contains(body, "disk filling"))
	}
	if code, body := web.do("GET", "/incidents/"+shared, nil, ""); code != http.StatusOK || !strings.Contains(body, "a fix is rolling out") {
		t.Errorf("web incident page: %d %s", code, excerptOf(body))
	}
	if code, _ := web.do("GET", "/incidents/"+other, nil, ""); code != http.StatusNotFound {
		t.Errorf("web unshared incident: %d, want 404", code)
	}
	for _, path := range []string{"/services", "/users", "/audit"} {
		if code, _ := web.do("GET", path, nil, ""); code != http.StatusForbidden {
			t.Errorf("web GET %s: %d, want 403", path, code)
		}
	}
	if code, _ := web.do("POST", "/incidents/"+shared+"/notes", url.Values{"body": {"hi"}}, ""); code != http.StatusForbidden {
		t.Errorf("web note: %d, want 403", code)
	}
}
