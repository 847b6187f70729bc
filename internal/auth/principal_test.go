package auth

import (
	"testing"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// A personal token may do what both its scopes and its owner's role allow;
// a service token what its scopes allow; a session what the role allows.
func TestPrincipalAllows(t *testing.T) {
	for _, c := range []struct {
		name   string
		p      Principal
		allow  []string
		refuse []string
		teams  bool
	}{
		{"nobody", Principal{}, nil, []string{vigil.PermRead}, false},
		{"stakeholder session", Principal{UserID: 1, Role: vigil.RoleStakeholder}, []string{vigil.PermReadIncidents},
			[]string{vigil.PermRead, vigil.PermRespond, vigil.PermManage, vigil.PermAdmin, vigil.PermIngest}, false},
		{"stakeholder's read token", Principal{UserID: 1, Role: vigil.RoleStakeholder, Token: 2, Scopes: []string{vigil.PermRead}},
			[]string{vigil.PermReadIncidents}, []string{vigil.PermRead, vigil.PermRespond}, false},
		{"viewer session", Principal{UserID: 1, Role: vigil.RoleViewer}, []string{vigil.PermRead}, []string{vigil.PermRespond, vigil.PermIngest}, true},
		{"admin with a read token", Principal{UserID: 1, Role: vigil.RoleAdmin, Token: 5, Scopes: []string{vigil.PermRead}},
			[]string{vigil.PermRead}, []string{vigil.PermRespond, vigil.PermAdmin}, false},
		{"viewer with an admin token", Principal{UserID: 1, Role: vigil.RoleViewer, Token: 5, Scopes: []string{vigil.PermAdmin}},
			[]string{vigil.PermRead}, []string{vigil.PermRespond, vigil.PermAdmin}, true},
		{"a deleted role", Principal{UserID: 1, Role: "", Token: 5, Scopes: []string{vigil.PermAdmin}},
			nil, []string{vigil.PermRead}, false},
		{"service manage token", Principal{Token: 5, Scopes: []string{vigil.PermManage}},
			[]string{vigil.PermRead, vigil.PermRespond, vigil.PermManage}, []string{vigil.PermAdmin, vigil.PermIngest}, false},
		{"viewer with a read token", Principal{UserID: 1, Role: vigil.RoleViewer, Token: 5, Scopes: []string{vigil.PermRead}},
			[]string{vigil.PermRead}, []string{vigil.PermRespond}, false},
		{"service ingest token", Principal{Token: 5, Scopes: []string{vigil.PermIngest}},
			[]string{vigil.PermIngest}, []string{vigil.PermRead}, false},
	} {
		for _, p := range c.allow {
			if !c.p.Allows(p) {
				t.Errorf("%s: %s refused", c.name, p)
			}
		}
		for _, p := range c.refuse {
			if c.p.Allows(p) {
				t.Errorf("%s: %s allowed", c.name, p)
			}
		}
		for _, perm := range []string{vigil.PermManage, vigil.PermRespond} {
			if got := c.p.MayActForTeams(perm); got != c.teams {
				t.Errorf("%s: MayActForTeams(%s) = %v", c.name, perm, got)
			}
		}
		if c.p.MayActForTeams(vigil.PermAdmin) || c.p.MayActForTeams(vigil.PermRead) {
			t.Errorf("%s: teams grant only manage and respond", c.name)
		}
	}
}

// A stakeholder may make themselves a read token (it reads no more than
// they do) but nothing stronger.
func TestStakeholderTokenSpec(t *testing.T) {
	p := Principal{UserID: 7, Role: vigil.RoleStakeholder}
	spec, err := TokenSpecFor(p, "laptop", []string{vigil.PermRead}, nil, 0, false)
	if err != nil || spec.UserID != 7 {
		t.Errorf("read token: %+v, %v", spec, err)
	}
	for _, scope := range []string{vigil.PermRespond, vigil.PermManage, vigil.PermAdmin, vigil.PermIngest} {
		if _, err := TokenSpecFor(p, "laptop", []string{scope}, nil, 0, false); vigil.ErrorCode(err) != vigil.CodeForbidden {
			t.Errorf("%s token: %v, want forbidden", scope, err)
		}
	}
}
