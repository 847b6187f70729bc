package oidc

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/vigil-oss/vigil/internal/vigil"
)

func TestParseMaps(t *testing.T) {
	roles, err := ParseRoleMap(" vigil-admins=admin, /sre/oncall=responder ,,a=b=viewer")
	if err != nil {
		t.Fatal(err)
	}
	want := []RoleRule{{"vigil-admins", "admin"}, {"/sre/oncall", "responder"}, {"a=b", "viewer"}}
	if !reflect.DeepEqual(roles, want) {
		t.Errorf("roles = %+v, want %+v", roles, want)
	}
	for _, bad := range []string{"admins", "=admin", "admins=", "admins=root"} {
		if _, err := ParseRoleMap(bad); err == nil {
			t.Errorf("ParseRoleMap(%q) accepted", bad)
		}
	}
	teams, err := ParseTeamMap("sre=ops,sre-leads=ops:manager,sec=Security Team:member,oncall=ops:responder")
	if err != nil {
		t.Fatal(err)
	}
	wantTeams := []TeamRule{{"sre", "ops", "member"}, {"sre-leads", "ops", "manager"}, {"sec", "Security Team", "member"},
		{"oncall", "ops", "responder"}}
	if !reflect.DeepEqual(teams, wantTeams) {
		t.Errorf("teams = %+v, want %+v", teams, wantTeams)
	}
	for _, bad := range []string{"sre", "sre=ops:owner", "sre=:manager"} {
		if _, err := ParseTeamMap(bad); err == nil {
			t.Errorf("ParseTeamMap(%q) accepted", bad)
		}
	}
}

func TestMap(t *testing.T) {
	c, err := Config{Issuer: "https://idp.example.com", ClientID: "v",
		Roles:       []RoleRule{{"admins", "admin"}, {"oncall", "responder"}, {"all", "viewer"}},
		DefaultRole: RoleNone,
		Teams: []TeamRule{{"sre", "ops", "member"}, {"leads", "ops", "manager"}, {"oncall", "ops", "responder"},
			{"sec", "security", "member"}},
	}.withDefaults("http://vigil.example.com")
	if err != nil {
		t.Fatal(err)
	}
	m, err := c.Map([]string{"all", "oncall", "sre", "leads"})
	if err != nil {
		t.Fatal(err)
	}
	if m.Role != vigil.RoleResponder || m.Teams["ops"] != vigil.TeamManager || len(m.Teams) != 1 ||
		!reflect.DeepEqual(m.Managed, []string{"ops", "security"}) {
		t.Errorf("Map = %+v", m)
	}
	// Order of rules does not matter for the strongest role or manager.
	m, _ = c.Map([]string{"leads", "sre", "admins", "all"})
	if m.Role != vigil.RoleAdmin || m.Teams["ops"] != vigil.TeamManager {
		t.Errorf("Map = %+v, want admin and ops manager", m)
	}
	// A responder group beats a member group, whatever the order.
	m, _ = c.Map([]string{"oncall", "sre"})
	if m.Teams["ops"] != vigil.TeamResponder {
		t.Errorf("Map(oncall, sre) teams = %v, want ops responder", m.Teams)
	}
	if _, err := c.Map([]string{"sre"}); vigil.ErrorCode(err) != vigil.CodeForbidden {
		t.Errorf("no role group with DefaultRole none: err = %v, want forbidden", err)
	}
	c.DefaultRole = vigil.RoleViewer
	if m, err := c.Map(nil); err != nil || m.Role != vigil.RoleViewer {
		t.Errorf("default role: %+v, %v", m, err)
	}
	// Without role rules the role is not synced; new users get the default.
	c.Roles = nil
	if m, err := c.Map([]string{"admins"}); err != nil || m.Role != "" || m.NewUserRole != vigil.RoleViewer {
		t.Errorf("no role rules: %+v, %v", m, err)
	}
}

