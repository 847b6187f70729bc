package server

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/api"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// The authorization matrix (issue 6, done-when): every route of the API
// route table, called by every kind of caller, gives the expected answer.
// The expectations below are written out by hand, apart from the access
// table the server enforces, and a route without one fails the test.

// Who may call a route.
const (
	needRead      = "read"
	needIncidents = "read-incidents" // needRead, and stakeholders (on what is shared with them)
	needRespond   = "respond"
	needRespondOn = "respond-on"  // needRespond, or a responder of the incident's team
	needManage    = "manage"      // global managers and admins
	needTeam      = "team"        // needManage, or a manager of the owning team
	needAdmin     = "admin"       // admins only
	needSelf      = "self"        // admins, or the user of the path (the responder here)
	needIngest    = "ingest"      // admins and ingest tokens
	needOwner     = "owner"       // admins, or the owner of the token of the path (the responder)
	needKey       = "integration" // integration keys only: every API token is refused
	needOwnCheck  = "own-check"   // no API token; the handler checks its own credential
	matrixBodyFmt = `{"team_id": %d}`
)

var matrixExpect = map[string]string{
	"GET /api/v1/services":                                     needRead,
	"POST /api/v1/services":                                    needTeam,
	"GET /api/v1/services/{id}":                                needRead,
	"PATCH /api/v1/services/{id}":                              needTeam,
	"DELETE /api/v1/services/{id}":                             needTeam,
	"POST /api/v1/services/{id}/integration-keys":              needTeam,
	"GET /api/v1/services/{id}/integration-keys":               needRead,
	"DELETE /api/v1/services/{id}/integration-keys/{key_id}":   needTeam,
	"GET /api/v1/integration-keys/{id}/rules":                  needRead,
	"PUT /api/v1/integration-keys/{id}/rules":                  needTeam,
	"GET /api/v1/incidents":                                    needIncidents,
	"POST /api/v1/incidents":                                   needRespond,
	"GET /api/v1/incidents/{id}":                               needIncidents,
	"PATCH /api/v1/incidents/{id}":                             needRespondOn,
	"POST /api/v1/incidents/{id}/acknowledge":                  needRespondOn,
	"POST /api/v1/incidents/{id}/resolve":                      needRespondOn,
	"POST /api/v1/incidents/{id}/reopen":                       needRespondOn,
	"POST /api/v1/incidents/{id}/notes":                        needRespondOn,
	"GET /api/v1/incidents/{id}/timeline":                      needIncidents,
	"GET /api/v1/incidents/{id}/roles":                         needRead,
	"PUT /api/v1/incidents/{id}/roles/{role}":                  needRespondOn,
	"DELETE /api/v1/incidents/{id}/roles/{role}":               needRespondOn,
	"GET /api/v1/alerts":                                       needRead,
	"GET /api/v1/alerts/{id}":                                  needRead,
	"POST /api/v1/integrations/preview":                        needRead,
	"GET /api/v1/openapi.json":                                 needRead,
	"GET /api/v1/changes":                                      needRead,
	"GET /api/v1/services/{id}/changes":                        needRead,
	"GET /api/v1/incidents/{id}/changes":                       needRead,
	"GET /api/v1/services/{id}/heartbeats":                     needRead,
	"POST /api/v1/services/{id}/heartbeats":                    needTeam,
	"GET /api/v1/heartbeats/{id}":                              needRead,
	"PATCH /api/v1/heartbeats/{id}":                            needTeam,
	"DELETE /api/v1/heartbeats/{id}":                           needTeam,
	"POST /api/v1/heartbeats/{id}/ping":                        needIngest,
	"POST /api/v1/services/{id}/events":                        needIngest,
	"GET /api/v1/users":                                        needRead,
	"POST /api/v1/users":                                       needAdmin,
	"GET /api/v1/users/{id}":                                   needRead,
	"PUT /api/v1/users/{id}":                                   needSelf,
	"DELETE /api/v1/users/{id}":                                needAdmin,
	"GET /api/v1/users/{id}/contact-methods":                   needRead,
	"POST /api/v1/users/{id}/contact-methods":                  needSelf,
	"PUT /api/v1/users/{id}/contact-methods/{method_id}":       needSelf,
	"DELETE /api/v1/users/{id}/contact-methods/{method_id}":    needSelf,
	"POST /api/v1/users/{id}/contact-methods/{method_id}/test": needSelf,
	"GET /api/v1/users/{id}/notification-rules":                needRead,
	"POST /api/v1/users/{id}/notification-rules":               needSelf,
	"DELETE /api/v1/users/{id}/notification-rules/{rule_id}":   needSelf,
	"GET /api/v1/teams":                                        needRead,
	"POST /api/v1/teams":                                       needAdmin,
	"GET /api/v1/teams/{id}":                                   needRead,
	"PUT /api/v1/teams/{id}":                                   needAdmin,
	"DELETE /api/v1/teams/{id}":                                needAdmin,
	"GET /api/v1/schedules":                                    needRead,
	"POST /api/v1/schedules":                                   needTeam,
	"GET /api/v1/schedules/{id}":                               needRead,
	"PUT /api/v1/schedules/{id}":                               needTeam,
	"DELETE /api/v1/schedules/{id}":                            needTeam,
	"GET /api/v1/schedules/{id}/on-call":                       needRead,
	"GET /api/v1/schedules/{id}/shifts":                        needRead,
	"GET /api/v1/schedules/{id}/overrides":                     needRead,
	"POST /api/v1/schedules/{id}/overrides":                    needTeam,
	"DELETE /api/v1/schedules/{id}/overrides/{override_id}":    needTeam,
	"GET /api/v1/on-call":                                      needRead,
	"GET /api/v1/escalation-policies":                          needRead,
	"POST /api/v1/escalation-policies":                         needTeam,
	"GET /api/v1/escalation-policies/{id}":                     needRead,
	"PUT /api/v1/escalation-policies/{id}":                     needTeam,
	"DELETE /api/v1/escalation-policies/{id}":                  needTeam,
	"GET /api/v1/incidents/{id}/notifications":                 needRead,
	"GET /api/v1/notifications/{id}/attempts":                  needRead,
	"POST /api/v1/page":                                        needRespond,
	"GET /api/v1/silences":                                     needRead,
	"POST /api/v1/silences":                                    needRespond,
	"GET /api/v1/silences/{id}":                                needRead,
	"DELETE /api/v1/silences/{id}":                             needRespond,
	"GET /api/v2/silences":                                     needRead,
	"POST /api/v2/silences":                                    needRespond,
	"GET /api/v2/silence/{silenceID}":                          needRead,
	"DELETE /api/v2/silence/{silenceID}":                       needRespond,
	"GET /api/v2/alerts":                                       needRead,
	"GET /api/v2/alerts/groups":                                needRead,
	"GET /api/v2/status":                                       needRead,
	"GET /api/v2/receivers":                                    needRead,
	"GET /api/v1/maintenance-windows":                          needRead,
	"POST /api/v1/maintenance-windows":                         needManage,
	"GET /api/v1/maintenance-windows/{id}":                     needRead,
	"PUT /api/v1/maintenance-windows/{id}":                     needManage,
	"DELETE /api/v1/maintenance-windows/{id}":                  needManage,
	"GET /api/v1/inhibit-rules":                                needRead,
	"POST /api/v1/inhibit-rules":                               needManage,
	"GET /api/v1/inhibit-rules/{id}":                           needRead,
	"PUT /api/v1/inhibit-rules/{id}":                           needManage,
	"DELETE /api/v1/inhibit-rules/{id}":                        needManage,
	"GET /api/v1/schedules/{id}/ical":                          needRead,
	"GET /api/v1/users/{id}/ical":                              needRead,
	"GET /api/v1/schedules/{id}/ical-url":                      needRead,
	"GET /api/v1/users/{id}/ical-url":                          needSelf,
	"POST /api/v1/ical-urls/rotate":                            needAdmin,
	"GET /api/v1/stakeholder-groups":                           needRead,
	"POST /api/v1/stakeholder-groups":                          needAdmin,
	"GET /api/v1/stakeholder-groups/{id}":                      needRead,
	"PUT /api/v1/stakeholder-groups/{id}":                      needAdmin,
	"DELETE /api/v1/stakeholder-groups/{id}":                   needAdmin,
	"POST /api/v1/incidents/{id}/status-updates":               needRespondOn,
	"GET /api/v1/incidents/{id}/status-updates":                needIncidents,
	"GET /api/v1/classification-rules":                         needRead,
	"PUT /api/v1/classification-rules":                         needAdmin,
	"POST /api/v1/classification-rules/backtest":               needAdmin,
	"POST /api/v1/route-test":                                  needRead,
	"GET /api/v1/incidents/{id}/feedback":                      needRead,
	"PUT /api/v1/incidents/{id}/feedback":                      needRespondOn,
	"GET /api/v1/reports/noise":                                needRead,
	"GET /api/v1/audit":                                        needAdmin,
	"POST /api/v1/users/{id}/password-reset":                   needAdmin,
	"GET /api/v1/users/{id}/sessions":                          needAdmin,
	"DELETE /api/v1/users/{id}/sessions":                       needAdmin,
	"GET /api/v1/users/{id}/identities":                        needSelf,
	"DELETE /api/v1/users/{id}/identities/{identity_id}":       needSelf,
	"GET /api/v1/tokens":                                       needRead,
	"POST /api/v1/tokens":                                      needRead,
	"DELETE /api/v1/tokens/{id}":                               needOwner,

	"POST /api/v1/events":                         needKey,
	"POST /api/v1/integrations/alertmanager":      needKey,
	"POST /api/v2/alerts":                         needKey,
	"POST /v2/enqueue":                            needOwnCheck,
	"POST /generic/2010-04-15/create_event.json":  needOwnCheck,
	"POST /v2/change/enqueue":                     needOwnCheck,
	"POST /v2/alerts":                             needOwnCheck,
	"POST /v2/alerts/{identifier}/close":          needOwnCheck,
	"POST /v2/alerts/{identifier}/acknowledge":    needOwnCheck,
	"GET /v2/alerts/requests/{requestId}":         needOwnCheck,
	"POST /v2/heartbeats":                         needOwnCheck,
	"GET /v2/heartbeats":                          needOwnCheck,
	"GET /v2/heartbeats/{heartbeatName}":          needOwnCheck,
	"PATCH /v2/heartbeats/{heartbeatName}":        needOwnCheck,
	"DELETE /v2/heartbeats/{heartbeatName}":       needOwnCheck,
	"POST /v2/heartbeats/{heartbeatName}/enable":  needOwnCheck,
	"POST /v2/heartbeats/{heartbeatName}/disable": needOwnCheck,
	"GET /v2/heartbeats/{heartbeatName}/ping":     needOwnCheck,
	"POST /v2/heartbeats/{heartbeatName}/ping":    needOwnCheck,
	"PUT /v2/heartbeats/{heartbeatName}/ping":     needOwnCheck,
	"PATCH /v2/heartbeats/{heartbeatName}/ping":   needOwnCheck,
	"POST /api/v1/inbound/slack/actions":          needOwnCheck,
	"POST /api/v1/inbound/twilio/sms":             needOwnCheck,
	"POST /api/v1/inbound/twilio/voice":           needOwnCheck,
	"GET /api/v1/feeds/schedule/{id}/{token}":     needOwnCheck,
	"GET /api/v1/feeds/user/{id}/{token}":         needOwnCheck,
}

