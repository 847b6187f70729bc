package web

import (
	"net/http"
)

// Register mounts every UI route on mux. The server owns /api/, /healthz,
// /readyz and /metrics; the UI owns everything listed here.
//
// Three wrappers:
//   - public: security headers only (sign-in page, static files);
//   - signedIn: security headers + session check (pages people read);
//   - change: security headers + cross-origin check + body limit + session
//     check (every POST that changes something).
func (u *UI) Register(mux *http.ServeMux) {
	public := u.public
	signedIn := func(h http.HandlerFunc) http.Handler { return u.public(u.requireSession(h)) }
	change := func(h http.HandlerFunc) http.Handler { return u.public(u.guardWrite(u.requireSession(h))) }

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

	mux.Handle("GET /incidents", signedIn(u.incidentList))
	mux.Handle("POST /incidents", change(u.incidentCreate))
	mux.Handle("GET /incidents/{id}", signedIn(u.incidentShow))
	mux.Handle("POST /incidents/{id}", change(u.incidentUpdate))
	mux.Handle("POST /incidents/{id}/acknowledge", change(u.incidentAcknowledge))
	mux.Handle("POST /incidents/{id}/resolve", change(u.incidentResolve))
	mux.Handle("POST /incidents/{id}/reopen", change(u.incidentReopen))
	mux.Handle("POST /incidents/{id}/notes", change(u.incidentNoteCreate))
	mux.Handle("POST /incidents/{id}/private", change(u.incidentPrivate))
	mux.Handle("POST /incidents/{id}/status-updates", change(u.statusUpdateCreate))
	mux.Handle("GET /incidents/{id}/notifications", signedIn(u.incidentNotifications))

	mux.Handle("GET /services", signedIn(u.serviceList))
	mux.Handle("POST /services", change(u.serviceCreate))
	mux.Handle("GET /services/{id}", signedIn(u.serviceShow))
	mux.Handle("POST /services/{id}/settings", change(u.serviceSettings))
	mux.Handle("POST /services/{id}/integration-keys", change(u.integrationKeyCreate))
	mux.Handle("POST /services/{id}/integration-keys/{key}/revoke", change(u.integrationKeyRevoke))
	mux.Handle("POST /services/{id}/integration-keys/{key}/rules", change(u.integrationKeyRules))
	mux.Handle("POST /services/{id}/integration-keys/{key}/preview", change(u.integrationKeyPreview))

	mux.Handle("GET /silences", signedIn(u.silenceList))
	mux.Handle("POST /silences", change(u.silenceCreate))
	mux.Handle("GET /silences/new", signedIn(u.silenceNew))
	mux.Handle("GET /silences/{id}", signedIn(u.silenceShow))
	mux.Handle("POST /silences/{id}/expire", change(u.silenceExpire))

	mux.Handle("GET /schedules", signedIn(u.scheduleList))
	mux.Handle("POST /schedules", change(u.scheduleCreate))
	mux.Handle("GET /schedules/{id}", signedIn(u.scheduleShow))
	mux.Handle("POST /schedules/{id}", change(u.scheduleUpdate))
	mux.Handle("GET /schedules/{id}/edit", signedIn(u.scheduleEdit))
	mux.Handle("POST /schedules/{id}/delete", change(u.scheduleDelete))
	mux.Handle("POST /schedules/{id}/overrides", change(u.overrideCreate))
	mux.Handle("POST /schedules/{id}/overrides/{override}/delete", change(u.overrideDelete))

	mux.Handle("GET /escalation-policies", signedIn(u.policyList))
	mux.Handle("POST /escalation-policies", change(u.policyCreate))
	mux.Handle("GET /escalation-policies/{id}", signedIn(u.policyShow))
	mux.Handle("POST /escalation-policies/{id}", change(u.policyUpdate))

	mux.Handle("GET /users", signedIn(u.userList))
	mux.Handle("POST /users", change(u.userCreate))
	mux.Handle("GET /users/{id}", signedIn(u.userShow))
	mux.Handle("POST /users/{id}", change(u.userUpdate))
	// Deleting asks first: the button posts without confirm=yes and gets
	// the confirmation page, whose button posts with it.
	mux.Handle("POST /users/{id}/delete", change(u.userDelete))
	mux.Handle("POST /users/{id}/contact-methods", change(u.contactMethodCreate))
	mux.Handle("POST /users/{id}/contact-methods/{method}/test", change(u.testNotificationSend))
	mux.Handle("POST /users/{id}/contact-methods/{method}/enable", change(u.contactMethodEnable))
	mux.Handle("POST /users/{id}/contact-methods/{method}/disable", change(u.contactMethodDisable))
	mux.Handle("POST /users/{id}/contact-methods/{method}/delete", change(u.contactMethodDelete))
	mux.Handle("POST /users/{id}/notification-rules", change(u.notificationRuleCreate))
	mux.Handle("POST /users/{id}/notification-rules/{rule}/delete", change(u.notificationRuleDelete))

	mux.Handle("GET /teams", signedIn(u.teamList))
	mux.Handle("POST /teams", change(u.teamCreate))
	mux.Handle("GET /teams/{id}", signedIn(u.teamShow))
	mux.Handle("POST /teams/{id}", change(u.teamUpdate))
	mux.Handle("POST /teams/{id}/delete", change(u.teamDelete))

	// Stakeholder groups: who hears status updates (posted from an
	// incident's page). Deleting asks first, as for people.
	mux.Handle("GET /groups", signedIn(u.groupList))
	mux.Handle("POST /groups", change(u.groupCreate))
	mux.Handle("GET /groups/{id}", signedIn(u.groupShow))
	mux.Handle("POST /groups/{id}", change(u.groupUpdate))
	mux.Handle("POST /groups/{id}/delete", change(u.groupDelete))
	mux.Handle("POST /groups/{id}/members", change(u.groupMembers))
	// Maintenance windows and inhibition rules: each page lists the alerts
	// it holds now. Deleting asks first, as for people.
	mux.Handle("GET /maintenance", signedIn(u.maintenanceList))
	mux.Handle("POST /maintenance", change(u.maintenanceCreate))
	mux.Handle("GET /maintenance/{id}", signedIn(u.maintenanceShow))
	mux.Handle("POST /maintenance/{id}", change(u.maintenanceUpdate))
	mux.Handle("POST /maintenance/{id}/end", change(u.maintenanceEnd))
	mux.Handle("POST /maintenance/{id}/delete", change(u.maintenanceDelete))
	mux.Handle("GET /inhibit-rules", signedIn(u.inhibitList))
	mux.Handle("POST /inhibit-rules", change(u.inhibitCreate))
	mux.Handle("GET /inhibit-rules/{id}", signedIn(u.inhibitShow))
	mux.Handle("POST /inhibit-rules/{id}", change(u.inhibitUpdate))
	mux.Handle("POST /inhibit-rules/{id}/delete", change(u.inhibitDelete))
	// Noise: the verdict buttons of an incident and the report.
	mux.Handle("POST /incidents/{id}/feedback", change(u.incidentFeedback))
	mux.Handle("POST /incidents/{id}/roles", change(u.incidentRole))
	mux.Handle("GET /reports/noise", signedIn(u.reportNoise))
	// Classification rules (a back-test saves nothing) and the route test.
	mux.Handle("GET /rules", signedIn(u.ruleSetList))
	mux.Handle("POST /rules", change(u.ruleSetUpdate))
	mux.Handle("POST /rules/backtest", change(u.ruleBackTest))
	mux.Handle("GET /route-test", signedIn(u.routeTestForm))
	mux.Handle("POST /route-test", change(u.routeTestRun))
	// The audit log: read-only, there is no route that changes it.
	mux.Handle("GET /audit", signedIn(u.auditList))

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
	mux.Handle("GET /account", signedIn(u.accountShow))
	mux.Handle("POST /account/password", change(u.accountPassword))
	mux.Handle("POST /account/totp", change(u.accountTOTP))
	mux.Handle("POST /account/totp/disable", change(u.accountTOTPOff))
	mux.Handle("POST /users/{id}/password-reset", change(u.userPasswordReset))
	mux.Handle("POST /users/{id}/sessions/delete", change(u.userSessionsDelete))
}
