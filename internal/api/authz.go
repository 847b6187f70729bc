package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"

	"github.com/vigil-oss/vigil/internal/auth"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// Authorization. Every route that takes an API token names the permission
// it needs in the access table below; authorize is the one place that
// checks it, for every such route, after internal/auth has said who is
// calling. A route missing from the table stops the server at start.
//
// Manage routes on a team's objects also name how to find the team
// (access.team): a person who manages that team (vigil.Team.Managers) may
// use them although their global role is below manager. Creating or
// moving an object checks the team_id of the body too, so a team manager
// cannot create objects for another team or hand theirs away.
//
// Respond routes on one incident name the incident's team the same way:
// a responder or manager of that team (vigil.Team.Grants) may use them
// although their global role is below responder.
//
// Routes on one user (access.self) are open to that user as well as to
// admins: reading needs read, changing needs respond.

// access is what a route needs.
type access struct {
	perm string
	team teamOf
	self bool
}

// teamOf returns the teams that own what a request touches; 0 stands for
// "no team" (only global managers may touch it).
type teamOf func(a *API, r *http.Request) ([]int64, error)

// accessTable maps "METHOD pattern" to what the route needs.
func accessTable() map[string]access {
	read := access{perm: vigil.PermRead}
	// Incident reads are open to stakeholders too; the store shows them
	// only what their groups were told about.
	readIncidents := access{perm: vigil.PermReadIncidents}
	respond := access{perm: vigil.PermRespond}
	manage := access{perm: vigil.PermManage}
	admin := access{perm: vigil.PermAdmin}
	ingest := access{perm: vigil.PermIngest}
	team := func(f ...teamOf) access { return access{perm: vigil.PermManage, team: both(f...)} }
	// Responding on an incident: global responders, and the responders
	// and managers of the team owning the incident's service.
	respondOn := func(f teamOf) access { return access{perm: vigil.PermRespond, team: f} }
	onIncident := respondOn(incidentTeam)
	self := access{perm: vigil.PermAdmin, self: true}
	return map[string]access{
		"GET /api/v1/services":                                   read,
		"POST /api/v1/services":                                  team(bodyTeam),
		"GET /api/v1/services/{id}":                              read,
		"PATCH /api/v1/services/{id}":                            team(serviceTeam("id"), bodyTeam),
		"DELETE /api/v1/services/{id}":                           team(serviceTeam("id")),
		"POST /api/v1/services/{id}/integration-keys":            team(serviceTeam("id")),
		"GET /api/v1/services/{id}/integration-keys":             read,
		"DELETE /api/v1/services/{id}/integration-keys/{key_id}": team(serviceTeam("id")),
		"GET /api/v1/integration-keys/{id}/rules":                read,
		"PUT /api/v1/integration-keys/{id}/rules":                team(keyTeam),

		"GET /api/v1/incidents":                   readIncidents,
		"POST /api/v1/incidents":                  respondOn(bodyServiceTeam),
		"GET /api/v1/incidents/{id}":              readIncidents,
		"PATCH /api/v1/incidents/{id}":            onIncident,
		"POST /api/v1/incidents/{id}/acknowledge": onIncident,
		"POST /api/v1/incidents/{id}/resolve":     onIncident,
		"POST /api/v1/incidents/{id}/reopen":      onIncident,
		"POST /api/v1/incidents/{id}/notes":       onIncident,
		"GET /api/v1/incidents/{id}/timeline":     readIncidents,
		// Taking, giving and clearing incident roles is responding.
		"GET /api/v1/incidents/{id}/roles":           read,
		"PUT /api/v1/incidents/{id}/roles/{role}":    onIncident,
		"DELETE /api/v1/incidents/{id}/roles/{role}": onIncident,
		"GET /api/v1/alerts":                         read,
		"GET /api/v1/alerts/{id}":                    read,
		"POST /api/v1/integrations/preview":          read, // stores nothing
		"GET /api/v1/openapi.json":                   read,

		"GET /api/v1/changes":                read,
		"GET /api/v1/services/{id}/changes":  read,
		"GET /api/v1/incidents/{id}/changes": read,

		"GET /api/v1/services/{id}/heartbeats":  read,
		"POST /api/v1/services/{id}/heartbeats": team(serviceTeam("id")),
		"GET /api/v1/heartbeats/{id}":           read,
		"PATCH /api/v1/heartbeats/{id}":         team(heartbeatTeam),
		"DELETE /api/v1/heartbeats/{id}":        team(heartbeatTeam),
		"POST /api/v1/heartbeats/{id}/ping":     ingest,
		"POST /api/v1/services/{id}/events":     ingest,

		"GET /api/v1/users":                                        read,
		"POST /api/v1/users":                                       admin,
		"GET /api/v1/users/{id}":                                   read,
		"PUT /api/v1/users/{id}":                                   self,
		"DELETE /api/v1/users/{id}":                                admin,
		"GET /api/v1/users/{id}/contact-methods":                   read,
		"POST /api/v1/users/{id}/contact-methods":                  self,
		"PUT /api/v1/users/{id}/contact-methods/{method_id}":       self,
		"DELETE /api/v1/users/{id}/contact-methods/{method_id}":    self,
		"POST /api/v1/users/{id}/contact-methods/{method_id}/test": self,
		"GET /api/v1/users/{id}/notification-rules":                read,
		"POST /api/v1/users/{id}/notification-rules":               self,
		"DELETE /api/v1/users/{id}/notification-rules/{rule_id}":   self,

		"GET /api/v1/teams":         read,
		"POST /api/v1/teams":        admin,
		"GET /api/v1/teams/{id}":    read,
		"PUT /api/v1/teams/{id}":    admin,
		"DELETE /api/v1/teams/{id}": admin,

		"GET /api/v1/schedules":                                 read,
		"POST /api/v1/schedules":                                team(bodyTeam),
		"GET /api/v1/schedules/{id}":                            read,
		"PUT /api/v1/schedules/{id}":                            team(scheduleTeam, bodyTeam),
		"DELETE /api/v1/schedules/{id}":                         team(scheduleTeam),
		"GET /api/v1/schedules/{id}/on-call":                    read,
		"GET /api/v1/schedules/{id}/shifts":                     read,
		"GET /api/v1/schedules/{id}/overrides":                  read,
		"POST /api/v1/schedules/{id}/overrides":                 team(scheduleTeam),
		"DELETE /api/v1/schedules/{id}/overrides/{override_id}": team(scheduleTeam),
		"GET /api/v1/on-call":                                   read,
		"GET /api/v1/escalation-policies":                       read,
		"POST /api/v1/escalation-policies":                      team(bodyTeam),
		"GET /api/v1/escalation-policies/{id}":                  read,
		"PUT /api/v1/escalation-policies/{id}":                  team(policyTeam, bodyTeam),
		"DELETE /api/v1/escalation-policies/{id}":               team(policyTeam),
		"GET /api/v1/incidents/{id}/notifications":              read,
		"GET /api/v1/notifications/{id}/attempts":               read,
		"POST /api/v1/page":                                     respond,
		"GET /api/v1/schedules/{id}/ical":                       read,
		"GET /api/v1/users/{id}/ical":                           read,
		"GET /api/v1/schedules/{id}/ical-url":                   read,
		"GET /api/v1/users/{id}/ical-url":                       {perm: vigil.PermAdmin, self: true},
		"POST /api/v1/ical-urls/rotate":                         admin,
		"GET /api/v1/stakeholder-groups":                        read,
		"POST /api/v1/stakeholder-groups":                       admin,
		"GET /api/v1/stakeholder-groups/{id}":                   read,
		"PUT /api/v1/stakeholder-groups/{id}":                   admin,
		"DELETE /api/v1/stakeholder-groups/{id}":                admin,
		"POST /api/v1/incidents/{id}/status-updates":            onIncident,
		"GET /api/v1/incidents/{id}/status-updates":             readIncidents,
		"GET /api/v1/classification-rules":                      read,
		"PUT /api/v1/classification-rules":                      admin,
		"POST /api/v1/classification-rules/backtest":            admin,
		"POST /api/v1/route-test":                               read, // stores nothing
		"GET /api/v1/incidents/{id}/feedback":                   read,
		"PUT /api/v1/incidents/{id}/feedback":                   onIncident,
		"GET /api/v1/reports/noise":                             read,
		"GET /api/v1/audit":                                     admin,
		"POST /api/v1/users/{id}/password-reset":                admin,
		"GET /api/v1/users/{id}/sessions":                       admin,
		"DELETE /api/v1/users/{id}/sessions":                    admin,
		// The person may see and unlink their own SSO identities; the
		// store keeps a non-admin's last way to sign in.
		"GET /api/v1/users/{id}/identities":                  self,
		"DELETE /api/v1/users/{id}/identities/{identity_id}": self,

		// Silences are part of responding: a responder quiets what they
		// are working on. Maintenance windows and inhibit rules belong to
		// no team, so only global managers and admins change them.
		"GET /api/v1/silences":               read,
		"POST /api/v1/silences":              respond,
		"GET /api/v1/silences/{id}":          read,
		"DELETE /api/v1/silences/{id}":       respond,
		"GET /api/v2/silences":               read,
		"POST /api/v2/silences":              respond,
		"GET /api/v2/silence/{silenceID}":    read,
		"DELETE /api/v2/silence/{silenceID}": respond,
		"GET /api/v2/alerts":                 read,
		"GET /api/v2/alerts/groups":          read,
		"GET /api/v2/status":                 read,
		"GET /api/v2/receivers":              read,

		"GET /api/v1/maintenance-windows":         read,
		"POST /api/v1/maintenance-windows":        manage,
		"GET /api/v1/maintenance-windows/{id}":    read,
		"PUT /api/v1/maintenance-windows/{id}":    manage,
		"DELETE /api/v1/maintenance-windows/{id}": manage,
		"GET /api/v1/inhibit-rules":               read,
		"POST /api/v1/inhibit-rules":              manage,
		"GET /api/v1/inhibit-rules/{id}":          read,
		"PUT /api/v1/inhibit-rules/{id}":          manage,
		"DELETE /api/v1/inhibit-rules/{id}":       manage,

		// Tokens: anyone signed in manages their own personal tokens; the
		// handlers let admins see and revoke all and make service tokens.
		"GET /api/v1/tokens":         read,
		"POST /api/v1/tokens":        read,
		"DELETE /api/v1/tokens/{id}": read,
	}
}