// The callers. People call the API with personal tokens holding every
// scope, so their role alone decides.
var matrixCallers = []string{
	"anonymous", "stakeholder", "viewer", "responder", "manager-of-other-team", "manager-of-team", "admin",
	"responder-of-team", "responder-of-other-team",
	"token:read", "token:respond", "token:manage", "token:admin", "token:ingest",
}

// teamResponder: viewers who respond for a team (the fixture's incident
// is team a's).
func teamResponder(caller string) bool {
	return caller == "responder-of-team" || caller == "responder-of-other-team"
}

// matrixAllows says whether caller gets past authorization on a route
// that needs need.
func matrixAllows(need, caller string) bool {
	switch caller {
	case "anonymous":
		return false
	case "admin", "token:admin":
		return true
	}
	if caller == "stakeholder" {
		return need == needIncidents
	}
	switch need {
	case needRead, needIncidents:
		return caller != "token:ingest"
	case needRespond:
		return caller != "token:ingest" && caller != "token:read" && caller != "viewer" && !teamResponder(caller)
	case needRespondOn:
		return caller == "responder-of-team" || matrixAllows(needRespond, caller)
	case needManage:
		return caller == "token:manage"
	case needTeam:
		return caller == "token:manage" || caller == "manager-of-team"
	case needSelf, needOwner:
		return caller == "responder"
	case needIngest:
		return caller == "token:ingest"
	}
	return false // needAdmin
}

