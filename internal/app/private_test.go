package app

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/storetest"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// Private incidents through the real server (catalog H8): every read path
// of the web UI and the API, for people who may see the incident (a
// responder, the team's manager, a security-group member, an admin) and
// people who may not (a member of the team, the manager of another team,
// a member of a plain stakeholder group), who get 404 as if it did not
// exist. On SQLite always, on PostgreSQL when it is configured.
func TestPrivateIncidentsOverHTTP(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testPrivateOverHTTP(t, "") })
	t.Run("postgres", func(t *testing.T) { testPrivateOverHTTP(t, storetest.NewPostgresURL(t)) })
}

const (
	secretTitle = "credential breach on login"
	publicTitle = "disk filling on db-2"
)

type httpCaller struct {
	t      *testing.T
	base   string
	cookie *http.Cookie
	header map[string]string
}

func (c httpCaller) do(method, path string, form url.Values, body string) (int, string) {
	c.t.Helper()
	var rd io.Reader
	if form != nil {
		rd = strings.NewReader(form.Encode())
	} else if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if method != "GET" {
		req.Header.Set("Origin", c.base)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	if c.cookie != nil {
		req.AddCookie(c.cookie)
	}
	for k, v := range c.header {
		req.Header.Set(k, v)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func testPrivateOverHTTP(t *testing.T, pgURL string) {
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
	user := func(name string) *vigil.User {
		u := &vigil.User{Name: name, Email: strings.ToLower(name) + "@example.com"}
		must(st.CreateUser(ctx, u))
		return u
	}
	rita, mona, sam, adam := user("Rita"), user("Mona"), user("Sam"), user("Adam")
	stan, olga, sue := user("Stan"), user("Olga"), user("Sue")
	must(st.SetUserRole(ctx, adam.ID, vigil.RoleAdmin))
	team := &vigil.Team{Name: "payments", Members: []int64{mona.ID, stan.ID}, Managers: []int64{mona.ID}}
	must(st.CreateTeam(ctx, team))
	must(st.CreateTeam(ctx, &vigil.Team{Name: "search", Members: []int64{olga.ID}, Managers: []int64{olga.ID}}))
	svc := &vigil.Service{Name: "payments", TeamID: team.ID, Grouping: vigil.GroupingRule{Mode: vigil.GroupNone}}
	must(st.CreateService(ctx, svc))
	key, err := st.CreateIntegrationKey(ctx, svc.ID, "prometheus")
	must(err)
	must(st.CreateStakeholderGroup(ctx, &vigil.StakeholderGroup{Name: "Security", Security: true, Members: []int64{sam.ID},
		Channels: []vigil.StakeholderChannel{{Type: vigil.ContactEmail, Address: "sec@example.com"}}}))
	plain := &vigil.StakeholderGroup{Name: "Support", MinSeverity: vigil.SeverityInfo, Members: []int64{sue.ID},
		Channels: []vigil.StakeholderChannel{{Type: vigil.ContactEmail, Address: "support@example.com"}}}
	must(st.CreateStakeholderGroup(ctx, plain))

	postEvent(t, a, key.Secret, `{"dedup_key":"breach","summary":"`+secretTitle+`","severity":"critical"}`)
	postEvent(t, a, key.Secret, `{"dedup_key":"disk","summary":"`+publicTitle+`","severity":"warning"}`)
	list, _, err := st.FindIncidents(ctx, vigil.IncidentFilter{Query: "breach"})
	if err != nil || len(list) != 1 {
		t.Fatalf("incidents %v %v", list, err)
	}
	id := strconv.FormatInt(list[0].ID, 10)

	web := func(u *vigil.User) httpCaller {
		return httpCaller{t: t, base: base, cookie: signInUser(t, base, st, u)}
	}
	api := httpCaller{t: t, base: base, header: map[string]string{"Authorization": "Bearer " + token}}

	// Rita acknowledges it from the web while it is public: she is one of
	// its responders from then on.
	if code, body := web(rita).do("POST", "/incidents/"+id+"/acknowledge", url.Values{}, ""); code != http.StatusSeeOther {
		t.Fatalf("acknowledge: %d %s", code, excerptOf(body))
	}
	// Bad input names the field.
	if code, body := api.do("PATCH", "/api/v1/incidents/"+id, nil, `{"private":"yes"}`); code != http.StatusBadRequest || !strings.Contains(body, "private") {
		t.Errorf("PATCH private \"yes\": %d %s", code, body)
	}
	if code, body := api.do("PATCH", "/api/v1/incidents/"+id, nil, `{"private":true}`); code != http.StatusOK || !strings.Contains(body, `"private":true`) {
		t.Fatalf("PATCH private: %d %s", code, body)
	}

	allowed := map[string]httpCaller{"responder": web(rita), "team manager": web(mona), "security member": web(sam), "admin": web(adam)}
	denied := map[string]httpCaller{"team member": web(stan), "manager of another team": web(olga), "plain group member": web(sue)}
	check := func(name string, c httpCaller, may bool) {
		t.Run(name, func(t *testing.T) {
			c.t = t
			wantCode := http.StatusNotFound
			if may {
				wantCode = http.StatusOK
			}
			code, body := c.do("GET", "/incidents/"+id, nil, "")
			if code != wantCode || strings.Contains(body, secretTitle) != may {
				t.Errorf("GET /incidents/%s: %d, title shown %v; want %d", id, code, strings.Contains(body, secretTitle), wantCode)
			}
			if may && !strings.Contains(body, `id="incident-private"`) {
				t.Errorf("the incident page does not say it is private")
			}
			if code, _ := c.do("GET", "/incidents/"+id+"/notifications", nil, ""); code != wantCode {
				t.Errorf("GET /incidents/%s/notifications: %d, want %d", id, code, wantCode)
			}
			for _, path := range []string{"/incidents", "/incidents?q=breach", "/incidents?status=acknowledged"} {
				code, body := c.do("GET", path, nil, "")
				if code != http.StatusOK || strings.Contains(body, secretTitle) != may {
					t.Errorf("GET %s: %d, private incident listed %v, want %v", path, code, strings.Contains(body, secretTitle), may)
				}
			}
			if code, body := c.do("GET", "/incidents", nil, ""); !strings.Contains(body, publicTitle) || strings.Contains(body, ">private</span>") != may {
				t.Errorf("GET /incidents: %d, the public incident is missing or the private mark is wrong", code)
			}
			if !may {
				for _, post := range []struct {
					path string
					form url.Values
				}{
					{"/incidents/" + id + "/notes", url.Values{"body": {"peek"}}},
					{"/incidents/" + id + "/private", url.Values{"private": {"false"}}},
					{"/incidents/" + id + "/resolve", url.Values{}},
					{"/incidents/" + id + "/status-updates", url.Values{"message": {"x"}}},
				} {
					if code, _ := c.do("POST", post.path, post.form, ""); code != http.StatusNotFound {
						t.Errorf("POST %s: %d, want 404", post.path, code)
					}
				}
			}
		})
	}
	for name, c := range allowed {
		check(name, c, true)
	}
	for name, c := range denied {
		check(name, c, false)
	}

	// The API (tokens are admin's today) sees it, with the change on the
	// timeline and in the audit log.
	for _, path := range []string{"/api/v1/incidents/" + id, "/api/v1/incidents?q=breach", "/api/v1/incidents/" + id + "/timeline",
		"/api/v1/alerts", "/api/v2/alerts"} {
		if code, body := api.do("GET", path, nil, ""); code != http.StatusOK || !strings.Contains(body, secretTitle) {
			t.Errorf("admin GET %s: %d, title shown %v", path, code, strings.Contains(body, secretTitle))
		}
	}
	if _, body := api.do("GET", "/api/v1/incidents/"+id+"/timeline", nil, ""); !strings.Contains(body, `"kind":"visibility"`) {
		t.Errorf("the timeline does not say it was made private: %s", excerptOf(body))
	}
	if _, body := api.do("GET", "/api/v1/audit?action=incident.private", nil, ""); !strings.Contains(body, `"action":"incident.private"`) {
		t.Errorf("the audit log does not say it was made private: %s", excerptOf(body))
	}
	// Alertmanager API readers with an integration key are no one in
	// particular: they see the public alert only.
	amKey := httpCaller{t: t, base: base, header: map[string]string{"Authorization": "Bearer " + key.Secret}}
	for _, path := range []string{"/api/v2/alerts", "/api/v2/alerts/groups"} {
		code, body := amKey.do("GET", path, nil, "")
		if code != http.StatusOK || strings.Contains(body, secretTitle) || !strings.Contains(body, publicTitle) {
			t.Errorf("integration key GET %s: %d, private shown %v: %s", path, code, strings.Contains(body, secretTitle), excerptOf(body))
		}
	}
	// Metrics count incidents without naming them.
	if code, body := api.do("GET", "/metrics", nil, ""); code != http.StatusOK || strings.Contains(body, "breach") {
		t.Errorf("GET /metrics: %d, names the private incident %v", code, strings.Contains(body, "breach"))
	}

	// A status update tells the security group only.
	if code, body := api.do("POST", "/api/v1/incidents/"+id+"/status-updates", nil, `{"message":"contained","groups":["Support"]}`); code != http.StatusBadRequest || !strings.Contains(body, "groups[0]") {
		t.Errorf("status update to Support: %d %s", code, body)
	}
	if code, body := api.do("POST", "/api/v1/incidents/"+id+"/status-updates", nil, `{"message":"contained"}`); code != http.StatusAccepted || !strings.Contains(body, `"groups":["Security"]`) {
		t.Errorf("status update: %d %s", code, body)
	}

	// Group members: only an admin may change them.
	gid := strconv.FormatInt(plain.ID, 10)
	web(stan).do("POST", "/groups/"+gid+"/members", url.Values{"security": {"on"}, "member": {strconv.FormatInt(stan.ID, 10)}}, "")
	if g, _ := st.FindStakeholderGroup(ctx, plain.ID); g.Security || len(g.Members) != 1 || g.Members[0] != sue.ID {
		t.Errorf("a responder changed the group: security %v members %v", g.Security, g.Members)
	}
	if code, _ := web(adam).do("POST", "/groups/"+gid+"/members", url.Values{"member": {strconv.FormatInt(sue.ID, 10), strconv.FormatInt(stan.ID, 10)}}, ""); code != http.StatusSeeOther {
		t.Errorf("admin saving members: %d", code)
	}
	if g, _ := st.FindStakeholderGroup(ctx, plain.ID); len(g.Members) != 2 {
		t.Errorf("members after the admin saved: %v", g.Members)
	}

	// The team manager makes it public from the web: everyone sees it.
	if code, _ := web(mona).do("POST", "/incidents/"+id+"/private", url.Values{"private": {"false"}}, ""); code != http.StatusSeeOther {
		t.Fatalf("making it public: %d", code)
	}
	if code, body := web(olga).do("GET", "/incidents/"+id, nil, ""); code != http.StatusOK || !strings.Contains(body, secretTitle) {
		t.Errorf("public again, another team's manager gets %d", code)
	}
	if code, body := amKey.do("GET", "/api/v2/alerts", nil, ""); code != http.StatusOK || !strings.Contains(body, secretTitle) {
		t.Errorf("public again, the Alertmanager API hides it: %d", code)
	}
}

func excerptOf(s string) string {
	if len(s) > 400 {
		return s[:400] + "…"
	}
	return s
}
