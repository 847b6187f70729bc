// Package oidc signs people in to the web UI through an OpenID Connect
// provider (Keycloak, Okta, Azure AD, Google, ...): the authorization code
// flow with state, nonce and PKCE, ID tokens checked against the
// provider's published keys, and the person's groups mapped to a Vigil
// role and team memberships.
//
// The Connector does the protocol and the mapping; the web UI keeps the
// flow's secrets in a short-lived cookie, asks the store to find or create
// the user (vigil.IdentityService) and starts a session.
package oidc

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// Config is the single sign-on set-up. The zero Issuer means none.
type Config struct {
	// Issuer is the provider's issuer URL; discovery reads
	// Issuer + "/.well-known/openid-configuration".
	Issuer       string
	ClientID     string
	ClientSecret string
	// RedirectURL is where the provider sends people back; empty means
	// <public URL>/login/oidc/callback.
	RedirectURL string
	// Scopes are asked for besides "openid"; empty means profile, email.
	Scopes []string
	// GroupsClaim names the ID token claim holding the groups; dots walk
	// into objects ("realm_access.roles"). Empty means "groups".
	GroupsClaim string
	// Roles map groups to global roles; the strongest one a person's
	// groups give wins. With no rules the role is not synced at all.
	Roles []RoleRule
	// DefaultRole is the role of someone none of whose groups is mapped
	// (and of new users when Roles is empty); RoleNone refuses them.
	// Empty means responder.
	DefaultRole string
	// Teams map groups to team memberships; membership of every team
	// named here follows the groups at each sign-in.
	Teams []TeamRule
	// CreateUsers makes an account at first sign-in for someone with no
	// account (matched by verified e-mail); otherwise they are refused.
	CreateUsers bool
	// TrustEmail accepts the e-mail claim without email_verified (Azure AD
	// does not send it). Only for providers that own every address.
	TrustEmail bool
	// ButtonLabel is the text of the sign-in button.
	ButtonLabel string
}

// RoleNone as DefaultRole refuses people without a mapped group.
const RoleNone = "none"

// RoleRule gives Role to members of Group.
type RoleRule struct{ Group, Role string }

// TeamRule makes members of Group members (or managers) of Team.
type TeamRule struct{ Group, Team, Role string }

// Enabled reports whether single sign-on is configured.
func (c *Config) Enabled() bool { return c != nil && c.Issuer != "" }

// Check reports a setting that cannot work, naming it, without contacting
// the provider (serve calls it before opening the database).
func (c Config) Check() error {
	_, err := c.withDefaults("http://localhost")
	return err
}

// withDefaults fills the defaults and checks the settings; the error
// names the setting (as a flag name without --oidc-).
func (c Config) withDefaults(publicURL string) (Config, error) {
	if u, err := url.Parse(c.Issuer); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return c, fmt.Errorf("oidc issuer: must be an http(s) URL")
	}
	if c.ClientID == "" {
		return c, fmt.Errorf("oidc client id: is required")
	}
	if c.RedirectURL == "" {
		c.RedirectURL = strings.TrimRight(publicURL, "/") + CallbackPath
	}
	if u, err := url.Parse(c.RedirectURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return c, fmt.Errorf("oidc redirect url: must be an http(s) URL")
	}
	if len(c.Scopes) == 0 {
		c.Scopes = []string{"profile", "email"}
	}
	if c.GroupsClaim == "" {
		c.GroupsClaim = "groups"
	}
	if c.DefaultRole == "" {
		c.DefaultRole = vigil.RoleResponder
	}
	if c.DefaultRole != RoleNone && !slices.Contains(vigil.UserRoles, c.DefaultRole) {
		return c, fmt.Errorf("oidc default role: must be one of %s or %s", strings.Join(vigil.UserRoles, ", "), RoleNone)
	}
	if c.DefaultRole == RoleNone && len(c.Roles) == 0 {
		return c, fmt.Errorf("oidc default role: %s needs a role map (nobody could sign in)", RoleNone)
	}
	for _, r := range c.Roles {
		if !slices.Contains(vigil.UserRoles, r.Role) {
			return c, fmt.Errorf("oidc role map: group %q: role must be one of %s", r.Group, strings.Join(vigil.UserRoles, ", "))
		}
	}
	for _, t := range c.Teams {
		if !slices.Contains(vigil.TeamRoles, t.Role) {
			return c, fmt.Errorf("oidc team map: group %q: role must be one of %s", t.Group, strings.Join(vigil.TeamRoles, ", "))
		}
	}
	if c.ButtonLabel == "" {
		c.ButtonLabel = "Sign in with single sign-on"
	}
	return c, nil
}