// matrixFixture is one server with the objects routes need: team A owns
// the service, its schedule and its policy; team B is another team.
type matrixFixture struct {
	e       *env
	teamA   int64
	tokens  map[string]string // caller -> secret
	path    map[string]string // {name} -> value, by path prefix in expand
	victim  int64             // the responder's own token, for DELETE /tokens/{id}
	userIDs map[string]int64
}

func newMatrixFixture(t *testing.T) *matrixFixture {
	e := newEnv(t)
	e.allowErrorLogs = true // handlers get made-up bodies; only statuses matter here
	ctx := vigil.WithActor(context.Background(), vigil.Actor{Kind: vigil.ActorSystem, Name: "fixture", Source: vigil.SourceSystem})
	st := e.store
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	f := &matrixFixture{e: e, tokens: map[string]string{}, path: map[string]string{}, userIDs: map[string]int64{}}
	person := func(name, role string) int64 {
		u := &vigil.User{Name: name, Email: name + "@example.com"}
		must(st.CreateUser(ctx, u))
		must(st.SetUserRole(ctx, u.ID, role))
		tok, err := st.CreateToken(ctx, vigil.TokenSpec{Name: name, UserID: u.ID, Scopes: vigil.Scopes})
		must(err)
		f.tokens[name], f.userIDs[name] = tok.Secret, u.ID
		return u.ID
	}
	person("stakeholder", vigil.RoleStakeholder)
	person("viewer", vigil.RoleViewer)
	responder := person("responder", vigil.RoleResponder)
	other := person("manager-of-other-team", vigil.RoleResponder)
	mgr := person("manager-of-team", vigil.RoleResponder)
	person("admin", vigil.RoleAdmin)
	teamResponderA := person("responder-of-team", vigil.RoleViewer)
	teamResponderB := person("responder-of-other-team", vigil.RoleViewer)
	for _, s := range []string{"read", "respond", "manage", "admin", "ingest"} {
		tok, err := st.CreateToken(ctx, vigil.TokenSpec{Name: "svc-" + s, Scopes: []string{s}})
		must(err)
		f.tokens["token:"+s] = tok.Secret
	}
	a := &vigil.Team{Name: "a", Members: []int64{mgr}, Managers: []int64{mgr}, Responders: []int64{teamResponderA}}
	must(st.CreateTeam(ctx, a))
	must(st.CreateTeam(ctx, &vigil.Team{Name: "b", Members: []int64{other}, Managers: []int64{other}, Responders: []int64{teamResponderB}}))
	f.teamA = a.ID
	_, err := st.UpdateService(ctx, e.service.ID, vigil.ServiceUpdate{TeamID: &a.ID})
	must(err)
	t0 := e.clock.Now()
	sched := &vigil.Schedule{Name: "primary", TimeZone: "UTC", TeamID: a.ID, Layers: []vigil.Layer{{Name: "week", Start: t0,
		TurnUnit: vigil.UnitWeek, TurnCount: 1, Members: []int64{responder}}}}
	must(st.CreateSchedule(ctx, sched))
	ov := &vigil.Override{ScheduleID: sched.ID, UserID: responder, Start: t0.Add(time.Hour), End: t0.Add(2 * time.Hour)}
	must(st.CreateOverride(ctx, ov))
	pol := &vigil.EscalationPolicy{Name: "p", TeamID: a.ID, Steps: []vigil.EscalationStep{{Targets: []vigil.Target{{Type: vigil.TargetUser, ID: responder}}}}}
	must(st.CreateEscalationPolicy(ctx, pol))
	hb := &vigil.Heartbeat{ServiceID: e.service.ID, Name: "backup", Interval: 1, IntervalUnit: vigil.IntervalDays, Enabled: true}
	must(st.CreateHeartbeat(ctx, hb))
	victim, err := st.CreateToken(ctx, vigil.TokenSpec{Name: "victim", UserID: responder, Scopes: []string{"read"}})
	must(err)
	inc := eventResult(t, e.ingest(`{"summary":"disk full","dedup_key":"disk"}`))

	id := func(n int64) string { return fmt.Sprint(n) }
	f.path = map[string]string{
		"/api/v1/services/":            id(e.service.ID),
		"/api/v1/integration-keys/":    id(e.key.ID),
		"/api/v1/incidents/":           id(inc.IncidentID),
		"/api/v1/alerts/":              id(inc.AlertID),
		"/api/v1/heartbeats/":          id(hb.ID),
		"/api/v1/users/":               id(responder),
		"/api/v1/teams/":               id(a.ID),
		"/api/v1/schedules/":           id(sched.ID),
		"/api/v1/escalation-policies/": id(pol.ID),
		"/api/v1/tokens/":              id(victim.ID),
		"{key_id}":                     id(e.key.ID),
		"{override_id}":                id(ov.ID),
	}
	return f
}

