package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/vigil-oss/vigil/internal/oidc"
)

// oidcFlags are the single sign-on flags of serve. The client secret is
// read only from VIGIL_OIDC_CLIENT_SECRET (or _FILE), never from a flag.
type oidcFlags struct {
	issuer, clientID, redirectURL, scopes, groupsClaim string
	roleMap, defaultRole, teamMap, label               string
	createUsers, trustEmail                            bool
}

func (f *oidcFlags) register(cmd *cobra.Command, e *env) {
	fl := cmd.Flags()
	fl.StringVar(&f.issuer, "oidc-issuer", e.getenv("VIGIL_OIDC_ISSUER"), "OpenID Connect issuer URL: turns single sign-on on (env VIGIL_OIDC_ISSUER)")
	fl.StringVar(&f.clientID, "oidc-client-id", e.getenv("VIGIL_OIDC_CLIENT_ID"), "client ID registered at the provider (env VIGIL_OIDC_CLIENT_ID; the secret only from VIGIL_OIDC_CLIENT_SECRET or _FILE)")
	fl.StringVar(&f.redirectURL, "oidc-redirect-url", e.getenv("VIGIL_OIDC_REDIRECT_URL"), "where the provider sends people back; default <public-url>/login/oidc/callback (env VIGIL_OIDC_REDIRECT_URL)")
	fl.StringVar(&f.scopes, "oidc-scopes", envOr(e, "VIGIL_OIDC_SCOPES", "profile,email"), "comma-separated scopes besides openid (env VIGIL_OIDC_SCOPES)")
	fl.StringVar(&f.groupsClaim, "oidc-groups-claim", envOr(e, "VIGIL_OIDC_GROUPS_CLAIM", "groups"), "ID token claim with the groups; dots walk into objects (env VIGIL_OIDC_GROUPS_CLAIM)")
	fl.StringVar(&f.roleMap, "oidc-role-map", e.getenv("VIGIL_OIDC_ROLE_MAP"), "group=role,... ; the strongest role wins; empty: roles are not synced (env VIGIL_OIDC_ROLE_MAP)")
	fl.StringVar(&f.defaultRole, "oidc-default-role", envOr(e, "VIGIL_OIDC_DEFAULT_ROLE", "responder"), "role of people with no mapped group, or none to refuse them (env VIGIL_OIDC_DEFAULT_ROLE)")
	fl.StringVar(&f.teamMap, "oidc-team-map", e.getenv("VIGIL_OIDC_TEAM_MAP"), "group=team, group=team:responder or group=team:manager,... ; membership of these teams follows the groups (env VIGIL_OIDC_TEAM_MAP)")
	fl.BoolVar(&f.createUsers, "oidc-create-users", envOr(e, "VIGIL_OIDC_CREATE_USERS", "true") == "true", "create an account at first sign-in (env VIGIL_OIDC_CREATE_USERS)")
	fl.BoolVar(&f.trustEmail, "oidc-trust-email", e.getenv("VIGIL_OIDC_TRUST_EMAIL") == "true", "believe the email claim without email_verified (Azure AD) (env VIGIL_OIDC_TRUST_EMAIL)")
	fl.StringVar(&f.label, "oidc-button-label", envOr(e, "VIGIL_OIDC_BUTTON_LABEL", "Sign in with single sign-on"), "text of the sign-in button (env VIGIL_OIDC_BUTTON_LABEL)")
}

// config builds the app's single sign-on settings; the zero Config when
// no issuer is set.
func (f *oidcFlags) config(e *env) (oidc.Config, error) {
	if f.issuer == "" {
		return oidc.Config{}, nil
	}
	secret, err := secretEnv(e, "VIGIL_OIDC_CLIENT_SECRET")
	if err != nil {
		return oidc.Config{}, err
	}
	roles, err := oidc.ParseRoleMap(f.roleMap)
	if err != nil {
		return oidc.Config{}, fmt.Errorf("--oidc-role-map: %w", err)
	}
	teams, err := oidc.ParseTeamMap(f.teamMap)
	if err != nil {
		return oidc.Config{}, fmt.Errorf("--oidc-team-map: %w", err)
	}
	var scopes []string
	for s := range strings.SplitSeq(f.scopes, ",") {
		if s = strings.TrimSpace(s); s != "" && s != "openid" {
			scopes = append(scopes, s)
		}
	}
	c := oidc.Config{
		Issuer: f.issuer, ClientID: f.clientID, ClientSecret: secret, RedirectURL: f.redirectURL,
		Scopes: scopes, GroupsClaim: f.groupsClaim, Roles: roles, DefaultRole: f.defaultRole, Teams: teams,
		CreateUsers: f.createUsers, TrustEmail: f.trustEmail, ButtonLabel: f.label,
	}
	return c, c.Check()
}
