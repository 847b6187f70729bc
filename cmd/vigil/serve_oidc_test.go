package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/vigil-oss/vigil/internal/oidc"
)

func TestServeOIDCFlags(t *testing.T) {
	secretFile := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secretFile, []byte("s3cret-from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	e := &env{getenv: getenvFrom(map[string]string{
		"VIGIL_OIDC_ISSUER":             "https://sso.example.com/realms/acme",
		"VIGIL_OIDC_CLIENT_SECRET_FILE": secretFile,
		"VIGIL_OIDC_ROLE_MAP":           "admins=admin",
		"VIGIL_OIDC_CREATE_USERS":       "false",
		"VIGIL_OIDC_BUTTON_LABEL":       "Sign in with Keycloak",
		"VIGIL_OIDC_GROUPS_CLAIM":       "realm_access.roles",
	})}
	var f oidcFlags
	cmd := &cobra.Command{}
	f.register(cmd, e)
	if err := cmd.Flags().Parse([]string{"--oidc-client-id", "vigil", "--oidc-team-map", "sre=ops:manager", "--oidc-scopes", "openid,email,groups"}); err != nil {
		t.Fatal(err)
	}
	c, err := f.config(e)
	if err != nil {
		t.Fatal(err)
	}
	want := oidc.Config{Issuer: "https://sso.example.com/realms/acme", ClientID: "vigil", ClientSecret: "s3cret-from-file",
		Scopes: []string{"email", "groups"}, GroupsClaim: "realm_access.roles", Roles: []oidc.RoleRule{{Group: "admins", Role: "admin"}},
		DefaultRole: "responder", Teams: []oidc.TeamRule{{Group: "sre", Team: "ops", Role: "manager"}},
		CreateUsers: false, ButtonLabel: "Sign in with Keycloak"}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("config =\n%+v\nwant\n%+v", c, want)
	}
}

func TestServeRefusesBadOIDCFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--oidc-role-map", "admins=root"},
		{"--oidc-team-map", "sre=ops:owner"},
	} {
		var out, errOut bytes.Buffer
		full := append([]string{"serve", "--data-dir", t.TempDir(), "--oidc-issuer", "https://sso.example.com", "--oidc-client-id", "v"}, args...)
		code := run(context.Background(), full, getenvFrom(nil), nil, &out, &errOut)
		if code == 0 || !strings.Contains(errOut.String(), args[0]) {
			t.Errorf("%v: exit %d, stderr %q: want a refusal naming the flag", args, code, errOut.String())
		}
	}
	// Settings that cannot work stop serve before it opens the database.
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--oidc-issuer", "https://sso.example.com"}, "oidc client id"},
		{[]string{"--oidc-issuer", "sso.example.com", "--oidc-client-id", "v"}, "oidc issuer"},
		{[]string{"--oidc-issuer", "https://sso.example.com", "--oidc-client-id", "v", "--oidc-default-role", "none"}, "oidc default role"},
	} {
		var out, errOut bytes.Buffer
		dir := filepath.Join(t.TempDir(), "data")
		code := run(context.Background(), append([]string{"serve", "--data-dir", dir}, c.args...), getenvFrom(nil), nil, &out, &errOut)
		if code == 0 || !strings.Contains(errOut.String(), c.want) {
			t.Errorf("%v: exit %d, stderr %q: want %q", c.args, code, errOut.String(), c.want)
		}
		if _, err := os.Stat(dir); err == nil {
			t.Errorf("%v: the database was created before the refusal", c.args)
		}
	}
}
