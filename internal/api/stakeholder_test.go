package api_test

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// The secret part of a stakeholder group's Teams URL: never in an answer
// unless reveal=true.
const (
	teamsSecret = "wf-s3cr3t-0815"
	teamsURL    = "https://example.webhook.office.com/workflows/" + teamsSecret
)

// seedGroups creates, after seed: an incident ({inc}, critical, service
// checkout), groups Support ({support}: Slack + e-mail, hears critical)
// and Executives ({execs}: Teams, only when named).
func seedGroups(e *ocEnv) {
	e.create("inc", "/api/v1/incidents", `{"service_id":{svc},"title":"Checkout down","severity":"critical"}`, 201)
	e.create("support", "/api/v1/stakeholder-groups", `{"name":"Support","min_severity":"critical",
		"channels":[{"type":"slack","address":"C0SUPPORT1"},{"type":"email","address":"support@example.com","name":"list"}]}`, 201)
	e.create("execs", "/api/v1/stakeholder-groups", `{"name":"Executives","description":"C-level",
		"channels":[{"type":"teams","address":"`+teamsURL+`"}]}`, 201)
}

// statusQueued counts the status messages queued for incident {inc}.
func statusQueued(e *ocEnv) int {
	e.t.Helper()
	id, _ := strconv.ParseInt(e.vars["inc"], 10, 64)
	list, err := e.store.FindNotifications(context.Background(), vigil.NotificationFilter{IncidentID: &id})
	if err != nil {
		e.t.Fatal(err)
	}
	n := 0
	for _, m := range list {
		if m.Kind == vigil.MessageStatus {
			n++
		}
	}
	return n
}

func wantTeamsAddress(e *ocEnv, want string) {
	e.t.Helper()
	id, _ := strconv.ParseInt(e.vars["execs"], 10, 64)
	g, err := e.store.FindStakeholderGroup(context.Background(), id)
	if err != nil || len(g.Channels) == 0 || g.Channels[0].Address != want {
		e.t.Errorf("stored group %+v (%v), want address %q", g, err, want)
	}
}