func TestConfigChecks(t *testing.T) {
	ok := Config{Issuer: "https://idp.example.com", ClientID: "v"}
	c, err := ok.withDefaults("https://vigil.example.com/")
	if err != nil {
		t.Fatal(err)
	}
	if c.RedirectURL != "https://vigil.example.com/login/oidc/callback" || c.GroupsClaim != "groups" ||
		c.DefaultRole != vigil.RoleResponder || len(c.Scopes) != 2 || c.ButtonLabel == "" {
		t.Errorf("defaults = %+v", c)
	}
	for name, mod := range map[string]func(*Config){
		"issuer":        func(c *Config) { c.Issuer = "idp.example.com" },
		"client id":     func(c *Config) { c.ClientID = "" },
		"default role":  func(c *Config) { c.DefaultRole = "boss" },
		"none no rules": func(c *Config) { c.DefaultRole = RoleNone },
		"role":          func(c *Config) { c.Roles = []RoleRule{{"g", "boss"}} },
		"team role":     func(c *Config) { c.Teams = []TeamRule{{"g", "t", "owner"}} },
		"redirect":      func(c *Config) { c.RedirectURL = "/callback" },
	} {
		bad := ok
		mod(&bad)
		if _, err := bad.withDefaults("https://vigil.example.com"); err == nil || !strings.Contains(err.Error(), "oidc") {
			t.Errorf("%s: err = %v, want one naming the setting", name, err)
		}
	}
}

func TestGroups(t *testing.T) {
	var claims map[string]any
	_ = json.Unmarshal([]byte(`{"groups":["a","b"],"one":"x","realm_access":{"roles":["r1"]},"bad":[1],"num":3}`), &claims)
	for path, want := range map[string][]string{
		"groups": {"a", "b"}, "one": {"x"}, "realm_access.roles": {"r1"}, "missing": nil, "groups.deeper": nil,
	} {
		got, err := Groups(claims, path)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("Groups(%q) = %v, %v; want %v", path, got, err, want)
		}
	}
	for _, path := range []string{"bad", "num"} {
		if _, err := Groups(claims, path); err == nil {
			t.Errorf("Groups(%q) accepted a non-list", path)
		}
	}
}

// FuzzDecodeFlow: the flow cookie comes back from the browser; any value
// is refused or decoded, never a panic, and only whole flows pass.
func FuzzDecodeFlow(f *testing.F) {
	f.Add("eyJzIjoiYSIsIm4iOiJiIiwidiI6ImMiLCJlIjoxfQ")
	f.Add("")
	f.Add("%%%")
	f.Fuzz(func(t *testing.T, v string) {
		fl, err := decodeFlow(v)
		if err == nil && (fl.State == "" || fl.Nonce == "" || fl.Verifier == "") {
			t.Errorf("decodeFlow(%q) accepted a partial flow %+v", v, fl)
		}
		if err != nil && vigil.ErrorCode(err) != vigil.CodeUnauthorized {
			t.Errorf("decodeFlow(%q) err code %q", v, vigil.ErrorCode(err))
		}
	})
}

// FuzzGroups: the claims come from the provider.
func FuzzGroups(f *testing.F) {
	f.Add(`{"groups":["a"]}`, "groups")
	f.Add(`{"a":{"b":"c"}}`, "a.b")
	f.Fuzz(func(t *testing.T, doc, path string) {
		var claims map[string]any
		if json.Unmarshal([]byte(doc), &claims) != nil {
			return
		}
		_, _ = Groups(claims, path)
	})
}

// FuzzParseMaps: the mappings come from flags and the environment.
func FuzzParseMaps(f *testing.F) {
	f.Add("admins=admin,sre=ops:manager")
	f.Fuzz(func(t *testing.T, s string) {
		if rules, err := ParseRoleMap(s); err == nil {
			for _, r := range rules {
				if r.Group == "" {
					t.Errorf("ParseRoleMap(%q): empty group", s)
				}
			}
		}
		if rules, err := ParseTeamMap(s); err == nil {
			for _, r := range rules {
				if r.Group == "" || r.Team == "" || !slices.Contains(vigil.TeamRoles, r.Role) {
					t.Errorf("ParseTeamMap(%q) = %+v", s, r)
				}
			}
		}
	})
}

func TestClip(t *testing.T) {
	if got := clip(strings.Repeat("é", 80), 101); !utf8.ValidString(got) {
		t.Errorf("clip cut a character: %q", got)
	}
}

// Stakeholders can come from the provider's groups too, and any other role
// a person's groups give wins over it.
func TestStakeholderRoleMap(t *testing.T) {
	rules, err := ParseRoleMap("execs=stakeholder,sre=responder")
	if err != nil {
		t.Fatal(err)
	}
	c := &Config{Roles: rules, DefaultRole: RoleNone}
	if m, err := c.Map([]string{"execs"}); err != nil || m.Role != vigil.RoleStakeholder {
		t.Errorf("execs: %+v, %v; want stakeholder", m, err)
	}
	if m, err := c.Map([]string{"execs", "sre"}); err != nil || m.Role != vigil.RoleResponder {
		t.Errorf("execs and sre: %+v, %v; want responder", m, err)
	}
}
