package web

import (
	"net/http"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// Register mounts every UI route on mux. The server owns /api/, /healthz,
// /readyz and /metrics; the UI owns everything listed here.
//
// Three wrappers:
//   - public: security headers only (sign-in page, static files);
//   - signedIn: security headers + session check + read (pages people
//     read; own and incidents below are the two exceptions);
//   - change: security headers + cross-origin check + body limit + session
//     check (every POST that changes something).
//
// On top of change, the roles (authz.go, the same rules as the API's):
// respond, manage, team (a manager of the object's team, or a global
// manager), admin, and self (the person of the path, or an admin).
func (u *UI) Register(mux *http.ServeMux) {
	public := u.public
	// own: a session only (one's own account); signedIn: pages people
	// read, which need the read permission; incidents: the incident
	// pages, which stakeholders read too (the store shows them only what
	// their groups were told about).
	own := func(h http.HandlerFunc) http.Handler { return u.public(u.requireSession(h)) }
	signedIn := func(h http.HandlerFunc) http.Handler {
		return u.public(u.requireSession(u.need(vigil.PermRead, nil, h)))
	}
	incidents := func(h http.HandlerFunc) http.Handler {
		return u.public(u.requireSession(u.need(vigil.PermReadIncidents, nil, h)))
	}
	change := func(h http.HandlerFunc) http.Handler { return u.public(u.guardWrite(u.requireSession(h))) }
	// The roles (authz.go): what each change needs beyond a session.
	needs := func(perm string, team teamsOf, h http.HandlerFunc) http.Handler {
		return u.public(u.guardWrite(u.requireSession(u.need(perm, team, h))))
	}
	// try: a POST that saves nothing (a preview, the route test), for
	// anyone who reads.
	try := func(h http.HandlerFunc) http.Handler { return needs(vigil.PermRead, nil, h) }
	respond := func(h http.HandlerFunc) http.Handler { return needs(vigil.PermRespond, nil, h) }
	manage := func(h http.HandlerFunc) http.Handler { return needs(vigil.PermManage, nil, h) }
	admin := func(h http.HandlerFunc) http.Handler { return needs(vigil.PermAdmin, nil, h) }
	team := func(of teamsOf, h http.HandlerFunc) http.Handler { return needs(vigil.PermManage, of, h) }
	// onIncident: global responders, and the responders and managers of
	// the team owning the incident's service.
	onIncident := func(h http.HandlerFunc) http.Handler { return needs(vigil.PermRespond, incidentTeamOf, h) }
	self := func(h http.HandlerFunc) http.Handler {
		return u.public(u.guardWrite(u.requireSession(u.selfOrAdmin(h))))
	}
	// pageNeeds: a page that is a form and nothing else (or the admins'
	// pages) needs what its form's route needs, so no one is shown a form
	// only to be refused.
	pageNeeds := func(perm string, team teamsOf, h http.HandlerFunc) http.Handler {
		return u.public(u.requireSession(u.need(perm, team, h)))
	}
	adminPage := func(h http.HandlerFunc) http.Handler { return pageNeeds(vigil.PermAdmin, nil, h) }

	mux.Handle("GET /static/{file}", public(http.HandlerFunc(u.serveStatic)))
	mux.Handle("GET /{$}", public(http.HandlerFunc(u.root)))
	// Any other path outside the server's own is the UI's 404 page.
	mux.Handle("/", public(http.HandlerFunc(u.notFound)))

	mux.Handle("GET /login", public(http.HandlerFunc(u.loginForm)))
	mux.Handle("POST /login", public(u.guardWrite(http.HandlerFunc(u.login))))
	// Signing out works with an ended session too.
	mux.Handle("POST /logout", public(u.guardWrite(http.HandlerFunc(u.logout))))
	// Acknowledge/resolve links from messages: the signed token is the
	// credential (see action_link.go).
	u.registerActionLinks(mux)

	mux.Handle("GET /incidents", incidents(u.incidentList))
	mux.Handle("POST /incidents", needs(vigil.PermRespond, formServiceTeamOf, u.incidentCreate))
	mux.Handle("GET /incidents/{id}", incidents(u.incidentShow))
	mux.Handle("POST /incidents/{id}", onIncident(u.incidentUpdate))
	mux.Handle("POST /incidents/{id}/acknowledge", onIncident(u.incidentAcknowledge))
	mux.Handle("POST /incidents/{id}/resolve", onIncident(u.incidentResolve))
	mux.Handle("POST /incidents/{id}/reopen", onIncident(u.incidentReopen))
	mux.Handle("POST /incidents/{id}/notes", onIncident(u.incidentNoteCreate))
	mux.Handle("POST /incidents/{id}/status-updates", onIncident(u.statusUpdateCreate))
	mux.Handle("POST /incidents/{id}/private", onIncident(u.incidentPrivate))
	mux.Handle("GET /incidents/{id}/notifications", signedIn(u.incidentNotifications))

	mux.Handle("GET /services", signedIn(u.serviceList))
	mux.Handle("POST /services", manage(u.serviceCreate))
	mux.Handle("GET /services/{id}", signedIn(u.serviceShow))
	mux.Handle("POST /services/{id}/integration-keys", team(serviceTeamOf, u.integrationKeyCreate))
	mux.Handle("POST /services/{id}/integration-keys/{key}/revoke", team(serviceTeamOf, u.integrationKeyRevoke))
	mux.Handle("POST /services/{id}/integration-keys/{key}/rules", team(serviceTeamOf, u.integrationKeyRules))
	mux.Handle("POST /services/{id}/settings", team(serviceTeamOf, u.serviceSettings))
	mux.Handle("POST /services/{id}/integration-keys/{key}/preview", try(u.integrationKeyPreview))

	mux.Handle("GET /silences", signedIn(u.silenceList))
	mux.Handle("POST /silences", respond(u.silenceCreate))
	mux.Handle("GET /silences/new", pageNeeds(vigil.PermRespond, nil, u.silenceNew))
	mux.Handle("GET /silences/{id}", signedIn(u.silenceShow))
	mux.Handle("POST /silences/{id}/expire", respond(u.silenceExpire))

	mux.Handle("GET /schedules", signedIn(u.scheduleList))
	mux.Handle("POST /schedules", team(scheduleTeamOf, u.scheduleCreate))
	mux.Handle("GET /schedules/{id}", signedIn(u.scheduleShow))
	mux.Handle("POST /schedules/{id}", team(scheduleTeamOf, u.scheduleUpdate))
	mux.Handle("GET /schedules/{id}/edit", pageNeeds(vigil.PermManage, scheduleTeamOf, u.scheduleEdit))
	mux.Handle("POST /schedules/{id}/delete", team(scheduleTeamOf, u.scheduleDelete))
	mux.Handle("POST /schedules/{id}/overrides", team(scheduleTeamOf, u.overrideCreate))
	mux.Handle("POST /schedules/{id}/overrides/{override}/delete", team(scheduleTeamOf, u.overrideDelete))

	mux.Handle("GET /escalation-policies", signedIn(u.policyList))
	mux.Handle("POST /escalation-policies", manage(u.policyCreate))
	mux.Handle("GET /escalation-policies/{id}", signedIn(u.policyShow))
	mux.Handle("POST /escalation-policies/{id}", team(policyTeamOf, u.policyUpdate))

	mux.Handle("GET /users", signedIn(u.userList))
	mux.Handle("POST /users", admin(u.userCreate))
	mux.Handle("GET /users/{id}", signedIn(u.userShow))
	mux.Handle("POST /users/{id}", self(u.userUpdate))
	// Deleting asks first: the button posts without confirm=yes and gets
	// the confirmation page, whose button posts with it.
	mux.Handle("POST /users/{id}/delete", admin(u.userDelete))
	mux.Handle("POST /users/{id}/contact-methods", self(u.contactMethodCreate))
	mux.Handle("POST /users/{id}/contact-methods/{method}/test", self(u.testNotificationSend))
	mux.Handle("POST /users/{id}/contact-methods/{method}/enable", self(u.contactMethodEnable))
	mux.Handle("POST /users/{id}/contact-methods/{method}/disable", self(u.contactMethodDisable))
	mux.Handle("POST /users/{id}/contact-methods/{method}/delete", self(u.contactMethodDelete))
	mux.Handle("POST /users/{id}/notification-rules", self(u.notificationRuleCreate))
	mux.Handle("POST /users/{id}/notification-rules/{rule}/delete", self(u.notificationRuleDelete))
	mux.Handle("POST /users/{id}/identities/{identity}/unlink", self(u.identityUnlink))

	mux.Handle("GET /teams", signedIn(u.teamList))
	mux.Handle("POST /teams", admin(u.teamCreate))
	mux.Handle("GET /teams/{id}", signedIn(u.teamShow))
	mux.Handle("POST /teams/{id}", admin(u.teamUpdate))
	mux.Handle("POST /teams/{id}/delete", admin(u.teamDelete))

	// Stakeholder groups: who hears status updates (posted from an
	// incident's page). Deleting asks first, as for people.
	mux.Handle("GET /groups", signedIn(u.groupList))
	mux.Handle("POST /groups", admin(u.groupCreate))
	mux.Handle("GET /groups/{id}", signedIn(u.groupShow))
	mux.Handle("POST /groups/{id}", admin(u.groupUpdate))
	mux.Handle("POST /groups/{id}/delete", admin(u.groupDelete))
	mux.Handle("POST /groups/{id}/members", admin(u.groupMembers))
	// Maintenance windows and inhibition rules: each page lists the alerts
	// it holds now. Deleting asks first, as for people.
	mux.Handle("GET /maintenance", signedIn(u.maintenanceList))
	mux.Handle("POST /maintenance", manage(u.maintenanceCreate))
	mux.Handle("GET /maintenance/{id}", signedIn(u.maintenanceShow))
	mux.Handle("POST /maintenance/{id}", manage(u.maintenanceUpdate))
	mux.Handle("POST /maintenance/{id}/end", manage(u.maintenanceEnd))
	mux.Handle("POST /maintenance/{id}/delete", manage(u.maintenanceDelete))
	mux.Handle("GET /inhibit-rules", signedIn(u.inhibitList))
	mux.Handle("POST /inhibit-rules", manage(u.inhibitCreate))
	mux.Handle("GET /inhibit-rules/{id}", signedIn(u.inhibitShow))
	mux.Handle("POST /inhibit-rules/{id}", manage(u.inhibitUpdate))
	mux.Handle("POST /inhibit-rules/{id}/delete", manage(u.inhibitDelete))
	// Noise: the verdict buttons of an incident and the report.
	mux.Handle("POST /incidents/{id}/feedback", onIncident(u.incidentFeedback))
	mux.Handle("POST /incidents/{id}/roles", onIncident(u.incidentRole))
	mux.Handle("GET /reports/noise", signedIn(u.reportNoise))
	// Classification rules (a back-test saves nothing) and the route test.
	mux.Handle("GET /rules", signedIn(u.ruleSetList))
	mux.Handle("POST /rules", admin(u.ruleSetUpdate))
	mux.Handle("POST /rules/backtest", admin(u.ruleBackTest))
	mux.Handle("GET /route-test", signedIn(u.routeTestForm))
	mux.Handle("POST /route-test", try(u.routeTestRun))
	// The audit log: read-only, there is no route that changes it.
	mux.Handle("GET /audit", adminPage(u.auditList))

	// Sign-in: the TOTP step, first-run setup (404 once an admin exists),
	// reset links (the secret in the path is the credential), the
	// signed-in person's account, and admins' actions on others.
	mux.Handle("GET /login/code", public(http.HandlerFunc(u.loginCodeForm)))
	// Single sign-on: off to the provider, and back (login_oidc.go).
	mux.Handle("GET /login/oidc", public(http.HandlerFunc(u.loginSSO)))
	mux.Handle("GET /login/oidc/callback", public(http.HandlerFunc(u.loginSSOCallback)))
	mux.Handle("POST /login/code", public(u.guardWrite(http.HandlerFunc(u.loginCode))))
	mux.Handle("GET /setup", public(http.HandlerFunc(u.setupForm)))
	mux.Handle("POST /setup", public(u.guardWrite(http.HandlerFunc(u.setup))))
	mux.Handle("GET /reset/{secret}", public(http.HandlerFunc(u.resetForm)))
	mux.Handle("POST /reset/{secret}", public(u.guardWrite(http.HandlerFunc(u.reset))))
	mux.Handle("POST /logout/everywhere", change(u.logoutEverywhere))
	mux.Handle("GET /account", own(u.accountShow))
	mux.Handle("POST /account/password", change(u.accountPassword))
	mux.Handle("POST /account/totp", change(u.accountTOTP))
	mux.Handle("POST /account/totp/disable", change(u.accountTOTPOff))
	// API tokens: one's own on /account, every token for admins on /tokens.
	mux.Handle("POST /account/tokens", change(u.accountTokenCreate))
	mux.Handle("POST /account/tokens/{id}/revoke", change(u.tokenRevoke))
	mux.Handle("GET /tokens", adminPage(u.tokensShow))
	mux.Handle("POST /tokens", admin(u.tokenCreate))
	mux.Handle("POST /tokens/{id}/revoke", admin(u.tokenRevoke))
	mux.Handle("POST /users/{id}/password-reset", admin(u.userPasswordReset))
	mux.Handle("POST /users/{id}/sessions/delete", admin(u.userSessionsDelete))
}