func stakeholderScenarios() []ocScenario {
	const groups, group = "/api/v1/stakeholder-groups", "/api/v1/stakeholder-groups/{execs}"
	const updates = "/api/v1/incidents/{inc}/status-updates"
	masked := "https://example.webhook.office.com/…"
	return []ocScenario{
		{name: "groups need a token", method: "GET", path: groups, noAuth: true, status: 401, absent: []string{"Support"}},
		{name: "status update needs a token", method: "POST", path: updates, body: `{"message":"x"}`, noAuth: true, status: 401,
			check: func(e *ocEnv, _ string) {
				if n := statusQueued(e); n != 0 {
					e.t.Errorf("%d queued without a token", n)
				}
			}},

		// Groups.
		{name: "create answers masked", method: "POST", path: groups,
			body:   `{"name":"Security","channels":[{"type":"webhook","address":"https://hooks.example.com/sec/` + hookSecret + `"},{"type":"slack","address":"#sec-incidents"}]}`,
			status: 201, contains: []string{`"name":"Security"`, `"address":"https://hooks.example.com/…"`, `"address":"#sec-incidents"`, `"name":"webhook"`},
			absent: []string{hookSecret}},
		{name: "list masks", method: "GET", path: groups, status: 200,
			contains: []string{`"name":"Executives"`, `"name":"Support"`, masked, `"address":"support@example.com"`, `"min_severity":"critical"`},
			absent:   []string{teamsSecret},
			check: func(e *ocEnv, body string) {
				if strings.Index(body, "Executives") > strings.Index(body, "Support") {
					e.t.Errorf("not by name: %s", body)
				}
			}},
		{name: "list reveals on request", method: "GET", path: groups + "?reveal=true", status: 200, contains: []string{teamsURL}},
		{name: "list bad reveal", method: "GET", path: groups + "?reveal=maybe", status: 400, contains: []string{`"field":"reveal"`}},
		{name: "get masks", method: "GET", path: group, status: 200, contains: []string{masked, `"description":"C-level"`}, absent: []string{teamsSecret}},
		{name: "get unknown", method: "GET", path: groups + "/9999", status: 404},
		{name: "put the masked form back keeps the secret", method: "PUT", path: group,
			body:   `{"name":"Execs","min_severity":"error","channels":[{"type":"teams","address":"` + masked + `"},{"type":"email","address":"exec@example.com"}]}`,
			status: 200, contains: []string{`"name":"Execs"`, masked, `"min_severity":"error"`}, absent: []string{teamsSecret},
			check: func(e *ocEnv, _ string) { wantTeamsAddress(e, teamsURL) }},
		{name: "put a new URL replaces it", method: "PUT", path: group,
			body:   `{"name":"Executives","channels":[{"type":"teams","address":"https://example.webhook.office.com/workflows/new"}]}`,
			status: 200, check: func(e *ocEnv, _ string) { wantTeamsAddress(e, "https://example.webhook.office.com/workflows/new") }},
		{name: "put a taken name in other case", method: "PUT", path: group, body: `{"name":"SUPPORT","channels":[{"type":"email","address":"a@example.com"}]}`,
			status: 409, contains: []string{`"field":"name"`}},
		{name: "create a taken name", method: "POST", path: groups, body: `{"name":"support","channels":[{"type":"email","address":"a@example.com"}]}`,
			status: 409, contains: []string{`"field":"name"`}},
		{name: "bad channel address", method: "POST", path: groups,
			body:   `{"name":"Legal","channels":[{"type":"email","address":"legal@example.com"},{"type":"webhook","address":"not a url"}]}`,
			status: 400, contains: []string{`"field":"channels[1].address"`}},
		{name: "bad channel type", method: "POST", path: groups, body: `{"name":"Legal","channels":[{"type":"sms","address":"+4915112345678"}]}`,
			status: 400, contains: []string{`"field":"channels[0].type"`}},
		{name: "bad severity", method: "POST", path: groups, body: `{"name":"Legal","min_severity":"SEV1","channels":[{"type":"email","address":"l@example.com"}]}`,
			status: 400, contains: []string{`"field":"min_severity"`}},
		{name: "unknown field", method: "POST", path: groups, body: `{"name":"Legal","chanels":[]}`, status: 400},
		{name: "delete", method: "DELETE", path: group, status: 204,
			check: func(e *ocEnv, _ string) {
				if res := e.do("GET", group, "", true); res.status != 404 {
					e.t.Errorf("after delete GET answers %d", res.status)
				}
			}},
		{name: "delete unknown", method: "DELETE", path: groups + "/9999", status: 404},

		// Status updates.
		{name: "update by severity", method: "POST", path: updates, body: `{"message":"We are rolling back."}`, status: 202,
			contains: []string{`"groups":["Support"]`, `"message":"We are rolling back."`, `"kind":"status"`, `"channel":"list"`,
				`"dest_address":"support@example.com"`, `"dest_type":"slack"`, `"status":"pending"`, `"actor":"admin"`},
			absent: []string{"Executives"},
			check: func(e *ocEnv, _ string) {
				if n := statusQueued(e); n != 2 {
					e.t.Errorf("%d messages queued, want 2 (Support's channels)", n)
				}
				res := e.do("GET", "/api/v1/incidents/{inc}/timeline", "", true)
				if !strings.Contains(res.body, `"kind":"status_update"`) || !strings.Contains(res.body, "Status update to Support: We are rolling back.") {
					e.t.Errorf("timeline %.2000s", res.body)
				}
			}},
		{name: "update to named groups", method: "POST", path: updates, body: `{"message":"Board call at 3","groups":["executives"]}`, status: 202,
			contains: []string{`"groups":["Executives"]`, `"dest_type":"teams"`, `"dest_address":"` + masked + `"`}, absent: []string{teamsSecret, "Support"}},
		{name: "update to an unknown group", method: "POST", path: updates, body: `{"message":"x","groups":["Support","Legal"]}`, status: 400,
			contains: []string{`"field":"groups[1]"`, "Legal"},
			check: func(e *ocEnv, _ string) {
				if n := statusQueued(e); n != 0 {
					e.t.Errorf("%d queued by a refused update", n)
				}
			}},
		{name: "update nobody hears", method: "POST", path: "/api/v1/incidents/{low}/status-updates", body: `{"message":"FYI"}`, status: 409,
			setup: func(e *ocEnv) {
				e.create("low", "/api/v1/incidents", `{"service_id":{svc},"title":"Cert renews","severity":"info"}`, 201)
			},
			contains: []string{"no stakeholder group"}},
		{name: "update without message", method: "POST", path: updates, body: `{"message":"  "}`, status: 400, contains: []string{`"field":"message"`}},
		{name: "update unknown incident", method: "POST", path: "/api/v1/incidents/9999/status-updates", body: `{"message":"x"}`, status: 404},
		{name: "list updates", method: "GET", path: updates, status: 200,
			setup: func(e *ocEnv) {
				e.must("POST", updates, `{"message":"first"}`, 202)
				e.must("POST", updates, `{"message":"second","groups":["Executives","Support"]}`, 202)
			},
			contains: []string{`"groups":["Executives","Support"]`, masked}, absent: []string{teamsSecret},
			check: func(e *ocEnv, body string) {
				var got struct {
					Items []struct {
						Message  string `json:"message"`
						Messages []struct {
							Group  string `json:"group"`
							Kind   string `json:"kind"`
							Status string `json:"status"`
						} `json:"messages"`
					} `json:"items"`
				}
				if err := json.Unmarshal([]byte(body), &got); err != nil {
					e.t.Fatal(err)
				}
				if len(got.Items) != 2 || got.Items[0].Message != "second" || len(got.Items[0].Messages) != 3 || len(got.Items[1].Messages) != 2 ||
					got.Items[0].Messages[0].Group != "Executives" || got.Items[0].Messages[0].Kind != "status" {
					e.t.Errorf("updates %+v", got)
				}
			}},
		{name: "list updates of an unknown incident", method: "GET", path: "/api/v1/incidents/9999/status-updates", status: 404},
	}
}

func TestStakeholderScenarios(t *testing.T) {
	for _, sc := range stakeholderScenarios() {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			e := newOCEnv(t)
			e.seed()
			seedGroups(e)
			if sc.setup != nil {
				sc.setup(e)
			}
			res := e.do(sc.method, sc.path, sc.body, !sc.noAuth)
			if res.status != sc.status {
				t.Errorf("status %d, want %d; body: %.800s", res.status, sc.status, res.body)
			}
			for _, s := range sc.contains {
				if !strings.Contains(res.body, e.expand(s)) {
					t.Errorf("body lacks %s: %.1500s", e.expand(s), res.body)
				}
			}
			for _, s := range sc.absent {
				if strings.Contains(res.body, e.expand(s)) {
					t.Errorf("body contains %s: %.1500s", e.expand(s), res.body)
				}
			}
			if res.status >= 400 && !strings.Contains(res.body, `"error":{"code":`) {
				t.Errorf("error answer not in the error shape: %.300s", res.body)
			}
			if sc.check != nil {
				sc.check(e, res.body)
			}
		})
	}
}