// withAccess sets Perm on every route that takes an API token and wraps
// its handler in authorize. It panics on a route the table lacks.
func (a *API) withAccess(routes []Route) []Route {
	table := accessTable()
	for i, rt := range routes {
		if rt.Auth != AuthToken && rt.Auth != AuthTokenOrIntegration {
			continue
		}
		acc, ok := table[rt.Method+" "+rt.Pattern]
		if !ok {
			panic("api: route " + rt.Method + " " + rt.Pattern + " has no entry in the access table (authz.go)")
		}
		routes[i].Perm, routes[i].TeamScoped, routes[i].Self = acc.perm, acc.team != nil, acc.self
		routes[i].Handler = a.authorize(rt, acc)
	}
	return routes
}

// authorize is the central permission check of the API.
func (a *API) authorize(rt Route, acc access) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := a.allowed(r, rt, acc); err != nil {
			a.writeError(w, r, err)
			return
		}
		rt.Handler.ServeHTTP(w, r)
	})
}

func (a *API) allowed(r *http.Request, rt Route, acc access) error {
	p := auth.PrincipalFromContext(r.Context())
	if p.UserID == 0 && p.Token == 0 {
		if rt.Auth == AuthTokenOrIntegration {
			return nil // an integration key, checked by IntegrationAuth
		}
		return vigil.Errorf(vigil.CodeUnauthorized, "an API token is required (Authorization: Bearer <token>)")
	}
	if acc.self && p.UserID != 0 {
		if id, err := pathID(r, "id"); err == nil && id == p.UserID {
			need := vigil.PermRespond
			if r.Method == http.MethodGet {
				need = vigil.PermRead
			}
			if p.Allows(need) {
				return nil
			}
		}
	}
	var teams func() ([]int64, error)
	if acc.team != nil {
		teams = func() ([]int64, error) { return acc.team(a, r) }
	}
	return auth.Authorize(r.Context(), a.store, acc.perm, teams)
}