// ParseRoleMap reads "group=role,group=role". Group names may hold "="
// (the last one splits).
func ParseRoleMap(s string) ([]RoleRule, error) {
	var out []RoleRule
	for _, item := range splitList(s) {
		i := strings.LastIndex(item, "=")
		if i <= 0 || i == len(item)-1 {
			return nil, fmt.Errorf("%q: want group=role", item)
		}
		r := RoleRule{Group: strings.TrimSpace(item[:i]), Role: strings.TrimSpace(item[i+1:])}
		if !slices.Contains(vigil.UserRoles, r.Role) {
			return nil, fmt.Errorf("%q: role must be one of %s", item, strings.Join(vigil.UserRoles, ", "))
		}
		out = append(out, r)
	}
	return out, nil
}

// ParseTeamMap reads "group=team,group=team:manager" (":member" is the
// default).
func ParseTeamMap(s string) ([]TeamRule, error) {
	var out []TeamRule
	for _, item := range splitList(s) {
		i := strings.LastIndex(item, "=")
		if i <= 0 || i == len(item)-1 {
			return nil, fmt.Errorf("%q: want group=team, group=team:responder or group=team:manager", item)
		}
		r := TeamRule{Group: strings.TrimSpace(item[:i]), Team: strings.TrimSpace(item[i+1:]), Role: vigil.TeamMember}
		if team, role, ok := strings.Cut(r.Team, ":"); ok {
			if !slices.Contains(vigil.TeamRoles, role) {
				return nil, fmt.Errorf("%q: the part after ':' must be one of %s", item, strings.Join(vigil.TeamRoles, ", "))
			}
			r.Team, r.Role = strings.TrimSpace(team), role
		}
		if r.Team == "" {
			return nil, fmt.Errorf("%q: the team name is empty", item)
		}
		out = append(out, r)
	}
	return out, nil
}

func splitList(s string) []string {
	var out []string
	for item := range strings.SplitSeq(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// Mapping is what a person's groups give.
type Mapping struct {
	// Role is the global role to set; "" leaves it (no role rules), and
	// a new user then gets NewUserRole.
	Role, NewUserRole string
	// Teams maps team names to a team role (vigil.TeamRoles).
	Teams map[string]string
	// Managed lists every team a rule names.
	Managed []string
}

// Map applies the rules to groups. CodeForbidden when DefaultRole is
// RoleNone and no role rule matches.
func (c *Config) Map(groups []string) (Mapping, error) {
	has := map[string]bool{}
	for _, g := range groups {
		has[g] = true
	}
	m := Mapping{Teams: map[string]string{}}
	if len(c.Roles) > 0 {
		best := -1
		for _, r := range c.Roles {
			if rank := slices.Index(vigil.UserRoles, r.Role); has[r.Group] && rank > best {
				best, m.Role = rank, r.Role
			}
		}
		if best < 0 {
			m.Role = c.DefaultRole
		}
	} else {
		m.NewUserRole = c.DefaultRole
	}
	if m.Role == RoleNone {
		return m, vigil.Errorf(vigil.CodeForbidden, "none of your groups at the sign-in provider gives access to Vigil; ask an administrator")
	}
	for _, t := range c.Teams {
		if !slices.Contains(m.Managed, t.Team) {
			m.Managed = append(m.Managed, t.Team)
		}
		// The strongest role any of the person's groups gives wins.
		if has[t.Group] && slices.Index(vigil.TeamRoles, t.Role) > slices.Index(vigil.TeamRoles, m.Teams[t.Team]) {
			m.Teams[t.Team] = t.Role
		}
	}
	return m, nil
}
