package main

import (
	"testing"

	"github.com/vigil-oss/vigil/internal/app"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// Incident roles from the CLI against the real server: give by e-mail,
// list, replace, clear, and the errors.
func TestIncidentRolesCLI(t *testing.T) {
	token := vigil.NewSecret(vigil.TokenPrefix)
	a := startServer(t, app.Config{DataDir: t.TempDir(), AdminToken: token, EngineInterval: -1})
	c := cliSession{t, map[string]string{"VIGIL_URL": a.URL(), "VIGIL_TOKEN": token}}
	cli, fails, must := c.run, c.fails, c.must

	cli("service", "create", "--name", "checkout")
	cli("user", "create", "--name", "Ana Lima", "--email", "ana@example.com")
	cli("user", "create", "--name", "Bo", "--email", "bo@example.com")
	must(cli("incident", "declare", "--service", "checkout", "--title", "Checkout down", "--severity", "critical"), `^Declared incident #1 `)

	must(cli("incident", "roles", "1"), `^Nobody holds a role on incident #1\.`)
	must(cli("incident", "role", "1", "incident-manager", "ana@example.com"), `(?m)^incident manager\s+Ana Lima\s+`)
	out := cli("incident", "role", "1", "tech_lead", "Bo")
	must(out, `(?m)^incident manager\s+Ana Lima\s+.*\n^tech lead\s+Bo\s+`)
	must(cli("incident", "role", "1", "tech_lead", "ana@example.com"), `(?m)^tech lead\s+Ana Lima\s+`)
	must(cli("incident", "role", "1", "incident_manager", "--clear", "-o", "json"), `"role": "tech_lead"`)
	must(cli("incident", "show", "1"), `Ana Lima is tech lead`)

	fails(`unknown role "scribe"`, "incident", "role", "1", "scribe", "Bo")
	fails("name the person who takes the role, or give --clear", "incident", "role", "1", "tech_lead")
	fails("name the person who takes the role, or give --clear", "incident", "role", "1", "tech_lead", "Bo", "--clear")
	fails(`no user "Cy"`, "incident", "role", "1", "tech_lead", "Cy")
	fails("not found", "incident", "role", "9", "tech_lead", "Bo")
}