// both joins team finders: the request touches all their teams.
func both(fs ...teamOf) teamOf {
	return func(a *API, r *http.Request) ([]int64, error) {
		var out []int64
		for _, f := range fs {
			ids, err := f(a, r)
			if err != nil {
				return nil, err
			}
			out = append(out, ids...)
		}
		return out, nil
	}
}

func serviceTeam(param string) teamOf {
	return func(a *API, r *http.Request) ([]int64, error) {
		id, err := pathID(r, param)
		if err != nil {
			return nil, err
		}
		s, err := a.store.FindServiceByID(r.Context(), id)
		if err != nil {
			return nil, err
		}
		return []int64{s.TeamID}, nil
	}
}

// incidentTeam is the team of the incident's service. An incident the
// caller may not see is not found (CodeNotFound), as everywhere.
func incidentTeam(a *API, r *http.Request) ([]int64, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	inc, err := a.store.FindIncidentByID(r.Context(), id)
	if err != nil {
		return nil, err
	}
	return ownerOfService(a, r, inc.ServiceID)
}

// bodyServiceTeam is the team of the service_id a JSON body names (none
// when it names none: only global responders may go on). The body is put
// back for the handler.
func bodyServiceTeam(a *API, r *http.Request) ([]int64, error) {
	var doc struct {
		ServiceID *json.Number `json:"service_id"`
	}
	if err := peekBody(r, &doc); err != nil {
		return nil, err
	}
	if doc.ServiceID == nil {
		return nil, nil
	}
	id, err := doc.ServiceID.Int64()
	if err != nil {
		return nil, vigil.FieldError("service_id", "must be an integer")
	}
	ids, err := ownerOfService(a, r, id)
	if vigil.ErrorCode(err) == vigil.CodeNotFound {
		return nil, nil // the handler names the field
	}
	return ids, err
}

