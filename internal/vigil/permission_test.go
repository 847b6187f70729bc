package vigil

import "testing"

// The one table of what roles and scopes allow.
func TestRoleAndScopeAllow(t *testing.T) {
	perms := []string{PermRead, PermRespond, PermManage, PermAdmin, PermIngest, PermReadIncidents}
	roles := map[string]string{ // role -> the permissions it has, as letters r, s, m, a, i, and n for incident reads
		RoleStakeholder: "n", RoleViewer: "rn", RoleResponder: "rsn", RoleManager: "rsmn", RoleAdmin: "rsmain", "": "", "root": "",
	}
	scopes := map[string]string{
		PermRead: "rn", PermRespond: "rsn", PermManage: "rsmn", PermAdmin: "rsmain", PermIngest: "i", "": "", "root": "",
		PermReadIncidents: "", // not a scope
	}
	letter := map[string]byte{PermRead: 'r', PermRespond: 's', PermManage: 'm', PermAdmin: 'a', PermIngest: 'i', PermReadIncidents: 'n'}
	has := func(set string, c byte) bool {
		for i := 0; i < len(set); i++ {
			if set[i] == c {
				return true
			}
		}
		return false
	}
	for role, set := range roles {
		for _, p := range perms {
			if got := RoleAllows(role, p); got != has(set, letter[p]) {
				t.Errorf("RoleAllows(%q, %q) = %v", role, p, got)
			}
		}
	}
	for scope, set := range scopes {
		for _, p := range perms {
			if got := ScopeAllows(scope, p); got != has(set, letter[p]) {
				t.Errorf("ScopeAllows(%q, %q) = %v", scope, p, got)
			}
		}
	}
}
