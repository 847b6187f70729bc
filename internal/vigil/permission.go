package vigil

import (
	"slices"
	"strings"
)

// Permissions are what a route or a page needs. They double as the scopes
// of API tokens (a token's scope names the permissions it may use).
const (
	PermRead    = "read"    // see incidents, alerts, services, schedules, ...
	PermRespond = "respond" // acknowledge, resolve, note, status updates, silences, feedback
	PermManage  = "manage"  // services, schedules, policies, integration keys, windows, rules
	PermAdmin   = "admin"   // users, teams, tokens, classification, audit
	PermIngest  = "ingest"  // post events to the ingest routes that accept API tokens
	// PermReadIncidents reads incidents, their timelines and status
	// updates: everyone who may read, and stakeholders (whose incident
	// reads the store narrows to what their groups were told about). It is
	// no token scope: the read scope includes it.
	PermReadIncidents = "read-incidents"
)

// Scopes lists the API token scopes in the order they are shown.
var Scopes = []string{PermRead, PermRespond, PermManage, PermAdmin, PermIngest}

// RoleAllows is the one place that says what a global role may do:
// viewer reads; responder also responds; manager also manages (every
// team's objects); admin may do everything. A team manager's rights on
// their own team's objects are added by the caller (auth.Principal).
// Ingest belongs to admins only among people; service tokens get it by
// scope. A stakeholder may read incidents only (PermReadIncidents).
func RoleAllows(role, perm string) bool {
	if role == RoleStakeholder {
		return perm == PermReadIncidents
	}
	rank := map[string]int{RoleViewer: 1, RoleResponder: 2, RoleManager: 3, RoleAdmin: 4}[role]
	switch perm {
	case PermRead, PermReadIncidents:
		return rank >= 1
	case PermRespond:
		return rank >= 2
	case PermManage:
		return rank >= 3
	case PermAdmin, PermIngest:
		return rank >= 4
	}
	return false
}

// ScopeAllows says whether a token scope grants perm. The levels include
// the weaker ones (manage can also respond and read); admin grants
// everything; ingest grants only ingest.
func ScopeAllows(scope, perm string) bool {
	switch scope {
	case PermAdmin:
		return true
	case PermIngest:
		return perm == PermIngest
	}
	return perm != PermIngest && perm != PermAdmin && RoleAllows(scopeRole[scope], perm)
}

var scopeRole = map[string]string{PermRead: RoleViewer, PermRespond: RoleResponder, PermManage: RoleManager}

// NormalizeScopes checks, sorts and de-duplicates token scopes.
// CodeInvalid naming "scopes" when one is unknown or none is given.
func NormalizeScopes(scopes []string) ([]string, error) {
	out := []string{}
	for _, s := range scopes {
		s = strings.TrimSpace(strings.ToLower(s))
		if !slices.Contains(Scopes, s) {
			return nil, FieldError("scopes", "unknown scope %q (want %s)", s, strings.Join(Scopes, ", "))
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return nil, FieldError("scopes", "at least one scope is required (%s)", strings.Join(Scopes, ", "))
	}
	slices.SortFunc(out, func(a, b string) int { return slices.Index(Scopes, a) - slices.Index(Scopes, b) })
	return out, nil
}