func scheduleTeam(a *API, r *http.Request) ([]int64, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	s, err := a.store.FindSchedule(r.Context(), id)
	if err != nil {
		return nil, err
	}
	return []int64{s.TeamID}, nil
}

func policyTeam(a *API, r *http.Request) ([]int64, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	p, err := a.store.FindEscalationPolicy(r.Context(), id)
	if err != nil {
		return nil, err
	}
	return []int64{p.TeamID}, nil
}

func heartbeatTeam(a *API, r *http.Request) ([]int64, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	h, err := a.store.FindHeartbeatByID(r.Context(), id)
	if err != nil {
		return nil, err
	}
	return ownerOfService(a, r, h.ServiceID)
}

func keyTeam(a *API, r *http.Request) ([]int64, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	k, err := a.store.FindIntegrationKeyByID(r.Context(), id)
	if err != nil {
		return nil, err
	}
	return ownerOfService(a, r, k.ServiceID)
}

func ownerOfService(a *API, r *http.Request, serviceID int64) ([]int64, error) {
	return ownerOfServiceID(r.Context(), a.store, serviceID)
}

func ownerOfServiceID(ctx context.Context, st vigil.Store, serviceID int64) ([]int64, error) {
	s, err := st.FindServiceByID(ctx, serviceID)
	if err != nil {
		return nil, err
	}
	return []int64{s.TeamID}, nil
}

// maxPeek bounds how much of a body bodyTeam reads; the handler's own
// limits still apply to the rest.
const maxPeek = 1 << 20

// bodyTeam is the team_id of a JSON body: none when the body does not set
// it and the request changes an object (PATCH, PUT), 0 ("no team") when a
// new object is created without one. The body is put back for the handler.
func bodyTeam(_ *API, r *http.Request) ([]int64, error) {
	var doc struct {
		TeamID *json.Number `json:"team_id"`
	}
	if err := peekBody(r, &doc); err != nil {
		return nil, err
	}
	if doc.TeamID == nil {
		return creating(r), nil
	}
	id, err := doc.TeamID.Int64()
	if err != nil {
		return nil, vigil.FieldError("team_id", "must be an integer")
	}
	return []int64{id}, nil
}

// peekBody decodes the start of r's JSON body into doc (leaving it as it
// was when the body is not JSON) and puts the body back for the handler.
func peekBody(r *http.Request, doc any) error {
	if r.Body == nil {
		return nil
	}
	head, err := io.ReadAll(io.LimitReader(r.Body, maxPeek))
	if err != nil {
		return vigil.Errorf(vigil.CodeInvalid, "read the body: %v", err)
	}
	r.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(head), r.Body), r.Body}
	_ = json.Unmarshal(head, doc) // a bad body is the handler's to refuse
	return nil
}

func creating(r *http.Request) []int64 {
	if r.Method == http.MethodPost {
		return []int64{0}
	}
	return nil
}