// clone is a fixture over a copy of f's database; f must be closed.
func (f *matrixFixture) clone(t *testing.T) *matrixFixture {
	c := *f
	c.e = f.e.clone(t)
	return &c
}

// on is f with requests made on behalf of t.
func (f *matrixFixture) on(t *testing.T) *matrixFixture {
	c := *f
	c.e = f.e.on(t)
	return &c
}

// concrete fills a pattern's wildcards from the fixture.
func (f *matrixFixture) concrete(pattern string) string {
	p := pattern
	for prefix, v := range f.path {
		if strings.HasPrefix(prefix, "/") && strings.HasPrefix(p, prefix+"{id}") {
			p = prefix + v + strings.TrimPrefix(p, prefix+"{id}")
		}
	}
	for _, name := range []string{"{key_id}", "{override_id}"} {
		p = strings.ReplaceAll(p, name, f.path[name])
	}
	for strings.Contains(p, "{") {
		i, j := strings.Index(p, "{"), strings.Index(p, "}")
		p = p[:i] + "999999" + p[j+1:]
	}
	return p
}

func TestAuthorizationMatrix(t *testing.T) {
	routes := api.New(api.Deps{}).Routes()
	// The fixture is built once and copied: a GET changes nothing, so GET
	// routes share one copy; every other route gets a copy of its own.
	tmpl := newMatrixFixture(t)
	tmpl.e.close()
	shared := tmpl.clone(t)
	seen := map[string]bool{}
	for _, rt := range routes {
		key := rt.Method + " " + rt.Pattern
		seen[key] = true
		need, ok := matrixExpect[key]
		if !ok {
			t.Errorf("%s has no entry in matrixExpect: say who may call it", key)
			continue
		}
		t.Run(strings.ReplaceAll(key, "/", "_"), func(t *testing.T) {
			t.Parallel()
			f := shared.on(t)
			if rt.Method != "GET" {
				f = tmpl.clone(t)
			}
			path := f.concrete(rt.Pattern)
			callers := append([]string(nil), matrixCallers...)
			// Refused callers go first, so an allowed one deleting the
			// object cannot turn a later 403 into a 404.
			sort.SliceStable(callers, func(i, j int) bool {
				return !matrixAllows(need, callers[i]) && matrixAllows(need, callers[j])
			})
			for _, caller := range callers {
				headers := map[string]string{"Authorization": ""}
				if caller != "anonymous" {
					headers["Authorization"] = "Bearer " + f.tokens[caller]
				}
				var body *strings.Reader
				if rt.Method != "GET" && rt.Method != "DELETE" {
					body = strings.NewReader(fmt.Sprintf(matrixBodyFmt, f.teamA))
				}
				var res response
				if body != nil {
					res = f.e.do(rt.Method, path, body, headers)
				} else {
					res = f.e.do(rt.Method, path, nil, headers)
				}
				check(t, need, caller, rt.Method+" "+path, res)
			}
		})
	}
	for key := range matrixExpect {
		if !seen[key] {
			t.Errorf("matrixExpect names %s, which is not a route", key)
		}
	}
}

func check(t *testing.T, need, caller, what string, res response) {
	t.Helper()
	if res.status >= 500 {
		t.Errorf("%s as %s: %d (a server error): %.300s", what, caller, res.status, res.body)
		return
	}
	switch need {
	case needOwnCheck:
		return // the handler's own credential; not an API token's business
	case needKey:
		if res.status != 401 {
			t.Errorf("%s as %s: %d, want 401 (integration keys only)", what, caller, res.status)
		}
		return
	}
	switch {
	case caller == "anonymous":
		if res.status != 401 {
			t.Errorf("%s anonymously: %d, want 401", what, res.status)
		}
	case matrixAllows(need, caller):
		if res.status == 401 || res.status == 403 {
			t.Errorf("%s as %s: %d, want it allowed (%s): %.300s", what, caller, res.status, need, res.body)
		}
	default:
		if res.status != 403 {
			t.Errorf("%s as %s: %d, want 403 (%s): %.300s", what, caller, res.status, need, res.body)
		}
	}
}
